"""No request field or header lets a client choose where the gateway connects: upstream URLs come only
from the operator's configuration, and an upstream's redirect is not followed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from router import app as app_module
from tests.fakes.openai_upstream import Script
from tests.fakes.servers import ServerThread
from tests.router.helpers import one_backend
from tests.security.helpers import fuzz_upstream
from tests.security.test_bad_input import ROUTES

MSG = [{"role": "user", "content": "hi"}]


@pytest.fixture
def canary() -> Iterator[tuple[str, list[str]]]:
    """A loopback server that records every request it gets: the gateway must never call it."""
    hits: list[str] = []

    async def record(request: Request) -> Response:
        hits.append(f"{request.method} {request.url.path}")
        return Response(b'{"choices": []}', media_type="application/json")

    app = Starlette(routes=[Route("/{path:path}", record, methods=["GET", "POST", "PUT"])])
    with ServerThread(app) as server:
        yield server.url, hits


def attempts(target: str) -> list[tuple[dict[str, Any], dict[str, str]]]:
    host = target.removeprefix("http://")
    port = host.split(":")[1]
    fields: list[dict[str, Any]] = [
        {"base_url": target + "/v1"},
        {"api_base": target + "/v1"},
        {"api_url": target},
        {"url": target},
        {"endpoint": target},
        {"extra_body": {"base_url": target}},
        {"extra_headers": {"host": host}},
        {"metadata": {"base_url": target}},
        {"model": target + "/v1"},
        {"model": host},
        {"model": f"openai/{host}"},
        {"model": f"http://[::1]:{port}"},
        {"model": f"http://2130706433:{port}"},  # 127.0.0.1 as one number
    ]
    headers: list[dict[str, str]] = [
        {"x-forwarded-host": host},
        {"x-forwarded-for": "127.0.0.1"},
        {"forwarded": f"host={host}"},
        {"x-upstream-url": target},
        {"x-api-base": target},
        {"openai-base-url": target},
        {"x-original-url": target},
        {"host": host},
    ]
    no_fields: dict[str, Any] = {}
    return [(f, {}) for f in fields] + [(no_fields, h) for h in headers]


def test_no_field_or_header_chooses_the_upstream(gateway, canary, monkeypatch) -> None:
    for path, name in ROUTES.items():
        monkeypatch.setitem(app_module.DIALECT_ROUTES, path, name)
    script = Script()
    target, hits = canary
    bodies: dict[str, dict[str, Any]] = {
        "/v1/chat/completions": {"messages": MSG},
        "/v1/messages": {"max_tokens": 5, "messages": MSG},
        "/v1/responses": {"input": "hi"},
        "/v1/completions": {"prompt": "def f():"},
    }
    with ServerThread(fuzz_upstream(script)) as up, gateway(one_backend(up.url + "/v1")) as (url, _):
        for path, base in bodies.items():
            for fields, headers in attempts(target):
                for stream in (False, True):
                    body = {"model": "auto", **base, **fields, "stream": stream}
                    r = httpx.post(url + path, json=body, headers=headers, timeout=30)
                    assert r.status_code < 500, (path, fields, headers, r.text[:200])
    assert hits == []
    assert len(script.requests) > 0  # the configured upstream answered them


def test_upstream_redirects_are_not_followed(gateway, canary) -> None:
    target, hits = canary

    async def redirect(request: Request) -> Response:
        return RedirectResponse(target + "/v1/chat/completions", status_code=307)

    redirector = Starlette(routes=[Route("/v1/{path:path}", redirect, methods=["GET", "POST"])])
    with ServerThread(redirector) as server, gateway(one_backend(server.url + "/v1")) as (url, _):
        for stream in (False, True):
            r = httpx.post(url + "/v1/chat/completions", json={"model": "auto", "messages": MSG, "stream": stream})
            assert r.status_code == 502, r.text
            assert r.json()["error"]["type"] == "upstream_error"
    assert hits == []
