"""A loopback server speaking Gemini's REST API (`:generateContent`, `:streamGenerateContent?alt=sse`),
so litellm's real translation code runs against it. Records each request body."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route


@dataclass
class GeminiScript:
    text: str = "Bonjour from Gemini."
    call: dict[str, Any] | None = None  # {"name": ..., "args": {...}} answers with a function call
    signature: str | None = None  # the functionCall part's thoughtSignature (Gemini 2.5+ thinking models)
    usage: dict[str, Any] = field(
        default_factory=lambda: {"promptTokenCount": 9, "candidatesTokenCount": 5, "totalTokenCount": 14}
    )
    status: int = 200
    message: str = "scripted failure"  # the error message answered with a status other than 200
    requests: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    api_keys: list[str | None] = field(default_factory=list)


def make_gemini(script: GeminiScript) -> Starlette:
    def candidate(parts: list[dict[str, Any]], finish: str | None) -> dict[str, Any]:
        c: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
        if finish:
            c["finishReason"] = finish
        return c

    async def generate(request: Request) -> Response:
        script.paths.append(request.url.path + ("?" + request.url.query if request.url.query else ""))
        script.api_keys.append(request.headers.get("x-goog-api-key") or request.query_params.get("key"))
        script.requests.append(orjson.loads(await request.body()))
        if script.status != 200:
            err = {"error": {"code": script.status, "message": script.message, "status": "UNAVAILABLE"}}
            return Response(orjson.dumps(err), status_code=script.status, media_type="application/json")
        stream = request.url.path.endswith(":streamGenerateContent")
        parts: list[dict[str, Any]] = (
            [{"functionCall": script.call}] if script.call is not None else [{"text": script.text}]
        )
        if script.call is not None and script.signature is not None:
            parts[0]["thoughtSignature"] = script.signature
        usage = script.usage
        if not stream:
            body = {
                "candidates": [candidate(parts, "STOP")],
                "usageMetadata": usage,
                "modelVersion": "gemini-2.5-flash",
            }
            return Response(orjson.dumps(body), media_type="application/json")

        async def events() -> AsyncIterator[bytes]:
            if script.call is None:
                half = len(script.text) // 2
                for piece in (script.text[:half], script.text[half:]):
                    yield b"data: " + orjson.dumps({"candidates": [candidate([{"text": piece}], None)]}) + b"\r\n\r\n"
            else:
                yield b"data: " + orjson.dumps({"candidates": [candidate(parts, None)]}) + b"\r\n\r\n"
            last = {
                "candidates": [candidate([{"text": ""}], "STOP")],
                "usageMetadata": usage,
                "modelVersion": "gemini-2.5-flash",
            }
            yield b"data: " + orjson.dumps(last) + b"\r\n\r\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(
        routes=[
            Route("/v1beta/models/{model}:generateContent", generate, methods=["POST"]),
            Route("/v1beta/models/{model}:streamGenerateContent", generate, methods=["POST"]),
        ]
    )
