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
from backends.errors import InvalidRequest, SwitchpointError

from .base import Completion, ResponseMeta, openai_error_body, sse, validation_error

log = logging.getLogger(__name__)

# ---- wire models (unknown fields tolerated, as clients send many) --------------------------------


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class InputText(_Loose):
    type: Literal["input_text", "output_text", "text"]
    text: str


class Refusal(_Loose):
    type: Literal["refusal"]
    refusal: str


class InputImage(_Loose):
    type: Literal["input_image"]
    image_url: str | None = None
    file_id: str | None = None
    detail: str | None = None


class OtherPart(_Loose):
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


class MessageItem(_Loose):
    type: Literal["message"] = "message"
    role: Literal["user", "assistant", "system", "developer"]
    content: str | list[Part]


class FunctionCallItem(_Loose):
    type: Literal["function_call"]
    call_id: str
    name: str
    arguments: str = ""
    namespace: str | None = None


class FunctionCallOutputItem(_Loose):
    type: Literal["function_call_output"]
    call_id: str
    output: str | list[Part]


class OtherItem(_Loose):
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


class ToolIn(_Loose):
    type: str
    name: str | None = None
    description: str | None = None
    parameters: dict[str, Any] | None = None
    tools: list[ToolIn] | None = None  # type "namespace"


class TextFormat(_Loose):
    type: str = "text"
    name: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class TextConfig(_Loose):
    format: TextFormat | None = None


class Reasoning(_Loose):
    effort: str | None = None


class ResponsesRequest(_Loose):
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
        dialect="responses",
        native=dict(r.model_extra or {}),
    )


# ---- rendering -----------------------------------------------------------------------------------


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


# ---- the dialect ---------------------------------------------------------------------------------


def _namespaces_of(meta: ResponseMeta) -> Namespaces:
    """The namespaces parse_request recorded on the request this answer is for."""
    ns = meta.request.native.get("namespaces") if meta.request is not None else None
    return ns if isinstance(ns, Namespaces) else Namespaces()


class OpenAIResponses:
    name = "responses"
    error_style = "openai"

    def parse_request(self, body: Any) -> CanonicalRequest:
        ns = Namespaces()
        request = parse_request(body, ns)
        request.native["namespaces"] = ns
        return request

    def render_json(self, completion: Completion, meta: ResponseMeta) -> bytes:
        return render_json(completion, meta, _namespaces_of(meta))

    def stream_renderer(self, meta: ResponseMeta) -> ResponsesStream:
        return ResponsesStream(meta, _namespaces_of(meta))

    def error_body(self, exc: SwitchpointError) -> bytes:
        return orjson.dumps(openai_error_body(exc))
