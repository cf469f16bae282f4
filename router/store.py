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
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import Engine, String, create_engine, event, inspect, text
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlmodel import AutoString, Field, Index, SQLModel

if TYPE_CHECKING:
    from .outcome import RequestOutcome

log = logging.getLogger(__name__)
T = TypeVar("T")

# What a database answers when it refuses the values of a row (not when it is down): retrying is useless.
DATA_ERRORS = (DataError, IntegrityError)
TEXT_LIMIT = 8192
JSON_COLUMNS = frozenset({"signals", "chain", "attempt_errors"})
# What a quarantined row keeps of its text: ids and enums the gateway itself wrote.
QUARANTINE_KEEPS = frozenset({"category", "backend", "finish_reason", "key_id"})


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
    cached_tokens: int | None = None  # cache reads, part of input_tokens
    cache_write_tokens: int | None = None  # cache writes, part of input_tokens
    reasoning_tokens: int | None = None  # part of output_tokens
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
    from . import store_classify_jobs, store_corrections, store_quality, store_rules  # noqa: F401  (their tables)

    SQLModel.metadata.create_all(engine)
    add_missing_columns(engine)


def add_missing_columns(engine: Engine) -> None:
    """Give a table created by an older release the nullable columns added since (create_all makes only
    missing tables): without them every insert of the request log would fail."""
    tables = inspect(engine)
    with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if not tables.has_table(table.name):
                continue
            have = {c["name"] for c in tables.get_columns(table.name)}
            for column in table.columns:
                if column.name in have:
                    continue
                if not column.nullable:
                    log.warning("table %s lacks the required column %s: recreate it", table.name, column.name)
                    continue
                kind = column.type.compile(dialect=engine.dialect)
                conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}"))
                log.info("table %s: added column %s", table.name, column.name)


