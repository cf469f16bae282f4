"""Conversations that move between backends: a Claude Code style conversation whose first tool turn came
from Gemini (through litellm, its id carrying a thought signature) continues on an OpenAI-compatible
server (which refuses ids over 40 characters) and on an Anthropic upstream (which refuses ids outside
^[a-zA-Z0-9_-]+$), then returns to Gemini with its signature intact. The gateway runs in process; every
upstream is a loopback fake speaking its real wire format; litellm's own translation runs for Gemini and
Anthropic."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from backends.contract import CanonicalRequest, Message, TextPart, ToolCall, ToolCallDelta
from backends.toolids import anthropic_ok, map_tool_ids, openai_ok, restore_id
from tests.fakes.anthropic_upstream import AnthropicScript, make_anthropic
from tests.fakes.gemini_upstream import GeminiScript, make_gemini
from tests.fakes.openai_upstream import Script, make_upstream
from tests.fakes.servers import ServerThread

# A Gemini thought signature: base64 of opaque bytes, about 170 characters, with + / and = in it.
SIGNATURE = base64.b64encode(hashlib.sha512(b"thought").digest() * 2 + b"\xfb\xff\xfe" * 4)[:170].decode() + "=="
BASH = {
    "name": "Bash",
    "description": "Run a shell command",
    "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]},
}


def test_signature_looks_like_geminis() -> None:
    assert len(SIGNATURE) >= 170 and {"+", "/", "="} <= set(SIGNATURE)


def test_mapping_is_deterministic_and_maps_back() -> None:
    long_id = "call_0f1e__thought__" + SIGNATURE
    req = CanonicalRequest(
        model="x",
        messages=[
            Message("assistant", tool_calls=[ToolCall(long_id, "Bash", "{}"), ToolCall("call_ok", "Bash", "{}")]),
            Message("tool", [TextPart("out")], tool_call_id=long_id),
        ],
    )
    mapped, reverse = map_tool_ids(req, openai_ok)
    again, _ = map_tool_ids(req, openai_ok)
    short = mapped.messages[0].tool_calls[0].id
    assert short == again.messages[0].tool_calls[0].id and openai_ok(short) and anthropic_ok(short)
    assert mapped.messages[1].tool_call_id == short
    assert mapped.messages[0].tool_calls[1].id == "call_ok"  # ids the target accepts stay as they are
    assert req.messages[0].tool_calls[0].id == long_id  # the client's request is not changed
    assert restore_id(ToolCallDelta(0, short, "Bash"), reverse).id == long_id  # type: ignore[union-attr]
    assert map_tool_ids(req, lambda _: True) == (req, {})


@pytest.fixture
def upstreams(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[GeminiScript, Script, AnthropicScript, dict]]:
    monkeypatch.setenv("TEST_GEMINI_KEY", "gk-test")
    monkeypatch.setenv("TEST_ANTHROPIC_KEY", "sk-ant-test")
    gem = GeminiScript(call={"name": "Bash", "args": {"command": "ls"}}, signature=SIGNATURE)
    oai = Script(text="Two files.")
    ant = AnthropicScript(text="", tool={"id": "toolu_01Abc", "name": "Bash", "input": {"command": "pwd"}})
    with (
        ServerThread(make_gemini(gem)) as g,
        ServerThread(make_upstream(oai)) as o,
        ServerThread(make_anthropic(ant)) as a,
    ):
        config = {
            "backends": [
                {
                    "name": "gemini",
                    "kind": "litellm",
                    "model": "gemini/gemini-2.5-flash",
                    "base_url": g.url + "/v1beta",
                    "api_key_env": "TEST_GEMINI_KEY",
                },
                {"name": "vllm", "kind": "openai", "base_url": o.url + "/v1", "model": "qwen3-coder"},
                {
                    "name": "claude",
                    "kind": "litellm",
                    "model": "anthropic/claude-sonnet-4-5",
                    "base_url": a.url,
                    "api_key_env": "TEST_ANTHROPIC_KEY",
                },
            ]
        }
        yield gem, oai, ant, config


def turn(client: httpx.Client, backend: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    body = {"model": backend, "max_tokens": 512, "tools": [BASH], "messages": messages}
    r = client.post("/v1/messages", json=body, headers={"x-api-key": "k"})
    assert r.status_code == 200, (backend, r.text)
    assert r.headers["x-switchpoint-backend"] == backend
    return r.json()


def test_gemini_tool_turn_continues_on_openai_and_anthropic_then_returns_to_gemini(gateway_app: Any, upstreams) -> None:
    gem, oai, ant, config = upstreams
    with gateway_app(config) as (client, _):
        history: list[dict[str, Any]] = [{"role": "user", "content": "List the files."}]
        first = turn(client, "gemini", history)
        gemini_call = next(b for b in first["content"] if b["type"] == "tool_use")
        assert gemini_call["id"].endswith("__thought__" + SIGNATURE)  # litellm's encoding, passed on whole
        history += [
            {"role": "assistant", "content": first["content"]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": gemini_call["id"], "content": "a b"}]},
        ]

        second = turn(client, "vllm", history)  # the session moves to an OpenAI-compatible server
        sent = oai.requests[-1]["messages"]
        call_id = next(m for m in sent if m.get("tool_calls"))["tool_calls"][0]["id"]
        assert openai_ok(call_id) and next(m for m in sent if m["role"] == "tool")["tool_call_id"] == call_id
        history += [{"role": "assistant", "content": second["content"]}, {"role": "user", "content": "Where am I?"}]

        third = turn(client, "claude", history)  # then to Anthropic
        sent_ids = [
            b.get("id") or b.get("tool_use_id")
            for m in ant.requests[-1]["messages"]
            if isinstance(m["content"], list)
            for b in m["content"]
            if b.get("type") in ("tool_use", "tool_result")
        ]
        assert len(sent_ids) == 2 and all(anthropic_ok(i) for i in sent_ids)
        claude_call = next(b for b in third["content"] if b["type"] == "tool_use")
        assert claude_call["id"] == "toolu_01Abc"
        history += [
            {"role": "assistant", "content": third["content"]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01Abc", "content": "/src"}]},
        ]

        gem.call, gem.text = None, "Done."
        last = turn(client, "gemini", history)  # and back to Gemini
        assert last["content"][0]["text"] == "Done."
    # Gemini's REST API takes functionCall or function_call (proto field names); litellm sends the latter
    parts = [p for c in gem.requests[-1]["contents"] for p in c["parts"]]
    calls = [p for p in parts if "functionCall" in p or "function_call" in p]
    assert [(c.get("functionCall") or c.get("function_call"))["name"] for c in calls] == ["Bash", "Bash"]
    assert calls[0].get("thoughtSignature") == SIGNATURE  # returned to Gemini untouched
