"""Admin API: what routing holds right now (cooldowns, sticky sessions)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from . import AdminContext, json_response


class RoutingState(BaseModel):
    cooldowns: dict[str, float]
    sticky_sessions: int


def router(ctx: AdminContext) -> APIRouter:
    api = APIRouter(tags=["routing"])

    @api.get("/routing/state", response_model=RoutingState)
    async def state() -> Any:
        routing = ctx.state.gateway.routing
        await routing.cooldowns.refresh()
        return json_response({"cooldowns": routing.cooldowns.seconds_left(), "sticky_sessions": routing.pins.count()})

    return api
