"""An admin module in the old style (`routes(ctx) -> [(path, handler, methods)]`, handlers taking the
Request) still plugs into the FastAPI admin app, behind the same admin key, CSRF and NUL guards."""

from __future__ import annotations

import types
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.testclient import TestClient

from backends.errors import NotFound
from router.admin import AdminContext, admin_mounts, json_body
from router.admin.auth import AdminAuth

KEY = "spa-legacy-test-key"


def old_style_module() -> types.ModuleType:
    module = types.ModuleType("corrections")

    def routes(ctx: AdminContext) -> list[tuple[str, Any, list[str]]]:
        async def listing(request: Request) -> Any:
            return {"items": [request.query_params.get("q", "")]}

        async def correct(request: Request) -> Any:
            body = await json_body(request)
            return {"corrected": body["id"], "category": body["category"]}

        async def one(request: Request) -> Any:
            raise NotFound(f"no correction {request.path_params['cid']}", code="correction_not_found")

        return [
            ("/admin/corrections", listing, ["GET"]),
            ("/admin/corrections", correct, ["POST"]),
            ("/admin/corrections/{cid}", one, ["GET"]),
        ]

    module.routes = routes  # type: ignore[attr-defined]
    return module


def test_an_old_style_module_is_guarded_and_answers_json() -> None:
    ctx = AdminContext(auth=AdminAuth(KEY), state=None)
    app = Starlette(routes=admin_mounts(ctx, [old_style_module()]))
    with TestClient(app) as c:
        assert c.get("/admin/corrections").status_code == 401
        assert c.get("/admin/corrections", headers={"authorization": "Bearer nope"}).status_code == 401
        ok = {"authorization": f"Bearer {KEY}"}
        r = c.get("/admin/corrections?q=x&handler=evil", headers=ok)
        assert r.status_code == 200 and r.json() == {"items": ["x"]}
        r = c.get("/admin/corrections?q=a%00b", headers=ok)
        assert r.status_code == 400 and "NUL" in r.json()["error"]["message"]
        r = c.get("/admin/corrections/c1", headers=ok)
        assert r.status_code == 404 and r.json()["error"]["code"] == "correction_not_found"
        r = c.post("/admin/corrections", json={"id": "req_1", "category": "code"}, headers=ok)
        assert r.status_code == 200 and r.json() == {"corrected": "req_1", "category": "code"}
        r = c.post("/admin/corrections", json={"id": "req_1", "category": "a\x00"}, headers=ok)
        assert r.status_code == 400 and "NUL" in r.json()["error"]["message"]
        assert c.put("/admin/corrections", headers=ok).status_code == 405
        doc = c.get("/admin/openapi.json", headers=ok).json()
        assert "/corrections/{cid}" in doc["paths"] and not doc["paths"]["/corrections"]["get"].get("parameters")
