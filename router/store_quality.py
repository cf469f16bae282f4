"""Quality signals, one row each, keyed by request id: explicit feedback, implicit signals
(tool-call arguments, finish_reason length, upstream errors, a prompt re-sent), judge scores.
Scores are 0..1 (1 best); see policies/quality.py."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Field, Index, Session, SQLModel, col

from policies.quality import request_quality
from policies.tuning import Observation

from .store import RequestRecord

log = logging.getLogger(__name__)


class QualitySignal(SQLModel, table=True):
    __tablename__ = "quality_signals"
    __table_args__ = (Index("ix_quality_request", "request_id"), Index("ix_quality_ts", "ts"))

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(max_length=40)
    ts: float
    kind: str = Field(max_length=20)  # feedback | tool_args | finish_length | upstream_error | resent | judge
    score: float  # 0..1
    label: str | None = Field(default=None, max_length=200)
    source: str | None = Field(default=None, max_length=64)  # key id, judge backend, "gateway"


class ShadowResult(SQLModel, table=True):
    __tablename__ = "shadow_results"
    __table_args__ = (Index("ix_shadow_request", "request_id"), Index("ix_shadow_ts", "ts"))

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(max_length=40)  # the request whose answer the client got
    ts: float
    backend: str = Field(max_length=64)
    status: str = Field(max_length=16)  # ok | error
    ttft_ms: float | None = None
    latency_ms: float | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    score: float | None = None  # the judge's grade of the shadow answer (0..1)
    error: str | None = None


def write_shadow(engine: Engine, row: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(insert(ShadowResult), [row])


def signal_row(request_id: str, kind: str, score: float, label: str | None = None, source: str | None = None) -> dict:
    return {"request_id": request_id, "ts": time.time(), "kind": kind, "score": score, "label": label, "source": source}


def write_signals(engine: Engine, rows: list[dict[str, Any]]) -> None:
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(QualitySignal), rows)


def request_exists(engine: Engine, request_id: str) -> tuple[bool, str | None]:
    """Whether the request is logged, and the key id it was made with."""
    with Session(engine) as s:
        row = s.execute(select(col(RequestRecord.key_id)).where(col(RequestRecord.id) == request_id)).first()
    return (row is not None, row[0] if row is not None else None)


class SignalWriter:
    """Buffers signal rows and writes them in small batches off the request path."""

    def __init__(self, engine: Engine, delay_s: float = 0.2) -> None:
        self.engine = engine
        self.delay_s = delay_s
        self._buffer: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        self._buffer.extend(rows)
        if self._buffer and self._task is None:
            with contextlib.suppress(RuntimeError):  # no running loop: the next flush() writes them
                self._task = asyncio.get_running_loop().create_task(self._later())

    async def _later(self) -> None:
        await asyncio.sleep(self.delay_s)
        self._task = None
        await self.flush()

    async def flush(self) -> None:
        batch, self._buffer = self._buffer, []
        try:
            await asyncio.to_thread(write_signals, self.engine, batch)
        except SQLAlchemyError as exc:
            log.warning("quality signals: %d rows lost, database unavailable: %s", len(batch), exc.__class__.__name__)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        await self.flush()


REQUEST_COLUMNS = (
    "id",
    "ts",
    "category",
    "signals",
    "model_requested",
    "key_id",
    "client",
    "backend",
    "rule",
    "chain",
    "probability",
    "status",
    "ttft_ms",
    "decode_tps",
    "latency_ms",
    "cost_usd",
    "output_tokens",
    "finish_reason",
)


def recent_requests(engine: Engine, limit: int) -> list[dict[str, Any]]:
    """The last `limit` logged requests (newest first), with the classifier's signals decoded."""
    cols = [getattr(RequestRecord, c) for c in REQUEST_COLUMNS]
    with Session(engine) as s:
        q = select(*cols).order_by(RequestRecord.ts.desc()).limit(limit)  # type: ignore[attr-defined]
        rows = [dict(zip(REQUEST_COLUMNS, r, strict=True)) for r in s.execute(q)]
    for r in rows:
        r["signals"] = orjson.loads(r["signals"]) if r["signals"] else {}
        r["chain"] = orjson.loads(r["chain"]) if r["chain"] else []
    return rows


def signals_for(engine: Engine, request_ids: list[str]) -> dict[str, list[tuple[str, float]]]:
    """request id -> [(kind, score)], oldest first."""
    out: dict[str, list[tuple[str, float]]] = {}
    with Session(engine) as s:
        for i in range(0, len(request_ids), 500):
            chunk = request_ids[i : i + 500]
            q = (
                select(QualitySignal.request_id, QualitySignal.kind, QualitySignal.score)  # type: ignore[call-overload]
                .where(QualitySignal.request_id.in_(chunk))  # type: ignore[attr-defined]
                .order_by(QualitySignal.ts)
            )
            for rid, kind, score in s.execute(q):
                out.setdefault(rid, []).append((kind, score))
    return out


def observations(rows: list[dict[str, Any]], signals: dict[str, list[tuple[str, float]]]) -> list[Observation]:
    """Logged requests as the tuner sees them; a request every backend failed counts against the first."""
    out = []
    for r in rows:
        if r["status"] == "cancelled" or not r["category"]:
            continue
        backend = r["backend"] or (r["chain"][0] if r["chain"] else None)
        if backend is None:
            continue
        out.append(
            Observation(
                category=r["category"],
                difficulty=(r["signals"] or {}).get("difficulty", "medium"),
                backend=backend,
                quality=request_quality(signals.get(r["id"], [])),
                latency_ms=r["latency_ms"],
                ttft_ms=r["ttft_ms"],
                tps=r["decode_tps"],
                cost_usd=r["cost_usd"],
                probability=r["probability"],
            )
        )
    return out


def shadow_observations(engine: Engine, rows: list[dict[str, Any]]) -> list[Observation]:
    """Shadow answers to the given requests, as observations of their backends (no propensity: no
    policy chose them, so IPS leaves them out)."""
    by_id = {r["id"]: r for r in rows if r["category"]}
    out: list[Observation] = []
    ids = list(by_id)
    with Session(engine) as s:
        for i in range(0, len(ids), 500):
            q = select(ShadowResult).where(col(ShadowResult.request_id).in_(ids[i : i + 500]))
            for sh in s.execute(q).scalars():
                req = by_id[sh.request_id]
                out.append(
                    Observation(
                        category=req["category"],
                        difficulty=(req["signals"] or {}).get("difficulty", "medium"),
                        backend=sh.backend,
                        quality=sh.score if sh.status == "ok" else 0.0,
                        latency_ms=sh.latency_ms,
                        ttft_ms=sh.ttft_ms,
                        cost_usd=sh.cost_usd,
                    )
                )
    return out


def load_observations(engine: Engine, limit: int = 5000) -> list[Observation]:
    """The last `limit` requests with their quality, and their shadow answers, as the tuner reads them."""
    rows = recent_requests(engine, limit)
    return observations(rows, signals_for(engine, [r["id"] for r in rows])) + shadow_observations(engine, rows)
