from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from router.store import RequestRecord


def log_rows(app: Any, n: int = 1, timeout: float = 10.0) -> list[RequestRecord]:
    """Wait until the gateway's request log holds at least `n` rows; return them oldest first."""
    deadline = time.monotonic() + timeout
    from sqlmodel import Session

    while True:
        with Session(app.state.engine) as s:
            rows = list(s.exec(select(RequestRecord).order_by(RequestRecord.ts)).scalars())  # type: ignore[call-overload]
        if len(rows) >= n or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def one_backend(url: str, name: str = "up", **extra: Any) -> dict[str, Any]:
    return {"backends": [{"name": name, "kind": "openai", "base_url": url, "model": "m-" + name, **extra}]}
