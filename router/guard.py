"""Limits checked before any route runs: requests whose headers exceed MAX_HEADER_BYTES (or MAX_HEADERS
in number) are refused with 431, as JSON in the caller's API shape. Under `switchpoint serve` the
server's own protocol (router/http_server.py) already stops reading a head at its byte limit; this
middleware holds the same limits wherever else the app runs (another ASGI server, in-process tests)."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from backends.errors import HeadersTooLarge

from .http_errors import error_response, style_of

MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 256


class HeaderLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope["headers"]
            if len(headers) > MAX_HEADERS or sum(len(k) + len(v) for k, v in headers) > MAX_HEADER_BYTES:
                exc = HeadersTooLarge(
                    f"request headers are over the limit of {MAX_HEADER_BYTES} bytes or {MAX_HEADERS} fields"
                )
                await error_response(exc, style_of(scope["path"], Headers(scope=scope)))(scope, receive, send)
                return
        await self.app(scope, receive, send)
