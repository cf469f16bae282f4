"""The serve commands in the README, checked on the wire: Claude Code's recorded tool-call turn replayed
through the gateway to an OpenAI-compatible server that answers the way vLLM does with each parser.
With the parsers the README names (gemma4; qwen3_coder + qwen3) the client gets a real tool_use and
no thinking text; with hermes on Qwen 3.6 (the old README's flag) the call arrives as text."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from tests.dialects.helpers import FIXTURES, sse_events
from tests.fakes.openai_upstream import Script, make_upstream
from tests.fakes.servers import ServerThread


def recorded_turns() -> list[dict[str, Any]]:
    """Claude Code's two recorded requests: the one that asks, and the one carrying the tool result."""
    lines = (FIXTURES / "claude_code_tool_roundtrip.full.jsonl").read_text().splitlines()
    recs = [orjson.loads(line) for line in lines]
    return [r["json"] for r in recs if r["method"] == "POST" and r["path"].startswith("/v1/messages")]


def blocks(r: httpx.Response, stream: bool) -> list[dict[str, Any]]:
    """The content blocks the client ends up with (streamed ones reassembled)."""
    if not stream:
        return r.json()["content"]
    out: dict[int, dict[str, Any]] = {}
    partial: dict[int, str] = {}
    for name, data in sse_events(r.content):
        assert isinstance(data, dict)
        if name == "content_block_start":
            out[data["index"]] = dict(data["content_block"])
        elif name == "content_block_delta":
            d = data["delta"]
            if d["type"] == "text_delta":
                out[data["index"]]["text"] += d["text"]
            elif d["type"] == "input_json_delta":
                partial[data["index"]] = partial.get(data["index"], "") + d["partial_json"]
    for i, text in partial.items():
        out[i]["input"] = orjson.loads(text)
    return [out[i] for i in sorted(out)]


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("parser", ["gemma4", "qwen3_coder", "qwen3_hermes"])
def test_recorded_tool_turn_through_each_parser(gateway: Any, parser: str, stream: bool) -> None:
    script = Script(parser=parser)
    ask, answer = recorded_turns()
    with ServerThread(make_upstream(script, model_name="served")) as up:
        config = {"backends": [{"name": "gpu", "kind": "openai", "base_url": up.url + "/v1", "model": "served"}]}
        with gateway(config) as (url, _):
            r = httpx.post(url + "/v1/messages", json={**ask, "stream": stream}, headers={"x-api-key": "k"}, timeout=30)
            assert r.status_code == 200, r.text
            got = blocks(r, stream)
            r2 = httpx.post(url + "/v1/messages", json={**answer, "stream": stream}, headers={"x-api-key": "k"})
            assert r2.status_code == 200, r2.text
    assert script.requests[0]["tools"] and len(script.requests[0]["tools"]) == len(ask["tools"])
    calls = [b for b in got if b["type"] == "tool_use"]
    text = "".join(b.get("text", "") for b in got if b["type"] == "text")
    if parser == "qwen3_hermes":  # the wrong parser: the call is text the client cannot run
        assert calls == [] and "<function=Bash>" in text
        return
    assert [(c["name"], c["input"]) for c in calls] == [("Bash", {"command": "ls -la", "description": "list files"})]
    assert "Bash with ls" not in text and "list the files" not in text  # thinking stays out of the answer
    tool_msgs = [m for m in script.requests[1]["messages"] if m["role"] == "tool"]
    assert tool_msgs and tool_msgs[0]["tool_call_id"] == "toolu_137bf9ca968c42b38ff0"
