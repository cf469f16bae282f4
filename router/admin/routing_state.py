"""Admin API: what routing holds right now (cooldowns, sticky sessions)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from . import AdminContext


def routes(ctx: AdminContext) -> list[tuple[str, Any, list[str]]]:
    async def state(request: Request) -> Any:
        routing = ctx.state.gateway.routing
        await routing.cooldowns.refresh()
        return {"cooldowns": routing.cooldowns.seconds_left(), "sticky_sessions": routing.pins.count()}

    return [("/admin/routing/state", state, ["GET"])]
