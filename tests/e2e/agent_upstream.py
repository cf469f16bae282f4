"""A loopback model for the end-to-end tests, speaking OpenAI chat completions (stream and JSON).

It plays a tiny agent model: asked to run `cmd` (in backticks) with a shell tool on offer, it calls
that tool; asked to "call the tool `name` with `{json}`", it calls exactly that; given the tool's
result, it answers with a line quoting it; asked to change a file for Aider, it answers with the
whole new file; anything else gets a short greeting. Requests are kept for the assertions.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

GREETING = "Hello from the scripted model."
AIDER_EDIT = 'print("edited through switchpoint")\n'
# Each client's shell tool, and how it takes a command.
SHELL_TOOLS: dict[str, Any] = {
    "Bash": lambda cmd: {"command": cmd, "description": "Run the requested command"},
    "bash": lambda cmd: {"command": cmd, "description": "Run the requested command"},
    "exec_command": lambda cmd: {"cmd": cmd},
    "shell_command": lambda cmd: {"command": cmd},
    "shell": lambda cmd: {"command": ["bash", "-lc", cmd]},
}


@dataclass
class AgentScript:
    requests: list[dict[str, Any]] = field(default_factory=list)
    tool_results: list[str] = field(default_factory=list)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content or () if isinstance(p, dict))


def decide(req: dict[str, Any], script: AgentScript) -> tuple[str, dict[str, Any] | None]:
    """(text, tool call or None) for this request."""
    # Claude Code puts system entries after the user's turn: the turn that matters is the last other one.
    turns = [m for m in req.get("messages") or () if m.get("role") not in ("system", "developer")]
    last = turns[-1] if turns else {}
    if last.get("role") == "tool":
        result = _text(last.get("content"))
        script.tool_results.append(result)
        return f"The command printed: {result.strip()}", None
    user = _text(last.get("content")) if last.get("role") == "user" else ""
    tools = {t["function"]["name"] for t in req.get("tools") or () if t.get("type") == "function"}
    direct = re.search(r"call the tool `([^`]+)` with `([^`]+)`", user)
    if direct and direct.group(1) in tools:
        return "", {"id": f"call_{len(script.requests)}", "name": direct.group(1), "arguments": direct.group(2)}
    wanted = re.search(r"run `([^`]+)`", user)
    shell = next((name for name in SHELL_TOOLS if name in tools), None)
    if wanted and shell:
        args = SHELL_TOOLS[shell](wanted.group(1))
        return "", {"id": f"call_{len(script.requests)}", "name": shell, "arguments": orjson.dumps(args).decode()}
    edit = re.search(r"Change (\S+\.py)", user)
    if edit:
        return f"{edit.group(1)}\n```python\n{AIDER_EDIT}```\n", None
    return GREETING, None


def make_agent_upstream(script: AgentScript, model_name: str = "scripted-model") -> Starlette:
    usage = {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        body = {
            "id": "chatcmpl-agent",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model_name,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return b"data: " + orjson.dumps(body) + b"\n\n"

    async def stream(req: dict[str, Any], text: str, call: dict[str, Any] | None) -> AsyncIterator[bytes]:
        yield chunk({"role": "assistant", "content": ""})
        for i in range(0, len(text), 12):
            yield chunk({"content": text[i : i + 12]})
        if call is not None:
            head = {
                "index": 0,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["name"], "arguments": ""},
            }
            yield chunk({"tool_calls": [head]})
            yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": call["arguments"]}}]})
        yield chunk({}, "tool_calls" if call else "stop")
        if (req.get("stream_options") or {}).get("include_usage"):
            yield (
                b"data: "
                + orjson.dumps(
                    {
                        "id": "chatcmpl-agent",
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
        text, call = decide(req, script)
        if req.get("stream"):
            return StreamingResponse(stream(req, text, call), media_type="text/event-stream")
        message: dict[str, Any] = {"role": "assistant", "content": text or None}
        if call is not None:
            message["tool_calls"] = [
                {
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": call["name"], "arguments": call["arguments"]},
                }
            ]
        body = {
            "id": "chatcmpl-agent",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model_name,
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if call else "stop"}],
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
            Route("/v1/models", models, methods=["GET"]),
        ]
    )
