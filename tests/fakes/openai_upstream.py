"""A loopback server speaking the OpenAI chat-completions wire format, with scriptable faults.

It stands in for vLLM / llama.cpp / SGLang: the gateway's production HTTP code runs unchanged
against it. `behaviour` selects what it does: "ok", "status" (answers `status` with an OpenAI error
body, and Retry-After on 429), "stall" (waits `stall_s` before any byte), "die" (sends `die_after`
chunks then drops the connection), "malformed" (a broken SSE chunk / JSON body), "trickle" (one byte
at a time), "no_usage" (omits usage), "tool" (answers with a tool call).

`parser` answers a tool-call turn the way vLLM does with one tool-call and reasoning parser:
- "gemma4" (`--tool-call-parser gemma4 --reasoning-parser gemma4`): the thinking in `reasoning`, then a
  tool call whose JSON arguments arrive as diffs (the parser accumulates Gemma 4's `call:name{...}`
  text, converts it to JSON and streams the difference).
- "qwen3_coder" (`--tool-call-parser qwen3_coder --reasoning-parser qwen3`): the thinking in
  `reasoning_content` (older vLLM's field), then a tool call whose arguments arrive per `<parameter=...>`.
- "qwen3_hermes" (Qwen 3.6 served with `--tool-call-parser hermes`, the wrong parser): hermes expects
  JSON inside `<tool_call>`, Qwen 3.6 writes XML, so the call comes back as text in `content`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route


@dataclass
class Script:
    behaviour: str = "ok"
    text: str = "Hello from the upstream."
    chunks: int = 4
    status: int = 500
    retry_after: str | None = None
    stall_s: float = 5.0
    die_after: int = 2
    tool_name: str = "get_weather"
    tool_args: str = '{"city": "Paris"}'
    error_message: str | None = None  # "status": this message; "{authorization}" echoes the header received
    parser: str | None = None  # answer as vLLM does with this parser (see above); None: `behaviour`
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)  # each request's headers, lower-cased names


def _long_id(req: dict[str, Any]) -> Response | None:
    """OpenAI's own check on tool-call ids sent back: at most 40 characters (a 400 otherwise)."""
    for i, m in enumerate(req.get("messages") or ()):
        ids = [(f"messages[{i}].tool_calls[{j}].id", c.get("id")) for j, c in enumerate(m.get("tool_calls") or ())]
        ids.append((f"messages[{i}].tool_call_id", m.get("tool_call_id")))
        for where, ident in ids:
            if isinstance(ident, str) and len(ident) > 40:
                message = (
                    f"Invalid '{where}': string too long. Expected a string with maximum length 40, "
                    f"but got a string with length {len(ident)} instead."
                )
                err = {
                    "message": message,
                    "type": "invalid_request_error",
                    "param": where,
                    "code": "string_above_max_length",
                }
                return Response(orjson.dumps({"error": err}), status_code=400, media_type="application/json")
    return None


QWEN_XML = (
    "<tool_call>\n<function=Bash>\n<parameter=command>\nls -la\n</parameter>\n"
    "<parameter=description>\nlist files\n</parameter>\n</function>\n</tool_call>"
)
PARSER_CALL_ID = "chatcmpl-tool-9f2c"


def _parser_deltas(parser: str) -> tuple[list[dict[str, Any]], str]:
    """The deltas vLLM streams for one tool-call turn with `parser`, and the finish reason."""
    if parser == "qwen3_hermes":
        return [{"content": "I'll list the files.\n\n"}, {"content": QWEN_XML}], "stop"
    head = {"index": 0, "id": PARSER_CALL_ID, "type": "function", "function": {"name": "Bash", "arguments": ""}}
    if parser == "gemma4":
        pieces = ['{"command": "', 'ls -la"', ', "description": "', 'list files"', "}"]
        thinking = [{"reasoning": "The user wants the files; "}, {"reasoning": "Bash with ls will do."}]
    else:  # qwen3_coder
        pieces = ['{"command": "ls -la"', ', "description": "list files"', "}"]
        thinking = [{"reasoning_content": "I need to list the files."}]
    args = [{"tool_calls": [{"index": 0, "function": {"arguments": p}}]} for p in pieces]
    return [*thinking, {"tool_calls": [head]}, *args], "tool_calls"


def _parser_message(parser: str) -> tuple[dict[str, Any], str]:
    """The whole message vLLM answers for one tool-call turn with `parser`, and the finish reason."""
    if parser == "qwen3_hermes":
        return {"role": "assistant", "content": "I'll list the files.\n\n" + QWEN_XML}, "stop"
    call = {
        "id": PARSER_CALL_ID,
        "type": "function",
        "function": {"name": "Bash", "arguments": '{"command": "ls -la", "description": "list files"}'},
    }
    field_name = "reasoning" if parser == "gemma4" else "reasoning_content"
    message = {"role": "assistant", "content": None, field_name: "Bash with ls will do.", "tool_calls": [call]}
    return message, "tool_calls"


