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

# The repository's sibling `shared/` (CI checks the repository out with shared/ beside it).
FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "clients"


def recorded_requests() -> list[tuple[str, int, dict[str, Any]]]:
    """(file name, line number, record) for every request in every *.full.jsonl fixture."""
    out = []
    for path in sorted(FIXTURES.glob("*.full.jsonl")):
        for i, line in enumerate(path.read_text().splitlines()):
            if line.strip():
                out.append((path.name, i, orjson.loads(line)))
    return out


def render_stream(
    renderer: StreamRenderer, events: Sequence[Event], fail: SwitchpointError | None = None
) -> bytes:
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
def openai_client(
    body: bytes, status: int = 200, content_type: str = "application/json"
) -> Iterator[openai.OpenAI]:
    with httpx2.Client(transport=_transport(body, status, content_type)) as http:
        yield openai.OpenAI(
            api_key="sk-test", base_url="http://switchpoint.test/v1", http_client=http, max_retries=0
        )
