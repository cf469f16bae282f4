"""Admin API for the dashboard's numbers: the overview, the request log and one request's detail.

    GET /admin/stats/overview?window=15m|1h|6h|24h|7d|30d[&backend=][&category=]
    GET /admin/requests?[since=][&until=][&category=][&backend=][&status=][&client=][&key_id=][&cursor=][&limit=]
    GET /admin/requests/{id}

Queries run on app.state.engine in a worker thread (SQLAlchemy Core, SQLite or Postgres)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from backends.errors import InvalidRequest
from policies.classify.types import CATEGORIES

from .overview import WINDOWS, overview
from .overview_cache import BucketCache
from .requests_view import RequestFilter, list_requests, request_detail

if TYPE_CHECKING:
    from . import AdminContext, Handler

STATUSES = ("ok", "error", "cancelled")


def _limit(raw: str | None) -> int:
    if raw in (None, ""):
        return 50
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:  # "²" is a digit to isdigit(), not to int()
        raise InvalidRequest("limit must be a whole number from 1 to 500", param="limit")
    return int(raw)


def routes(ctx: AdminContext) -> list[tuple[str, Handler, list[str]]]:
    state = ctx.state
    cache = BucketCache()

    async def stats_overview(request: Request) -> Any:
        q = request.query_params
        return await asyncio.to_thread(
            overview,
            state.engine,
            q.get("window") or "1h",
            backend=q.get("backend") or None,
            category=q.get("category") or None,
            cache=cache,
        )

    async def requests_list(request: Request) -> Any:
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
        return page

    async def requests_detail(request: Request) -> Any:
        bodies_on = bool(getattr(state.settings, "log_bodies", False))
        return await asyncio.to_thread(request_detail, state.engine, request.path_params["id"], bodies_on=bodies_on)

    return [
        ("/admin/stats/overview", stats_overview, ["GET"]),
        ("/admin/requests", requests_list, ["GET"]),
        ("/admin/requests/{id}", requests_detail, ["GET"]),
    ]
