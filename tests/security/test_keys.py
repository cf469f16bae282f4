"""Virtual API keys: created by the admin, shown once, stored hashed, required once any exists, with
expiry, requests-per-minute and token budgets; every route needs a key or the admin key unless it is
on the public list."""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import text
from starlette.routing import Mount

from router.app import DIALECT_ROUTES
from router.store_keys import hash_key
from tests.fakes.servers import free_port
from tests.router.helpers import log_rows, one_backend
from tests.security.helpers import ADMIN, admin, chat, make_key

# Routes anyone may call, and why: liveness and metrics for load balancers and Prometheus (no request
# data, no secrets), the service card, the API description, the admin login itself, and the
# dashboard's static files (its pages hold no data; they call the admin API, which checks the key).
PUBLIC = {"/", "/health", "/metrics", "/openapi.json", "/admin/login", "/dashboard"}


def test_key_lifecycle(gateway, upstream):
    script, up = upstream
    with gateway(one_backend(up), admin_key=ADMIN) as (url, app):
        assert chat(url).status_code == 200  # no keys yet: open, as before
        created = make_key(url, name="ci")
        secret = created["key"]
        assert secret.startswith("sk-sp-") and len(secret) > 40
        r = chat(url)
        assert r.status_code == 401
        assert r.json()["error"]["type"] == "authentication_error"
        assert chat(url, "sk-sp-wrong").status_code == 401
        ok = chat(url, secret)
        assert ok.status_code == 200
        assert httpx.get(url + "/v1/models", headers={"x-api-key": secret}).status_code == 200
        assert httpx.get(url + "/v1/models").status_code == 401
        rows = log_rows(app, 4)
        mine = [r for r in rows if r.id == ok.headers["x-switchpoint-request-id"]]
        assert mine[0].key_id == created["id"]
        listed = admin(url).get("/admin/keys")
        assert listed.status_code == 200
        assert secret not in listed.text and hash_key(secret) not in listed.text
        [entry] = listed.json()["data"]
        assert entry["id"] == created["id"] and entry["spent_tokens"] == 18
        with app.state.engine.connect() as conn:
            stored = conn.execute(text("select key_hash from api_keys")).scalars().all()
        assert stored == [hash_key(secret)]
        assert admin(url).delete("/admin/keys/" + created["id"]).json()["deleted"] is True
        assert admin(url).delete("/admin/keys/" + created["id"]).status_code == 404
        assert chat(url).status_code == 200  # the last key gone: open again
    assert all("authorization" not in str(req).lower() for req in script.requests)


def test_admin_key_is_needed_to_manage_keys(gateway, upstream):
    _, up = upstream
    with gateway(one_backend(up), admin_key=ADMIN) as (url, _):
        r = httpx.post(url + "/admin/keys", json={"name": "x"})
        assert r.status_code == 401
        secret = make_key(url)["key"]
        # A virtual key is not an admin key.
        r = httpx.get(url + "/admin/keys", headers={"authorization": f"Bearer {secret}"})
        assert r.status_code == 401
        bad = admin(url).post("/admin/keys", json={"name": "", "rpm": -1})
        assert bad.status_code == 400 and bad.json()["error"]["param"]


def test_require_keys_without_any_key_refuses(gateway, upstream):
    _, up = upstream
    with gateway(one_backend(up), admin_key=ADMIN, require_keys=True) as (url, _):
        assert chat(url, "anything").status_code == 401


def test_expired_key_is_refused(gateway, upstream):
    _, up = upstream
    with gateway(one_backend(up), admin_key=ADMIN) as (url, _):
        past = make_key(url, expires_at="2001-01-01T00:00:00")["key"]
        future = make_key(url, expires_at=time.time() + 3600)["key"]
        r = chat(url, past)
        assert r.status_code == 401 and "expired" in r.json()["error"]["message"]
        assert chat(url, future).status_code == 200


def test_requests_per_minute(gateway, upstream):
    _, up = upstream
    with gateway(one_backend(up), admin_key=ADMIN) as (url, _):
        secret = make_key(url, rpm=3)["key"]
        if time.time() % 60 > 55:  # keep the four requests inside one one-minute window
            time.sleep(61 - time.time() % 60)
        codes = [chat(url, secret).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = chat(url, secret)
        assert r.json()["error"]["type"] == "rate_limit_error" and int(r.headers["retry-after"]) >= 1


def test_token_budget(gateway, upstream):
    _, up = upstream
    # Each answer costs 18 tokens (11 in, 7 out); the reservation is 20.
    with gateway(one_backend(up), admin_key=ADMIN, key_reserve_tokens=20) as (url, _):
        secret = make_key(url, budget_tokens=50)["key"]
        codes = [chat(url, secret).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]  # 0, 18, 36 are under 50; 54 is not


def test_every_route_needs_auth_unless_public(gateway, upstream):
    _, up = upstream
    with gateway(one_backend(up), admin_key=ADMIN) as (url, app):
        make_key(url)
        open_routes = []
        for path, route in every_route(app):
            methods = sorted(getattr(route, "methods", None) or {"GET"})
            if path in PUBLIC or path.rstrip("/") in PUBLIC:
                continue
            concrete = path.replace("{", "").replace("}", "").replace(":path", "")
            for method in methods:
                if method == "HEAD":
                    continue
                r = httpx.request(method, url + concrete, json={}, timeout=10)
                if r.status_code not in (401, 403):
                    open_routes.append(f"{method} {path}: {r.status_code}")
        assert open_routes == []
        assert {p for p, _ in every_route(app)} >= {*DIALECT_ROUTES, "/v1/models", "/admin/keys", "/admin/docs"}


def every_route(app):
    """(full path, route) of the app's routes, walking into the mounted admin API (a FastAPI app)."""
    for route in app.routes:
        if isinstance(route, Mount) and route.path == "/admin":
            yield from ((route.path + (c.path or ""), c) for c in iter_route_contexts(route.routes))
        else:
            yield getattr(route, "path", ""), route


@pytest.mark.skipif("/v1/messages" not in DIALECT_ROUTES, reason="router/app.py does not route /v1/messages yet")
def test_anthropic_clients_get_anthropic_shaped_auth_errors(gateway, upstream):
    _, up = upstream
    with gateway(one_backend(up), admin_key=ADMIN) as (url, _):
        make_key(url)
        r = httpx.post(url + "/v1/messages", json={}, headers={"x-api-key": "nope", "anthropic-version": "2023-06-01"})
        assert r.status_code == 401
        body = r.json()
        assert body["type"] == "error" and body["error"]["type"] == "authentication_error"


def test_keys_with_limits_are_refused_while_redis_is_unreachable(gateway, upstream):
    _, up = upstream
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    with gateway(one_backend(up), admin_key=ADMIN, redis_url=dead_redis) as (url, _):
        limited = make_key(url, rpm=100)["key"]
        plain = make_key(url)["key"]
        r = chat(url, limited)
        assert r.status_code == 503 and r.json()["error"]["code"] == "limits_unavailable"
        assert int(r.headers["retry-after"]) >= 1
        assert chat(url, plain).status_code == 200  # nothing to meter: still served
        listed = admin(url).get("/admin/keys").json()["data"]
        assert [k["spent_tokens"] for k in listed] == [None, None]
