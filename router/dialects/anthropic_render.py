"""Anthropic Messages rendering: a completion as a message, a stream as Anthropic's SSE events, errors in
Anthropic's shape."""

from __future__ import annotations

import logging
from typing import Any

import orjson

from backends.contract import Event, TextDelta, ToolCall, ToolCallDelta, Usage
from backends.errors import (
    AuthError,
    BackendStatusError,
    BackendTimeout,
    BodyTooLarge,
    NoBackendAvailable,
    RateLimited,
    RequestError,
    SwitchpointError,
    UnknownModel,
)

from .base import Completion, ResponseMeta, sse

log = logging.getLogger(__name__)

_STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}


def stop_reason(c: Completion) -> str:
    if c.tool_calls and c.finish_reason in (None, "stop", "tool_calls"):
        return "tool_use"
    return _STOP_REASONS.get(c.finish_reason or "stop", "end_turn")


def usage_json(u: Usage | None) -> dict[str, Any]:
    u = u or Usage()
    # Anthropic's input_tokens leave out cache reads and writes, which ours include (OpenAI's convention).
    return {
        "input_tokens": max(0, u.input_tokens - u.cached_tokens - u.cache_write_tokens),
        "output_tokens": u.output_tokens,
        "cache_read_input_tokens": u.cached_tokens,
        "cache_creation_input_tokens": u.cache_write_tokens,
    }


def message_id(meta: ResponseMeta) -> str:
    return meta.id if meta.id.startswith("msg_") else f"msg_{meta.id}"


def _tool_input(call: ToolCall) -> dict[str, Any] | None:
    if not call.arguments.strip():
        return {}
    try:
        value = orjson.loads(call.arguments)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def render_json(c: Completion, meta: ResponseMeta) -> bytes:
    content: list[dict[str, Any]] = []
    if c.text:
        content.append({"type": "text", "text": c.text})
    for call in c.tool_calls:
        args = _tool_input(call)
        if args is None:  # not a JSON object: the client could not run it, so it reads it instead
            log.warning("anthropic: tool call %s has unparsable arguments; returned as text", call.name)
            content.append({"type": "text", "text": f"{call.name}({call.arguments})"})
        else:
            content.append(
                {
                    "type": "tool_use",
                    "id": call.id or f"toolu_{len(content)}",
                    "name": call.name,
                    "input": args,
                }
            )
    return orjson.dumps(
        {
            "id": message_id(meta),
            "type": "message",
            "role": "assistant",
            "model": meta.model,
            "content": content,
            "stop_reason": stop_reason(c),
            "stop_sequence": None,
            "usage": usage_json(c.usage),
        }
    )


class MessagesStream:
    """Anthropic's event sequence; one content block open at a time, tool calls as tool_use blocks."""

    def __init__(self, meta: ResponseMeta) -> None:
        self.meta = meta
        self._blocks = 0  # content blocks started so far
        self._open: int | None = None  # index of the open block
        self._text_block: int | None = None  # the open block, when it is text
        self._calls: dict[int, int] = {}  # tool-call index -> block index

    def start(self) -> bytes:
        message: dict[str, Any] = {
            "id": message_id(self.meta),
            "type": "message",
            "role": "assistant",
            "model": self.meta.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return sse({"type": "message_start", "message": message}, "message_start") + sse({"type": "ping"}, "ping")

    def _close(self) -> bytes:
        if self._open is None:
            return b""
        out = sse({"type": "content_block_stop", "index": self._open}, "content_block_stop")
        self._open = self._text_block = None
        return out

    def _begin(self, block: dict[str, Any]) -> bytes:
        out = self._close()
        self._open = self._blocks
        self._blocks += 1
        return out + sse(
            {"type": "content_block_start", "index": self._open, "content_block": block},
            "content_block_start",
        )

    def _delta(self, index: int, delta: dict[str, Any]) -> bytes:
        return sse({"type": "content_block_delta", "index": index, "delta": delta}, "content_block_delta")

    def event(self, ev: Event) -> bytes:
        if isinstance(ev, TextDelta) and ev.text:
            out = b""
            if self._text_block is None:
                out = self._begin({"type": "text", "text": ""})
                self._text_block = self._open
            assert self._text_block is not None
            return out + self._delta(self._text_block, {"type": "text_delta", "text": ev.text})
        if isinstance(ev, ToolCallDelta):
            out = b""
            if ev.index not in self._calls:
                block = {
                    "type": "tool_use",
                    "id": ev.id or f"toolu_{self.meta.id}_{ev.index}",
                    "name": ev.name or "",
                    "input": {},
                }
                out = self._begin(block)
                self._calls[ev.index] = self._blocks - 1
            if ev.arguments:
                out += self._delta(self._calls[ev.index], {"type": "input_json_delta", "partial_json": ev.arguments})
            return out
        return b""

    def finish(self, c: Completion) -> bytes:
        delta = {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason(c), "stop_sequence": None},
            "usage": usage_json(c.usage),
        }
        return self._close() + sse(delta, "message_delta") + sse({"type": "message_stop"}, "message_stop")

    def error(self, exc: SwitchpointError) -> bytes:
        return sse(error_json(exc), "error")


# ---- errors --------------------------------------------------------------------------------------


def error_type(exc: SwitchpointError) -> str:
    if isinstance(exc, AuthError):
        return "authentication_error"
    if isinstance(exc, UnknownModel):
        return "not_found_error"
    if isinstance(exc, BodyTooLarge):
        return "request_too_large"
    if isinstance(exc, RateLimited) or (isinstance(exc, BackendStatusError) and exc.upstream_status == 429):
        return "rate_limit_error"
    if isinstance(exc, NoBackendAvailable):
        return "overloaded_error"
    if isinstance(exc, BackendTimeout):
        return "timeout_error"
    if isinstance(exc, RequestError) or exc.type == "invalid_request_error":
        return "invalid_request_error"
    return "api_error"


def error_json(exc: SwitchpointError) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type(exc), "message": exc.message}}
