"""A key's budget reserves each request's own estimate (prompt plus max output tokens) once the body is
parsed, and a request that costs nothing (count_tokens, /v1/models, feedback) reserves nothing."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx

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
