"""Speed of the dashboard's Requests page at a million logged requests.

Seeds N rows (default 1,000,000) spread over 30 days into a fresh SQLite file (the request log's own
table and indexes, bulk inserted in one transaction), then times the page's queries through the same
functions the admin API calls: the first page, the first page under each filter (category, backend,
status, client, key, a time range, two filters at once), the next page from a cursor (and a page 50
pages deep), and one row's detail; then the Overview's queries for 1h, 24h and 7d windows, read whole
and refreshed 30 s later with the admin API's cache of closed buckets. Each query runs
--repeat times and its median counts. Prints a table, the query plans, and last a JSON object.

    python tests/benchmarks/requests_page.py [--n 1000000] [--repeat 5] [--db PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, insert, text  # noqa: E402

from policies.classify.types import CATEGORIES  # noqa: E402
from router.admin.overview import overview  # noqa: E402
from router.admin.overview_cache import BucketCache  # noqa: E402
from router.admin.requests_view import RequestFilter, list_requests, list_statement, request_detail  # noqa: E402
from router.store import RequestRecord, create_tables, make_engine  # noqa: E402

BACKENDS = ("local-gemma", "local-qwen", "gemini-flash", "gemini-pro")
CLIENTS = ("claude-code", "codex", "aider", "opencode", "continue", "cline", None)
SPAN_S = 30 * 86400


def fake_rows(n: int, now: float, seed: int = 7) -> Any:
    """`n` plausible rows, oldest first, ending at `now`."""
    rnd = random.Random(seed)
    step = SPAN_S / n
    for i in range(n):
        backend = BACKENDS[rnd.randrange(4)]
        status = "error" if rnd.random() < 0.02 else ("cancelled" if rnd.random() < 0.01 else "ok")
        local = backend.startswith("local")
        ttft = rnd.lognormvariate(4.5 if local else 5.5, 0.6)
        out_tok = rnd.randrange(1, 2000)
        proposed = out_tok if local else None
        yield {
            "id": f"req_{i:024x}",
            "ts": now - SPAN_S + i * step + rnd.random() * step,
            "dialect": "openai",
            "path": "/v1/chat/completions",
            "client": CLIENTS[rnd.randrange(len(CLIENTS))],
            "session": None,
            "key_id": f"key_{rnd.randrange(50)}" if rnd.random() < 0.5 else None,
            "model_requested": "auto",
            "stream": rnd.random() < 0.7,
            "category": CATEGORIES[rnd.randrange(4)],
            "signals": '{"category": "coding"}',
            "chain": json.dumps([backend]),
            "rule": "route:coding",
            "reason": "category coding routes to " + backend,
            "probability": 1.0,
            "backend": backend,
            "attempts": 2 if rnd.random() < 0.03 else 1,
            "attempt_errors": None,
            "ttft_ms": ttft,
            "decode_tps": rnd.uniform(20, 150),
            "latency_ms": ttft + out_tok * rnd.uniform(5, 30),
            "overhead_ms": rnd.uniform(0.2, 2),
            "input_tokens": rnd.randrange(10, 50000),
            "output_tokens": out_tok,
            "cached_tokens": 0,
            "tokens_estimated": False,
            "cost_usd": 0.0 if local else out_tok * 1e-6,
            "draft_proposed": proposed,
            "draft_accepted": int(proposed * rnd.uniform(0.4, 0.9)) if proposed else None,
            "finish_reason": "stop",
            "status": status,
            "http_status": 200 if status == "ok" else 502,
            "error": "upstream 502" if status == "error" else None,
        }


def seed(engine: Engine, n: int, now: float, batch: int = 20_000) -> None:
    create_tables(engine)
    rows = fake_rows(n, now)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("PRAGMA synchronous=OFF"))
        while True:
            chunk = [r for _, r in zip(range(batch), rows, strict=False)]
            if not chunk:
                break
            conn.execute(insert(RequestRecord), chunk)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


def plan(engine: Engine, f: RequestFilter, cursor: str | None = None) -> str:
    stmt = list_statement(f, cursor, dialect=engine.dialect.name)
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        return "; ".join(r[-1] for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--db", type=Path, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.db"
        engine = make_engine(f"sqlite:///{path}")
        now = time.time()
        t0 = time.perf_counter()
        seed(engine, args.n, now)
        seed_s = time.perf_counter() - t0
        print(f"seeded {args.n:,} rows in {seed_s:.1f}s ({path.stat().st_size / 1e6:.0f} MB)")
        day = now - 86400
        cases: dict[str, RequestFilter] = {
            "first_page": RequestFilter(),
            "filter_category": RequestFilter(category="vision"),
            "filter_backend": RequestFilter(backend="gemini-pro"),
            "filter_status_error": RequestFilter(status="error"),
            "filter_client": RequestFilter(client="aider"),
            "filter_key": RequestFilter(key_id="key_7"),
            "filter_time_range": RequestFilter(since=day - 3 * 86400, until=day - 2 * 86400),
            "filter_status_and_backend": RequestFilter(status="error", backend="local-qwen"),
        }
        results: dict[str, float] = {}
        plans: dict[str, str] = {}
        for name, f in cases.items():
            results[name], _ = timed(lambda f=f: list_requests(engine, f), args.repeat)
            plans[name] = plan(engine, f)
        _, page = timed(lambda: list_requests(engine, RequestFilter()), 1)
        cursor = page["next_cursor"]
        results["next_page"], _ = timed(lambda: list_requests(engine, RequestFilter(), cursor), args.repeat)
        plans["next_page"] = plan(engine, RequestFilter(), cursor)
        deep = cursor
        for _ in range(49):
            deep = list_requests(engine, RequestFilter(category="coding"), deep)["next_cursor"]
        results["page_51_filtered"], _ = timed(
            lambda: list_requests(engine, RequestFilter(category="coding"), deep), args.repeat
        )
        rid = page["items"][7]["id"]
        results["detail"], _ = timed(lambda: request_detail(engine, rid), args.repeat)
        for window in ("1h", "24h", "7d"):
            results[f"overview_{window}"], _ = timed(lambda w=window: overview(engine, w, now=now), 3)
        cache = BucketCache()  # what the admin API keeps: closed buckets are read once
        for window in ("24h", "7d"):
            overview(engine, window, now=now, cache=cache)
            results[f"overview_{window}_refresh"], _ = timed(
                lambda w=window: overview(engine, w, now=now + 30, cache=cache), 3
            )
        engine.dispose()
    print(f"\n{'query':<26} {'median ms':>10}")
    for name, ms in results.items():
        print(f"{name:<26} {ms:>10.2f}")
    print("\nquery plans (SQLite EXPLAIN QUERY PLAN):")
    for name, p in plans.items():
        print(f"  {name:<24} {p}")
    page_ms = [v for k, v in results.items() if not k.startswith("overview")]
    print(
        json.dumps(
            {
                "rows": args.n,
                "seed_s": round(seed_s, 1),
                "max_page_ms": round(max(page_ms), 2),
                **{f"{k}_ms": round(v, 2) for k, v in results.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
