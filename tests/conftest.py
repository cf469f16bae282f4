from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from router.app import create_app
from router.http_server import protocol_class
from router.settings import Settings, load_settings
from tests.fakes.openai_upstream import Script, make_upstream
from tests.fakes.servers import ServerThread, free_port

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "clients"


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


@pytest.fixture
def gateway(tmp_path: Path, classifier: Any) -> Callable[..., Any]:
    """Start a real gateway on loopback from a config dict; yields its base URL and app."""

    @contextmanager
    def start(config: dict[str, Any], **overrides: Any) -> Iterator[tuple[str, Any]]:
        settings: Settings = load_settings(None, home=tmp_path, **config, **overrides)
        app = create_app(settings, classifier=classifier)
        with ServerThread(app, http=protocol_class(settings.connections)) as server:
            yield server.url, app

    return start


def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1"
