"""The app factory wires typed settings to the bottom: the classifier and backends come from their
registries by name (a user's own registered beside the built-ins), the local engine gets the
configured home, and the routing parts take their typed `routing:` settings. In process: create_app
builds everything without serving, so no server is started."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from backends.contract import CanonicalRequest, Message, TextPart
from backends.errors import ConfigError
from backends.openai_http import OpenAIBackend
from policies.classify import Classification, builtin_registry
from router.app import create_app
from router.backends_factory import builtin_backends
from router.settings import BackendConfig, load_settings

REPO = Path(__file__).resolve().parents[2]
UP = {"name": "up", "kind": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m"}


def close(app: Any) -> None:
    for backend in app.state.backends.values():
        asyncio.run(backend.aclose())
    app.state.engine.dispose()


def test_the_local_engine_gets_the_configured_home(tmp_path: Path):
    home = tmp_path / "elsewhere"
    app = create_app(load_settings(None, home=home, backends=[{"name": "l", "kind": "local", "model": "smollm2"}]))
    assert app.state.backends["l"].home == home
    close(app)


def test_the_configured_classifier_is_built_through_the_registry(tmp_path: Path):
    app = create_app(load_settings(None, home=tmp_path, backends=[UP], classifier="rules"))
    req = CanonicalRequest(model="auto", messages=[Message("user", [TextPart("Tell me a story.")])])
    assert isinstance(app.state.gateway.classifier.classify(req), Classification)
    assert "rules" in app.state.classifiers.names()
    close(app)

    class Mine:
        def classify(self, request: CanonicalRequest, headers: Any = None) -> Classification:
            return Classification("prose", 1.0, False, 0, None, 0.0, 1, 1, "en", "easy")

    registry = builtin_registry()
    registry.register_classifier("mine", Mine)
    app = create_app(load_settings(None, home=tmp_path, backends=[UP], classifier="mine"), classifiers=registry)
    assert isinstance(app.state.gateway.classifier, Mine)
    close(app)
    with pytest.raises(ConfigError, match="unknown classifier 'nope' \\(registered: default, embedding, rules\\)"):
        create_app(load_settings(None, home=tmp_path, backends=[UP], classifier="nope"))


def test_backends_are_built_through_the_registry(tmp_path: Path):
    made: list[str] = []

    def mine(cfg: BackendConfig, home: Path) -> OpenAIBackend:
        made.append(f"{cfg.name}@{home}")
        return OpenAIBackend.from_env(cfg.name, api_key_env=None, base_url=cfg.base_url or "", model=cfg.model)

    registry = builtin_backends()
    registry.register_backend("openai", mine, replace=True)
    app = create_app(load_settings(None, home=tmp_path, backends=[UP]), backend_kinds=registry)
    assert made == [f"up@{tmp_path}"]
    close(app)
    with pytest.raises(ValueError, match="already registered"):
        registry.register_backend("local", mine)


def test_routing_parts_take_the_typed_settings(tmp_path: Path):
    routing_cfg = {"sticky_ttl_s": 0, "cooldown_failures": 5, "rules_poll_s": 7, "explore_share": 0.1}
    app = create_app(load_settings(None, home=tmp_path, backends=[UP], routing=routing_cfg))
    routing = app.state.gateway.routing
    assert routing.pins.ttl_s == 0 and routing.cooldowns.policy.failures == 5 and routing.versions.poll_s == 7
    explorer = routing.decider.explorer
    assert explorer.share == 0.1 and explorer.boost == 0.5  # the settings' default boost, not a second one
    close(app)


def test_a_gateway_that_only_serves_v1_does_not_load_the_admin_api(tmp_path: Path):
    """FastAPI and the admin API are built by the first /admin request, not by create_app or /v1."""
    script = f"""
import sys
from starlette.testclient import TestClient
from router.app import create_app
from router.settings import load_settings
app = create_app(load_settings(None, home={str(tmp_path)!r}, backends=[{UP!r}]))
with TestClient(app) as c:
    assert c.get("/v1/models").status_code == 200
    assert "fastapi" not in sys.modules, "loaded by create_app or /v1"
    assert c.get("/admin/backends").status_code == 401
    assert "fastapi" in sys.modules
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
