"""Admin login and logout: exchange the admin key for an HttpOnly session cookie, and end it.

Login is limited per client address (login_limit.py). Logout needs the session and its CSRF token
(so another site cannot log an admin out) and revokes the session on every replica."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from backends.errors import AuthError

if TYPE_CHECKING:
    from . import AdminContext


class Login(BaseModel):
    key: str


class Ok(BaseModel):
    ok: bool = True


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def router(ctx: AdminContext) -> APIRouter:
    from . import json_response

    async def not_backed_off(request: Request) -> None:
        if ctx.limiter is not None:
            await ctx.limiter.check(client_address(request))

    async def session_required(request: Request) -> None:
        await ctx.auth.check(request)

    api = APIRouter(tags=["session"])

    @api.post("/login", response_model=Ok, dependencies=[Depends(not_backed_off)])
    async def login(body: Login, request: Request) -> Response:
        client = client_address(request)
        if not ctx.auth.key_matches(body.key):
            if ctx.limiter is not None:
                await ctx.limiter.failed(client)
            raise AuthError("invalid admin key")
        if ctx.limiter is not None:
            await ctx.limiter.succeeded(client)
        return ctx.auth.login_response(json_response({"ok": True}), secure=request.url.scheme == "https")

    @api.post("/logout", response_model=Ok, dependencies=[Depends(session_required)])
    async def logout(request: Request) -> Response:
        await ctx.auth.revoke(request)
        return ctx.auth.logout_response(json_response({"ok": True}))

    return api
