"""Optional shadow traffic: a sampled share of successful requests also goes to a second backend, off
the request path; the client only ever sees the first answer. With a judge configured both answers are
graded side by side. Shadow results feed the tuner's estimates (never its IPS, since no policy chose
them), so it learns about backends the current rules do not use."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import Engine

from backends.contract import Backend, CanonicalRequest, TextDelta, ToolCallDelta, Usage
from backends.errors import BackendError
from policies.routing import Needs, missing_capability

from .judge import Judge
from .outcome import RequestOutcome
from .settings import RoutingConfig
from .store_quality import SignalWriter, signal_row, write_shadow

log = logging.getLogger(__name__)


class Shadow:
    def __init__(
        self,
        backends: Mapping[str, Backend],
        target: str,
        share: float,
        engine: Engine,
        judge: Judge | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.backend = backends[target]
        self.share = share
        self.engine = engine
        self.judge = judge
        self._rng = rng or random.Random()

    def wants(self, out: RequestOutcome, request: CanonicalRequest | None) -> bool:
        if request is None or out.status != "ok" or out.backend in (None, self.backend.name):
            return False
        sig = orjson.loads(out.signals) if out.signals else {}
        needs = Needs(
            vision=bool(sig.get("has_images")),
            tools=bool(request.tools),
            fim=request.is_fim,
            prompt_tokens=int(sig.get("prompt_tokens", 0)),
        )
        return missing_capability(needs, self.backend.capabilities) is None and self._rng.random() < self.share

    async def run(self, row: RequestOutcome, request: CanonicalRequest, answer: Any, signals: SignalWriter) -> None:
        from .dialects import Completion

        shadow = Completion()
        t0 = time.perf_counter()
        first: float | None = None
        out: dict[str, Any] = {"request_id": row.id, "ts": time.time(), "backend": self.backend.name}
        try:
            async for ev in self.backend.stream(dataclasses.replace(request)):
                if first is None and isinstance(ev, TextDelta | ToolCallDelta):
                    first = time.perf_counter()
                shadow.add(ev)
        except BackendError as exc:
            out.update(status="error", error=exc.message[:500], latency_ms=(time.perf_counter() - t0) * 1000)
            await asyncio.to_thread(write_shadow, self.engine, out)
            return
        usage = shadow.usage or Usage()
        out.update(
            status="ok",
            latency_ms=(time.perf_counter() - t0) * 1000,
            ttft_ms=(first - t0) * 1000 if first is not None else None,
            output_tokens=usage.output_tokens if shadow.usage else None,
            cost_usd=self.backend.price.cost(usage) if shadow.usage else None,
        )
        if self.judge is not None:
            scores = await self.judge.compare(row.id, row.category or "prose", request, answer, shadow)
            if scores is not None:
                signals.add([signal_row(row.id, "judge", scores[0], "side by side", self.judge.backend.name)])
                out["score"] = scores[1]
        await asyncio.to_thread(write_shadow, self.engine, out)


def make_shadow(
    config: RoutingConfig, backends: Mapping[str, Backend], engine: Engine, judge: Judge | None
) -> Shadow | None:
    """The shadow the `routing:` settings configure (`shadow_backend`, `shadow_share`), or None."""
    if not config.shadow_backend or config.shadow_share <= 0:
        return None
    return Shadow(backends, config.shadow_backend, config.shadow_share, engine, judge)
