"""Claude Code, non-interactive (`claude -p`), through Switchpoint's Anthropic Messages endpoint."""

from __future__ import annotations

import orjson
import pytest

from .conftest import E2EGateway, find_tool, run_tool

pytestmark = pytest.mark.e2e


def test_claude_code_bash_round_trip(e2e_gateway: E2EGateway) -> None:
    claude = find_tool("claude")
    e2e_gateway.needs("/v1/messages")
    env = {
        "ANTHROPIC_BASE_URL": e2e_gateway.url,
        "ANTHROPIC_API_KEY": "sk-switchpoint-e2e",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
    }
    proc = run_tool(
        e2e_gateway,
        [
            claude,
            "-p",
            "Please run `echo hi-from-claude` with the Bash tool.",
            "--output-format",
            "json",
            "--allowedTools",
            "Bash",
            "--max-turns",
            "4",
        ],
        env,
    )
    result = orjson.loads(proc.stdout.strip().splitlines()[-1])
    assert result["is_error"] is False, result
    assert "hi-from-claude" in result["result"]
    assert any("hi-from-claude" in r for r in e2e_gateway.script.tool_results), "Claude Code ran the tool"
