"""Admin API for the dashboard's numbers: the overview, the request log and one request's detail.

    GET /admin/stats/overview?window=15m|1h|6h|24h|7d|30d[&backend=][&category=]
    GET /admin/requests?[since=][&until=][&category=][&backend=][&status=][&client=][&key_id=][&cursor=][&limit=]
    GET /admin/requests/{id}

Queries run on app.state.engine in a worker thread (SQLAlchemy Core, SQLite or Postgres)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from starlette.requests import Request

from backends.errors import InvalidRequest
from policies.classify.types import CATEGORIES

from . import json_response
from .overview import WINDOWS, overview
from .overview_cache import BucketCache
from .requests_view import RequestFilter, list_requests, request_detail

if TYPE_CHECKING:
    from . import AdminContext

STATUSES = ("ok", "error", "cancelled")


def _limit(raw: str | None) -> int:
    if raw in (None, ""):
        return 50
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:  # "²" is a digit to isdigit(), not to int()
        raise InvalidRequest("limit must be a whole number from 1 to 500", param="limit")
    return int(raw)


def router(ctx: AdminContext) -> APIRouter:
    state = ctx.state
    cache = BucketCache()
    api = APIRouter(tags=["dashboard"])

    @api.get("/stats/overview")
    async def stats_overview(window: str | None = None, backend: str | None = None, category: str | None = None) -> Any:
        data = await asyncio.to_thread(
            overview, state.engine, window or "1h", backend=backend or None, category=category or None, cache=cache
        )
        return json_response(data)

    @api.get("/requests")
    async def requests_list(request: Request) -> Any:
        """Filters: since, until (unix seconds), category, backend, status, client, key_id; cursor; limit (1-500)."""
        q = request.query_params
        page = await asyncio.to_thread(
            list_requests, state.engine, RequestFilter.from_query(q), q.get("cursor") or None, _limit(q.get("limit"))
        )
        page["facets"] = {
            "backends": list(state.backends),
            "categories": list(CATEGORIES),
            "statuses": list(STATUSES),
            "windows": list(WINDOWS),
        }
        return json_response(page)

    @api.get("/requests/{id}")
    async def requests_detail(id: str) -> Any:
        bodies_on = bool(getattr(state.settings, "log_bodies", False))
        return json_response(await asyncio.to_thread(request_detail, state.engine, id, bodies_on=bodies_on))

    return api
