"""schemathesis against /openapi.json's description of the public routes: valid and invalid bodies,
headers and methods, ~50 examples per operation and mode; no answer may be a 5xx."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from router.app import create_app
from router.openapi import openapi_schema
from router.settings import load_settings
from tests.fakes.openai_upstream import Script, make_upstream
from tests.fakes.servers import ServerThread
from tests.security.test_bad_input import ROUTES

schema = schemathesis.openapi.from_dict(openapi_schema(ROUTES))
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=50, deterministic=True, database="none"
)


async def stream_completions(request: Request) -> Response:
    """Legacy completions, streamed too (the shared fake upstream answers them only as JSON)."""
    req = orjson.loads(await request.body())
    choice = {"index": 0, "text": "pass", "finish_reason": "stop"}
    if not req.get("stream"):
        return Response(orjson.dumps({"object": "text_completion", "model": "m", "choices": [choice]}))

    async def events() -> AsyncIterator[bytes]:
        yield b"data: " + orjson.dumps({"object": "text_completion", "model": "m", "choices": [choice]}) + b"\n\n"
        yield b"data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


def fuzz_upstream() -> Starlette:
    base = make_upstream(Script())
    return Starlette(routes=[Route("/v1/completions", stream_completions, methods=["POST"]), *base.routes])


@pytest.fixture(scope="module")
def fuzz_url(tmp_path_factory: pytest.TempPathFactory, classifier: Any) -> Iterator[str]:
    home: Path = tmp_path_factory.mktemp("fuzz")
    with ServerThread(fuzz_upstream()) as up:
        # Every capability on, so that no request is refused for a capability (a 503 by design).
        caps = {"vision": True, "tools": True, "fim": True, "context_window": 10**9}
        backend = {"name": "up", "kind": "openai", "base_url": up.url + "/v1", "model": "m", "capabilities": caps}
        config = {"backends": [backend]}
        mp = pytest.MonkeyPatch()
        from router import app as app_module

        for path, name in ROUTES.items():
            mp.setitem(app_module.DIALECT_ROUTES, path, name)
        try:
            app = create_app(load_settings(None, home=home, **config), classifier=classifier)
        finally:
            mp.undo()
        with ServerThread(app) as server:
            yield server.url
            # Still serving after the fuzzing.
            assert httpx.get(server.url + "/health").status_code == 200


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case, fuzz_url: str) -> None:
    response = case.call(base_url=fuzz_url, timeout=30)
    case.validate_response(response, checks=[not_a_server_error])
