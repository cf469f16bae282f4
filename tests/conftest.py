from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from router.app import create_app
from router.http_server import protocol_class
from router.settings import Settings, load_settings
from tests.fakes.openai_upstream import Script, make_upstream
from tests.fakes.servers import ServerThread, free_port


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (`-n 2`), one torch thread a worker: two workers each running OpenMP's pool of
    one thread per core spin against each other (local-engine tests took 10 to 40 times as long)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(1)


REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "clients"
GATEWAY_URL = "http://gateway"  # the in-process gateway's base URL (no socket behind it)


@pytest.fixture(scope="session")
def classifier() -> Any:
    from policies.classify import load_default_classifier

    return load_default_classifier()


@pytest.fixture
def upstream() -> Iterator[tuple[Script, str]]:
    """A scriptable OpenAI-compatible upstream on loopback: (script, base_url)."""
    script = Script()
    with ServerThread(make_upstream(script)) as server:
        yield script, server.url + "/v1"


@pytest.fixture
def upstream2() -> Iterator[tuple[Script, str]]:
    script = Script(text="Second upstream answering.")
    with ServerThread(make_upstream(script, "fake-model-2")) as server:
        yield script, server.url + "/v1"


def _build(home: Path, classifier: Any, config: dict[str, Any], overrides: dict[str, Any]) -> tuple[Settings, Any]:
    settings: Settings = load_settings(None, home=home, **config, **overrides)
    return settings, create_app(settings, classifier=classifier)


@pytest.fixture
def gateway(tmp_path: Path, classifier: Any) -> Callable[..., Any]:
    """Start a real gateway on loopback from a config dict; yields its base URL and app. For tests where
    the socket is the point (the server's protocol, slow or vanishing clients, real streaming timing)."""

    @contextmanager
    def start(config: dict[str, Any], **overrides: Any) -> Iterator[tuple[str, Any]]:
        settings, app = _build(tmp_path, classifier, config, overrides)
        with ServerThread(app, http=protocol_class(settings.connections)) as server:
            yield server.url, app

    return start


@pytest.fixture
def gateway_app(tmp_path: Path, classifier: Any) -> Callable[..., Any]:
    """The gateway in process from a config dict: yields (client, app), the client a Starlette TestClient
    over the app (an httpx.Client, so also the SDKs' `http_client=`, base URL GATEWAY_URL), the app's
    lifespan run on entering and leaving. No socket between client and gateway, and no server protocol
    in front of the app (header limits, 408/431 are the `gateway` fixture's); the upstreams stay real
    loopback servers. An error the app does not handle is raised in the test rather than answered 500.
    Unless the config sets `log:`, the request log writes each row as it is recorded (batch_size 1), so
    a test reading the log waits for the write, not for the 0.5 s flush interval."""

    @contextmanager
    def start(config: dict[str, Any], **overrides: Any) -> Iterator[tuple[TestClient, Any]]:
        if "log" not in config and "log" not in overrides:
            config = {**config, "log": {"batch_size": 1}}
        _, app = _build(tmp_path, classifier, config, overrides)
        with TestClient(app, base_url=GATEWAY_URL) as client:
            yield client, app

    return start


def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1"
