"""The overview numbers: requests, errors, fallbacks, TTFT and latency percentiles, decode speed and
draft acceptance, in total, by backend, by category and as a time series over a window.

Three grouped queries read the window through the `ts` index (counts and sums; a latency histogram;
a TTFT histogram); everything else is arithmetic on their few hundred rows. Synchronous: callers run
it in a worker thread."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, and_, case, func, literal_column, select

from backends.errors import InvalidRequest

from ..store import RequestRecord
from .stats_sql import bin_index, percentile, rounded, time_bin

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

T = RequestRecord.__table__.c  # type: ignore[attr-defined]


@dataclass
class Acc:
    """Running totals for one group of rows."""

    requests: int = 0
    errors: int = 0
    fallbacks: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    tps_tokens: float = 0.0
    tps_seconds: float = 0.0
    draft_proposed: int = 0
    draft_accepted: int = 0
    cost_usd: float = 0.0
    latency: dict[int, int] = field(default_factory=dict)
    ttft: dict[int, int] = field(default_factory=dict)

    def add(self, row: Any) -> None:
        # Postgres sums integers as numeric (Decimal): convert each sum once, here.
        self.requests += int(row.n)
        self.errors += int(row.errors or 0)
        self.fallbacks += int(row.fallbacks or 0)
        self.input_tokens += int(row.input_tokens or 0)
        self.output_tokens += int(row.output_tokens or 0)
        self.tps_tokens += float(row.tps_tokens or 0)
        self.tps_seconds += float(row.tps_seconds or 0)
        self.draft_proposed += int(row.draft_proposed or 0)
        self.draft_accepted += int(row.draft_accepted or 0)
        self.cost_usd += float(row.cost_usd or 0)

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


def overview(
    engine: Engine,
    window: str = "1h",
    *,
    backend: str | None = None,
    category: str | None = None,
    now: float | None = None,
    series: bool = True,
) -> dict[str, Any]:
    since, until, step = window_bounds(window, now)
    where = [T.ts >= since, T.ts < until]
    if backend:
        where.append(T.backend == backend)
    if category:
        where.append(T.category == category)
    tb_col = time_bin(engine, T.ts, since, step).label("tb")
    keys = [tb_col, T.backend, T.category] if series else [T.backend, T.category]
    # Group by output names: Postgres cannot match two copies of an expression with bound parameters.
    group: list[Any] = [literal_column(k) for k in (["tb"] if series else []) + ["backend", "category"]]
    sums = select(
        *keys,
        func.count().label("n"),
        func.sum(case((T.status == "error", 1), else_=0)).label("errors"),
        func.sum(case((T.attempts > 1, 1), else_=0)).label("fallbacks"),
        func.sum(T.input_tokens).label("input_tokens"),
        func.sum(T.output_tokens).label("output_tokens"),
        # Decode speed as tokens over time, summed: (n-1) tokens took (n-1)/decode_tps seconds each.
        func.sum(case((T.decode_tps > 0, T.output_tokens - 1), else_=0)).label("tps_tokens"),
        func.sum((T.output_tokens - 1) / func.nullif(T.decode_tps, 0)).label("tps_seconds"),
        func.sum(T.draft_proposed).label("draft_proposed"),
        func.sum(T.draft_accepted).label("draft_accepted"),
        func.sum(T.cost_usd).label("cost_usd"),
    ).where(and_(*where))

    def hist(col: Any) -> Any:
        k = bin_index(f"requests.{col.name}").label("k")
        q = select(*keys, k, func.count().label("n")).where(and_(*where, col.is_not(None)))
        return q.group_by(*group, literal_column("k"))

    buckets = WINDOWS[window][0] // step
    total = Acc()
    by_backend: dict[str, Acc] = {}
    by_category: dict[str, Acc] = {}
    per_bin = [Acc() for _ in range(buckets)]
    backend_counts: dict[str, list[int]] = {}

    def groups(tb: int | None, b: str | None, c: str | None) -> list[Acc]:
        b, c = b or NO_BACKEND, c or NO_CATEGORY
        if b not in by_backend:
            by_backend[b] = Acc()
        if c not in by_category:
            by_category[c] = Acc()
        out = [total, by_backend[b], by_category[c]]
        if tb is not None and 0 <= tb < buckets:
            out.append(per_bin[tb])
        return out

    with engine.connect() as conn:
        for row in conn.execute(sums.group_by(*group)):
            tb = row.tb if series else None
            for acc in groups(tb, row.backend, row.category):
                acc.add(row)
            if tb is not None and 0 <= tb < buckets:
                counts = backend_counts.setdefault(row.backend or NO_BACKEND, [0] * buckets)
                counts[tb] += row.n
        for name, col in (("latency", T.latency_ms), ("ttft", T.ttft_ms)):
            # Rows are (tb, backend, category, k, n): the same bin counts add into each group's histogram.
            hists: dict[tuple[int | None, str | None, str | None], dict[int, int]] = {}
            for *key, k, n in conn.execute(hist(col)):
                h = hists.setdefault((key[0], key[1], key[2]) if series else (None, key[0], key[1]), {})
                h[k] = h.get(k, 0) + n
            for (tb, b, c), h in hists.items():
                for acc in groups(tb, b, c):
                    into = getattr(acc, name)
                    for k, n in h.items():
                        into[k] = into.get(k, 0) + n

    out: dict[str, Any] = {
        "window": window,
        "since": since,
        "until": until,
        "step_s": step,
        "totals": total.view(),
        "by_backend": [{"name": k, **v.view()} for k, v in sorted(by_backend.items())],
        "by_category": [{"name": k, **v.view()} for k, v in sorted(by_category.items())],
    }
    if series:
        views = [a.view() for a in per_bin]
        metrics = ["requests", "errors", "fallbacks", "ttft_p50_ms", "ttft_p95_ms"]
        metrics += ["latency_p50_ms", "latency_p95_ms", "tokens_per_s", "draft_acceptance"]
        out["series"] = {
            "t": [since + i * step for i in range(buckets)],
            **{m: [v[m] for v in views] for m in metrics},
            "requests_by_backend": dict(sorted(backend_counts.items())),
        }
    return out
