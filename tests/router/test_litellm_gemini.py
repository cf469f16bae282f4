"""The litellm backend against a loopback server speaking Gemini's real REST API: litellm's own
translation code runs, our client (the openai SDK, over the gateway in process) sees OpenAI chat."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import orjson
import pytest

from tests.fakes.gemini_upstream import GeminiScript, make_gemini
from tests.fakes.servers import ServerThread
from tests.router.helpers import log_rows, openai_sdk

SCHEMA = {  # what Claude Code sends: keys Gemini rejects
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "properties": {"command": {"type": "string"}, "timeout": {"type": "number", "exclusiveMinimum": 0}},
    "required": ["command"],
}


@pytest.fixture
def gemini(monkeypatch) -> Iterator[tuple[GeminiScript, dict]]:
    monkeypatch.setenv("TEST_GEMINI_KEY", "gk-secret-123")
    script = GeminiScript()
    with ServerThread(make_gemini(script)) as server:
        config = {
            "backends": [
                {
                    "name": "gemini",
                    "kind": "litellm",
                    "model": "gemini/gemini-2.5-flash",
                    "base_url": server.url + "/v1beta",
                    "api_key_env": "TEST_GEMINI_KEY",
                    "capabilities": {"vision": True},
                    "price": {"input_per_mtok": 1.0, "output_per_mtok": 2.0},
                }
            ]
        }
        yield script, config


@pytest.mark.parametrize("stream", [False, True])
def test_text_through_gemini(gateway_app, gemini, stream):
    script, config = gemini
    with gateway_app(config) as (client, app):
        c = openai_sdk(client, api_key="x")
        msgs = [{"role": "system", "content": "Answer in French."}, {"role": "user", "content": "Say hello"}]
        if stream:
            chunks = list(
                c.chat.completions.create(
                    model="auto", messages=msgs, stream=True, stream_options={"include_usage": True}
                )
            )
            text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
            usage = chunks[-1].usage
        else:
            r = c.chat.completions.create(model="auto", messages=msgs)
            text, usage = r.choices[0].message.content, r.usage
        assert text == script.text
        assert usage.prompt_tokens == 9 and usage.completion_tokens == 5
        [row] = log_rows(app)
        assert row.backend == "gemini" and row.cost_usd == pytest.approx((9 * 1.0 + 5 * 2.0) / 1e6)
    assert script.paths[0].endswith(":streamGenerateContent?alt=sse" if stream else ":generateContent")
    assert script.api_keys == ["gk-secret-123"]
    sent = script.requests[0]
    assert sent["contents"][0]["parts"][0]["text"] == "Say hello"
    assert "Answer in French." in orjson.dumps(sent.get("system_instruction") or sent.get("systemInstruction")).decode()


@pytest.mark.parametrize("stream", [False, True])
def test_tool_call_through_gemini_with_claude_code_schema(gateway_app, gemini, stream):
    script, config = gemini
    script.call = {"name": "Bash", "args": {"command": "ls"}}
    tools = [{"type": "function", "function": {"name": "Bash", "description": "run", "parameters": SCHEMA}}]
    with gateway_app(config) as (client, _):
        c = openai_sdk(client, api_key="x")
        kwargs = dict(model="auto", tools=tools, messages=[{"role": "user", "content": "list files"}])
        if stream:
            with c.chat.completions.stream(**kwargs) as s:
                final = s.get_final_completion()
        else:
            final = c.chat.completions.create(**kwargs)
        call = final.choices[0].message.tool_calls[0]
        assert call.function.name == "Bash" and orjson.loads(call.function.arguments) == {"command": "ls"}
    declared = orjson.dumps(script.requests[0]["tools"]).decode()
    for rejected in ("$schema", "additionalProperties", "exclusiveMinimum"):
        assert rejected not in declared


def test_gemini_failure_is_an_upstream_error(gateway_app, gemini):
    script, config = gemini
    script.status = 503
    with gateway_app(config) as (client, _):
        c = openai_sdk(client, api_key="x")
        with pytest.raises(openai.APIStatusError) as info:
            c.chat.completions.create(model="auto", messages=[{"role": "user", "content": "hi"}])
        assert info.value.status_code == 502 and "gemini" in info.value.message


def test_thinking_reaches_only_anthropic_models():
    from backends.contract import CanonicalRequest, Message, TextPart
    from backends.litellm_backend import LiteLLMBackend

    req = CanonicalRequest(
        model="auto", messages=[Message("user", [TextPart("hi")])], thinking={"type": "enabled", "budget_tokens": 1024}
    )
    claude = LiteLLMBackend("claude", model="anthropic/claude-sonnet-4-5")
    gemini = LiteLLMBackend("gemini", model="gemini/gemini-2.5-flash")
    assert claude._kwargs(req)["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert "thinking" not in gemini._kwargs(req)
