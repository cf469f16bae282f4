"""OpenAI Responses: parsing into the canonical request, and rendering read back by the openai SDK."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import openai
import orjson
import pytest

from backends.contract import Event, Finish, ImagePart, TextDelta, TextPart, ToolCall, ToolCallDelta, Usage
from backends.errors import (
    AuthError,
    BackendConnectError,
    BackendStatusError,
    InvalidRequest,
    RateLimited,
    SwitchpointError,
    UnknownModel,
)
from router.dialects import Completion, ResponseMeta, get_dialect
from router.dialects.responses import OpenAIResponses
from router.http_errors import error_response

from .helpers import openai_client, render_stream, sse_events

META = ResponseMeta("abc123", "qwen-coder", created=1700000000)
USER = [{"role": "user", "content": "hi"}]
NS_TOOLS = [
    {"type": "function", "name": "exec_command", "parameters": {"type": "object"}, "strict": False},
    {
        "type": "namespace",
        "name": "multi_agent_v1",
        "description": "sub-agents",
        "tools": [
            {
                "type": "function",
                "name": "close_agent",
                "description": "close",
                "parameters": {"type": "object"},
            },
            {"type": "function", "name": "spawn_agent", "parameters": {"type": "object"}},
        ],
    },
    {"type": "web_search", "external_web_access": True},
]


def parse(**kw: Any) -> Any:
    return OpenAIResponses().parse_request({"model": "gpt-5", "input": USER, **kw})


def run(fn: Any) -> Any:
    return fn()


# ---- parsing -------------------------------------------------------------------------------------


def test_get_dialect_builds_it() -> None:
    d = get_dialect("responses")
    assert isinstance(d, OpenAIResponses)
    assert d.name == "responses" and d.error_style == "openai"


def test_string_input_and_instructions() -> None:
    r = OpenAIResponses().parse_request({"model": "gpt-5", "input": "hi", "instructions": "be brief"})
    assert [(m.role, m.text()) for m in r.messages] == [("system", "be brief"), ("user", "hi")]
    assert r.model == "gpt-5" and not r.stream


def test_message_items_roles_and_parts() -> None:
    items = [
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "rules"}]},
        {"role": "system", "content": "sys"},
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_text", "text": "look"},
                {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "low"},
                {"type": "input_file", "file_id": "file_1"},
            ],
        },
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "a cat"}]},
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "xx"},
    ]
    r = parse(input=items)
    assert [m.role for m in r.messages] == ["system", "system", "user", "assistant"]
    assert r.messages[2].content == [TextPart("look"), ImagePart("data:image/png;base64,AAAA", "low")]
    assert r.messages[3].text() == "a cat"


def test_image_by_file_id_is_refused() -> None:
    items = [{"role": "user", "content": [{"type": "input_image", "file_id": "file_1"}]}]
    with pytest.raises(InvalidRequest) as e:
        parse(input=items)
    assert e.value.param == "image_url"


def test_function_calls_and_outputs() -> None:
    items = [
        {"role": "user", "content": "two lookups"},
        {"type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": '{"cmd": "ls"}'},
        {
            "type": "function_call",
            "call_id": "c2",
            "name": "close_agent",
            "namespace": "multi_agent_v1",
            "arguments": "{}",
        },
        {"type": "function_call_output", "call_id": "c1", "output": "a.txt"},
        {
            "type": "function_call_output",
            "call_id": "c2",
            "output": [{"type": "input_text", "text": "closed"}],
        },
    ]
    r = parse(input=items, tools=NS_TOOLS)
    assert [m.role for m in r.messages] == ["user", "assistant", "tool", "tool"]
    assert r.messages[1].tool_calls == [
        ToolCall("c1", "exec_command", '{"cmd": "ls"}'),
        ToolCall("c2", "multi_agent_v1__close_agent", "{}"),
    ]
    assert [(m.tool_call_id, m.text()) for m in r.messages[2:]] == [("c1", "a.txt"), ("c2", "closed")]


def test_assistant_text_and_its_calls_are_one_turn() -> None:
    items = [
        {"role": "user", "content": "go"},
        {"type": "reasoning", "id": "rs_1", "summary": []},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Running it."}]},
        {"type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "ok"},
        {"type": "function_call", "call_id": "c2", "name": "exec_command", "arguments": "{}"},
    ]
    r = parse(input=items)
    assert [(m.role, m.text(), [c.id for c in m.tool_calls]) for m in r.messages] == [
        ("user", "go", []),
        ("assistant", "Running it.", ["c1"]),
        ("tool", "ok", []),
        ("assistant", "", ["c2"]),
    ]


def test_item_reference_is_a_clear_400() -> None:
    with pytest.raises(InvalidRequest, match="stateless") as e:
        parse(input=[{"type": "item_reference", "id": "msg_1"}])
    assert e.value.param == "input"


def test_namespace_names_back_to_the_client() -> None:
    def go() -> list[tuple[str | None, str]]:
        tools = [*NS_TOOLS, {"type": "function", "name": "spawn_agent", "parameters": {}}]
        d = OpenAIResponses()
        parsed = d.parse({"model": "gpt-5", "input": USER, "tools": tools})
        names = ["multi_agent_v1__close_agent", "close_agent", "spawn_agent", "exec_command", "unknown"]
        c = completion(*(ToolCallDelta(i, f"c{i}", n, "{}") for i, n in enumerate(names)))
        out = orjson.loads(d.render_json(c, replace(META, request=parsed.request, state=parsed.state)))["output"]
        return [(o.get("namespace"), o["name"]) for o in out]

    assert run(go) == [
        ("multi_agent_v1", "close_agent"),
        ("multi_agent_v1", "close_agent"),  # the model dropped the prefix: still one function of that name
        (None, "spawn_agent"),  # a plain function of the same name wins over the namespaced one
        (None, "exec_command"),
        (None, "unknown"),
    ]


def test_tools_namespaces_flattened_hosted_dropped(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="router.dialects.responses"):
        r = parse(tools=NS_TOOLS, tool_choice="auto", parallel_tool_calls=True)
    assert [t.name for t in r.tools] == [
        "exec_command",
        "multi_agent_v1__close_agent",
        "multi_agent_v1__spawn_agent",
    ]
    assert r.tools[1].description == "close" and r.tools[2].description == "sub-agents"
    assert "web_search" in caplog.text
    assert r.tool_choice == "auto" and r.extra == {"parallel_tool_calls": True}


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("none", "none"),
        ("required", "required"),
        ({"type": "function", "name": "exec_command"}, {"name": "exec_command"}),
        ({"type": "allowed_tools", "mode": "required", "tools": []}, "required"),
        ({"type": "web_search"}, "auto"),
    ],
)
def test_tool_choice(choice: Any, expected: Any) -> None:
    assert parse(tool_choice=choice).tool_choice == expected


def test_tool_choice_errors() -> None:
    with pytest.raises(InvalidRequest):
        parse(tool_choice="sometimes")
    with pytest.raises(InvalidRequest) as e:
        parse(tool_choice={"type": "function"})
    assert e.value.param == "tool_choice.name"


def test_previous_response_id_is_a_clear_400() -> None:
    with pytest.raises(InvalidRequest, match="stateless") as e:
        parse(previous_response_id="resp_1")
    assert e.value.param == "previous_response_id" and e.value.status == 400


def test_options() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    r = parse(
        max_output_tokens=256,
        temperature=0.2,
        top_p=0.5,
        stream=True,
        store=False,
        include=["reasoning.encrypted_content"],
        reasoning={"effort": "high", "summary": "auto"},
        text={"format": {"type": "json_schema", "name": "out", "schema": schema, "strict": True}},
        prompt_cache_key="k",
        user="u1",
    )
    assert (r.max_tokens, r.temperature, r.top_p, r.stream, r.user) == (256, 0.2, 0.5, True, "u1")
    assert r.reasoning_effort == "high"
    assert r.response_format == {
        "type": "json_schema",
        "json_schema": {"name": "out", "schema": schema, "strict": True},
    }
    assert parse(text={"format": {"type": "json_object"}}).response_format == {"type": "json_object"}
    assert parse(text={"format": {"type": "text"}}).response_format is None


@pytest.mark.parametrize(
    ("bad", "param"),
    [({"model": "m"}, "input"), ({"model": "m", "input": "x", "max_output_tokens": 0}, "max_output_tokens")],
)
def test_validation_errors_name_the_field(bad: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequest) as e:
        OpenAIResponses().parse_request(bad)
    assert e.value.param == param


# ---- rendering -----------------------------------------------------------------------------------


def completion(*events: Event) -> Completion:
    c = Completion()
    for ev in events:
        c.add(ev)
    return c


def test_json_through_the_sdk_with_namespaced_call() -> None:
    def go() -> bytes:
        d = OpenAIResponses()
        parsed = d.parse({"model": "gpt-5", "input": USER, "tools": NS_TOOLS})
        c = completion(
            TextDelta("Closing it."),
            ToolCallDelta(0, "call_1", "multi_agent_v1__close_agent", '{"target": "a1"}'),
            ToolCallDelta(1, "call_2", "exec_command", '{"cmd": "ls"}'),
            Usage(100, 20, cached_tokens=64),
            Finish("tool_calls"),
        )
        return d.render_json(c, replace(META, request=parsed.request, state=parsed.state))

    with openai_client(run(go)) as client:
        resp = client.responses.create(model="gpt-5", input="x")
    assert resp.id == "resp_abc123" and resp.object == "response" and resp.status == "completed"
    assert resp.model == "qwen-coder" and resp.output_text == "Closing it."
    calls = [o for o in resp.output if o.type == "function_call"]
    assert [(c.call_id, c.name, c.namespace, c.arguments) for c in calls] == [
        ("call_1", "close_agent", "multi_agent_v1", '{"target": "a1"}'),
        ("call_2", "exec_command", None, '{"cmd": "ls"}'),
    ]
    assert resp.usage is not None
    assert (resp.usage.input_tokens, resp.usage.output_tokens, resp.usage.total_tokens) == (100, 20, 120)
    assert resp.usage.input_tokens_details.cached_tokens == 64


def test_json_length_is_incomplete() -> None:
    data = orjson.loads(OpenAIResponses().render_json(completion(TextDelta("abc"), Finish("length")), META))
    assert data["status"] == "incomplete" and data["incomplete_details"] == {"reason": "max_output_tokens"}


STREAM: list[Event] = [
    TextDelta("Let me "),
    TextDelta("run it."),
    ToolCallDelta(0, "call_1", "exec_command", ""),
    ToolCallDelta(0, arguments='{"cmd":'),
    ToolCallDelta(0, arguments=' "ls"}'),
    ToolCallDelta(1, "call_2", "multi_agent_v1__spawn_agent", '{"message": "go"}'),
    Usage(300, 40, cached_tokens=128),
    Finish("tool_calls"),
]


def streamed(events: list[Event], fail: SwitchpointError | None = None) -> bytes:
    def go() -> bytes:
        d = OpenAIResponses()
        parsed = d.parse({"model": "gpt-5", "input": USER, "tools": NS_TOOLS, "stream": True})
        return render_stream(d.stream_renderer(replace(META, request=parsed.request, state=parsed.state)), events, fail)

    return run(go)  # type: ignore[no-any-return]


def test_stream_carries_the_full_event_sequence() -> None:
    events = sse_events(streamed(STREAM))
    names = [n for n, _ in events]
    assert names == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [d["sequence_number"] for _, d in events] == list(range(len(events)))  # type: ignore[index]
    assert all(d["type"] == n for n, d in events)  # type: ignore[index]
    done = events[-1][1]
    assert done["response"]["usage"]["total_tokens"] == 340  # type: ignore[index]


def test_stream_through_the_sdk() -> None:
    with (
        openai_client(streamed(STREAM), content_type="text/event-stream") as client,
        client.responses.stream(model="gpt-5", input="x") as stream,
    ):
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        resp = stream.get_final_response()
    assert "".join(deltas) == "Let me run it." and resp.output_text == "Let me run it."
    calls = [o for o in resp.output if o.type == "function_call"]
    assert [(c.call_id, c.name, c.namespace, c.arguments) for c in calls] == [
        ("call_1", "exec_command", None, '{"cmd": "ls"}'),
        ("call_2", "spawn_agent", "multi_agent_v1", '{"message": "go"}'),
    ]
    assert resp.status == "completed" and resp.usage is not None
    assert (resp.usage.input_tokens, resp.usage.output_tokens) == (300, 40)


def test_stream_raw_events_through_the_sdk() -> None:
    with openai_client(streamed(STREAM), content_type="text/event-stream") as client:
        kinds = [e.type for e in client.responses.create(model="gpt-5", input="x", stream=True)]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"


def test_stream_text_only_and_length() -> None:
    events = sse_events(streamed([TextDelta("abc"), Finish("length")]))
    assert events[-1][0] == "response.incomplete"
    assert events[-1][1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}  # type: ignore[index]
    with (
        openai_client(streamed([TextDelta("abc"), Finish("stop")]), content_type="text/event-stream") as client,
        client.responses.stream(model="gpt-5", input="x") as stream,
    ):
        resp = stream.get_final_response()
    assert resp.output_text == "abc" and resp.status == "completed"


def test_stream_text_after_a_tool_call_opens_a_new_message() -> None:
    events = [ToolCallDelta(0, "c", "exec_command", "{}"), TextDelta("done"), Finish("stop")]
    with (
        openai_client(streamed(events), content_type="text/event-stream") as client,
        client.responses.stream(model="gpt-5", input="x") as stream,
    ):
        resp = stream.get_final_response()
    assert [o.type for o in resp.output] == ["function_call", "message"]


def test_mid_stream_failure_ends_with_response_failed() -> None:
    exc = BackendConnectError("upstream went away", backend="qwen")
    raw = streamed([TextDelta("partial")], fail=exc)
    name, data = sse_events(raw)[-1]
    assert name == "response.failed"
    assert data["response"]["status"] == "failed"  # type: ignore[index]
    assert data["response"]["error"] == {"code": "upstream_connect_error", "message": "upstream went away"}  # type: ignore[index]
    with openai_client(raw, content_type="text/event-stream") as client:
        kinds = [e.type for e in client.responses.create(model="gpt-5", input="x", stream=True)]
    assert kinds[-1] == "response.failed"


def test_render_without_a_parse_in_context_keeps_names() -> None:
    def go() -> bytes:
        c = completion(ToolCallDelta(0, "c", "multi_agent_v1__close_agent", "{}"), Finish("tool_calls"))
        return OpenAIResponses().render_json(c, META)

    item = orjson.loads(run(go))["output"][0]
    assert item["name"] == "multi_agent_v1__close_agent" and "namespace" not in item


# ---- errors before the first byte ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "sdk_error"),
    [
        (InvalidRequest("bad field", param="input"), openai.BadRequestError),
        (AuthError("no key"), openai.AuthenticationError),
        (UnknownModel("no such model"), openai.NotFoundError),
        (RateLimited("slow down"), openai.RateLimitError),
        (BackendStatusError("upstream 500"), openai.InternalServerError),
    ],
)
def test_errors_in_openai_shape(exc: SwitchpointError, sdk_error: type[openai.APIStatusError]) -> None:
    raw = error_response(exc, OpenAIResponses.error_style).body
    assert orjson.loads(raw) == {
        "error": {"message": exc.message, "type": exc.type, "param": exc.param, "code": exc.code}
    }
    with openai_client(raw, status=exc.status) as client, pytest.raises(sdk_error) as e:
        client.responses.create(model="gpt-5", input="x")
    assert e.value.code == exc.code and exc.message in str(e.value)
