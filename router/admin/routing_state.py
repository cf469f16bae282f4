"""Admin API: what routing holds right now (cooldowns, sticky sessions)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from . import AdminContext


def routes(ctx: AdminContext) -> list[tuple[str, Any, list[str]]]:
    async def state(request: Request) -> Any:
        routing = ctx.state.gateway.routing
        await routing.refresh_cooldowns()
        return {"cooldowns": routing.cooldowns(), "sticky_sessions": routing.sticky_sessions()}

    return [("/admin/routing/state", state, ["GET"])]
