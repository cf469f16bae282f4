"""The overview numbers: requests, errors, fallbacks, TTFT and latency percentiles, decode speed and
draft acceptance, in total, by backend, by category and as a time series over a window.

Three grouped queries read the window through the `ts` index (counts and sums; a latency histogram;
a TTFT histogram; see stats_sql.fetch); everything else is arithmetic on the grouped rows. With a
BucketCache, closed buckets are read once and only the open tail of the window on each refresh.
Synchronous: callers run it in a worker thread."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from backends.errors import InvalidRequest

from .overview_cache import BucketCache
from .stats_sql import fetch, percentile, rounded

# window -> (seconds, bucket width in seconds)
WINDOWS: dict[str, tuple[int, int]] = {
    "15m": (900, 30),
    "1h": (3600, 60),
    "6h": (6 * 3600, 300),
    "24h": (86400, 1800),
    "7d": (7 * 86400, 4 * 3600),
    "30d": (30 * 86400, 86400),
}
NO_BACKEND = "(none)"
NO_CATEGORY = "(none)"
SERIES_METRICS = (
    "requests",
    "errors",
    "fallbacks",
    "ttft_p50_ms",
    "ttft_p95_ms",
    "latency_p50_ms",
    "latency_p95_ms",
    "tokens_per_s",
    "draft_acceptance",
)


@dataclass
class Acc:
    """Running totals for one group of rows."""

    requests: int = 0
    errors: int = 0
    fallbacks: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    tps_n: int = 0
    tps_tokens: float = 0.0
    tps_seconds: float = 0.0
    draft_proposed: int = 0
    draft_accepted: int = 0
    cost_usd: float = 0.0
    latency: dict[int, int] = field(default_factory=dict)
    ttft: dict[int, int] = field(default_factory=dict)

    def add(self, sums: tuple[Any, ...]) -> None:
        """Add one group's sums, in the order of stats_sql.SUM_COLUMNS."""
        n, errors, fallbacks, tokens_in, tokens_out, tps_n, tps_tokens, tps_seconds, proposed, accepted, cost = sums
        self.requests += n
        self.errors += errors
        self.fallbacks += fallbacks
        self.input_tokens += tokens_in
        self.output_tokens += tokens_out
        self.tps_n += tps_n
        self.tps_tokens += tps_tokens
        self.tps_seconds += tps_seconds
        self.draft_proposed += proposed
        self.draft_accepted += accepted
        self.cost_usd += cost

    def view(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "error_rate": rounded(self.errors / self.requests, 4) if self.requests else None,
            "fallbacks": self.fallbacks,
            "ttft_p50_ms": rounded(percentile(self.ttft, 0.5)),
            "ttft_p95_ms": rounded(percentile(self.ttft, 0.95)),
            "latency_p50_ms": rounded(percentile(self.latency, 0.5)),
            "latency_p95_ms": rounded(percentile(self.latency, 0.95)),
            "tokens_per_s": rounded(self.tps_tokens / self.tps_seconds) if self.tps_seconds > 0 else None,
            "tokens_per_s_requests": self.tps_n,  # how many requests the decode speed rests on
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "draft_proposed": self.draft_proposed,
            "draft_accepted": self.draft_accepted,
            "draft_acceptance": rounded(self.draft_accepted / self.draft_proposed, 4) if self.draft_proposed else None,
            "cost_usd": round(self.cost_usd, 6),
        }


