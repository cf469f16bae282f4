"""The dashboard's queries against SQLite and Postgres: overview numbers agree with the same numbers
computed in Python from the rows (percentiles within the histogram's resolution), and keyset paging
walks every matching row exactly once, newest first, ties on `ts` included."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, insert, text

from router.admin.overview import overview
from router.admin.requests_view import RequestFilter, encode_cursor, list_requests, list_statement, request_detail
from router.store import RequestRecord, create_tables, make_engine
from tests.benchmarks.requests_page import SPAN_S, fake_rows

PG = os.environ.get("SWITCHPOINT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
NOW = 1_800_000_000.0
N = 3000


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
        yield eng
        eng.dispose()
        return
    schema = "t_" + uuid.uuid4().hex[:10]
    admin = create_engine(PG.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    eng = make_engine(f"{PG}?options=-csearch_path%3D{schema}")
    yield eng
    eng.dispose()
    with admin.begin() as c:
        c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def rows(engine) -> list[dict[str, Any]]:
    create_tables(engine)
    out = list(fake_rows(N, NOW))
    # Three requests in the same instant: paging must still show each once.
    out += [{**out[-1], "id": f"req_tie_{i}", "ts": NOW - 100.0} for i in range(3)]
    with engine.begin() as c:
        c.execute(insert(RequestRecord), out)
    return out


def exact(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def test_overview_matches_the_rows(engine, rows):
    data = overview(engine, "7d", now=NOW)
    since = data["since"]
    window = [r for r in rows if since <= r["ts"] < NOW]
    t = data["totals"]
    assert t["requests"] == len(window) > 100
    assert t["errors"] == sum(r["status"] == "error" for r in window)
    assert t["fallbacks"] == sum(r["attempts"] > 1 for r in window)
    assert t["output_tokens"] == sum(r["output_tokens"] for r in window)
    assert t["draft_accepted"] == sum(r["draft_accepted"] or 0 for r in window)
    for col, key in (("latency_ms", "latency"), ("ttft_ms", "ttft")):
        for q in (0.5, 0.95):
            want = exact([r[col] for r in window], q)
            assert abs(t[f"{key}_p{int(q * 100)}_ms"] - want) / want < 0.1
    tokens = sum(r["output_tokens"] - 1 for r in window)
    seconds = sum((r["output_tokens"] - 1) / r["decode_tps"] for r in window)
    assert t["tokens_per_s"] == pytest.approx(tokens / seconds, abs=0.1)
    assert t["tokens_per_s_requests"] == sum(bool(r["decode_tps"]) for r in window)
    gemini = [r for r in window if r["backend"] == "gemini-pro"]
    by = {b["name"]: b for b in data["by_backend"]}
    assert by["gemini-pro"]["requests"] == len(gemini) and by["gemini-pro"]["draft_acceptance"] is None
    assert by["local-qwen"]["draft_acceptance"] > 0
    s = data["series"]
    assert len(s["t"]) == 42 and sum(s["requests"]) == len(window)
    assert sum(sum(v) for v in s["requests_by_backend"].values()) == len(window)
    coding = overview(engine, "7d", category="coding", now=NOW, series=False)
    assert coding["totals"]["requests"] == sum(r["category"] == "coding" for r in window)
    assert "series" not in coding


def test_keyset_paging_walks_every_row_once(engine, rows):
    f = RequestFilter(category="coding", since=NOW - SPAN_S / 3)
    want = sorted(
        (r for r in rows if r["category"] == "coding" and r["ts"] >= f.since), key=lambda r: (r["ts"], r["id"])
    )[::-1]
    seen: list[str] = []
    cursor = None
    while True:
        page = list_requests(engine, f, cursor, limit=97)
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [r["id"] for r in want]
    ties = list_requests(engine, RequestFilter(until=NOW - 99.0), limit=2)
    rest = list_requests(engine, RequestFilter(until=NOW - 99.0), ties["next_cursor"], limit=2)
    assert [r["id"] for r in ties["items"] + rest["items"]][:3] == ["req_tie_2", "req_tie_1", "req_tie_0"]
    d = request_detail(engine, "req_tie_1")
    assert d["chain"] == [d["backend"]] and d["quality"] == [] and d["body"]["logged"] is False


@pytest.mark.parametrize(
    ("f", "index"),
    [
        (RequestFilter(), "ix_requests_ts"),
        (RequestFilter(since=NOW - 86400, until=NOW - 3600), "ix_requests_ts"),
        (RequestFilter(category="coding"), "ix_requests_category_ts"),
        (RequestFilter(status="error", backend="local-qwen"), "ix_requests_status_ts"),
        (RequestFilter(status="ok", backend="local-qwen"), "ix_requests_backend_ts"),
        (RequestFilter(key_id="key_7", client="aider", category="coding"), "ix_requests_key_ts"),
        (RequestFilter(client="aider", backend="gemini-pro", since=NOW - 86400), "ix_requests_client_ts"),
    ],
)
def test_each_page_reads_one_index_range(tmp_path, f, index):
    """SQLite's plan for a page: the lead filter's (column, ts) index, in ts order, never a table scan."""
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    create_tables(engine)
    stmt = list_statement(f, encode_cursor(NOW, "req_x"), dialect="sqlite")
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as c:
        plan = " ; ".join(r[-1] for r in c.execute(text("EXPLAIN QUERY PLAN " + sql)))
    engine.dispose()
    assert f"USING INDEX {index} " in plan + " ", plan
    assert "SCAN requests" not in plan.replace(f"SCAN requests USING INDEX {index}", ""), plan


def test_detail_shows_quality_signals_and_bodies_only_when_logged(engine, rows):
    from sqlalchemy import Column, Float, Integer, MetaData, String, Table

    meta = MetaData()
    quality = Table(
        "quality_signals", meta, Column("id", Integer, primary_key=True), Column("request_id", String),
        Column("ts", Float), Column("kind", String), Column("score", Float), Column("label", String),
        Column("source", String),
    )  # fmt: skip
    bodies = Table("request_bodies", meta, Column("id", String, primary_key=True), Column("body", String))
    rid = rows[5]["id"]
    assert request_detail(engine, rid, bodies_on=True)["body"] == {
        "logged": False,
        "reason": "this request's body was not stored",
    }
    meta.create_all(engine)
    with engine.begin() as c:
        c.execute(insert(quality), [{"request_id": rid, "ts": 1.0, "kind": "feedback", "score": 1.0,
                                     "label": "thumbs up", "source": "key_1"}])  # fmt: skip
        c.execute(insert(bodies), [{"id": rid, "body": '{"messages": []}'}])
    d = request_detail(engine, rid, bodies_on=True)
    [signal] = d["quality"]
    assert {k: v for k, v in signal.items() if k != "id"} == {
        "ts": 1.0, "kind": "feedback", "score": 1.0, "label": "thumbs up", "source": "key_1"
    }  # fmt: skip
    assert d["body"] == {"logged": True, "text": '{"messages": []}'}
    assert request_detail(engine, rid)["body"] == {"logged": False, "reason": "body logging is off"}


def test_overview_cache_reads_closed_buckets_once(engine, rows):
    from router.admin.overview_cache import BucketCache

    cache = BucketCache()
    for window in ("1h", "24h", "7d"):
        assert overview(engine, window, now=NOW, cache=cache) == overview(engine, window, now=NOW)
    reads = cache.reads
    for window in ("1h", "24h", "7d"):  # a refresh: the closed buckets come from memory, the tail is read
        assert overview(engine, window, now=NOW + 5, cache=cache) == overview(engine, window, now=NOW + 5)
    assert cache.reads == reads + 3
    # A row arriving late (a long request logs its arrival time) in the open tail is still counted.
    late = {**rows[0], "id": "req_late", "ts": NOW - 60}
    with engine.begin() as c:
        c.execute(insert(RequestRecord), [late])
    fresh = overview(engine, "7d", now=NOW + 6, cache=cache)
    assert fresh == overview(engine, "7d", now=NOW + 6)
    small = BucketCache(max_buckets=10)  # eviction keeps it bounded and answers stay right
    assert overview(engine, "7d", now=NOW, cache=small) == overview(engine, "7d", now=NOW)
    assert len(small._buckets) <= 10
