"""Anthropic Messages: parsing into the canonical request, and rendering read back by the anthropic SDK."""

from __future__ import annotations

import logging

import anthropic
import orjson
import pytest

from backends.contract import Finish, ImagePart, TextDelta, TextPart, ToolCall, ToolCallDelta, Usage
from backends.errors import (
    AuthError,
    BackendConnectError,
    BackendStatusError,
    BackendTimeout,
    BodyTooLarge,
    InvalidRequest,
    NoBackendAvailable,
    RateLimited,
    SwitchpointError,
    UnknownModel,
)
from router.dialects import ResponseMeta, get_dialect
from router.dialects.anthropic import AnthropicMessages, count_tokens, parse_request
from router.http_errors import error_response

from .helpers import anthropic_client, render_stream, sse_events

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGMAAQAABQABDQottAAAAABJRU5ErkJggg=="
META = ResponseMeta("abc123", "qwen-coder", created=1700000000)


def body(**kw: object) -> dict[str, object]:
    return {
        "model": "claude-opus-4-8",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "hi"}],
        **kw,
    }


# ---- parsing -------------------------------------------------------------------------------------


def test_get_dialect_builds_it() -> None:
    d = get_dialect("anthropic")
    assert isinstance(d, AnthropicMessages)
    assert d.name == "anthropic" and d.error_style == "anthropic"


def test_system_as_string_and_as_blocks() -> None:
    r = parse_request(body(system="be brief"))
    assert [m.role for m in r.messages] == ["system", "user"]
    assert r.messages[0].text() == "be brief"
    blocks = [
        {"type": "text", "text": "one"},
        {"type": "text", "text": "two", "cache_control": {"type": "ephemeral"}},
    ]
    r = parse_request(body(system=blocks))
    assert r.messages[0].text() == "one\n\ntwo"
    assert r.model == "claude-opus-4-8" and r.max_tokens == 100


def test_system_role_inside_messages_stays_in_place() -> None:
    msgs = [
        {"role": "user", "content": "a"},
        {"role": "system", "content": "reminder"},
        {"role": "user", "content": [{"type": "text", "text": "b"}]},
    ]
    r = parse_request(body(messages=msgs))
    assert [(m.role, m.text()) for m in r.messages] == [("user", "a"), ("system", "reminder"), ("user", "b")]


def test_images_base64_and_url() -> None:
    content = [
        {"type": "text", "text": "what is this?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
    ]
    r = parse_request(body(messages=[{"role": "user", "content": content}]))
    parts = r.messages[0].content
    assert parts[0] == TextPart("what is this?")
    assert parts[1] == ImagePart(f"data:image/png;base64,{PNG}")
    assert parts[2] == ImagePart("https://example.com/cat.jpg")


def test_bad_image_source_is_a_clear_400() -> None:
    content = [{"type": "image", "source": {"type": "base64", "media_type": "image/png"}}]
    with pytest.raises(InvalidRequest, match="media_type and data"):
        parse_request(body(messages=[{"role": "user", "content": content}]))


def test_tool_use_and_tool_results() -> None:
    msgs = [
        {"role": "user", "content": "weather in Oslo and Paris?"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "let me look", "signature": "sig"},
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}},
                {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {"city": "Paris"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "content": "sunny",
                    "cache_control": {"type": "ephemeral"},
                },
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_2",
                    "is_error": True,
                    "content": [
                        {"type": "text", "text": "timeout"},
                        {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}},
                    ],
                },
                {"type": "text", "text": "thanks"},
            ],
        },
    ]
    r = parse_request(body(messages=msgs))
    roles = [m.role for m in r.messages]
    assert roles == ["user", "assistant", "tool", "tool", "user"]
    assistant = r.messages[1]
    assert assistant.text() == "Checking."  # thinking dropped for non-Anthropic models
    assert assistant.tool_calls == [
        ToolCall("toolu_1", "get_weather", '{"city":"Oslo"}'),
        ToolCall("toolu_2", "get_weather", '{"city":"Paris"}'),
    ]
    assert (r.messages[2].tool_call_id, r.messages[2].text()) == ("toolu_1", "sunny")
    assert (r.messages[3].tool_call_id, r.messages[3].text()) == ("toolu_2", "Error: timeout")
    last = r.messages[4]
    assert ImagePart("https://x/y.png") in last.content and last.content[-1] == TextPart("thanks")


