"""Every request recorded from real clients (tests/fixtures/clients/*.full.jsonl) is classified as
its client's traffic: coding for coding agents (with the client named), by content for the SDKs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from policies.classify import DefaultClassifier
from router.dialects import get_dialect
from tests.policies.conftest import FIXTURES

DIALECTS = {"/v1/messages": "anthropic", "/v1/chat/completions": "openai", "/v1/responses": "responses"}
AGENTS = {"claude-cli": "claude-code", "codex_exec": "codex", "opencode": "opencode", "ls/JS": "continue"}


def recorded() -> list[tuple[str, int, dict[str, str], dict[str, Any], str]]:
    out = []
    for path in sorted(FIXTURES.glob("*.full.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            rec = json.loads(line)
            dialect = DIALECTS.get(rec.get("path", "").split("?")[0])
            if rec.get("method") == "POST" and dialect and isinstance(rec.get("json"), dict):
                headers = {k.lower(): v for k, v in rec["headers"].items()}
                out.append((path.name, n, headers, rec["json"], dialect))
    return out


def expected(headers: dict[str, str], body: dict[str, Any]) -> tuple[str, str | None]:
    """What a person reading the request would call it."""
    ua = headers.get("user-agent", "")
    for needle, client in AGENTS.items():
        if needle in ua:
            return "coding", client
    text = json.dumps(body)
    if '"image"' in text or "image_url" in text:
        return "vision", None
    if body.get("tools"):
        return "tool_calling", None
    system = json.dumps(body.get("messages", [])[:1])
    if "expert software developer" in system:  # Aider, through litellm's OpenAI client
        return "coding", "aider"
    return "prose", None


REQUESTS = recorded() if FIXTURES.is_dir() else []
pytestmark = pytest.mark.skipif(not REQUESTS, reason=f"recorded client fixtures not found at {FIXTURES}")


@pytest.mark.parametrize(
    ("name", "line", "headers", "body", "dialect"), REQUESTS, ids=[f"{r[0]}:{r[1]}" for r in REQUESTS]
)
def test_recorded_request(
    default_classifier: DefaultClassifier,
    name: str,
    line: int,
    headers: dict[str, str],
    body: dict[str, Any],
    dialect: str,
) -> None:
    want, client = expected(headers, body)
    c = default_classifier.classify(get_dialect(dialect).parse_request(dict(body)), headers)
    assert c.category == want
    assert c.client == client
    assert c.prompt_tokens > 0 and c.turns >= 1
    if body.get("tools"):  # Codex's "namespace" tools hold several functions each
        assert c.n_tools >= len(body["tools"])


def test_agents_recognised_without_headers(default_classifier: DefaultClassifier) -> None:
    """System-prompt and tool-set fingerprints alone name the agent (a proxy may rewrite user agents)."""
    seen = set()
    for _name, _line, headers, body, dialect in REQUESTS:
        client = expected(headers, body)[1]
        if client is None or "title generator" in json.dumps(body)[:3000]:
            continue
        c = default_classifier.classify(get_dialect(dialect).parse_request(dict(body)), None)
        assert (c.category, c.client) == ("coding", client)
        seen.add(client)
    assert seen >= {"claude-code", "codex", "opencode", "continue", "aider"}


def test_the_fixture_set_covers_the_clients() -> None:
    uas = " ".join(h.get("user-agent", "") for _, _, h, _, _ in REQUESTS)
    assert all(needle in uas for needle in AGENTS)


def test_fixture_dir_is_inside_the_repo() -> None:
    assert FIXTURES.is_relative_to(Path(__file__).resolve().parents[2])
