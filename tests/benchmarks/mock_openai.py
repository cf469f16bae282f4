"""A fast OpenAI-compatible mock for benchmarks: a bare ASGI app, canned answers, no parsing beyond
finding `"stream": true`. Run: python -m tests.benchmarks.mock_openai PORT"""

from __future__ import annotations

import sys
import time
from typing import Any

import orjson
import uvicorn

CHUNKS = 20


def _body(stream: bool) -> list[bytes]:
    if not stream:
        return [
            orjson.dumps(
                {
                    "id": "chatcmpl-mock",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": "mock",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "word " * CHUNKS},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 12, "completion_tokens": CHUNKS, "total_tokens": 12 + CHUNKS},
                }
            )
        ]
    head = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": int(time.time()), "model": "mock"}
    out = [
        b"data: "
        + orjson.dumps({**head, "choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]})
        + b"\n\n"
    ]
    out += [
        b"data: "
        + orjson.dumps({**head, "choices": [{"index": 0, "delta": {"content": "word "}, "finish_reason": None}]})
        + b"\n\n"
        for _ in range(CHUNKS)
    ]
    out.append(
        b"data: " + orjson.dumps({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}) + b"\n\n"
    )
    out.append(
        b"data: "
        + orjson.dumps(
            {
                **head,
                "choices": [],
                "usage": {"prompt_tokens": 12, "completion_tokens": CHUNKS, "total_tokens": 12 + CHUNKS},
            }
        )
        + b"\n\n"
    )
    out.append(b"data: [DONE]\n\n")
    return out


JSON_BODY = _body(False)
SSE_BODY = _body(True)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        msg = await receive()
        body += msg.get("body", b"")
        if not msg.get("more_body"):
            break
    stream = b'"stream":true' in body or b'"stream": true' in body
    if scope["path"].endswith("/models"):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"object":"list","data":[]}'})
        return
    ctype = b"text/event-stream" if stream else b"application/json"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", ctype)]})
    parts = SSE_BODY if stream else JSON_BODY
    for i, part in enumerate(parts):
        await send({"type": "http.response.body", "body": part, "more_body": i < len(parts) - 1})


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )
