"""The request log on real SQLite and real Postgres: batched writes, flush on stop, rows waiting while
the database is away, the bound beyond which rows are dropped and counted, and rows a hostile client
shaped (over-long, NUL, out of range) that still land, one per request, without stopping the others."""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from router.store import RequestLog, RequestRecord, create_tables, make_engine
from tests.router.helpers import make_outcome

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def row(i: int, **fields: object):
    values = {
        "id": f"req_{uuid.uuid4().hex[:12]}_{i}",
        "ts": 1_700_000_000.0 + i,
        "category": "coding",
        "backend": "qwen",
        "input_tokens": i,
        "output_tokens": 2 * i,
    }
    return make_outcome(**{**values, **fields})


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


async def test_a_flush_waits_for_the_write_already_under_way(engine, monkeypatch):
    """A flush called while the writer is storing a batch (the feedback endpoint looking for the request
    it was just asked about) returns only once that batch is stored: the rows it took are not lost from
    sight between the buffer and the table."""
    create_tables(engine)
    log = RequestLog(engine, batch_size=50, flush_interval=30.0)
    writing = threading.Event()
    write = log._write

    def slow_write(batch):
        writing.set()
        time.sleep(0.2)
        return write(batch)

    monkeypatch.setattr(log, "_write", slow_write)
    log.record(row(0))
    background = asyncio.create_task(log.flush())  # the writer's own turn takes the row
    await asyncio.to_thread(writing.wait)
    assert log.buffered == 0
    assert await log.flush() is True
    assert count(engine) == 1
    assert await background is True


def test_postgres_url_forms_are_accepted():
    for url in ("postgresql://postgres@127.0.0.1:5432/test", "postgres://postgres@127.0.0.1:5432/test"):
        eng = make_engine(url)
        with eng.connect() as c:
            assert c.execute(text("select 1")).scalar() == 1
        eng.dispose()


def test_gateway_uses_database_url_from_environment(gateway_app, upstream, monkeypatch, tmp_path):
    from tests.router.helpers import log_rows, one_backend

    db = tmp_path / "elsewhere.db"
    monkeypatch.setenv("SWITCHPOINT_DATABASE_URL", f"sqlite:///{db}")
    _, up = upstream
    with gateway_app(one_backend(up)) as (client, app):  # in process
        client.post("/v1/chat/completions", json={"model": "auto", "messages": [{"role": "user", "content": "hi"}]})
        assert len(log_rows(app)) == 1
    assert os.path.exists(db)


async def test_client_strings_are_bounded_and_nul_free(engine):
    create_tables(engine)
    log = RequestLog(engine, batch_size=50, flush_interval=30.0)
    log.start()
    hostile = [
        row(0, session="s" * 10_000),
        row(1, model_requested="gpt\x00-5"),
        row(2, error="upstream said: \x00" + "e" * 100_000, reason="why" * 10_000),
        row(3, client="c" * 500, rule="r\x00" * 300, signals='{"a": "\x00"}'),
    ]
    for r in [*hostile, *(row(i) for i in range(4, 20))]:
        log.record(r)
    await log.stop()
    assert count(engine) == 20 and log.buffered == 0 and log.quarantined == 0
    with engine.connect() as c:
        got = dict(c.execute(select(RequestRecord.id, RequestRecord.model_requested)).all())
        session = c.execute(select(RequestRecord.session).where(RequestRecord.id == hostile[0].id)).scalar_one()
    assert got[hostile[1].id] == "gpt-5"
    assert session == "s" * 128


async def test_a_row_the_database_refuses_is_quarantined_not_retried_forever(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite stores any integer; Postgres refuses one out of its column's range")
    create_tables(engine)
    quarantined: list[int] = []
    log = RequestLog(engine, batch_size=50, flush_interval=30.0, on_quarantine=quarantined.append)
    bad = row(0, input_tokens=2**40, session="kept? no")
    for r in [bad, *(row(i) for i in range(1, 12))]:
        log.record(r)
    assert await log.flush() is True
    assert count(engine) == 12 and log.buffered == 0 and log.quarantined == 1 and quarantined == [1]
    with engine.connect() as c:
        stored = c.execute(select(RequestRecord).where(RequestRecord.id == bad.id)).one()._mapping
    assert stored["input_tokens"] is None and stored["session"] is None
    assert stored["status"] == "ok" and stored["backend"] == "qwen" and "quarantined" in stored["error"]
    # and the log keeps writing afterwards
    log.record(row(99))
    assert await log.flush() is True and count(engine) == 13


async def test_a_log_table_from_an_older_release_gains_the_new_columns(engine):
    # The requests table as an older release made it: without the columns added since.
    with engine.begin() as c:
        c.execute(
            text(
                "CREATE TABLE requests (id VARCHAR(40) PRIMARY KEY, ts FLOAT NOT NULL, dialect VARCHAR(16) "
                "NOT NULL, path VARCHAR(64) NOT NULL, stream BOOLEAN NOT NULL, attempts INTEGER NOT NULL, "
                "tokens_estimated BOOLEAN NOT NULL, status VARCHAR(16) NOT NULL, http_status INTEGER NOT NULL)"
            )
        )
    create_tables(engine)
    log = RequestLog(engine, batch_size=10, flush_interval=30.0)
    log.record(row(1, reasoning_tokens=5, cache_write_tokens=2))
    assert await log.flush() is True and count(engine) == 1
    with engine.connect() as c:
        assert c.execute(select(RequestRecord.reasoning_tokens)).scalar_one() == 5


async def test_a_batch_retried_after_an_outage_does_not_stick_on_rows_already_stored(engine):
    # A batch that half-landed before the database went away comes back whole: the rows already stored
    # must not keep the rest (and every later row) waiting.
    create_tables(engine)
    log = RequestLog(engine, batch_size=50, flush_interval=30.0)
    first = [row(i) for i in range(3)]
    for r in first:
        log.record(r)
    assert await log.flush() is True
    for r in [*first, *(row(i) for i in range(3, 8))]:
        log.record(r)
    assert await log.flush() is True
    assert count(engine) == 8 and log.buffered == 0
