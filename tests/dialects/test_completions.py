"""Legacy completions (fill-in-the-middle included): parsing, and rendering read back by the openai SDK."""

from __future__ import annotations

from typing import Any

import openai
import orjson
import pytest

from backends.contract import Finish, TextDelta, ToolCallDelta, Usage
from backends.errors import BackendConnectError, InvalidRequest, UnknownModel
from router.dialects import Completion, ResponseMeta, get_dialect
from router.dialects.completions import LegacyCompletions
from router.http_errors import error_response

from .helpers import openai_client, render_stream, sse_events

META = ResponseMeta("abc123", "qwen-coder", created=1700000000)


def parse(**kw: Any) -> Any:
    return LegacyCompletions().parse_request({"model": "qwen-coder", "prompt": "def f(", **kw})


def test_get_dialect_builds_it() -> None:
    d = get_dialect("completions")
    assert isinstance(d, LegacyCompletions) and d.error_style == "openai"


def test_prompt_and_options() -> None:
    r = parse(max_tokens=64, temperature=0.1, top_p=0.9, stop="\n\n", stream=True, seed=7, presence_penalty=0.5)
    assert (r.prompt, r.suffix, r.messages, r.is_fim) == ("def f(", None, [], False)
    assert (r.max_tokens, r.temperature, r.top_p, r.stop, r.stream, r.seed) == (
        64,
        0.1,
        0.9,
        ["\n\n"],
        True,
        7,
    )
    assert r.extra == {"presence_penalty": 0.5}


def test_fill_in_the_middle() -> None:
    r = parse(prompt=["def add(a, b):\n    "], suffix="\n\nprint(add(1, 2))", stop=["\n\n", "def "])
    assert r.is_fim and r.prompt == "def add(a, b):\n    " and r.suffix == "\n\nprint(add(1, 2))"
    assert r.stop == ["\n\n", "def "]


def test_empty_suffix_is_a_plain_completion() -> None:
    assert not parse(suffix="").is_fim


def test_stream_options_are_accepted() -> None:
    assert parse(stream=True, stream_options={"include_usage": True}).stream


@pytest.mark.parametrize(
    ("kw", "param"),
    [
        ({"prompt": ["a", "b"]}, "prompt"),
        ({"prompt": [1, 2, 3]}, "prompt"),
        ({"echo": True}, "echo"),
        ({"n": 2}, "n"),
        ({"best_of": 3}, "best_of"),
        ({"logprobs": 5}, "logprobs"),
        ({"max_tokens": 0}, "max_tokens"),
    ],
)
def test_refused_options_name_the_field(kw: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequest) as e:
        parse(**kw)
    assert e.value.param == param


def test_missing_prompt() -> None:
    with pytest.raises(InvalidRequest) as e:
        LegacyCompletions().parse_request({"model": "m"})
    assert e.value.param == "prompt"


def test_json_through_the_sdk() -> None:
    c = Completion()
    for ev in (TextDelta("a + b"), Usage(20, 3), Finish("stop")):
        c.add(ev)
    with openai_client(LegacyCompletions().render_json(c, META)) as client:
        out = client.completions.create(model="qwen-coder", prompt="x", suffix="y")
    assert out.id == "cmpl-abc123" and out.object == "text_completion" and out.model == "qwen-coder"
    assert out.choices[0].text == "a + b" and out.choices[0].finish_reason == "stop"
    assert out.usage is not None and (out.usage.prompt_tokens, out.usage.completion_tokens) == (20, 3)


def test_stream_through_the_sdk() -> None:
    events = [
        TextDelta("a "),
        ToolCallDelta(0, "c", "f", "{}"),
        TextDelta("+ b"),
        Usage(20, 3),
        Finish("length"),
    ]
    raw = render_stream(LegacyCompletions().stream_renderer(META), events)
    assert raw.endswith(b"data: [DONE]\n\n")
    with openai_client(raw, content_type="text/event-stream") as client:
        chunks = list(client.completions.create(model="qwen-coder", prompt="x", stream=True))
    assert "".join(ch.choices[0].text for ch in chunks) == "a + b"
    assert all(len(ch.choices) == 1 for ch in chunks)  # editor plugins index choices[0] on every chunk
    assert chunks[-1].choices[0].finish_reason == "length"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 23


def test_stream_without_usage() -> None:
    meta = ResponseMeta("abc123", "qwen-coder", include_usage=False)
    raw = render_stream(LegacyCompletions().stream_renderer(meta), [TextDelta("x"), Finish("stop")])
    assert all("usage" not in d for _, d in sse_events(raw) if isinstance(d, dict))


def test_mid_stream_error_and_errors_before_the_first_byte() -> None:
    raw = render_stream(LegacyCompletions().stream_renderer(META), [TextDelta("x")], BackendConnectError("gone"))
    assert sse_events(raw)[-1][1] == {
        "error": {
            "message": "gone",
            "type": "upstream_error",
            "param": None,
            "code": "upstream_connect_error",
        }
    }
    with (
        openai_client(raw, content_type="text/event-stream") as client,
        pytest.raises(openai.APIError, match="gone"),
    ):
        list(client.completions.create(model="m", prompt="x", stream=True))
    exc = UnknownModel("no model 'nope'")
    body = error_response(exc, LegacyCompletions.error_style).body
    assert orjson.loads(body)["error"]["code"] == "model_not_found"
    with openai_client(body, status=exc.status) as client, pytest.raises(openai.NotFoundError):
        client.completions.create(model="nope", prompt="x")
