"""The admin JSON API under /admin/, which the dashboard reads and scripts call with the admin key.

Each module contributes its routes through `routes(ctx)`; every one of them is wrapped by
`admin_endpoint`, so no admin route can exist without the admin key check."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backends.errors import InvalidRequest, SwitchpointError

from ..dialects.base import openai_error_body
from .auth import AdminAuth

Handler = Callable[[Request], Awaitable[Any]]


@dataclass
class AdminContext:
    """What admin routes may use; built once by the app factory."""

    auth: AdminAuth
    state: Any  # the app's state: settings, gateway, request_log, engine, backends, metrics


def json_response(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def error_response(exc: SwitchpointError) -> Response:
    return Response(orjson.dumps(openai_error_body(exc)), status_code=exc.status, media_type="application/json")


async def json_body(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise InvalidRequest("request body is not valid JSON") from None


def admin_endpoint(ctx: AdminContext, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap `handler`: admin key check first; a returned Response passes as is, anything else is JSON;
    our errors become OpenAI-shaped error bodies."""

    async def endpoint(request: Request) -> Response:
        try:
            ctx.auth.check(request)
            result = await handler(request)
        except SwitchpointError as exc:
            return error_response(exc)
        return result if isinstance(result, Response) else json_response(result)

    return endpoint


def admin_routes(ctx: AdminContext) -> list[Route]:
    """Every admin route, each behind the admin key (login and logout excepted, which set cookies)."""
    from . import session

    routes = session.routes(ctx)
    for module in _modules():
        routes += [
            Route(path, admin_endpoint(ctx, handler), methods=methods) for path, handler, methods in module.routes(ctx)
        ]
    return routes


def _modules() -> list[Any]:
    from . import backends_status, classify_corrections, explain, keys, routing_state, rules, stats, tuning

    return [stats, backends_status, keys, rules, explain, tuning, routing_state, classify_corrections]
