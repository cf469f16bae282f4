"""SQL building blocks for the dashboard's statistics, portable between SQLite and Postgres.

Percentiles come from histograms the database builds: each latency falls into a geometric bin (edges
grow by 10%, from 0.5 ms to about 40 minutes), the query counts rows per bin, and the percentile is
interpolated inside the bin that holds its rank, so it is within a few percent of the exact value.
The bin index is a binary tree of CASE expressions (eight comparisons a row), because SQLite has no
percentile function and its math functions are a compile-time option."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Engine, Integer, cast, func, literal_column

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
