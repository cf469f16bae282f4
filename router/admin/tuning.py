"""Admin API for tuning: proposals computed from the logs, and applying one as a new rule version."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request

from backends.errors import InvalidRequest, NotFound
from policies.tuning import Proposal

from ..tuning import compute_proposals, objective_of
from . import AdminContext, json_body


def routes(ctx: AdminContext) -> list[tuple[str, Any, list[str]]]:
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

    async def listing(request: Request) -> Any:
        return {"proposals": [p.as_dict() for p in await compute()]}

    async def apply(request: Request) -> Any:
        body = await json_body(request)
        pid = body.get("id") if isinstance(body, dict) else None
        if not isinstance(pid, str):
            raise InvalidRequest("id: a proposal id is required", param="id")
        chosen = last.get(pid) or next((p for p in await compute() if p.id == pid), None)
        if chosen is None:
            raise NotFound(
                f"no proposal '{pid}' (proposals change as the logs grow)", code="proposal_not_found", param="id"
            )
        version = await ctx.state.gateway.routing.versions.publish(chosen.yaml, "admin", f"tune: {chosen.description}")
        return {"version": version}

    return [("/admin/tuning", listing, ["GET"]), ("/admin/tuning/apply", apply, ["POST"])]
