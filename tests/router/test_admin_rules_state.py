"""Cooldowns shared by two gateway replicas (two apps in process) through real Redis; health checks cost
no completion."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest

from tests.conftest import closed_port_url
from tests.router.helpers import log_rows

ADMIN = "spa-test-admin-key-0123456789abcdef"
H = {"authorization": f"Bearer {ADMIN}"}


def chat(client: httpx.Client, text: str) -> httpx.Response:
    body = {"model": "auto", "messages": [{"role": "user", "content": text}]}
    return client.post("/v1/chat/completions", json=body)


@pytest.mark.redis
def test_cooldown_is_shared_across_replicas(gateway_app, upstream):
    _, up = upstream
    dead = "dead_" + uuid.uuid4().hex[:8]  # unique: the Redis keys are shared with every other test
    cfg = {
        "admin_key": ADMIN,
        "redis_url": "redis://127.0.0.1:6379/0",
        "backends": [
            {"name": dead, "kind": "openai", "base_url": closed_port_url(), "model": "m"},
            {"name": "alive", "kind": "openai", "base_url": up, "model": "m-alive"},
        ],
        "routes": {"default": [dead, "alive"]},
        "routing": {"cooldown_failures": 3, "cooldown_window_s": 60, "cooldown_s": 120},
    }
    with gateway_app(cfg) as (client_a, app_a), gateway_app(cfg) as (client_b, app_b):
        for i in range(3):
            r = chat(client_a, f"question {i} {uuid.uuid4().hex}")
            assert r.status_code == 200 and r.headers["x-switchpoint-backend"] == "alive"
        rows = log_rows(app_a, 3)
        assert all(row.attempts == 2 for row in rows)

        def cooling_on_b() -> dict[str, float]:
            return client_b.get("/admin/routing/state", headers=H).json()["cooldowns"]

        deadline = time.monotonic() + 10
        while dead not in cooling_on_b() and time.monotonic() < deadline:
            time.sleep(0.05)
        left = cooling_on_b()[dead]
        assert 0 < left <= 120
        # replica B never saw a failure itself, yet skips the dead backend: one attempt only
        r = chat(client_b, f"another {uuid.uuid4().hex}")
        assert r.status_code == 200
        rid = r.headers["x-switchpoint-request-id"]
        [row] = [row for row in log_rows(app_b, 4) if row.id == rid]
        assert row.attempts == 1 and dead in (row.reason or "") and "cooling down" in (row.reason or "")
        assert app_b.state.gateway.routing.cooldowns.seconds_left()[dead] > 0
        explain = client_b.post(
            "/admin/route/explain",
            json={"model": "auto", "messages": [{"role": "user", "content": "hi"}]},
            headers=H,
        ).json()
        assert explain["chain"] == ["alive"] and "cooling down" in explain["skipped"][dead]
    asyncio.run(_cleanup(dead))


async def _cleanup(name: str) -> None:
    import redis.asyncio as redis

    client = redis.from_url("redis://127.0.0.1:6379/0")
    await client.delete(f"switchpoint:cooldown:until:{name}", f"switchpoint:cooldown:fails:{name}")
    await client.aclose()


def test_client_errors_do_not_cool_a_backend_down_and_health_costs_no_completion(gateway_app, upstream, tmp_path):
    script, up = upstream
    script.behaviour, script.status = "status", 400
    cfg = {
        "admin_key": ADMIN,
        "backends": [{"name": "up", "kind": "openai", "base_url": up, "model": "m"}],
        "routing": {"cooldown_failures": 1},
    }
    with gateway_app(cfg) as (client, _app):
        for i in range(3):
            assert chat(client, f"q{i}").status_code == 400
        assert client.get("/admin/routing/state", headers=H).json()["cooldowns"] == {}
    n = len(script.requests)
    from router.backends_factory import build_backend
    from router.settings import BackendConfig

    async def check() -> bool:
        backend = build_backend(BackendConfig(name="up", kind="openai", base_url=up, model="m"), tmp_path)
        try:
            return await backend.health()
        finally:
            await backend.aclose()

    assert asyncio.run(check()) is True and len(script.requests) == n  # /v1/models only, no completion


def test_exploration_logs_the_probability_of_its_choice(gateway_app, upstream, upstream2):
    import random

    _, up1 = upstream
    _, up2 = upstream2
    cfg = {
        "admin_key": ADMIN,
        "backends": [
            {"name": "one", "kind": "openai", "base_url": up1, "model": "m-one"},
            {"name": "two", "kind": "openai", "base_url": up2, "model": "m-two"},
        ],
        "routes": {"default": ["one", "two"]},
        "routing": {"explore_share": 0.5},
    }
    with gateway_app(cfg) as (client, app):
        app.state.gateway.routing.decider.explorer.rng = random.Random(7)
        served = [chat(client, f"question {uuid.uuid4().hex}").headers["x-switchpoint-backend"] for _ in range(30)]
        rows = log_rows(app, 30)
        assert {"one", "two"} <= set(served)
        by_backend = {row.backend: row for row in rows}
        # with nothing known, each draw is a coin flip: "one" (the rule's choice) has p near 0.75
        assert 0.6 < by_backend["one"].probability < 0.9 and 0.1 < by_backend["two"].probability < 0.4
        assert "exploring two" in (by_backend["two"].reason or "")


def test_routing_survives_an_unreachable_redis(gateway_app, upstream):
    from tests.fakes.servers import free_port

    _, up = upstream
    cfg = {
        "admin_key": ADMIN,
        "redis_url": f"redis://127.0.0.1:{free_port()}/0",
        "backends": [{"name": "up", "kind": "openai", "base_url": up, "model": "m"}],
    }
    with gateway_app(cfg) as (client, _):
        sess = {"x-session-id": "s1"}
        for i in range(2):
            body = {"model": "auto", "messages": [{"role": "user", "content": f"q{i}"}]}
            r = client.post("/v1/chat/completions", json=body, headers=sess)
            assert r.status_code == 200 and r.headers["x-switchpoint-backend"] == "up"
        assert client.get("/admin/routing/state", headers=H).json()["cooldowns"] == {}
