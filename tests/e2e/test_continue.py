"""Continue CLI, non-interactive (`cn -p`), through Switchpoint's chat completions endpoint."""

from __future__ import annotations

import pytest

from .agent_upstream import GREETING
from .conftest import E2EGateway, find_tool, run_tool

pytestmark = pytest.mark.e2e

CONFIG = """\
name: Switchpoint
version: 1.0.0
schema: v1
models:
  - name: Switchpoint
    provider: openai
    model: auto
    apiBase: {url}/v1
    apiKey: sk-switchpoint-e2e
    roles: [chat, edit, apply]
"""


def test_continue_answers(e2e_gateway: E2EGateway) -> None:
    cn = find_tool("cn")
    config = e2e_gateway.home / "switchpoint.yaml"
    config.write_text(CONFIG.format(url=e2e_gateway.url))
    proc = run_tool(
        e2e_gateway, [cn, "-p", "Say hello.", "--config", str(config)], {"CONTINUE_CLI_DISABLE_TELEMETRY": "1"}
    )
    assert GREETING in proc.stdout, proc.stdout + proc.stderr[-3000:]
