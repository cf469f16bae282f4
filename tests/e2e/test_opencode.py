"""opencode, non-interactive (`opencode run`), through Switchpoint's chat completions endpoint."""

from __future__ import annotations

import orjson
import pytest

from .agent_upstream import GREETING
from .conftest import E2EGateway, find_tool, run_tool

pytestmark = pytest.mark.e2e


def config(url: str) -> bytes:
    provider = {
        "npm": "@ai-sdk/openai-compatible",
        "name": "Switchpoint",
        "options": {"baseURL": f"{url}/v1", "apiKey": "sk-switchpoint-e2e"},
        "models": {"auto": {"name": "Switchpoint (auto)", "tool_call": True}},
    }
    return orjson.dumps(
        {
            "$schema": "https://opencode.ai/config.json",
            "provider": {"switchpoint": provider},
            "model": "switchpoint/auto",
            "small_model": "switchpoint/auto",
            "autoupdate": False,
            "share": "disabled",
        }
    )


def test_opencode_answers(e2e_gateway: E2EGateway) -> None:
    opencode = find_tool("opencode")
    (e2e_gateway.work / "opencode.json").write_bytes(config(e2e_gateway.url))
    proc = run_tool(e2e_gateway, [opencode, "run", "Say hello."], {"OPENCODE_DISABLE_AUTOUPDATE": "1"})
    assert GREETING in proc.stdout, proc.stdout + proc.stderr[-3000:]


def test_opencode_bash_round_trip(e2e_gateway: E2EGateway) -> None:
    opencode = find_tool("opencode")
    (e2e_gateway.work / "opencode.json").write_bytes(config(e2e_gateway.url))
    proc = run_tool(
        e2e_gateway,
        [opencode, "run", "Please run `echo hi-from-opencode` with bash."],
        {"OPENCODE_DISABLE_AUTOUPDATE": "1"},
    )
    assert any("hi-from-opencode" in r for r in e2e_gateway.script.tool_results), proc.stdout + proc.stderr[-3000:]
    assert "The command printed: hi-from-opencode" in proc.stdout
