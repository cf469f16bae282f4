"""The OpenAI chat endpoint end to end: the real gateway in process (no socket is the point here), a real
upstream on loopback, the real openai SDK."""

from __future__ import annotations

import orjson
import pytest

from backends.tokencount import tiktoken_encoding
from tests.router.helpers import log_rows, one_backend, openai_sdk

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


def test_non_stream_answer_headers_usage_and_log(gateway_app, upstream):
    script, up = upstream
    with gateway_app(one_backend(up)) as (http, app):
        raw = openai_sdk(http).chat.completions.with_raw_response.create(
            model="auto", messages=[{"role": "user", "content": "Write a haiku about autumn."}]
        )
        resp = raw.parse()
        assert resp.choices[0].message.content == script.text
        assert resp.usage.prompt_tokens == 11 and resp.usage.completion_tokens == 7
        assert raw.headers["x-switchpoint-backend"] == "up"
        assert raw.headers["x-switchpoint-category"] == "prose"
        assert float(raw.headers["x-switchpoint-overhead-ms"]) >= 0
        rid = raw.headers["x-switchpoint-request-id"]
        [row] = log_rows(app)
        assert row.id == rid and row.status == "ok" and row.backend == "up" and row.category == "prose"
        assert row.input_tokens == 11 and row.output_tokens == 7 and row.cached_tokens == 3
        assert not row.tokens_estimated and row.attempts == 1 and row.latency_ms > 0
        assert orjson.loads(row.chain) == ["up"] and row.rule and row.reason
    assert script.requests[0]["model"] == "m-up"


def test_stream_usage_only_when_asked(gateway_app, upstream):
    script, up = upstream
    with gateway_app(one_backend(up)) as (http, _):
        c = openai_sdk(http)
        chunks = list(
            c.chat.completions.create(model="auto", stream=True, messages=[{"role": "user", "content": "hello"}])
        )
        text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
        assert text == script.text
        assert all(ch.usage is None for ch in chunks)
        # The gateway still asked the upstream for usage, for its own log.
        assert script.requests[-1]["stream_options"] == {"include_usage": True}
        chunks = list(
            c.chat.completions.create(
                model="auto",
                stream=True,
                stream_options={"include_usage": True},
                messages=[{"role": "user", "content": "hello"}],
            )
        )
        assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 18
        assert chunks[-2].choices[0].finish_reason == "stop"


@pytest.mark.parametrize("stream", [False, True])
def test_tool_calls(gateway_app, upstream, stream):
    script, up = upstream
    script.behaviour = "tool"
    with gateway_app(one_backend(up)) as (http, _):
        c = openai_sdk(http)
        kwargs = dict(
            model="auto",
            tools=TOOLS,
            tool_choice="auto",
            messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        )
        if stream:
            with c.chat.completions.stream(**kwargs) as s:
                final = s.get_final_completion()
        else:
            final = c.chat.completions.create(**kwargs)
        call = final.choices[0].message.tool_calls[0]
        assert call.function.name == "get_weather" and orjson.loads(call.function.arguments) == {"city": "Paris"}
        assert final.choices[0].finish_reason == "tool_calls"
    sent = script.requests[-1]
    assert sent["tools"] == TOOLS and sent["tool_choice"] == "auto"


def test_tool_result_turn_and_every_field_passed_on(gateway_app, upstream):
    script, up = upstream
    body = {
        "model": "auto",
        "temperature": 0.2,
        "top_p": 0.9,
        "seed": 7,
        "stop": ["\n\n"],
        "user": "u1",
        "metadata": {"team": "a"},
        "max_completion_tokens": 64,
        "response_format": {"type": "text"},
        "tools": TOOLS,
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        "x_custom_field": {"kept": True},
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "weather?"}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_9",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_9", "content": "12C and rain"},
        ],
    }
    with gateway_app(one_backend(up)) as (http, _):
        r = http.post("/v1/chat/completions", json=body)
        assert r.status_code == 200, r.text
    sent = script.requests[-1]
    assert sent["x_custom_field"] == {"kept": True}
    # The messages as the canonical request renders them (a lone text part as a string): the same
    # conversation, every role, tool call and tool result in place.
    assert sent["messages"] == [body["messages"][0], {"role": "user", "content": "weather?"}, *body["messages"][2:]]
    assert sent["max_tokens"] == 64 and "max_completion_tokens" not in sent
    for key in ("temperature", "top_p", "seed", "stop", "user", "metadata", "response_format", "tool_choice"):
        assert sent[key] == body[key], key


def test_image_parts_reach_a_vision_backend(gateway_app, upstream, upstream2):
    script, up = upstream
    script2, up2 = upstream2
    config = {
        "backends": [
            {"name": "text", "kind": "openai", "base_url": up, "model": "t"},
            {"name": "eyes", "kind": "openai", "base_url": up2, "model": "v", "capabilities": {"vision": True}},
        ],
        "routes": {"default": ["text", "eyes"]},
    }
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}}
    with gateway_app(config) as (http, _):
        r = http.post(
            "/v1/chat/completions",
            json={
                "model": "auto",
                "messages": [{"role": "user", "content": [{"type": "text", "text": "what is this?"}, image]}],
            },
        )
        assert r.status_code == 200 and r.headers["x-switchpoint-backend"] == "eyes"
        assert r.headers["x-switchpoint-category"] == "vision"
    assert script.requests == [] and script2.requests[0]["messages"][0]["content"][1] == image