class BatchWriter(Generic[T]):
    """Queues items in memory and writes them in batches from a background task, in a worker thread.
    Subclasses write one batch (`_write`) and return how many of its rows they had to quarantine."""

    def __init__(
        self,
        engine: Engine,
        *,
        batch_size: int = 256,
        flush_interval: float = 0.5,
        max_buffered: int = 50_000,
        on_drop: Callable[[int], None] | None = None,
        on_quarantine: Callable[[int], None] | None = None,
    ) -> None:
        self.engine = engine
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_buffered = max_buffered
        self.dropped = 0
        self.written = 0
        self.quarantined = 0
        self._on_drop = on_drop
        self._on_quarantine = on_quarantine
        self._buffer: deque[T] = deque()
        self._wake = asyncio.Event()
        self._flushing = asyncio.Lock()  # one flush at a time: a second waits for the batch in flight
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def record(self, item: T) -> None:
        """Queue one item. Never blocks, never raises."""
        if len(self._buffer) >= self.max_buffered:
            self.dropped += 1
            if self._on_drop is not None:
                self._on_drop(1)
            return
        self._buffer.append(item)
        if len(self._buffer) >= self.batch_size:
            self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=type(self).__name__)

    async def _run(self) -> None:
        backoff = self.flush_interval
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)
            self._wake.clear()
            ok = await self.flush()
            backoff = self.flush_interval if ok else min(backoff * 2, 10.0)

    async def flush(self) -> bool:
        """Write everything buffered; while the database is unreachable keep the rows for the next try.
        A flush called while another is writing waits for it, so when it returns every row recorded
        before the call is stored (or waiting for the database), never only taken from the buffer."""
        async with self._flushing:
            return await self._flush()

    async def _flush(self) -> bool:
        while self._buffer:
            n = min(len(self._buffer), self.batch_size)
            batch = [self._buffer.popleft() for _ in range(n)]
            try:
                quarantined = await asyncio.to_thread(self._write, batch)
            except SQLAlchemyError as exc:
                self._buffer.extendleft(reversed(batch))
                log.warning(
                    "%s: database unavailable, %d rows waiting: %s",
                    type(self).__name__,
                    len(self._buffer),
                    exc.__class__.__name__,
                )
                return False
            self.written += n
            if quarantined:
                self.quarantined += quarantined
                if self._on_quarantine is not None:
                    self._on_quarantine(quarantined)
        return True

    def _write(self, batch: list[T]) -> int:
        raise NotImplementedError

    async def stop(self) -> None:
        """Flush what is buffered and stop the writer (graceful shutdown)."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
        await self.flush()


class RequestLog(BatchWriter["RequestOutcome"]):
    """The request log: one row per request (see the module's docstring)."""

    def __init__(self, engine: Engine, **options: Any) -> None:
        super().__init__(engine, **options)
        columns = RequestRecord.__table__.columns  # type: ignore[attr-defined]
        self._names = [c.name for c in columns]
        self._row = attrgetter(*self._names)
        self._required = frozenset(c.name for c in columns if not c.nullable)
        # Every text column is bounded: a client's string is cut to the column's length (free text to
        # TEXT_LIMIT; JSON columns hold what the gateway built from bounded parts) and made NUL-free.
        self._bounds = [
            (i, c.type.length or (None if c.name in JSON_COLUMNS else TEXT_LIMIT))
            for i, c in enumerate(columns)
            if isinstance(c.type, AutoString | String)
        ]
        mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        self._insert_sql = (
            f"INSERT INTO {RequestRecord.__tablename__} ({', '.join(self._names)}) "
            f"VALUES ({', '.join(mark for _ in self._names)})"
        )

    def rows(self, batch: list[RequestOutcome]) -> list[list[Any]]:
        """The parameter rows for `batch`, every string bounded to its column and free of NUL."""
        rows = [list(self._row(o)) for o in batch]
        for row in rows:
            for i, length in self._bounds:
                v = row[i]
                if v is not None:
                    if "\x00" in v:
                        v = v.replace("\x00", "")
                    row[i] = v[:length] if length is not None else v
        return rows

    def _write(self, batch: list[RequestOutcome]) -> int:
        """Insert `batch`; returns how many rows were quarantined. A batch the database refuses for its
        data (not for being down) is written row by row, and a row refused alone is written again with
        only its ids, numbers and status: one request, one row, whatever a client sent."""
        rows = self.rows(batch)
        # One prepared statement through the driver's executemany: SQLAlchemy's per-row parameter
        # processing would cost more than the rest of the request path.
        try:
            self._insert(rows)
            return 0
        except DATA_ERRORS:
            pass
        quarantined = 0
        for row in rows:
            try:
                self._insert([row])
            except DATA_ERRORS as exc:
                quarantined += 1
                why = type(exc).__name__
                log.warning("request log: row %s refused (%s), stored without its client values", row[0], why)
                try:
                    self._insert([self._quarantined(row, why, minimal=False)])
                except DATA_ERRORS:
                    try:
                        self._insert([self._quarantined(row, why, minimal=True)])
                    except DATA_ERRORS:  # its id is already stored (a batch retried after an outage)
                        log.warning("request log: row %s refused even without its values: skipped", row[0])
        return quarantined

    def _insert(self, rows: list[list[Any]]) -> None:
        with self.engine.begin() as conn:
            conn.exec_driver_sql(self._insert_sql, [tuple(r) for r in rows])

    def _quarantined(self, row: list[Any], why: str, *, minimal: bool) -> list[Any]:
        """`row` without its free text (and, `minimal`, without any value a column may go without)."""
        out = []
        for name, value in zip(self._names, row, strict=True):
            if name in QUARANTINE_KEEPS or name in self._required:
                out.append(value)
            elif isinstance(value, str) or minimal:
                out.append(None)
            else:
                out.append(value)
        out[self._names.index("error")] = f"log row quarantined: the database refused it ({why})"
        return out
