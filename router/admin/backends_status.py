"""Admin API for the dashboard's Backends page: health, capabilities, prices and measured speed.

    GET /admin/backends[?window=1h]

Health comes from each backend's `health()` (a liveness probe that never costs a completion), checked
concurrently and cached for HEALTH_TTL_S so that a dashboard refreshing every few seconds does not
probe upstreams at that rate. Speed is measured from the request log over the window. Nothing secret
is returned: no keys, no key variable names, no base URLs (they may carry credentials)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter

from backends.contract import Backend

from . import json_response
from .overview import overview

if TYPE_CHECKING:
    from . import AdminContext

log = logging.getLogger(__name__)

HEALTH_TTL_S = 10.0
HEALTH_TIMEOUT_S = 5.0
SPEED_FIELDS = (
    "requests", "error_rate", "ttft_p50_ms", "ttft_p95_ms", "latency_p50_ms", "tokens_per_s", "tokens_per_s_requests",
    "draft_acceptance",
)  # fmt: skip


class HealthCache:
    """The last health answer per backend, refreshed when older than `ttl` seconds."""

    def __init__(self, ttl: float = HEALTH_TTL_S) -> None:
        self.ttl = ttl
        self._seen: dict[str, tuple[float, bool | None, str | None]] = {}

    async def _probe(self, backend: Backend) -> tuple[bool | None, str | None]:
        try:
            return bool(await asyncio.wait_for(backend.health(), HEALTH_TIMEOUT_S)), None
        except TimeoutError:
            return False, f"no answer within {HEALTH_TIMEOUT_S:.0f}s"
        except Exception as exc:  # a backend's probe must not break the page; say what happened
            log.warning("health check of %s raised %s", backend.name, exc.__class__.__name__)
            return False, exc.__class__.__name__

    async def get(self, backends: dict[str, Backend]) -> dict[str, dict[str, Any]]:
        now = time.time()
        stale = [n for n in backends if n not in self._seen or now - self._seen[n][0] > self.ttl]
        results = await asyncio.gather(*(self._probe(backends[n]) for n in stale))
        for name, (ok, error) in zip(stale, results, strict=True):
            self._seen[name] = (time.time(), ok, error)
        return {n: {"ok": ok, "checked_at": t, "error": err} for n, (t, ok, err) in self._seen.items() if n in backends}


def router(ctx: AdminContext) -> APIRouter:
    state = ctx.state
    cache = HealthCache()
    api = APIRouter(tags=["dashboard"])

    @api.get("/backends")
    async def list_backends(window: str | None = None) -> Any:
        window = window or "1h"
        backends: dict[str, Backend] = dict(state.backends)
        health, stats = await asyncio.gather(
            cache.get(backends), asyncio.to_thread(overview, state.engine, window, series=False)
        )
        speed = {b["name"]: {k: b[k] for k in SPEED_FIELDS} for b in stats["by_backend"]}
        kinds = {cfg.name: cfg.kind for cfg in state.settings.backends}
        return json_response(
            {
                "window": window,
                "backends": [
                    {
                        "name": name,
                        "kind": kinds.get(name),
                        "model": b.model,
                        "capabilities": asdict(b.capabilities),
                        "price": asdict(b.price),
                        "health": health.get(name),
                        "speed": speed.get(name) or {k: None for k in SPEED_FIELDS},
                    }
                    for name, b in backends.items()
                ],
            }
        )

    return api
