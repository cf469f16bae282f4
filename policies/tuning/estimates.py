"""Estimates per (category, difficulty, backend) from logged requests: quality, TTFT, tokens/s, total
latency, p95 latency and cost, each with a 95% confidence interval. Pure: the router reads the rows.

Sparse cells borrow strength from their category: a cell's mean is shrunk towards the backend's mean
over the whole category with `prior_n` pseudo-observations (and its interval widens accordingly)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Z95 = 1.96
POOL_BELOW = 30  # samples under which a cell uses its backend's pooled quality variance
QUALITY_VAR = 0.25  # the largest variance a 0..1 score can have: the prior for one or no sample


@dataclass(slots=True, frozen=True)
class Observation:
    category: str
    difficulty: str
    backend: str
    quality: float | None  # 0..1, None when nothing is known
    latency_ms: float | None
    ttft_ms: float | None = None
    tps: float | None = None
    cost_usd: float | None = None
    probability: float | None = None  # the probability the policy gave this backend (IPS)


@dataclass(slots=True, frozen=True)
class Stat:
    n: int
    mean: float
    lo: float
    hi: float

    @property
    def se(self) -> float:
        return (self.hi - self.lo) / (2 * Z95)


@dataclass(slots=True, frozen=True)
class CellEstimate:
    n: int
    quality: Stat | None  # shrunk towards the category: for ranking
    quality_raw: Stat | None  # this cell alone: for constraints, where borrowed strength could mislead
    latency_ms: Stat | None
    p95_latency_ms: float | None
    p95_latency_hi: float | None  # an upper confidence bound on the p95
    ttft_ms: Stat | None
    tps: Stat | None
    cost_usd: Stat | None
    latencies: tuple[float, ...] = ()


Cell = tuple[str, str, str]  # (category, difficulty, backend)


def mean_stat(
    values: Sequence[float],
    prior_mean: float | None = None,
    prior_n: float = 0.0,
    default_var: float | None = None,
    pooled_var: float | None = None,
) -> Stat | None:
    """Mean and 95% interval; shrunk towards `prior_mean` with `prior_n` pseudo-observations. With fewer
    than two values the variance is `default_var` (else the squared mean: a coefficient of variation of 1);
    with fewer than POOL_BELOW it is `pooled_var` when given (the backend's spread over all its cells),
    steadier than a handful of samples, else the sample variance pulled towards `default_var`."""
    n = len(values)
    if n == 0 and prior_mean is None:
        return None
    m = sum(values) / n if n else (prior_mean or 0.0)
    fallback = default_var if default_var is not None else m * m
    var = sum((v - m) ** 2 for v in values) / (n - 1) if n > 1 else fallback
    if pooled_var is not None and n < POOL_BELOW:
        var = pooled_var
    elif default_var is not None and 1 < n < POOL_BELOW:
        var = ((n - 1) * var + 2 * default_var) / (n + 1)  # two pseudo-samples of the widest spread
    if prior_mean is not None and prior_n > 0:
        m = (n * m + prior_n * prior_mean) / (n + prior_n)
    eff = n + (prior_n if prior_mean is not None else 0.0)
    half = Z95 * math.sqrt(max(var, 1e-12) / max(eff, 1.0))
    return Stat(n, m, m - half, m + half)


def quantile(values: Sequence[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return math.nan
    pos = q * (len(s) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def p95_with_bound(values: Sequence[float]) -> tuple[float | None, float | None]:
    """The empirical p95 and a 95% upper bound on it. Latencies are right-skewed, so the bound fits a
    log-normal: exp(mu_hi + 1.645 * s_hi) with upper bounds on the log mean and log spread; never below
    the empirical p95, and infinite with fewer than 5 samples."""
    n = len(values)
    if n == 0:
        return None, None
    p95 = quantile(values, 0.95)
    logs = [math.log(max(v, 1e-3)) for v in values]
    if n < 5:
        return p95, math.inf
    mu, s = statistics.fmean(logs), statistics.stdev(logs)
    mu_hi = mu + Z95 * s / math.sqrt(n)
    s_hi = s * (1 + Z95 / math.sqrt(2 * (n - 1)))
    return p95, max(p95, math.exp(mu_hi + 1.645 * s_hi))


def _vals(obs: Iterable[Observation], attr: str) -> list[float]:
    return [v for o in obs if (v := getattr(o, attr)) is not None and not math.isnan(v)]


def _pooled_variance(cells: dict[Cell, list[Observation]]) -> dict[str, float]:
    """Per backend, the within-cell variance of quality pooled over its cells (when 10+ degrees of freedom)."""
    ss: dict[str, float] = {}
    dof: dict[str, int] = {}
    for (_, _, backend), obs in cells.items():
        q = _vals(obs, "quality")
        if len(q) > 1:
            m = sum(q) / len(q)
            ss[backend] = ss.get(backend, 0.0) + sum((v - m) ** 2 for v in q)
            dof[backend] = dof.get(backend, 0) + len(q) - 1
    return {b: ss[b] / dof[b] for b in ss if dof[b] >= 10}


def estimate(observations: Iterable[Observation], prior_n: float = 5.0) -> dict[Cell, CellEstimate]:
    cells: dict[Cell, list[Observation]] = {}
    pooled: dict[tuple[str, str], list[Observation]] = {}
    for o in observations:
        cells.setdefault((o.category, o.difficulty, o.backend), []).append(o)
        pooled.setdefault((o.category, o.backend), []).append(o)
    prior_q = {k: (sum(q) / len(q) if (q := _vals(v, "quality")) else None) for k, v in pooled.items()}
    pooled_var = _pooled_variance(cells)
    out: dict[Cell, CellEstimate] = {}
    for (cat, diff, backend), obs in cells.items():
        lat = _vals(obs, "latency_ms")
        p95, p95_hi = p95_with_bound(lat)
        pq = prior_q.get((cat, backend))
        out[(cat, diff, backend)] = CellEstimate(
            n=len(obs),
            quality=mean_stat(
                _vals(obs, "quality"), pq, prior_n if pq is not None else 0.0, QUALITY_VAR, pooled_var.get(backend)
            )
            if _vals(obs, "quality") or pq is not None
            else None,
            quality_raw=mean_stat(_vals(obs, "quality"), default_var=QUALITY_VAR, pooled_var=pooled_var.get(backend)),
            latency_ms=mean_stat(lat),
            p95_latency_ms=p95,
            p95_latency_hi=p95_hi,
            ttft_ms=mean_stat(_vals(obs, "ttft_ms")),
            tps=mean_stat(_vals(obs, "tps")),
            cost_usd=mean_stat(_vals(obs, "cost_usd")),
            latencies=tuple(lat),
        )
    return out
