"""The request log on real SQLite and real Postgres: batched writes, flush on stop, rows waiting while
the database is away, and the bound beyond which rows are dropped and counted."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from router.store import RequestLog, RequestRecord, create_tables, make_engine

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def row(i: int) -> dict:
    return {
        "id": f"req_{uuid.uuid4().hex[:12]}_{i}",
        "ts": 1_700_000_000.0 + i,
        "dialect": "openai",
        "status": "ok",
        "category": "coding",
        "backend": "qwen",
        "input_tokens": i,
        "output_tokens": 2 * i,
    }


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request, tmp_path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
        with eng.connect() as c:
            assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        yield eng
        eng.dispose()
        return
    schema = "t_" + uuid.uuid4().hex[:10]
    admin = create_engine(PG_ADMIN)
    with admin.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    eng = make_engine(f"postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}")
    yield eng
    eng.dispose()
    with admin.begin() as c:
        c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def count(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(RequestRecord)).scalar_one())


async def test_batches_are_written_and_flushed_on_stop(engine):
    create_tables(engine)
    log = RequestLog(engine, batch_size=50, flush_interval=30.0)
    log.start()
    for i in range(120):
        log.record(row(i))
    await log.stop()  # the interval never elapsed: stop() must flush everything
    assert count(engine) == 120 and log.written == 120 and log.buffered == 0
    with engine.connect() as c:
        tokens = c.execute(select(func.sum(RequestRecord.output_tokens))).scalar_one()
    assert tokens == 2 * sum(range(120))


async def test_rows_wait_while_the_database_is_away(engine, tmp_path):
    # A log whose database does not exist yet (no tables): writes fail, rows wait in memory.
    drops: list[int] = []
    log = RequestLog(engine, batch_size=10, flush_interval=0.05, max_buffered=25, on_drop=drops.append)
    for i in range(30):
        log.record(row(i))
    assert await log.flush() is False
    assert log.buffered == 25 and log.dropped == 5 and sum(drops) == 5
    create_tables(engine)  # the database comes back
    assert await log.flush() is True
    assert count(engine) == 25 and log.buffered == 0


def test_postgres_url_forms_are_accepted():
    for url in ("postgresql://postgres@127.0.0.1:5432/test", "postgres://postgres@127.0.0.1:5432/test"):
        eng = make_engine(url)
        with eng.connect() as c:
            assert c.execute(text("select 1")).scalar() == 1
        eng.dispose()


def test_gateway_uses_database_url_from_environment(gateway, upstream, monkeypatch, tmp_path):
    import httpx

    from tests.router.helpers import log_rows, one_backend

    db = tmp_path / "elsewhere.db"
    monkeypatch.setenv("SWITCHPOINT_DATABASE_URL", f"sqlite:///{db}")
    _, up = upstream
    with gateway(one_backend(up)) as (url, app):
        httpx.post(
            url + "/v1/chat/completions", json={"model": "auto", "messages": [{"role": "user", "content": "hi"}]}
        )
        assert len(log_rows(app)) == 1
    assert os.path.exists(db)
