"""A loopback server speaking Anthropic's Messages API (`POST /v1/messages`, JSON and SSE), so litellm's
real Anthropic translation runs against it. It checks what the real API checks that matters here:
tool_use ids must match ^[a-zA-Z0-9_-]+$ (a 400 invalid_request_error otherwise). Usage blocks are
scripted per call (`usages`, else `usage`) in Anthropic's own shape, cache fields included."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

TOOL_ID = re.compile(r"^[a-zA-Z0-9_-]+$")


@dataclass
class AnthropicScript:
    text: str = "Hello from Claude."
    tool: dict[str, Any] | None = None  # {"id", "name", "input"}: answer with a tool_use block
    usage: dict[str, Any] = field(default_factory=lambda: {"input_tokens": 12, "output_tokens": 6})
    usages: list[dict[str, Any]] = field(default_factory=list)  # one per call, first used first
    requests: list[dict[str, Any]] = field(default_factory=list)


def _bad_ids(body: dict[str, Any]) -> list[str]:
    bad = []
    for m in body.get("messages") or ():
        for block in m.get("content") if isinstance(m.get("content"), list) else ():
            ident = block.get("id") if block.get("type") == "tool_use" else block.get("tool_use_id")
            if block.get("type") in ("tool_use", "tool_result") and not TOOL_ID.match(str(ident)):
                bad.append(str(ident))
    return bad


def _error(message: str) -> Response:
    body = {"type": "error", "error": {"type": "invalid_request_error", "message": message}}
    return Response(orjson.dumps(body), status_code=400, media_type="application/json")


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps({"type": event, **data}) + b"\n\n"


def make_anthropic(script: AnthropicScript) -> Starlette:
    async def messages(request: Request) -> Response:
        body = orjson.loads(await request.body())
        script.requests.append(body)
        bad = _bad_ids(body)
        if bad:
            return _error(f"messages: tool_use ids must match pattern ^[a-zA-Z0-9_-]+$ (got {bad[0]!r})")
        usage = script.usages.pop(0) if script.usages else dict(script.usage)
        blocks: list[dict[str, Any]] = [{"type": "text", "text": script.text}] if script.text else []
        if script.tool is not None:
            blocks.append({"type": "tool_use", **script.tool})
        stop = "tool_use" if script.tool is not None else "end_turn"
        message = {"id": "msg_01", "type": "message", "role": "assistant", "model": body.get("model", "claude")}
        if not body.get("stream"):
            whole = {**message, "content": blocks, "stop_reason": stop, "stop_sequence": None, "usage": usage}
            return Response(orjson.dumps(whole), media_type="application/json")
        return StreamingResponse(_stream(message, blocks, stop, usage), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/messages", messages, methods=["POST"])])


async def _stream(
    message: dict[str, Any], blocks: list[dict[str, Any]], stop: str, usage: dict[str, Any]
) -> AsyncIterator[bytes]:
    start_usage = {**usage, "output_tokens": 1}
    yield _sse("message_start", {"message": {**message, "content": [], "stop_reason": None, "usage": start_usage}})
    for i, block in enumerate(blocks):
        if block["type"] == "text":
            yield _sse("content_block_start", {"index": i, "content_block": {"type": "text", "text": ""}})
            yield _sse("content_block_delta", {"index": i, "delta": {"type": "text_delta", "text": block["text"]}})
        else:
            head = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            yield _sse("content_block_start", {"index": i, "content_block": head})
            delta = {"type": "input_json_delta", "partial_json": orjson.dumps(block["input"]).decode()}
            yield _sse("content_block_delta", {"index": i, "delta": delta})
        yield _sse("content_block_stop", {"index": i})
    end = {"delta": {"stop_reason": stop, "stop_sequence": None}, "usage": {"output_tokens": usage["output_tokens"]}}
    yield _sse("message_delta", end)
    yield _sse("message_stop", {})
