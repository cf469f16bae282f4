"""Every request recorded from real clients (tests/fixtures/clients) parses in its dialect, and an
answer that calls the client's own tools reads back through the official SDK under the client's names."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from backends.contract import CanonicalRequest, Event, Finish, TextDelta, ToolCallDelta, Usage
from router.dialects import ResponseMeta, get_dialect

from .helpers import FIXTURES, recorded_requests, render_stream, sdk_read_stream

DIALECT_PATHS = {
    "/v1/messages": "anthropic",
    "/v1/messages/count_tokens": "anthropic",
    "/v1/responses": "responses",
    "/v1/chat/completions": "openai",
    "/v1/completions": "completions",
}
RECORDED = [(f, i, rec) for f, i, rec in recorded_requests() if rec["method"] == "POST"]
META = ResponseMeta("fixture1", "served-model", created=1700000000)


def test_fixtures_are_there() -> None:
    assert FIXTURES.is_dir(), f"recorded client requests expected at {FIXTURES}"
    paths = {rec["path"] for _, _, rec in RECORDED}
    assert {"/v1/messages", "/v1/responses", "/v1/chat/completions"} <= paths


def declared_tools(dialect: str, body: dict[str, Any]) -> list[tuple[str | None, str]]:
    """(namespace, name) of each tool the client declared that a chat backend can run."""
    out: list[tuple[str | None, str]] = []
    for t in body.get("tools") or ():
        if dialect == "anthropic" and t.get("type") in (None, "custom"):
            out.append((None, t["name"]))
        elif dialect == "openai":
            out.append((None, t["function"]["name"]))
        elif dialect == "responses" and t["type"] == "function":
            out.append((None, t["name"]))
        elif dialect == "responses" and t["type"] == "namespace":
            out += [(t["name"], c["name"]) for c in t["tools"] if c["type"] == "function"]
    return out


def check_parsed(req: CanonicalRequest, body: dict[str, Any], dialect: str) -> None:
    assert req.model == body["model"]
    assert req.stream == bool(body.get("stream"))
    assert req.messages and any(m.role == "user" for m in req.messages)
    assert len(req.tools) == len(declared_tools(dialect, body))
    called: set[str] = set()
    for m in req.messages:
        called |= {c.id for c in m.tool_calls}
        if m.role == "tool":
            assert m.tool_call_id in called, "a tool result answers a call made earlier"
    for t in req.tools:
        assert t.name and isinstance(t.parameters, dict)


@pytest.mark.parametrize(("name", "line", "rec"), RECORDED, ids=[f"{f}:{i}:{r['path']}" for f, i, r in RECORDED])
def test_recorded_request_parses_and_its_tools_round_trip(name: str, line: int, rec: dict[str, Any]) -> None:
    dialect_name = DIALECT_PATHS[rec["path"]]
    body = rec["json"]

    def go() -> None:
        dialect = get_dialect(dialect_name)
        parsed = dialect.parse(body)
        req = parsed.request
        check_parsed(req, body, dialect_name)
        if rec["path"].endswith("count_tokens"):
            return
        tools = declared_tools(dialect_name, body)
        # Call the first tool and, where there is one, the first namespaced one.
        chosen = tools[:1] + [t for t in tools if t[0] is not None][:1]
        events: list[Event] = [TextDelta("ok")]
        for i, (_, tool_name) in enumerate(chosen):
            backend_name = next(t.name for t in req.tools if t.name.endswith(tool_name))
            events.append(ToolCallDelta(i, f"call_{i}", backend_name, '{"a": 1}'))
        events += [Usage(10, 2), Finish("tool_calls" if chosen else "stop")]
        raw = render_stream(dialect.stream_renderer(replace(META, request=req, state=parsed.state)), events)
        assert sdk_read_stream(dialect_name, raw) == ("ok", chosen)

    go()
