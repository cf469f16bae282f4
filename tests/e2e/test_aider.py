"""Aider, non-interactive (`aider --message`), editing a file through Switchpoint's chat completions."""

from __future__ import annotations

import pytest

from .agent_upstream import AIDER_EDIT
from .conftest import E2EGateway, find_tool, run_tool

pytestmark = pytest.mark.e2e


def test_aider_edits_a_file(e2e_gateway: E2EGateway) -> None:
    aider = find_tool("aider")
    target = e2e_gateway.work / "hello.py"
    target.write_text('print("hello")\n')
    argv = [
        aider,
        "--model",
        "openai/auto",
        "--openai-api-base",
        f"{e2e_gateway.url}/v1",
        "--openai-api-key",
        "sk-switchpoint-e2e",
        "--edit-format",
        "whole",
        "--yes-always",
        "--no-git",
        "--no-auto-commits",
        "--no-show-model-warnings",
        "--no-check-update",
        "--no-analytics",
        "--no-pretty",
        "--no-fancy-input",
        "--message",
        "Change hello.py so that it prints something else.",
        "hello.py",
    ]
    proc = run_tool(e2e_gateway, argv, {"LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    assert target.read_text() == AIDER_EDIT, proc.stdout[-3000:] + proc.stderr[-3000:]