def test_thinking_only_turns_and_text_documents() -> None:
    msgs = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm", "signature": "s"}]},
        {
            "role": "user",
            "content": [
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "notes"}},
                {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}},
                {"type": "text", "text": "summarise"},
            ],
        },
    ]
    r = parse_request(body(messages=msgs))
    assert [(m.role, m.text()) for m in r.messages] == [("user", "hi"), ("user", "notessummarise")]


def test_tool_use_with_empty_input() -> None:
    msgs = [{"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "now", "input": {}}]}]
    assert parse_request(body(messages=msgs)).messages[0].tool_calls[0].arguments == "{}"


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, "auto"),
        ({"type": "any"}, "required"),
        ({"type": "none"}, "none"),
        ({"type": "tool", "name": "get_weather"}, {"name": "get_weather"}),
    ],
)
def test_tool_choice(choice: dict[str, str], expected: object) -> None:
    assert parse_request(body(tool_choice=choice)).tool_choice == expected


def test_tool_choice_errors_and_parallel_flag() -> None:
    with pytest.raises(InvalidRequest) as e:
        parse_request(body(tool_choice={"type": "tool"}))
    assert e.value.param == "tool_choice.name"
    with pytest.raises(InvalidRequest) as e:
        parse_request(body(tool_choice={"type": "sometimes"}))
    assert e.value.param is not None and e.value.param.startswith("tool_choice")
    r = parse_request(body(tool_choice={"type": "auto", "disable_parallel_tool_use": True}))
    assert r.extra["parallel_tool_calls"] is False


def test_tools_and_server_tools_dropped(caplog: pytest.LogCaptureFixture) -> None:
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {}}
    tools = [
        {
            "name": "Bash",
            "description": "run",
            "input_schema": schema,
            "cache_control": {"type": "ephemeral"},
        },
        {"type": "custom", "name": "Edit", "input_schema": {"type": "object"}},
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 5},
    ]
    with caplog.at_level(logging.INFO, logger="router.dialects.anthropic"):
        r = parse_request(body(tools=tools))
    assert [(t.name, t.description) for t in r.tools] == [("Bash", "run"), ("Edit", "")]
    assert r.tools[0].parameters == schema  # cleaning per backend is the backend's job
    assert "web_search" in caplog.text


def test_options_and_unknown_fields() -> None:
    r = parse_request(
        body(
            thinking={"type": "adaptive"},
            metadata={"user_id": "u-42"},
            stop_sequences=["\n\nHuman:"],
            temperature=0.5,
            top_p=0.9,
            top_k=40,
            stream=True,
            output_config={"effort": "high"},
            context_management={"edits": []},
        )
    )
    assert r.thinking == {"type": "adaptive"}  # Anthropic-only options (output_config, ...) go no further
    assert r.user == "u-42" and r.metadata == {"user_id": "u-42"}
    assert r.stop == ["\n\nHuman:"]
    assert (r.temperature, r.top_p, r.extra, r.stream) == (0.5, 0.9, {"top_k": 40}, True)


@pytest.mark.parametrize(
    ("bad", "param"),
    [
        ({"model": "m", "max_tokens": 5}, "messages"),
        (body(max_tokens=0), "max_tokens"),
        (body(messages=[{"role": "robot", "content": "x"}]), "messages.0.role"),
        (body(temperature=3), "temperature"),
    ],
)
def test_validation_errors_name_the_field(bad: dict[str, object], param: str) -> None:
    with pytest.raises(InvalidRequest) as e:
        parse_request(bad)
    assert e.value.param == param


def test_body_must_be_an_object() -> None:
    with pytest.raises(InvalidRequest):
        parse_request([1, 2])


def test_count_tokens_grows_with_input() -> None:
    small = orjson.loads(count_tokens(parse_request({"model": "m", "messages": [{"role": "user", "content": "hi"}]})))
    big = orjson.loads(
        count_tokens(parse_request({"model": "m", "messages": [{"role": "user", "content": "hi " * 500}]}))
    )
    assert 0 < small["input_tokens"] < big["input_tokens"]
    with anthropic_client(count_tokens(parse_request(body()))) as client:
        counted = client.messages.count_tokens(model="m", messages=[{"role": "user", "content": "hi"}])
    assert counted.input_tokens > 0


