"""Errors raised outside a dialect endpoint (unknown routes, wrong methods, the key check on
/v1/models) answered as JSON in the shape the caller's API uses: Anthropic's
`{"type": "error", "error": {...}}` under /v1/messages or when the client sent `anthropic-version`,
OpenAI's `{"error": {...}}` everywhere else."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from backends.errors import RequestError, SwitchpointError

from .dialects.anthropic import error_json
from .dialects.base import openai_error_body


class RouteError(RequestError):
    """An HTTP error from routing itself (404, 405, ...)."""

    def __init__(self, message: str, *, status: int, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        if status == 404:
            self.type = "not_found_error"


def wants_anthropic(request: Request) -> bool:
    return request.url.path.startswith("/v1/messages") or "anthropic-version" in request.headers


def error_response(request: Request, exc: SwitchpointError, headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = error_json(exc) if wants_anthropic(request) else openai_error_body(exc)
    headers = dict(headers or {})
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["retry-after"] = str(int(retry_after + 0.999))
    return Response(orjson.dumps(body), status_code=exc.status, media_type="application/json", headers=headers)


_CODES = {404: "not_found", 405: "method_not_allowed"}


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"no route {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    err = RouteError(message, status=exc.status_code, code=_CODES.get(exc.status_code, "http_error"))
    return error_response(request, err, headers=dict(exc.headers or {}))


EXCEPTION_HANDLERS: dict[Any, Any] = {HTTPException: http_exception}
