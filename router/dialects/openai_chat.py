"""OpenAI chat completions: `POST /v1/chat/completions`, JSON and SSE."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from pydantic import Field, ValidationError

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
from backends.errors import InvalidRequest, SwitchpointError

from .base import Completion, Loose, Parsed, ResponseMeta, openai_error_body, sse, validation_error
from .checks import check_conversation

# ---- wire models (unknown fields tolerated, as clients send many) --------------------------------


class TextPartIn(Loose):
    type: Literal["text"]
    text: str


class ImageURL(Loose):
    url: str
    detail: str | None = None


class ImagePartIn(Loose):
    type: Literal["image_url"]
    image_url: ImageURL


class RefusalPartIn(Loose):
    type: Literal["refusal"]
    refusal: str


PartIn = Annotated[TextPartIn | ImagePartIn | RefusalPartIn, Field(discriminator="type")]


class FunctionCallIn(Loose):
    name: str
    arguments: str = ""


class ToolCallIn(Loose):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCallIn


class MessageIn(Loose):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[PartIn] | None = None
    name: str | None = None
    tool_calls: list[ToolCallIn] | None = None
    tool_call_id: str | None = None


class FunctionDef(Loose):
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None


class ToolIn(Loose):
    type: Literal["function"]
    function: FunctionDef


class StreamOptions(Loose):
    include_usage: bool | None = None


class ChatRequest(Loose):
    model: str
    messages: list[MessageIn] = Field(min_length=1)
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    tools: list[ToolIn] | None = None
    tool_choice: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    stop: str | list[str] | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    seed: int | None = None
    n: int | None = None
    user: str | None = None
    metadata: dict[str, Any] | None = None
    reasoning_effort: str | None = None


# ---- parsing -------------------------------------------------------------------------------------


def _parts(content: str | list[Any] | None) -> list[ContentPart]:
    if content is None:
        return []
    if isinstance(content, str):
        return [TextPart(content)]
    out: list[ContentPart] = []
    for p in content:
        if isinstance(p, TextPartIn):
            out.append(TextPart(p.text))
        elif isinstance(p, ImagePartIn):
            out.append(ImagePart(p.image_url.url, p.image_url.detail))
        elif isinstance(p, RefusalPartIn):
            out.append(TextPart(p.refusal))
    return out


def _message(m: MessageIn) -> Message:
    return Message(
        role="system" if m.role == "developer" else m.role,
        content=_parts(m.content),
        tool_calls=[ToolCall(tc.id, tc.function.name, tc.function.arguments) for tc in m.tool_calls or ()],
        tool_call_id=m.tool_call_id,
        name=m.name,
    )


def _tool_choice(tc: str | dict[str, Any] | None) -> str | dict[str, Any] | None:
    if isinstance(tc, dict):
        name = (tc.get("function") or {}).get("name")
        if not name:
            raise InvalidRequest("tool_choice object needs function.name", param="tool_choice")
        return {"name": name}
    if tc is not None and tc not in ("auto", "none", "required"):
        raise InvalidRequest(f"invalid tool_choice '{tc}'", param="tool_choice")
    return tc


def parse_request(body: Any) -> CanonicalRequest:
    if not isinstance(body, dict):
        raise InvalidRequest("request body must be a JSON object")
    try:
        r = ChatRequest.model_validate(body)
    except ValidationError as exc:
        raise validation_error(exc) from None
    if r.n is not None and r.n != 1:
        raise InvalidRequest("n > 1 is not supported: send one request per choice", param="n")
    return CanonicalRequest(
        model=r.model,
        messages=[_message(m) for m in r.messages],
        tools=[Tool(t.function.name, t.function.description or "", t.function.parameters or {}) for t in r.tools or ()],
        tool_choice=_tool_choice(r.tool_choice),
        stream=bool(r.stream),
        max_tokens=r.max_completion_tokens or r.max_tokens,
        temperature=r.temperature,
        top_p=r.top_p,
        seed=r.seed,
        stop=[r.stop] if isinstance(r.stop, str) else list(r.stop or ()),
        response_format=r.response_format,
        user=r.user,
        metadata=r.metadata or {},
        reasoning_effort=r.reasoning_effort,
        # OpenAI fields the canonical request does not model, for OpenAI-compatible upstreams; metadata
        # is both (rules match on it, and an OpenAI client's metadata reaches an OpenAI upstream).
        extra={**(r.model_extra or {}), **({"metadata": r.metadata} if r.metadata else {})},
    )


# ---- rendering -----------------------------------------------------------------------------------


def usage_json(u: Usage | None) -> dict[str, Any]:
    u = u or Usage()
    return {
        "prompt_tokens": u.input_tokens,
        "completion_tokens": u.output_tokens,
        "total_tokens": u.input_tokens + u.output_tokens,
        "prompt_tokens_details": {"cached_tokens": u.cached_tokens},
    }


def render_json(c: Completion, meta: ResponseMeta) -> bytes:
    message: dict[str, Any] = {"role": "assistant", "content": c.text or (None if c.tool_calls else "")}
    if c.tool_calls:
        message["tool_calls"] = [
            {"id": t.id, "type": "function", "function": {"name": t.name, "arguments": t.arguments}}
            for t in c.tool_calls
        ]
    return orjson.dumps(
        {
            "id": meta.id,
            "object": "chat.completion",
            "created": meta.created,
            "model": meta.model,
            "choices": [{"index": 0, "message": message, "finish_reason": c.finish_reason or "stop", "logprobs": None}],
            "usage": usage_json(c.usage),
        }
    )


class ChatStream:
    def __init__(self, meta: ResponseMeta) -> None:
        self.meta = meta
        self._head = {"id": meta.id, "object": "chat.completion.chunk", "created": meta.created, "model": meta.model}

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        return sse({**self._head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    def start(self) -> bytes:
        return self._chunk({"role": "assistant", "content": ""})

    def event(self, ev: Event) -> bytes:
        if isinstance(ev, TextDelta):
            return self._chunk({"content": ev.text})
        if isinstance(ev, ToolCallDelta):
            call: dict[str, Any] = {"index": ev.index, "function": {"arguments": ev.arguments}}
            if ev.id is not None:
                call["id"] = ev.id
                call["type"] = "function"
            if ev.name is not None:
                call["function"]["name"] = ev.name
            return self._chunk({"tool_calls": [call]})
        return b""

    def finish(self, c: Completion) -> bytes:
        out = self._chunk({}, c.finish_reason or "stop")
        if self.meta.include_usage:
            out += sse({**self._head, "choices": [], "usage": usage_json(c.usage)})
        return out + b"data: [DONE]\n\n"

    def error(self, exc: SwitchpointError) -> bytes:
        return sse(openai_error_body(exc))


class OpenAIChat:
    name = "openai"
    error_style = "openai"

    def parse(self, body: Any) -> Parsed:
        request = check_conversation(parse_request(body))
        options = body.get("stream_options")  # a dict: parse_request validated the body
        return Parsed(request, include_usage=bool(isinstance(options, dict) and options.get("include_usage")))

    def parse_request(self, body: Any) -> CanonicalRequest:
        return self.parse(body).request

    def render_json(self, completion: Completion, meta: ResponseMeta) -> bytes:
        return render_json(completion, meta)

    def stream_renderer(self, meta: ResponseMeta) -> ChatStream:
        return ChatStream(meta)