# ---- rendering: JSON -----------------------------------------------------------------------------


def completion(*events: object) -> object:
    from router.dialects import Completion

    c = Completion()
    for ev in events:
        c.add(ev)  # type: ignore[arg-type]
    return c


def test_json_text_and_tool_use_through_the_sdk() -> None:
    c = completion(
        TextDelta("Let me check."),
        ToolCallDelta(0, "toolu_9", "get_weather", '{"city": "Oslo"}'),
        Usage(120, 30, cached_tokens=100),
        Finish("tool_calls"),
    )
    raw = AnthropicMessages().render_json(c, META)  # type: ignore[arg-type]
    with anthropic_client(raw) as client:
        msg = client.messages.create(
            model="claude-opus-4-8", max_tokens=10, messages=[{"role": "user", "content": "x"}]
        )
    assert msg.id == "msg_abc123" and msg.type == "message" and msg.role == "assistant" and msg.model == "qwen-coder"
    assert msg.content[0].type == "text" and msg.content[0].text == "Let me check."
    tool = msg.content[1]
    assert tool.type == "tool_use" and (tool.id, tool.name, tool.input) == (
        "toolu_9",
        "get_weather",
        {"city": "Oslo"},
    )
    assert msg.stop_reason == "tool_use" and msg.stop_sequence is None
    # Anthropic's input_tokens leave the cache reads out (ours include them, as OpenAI's do)
    assert (msg.usage.input_tokens, msg.usage.output_tokens, msg.usage.cache_read_input_tokens) == (
        20,
        30,
        100,
    )


@pytest.mark.parametrize(
    ("reason", "expected"),
    [("stop", "end_turn"), ("length", "max_tokens"), ("content_filter", "refusal"), (None, "end_turn")],
)
def test_json_stop_reasons(reason: str | None, expected: str) -> None:
    c = completion(TextDelta("x"), *([Finish(reason)] if reason else []))  # type: ignore[arg-type]
    data = orjson.loads(AnthropicMessages().render_json(c, META))  # type: ignore[arg-type]
    assert data["stop_reason"] == expected


def test_json_tool_call_with_finish_stop_still_says_tool_use() -> None:
    c = completion(ToolCallDelta(0, "t1", "f", "{}"), Finish("stop"))
    assert orjson.loads(AnthropicMessages().render_json(c, META))["stop_reason"] == "tool_use"  # type: ignore[arg-type]


def test_json_unparsable_tool_arguments_come_back_as_text() -> None:
    c = completion(ToolCallDelta(0, "t1", "f", "{not json"), Finish("tool_calls"))
    data = orjson.loads(AnthropicMessages().render_json(c, META))  # type: ignore[arg-type]
    assert data["content"] == [{"type": "text", "text": "f({not json)"}]


def test_json_empty_answer() -> None:
    data = orjson.loads(AnthropicMessages().render_json(completion(Finish("stop")), META))  # type: ignore[arg-type]
    assert data["content"] == [] and data["usage"]["input_tokens"] == 0


# ---- rendering: SSE ------------------------------------------------------------------------------

STREAM = [
    TextDelta("Let me "),
    TextDelta("check."),
    ToolCallDelta(0, "toolu_1", "get_weather", ""),
    ToolCallDelta(0, arguments='{"city"'),
    ToolCallDelta(0, arguments=': "Oslo"}'),
    ToolCallDelta(1, "toolu_2", "get_time", '{"tz": "CET"}'),
    Usage(250, 42, cached_tokens=200),
    Finish("tool_calls"),
]


