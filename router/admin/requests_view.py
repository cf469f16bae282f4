"""The request log as the dashboard pages it: filters, keyset paging, one row's detail.

Paging is by (ts, id), newest first: a page asks for rows strictly older than the last one it showed,
so each page is one index range read (ts, or the filter column's (column, ts) index) that stops after
`limit + 1` rows, however deep it goes. There is no total count: counting a million rows on every page
is what makes log viewers slow. Synchronous: callers run these in a worker thread."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, column, inspect, or_, select, table

from backends.errors import InvalidRequest, NotFound

from ..store import RequestRecord

T = RequestRecord.__table__.c  # type: ignore[attr-defined]
MAX_LIMIT = 500
FILTERS = ("category", "backend", "status", "client", "key_id")
LEAD_ORDER = ("key_id", "client", "backend", "category", "status")  # rarest values first, usually
LIST_COLUMNS = (
    "id", "ts", "client", "key_id", "model_requested", "stream", "category", "rule", "backend",
    "attempts", "status", "http_status", "ttft_ms", "latency_ms", "decode_tps",
    "input_tokens", "output_tokens", "finish_reason",
)  # fmt: skip
JSON_COLUMNS = ("signals", "chain", "attempt_errors")
# Tables other parts of the gateway own, read here by name so that this view works with or without
# them: quality signals (feedback, implicit signals, judge scores) and logged bodies.
QUALITY = table("quality_signals", *(column(c) for c in ("request_id", "ts", "kind", "score", "label", "source")))
BODIES = table("request_bodies", column("id"), column("body"))


@dataclass(frozen=True)
class RequestFilter:
    since: float | None = None
    until: float | None = None
    category: str | None = None
    backend: str | None = None
    status: str | None = None
    client: str | None = None
    key_id: str | None = None

    @classmethod
    def from_query(cls, params: Any) -> RequestFilter:
        def number(name: str) -> float | None:
            raw = params.get(name)
            if raw in (None, ""):
                return None
            try:
                return float(raw)
            except ValueError:
                raise InvalidRequest(f"{name} must be a unix time in seconds", param=name) from None

        text = {f: (params.get(f) or None) for f in FILTERS}
        return cls(since=number("since"), until=number("until"), **text)


def encode_cursor(ts: float, rid: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([ts, rid])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        ts, rid = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return float(ts), str(rid)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise InvalidRequest("invalid cursor", param="cursor") from None


def lead_filter(f: RequestFilter) -> str | None:
    """The filter whose (column, ts) index should drive the page: the likely rarest one."""
    if f.status not in (None, "ok"):
        return "status"
    return next((name for name in LEAD_ORDER if getattr(f, name) is not None), None)


def list_statement(f: RequestFilter, cursor: str | None = None, limit: int = 50, dialect: str = "sqlite") -> Any:
    where: list[Any] = []
    lead = lead_filter(f)
    for name in FILTERS:
        value = getattr(f, name)
        if value is not None:
            col = T[name]
            # SQLite picks one index per query, with no statistics to pick well; a concatenation hides
            # the other filter columns from it, so it reads the lead filter's (column, ts) index.
            # Postgres estimates from its statistics and combines indexes itself.
            where.append((col if name == lead or dialect != "sqlite" else col.concat("")) == value)
    if f.since is not None:
        where.append(T.ts >= f.since)
    if f.until is not None:
        where.append(T.ts < f.until)
    if cursor:
        ts, rid = decode_cursor(cursor)
        # The `ts <= :ts` bound makes it an index range; the OR breaks ties between equal timestamps.
        where += [T.ts <= ts, or_(T.ts < ts, T.id < rid)]
    cols = [T[c] for c in LIST_COLUMNS]
    return select(*cols).where(*where).order_by(T.ts.desc(), T.id.desc()).limit(limit + 1)


def list_requests(engine: Engine, f: RequestFilter, cursor: str | None = None, limit: int = 50) -> dict[str, Any]:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}", param="limit")
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(list_statement(f, cursor, limit, engine.dialect.name))]
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = encode_cursor(rows[-1]["ts"], rows[-1]["id"]) if more and rows else None
    return {"items": rows, "next_cursor": nxt}


def request_detail(engine: Engine, request_id: str, *, bodies_on: bool = False) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(select(RequestRecord.__table__).where(T.id == request_id)).first()  # type: ignore[attr-defined]
        if row is None:
            raise NotFound(f"no logged request '{request_id}'", param="id")
        out = dict(row._mapping)
        for col in JSON_COLUMNS:
            raw = out.get(col)
            try:
                out[col] = orjson.loads(raw) if raw else None
            except orjson.JSONDecodeError:
                out[col] = raw
        tables = set(inspect(conn).get_table_names())
        out["quality"] = _quality(conn, request_id) if QUALITY.name in tables else []
        out["body"] = _body(conn, request_id) if bodies_on and BODIES.name in tables else None
    if out["body"] is None:
        reason = "body logging is off" if not bodies_on else "this request's body was not stored"
        out["body"] = {"logged": False, "reason": reason}
    return out


def _quality(conn: Connection, request_id: str) -> list[dict[str, Any]]:
    q = select(QUALITY).where(QUALITY.c.request_id == request_id).order_by(QUALITY.c.ts)
    return [{k: v for k, v in r._mapping.items() if k != "request_id"} for r in conn.execute(q)]


def _body(conn: Connection, request_id: str) -> dict[str, Any] | None:
    raw = conn.execute(select(BODIES.c.body).where(BODIES.c.id == request_id)).scalar()
    return None if raw is None else {"logged": True, "text": raw}
