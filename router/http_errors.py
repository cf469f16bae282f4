"""The one error boundary: any error, raised anywhere in the gateway, becomes a status, headers
(Retry-After included) and a JSON body in the caller's API shape here and nowhere else.

The shape is the dialect's own on its endpoints; elsewhere Anthropic's `{"type": "error", "error":
{...}}` under /v1/messages or when the client sent `anthropic-version`, OpenAI's `{"error": {...}}`
everywhere else. An error that is not ours (a bug) is answered "internal error", never with its
text: no traceback or server path reaches a client."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from backends.errors import (
    BackendStatusError,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    RequestError,
    SwitchpointError,
)

from .dialects.anthropic_render import error_json
from .dialects.base import openai_error_body

log = logging.getLogger(__name__)

Style = Literal["openai", "anthropic"]


def status_of(exc: SwitchpointError) -> int:
    """The HTTP status a client sees for `exc`."""
    if isinstance(exc, BackendStatusError):
        if exc.upstream_status == 429:
            return 429
        if 400 <= exc.upstream_status < 500 and not exc.retryable:
            return exc.upstream_status
        return 502
    return exc.status


def style_of(path: str, headers: Mapping[str, str]) -> Style:
    """The error shape a caller of `path` expects, outside a dialect endpoint."""
    return "anthropic" if path.startswith("/v1/messages") or "anthropic-version" in headers else "openai"


def error_payload(exc: SwitchpointError, style: str) -> dict[str, Any]:
    return error_json(exc) if style == "anthropic" else openai_error_body(exc)


def as_ours(exc: BaseException) -> SwitchpointError:
    return exc if isinstance(exc, SwitchpointError) else SwitchpointError("internal error")


def error_response(exc: BaseException, style: str, headers: Mapping[str, str] | None = None) -> Response:
    """`exc` as the response a caller in `style` gets: status, Retry-After where known, body."""
    err = as_ours(exc)
    out = dict(headers or {})
    retry_after = getattr(err, "retry_after", None)
    if retry_after is not None:
        out["retry-after"] = str(int(retry_after + 0.999))
    body = orjson.dumps(error_payload(err, style))
    return Response(body, status_code=status_of(err), media_type="application/json", headers=out)


def request_error_response(request: Request, exc: BaseException) -> Response:
    """`error_response` for a route that is not a dialect endpoint."""
    return error_response(exc, style_of(request.url.path, request.headers))


def field_error(errors: Sequence[Any]) -> InvalidRequest:
    """FastAPI's request validation errors as one InvalidRequest: the most specific, naming the field by its
    dotted path (without FastAPI's "body"/"query"/"path" prefix), like dialects.base.validation_error."""
    if not errors:
        return InvalidRequest("invalid request")
    err = max(errors, key=lambda e: len(e.get("loc", ())))
    loc = [str(p) for p in err.get("loc", ())]
    path = ".".join(loc[1:] if loc and loc[0] in ("body", "query", "path") else loc)
    if not path:
        return InvalidRequest(f"the request body: {err.get('msg', 'invalid')}")
    return InvalidRequest(f"invalid field '{path}': {err.get('msg', 'invalid')}", param=path)


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    err: SwitchpointError
    if exc.status_code == 404:
        err = NotFound(f"no route {request.method} {request.url.path}")
    elif exc.status_code == 405:
        err = MethodNotAllowed(f"method {request.method} is not allowed on {request.url.path}")
    else:
        err = RequestError(str(exc.detail))
        err.status = exc.status_code
    return error_response(err, style_of(request.url.path, request.headers), headers=exc.headers)


async def unhandled(request: Request, exc: Exception) -> Response:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return request_error_response(request, exc)


EXCEPTION_HANDLERS: dict[Any, Any] = {HTTPException: http_exception, Exception: unhandled}
