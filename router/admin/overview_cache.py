"""Closed time buckets of the overview, kept in memory so that a refresh reads only the newest rows.

A bucket is frozen once it ended FREEZE_S ago: a request is logged when it finishes, under the time
it arrived, so rows can still land in a bucket for as long as a request may last (the longest total
timeout) plus the log's flush delay. Frozen buckets are read once, then served from here; the open
tail of the window is read on every call. One cache per app (per replica), shared by its users."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import Engine

from .stats_sql import Grouped, fetch

FREEZE_S = 900.0  # rows may still arrive for a bucket this long after it ends
MAX_BUCKETS = 20_000  # across every step and filter; the oldest are dropped first


class BucketCache:
    def __init__(self, freeze_s: float = FREEZE_S, max_buckets: int = MAX_BUCKETS) -> None:
        self.freeze_s = freeze_s
        self.max_buckets = max_buckets
        self._buckets: dict[tuple[int, str | None, str | None, int], Grouped] = {}
        self._lock = threading.Lock()
        self.reads = 0  # how many database reads were needed (for tests)

    def window(
        self,
        engine: Engine,
        since: float,
        until: float,
        step: int,
        now: float,
        *,
        backend: str | None = None,
        category: str | None = None,
        read: Callable[..., Grouped] = fetch,
    ) -> Grouped:
        """The grouped rows of [since, until) (`since` aligned to `step`), frozen buckets from memory."""
        first = int(since // step)
        frozen_end = min(int((min(now, until) - self.freeze_s) // step), int(until // step))
        out = Grouped()
        with self._lock:
            missing = [b for b in range(first, frozen_end) if (step, backend, category, b) not in self._buckets]
        if missing:
            lo, hi = missing[0] * step, frozen_end * step
            self.reads += 1
            got = read(engine, lo, hi, step, backend=backend, category=category)
            split: dict[int, Grouped] = {b: Grouped() for b in range(missing[0], frozen_end)}
            for rows, name in ((got.sums, "sums"), (got.latency, "latency"), (got.ttft, "ttft")):
                for row in rows:
                    getattr(split[row[0]], name).append(row)
            with self._lock:
                for b, g in split.items():
                    self._buckets[(step, backend, category, b)] = g
                self._evict()
        with self._lock:
            cached = [self._buckets.get((step, backend, category, b)) for b in range(first, max(first, frozen_end))]
        for part in cached:
            if part is None:  # evicted meanwhile by another window's read: read it all
                self.reads += 1
                return read(engine, since, until, step, backend=backend, category=category)
            out.extend(part)
        tail = max(since, frozen_end * step)
        if tail < until:
            self.reads += 1
            out.extend(read(engine, tail, until, step, backend=backend, category=category))
        return out

    def _evict(self) -> None:
        if len(self._buckets) > self.max_buckets:
            oldest = sorted(self._buckets, key=lambda k: k[0] * k[3])  # by the bucket's start time
            for key in oldest[: len(self._buckets) - self.max_buckets]:
                del self._buckets[key]
