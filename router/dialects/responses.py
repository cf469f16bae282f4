"""OpenAI Responses: `POST /v1/responses`, stateless (clients re-send the history), JSON and SSE.

Function tools grouped in a `namespace` (Codex sends them) are flattened to `namespace__name` for the
backend, as Codex itself does where a boundary cannot keep the split; calls come back to the client
under their own name with `namespace` set. The dialect remembers that mapping between
`parse_request` and rendering in a context variable: the app shares one dialect instance across
requests, and each request (parse, then render) runs in its own context.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, ValidationError

from backends.contract import CanonicalRequest, ContentPart, ImagePart, Message, TextPart, Tool, ToolCall
from backends.errors import InvalidRequest

from .base import Completion, Loose, Parsed, ResponseMeta, validation_error
from .checks import check_conversation
from .responses_render import Namespaces, ResponsesStream, render_json

log = logging.getLogger(__name__)

# ---- wire models (unknown fields tolerated, as clients send many) --------------------------------


class InputText(Loose):
    type: Literal["input_text", "output_text", "text"]
    text: str


class Refusal(Loose):
    type: Literal["refusal"]
    refusal: str


class InputImage(Loose):
    type: Literal["input_image"]
    image_url: str | None = None
    file_id: str | None = None
    detail: str | None = None


class OtherPart(Loose):
    """input_file, input_audio and the like: nothing a chat backend can take."""

    type: str


def _part_tag(v: Any) -> str:
    kind = v.get("type") if isinstance(v, dict) else getattr(v, "type", None)
    if kind in ("input_text", "output_text", "text"):
        return "text"
    return kind if kind in ("refusal", "input_image") else "other"


Part = Annotated[
    Annotated[InputText, Tag("text")]
    | Annotated[Refusal, Tag("refusal")]
    | Annotated[InputImage, Tag("input_image")]
    | Annotated[OtherPart, Tag("other")],
    Discriminator(_part_tag),
]


class MessageItem(Loose):
    type: Literal["message"] = "message"
    role: Literal["user", "assistant", "system", "developer"]
    content: str | list[Part]


class FunctionCallItem(Loose):
    type: Literal["function_call"]
    call_id: str
    name: str
    arguments: str = ""
    namespace: str | None = None


class FunctionCallOutputItem(Loose):
    type: Literal["function_call_output"]
    call_id: str
    output: str | list[Part]


class OtherItem(Loose):
    """Reasoning items, hosted tool calls and their results: meaningful only to OpenAI."""

    type: str


_ITEM_TAGS = frozenset({"message", "function_call", "function_call_output"})


def _item_tag(v: Any) -> str:
    kind = v.get("type", "message") if isinstance(v, dict) else getattr(v, "type", None)
    return kind if isinstance(kind, str) and kind in _ITEM_TAGS else "other"


Item = Annotated[
    Annotated[MessageItem, Tag("message")]
    | Annotated[FunctionCallItem, Tag("function_call")]
    | Annotated[FunctionCallOutputItem, Tag("function_call_output")]
    | Annotated[OtherItem, Tag("other")],
    Discriminator(_item_tag),
]


class ToolIn(Loose):
    type: str
    name: str | None = None
    description: str | None = None
    parameters: dict[str, Any] | None = None
    tools: list[ToolIn] | None = None  # type "namespace"


class TextFormat(Loose):
    type: str = "text"
    name: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class TextConfig(Loose):
    format: TextFormat | None = None


class Reasoning(Loose):
    effort: str | None = None


class ResponsesRequest(Loose):
    model: str
    input: str | list[Item]
    instructions: str | None = None
    previous_response_id: str | None = None
    stream: bool | None = False
    tools: list[ToolIn] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    max_output_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    text: TextConfig | None = None
    reasoning: Reasoning | None = None
    user: str | None = None
    metadata: dict[str, Any] | None = None


# ---- parsing -------------------------------------------------------------------------------------


def _parts(content: str | list[Any]) -> list[ContentPart]:
    if isinstance(content, str):
        return [TextPart(content)]
    out: list[ContentPart] = []
    for p in content:
        if isinstance(p, InputText):
            out.append(TextPart(p.text))
        elif isinstance(p, Refusal):
            out.append(TextPart(p.refusal))
        elif isinstance(p, InputImage):
            if not p.image_url:
                raise InvalidRequest("input_image needs image_url: file_id needs stored files", param="image_url")
            out.append(ImagePart(p.image_url, p.detail))
        else:
            log.info("responses: dropped input part of type %s", p.type)
    return out


def flat_name(namespace: str, name: str) -> str:
    return f"{namespace.rstrip('_')}__{name.lstrip('_')}"


def _tools(tools: list[ToolIn] | None, ns: Namespaces) -> list[Tool]:
    out: list[Tool] = []
    for t in tools or ():
        if t.type == "function" and t.name:
            ns.add_plain(t.name)
            out.append(Tool(t.name, t.description or "", t.parameters or {}))
        elif t.type == "namespace" and t.name:
            for child in t.tools or ():
                if child.type != "function" or not child.name:
                    log.info("responses: dropped %s tool in namespace %s", child.type, t.name)
                    continue
                flat = flat_name(t.name, child.name)
                ns.add(flat, t.name, child.name)
                out.append(Tool(flat, child.description or t.description or "", child.parameters or {}))
        else:
            log.info("responses: dropped hosted tool of type %s: the backend cannot run it", t.type)
    return out


def _input(items: str | list[Any], ns: Namespaces) -> list[Message]:
    if isinstance(items, str):
        return [Message(role="user", content=[TextPart(items)])]
    out: list[Message] = []
    for it in items:
        if isinstance(it, MessageItem):
            role = "system" if it.role == "developer" else it.role
            out.append(Message(role=role, content=_parts(it.content)))
        elif isinstance(it, FunctionCallItem):
            name = flat_name(it.namespace, it.name) if it.namespace else it.name
            call = ToolCall(it.call_id, name, it.arguments)
            # The assistant's text and its (parallel) calls arrive as consecutive items: one turn holds them.
            if out and out[-1].role == "assistant":
                out[-1].tool_calls.append(call)
            else:
                out.append(Message(role="assistant", tool_calls=[call]))
        elif isinstance(it, FunctionCallOutputItem):
            parts = _parts(it.output)
            text = "".join(p.text for p in parts if isinstance(p, TextPart))
            out.append(Message(role="tool", content=[TextPart(text)], tool_call_id=it.call_id))
            images = [p for p in parts if isinstance(p, ImagePart)]
            if images:
                out.append(Message(role="user", content=[TextPart(f"(images from {it.call_id})"), *images]))
        elif it.type == "item_reference":
            raise InvalidRequest(
                "item_reference needs stored responses: Switchpoint is stateless, send the items themselves",
                param="input",
            )
        else:
            log.debug("responses: dropped input item of type %s", it.type)
    return out


def _tool_choice(tc: str | dict[str, Any] | None) -> str | dict[str, Any] | None:
    if tc is None or tc in ("auto", "none", "required"):
        return tc
    if isinstance(tc, dict):
        if tc.get("type") == "function":
            if not tc.get("name"):
                raise InvalidRequest("tool_choice of type function needs a name", param="tool_choice.name")
            return {"name": tc["name"]}
        if tc.get("type") == "allowed_tools":
            return "required" if tc.get("mode") == "required" else "auto"
        return "auto"  # a hosted tool was asked for: the backend picks among what it has
    raise InvalidRequest(f"invalid tool_choice '{tc}'", param="tool_choice")


def _response_format(text: TextConfig | None) -> dict[str, Any] | None:
    fmt = text.format if text else None
    if fmt is None or fmt.type == "text":
        return None
    if fmt.type == "json_schema":
        schema: dict[str, Any] = {"name": fmt.name or "response", "schema": fmt.schema_ or {}}
        if fmt.strict is not None:
            schema["strict"] = fmt.strict
        return {"type": "json_schema", "json_schema": schema}
    return {"type": fmt.type}


def parse_request(body: Any, ns: Namespaces) -> CanonicalRequest:
    if not isinstance(body, dict):
        raise InvalidRequest("request body must be a JSON object")
    try:
        r = ResponsesRequest.model_validate(body)
    except ValidationError as exc:
        raise validation_error(exc) from None
    if r.previous_response_id:
        raise InvalidRequest(
            "previous_response_id is not supported: Switchpoint is stateless, send the whole conversation "
            "in input (as Codex does with store: false)",
            param="previous_response_id",
        )
    tools = _tools(r.tools, ns)
    messages = [Message(role="system", content=[TextPart(r.instructions)])] if r.instructions else []
    messages += _input(r.input, ns)
    extra: dict[str, Any] = {}
    if r.parallel_tool_calls is not None and tools:
        extra["parallel_tool_calls"] = r.parallel_tool_calls
    return CanonicalRequest(
        model=r.model,
        messages=messages,
        tools=tools,
        tool_choice=_tool_choice(r.tool_choice),
        stream=bool(r.stream),
        max_tokens=r.max_output_tokens,
        temperature=r.temperature,
        top_p=r.top_p,
        response_format=_response_format(r.text),
        user=r.user,
        metadata=r.metadata or {},
        reasoning_effort=r.reasoning.effort if r.reasoning else None,
        extra=extra,
    )


# ---- the dialect ---------------------------------------------------------------------------------


def _namespaces_of(meta: ResponseMeta) -> Namespaces:
    """The namespaces the parse of the request this answer is for recorded."""
    return meta.state if isinstance(meta.state, Namespaces) else Namespaces()


class OpenAIResponses:
    name = "responses"
    error_style = "openai"

    def parse(self, body: Any) -> Parsed:
        ns = Namespaces()
        return Parsed(check_conversation(parse_request(body, ns)), state=ns)

    def parse_request(self, body: Any) -> CanonicalRequest:
        return self.parse(body).request

    def render_json(self, completion: Completion, meta: ResponseMeta) -> bytes:
        return render_json(completion, meta, _namespaces_of(meta))

    def stream_renderer(self, meta: ResponseMeta) -> ResponsesStream:
        return ResponsesStream(meta, _namespaces_of(meta))
