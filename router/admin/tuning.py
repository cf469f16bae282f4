"""Admin API for tuning: proposals computed from the logs, and applying one as a new rule version."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, StrictStr

from backends.errors import NotFound
from policies.tuning import Proposal

from ..tuning import compute_proposals, objective_of
from . import AdminContext, json_response


class Apply(BaseModel):
    id: StrictStr = Field(description="a proposal id from GET /admin/tuning")


def router(ctx: AdminContext) -> APIRouter:
    api = APIRouter(prefix="/tuning", tags=["tuning"])
    last: dict[str, Proposal] = {}

    async def compute() -> list[Proposal]:
        routing = ctx.state.gateway.routing
        versions = routing.versions
        await versions.maybe_reload()
        objective = objective_of(ctx.state.settings.routing)
        proposals: list[Proposal] = await asyncio.to_thread(
            compute_proposals, ctx.state.engine, routing.table, versions.rules, objective
        )
        last.clear()
        last.update({p.id: p for p in proposals})
        return proposals

    @api.get("")
    async def listing() -> Any:
        return json_response({"proposals": [p.as_dict() for p in await compute()]})

    @api.post("/apply")
    async def apply(body: Apply) -> Any:
        pid = body.id
        chosen = last.get(pid) or next((p for p in await compute() if p.id == pid), None)
        if chosen is None:
            raise NotFound(
                f"no proposal '{pid}' (proposals change as the logs grow)", code="proposal_not_found", param="id"
            )
        version = await ctx.state.gateway.routing.versions.publish(chosen.yaml, "admin", f"tune: {chosen.description}")
        return json_response({"version": version})

    return api
