"""What every wire dialect provides: parse a body into the canonical request, render the backend's
events back as that API's JSON or SSE, and shape errors the way that API's clients expect."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from backends.contract import (
    CanonicalRequest,
    DraftStats,
    Event,
    Finish,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from backends.errors import InvalidRequest, SwitchpointError


class Loose(BaseModel):
    """A wire model that tolerates unknown fields: clients send many."""

    model_config = ConfigDict(extra="allow")


@dataclass(slots=True)
class ResponseMeta:
    """What a renderer needs to know about the response it is writing."""

    id: str
    model: str
    created: int = field(default_factory=lambda: int(time.time()))
    include_usage: bool = True
    request: CanonicalRequest | None = None  # the request answered
    state: Any = None  # the dialect's own rendering state, from its parse (Parsed.state)


@dataclass(slots=True)
class Parsed:
    """A dialect's parse of a wire body: the canonical request, and what the dialect alone needs to
    render its answer (nothing of the wire body rides along on the canonical request)."""

    request: CanonicalRequest
    include_usage: bool = True  # whether the client's stream carries usage (OpenAI chat: only when asked)
    state: Any = None  # the dialect's own rendering state (Responses: its tools' namespaces)


@dataclass(slots=True)
class Completion:
    """A whole response, folded from events (non-streaming answers and the request log)."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None
    draft: DraftStats | None = None

    def add(self, ev: Event) -> None:
        if isinstance(ev, TextDelta):
            self.text += ev.text
        elif isinstance(ev, ToolCallDelta):
            while len(self.tool_calls) <= ev.index:
                self.tool_calls.append(ToolCall(id="", name="", arguments=""))
            call = self.tool_calls[ev.index]
            if ev.id:
                call.id = ev.id
            if ev.name:
                call.name = ev.name
            call.arguments += ev.arguments
        elif isinstance(ev, Usage):
            self.usage = ev
        elif isinstance(ev, Finish):
            self.finish_reason = ev.reason
        elif isinstance(ev, DraftStats):
            self.draft = ev


class StreamRenderer(Protocol):
    def start(self) -> bytes: ...
    def event(self, ev: Event) -> bytes: ...
    def finish(self, completion: Completion) -> bytes: ...
    def error(self, exc: SwitchpointError) -> bytes: ...


class Dialect(Protocol):
    name: str
    # Which classes of error body this API uses ("openai" or "anthropic").
    error_style: str

    def parse(self, body: Any) -> Parsed: ...
    def parse_request(self, body: Any) -> CanonicalRequest: ...  # parse(body).request
    def render_json(self, completion: Completion, meta: ResponseMeta) -> bytes: ...
    def stream_renderer(self, meta: ResponseMeta) -> StreamRenderer: ...


def sse(data: Any, event: str | None = None) -> bytes:
    payload = orjson.dumps(data)
    if event is None:
        return b"data: " + payload + b"\n\n"
    return b"event: " + event.encode() + b"\ndata: " + payload + b"\n\n"


def openai_error_body(exc: SwitchpointError) -> dict[str, Any]:
    return {"error": {"message": exc.message, "type": exc.type, "param": exc.param, "code": exc.code}}


def _is_branch_tag(part: str | int) -> bool:
    # pydantic names union branches in the location ("str", "list[tagged-union[...]]", "ImagePartIn").
    return isinstance(part, str) and (part in _TYPE_TAGS or "[" in part or part[:1].isupper())


_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "dict", "list", "none", "function-after"})


def validation_error(exc: ValidationError) -> InvalidRequest:
    """The most specific validation error, naming the field by its dotted path.

    A union reports one error per branch; the deepest location is the branch the client meant.
    """
    err = max(exc.errors(include_url=False), key=lambda e: len(e["loc"]))
    parts = [str(p) for p in err["loc"] if not _is_branch_tag(p)]
    path = ".".join(p for i, p in enumerate(parts) if i == 0 or p != parts[i - 1])
    return InvalidRequest(f"invalid field '{path}': {err['msg']}", param=path or None)
