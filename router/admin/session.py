"""Admin login and logout: exchange the admin key for an HttpOnly session cookie."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backends.errors import AuthError, InvalidRequest, SwitchpointError

if TYPE_CHECKING:
    from . import AdminContext


def routes(ctx: AdminContext) -> list[Route]:
    from . import error_response, json_body, json_response

    async def login(request: Request) -> Response:
        try:
            body = await json_body(request)
            key = body.get("key") if isinstance(body, dict) else None
            if not isinstance(key, str):
                raise InvalidRequest('send {"key": "<admin key>"}', param="key")
            if not ctx.auth.key_matches(key):
                raise AuthError("invalid admin key")
        except SwitchpointError as exc:
            return error_response(exc)
        return ctx.auth.login_response(json_response({"ok": True}), secure=request.url.scheme == "https")

    async def logout(request: Request) -> Response:
        return ctx.auth.logout_response(json_response({"ok": True}))

    return [Route("/admin/login", login, methods=["POST"]), Route("/admin/logout", logout, methods=["POST"])]