def test_stream_event_sequence_is_anthropics() -> None:
    raw = render_stream(AnthropicMessages().stream_renderer(META), STREAM)
    events = sse_events(raw)
    names = [name for name, _ in events]
    assert names == [
        "message_start",
        "ping",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    for name, data in events:
        assert isinstance(data, dict) and data["type"] == name
    starts = [d for n, d in events if n == "content_block_start"]
    assert [(d["index"], d["content_block"]["type"]) for d in starts] == [
        (0, "text"),
        (1, "tool_use"),
        (2, "tool_use"),
    ]  # type: ignore[index]


def test_stream_through_the_sdk() -> None:
    raw = render_stream(AnthropicMessages().stream_renderer(META), STREAM)
    with (
        anthropic_client(raw, content_type="text/event-stream") as client,
        client.messages.stream(
            model="claude-opus-4-8", max_tokens=10, messages=[{"role": "user", "content": "x"}]
        ) as stream,
    ):
        texts = list(stream.text_stream)
        msg = stream.get_final_message()
    assert "".join(texts) == "Let me check."
    assert [b.type for b in msg.content] == ["text", "tool_use", "tool_use"]
    assert msg.content[0].text == "Let me check."  # type: ignore[union-attr]
    assert (msg.content[1].id, msg.content[1].name, msg.content[1].input) == (
        "toolu_1",
        "get_weather",
        {"city": "Oslo"},
    )  # type: ignore[union-attr]
    assert (msg.content[2].name, msg.content[2].input) == ("get_time", {"tz": "CET"})  # type: ignore[union-attr]
    assert msg.stop_reason == "tool_use"
    assert (msg.usage.input_tokens, msg.usage.output_tokens, msg.usage.cache_read_input_tokens) == (
        50,
        42,
        200,
    )
    assert msg.id == "msg_abc123"


def test_stream_text_only_ends_with_end_turn() -> None:
    raw = render_stream(AnthropicMessages().stream_renderer(META), [TextDelta("hi"), Usage(3, 1), Finish("stop")])
    with (
        anthropic_client(raw, content_type="text/event-stream") as client,
        client.messages.stream(model="m", max_tokens=10, messages=[{"role": "user", "content": "x"}]) as stream,
    ):
        msg = stream.get_final_message()
    assert msg.content[0].text == "hi" and msg.stop_reason == "end_turn"  # type: ignore[union-attr]


def test_stream_tool_call_without_id_gets_one() -> None:
    raw = render_stream(
        AnthropicMessages().stream_renderer(META), [ToolCallDelta(0, None, "f", "{}"), Finish("tool_calls")]
    )
    start = next(d for n, d in sse_events(raw) if n == "content_block_start")
    assert start["content_block"]["id"]  # type: ignore[index]


def test_mid_stream_error_is_an_error_event() -> None:
    exc = BackendConnectError("upstream went away", backend="qwen")
    raw = render_stream(AnthropicMessages().stream_renderer(META), [TextDelta("partial")], fail=exc)
    name, data = sse_events(raw)[-1]
    assert name == "error"
    assert data == {"type": "error", "error": {"type": "api_error", "message": "upstream went away"}}
    with (
        anthropic_client(raw, content_type="text/event-stream") as client,
        pytest.raises(anthropic.APIStatusError, match="upstream went away"),
        client.messages.stream(model="m", max_tokens=10, messages=[{"role": "user", "content": "x"}]) as s,
    ):
        s.get_final_message()


# ---- errors before the first byte ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "kind", "sdk_error"),
    [
        (InvalidRequest("bad field", param="x"), "invalid_request_error", anthropic.BadRequestError),
        (AuthError("no key"), "authentication_error", anthropic.AuthenticationError),
        (UnknownModel("no such model"), "not_found_error", anthropic.NotFoundError),
        (BodyTooLarge("too big"), "request_too_large", anthropic.APIStatusError),
        (RateLimited("slow down"), "rate_limit_error", anthropic.RateLimitError),
        (NoBackendAvailable("none can serve"), "overloaded_error", anthropic.InternalServerError),
        (
            BackendStatusError("upstream 429", upstream_status=429),
            "rate_limit_error",
            anthropic.InternalServerError,
        ),
        (BackendStatusError("upstream 500"), "api_error", anthropic.InternalServerError),
        (BackendTimeout("slow upstream"), "timeout_error", anthropic.InternalServerError),
        (SwitchpointError("internal error"), "api_error", anthropic.InternalServerError),
    ],
)
def test_errors_in_anthropic_shape(exc: SwitchpointError, kind: str, sdk_error: type[Exception]) -> None:
    raw = error_response(exc, AnthropicMessages.error_style).body
    assert orjson.loads(raw) == {"type": "error", "error": {"type": kind, "message": exc.message}}
    with anthropic_client(raw, status=exc.status) as client, pytest.raises(sdk_error) as e:
        client.messages.create(model="m", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    assert exc.message in str(e.value)
