"""OpenAI Responses: rendering answers as a response object or its event stream, with Codex's
namespaced tools given back under the names the client declared."""

from __future__ import annotations

import logging
from typing import Any

import orjson

from backends.contract import (
    Event,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from backends.errors import SwitchpointError

from .base import Completion, ResponseMeta, sse

log = logging.getLogger(__name__)


class Namespaces:
    """Flat backend tool names of namespaced functions -> (namespace, name) as the client declared them."""

    def __init__(self) -> None:
        self._flat: dict[str, tuple[str, str]] = {}
        self._child: dict[str, str | None] = {}  # bare child name -> flat name, None when ambiguous
        self._plain: set[str] = set()  # functions outside any namespace

    def add(self, flat: str, namespace: str, name: str) -> None:
        self._flat[flat] = (namespace, name)
        self._child[name] = None if name in self._child else flat

    def add_plain(self, name: str) -> None:
        self._plain.add(name)

    def split(self, name: str) -> tuple[str | None, str]:
        """The namespace and name a call to backend tool `name` goes back under.

        A model that drops the namespace prefix still reaches the one function of that name."""
        flat = None if name in self._plain else name if name in self._flat else self._child.get(name)
        if flat is None:
            return None, name
        return self._flat[flat]


def response_id(meta: ResponseMeta) -> str:
    return meta.id if meta.id.startswith("resp_") else f"resp_{meta.id}"


def usage_json(u: Usage | None) -> dict[str, Any]:
    u = u or Usage()
    return {
        "input_tokens": u.input_tokens,
        "input_tokens_details": {"cached_tokens": u.cached_tokens},
        "output_tokens": u.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": u.input_tokens + u.output_tokens,
    }


def message_item(item_id: str, text: str) -> dict[str, Any]:
    content = [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]
    return {"id": item_id, "type": "message", "role": "assistant", "status": "completed", "content": content}


def call_item(item_id: str, call: ToolCall, ns: Namespaces) -> dict[str, Any]:
    namespace, name = ns.split(call.name)
    item = {
        "id": item_id,
        "type": "function_call",
        "status": "completed",
        "call_id": call.id,
        "name": name,
        "arguments": call.arguments,
    }
    if namespace is not None:
        item["namespace"] = namespace
    return item


def response_json(
    meta: ResponseMeta,
    output: list[dict[str, Any]],
    status: str,
    usage: Usage | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    incomplete = {"reason": "max_output_tokens"} if status == "incomplete" else None
    return {
        "id": response_id(meta),
        "object": "response",
        "created_at": meta.created,
        "status": status,
        "model": meta.model,
        "output": output,
        "usage": usage_json(usage) if usage is not None or status in ("completed", "incomplete") else None,
        "error": error,
        "incomplete_details": incomplete,
        "instructions": None,
        "metadata": {},
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "text": {"format": {"type": "text"}},
    }


def _status(c: Completion) -> str:
    return "incomplete" if c.finish_reason == "length" else "completed"


def render_json(c: Completion, meta: ResponseMeta, ns: Namespaces) -> bytes:
    output: list[dict[str, Any]] = []
    if c.text:
        output.append(message_item(f"msg_{meta.id}_0", c.text))
    for i, call in enumerate(c.tool_calls):
        output.append(call_item(f"fc_{meta.id}_{i}", call, ns))
    return orjson.dumps(response_json(meta, output, _status(c), c.usage or Usage()))


class ResponsesStream:
    """The Responses event sequence. A text message closes when a tool call begins; calls close at the end."""

    def __init__(self, meta: ResponseMeta, ns: Namespaces) -> None:
        self.meta = meta
        self.ns = ns
        self._seq = 0
        self._output: list[dict[str, Any]] = []  # items as they will read when done
        self._text: int | None = None  # output index of the open message
        self._calls: dict[int, int] = {}  # tool-call index -> output index
        self._open_calls: list[int] = []

    def _ev(self, kind: str, **fields: Any) -> bytes:
        data = {"type": kind, "sequence_number": self._seq, **fields}
        self._seq += 1
        return sse(data, kind)

    def start(self) -> bytes:
        response = response_json(self.meta, [], "in_progress")
        return self._ev("response.created", response=response) + self._ev("response.in_progress", response=response)

    def _close_text(self) -> bytes:
        if self._text is None:
            return b""
        idx, self._text = self._text, None
        item = self._output[idx]
        part = item["content"][0]
        where = {"item_id": item["id"], "output_index": idx, "content_index": 0}
        return (
            self._ev("response.output_text.done", **where, text=part["text"], logprobs=[])
            + self._ev("response.content_part.done", **where, part=part)
            + self._ev("response.output_item.done", output_index=idx, item=item)
        )

    def _close_call(self, idx: int) -> bytes:
        item = self._output[idx]
        return self._ev(
            "response.function_call_arguments.done",
            item_id=item["id"],
            output_index=idx,
            arguments=item["arguments"],
            **({"name": item["name"]} if item["name"] else {}),
        ) + self._ev("response.output_item.done", output_index=idx, item=item)

    def event(self, ev: Event) -> bytes:
        if isinstance(ev, TextDelta) and ev.text:
            return self._text_delta(ev.text)
        if isinstance(ev, ToolCallDelta):
            return self._call_delta(ev)
        return b""

    def _text_delta(self, text: str) -> bytes:
        out = b""
        if self._text is None:
            self._text = len(self._output)
            item = message_item(f"msg_{self.meta.id}_{self._text}", "")
            self._output.append(item)
            added = {**item, "status": "in_progress", "content": []}
            out = self._ev("response.output_item.added", output_index=self._text, item=added)
            out += self._ev(
                "response.content_part.added",
                item_id=item["id"],
                output_index=self._text,
                content_index=0,
                part=dict(item["content"][0]),
            )
        item = self._output[self._text]
        item["content"][0]["text"] += text
        return out + self._ev(
            "response.output_text.delta",
            item_id=item["id"],
            output_index=self._text,
            content_index=0,
            delta=text,
            logprobs=[],
        )

    def _call_delta(self, ev: ToolCallDelta) -> bytes:
        out = b""
        if ev.index not in self._calls:
            out = self._close_text()
            idx = len(self._output)
            call = ToolCall(ev.id or f"call_{self.meta.id}_{ev.index}", ev.name or "", "")
            item = call_item(f"fc_{self.meta.id}_{idx}", call, self.ns)
            self._output.append(item)
            self._calls[ev.index] = idx
            self._open_calls.append(idx)
            out += self._ev("response.output_item.added", output_index=idx, item={**item, "status": "in_progress"})
        idx = self._calls[ev.index]
        item = self._output[idx]
        if ev.name and not item["name"]:  # the name came after the first delta
            item.update(call_item(item["id"], ToolCall(item["call_id"], ev.name, item["arguments"]), self.ns))
        if ev.arguments:
            item["arguments"] += ev.arguments
            out += self._ev(
                "response.function_call_arguments.delta", item_id=item["id"], output_index=idx, delta=ev.arguments
            )
        return out

    def finish(self, c: Completion) -> bytes:
        out = self._close_text()
        for idx in self._open_calls:
            out += self._close_call(idx)
        self._open_calls = []
        status = _status(c)
        response = response_json(self.meta, self._output, status, c.usage or Usage())
        kind = "response.completed" if status == "completed" else "response.incomplete"
        return out + self._ev(kind, response=response)

    def error(self, exc: SwitchpointError) -> bytes:
        error = {"code": exc.code or exc.type, "message": exc.message}
        return self._ev("response.failed", response=response_json(self.meta, self._output, "failed", error=error))
