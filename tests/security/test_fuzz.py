"""schemathesis against /openapi.json's description of the public routes: valid and invalid bodies, on
SQLite and on Postgres, with a budgeted virtual key. Each answer: no 5xx, nothing leaked; at the end,
exactly one request-log row per /v1 dialect request and the key charged what its rows say."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from router.openapi import openapi_schema
from tests.security.fuzz_state import FuzzGateway, fuzz_gateway
from tests.security.replicas import DATABASES
from tests.security.test_bad_input import ROUTES

schema = schemathesis.openapi.from_dict(openapi_schema(ROUTES))
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=10, deterministic=True, database="none"
)


@pytest.fixture(scope="module", params=DATABASES)
def fuzz(request: Any, tmp_path_factory: pytest.TempPathFactory, classifier: Any) -> Iterator[FuzzGateway]:
    home: Path = tmp_path_factory.mktemp("fuzz")
    with fuzz_gateway(request.param, home, classifier) as gw:
        yield gw
        gw.check_log()


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case, fuzz: FuzzGateway) -> None:
    response = case.call(base_url=fuzz.url, headers=fuzz.headers, timeout=30)
    fuzz.check(case.operation.path, response)
