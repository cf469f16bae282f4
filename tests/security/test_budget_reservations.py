"""A key's budget reserves each request's own estimate (prompt plus max output tokens) once the body is
parsed, and a request that costs nothing (count_tokens, /v1/models, feedback) reserves nothing."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from typing import Any

import httpx
from sqlmodel import Session

from router import access as access_module
from router.access import AccessControl, logged_tokens
from router.shared_state import MemoryState
from router.store import RequestRecord, create_tables, make_engine
from router.store_keys import create_key
from tests.router.helpers import one_backend
from tests.security.helpers import ADMIN, admin, make_key

COUNT = {"model": "auto", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}


def spent(url: str, key_id: str) -> int:
    with admin(url) as c:
        return int(next(k["spent_tokens"] for k in c.get("/admin/keys").json()["data"] if k["id"] == key_id))


def test_count_tokens_reserves_nothing(gateway, upstream):
    _, up = upstream
    with gateway(one_backend(up), admin_key=ADMIN) as (url, _):  # the default reservation allowance (4096)
        key = make_key(url, budget_tokens=10_000)
        headers = {"x-api-key": key["key"], "anthropic-version": "2023-06-01"}
        for _ in range(5):
            r = httpx.post(url + "/v1/messages/count_tokens", json=COUNT, headers=headers, timeout=30)
            assert r.status_code == 200, r.text
            assert httpx.get(url + "/v1/models", headers=headers).status_code == 200
        assert spent(url, key["id"]) == 0
        r = httpx.post(url + "/v1/messages", json=COUNT, headers=headers, timeout=30)
        assert r.status_code == 200, r.text  # the budget is whole: nothing was kept reserved


async def _burst(url: str, key: str, n: int, body: dict[str, Any]) -> Counter[int]:
    async with httpx.AsyncClient(timeout=60, headers={"authorization": f"Bearer {key}"}) as client:
        codes = await asyncio.gather(*(client.post(url + "/v1/chat/completions", json=body) for _ in range(n)))
    return Counter(r.status_code for r in codes)


def test_small_requests_are_not_refused_while_the_budget_is_mostly_unused(gateway, upstream):
    _, up = upstream
    with gateway(one_backend(up), admin_key=ADMIN) as (url, _):  # the default reservation allowance (4096)
        key = make_key(url, budget_tokens=1_000)
        body = {"model": "auto", "max_tokens": 16, "messages": [{"role": "user", "content": "hello"}]}
        counts = asyncio.run(_burst(url, key["key"], 50, body))
        # Each reserves 22 (6 prompt + 16) and costs 18 (the fake upstream's usage): at least 45 fit.
        assert counts[200] >= 1_000 // 22, counts
        assert spent(url, key["id"]) == counts[200] * 18


def test_a_request_without_max_tokens_reserves_the_default_allowance(gateway, upstream):
    _, up = upstream
    with gateway(one_backend(up), admin_key=ADMIN, key_reserve_tokens=500) as (url, app):
        key = make_key(url, budget_tokens=1_000)
        body = {"model": "auto", "messages": [{"role": "user", "content": "hello"}]}
        counts = asyncio.run(_burst(url, key["key"], 10, body))
        # 506 reserved each (6 prompt + 500): the first two fill the budget, so at most two run at once
        # and the spend ends within one request of it.
        assert counts[200] >= 2 and spent(url, key["id"]) == counts[200] * 18
        access = app.state.access
        assert asyncio.run(access.reserve(None, 10)) == 0  # keys off: nothing to reserve


async def test_requests_wait_for_the_spend_seed_and_are_not_counted_twice(tmp_path, monkeypatch):
    """A key's first request seeds its spend from the log; the key's other requests wait for the seed,
    or one finishing (charged, then logged) during the seed's query would be counted twice."""
    engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    create_tables(engine)
    row, secret = create_key(engine, name="k", budget_tokens=10_000)
    with Session(engine) as db:  # a request logged before a restart
        db.add(
            RequestRecord(
                id="req_1",
                ts=time.time() - 60,
                dialect="openai",
                key_id=row.id,
                status="ok",
                input_tokens=60,
                output_tokens=40,
            )
        )
        db.commit()
    release = threading.Event()

    def slow_logged_tokens(*args: Any) -> int:
        release.wait(10)
        return logged_tokens(*args)

    monkeypatch.setattr(access_module, "logged_tokens", slow_logged_tokens)
    access = AccessControl(engine=engine, shared=MemoryState())
    key_id = await access.authenticate({"authorization": f"Bearer {secret}"})
    first = asyncio.create_task(access.reserve(key_id, 10))
    second = asyncio.create_task(access.reserve(key_id, 20))
    await asyncio.sleep(0.2)
    assert not first.done() and not second.done(), "a request went ahead of the seed"
    release.set()
    assert await first == 10 and await second == 20
    assert await access.spent(key_id) == 100 + 10 + 20
