"""The coding tools against the embedded local model (SmolLM2 in process): no scripted answers, so the
checks are that each tool completes its turn through Switchpoint and shows the model's answer.

Claude Code, Codex and opencode send prompts (15k+ tokens of instructions and tool schemas) longer
than the embedded model's context, so Switchpoint answers them with a clear error; the tools whose
prompts fit are run here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from router.app import create_app
from router.settings import load_settings
from tests.fakes.servers import ServerThread

from .agent_upstream import AgentScript
from .conftest import E2EGateway, find_tool, run_tool
from .test_continue import CONFIG as CONTINUE_CONFIG

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def local_gateway(tmp_path_factory: pytest.TempPathFactory, classifier: Any) -> Iterator[tuple[str, Path]]:
    pytest.importorskip("torch")
    root = tmp_path_factory.mktemp("e2e-local")
    backend = {"name": "smollm2", "kind": "local", "model": "smollm2", "options": {"max_new_tokens_default": 48}}
    settings = load_settings(None, home=root / "switchpoint", backends=[backend])
    with ServerThread(create_app(settings, classifier=classifier)) as gateway:
        yield gateway.url, root


@pytest.fixture
def gw(local_gateway: tuple[str, Path], tmp_path: Path) -> E2EGateway:
    url, _ = local_gateway
    (tmp_path / "home").mkdir()
    (tmp_path / "work").mkdir()
    return E2EGateway(url, AgentScript(), tmp_path / "home", tmp_path / "work", frozenset(), backend_kind="local")


def test_aider_answers_with_the_local_model(gw: E2EGateway) -> None:
    aider = find_tool("aider")
    argv = [
        aider,
        "--model",
        "openai/smollm2",
        "--openai-api-base",
        f"{gw.url}/v1",
        "--openai-api-key",
        "sk-local",
        "--edit-format",
        "whole",
        "--yes-always",
        "--no-git",
        "--no-show-model-warnings",
        "--no-check-update",
        "--no-analytics",
        "--no-pretty",
        "--no-fancy-input",
        "--map-tokens",
        "0",
        "--message",
        "In one sentence: what is a Python list?",
    ]
    proc = run_tool(gw, argv, {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}, timeout=600)
    assert "Model: openai/smollm2" in proc.stdout and " received" in proc.stdout, proc.stdout + proc.stderr[-3000:]


def test_continue_answers_with_the_local_model(gw: E2EGateway) -> None:
    cn = find_tool("cn")
    config = gw.home / "switchpoint.yaml"
    config.write_text(CONTINUE_CONFIG.format(url=gw.url).replace("model: auto", "model: smollm2"))
    proc = run_tool(
        gw,
        [cn, "-p", "In one sentence: what is a Python list?", "--config", str(config)],
        {"CONTINUE_CLI_DISABLE_TELEMETRY": "1"},
        timeout=600,
    )
    assert proc.stdout.strip(), proc.stderr[-3000:]
