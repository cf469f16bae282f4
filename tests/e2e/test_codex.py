"""Codex CLI, non-interactive (`codex exec`), through Switchpoint's Responses endpoint."""

from __future__ import annotations

import pytest

from .conftest import E2EGateway, find_tool, run_tool

pytestmark = pytest.mark.e2e

CONFIG = """\
model = "scripted-model"
model_provider = "switchpoint"

[model_providers.switchpoint]
name = "Switchpoint"
base_url = "{url}/v1"
wire_api = "responses"
env_key = "SWITCHPOINT_API_KEY"
"""


def test_codex_exec_shell_round_trip(e2e_gateway: E2EGateway) -> None:
    codex = find_tool("codex")
    e2e_gateway.needs("/v1/responses")
    codex_home = e2e_gateway.home / ".codex"
    codex_home.mkdir()
    (codex_home / "config.toml").write_text(CONFIG.format(url=e2e_gateway.url))
    env = {"CODEX_HOME": str(codex_home), "SWITCHPOINT_API_KEY": "sk-switchpoint-e2e"}
    proc = run_tool(
        e2e_gateway,
        [
            codex,
            "exec",
            "--skip-git-repo-check",
            "--dangerously-bypass-approvals-and-sandbox",
            "Please run `echo hi-from-codex` in the shell.",
        ],
        env,
    )
    assert any("hi-from-codex" in r for r in e2e_gateway.script.tool_results), proc.stderr[-3000:]
    assert "The command printed:" in proc.stdout and "hi-from-codex" in proc.stdout, proc.stdout


def test_codex_runs_a_namespaced_tool(e2e_gateway: E2EGateway) -> None:
    """Codex's namespaced tools reach the backend flattened; the call must come back under the namespace."""
    codex = find_tool("codex")
    e2e_gateway.needs("/v1/responses")
    codex_home = e2e_gateway.home / ".codex"
    codex_home.mkdir()
    (codex_home / "config.toml").write_text(CONFIG.format(url=e2e_gateway.url))
    env = {"CODEX_HOME": str(codex_home), "SWITCHPOINT_API_KEY": "sk-switchpoint-e2e"}
    prompt = 'Please call the tool `multi_agent_v1__close_agent` with `{"target": "no-such-agent"}`.'
    proc = run_tool(
        e2e_gateway, [codex, "exec", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", prompt], env
    )
    tools = {t["function"]["name"] for t in e2e_gateway.script.requests[0].get("tools", [])}
    if "multi_agent_v1__close_agent" not in tools:
        pytest.skip("this Codex version sends no multi_agent_v1 namespace")
    # close_agent itself answered (it rejects the id): Codex routed the call to the namespaced tool.
    [result] = e2e_gateway.script.tool_results
    assert "no-such-agent" in result and "unsupported" not in result.lower(), result
    assert "The command printed:" in proc.stdout
