"""The admin JSON API under /admin/, which the dashboard reads and scripts call with the admin key.

A FastAPI application mounted at /admin (api.py). Each module in `_modules()` gives an APIRouter
through `router(ctx)` (or old-style `routes(ctx)`, adapted); every one of them is included behind the
admin key and CSRF dependencies, so no admin route can exist without the admin key check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from backends.errors import AuthError, InvalidRequest, SwitchpointError

from .. import http_errors
from .auth import AdminAuth
from .login_limit import LoginLimiter

Handler = Any  # an old-style handler: async (Request) -> a Response or JSON data


@dataclass
class AdminContext:
    """What admin routes may use; built once by the app factory."""

    auth: AdminAuth
    state: Any  # the app's state: settings, gateway, request_log, engine, backends, metrics
    limiter: LoginLimiter | None = None  # backoff on wrong admin keys, per client address


def json_response(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def error_response(exc: SwitchpointError) -> Response:
    return http_errors.error_response(exc, "openai")


def has_nul(value: Any) -> bool:
    """Whether a NUL character hides in `value` or anything it holds (Postgres text cannot store one)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


async def json_body(request: Request) -> Any:
    try:
        data = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise InvalidRequest("request body is not valid JSON") from None
    if has_nul(data):
        raise InvalidRequest("request body holds a NUL character (\\u0000), which no field accepts")
    return data


def check_params(request: Request) -> None:
    """Refuse a NUL in the path or the query string before any handler passes it to the database."""
    if has_nul(list(request.query_params.multi_items())) or has_nul(request.path_params):
        raise InvalidRequest("the URL holds a NUL character (%00), which no parameter accepts")


async def _authorise(ctx: AdminContext, request: Request) -> None:
    """The admin key check; a wrong bearer key counts as a failed login (the same backoff)."""
    bearer = (request.headers.get("authorization") or "")[:7].lower() == "bearer "
    if ctx.limiter is None or not bearer:
        await ctx.auth.check(request)
        return
    from .session import client_address

    client = client_address(request)
    await ctx.limiter.check(client)
    try:
        await ctx.auth.check(request)
    except AuthError:
        await ctx.limiter.failed(client)
        raise


class BuiltOnFirstUse:
    """An ASGI app built when its first request comes: FastAPI and the admin API's models (about 10 MB)
    cost a gateway that only serves /v1 nothing; the dashboard's first call pays for them once."""

    def __init__(self, build: Callable[[], ASGIApp]) -> None:
        self._build = build
        self._app: ASGIApp | None = None

    @property
    def app(self) -> ASGIApp:
        if self._app is None:
            self._app = self._build()
        return self._app

    @property
    def routes(self) -> list[Any]:
        """What Starlette's Mount lists (for url_for and route listings); asking builds the app."""
        return list(getattr(self.app, "routes", []))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def admin_mounts(ctx: AdminContext, modules: list[Any] | None = None) -> list[Any]:
    """The admin API (a FastAPI app mounted at /admin, router/admin/api.py) and its page at /docs; the
    API's modules are ours unless given."""

    def build() -> ASGIApp:
        from .api import admin_app

        return admin_app(ctx, _modules() if modules is None else modules)

    async def docs(request: Request) -> Response:
        from .api import DOCS_PAGE

        try:
            await _authorise(ctx, request)
        except SwitchpointError as exc:
            return error_response(exc)
        return HTMLResponse(DOCS_PAGE)

    return [Mount("/admin", app=BuiltOnFirstUse(build)), Route("/docs", docs, methods=["GET"])]


def _modules() -> list[Any]:
    from . import (
        backends_status,
        classify_corrections,
        classify_retrain,
        explain,
        keys,
        routing_state,
        rules,
        stats,
        tuning,
    )

    return [stats, backends_status, keys, rules, explain, tuning, routing_state, classify_corrections, classify_retrain]
