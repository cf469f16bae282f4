"""Limits checked before any route runs: requests whose headers exceed MAX_HEADER_BYTES (or MAX_HEADERS
in number) are refused with 431, as JSON in the caller's API shape. Under `switchpoint serve` the
server's own protocol (router/http_server.py) already stops reading a head at its byte limit; this
middleware holds the same limits wherever else the app runs (another ASGI server, in-process tests)."""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from backends.errors import RequestError

from .dialects.anthropic import error_json
from .dialects.base import openai_error_body

MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 256


class HeadersTooLarge(RequestError):
    status = 431
    code = "request_header_fields_too_large"


class RequestTimeout(RequestError):
    status = 408
    code = "request_timeout"


def error_body(exc: RequestError, path: str, anthropic_version: bool) -> bytes:
    """`exc` as JSON in the caller's API shape, known before any route runs."""
    anthropic = anthropic_version or path.startswith("/v1/messages")
    return orjson.dumps(error_json(exc) if anthropic else openai_error_body(exc))


class HeaderLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope["headers"]
            if len(headers) > MAX_HEADERS or sum(len(k) + len(v) for k, v in headers) > MAX_HEADER_BYTES:
                await self._refuse(scope, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send) -> None:
        exc = HeadersTooLarge(f"request headers are over the limit of {MAX_HEADER_BYTES} bytes or {MAX_HEADERS} fields")
        body = error_body(exc, scope["path"], any(k == b"anthropic-version" for k, _ in scope["headers"]))
        await send(
            {
                "type": "http.response.start",
                "status": exc.status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
