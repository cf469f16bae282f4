from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import openai
from sqlalchemy import select

from router.outcome import RequestOutcome
from router.store import RequestRecord
from tests.conftest import GATEWAY_URL


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


def openai_sdk(client: httpx.Client, api_key: str = "sk-test") -> openai.OpenAI:
    """The openai SDK over the in-process gateway's client (the SDK builds and parses, no socket). Not to
    be closed: closing the SDK closes the client it was given."""
    return openai.OpenAI(base_url=GATEWAY_URL + "/v1", api_key=api_key, max_retries=0, http_client=client)


def one_backend(url: str, name: str = "up", **extra: Any) -> dict[str, Any]:
    return {"backends": [{"name": name, "kind": "openai", "base_url": url, "model": "m-" + name, **extra}]}


def make_outcome(**fields: Any) -> RequestOutcome:
    """A RequestOutcome with plain defaults for what the test leaves out."""
    defaults: dict[str, Any] = {name: None for name in RequestOutcome.__dataclass_fields__}
    defaults.update(
        id="req_" + uuid.uuid4().hex[:16],
        ts=time.time(),
        dialect="openai",
        path="/v1/chat/completions",
        stream=False,
        attempts=1,
        latency_ms=1.0,
        overhead_ms=0.1,
        tokens_estimated=False,
        status="ok",
        http_status=200,
    )
    defaults.update(fields)
    return RequestOutcome(**defaults)
