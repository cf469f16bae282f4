"""schemathesis against /openapi.json's description of the public routes: valid and invalid bodies,
headers and methods, ~50 examples per operation and mode; no answer may be a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from router.app import create_app
from router.openapi import openapi_schema
from router.settings import load_settings
from tests.fakes.servers import ServerThread
from tests.security.helpers import fuzz_upstream
from tests.security.test_bad_input import ROUTES

schema = schemathesis.openapi.from_dict(openapi_schema(ROUTES))
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=50, deterministic=True, database="none"
)


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
