"""Anthropic Messages: `POST /v1/messages` (also `?beta=true`) and `/v1/messages/count_tokens`, JSON and SSE.

Parsing keeps Anthropic's `thinking` settings (Claude models behind litellm take them); options only an
Anthropic upstream understands (`output_config`, `context_management`, ...) are not carried further.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from backends.contract import (
    CanonicalRequest,
    ContentPart,
    Event,
    ImagePart,
    Message,
    TextDelta,
    TextPart,
    Tool,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from backends.errors import (
    AuthError,
    BackendStatusError,
    BackendTimeout,
    BodyTooLarge,
    InvalidRequest,
    NoBackendAvailable,
    RateLimited,
    RequestError,
    SwitchpointError,
    UnknownModel,
)
from backends.tokens import estimate_request_tokens

from .base import Completion, Parsed, ResponseMeta, sse, validation_error
from .checks import check_conversation

log = logging.getLogger(__name__)

# ---- wire models (unknown fields tolerated, as clients send many) --------------------------------


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class TextBlock(_Loose):
    type: Literal["text"]
    text: str


class ImageSource(_Loose):
    type: Literal["base64", "url"]
    media_type: str | None = None
    data: str | None = None
    url: str | None = None


class ImageBlock(_Loose):
    type: Literal["image"]
    source: ImageSource


class OtherBlock(_Loose):
    """Blocks other models cannot use: thinking, redacted_thinking, documents, server tool results."""

    type: str


_KNOWN_BLOCKS = frozenset({"text", "image", "tool_use", "tool_result"})


def _tag(v: Any) -> str:
    kind = v.get("type") if isinstance(v, dict) else getattr(v, "type", None)
    return kind if isinstance(kind, str) and kind in _KNOWN_BLOCKS else "other"


ResultPart = Annotated[
    Annotated[TextBlock, Tag("text")] | Annotated[ImageBlock, Tag("image")] | Annotated[OtherBlock, Tag("other")],
    Discriminator(lambda v: _tag(v) if _tag(v) in ("text", "image") else "other"),
]


class ToolUseBlock(_Loose):
    type: Literal["tool_use"]
    id: str
    name: str
    input: Any = None


class ToolResultBlock(_Loose):
    type: Literal["tool_result"]
    tool_use_id: str
    content: str | list[ResultPart] | None = None
    is_error: bool | None = None


Block = Annotated[
    Annotated[TextBlock, Tag("text")]
    | Annotated[ImageBlock, Tag("image")]
    | Annotated[ToolUseBlock, Tag("tool_use")]
    | Annotated[ToolResultBlock, Tag("tool_result")]
    | Annotated[OtherBlock, Tag("other")],
    Discriminator(_tag),
]


class MessageIn(_Loose):
    role: Literal["user", "assistant", "system"]
    content: str | list[Block]


class ToolIn(_Loose):
    name: str
    type: str | None = None  # absent or "custom" for client tools; server tools carry a versioned type
    description: str | None = None
    input_schema: dict[str, Any] | None = None


class ToolChoiceIn(_Loose):
    type: Literal["auto", "any", "tool", "none"]
    name: str | None = None
    disable_parallel_tool_use: bool | None = None


class MessagesRequest(_Loose):
    model: str
    messages: list[MessageIn]
    system: str | list[TextBlock] | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    stream: bool | None = False
    tools: list[ToolIn] | None = None
    tool_choice: ToolChoiceIn | None = None
    stop_sequences: list[str] | None = None
    temperature: float | None = Field(default=None, ge=0, le=1)
    top_p: float | None = Field(default=None, ge=0, le=1)
    top_k: int | None = Field(default=None, ge=0)
    metadata: dict[str, Any] | None = None
    thinking: dict[str, Any] | None = None


# ---- parsing -------------------------------------------------------------------------------------


def _image(b: ImageBlock) -> ImagePart:
    src = b.source
    if src.type == "base64":
        if not src.data or not src.media_type:
            raise InvalidRequest("base64 image source needs media_type and data", param="source")
        return ImagePart(f"data:{src.media_type};base64,{src.data}")
    if not src.url:
        raise InvalidRequest("url image source needs url", param="source")
    return ImagePart(src.url)


def _tool_result(b: ToolResultBlock) -> tuple[Message, list[ContentPart]]:
    """The tool message, and any images it carried (OpenAI tool messages hold text only)."""
    texts: list[str] = []
    images: list[ContentPart] = []
    if isinstance(b.content, str):
        texts.append(b.content)
    else:
        for part in b.content or ():
            if isinstance(part, TextBlock):
                texts.append(part.text)
            elif isinstance(part, ImageBlock):
                images.append(_image(part))
    text = "\n".join(texts)
    if b.is_error:
        text = f"Error: {text}"
    return Message(role="tool", content=[TextPart(text)], tool_call_id=b.tool_use_id), images


def _messages(m: MessageIn) -> list[Message]:
    if isinstance(m.content, str):
        return [Message(role=m.role, content=[TextPart(m.content)])]
    out: list[Message] = []
    parts: list[ContentPart] = []
    calls: list[ToolCall] = []
    for b in m.content:
        if isinstance(b, TextBlock):
            parts.append(TextPart(b.text))
        elif isinstance(b, ImageBlock):
            parts.append(_image(b))
        elif isinstance(b, ToolUseBlock):
            calls.append(ToolCall(b.id, b.name, orjson.dumps(b.input if b.input is not None else {}).decode()))
        elif isinstance(b, ToolResultBlock):
            tool_msg, images = _tool_result(b)
            out.append(tool_msg)
            if images:
                parts += [TextPart(f"(images returned by tool call {b.tool_use_id})"), *images]
        elif isinstance(b, OtherBlock):
            parts += _other(b)
    # An assistant turn that held only thinking has nothing left for another model.
    if parts or calls or (not out and m.role != "assistant"):
        out.append(Message(role=m.role, content=parts, tool_calls=calls))
    return out


def _other(b: OtherBlock) -> list[ContentPart]:
    """A plain-text document reads as text; thinking, PDFs and server tool blocks stay with Anthropic."""
    source = (b.model_extra or {}).get("source")
    if b.type == "document" and isinstance(source, dict) and source.get("type") == "text":
        return [TextPart(str(source.get("data", "")))]
    log.debug("anthropic: dropped a %s block", b.type)
    return []


def _system(system: str | list[TextBlock] | None) -> list[Message]:
    if system is None:
        return []
    text = system if isinstance(system, str) else "\n\n".join(b.text for b in system)
    return [Message(role="system", content=[TextPart(text)])] if text else []


def _tools(tools: list[ToolIn] | None) -> list[Tool]:
    out: list[Tool] = []
    for t in tools or ():
        if t.type not in (None, "custom") or t.input_schema is None:
            log.info("anthropic: dropped server tool %r (type %s): the backend cannot run it", t.name, t.type)
            continue
        out.append(Tool(t.name, t.description or "", t.input_schema))
    return out


def _tool_choice(tc: ToolChoiceIn | None) -> str | dict[str, Any] | None:
    if tc is None:
        return None
    if tc.type == "tool":
        if not tc.name:
            raise InvalidRequest("tool_choice of type 'tool' needs a name", param="tool_choice.name")
        return {"name": tc.name}
    return {"auto": "auto", "any": "required", "none": "none"}[tc.type]


def parse_request(body: Any) -> CanonicalRequest:
    if not isinstance(body, dict):
        raise InvalidRequest("request body must be a JSON object")
    try:
        r = MessagesRequest.model_validate(body)
    except ValidationError as exc:
        raise validation_error(exc) from None
    messages = _system(r.system)
    for m in r.messages:
        messages += _messages(m)
    extra: dict[str, Any] = {}
    if r.top_k is not None:
        extra["top_k"] = r.top_k
    if r.tool_choice is not None and r.tool_choice.disable_parallel_tool_use:
        extra["parallel_tool_calls"] = False
    user = (r.metadata or {}).get("user_id")
    return CanonicalRequest(
        model=r.model,
        messages=messages,
        tools=_tools(r.tools),
        tool_choice=_tool_choice(r.tool_choice),
        stream=bool(r.stream),
        max_tokens=r.max_tokens,
        temperature=r.temperature,
        top_p=r.top_p,
        stop=list(r.stop_sequences or ()),
        user=user if isinstance(user, str) else None,
        metadata=r.metadata or {},
        extra=extra,
        thinking=r.thinking,
    )


def count_tokens(request: CanonicalRequest, tokens: int | None = None) -> bytes:
    """The body of `POST /v1/messages/count_tokens` for an already parsed request: `tokens` as the
    backend counted them, else the estimate."""
    return orjson.dumps({"input_tokens": estimate_request_tokens(request) if tokens is None else tokens})


# ---- rendering -----------------------------------------------------------------------------------

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


class AnthropicMessages:
    name = "anthropic"
    error_style = "anthropic"

    def parse(self, body: Any) -> Parsed:
        return Parsed(check_conversation(parse_request(body)))

    def parse_request(self, body: Any) -> CanonicalRequest:
        return self.parse(body).request

    def render_json(self, completion: Completion, meta: ResponseMeta) -> bytes:
        return render_json(completion, meta)

    def stream_renderer(self, meta: ResponseMeta) -> MessagesStream:
        return MessagesStream(meta)

    def count_tokens(self, request: CanonicalRequest, tokens: int | None = None) -> bytes:
        return count_tokens(request, tokens)
