"""A loopback OpenAI-compatible server that answers a tool-call turn the way vLLM does with each tool-call
and reasoning parser, in its chat-completions wire format (streamed and whole).

- "gemma4" (`--tool-call-parser gemma4 --reasoning-parser gemma4`): the thinking in `reasoning`, then a
  tool call whose JSON arguments arrive as diffs (the parser accumulates Gemma 4's `call:name{...}`
  text, converts it to JSON and streams the difference).
- "qwen3_coder" (`--tool-call-parser qwen3_coder --reasoning-parser qwen3`): the thinking in
  `reasoning_content` (older vLLM's field), then a tool call whose arguments arrive per `<parameter=...>`.
- "qwen3_hermes" (Qwen 3.6 served with `--tool-call-parser hermes`, the wrong parser): hermes expects
  JSON inside `<tool_call>`, Qwen 3.6 writes XML, so the call comes back as text in `content`.
Each request body is kept in `requests`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

QWEN_XML = (
    "<tool_call>\n<function=Bash>\n<parameter=command>\nls -la\n</parameter>\n"
    "<parameter=description>\nlist files\n</parameter>\n</function>\n</tool_call>"
)


@dataclass
class ParserScript:
    parser: str = "gemma4"
    requests: list[dict[str, Any]] = field(default_factory=list)


def _deltas(parser: str) -> list[dict[str, Any]]:
    """The deltas vLLM streams for one tool-call turn with `parser`."""
    if parser == "qwen3_hermes":
        return [{"content": "I'll list the files.\n\n"}, {"content": QWEN_XML}]
    head = {"index": 0, "id": "chatcmpl-tool-9f2c", "type": "function", "function": {"name": "Bash", "arguments": ""}}
    if parser == "gemma4":
        pieces = ['{"command": "', 'ls -la"', ', "description": "', 'list files"', "}"]
        thinking = [{"reasoning": "The user wants the files; "}, {"reasoning": "Bash with ls will do."}]
    else:  # qwen3_coder
        pieces = ['{"command": "ls -la"', ', "description": "list files"', "}"]
        thinking = [{"reasoning_content": "I need to list the files."}]
    args = [{"tool_calls": [{"index": 0, "function": {"arguments": p}}]} for p in pieces]
    return [*thinking, {"tool_calls": [head]}, *args]


def _message(parser: str) -> tuple[dict[str, Any], str]:
    if parser == "qwen3_hermes":
        return {"role": "assistant", "content": "I'll list the files.\n\n" + QWEN_XML}, "stop"
    call = {
        "id": "chatcmpl-tool-9f2c",
        "type": "function",
        "function": {"name": "Bash", "arguments": '{"command": "ls -la", "description": "list files"}'},
    }
    field_name = "reasoning" if parser == "gemma4" else "reasoning_content"
    message = {"role": "assistant", "content": None, field_name: "Bash with ls will do.", "tool_calls": [call]}
    return message, "tool_calls"


def make_parser_upstream(script: ParserScript) -> Starlette:
    usage = {"prompt_tokens": 20, "completion_tokens": 30, "total_tokens": 50}

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        body = {
            "id": "chatcmpl-parser",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": "served",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            **extra,
        }
        return b"data: " + orjson.dumps(body) + b"\n\n"

    async def events() -> AsyncIterator[bytes]:
        yield chunk({"role": "assistant", "content": ""})
        for delta in _deltas(script.parser):
            yield chunk(delta)
        yield chunk({}, "stop" if script.parser == "qwen3_hermes" else "tool_calls")
        yield b"data: " + orjson.dumps({"id": "chatcmpl-parser", "choices": [], "usage": usage}) + b"\n\n"
        yield b"data: [DONE]\n\n"

    async def chat(request: Request) -> Response:
        body = orjson.loads(await request.body())
        script.requests.append(body)
        if body.get("stream"):
            return StreamingResponse(events(), media_type="text/event-stream")
        message, finish = _message(script.parser)
        whole = {
            "id": "chatcmpl-parser",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "served",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": usage,
        }
        return Response(orjson.dumps(whole), media_type="application/json")

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