def _deltas(script: Script) -> tuple[list[dict[str, Any]], str]:
    """What a streamed answer sends after the role, and its finish reason."""
    if script.parser is not None:
        return _parser_deltas(script.parser)
    if script.behaviour == "tool":
        head = {"index": 0, "id": "call_1", "type": "function", "function": {"name": script.tool_name, "arguments": ""}}
        args = [{"tool_calls": [{"index": 0, "function": {"arguments": p}}]} for p in _pieces(script.tool_args, 3)]
        return [{"tool_calls": [head]}, *args], "tool_calls"
    return [{"content": piece} for piece in _pieces(script.text, script.chunks)], "stop"


def _message(script: Script) -> tuple[dict[str, Any], str]:
    """A whole answer's message and finish reason."""
    if script.parser is not None:
        return _parser_message(script.parser)
    if script.behaviour == "tool":
        call = {
            "id": "call_1",
            "type": "function",
            "function": {"name": script.tool_name, "arguments": script.tool_args},
        }
        return {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls"
    return {"role": "assistant", "content": script.text}, "stop"


def _pieces(text: str, n: int) -> list[str]:
    size = max(1, -(-len(text) // n))
    return [text[i : i + size] for i in range(0, len(text), size)]


def make_upstream(script: Script, model_name: str = "fake-model") -> Starlette:
    usage = {
        "prompt_tokens": 11,
        "completion_tokens": 7,
        "total_tokens": 18,
        "prompt_tokens_details": {"cached_tokens": 3},
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        body = {
            "id": "chatcmpl-up",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model_name,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return b"data: " + orjson.dumps(body) + b"\n\n"

    async def stream_body(req: dict[str, Any]) -> AsyncIterator[bytes]:
        if script.behaviour == "stall":
            await asyncio.sleep(script.stall_s)
        yield chunk({"role": "assistant", "content": ""})
        deltas, finish = _deltas(script)
        for sent, delta in enumerate(deltas):
            if script.behaviour == "die" and sent >= script.die_after:
                raise ConnectionResetError("upstream died")  # uvicorn drops the connection
            if script.behaviour == "malformed" and sent == 1:
                yield b'data: {"choices": [\n\n'
            if script.behaviour == "trickle":
                for b in chunk(delta):
                    yield bytes([b])
                    await asyncio.sleep(0.001)
            else:
                yield chunk(delta)
        yield chunk({}, finish)
        if script.behaviour != "no_usage" and (req.get("stream_options") or {}).get("include_usage"):
            yield (
                b"data: "
                + orjson.dumps(
                    {
                        "id": "chatcmpl-up",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": model_name,
                        "choices": [],
                        "usage": usage,
                    }
                )
                + b"\n\n"
            )
        yield b"data: [DONE]\n\n"

    async def chat(request: Request) -> Response:
        req = orjson.loads(await request.body())
        script.requests.append(req)
        script.headers.append(dict(request.headers))
        refused = _long_id(req)
        if refused is not None:
            return refused
        if script.behaviour == "status":
            headers = {"retry-after": script.retry_after} if script.retry_after else {}
            said = (script.error_message or f"scripted {script.status}").replace(
                "{authorization}", request.headers.get("authorization", "")
            )
            err = {"error": {"message": said, "type": "server_error", "code": None}}
            return Response(
                orjson.dumps(err), status_code=script.status, headers=headers, media_type="application/json"
            )
        if req.get("stream"):
            return StreamingResponse(stream_body(req), media_type="text/event-stream")
        if script.behaviour == "stall":
            await asyncio.sleep(script.stall_s)
        if script.behaviour == "malformed":
            return Response(b'{"choices": [', media_type="application/json")
        message, finish = _message(script)
        body: dict[str, Any] = {
            "id": "chatcmpl-up",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model_name,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        }
        if script.behaviour != "no_usage":
            body["usage"] = usage
        return Response(orjson.dumps(body), media_type="application/json")

    async def completions(request: Request) -> Response:
        req = orjson.loads(await request.body())
        script.requests.append(req)
        text = f"<fim prefix={len(req.get('prompt', ''))} suffix={len(req.get('suffix') or '')}>"
        body = {
            "id": "cmpl-up",
            "object": "text_completion",
            "created": 0,
            "model": model_name,
            "choices": [{"index": 0, "text": text, "finish_reason": "stop"}],
            "usage": usage,
        }
        return Response(orjson.dumps(body), media_type="application/json")

    async def models(request: Request) -> Response:
        return Response(
            orjson.dumps({"object": "list", "data": [{"id": model_name, "object": "model"}]}),
            media_type="application/json",
        )

    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/completions", completions, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
        ]
    )
