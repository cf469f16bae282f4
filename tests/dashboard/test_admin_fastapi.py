"""The admin API on FastAPI: its OpenAPI document and Swagger UI need the admin key, FastAPI's own
validation errors come back in our error shape naming the field, credentials are checked before the
body is judged, and the /v1 hot path keeps raw Starlette routes (no FastAPI request handling)."""

from __future__ import annotations

import json

import httpx
from fastapi.routing import APIRoute
from starlette.routing import Route

from router.public_routes import DIALECT_ROUTES
from tests.dashboard.conftest import ADMIN_KEY

BEARER = {"authorization": f"Bearer {ADMIN_KEY}"}


def test_openapi_and_docs_need_the_admin_key(dash):
    with dash() as (url, _), httpx.Client(base_url=url, timeout=30) as c:
        for path in ("/admin/openapi.json", "/admin/docs", "/docs"):
            assert c.get(path).status_code == 401, path
            assert c.get(path, headers={"authorization": "Bearer nope"}).status_code == 401, path
        r = c.get("/admin/openapi.json", headers=BEARER)
        assert r.status_code == 200
        doc = r.json()
        assert doc["servers"] == [{"url": "/admin"}]
        assert {"/login", "/keys", "/keys/{key_id}", "/rules", "/stats/overview"} <= set(doc["paths"])
        body = doc["paths"]["/keys"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/NewKey"}
        assert "budget_tokens" in doc["components"]["schemas"]["NewKey"]["properties"]
        for path in ("/admin/docs", "/docs"):
            docs = c.get(path, headers=BEARER)
            assert docs.status_code == 200 and "/admin/openapi.json" in docs.text
            # the page loads nothing from elsewhere: the gateway works offline and calls no one
            assert "<script src" not in docs.text and "https://" not in docs.text
        public = c.get("/openapi.json").json()
        assert not any(p.startswith("/admin") or p.startswith("/keys") for p in public["paths"])


def test_validation_errors_in_our_shape_naming_the_field(dash):
    with dash() as (url, _), httpx.Client(base_url=url, timeout=30, headers=BEARER) as c:
        r = c.post("/admin/keys", json={"name": "k", "rpm": 0})
        assert r.status_code == 400, r.text
        err = r.json()["error"]
        assert err["param"] == "rpm" and "rpm" in err["message"] and err["type"] == "invalid_request_error"
        r = c.post("/admin/keys", json={"name": "k", "surprise": 1})
        assert r.status_code == 400 and r.json()["error"]["param"] == "surprise"
        r = c.post("/admin/keys", content=b"{not json", headers={"content-type": "application/json"})
        assert r.status_code == 400 and "not valid JSON" in r.json()["error"]["message"]
        r = c.post("/admin/login", json={})
        assert r.status_code == 400 and r.json()["error"]["param"] == "key"


def test_a_json_body_under_another_content_type_is_read(dash):
    """`curl -d '{...}'` (the docs' examples) sends application/x-www-form-urlencoded."""
    with dash() as (url, _), httpx.Client(base_url=url, timeout=30, headers=BEARER) as c:
        form = {"content-type": "application/x-www-form-urlencoded"}
        r = c.post("/admin/keys", content=b'{"name": "curl"}', headers=form)
        assert r.status_code == 200 and r.json()["name"] == "curl", r.text
        r = c.post("/admin/login", content=json.dumps({"key": ADMIN_KEY}).encode(), headers=form)
        assert r.status_code == 200, r.text


def test_credentials_are_checked_before_the_body(dash):
    with dash() as (url, _), httpx.Client(base_url=url, timeout=30) as c:
        bad = c.post("/admin/keys", content=b"{not json", headers={"content-type": "application/json"})
        assert bad.status_code == 401
        assert c.post("/admin/keys", json={"rpm": "many"}).status_code == 401


def test_the_hot_path_keeps_raw_starlette_routes(dash):
    with dash() as (_, app):
        routes = {r.path: r for r in app.routes if isinstance(r, Route)}
        for path in [*DIALECT_ROUTES, "/v1/messages/count_tokens", "/v1/models"]:
            assert type(routes[path]) is Route and not isinstance(routes[path], APIRoute), path
        assert type(app).__name__ == "Starlette"
