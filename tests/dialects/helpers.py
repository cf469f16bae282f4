"""Shared pieces of the dialect tests: the recorded client fixtures, rendering a scripted event
sequence, and official SDK clients that read our bytes through an httpx2.MockTransport."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import openai
import orjson

from backends.contract import Event
from backends.errors import SwitchpointError
from router.dialects.base import Completion, StreamRenderer

# Requests recorded from real clients, kept in the repository (tests/fixtures/clients/README.md).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "clients"


def recorded_requests() -> list[tuple[str, int, dict[str, Any]]]:
    """(file name, line number, record) for every request in every *.full.jsonl fixture."""
    out = []
    for path in sorted(FIXTURES.glob("*.full.jsonl")):
        for i, line in enumerate(path.read_text().splitlines()):
            if line.strip():
                out.append((path.name, i, orjson.loads(line)))
    return out


def render_stream(renderer: StreamRenderer, events: Sequence[Event], fail: SwitchpointError | None = None) -> bytes:
    """What the pipeline writes: start, one chunk per event, then finish (or error mid-stream)."""
    completion = Completion()
    out = renderer.start()
    for ev in events:
        completion.add(ev)
        out += renderer.event(ev)
    return out + (renderer.error(fail) if fail is not None else renderer.finish(completion))


def sse_events(body: bytes) -> list[tuple[str | None, dict[str, Any] | str]]:
    """(event name, data) per SSE message, parsed strictly: every message is `event:`/`data:` lines."""
    out: list[tuple[str | None, dict[str, Any] | str]] = []
    for block in body.decode().split("\n\n"):
        if not block:
            continue
        name, data = None, None
        for line in block.split("\n"):
            field, _, value = line.partition(": ")
            if field == "event":
                name = value
            elif field == "data":
                data = value
            else:
                raise AssertionError(f"bad SSE line {line!r}")
        assert data is not None, block
        out.append((name, data if data == "[DONE]" else orjson.loads(data)))
    return out


def _transport(body: bytes, status: int, content_type: str) -> httpx2.MockTransport:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, content=body, headers={"content-type": content_type})

    return httpx2.MockTransport(handler)


@contextmanager
def anthropic_client(
    body: bytes, status: int = 200, content_type: str = "application/json"
) -> Iterator[anthropic.Anthropic]:
    with httpx2.Client(transport=_transport(body, status, content_type)) as http:
        yield anthropic.Anthropic(
            api_key="sk-test", base_url="http://switchpoint.test", http_client=http, max_retries=0
        )


@contextmanager
def openai_client(body: bytes, status: int = 200, content_type: str = "application/json") -> Iterator[openai.OpenAI]:
    with httpx2.Client(transport=_transport(body, status, content_type)) as http:
        yield openai.OpenAI(api_key="sk-test", base_url="http://switchpoint.test/v1", http_client=http, max_retries=0)


Calls = list[tuple[str | None, str]]


def sdk_read_stream(dialect: str, raw: bytes) -> tuple[str, Calls]:
    """The text and the (namespace, name) of each tool call, as the official SDK reads an SSE answer."""
    if dialect == "anthropic":
        with (
            anthropic_client(raw, content_type="text/event-stream") as client,
            client.messages.stream(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}]) as s,
        ):
            msg = s.get_final_message()
        return _anthropic_read(msg)
    with openai_client(raw, content_type="text/event-stream") as client:
        if dialect == "responses":
            with client.responses.stream(model="m", input="x") as rs:
                return _responses_read(rs.get_final_response())
        if dialect == "completions":
            chunks = list(client.completions.create(model="m", prompt="x", stream=True))
            return "".join(c.choices[0].text for c in chunks if c.choices), []
        text, calls = "", []
        for chunk in client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}], stream=True
        ):
            for choice in chunk.choices:
                text += choice.delta.content or ""
                for tc in choice.delta.tool_calls or ():
                    if tc.function and tc.function.name:
                        calls.append((None, tc.function.name))
        return text, calls


def sdk_read_json(dialect: str, raw: bytes) -> tuple[str, Calls]:
    """The same, for a JSON answer."""
    if dialect == "anthropic":
        with anthropic_client(raw) as client:
            return _anthropic_read(
                client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])
            )
    with openai_client(raw) as client:
        if dialect == "responses":
            return _responses_read(client.responses.create(model="m", input="x"))
        if dialect == "completions":
            return client.completions.create(model="m", prompt="x").choices[0].text, []
        msg = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}]).choices[0].message
        return msg.content or "", [(None, tc.function.name) for tc in msg.tool_calls or () if tc.type == "function"]


def _anthropic_read(msg: Any) -> tuple[str, Calls]:
    text = "".join(b.text for b in msg.content if b.type == "text")
    return text, [(None, b.name) for b in msg.content if b.type == "tool_use"]


def _responses_read(resp: Any) -> tuple[str, Calls]:
    return resp.output_text, [(o.namespace, o.name) for o in resp.output if o.type == "function_call"]
