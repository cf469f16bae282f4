"""SQL building blocks for the dashboard's statistics, portable between SQLite and Postgres.

Percentiles come from histograms the database builds: each latency falls into a geometric bin (edges
grow by 10%, from 0.5 ms to about 40 minutes), the query counts rows per bin, and the percentile is
interpolated inside the bin that holds its rank, so it is within a few percent of the exact value.
The bin index is a binary tree of CASE expressions (eight comparisons a row), because SQLite has no
percentile function and its math functions are a compile-time option."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Engine, Integer, case, cast, func, literal_column, select

from ..store import RequestRecord

FACTOR = 1.1
FIRST_EDGE_MS = 0.5
EDGES: tuple[float, ...] = tuple(FIRST_EDGE_MS * FACTOR**i for i in range(160))


def bin_index(column_sql: str) -> ColumnElement[Any]:
    """The index k of the first edge above the column (len(EDGES) when none is): bin k holds values
    in [EDGES[k-1], EDGES[k]). Built as SQL text from constants (the edges are our own floats), which
    is a hundred times cheaper per query than an expression tree of 320 nodes."""

    def node(lo: int, hi: int) -> str:
        if lo == hi:
            return str(lo)
        mid = (lo + hi) // 2
        return f"CASE WHEN {column_sql} < {EDGES[mid]!r} THEN {node(lo, mid)} ELSE {node(mid + 1, hi)} END"

    return literal_column(node(0, len(EDGES)), Integer)


def time_bin(engine: Engine, ts: Any, since: float, step: float) -> ColumnElement[Any]:
    """Which step-wide bucket after `since` a timestamp falls in (ts >= since, so truncation is floor
    on SQLite; Postgres rounds casts, so it floors first)."""
    offset = (ts - since) / step
    if engine.dialect.name == "postgresql":
        return cast(func.floor(offset), Integer)
    return cast(offset, Integer)


def percentile(hist: Mapping[int, int], q: float) -> float | None:
    """The q-quantile (0..1) of the values counted in `hist` (bin index -> count)."""
    total = sum(hist.values())
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for k in sorted(hist):
        n = hist[k]
        if seen + n >= rank:
            lo = EDGES[k - 1] if k > 0 else 0.0
            hi = EDGES[k] if k < len(EDGES) else EDGES[-1]
            return lo + (hi - lo) * max(0.0, min(1.0, (rank - seen) / n))
        seen += n
    return EDGES[-1]


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class Grouped:
    """A window's rows grouped by (bucket, backend, category): counts and sums, and the histogram bins
    of latency and TTFT. Buckets are absolute (ts // step), or None when not grouped by time."""

    sums: list[tuple[Any, ...]] = field(default_factory=list)
    latency: list[tuple[Any, ...]] = field(default_factory=list)
    ttft: list[tuple[Any, ...]] = field(default_factory=list)

    def extend(self, other: Grouped) -> None:
        self.sums += other.sums
        self.latency += other.latency
        self.ttft += other.ttft


SUM_COLUMNS = (
    "n", "errors", "fallbacks", "input_tokens", "output_tokens", "tps_n", "tps_tokens", "tps_seconds",
    "draft_proposed", "draft_accepted", "cost_usd",
)  # fmt: skip
_FLOATS = frozenset({"tps_tokens", "tps_seconds", "cost_usd"})


def fetch(
    engine: Engine,
    lo: float,
    hi: float,
    step: int | None,
    *,
    backend: str | None = None,
    category: str | None = None,
) -> Grouped:
    """The rows with lo <= ts < hi grouped by backend and category, and by `step`-wide time bucket
    unless `step` is None (then `lo` need not be aligned)."""
    t = RequestRecord.__table__.c  # type: ignore[attr-defined]
    where = [t.ts >= lo, t.ts < hi]
    if backend:
        where.append(t.backend == backend)
    if category:
        where.append(t.category == category)
    keys: list[Any] = [t.backend, t.category]
    names = ["backend", "category"]
    if step is not None:
        keys.insert(0, time_bin(engine, t.ts, lo, step).label("tb"))
        names.insert(0, "tb")
    # Group by output names: Postgres cannot match two copies of an expression with bound parameters.
    group: list[Any] = [literal_column(n) for n in names]
    sums = select(
        *keys,
        func.count().label("n"),
        func.sum(case((t.status == "error", 1), else_=0)).label("errors"),
        func.sum(case((t.attempts > 1, 1), else_=0)).label("fallbacks"),
        func.sum(t.input_tokens).label("input_tokens"),
        func.sum(t.output_tokens).label("output_tokens"),
        # Decode speed as tokens over time, summed: (n-1) tokens took (n-1)/decode_tps seconds each.
        # Only rows whose speed was measured count (see router/outcome.py decode_speed); tps_n says how many.
        func.sum(case((t.decode_tps > 0, 1), else_=0)).label("tps_n"),
        func.sum(case((t.decode_tps > 0, t.output_tokens - 1), else_=0)).label("tps_tokens"),
        func.sum((t.output_tokens - 1) / func.nullif(t.decode_tps, 0)).label("tps_seconds"),
        func.sum(t.draft_proposed).label("draft_proposed"),
        func.sum(t.draft_accepted).label("draft_accepted"),
        func.sum(t.cost_usd).label("cost_usd"),
    ).where(*where)
    base = int(lo // step) if step is not None else 0
    lead = len(names)

    def bucket(row: Any) -> tuple[Any, ...]:
        return (row[0] + base, row[1], row[2]) if step is not None else (None, row[0], row[1])

    out = Grouped()
    with engine.connect() as conn:
        for row in conn.execute(sums.group_by(*group)):
            # Postgres sums integers as numeric (Decimal): convert once, here.
            values = [(float if c in _FLOATS else int)(v or 0) for c, v in zip(SUM_COLUMNS, row[lead:], strict=True)]
            out.sums.append((*bucket(row), *values))
        for name, col in (("latency", t.latency_ms), ("ttft", t.ttft_ms)):
            k = bin_index(f"requests.{col.name}").label("k")
            q = select(*keys, k, func.count().label("n")).where(*where, col.is_not(None))
            rows = getattr(out, name)
            for row in conn.execute(q.group_by(*group, literal_column("k"))):
                rows.append((*bucket(row), int(row[lead]), int(row[lead + 1])))
    return out
