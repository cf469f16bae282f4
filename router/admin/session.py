"""Admin login and logout: exchange the admin key for an HttpOnly session cookie, and end it.

Login is limited per client address (login_limit.py). Logout needs the session and its CSRF token
(so another site cannot log an admin out) and revokes the session on every replica."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backends.errors import AuthError, InvalidRequest, SwitchpointError

if TYPE_CHECKING:
    from . import AdminContext


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def routes(ctx: AdminContext) -> list[Route]:
    from . import error_response, json_body, json_response

    async def login(request: Request) -> Response:
        client = client_address(request)
        try:
            if ctx.limiter is not None:
                await ctx.limiter.check(client)
            body = await json_body(request)
            key = body.get("key") if isinstance(body, dict) else None
            if not isinstance(key, str):
                raise InvalidRequest('send {"key": "<admin key>"}', param="key")
            if not ctx.auth.key_matches(key):
                if ctx.limiter is not None:
                    await ctx.limiter.failed(client)
                raise AuthError("invalid admin key")
            if ctx.limiter is not None:
                await ctx.limiter.succeeded(client)
        except SwitchpointError as exc:
            return error_response(exc)
        return ctx.auth.login_response(json_response({"ok": True}), secure=request.url.scheme == "https")

    async def logout(request: Request) -> Response:
        try:
            await ctx.auth.check(request)
            await ctx.auth.revoke(request)
        except SwitchpointError as exc:
            return error_response(exc)
        return ctx.auth.logout_response(json_response({"ok": True}))

    return [Route("/admin/login", login, methods=["POST"]), Route("/admin/logout", logout, methods=["POST"])]
