from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.openai_upstream import Script, make_upstream

ADMIN = "adm-test-key-0123456789-abcdefghijklmnop"
MSG = [{"role": "user", "content": "hello"}]


def admin(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"authorization": f"Bearer {ADMIN}"}, timeout=30)


def make_key(url: str, **spec: Any) -> dict[str, Any]:
    with admin(url) as c:
        r = c.post("/admin/keys", json={"name": "test", **spec})
        assert r.status_code == 200, r.text
        created: dict[str, Any] = r.json()
        return created


def chat(url: str, key: str | None = None, **body: Any) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return httpx.post(
        url + "/v1/chat/completions", json={"model": "auto", "messages": MSG, **body}, headers=headers, timeout=30
    )


async def stream_completions(request: Request) -> Response:
    """Legacy completions, streamed too (the shared fake upstream answers them only as JSON)."""
    req = orjson.loads(await request.body())
    choice = {"index": 0, "text": "pass", "finish_reason": "stop"}
    if not req.get("stream"):
        return Response(orjson.dumps({"object": "text_completion", "model": "m", "choices": [choice]}))

    async def events() -> AsyncIterator[bytes]:
        yield b"data: " + orjson.dumps({"object": "text_completion", "model": "m", "choices": [choice]}) + b"\n\n"
        yield b"data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


def fuzz_upstream(script: Script | None = None) -> Starlette:
    base = make_upstream(script or Script())
    return Starlette(routes=[Route("/v1/completions", stream_completions, methods=["POST"]), *base.routes])
