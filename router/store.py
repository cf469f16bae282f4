"""The request log: one row per request, written off the request path in batches.

`RequestLog.record()` only appends to an in-memory buffer. A background task writes batches in a
worker thread. While the database is unreachable rows wait in memory up to `max_buffered`; beyond
that new rows are dropped and counted (`dropped`), so logging never fails or slows a request.
A kill -9 loses at most the rows still buffered: up to `batch_size` rows or `flush_interval`
seconds of traffic in normal operation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Field, Index, SQLModel

log = logging.getLogger(__name__)


class RequestRecord(SQLModel, table=True):
    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_ts", "ts"),
        Index("ix_requests_category_ts", "category", "ts"),
        Index("ix_requests_backend_ts", "backend", "ts"),
        Index("ix_requests_status_ts", "status", "ts"),
        Index("ix_requests_client_ts", "client", "ts"),
        Index("ix_requests_key_ts", "key_id", "ts"),
    )

    id: str = Field(primary_key=True, max_length=40)
    ts: float  # unix time the request arrived
    dialect: str = Field(max_length=16)
    path: str = Field(default="", max_length=64)
    client: str | None = Field(default=None, max_length=40)
    session: str | None = Field(default=None, max_length=128)
    key_id: str | None = Field(default=None, max_length=40)
    model_requested: str | None = Field(default=None, max_length=200)
    stream: bool = False
    category: str | None = Field(default=None, max_length=20)
    signals: str | None = None  # JSON: the classifier's signals
    chain: str | None = None  # JSON list: the ordered backend chain the policy chose
    rule: str | None = Field(default=None, max_length=200)
    reason: str | None = None
    probability: float | None = None
    backend: str | None = Field(default=None, max_length=64)
    attempts: int = 0
    attempt_errors: str | None = None  # JSON list of {backend, error}
    ttft_ms: float | None = None
    decode_tps: float | None = None
    latency_ms: float | None = None
    overhead_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    tokens_estimated: bool = False
    cost_usd: float | None = None
    draft_proposed: int | None = None
    draft_accepted: int | None = None
    finish_reason: str | None = Field(default=None, max_length=20)
    status: str = Field(max_length=16)  # ok | error | cancelled
    http_status: int = 200
    error: str | None = None


def make_engine(url: str) -> Engine:
    """An engine for a SQLite path or a Postgres URL; SQLite runs in WAL mode."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite"):
        path = url.split("sqlite:///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=4, max_overflow=4)


def create_tables(engine: Engine) -> None:
    from . import store_corrections, store_quality, store_rules  # noqa: F401  (their tables)

    SQLModel.metadata.create_all(engine)


class RequestLog:
    def __init__(
        self,
        engine: Engine,
        *,
        batch_size: int = 256,
        flush_interval: float = 0.5,
        max_buffered: int = 50_000,
        on_drop: Callable[[int], None] | None = None,
    ) -> None:
        self.engine = engine
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_buffered = max_buffered
        self.dropped = 0
        self.written = 0
        self._on_drop = on_drop
        self._buffer: deque[dict[str, Any]] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        fields = RequestRecord.model_fields
        self._columns = [
            (c.name, None if fields[c.name].is_required() else fields[c.name].default)
            for c in RequestRecord.__table__.columns  # type: ignore[attr-defined]
        ]
        mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        self._insert_sql = (
            f"INSERT INTO {RequestRecord.__tablename__} ({', '.join(c for c, _ in self._columns)}) "
            f"VALUES ({', '.join(mark for _ in self._columns)})"
        )

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def record(self, row: dict[str, Any]) -> None:
        """Queue one row. Never blocks, never raises."""
        if len(self._buffer) >= self.max_buffered:
            self.dropped += 1
            if self._on_drop is not None:
                self._on_drop(1)
            return
        self._buffer.append(row)
        if len(self._buffer) >= self.batch_size:
            self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="request-log")

    async def _run(self) -> None:
        backoff = self.flush_interval
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)
            self._wake.clear()
            ok = await self.flush()
            backoff = self.flush_interval if ok else min(backoff * 2, 10.0)

    async def flush(self) -> bool:
        """Write everything buffered; on a database error keep the rows for the next try."""
        while self._buffer:
            n = min(len(self._buffer), self.batch_size)
            batch = [self._buffer.popleft() for _ in range(n)]
            try:
                await asyncio.to_thread(self._write, batch)
            except SQLAlchemyError as exc:
                self._buffer.extendleft(reversed(batch))
                log.warning(
                    "request log: database unavailable, %d rows waiting: %s", len(self._buffer), exc.__class__.__name__
                )
                return False
            self.written += n
        return True

    def _write(self, batch: list[dict[str, Any]]) -> None:
        # One prepared statement through the driver's executemany: SQLAlchemy's per-row parameter
        # processing would cost more than the rest of the request path.
        rows = [tuple(row.get(c, d) for c, d in self._columns) for row in batch]
        with self.engine.begin() as conn:
            conn.exec_driver_sql(self._insert_sql, rows)

    async def stop(self) -> None:
        """Flush what is buffered and stop the writer (graceful shutdown)."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
        await self.flush()