def test_aliases_and_backend_names(gateway_app, upstream, upstream2):
    _, up = upstream
    _, up2 = upstream2
    config = {
        "backends": [
            {"name": "a", "kind": "openai", "base_url": up, "model": "ma"},
            {"name": "b", "kind": "openai", "base_url": up2, "model": "mb"},
        ],
        "aliases": {"fast": "b", "smart": "auto"},
        "routes": {"default": ["a", "b"]},
    }
    msg = [{"role": "user", "content": "hi"}]
    with gateway_app(config) as (http, _):
        for model, expect in [("fast", "b"), ("b", "b"), ("a", "a"), ("smart", "a"), ("claude-opus-4-8", "a")]:
            r = http.post("/v1/chat/completions", json={"model": model, "messages": msg})
            assert r.headers["x-switchpoint-backend"] == expect, model
        models = http.get("/v1/models").json()
        assert [m["id"] for m in models["data"]] == ["auto", "fast", "smart", "a", "b"]


def test_models_health_metrics(gateway_app, upstream):
    _, up = upstream
    with gateway_app(one_backend(up)) as (http, _):
        http.post("/v1/chat/completions", json={"model": "auto", "messages": [{"role": "user", "content": "hi"}]})
        health = http.get("/health").json()
        assert health["status"] == "ok" and health["backends"] == ["up"]
        text = http.get("/metrics").text
        assert 'switchpoint_requests_total{backend="up",category="prose",status="ok"} 1.0' in text
        assert "switchpoint_ttft_seconds_bucket" in text and "switchpoint_log_rows_dropped_total 0.0" in text
        assert 'switchpoint_tokens_total{backend="up",category="prose",direction="out"} 7.0' in text
        assert http.head("/").status_code == 200


def bpe_tokens(user_text: str) -> int:
    """One user message as OpenAI's cookbook counts it: o200k_base, 3 framing tokens and 3 for the reply."""
    return len(tiktoken_encoding("gpt-4o").encode_ordinary("user\n" + user_text)) + 6


def test_usage_estimated_when_upstream_gives_none(gateway_app, upstream):
    script, up = upstream
    script.behaviour = "no_usage"
    with gateway_app(one_backend(up)) as (http, app):
        r = http.post(
            "/v1/chat/completions", json={"model": "auto", "messages": [{"role": "user", "content": "x" * 400}]}
        )
        # counted with the real BPE (no /tokenize on this upstream), not characters / 4 (100 + framing)
        assert r.json()["usage"]["prompt_tokens"] == bpe_tokens("x" * 400) < 100
        chunks = list(
            openai_sdk(http).chat.completions.create(
                model="auto",
                stream=True,
                stream_options={"include_usage": True},
                messages=[{"role": "user", "content": "hello there"}],
            )
        )
        assert chunks[-1].usage.completion_tokens > 0
        rows = log_rows(app, 2)
        assert [r.tokens_estimated for r in rows] == [True, True]


def test_max_tokens_fits_the_context_window(gateway_app, upstream):
    script, up = upstream
    config = one_backend(up, capabilities={"context_window": 4096})
    with gateway_app(config) as (http, _):
        body = {"model": "auto", "max_tokens": 64000, "messages": [{"role": "user", "content": "x" * 4000}]}
        assert http.post("/v1/chat/completions", json=body).status_code == 200
        body["max_tokens"] = 100
        assert http.post("/v1/chat/completions", json=body).status_code == 200
    clamped, kept = (r["max_tokens"] for r in script.requests)
    assert clamped == 4096 - bpe_tokens("x" * 4000) and kept == 100  # the prompt counted, not estimated


def test_context_window_gate_counts_with_the_backends_tokenizer(gateway_app, upstream, upstream2):
    """A prompt whose characters/4 estimate is over a backend's window but whose real count is under it
    is served there; one whose real count is over is sent on to the bigger backend."""
    (_, url1), (_, url2) = upstream, upstream2
    text = "The quick brown fox jumps over the lazy dog. " * 40  # 1,800 characters: 450 by the estimate
    real = bpe_tokens(text)
    assert real < 430 < len(text) // 4
    config = {
        "backends": [
            {
                "name": "small",
                "kind": "openai",
                "base_url": url1,
                "model": "s",
                "capabilities": {"context_window": 430},
            },
            {"name": "big", "kind": "openai", "base_url": url2, "model": "b"},
        ],
        "routes": {"default": ["small", "big"]},
    }
    with gateway_app(config) as (http, _):
        for words, served_by in ((text, "small"), (text * 2, "big")):
            body = {"model": "auto", "messages": [{"role": "user", "content": words}]}
            r = http.post("/v1/chat/completions", json=body)
            assert r.status_code == 200 and r.headers["x-switchpoint-backend"] == served_by
