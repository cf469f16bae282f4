"""The operator's objective: weights for quality against latency against cost, and constraints.

    utility = w_quality * quality - w_latency * latency_seconds - w_cost * cost_cents

Constraints hold per (category, difficulty) cell, judged conservatively: the quality's one-sided 99%
lower bound (this cell's own data, no borrowed strength) must reach `min_quality`, and the p95
latency's upper bound must stay under `max_p95_latency_ms`. 99% rather than 95% because the tuner looks
again at every run: a looser bound, tested over and over, lets a backend just under the bar through."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .estimates import CellEstimate

Z_ONE_SIDED = 2.326  # one-sided 99%


@dataclass(slots=True, frozen=True)
class Objective:
    w_quality: float = 1.0
    w_latency: float = 0.05  # per second
    w_cost: float = 0.1  # per US cent
    min_quality: float = 0.0
    max_p95_latency_ms: float | None = None

    def utility(self, quality: float, latency_ms: float, cost_usd: float) -> float:
        return self.w_quality * quality - self.w_latency * latency_ms / 1000 - self.w_cost * cost_usd * 100

    def cell_utility(self, est: CellEstimate) -> tuple[float, float] | None:
        """Estimated utility of a cell and its standard error; None without quality or latency data."""
        if est.quality is None or est.latency_ms is None:
            return None
        cost = est.cost_usd.mean if est.cost_usd is not None else 0.0
        u = self.utility(est.quality.mean, est.latency_ms.mean, cost)
        se = math.hypot(self.w_quality * est.quality.se, self.w_latency * est.latency_ms.se / 1000)
        if est.cost_usd is not None:
            se = math.hypot(se, self.w_cost * 100 * est.cost_usd.se)
        return u, se

    def feasible(self, est: CellEstimate) -> bool:
        """Whether the cell meets the constraints with confidence (lower/upper bounds, not means)."""
        q = est.quality_raw
        if self.min_quality > 0 and (q is None or q.mean - Z_ONE_SIDED * q.se < self.min_quality):
            return False
        if self.max_p95_latency_ms is not None:
            hi = est.p95_latency_hi
            if hi is None or not hi <= self.max_p95_latency_ms:
                return False
        return True
