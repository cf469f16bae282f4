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