def window_bounds(window: str, now: float | None = None) -> tuple[float, float, int]:
    """(since, until, step): `span // step` buckets of `step` seconds from `since`, aligned to the
    step so that charts do not shift between refreshes; the last bucket holds `until`."""
    if window not in WINDOWS:
        raise InvalidRequest(f"window must be one of {', '.join(WINDOWS)}", param="window")
    span, step = WINDOWS[window]
    until = now if now is not None else time.time()
    since = (until // step) * step + step - span
    return since, until, step


@dataclass
class Groups:
    """The window's rows added up: in total, by backend, by category, and per bucket of the series
    (`buckets` buckets, the first numbered `first`), with each bucket's request count per backend."""

    first: int
    buckets: int
    total: Acc = field(default_factory=Acc)
    by_backend: dict[str, Acc] = field(default_factory=dict)
    by_category: dict[str, Acc] = field(default_factory=dict)
    per_bin: list[Acc] = field(init=False)
    backend_counts: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.per_bin = [Acc() for _ in range(self.buckets)]

    def _bin(self, bucket: int | None) -> int | None:
        """The bucket's place in the series, or None for a row outside it (or not bucketed)."""
        if bucket is not None and 0 <= bucket - self.first < self.buckets:
            return bucket - self.first
        return None

    def of(self, bucket: int | None, b: str | None, c: str | None) -> list[Acc]:
        """The accumulators a row of (bucket, backend, category) counts in."""
        b, c = b or NO_BACKEND, c or NO_CATEGORY
        out = [self.total, self.by_backend.setdefault(b, Acc()), self.by_category.setdefault(c, Acc())]
        i = self._bin(bucket)
        if i is not None:
            out.append(self.per_bin[i])
        return out

    def add_sums(self, rows: list[tuple[Any, ...]]) -> None:
        """Rows are (bucket, backend, category, *sums in the order of stats_sql.SUM_COLUMNS)."""
        for row in rows:
            bucket, b = row[0], row[1]
            for acc in self.of(bucket, b, row[2]):
                acc.add(row[3:])
            i = self._bin(bucket)
            if i is not None:
                self.backend_counts.setdefault(b or NO_BACKEND, [0] * self.buckets)[i] += row[3]

    def add_histogram(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        """Rows are (bucket, backend, category, k, n): each group's histogram `name` ("latency",
        "ttft") adds up the bin counts."""
        hists: dict[tuple[int | None, str | None, str | None], dict[int, int]] = {}
        for bucket, b, c, k, n in rows:
            h = hists.setdefault((bucket, b, c), {})
            h[k] = h.get(k, 0) + n
        for (bucket, b, c), h in hists.items():
            for acc in self.of(bucket, b, c):
                into = getattr(acc, name)
                for k, n in h.items():
                    into[k] = into.get(k, 0) + n

    def series(self, since: float, step: int) -> dict[str, Any]:
        views = [a.view() for a in self.per_bin]
        return {
            "t": [since + i * step for i in range(self.buckets)],
            **{m: [v[m] for v in views] for m in SERIES_METRICS},
            "requests_by_backend": dict(sorted(self.backend_counts.items())),
        }


def overview(
    engine: Engine,
    window: str = "1h",
    *,
    backend: str | None = None,
    category: str | None = None,
    now: float | None = None,
    series: bool = True,
    cache: BucketCache | None = None,
) -> dict[str, Any]:
    since, until, step = window_bounds(window, now)
    if not series:
        grouped = fetch(engine, since, until, None, backend=backend, category=category)
    elif cache is not None:
        clock = now if now is not None else time.time()
        grouped = cache.window(engine, since, until, step, clock, backend=backend, category=category)
    else:
        grouped = fetch(engine, since, until, step, backend=backend, category=category)
    groups = Groups(first=int(since // step), buckets=WINDOWS[window][0] // step)
    groups.add_sums(grouped.sums)
    groups.add_histogram("latency", grouped.latency)
    groups.add_histogram("ttft", grouped.ttft)
    out: dict[str, Any] = {
        "window": window,
        "since": since,
        "until": until,
        "step_s": step,
        "totals": groups.total.view(),
        "by_backend": [{"name": k, **v.view()} for k, v in sorted(groups.by_backend.items())],
        "by_category": [{"name": k, **v.view()} for k, v in sorted(groups.by_category.items())],
    }
    if series:
        out["series"] = groups.series(since, step)
    return out
