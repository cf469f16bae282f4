"""Anthropic Messages: `POST /v1/messages` (also `?beta=true`) and `/v1/messages/count_tokens`, JSON and SSE.

Parsing keeps Anthropic's `thinking` settings (Claude models behind litellm take them); options only an
Anthropic upstream understands (`output_config`, `context_management`, ...) are not carried further.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

import orjson
from pydantic import Discriminator, Field, Tag, ValidationError

from backends.contract import CanonicalRequest, ContentPart, ImagePart, Message, TextPart, Tool, ToolCall
from backends.errors import InvalidRequest
from backends.tokens import estimate_request_tokens

from .anthropic_render import MessagesStream, render_json
from .base import Completion, Loose, Parsed, ResponseMeta, validation_error
from .checks import check_conversation

log = logging.getLogger(__name__)

# ---- wire models (unknown fields tolerated, as clients send many) --------------------------------


class TextBlock(Loose):
    type: Literal["text"]
    text: str


class ImageSource(Loose):
    type: Literal["base64", "url"]
    media_type: str | None = None
    data: str | None = None
    url: str | None = None


class ImageBlock(Loose):
    type: Literal["image"]
    source: ImageSource


class OtherBlock(Loose):
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


class ToolUseBlock(Loose):
    type: Literal["tool_use"]
    id: str
    name: str
    input: Any = None


class ToolResultBlock(Loose):
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


class MessageIn(Loose):
    role: Literal["user", "assistant", "system"]
    content: str | list[Block]


class ToolIn(Loose):
    name: str
    type: str | None = None  # absent or "custom" for client tools; server tools carry a versioned type
    description: str | None = None
    input_schema: dict[str, Any] | None = None


class ToolChoiceIn(Loose):
    type: Literal["auto", "any", "tool", "none"]
    name: str | None = None
    disable_parallel_tool_use: bool | None = None


class MessagesRequest(Loose):
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
