"""Golden replays: every request recorded from a real client goes through the real gateway, in process
(its ASGI app through Starlette's TestClient: no socket is the point here), to a loopback upstream of
each backend kind, once answered with text and once with a call to one of the client's own tools; the
answer must read back through the official SDK."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import anthropic
import httpx
import openai
import orjson
import pytest
from starlette.testclient import TestClient

from backends.contract import ImagePart
from backends.tokens import estimate_request_tokens
from router.app import create_app
from router.dialects import get_dialect
from router.settings import load_settings
from tests.fakes.gemini_upstream import GeminiScript, make_gemini
from tests.fakes.openai_upstream import Script, make_upstream
from tests.fakes.servers import ServerThread

from .helpers import recorded_requests, sdk_read_json, sdk_read_stream
from .test_fixtures import DIALECT_PATHS, declared_tools

pytestmark = [
    # litellm's streaming types trip a pydantic UserWarning the first time they are built.
    pytest.mark.filterwarnings("ignore:.*is using the `ReadOnly` qualifier:UserWarning"),
]

RECORDED = [
    (f, i, rec) for f, i, rec in recorded_requests() if rec["method"] == "POST" and rec["path"] in DIALECT_PATHS
]
CAPS = {"vision": True, "tools": True, "fim": True}
HOP_BY_HOP = {"host", "content-length", "accept-encoding", "connection", "transfer-encoding"}
LOCAL_CONTEXT = 4096  # the local backend's default max_context
TOOL_ARGS = {"command": "echo hi", "cmd": "echo hi"}


@dataclass
class Gateway:
    kind: str
    client: httpx.Client | None = None  # the gateway's app, in process
    paths: frozenset[str] = frozenset()  # the app's routes
    openai: Script | None = None
    gemini: GeminiScript | None = None

    def answer_with(self, tool: str | None) -> None:
        """Script the upstream: plain text, or a call to backend tool `tool`."""
        if self.openai is not None:
            self.openai.behaviour = "tool" if tool else "ok"
            self.openai.tool_name = tool or ""
            self.openai.tool_args = orjson.dumps(TOOL_ARGS).decode()
        if self.gemini is not None:
            self.gemini.call = {"name": tool, "args": TOOL_ARGS} if tool else None

    @property
    def text(self) -> str | None:
        """The scripted answer (None for the local model, which answers what it likes)."""
        if self.openai is not None:
            return self.openai.text
        return self.gemini.text if self.gemini is not None else None


@pytest.fixture(
    scope="module",
    params=["openai", "litellm", pytest.param("local", marks=pytest.mark.slow)],
)
def golden_gw(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, classifier: Any
) -> Iterator[Gateway]:
    home: Path = tmp_path_factory.mktemp("golden")
    mp = pytest.MonkeyPatch()
    try:
        if request.param == "openai":
            script = Script()
            with ServerThread(make_upstream(script)) as up:
                backend = {
                    "name": "up",
                    "kind": "openai",
                    "base_url": up.url + "/v1",
                    "model": "m-up",
                    "capabilities": CAPS,
                }
                yield from _serve(home, backend, classifier, Gateway("openai", openai=script))
        elif request.param == "local":
            # The embedded SmolLM2 in process: its answers are not scripted, so they are only parsed.
            pytest.importorskip("torch")
            backend = {
                "name": "smollm2",
                "kind": "local",
                "model": "smollm2",
                "capabilities": CAPS,
                "options": {"max_new_tokens_default": 32},
            }
            yield from _serve(home, backend, classifier, Gateway("local"))
        else:
            gscript = GeminiScript()
            mp.setenv("GEMINI_API_KEY", "fake-gemini-key")
            with ServerThread(make_gemini(gscript)) as up:
                backend = {
                    "name": "gem",
                    "kind": "litellm",
                    "model": "gemini/gemini-2.5-flash",
                    "base_url": up.url + "/v1beta",
                    "api_key_env": "GEMINI_API_KEY",
                    "capabilities": {**CAPS, "fim": False},  # Gemini has no fill-in-the-middle
                }
                yield from _serve(home, backend, classifier, Gateway("litellm", gemini=gscript))
    finally:
        mp.undo()


def _serve(home: Path, backend: dict[str, Any], classifier: Any, gw: Gateway) -> Iterator[Gateway]:
    settings = load_settings(None, home=home, backends=[backend])
    app = create_app(settings, classifier=classifier)
    gw.paths = frozenset(getattr(r, "path", "") for r in app.routes)
    with TestClient(app, base_url="http://gateway", raise_server_exceptions=False) as client:
        gw.client = client
        yield gw


def send(gw: Gateway, rec: dict[str, Any]) -> httpx.Response:
    headers = {k: v for k, v in rec["headers"].items() if k.lower() not in HOP_BY_HOP}
    path = rec["path"] + (f"?{rec['query']}" if rec.get("query") else "")
    assert gw.client is not None
    return gw.client.post(path, content=orjson.dumps(rec["json"]), headers=headers)


@pytest.mark.parametrize("answer", ["text", "tool"])
@pytest.mark.parametrize(("name", "line", "rec"), RECORDED, ids=[f"{f}:{i}:{r['path']}" for f, i, r in RECORDED])
def test_replay(golden_gw: Gateway, answer: str, name: str, line: int, rec: dict[str, Any]) -> None:
    gateway = golden_gw
    if rec["path"] not in gateway.paths:
        pytest.skip(f"router/app.py does not route {rec['path']} yet")
    dialect = DIALECT_PATHS[rec["path"]]
    body = rec["json"]
    tools = declared_tools(dialect, body)
    if rec["path"].endswith("count_tokens"):
        if answer == "tool":
            pytest.skip("count_tokens answers no model output")
        resp = send(gateway, rec)
        assert resp.status_code == 200, resp.text
        assert resp.json()["input_tokens"] > 0
        return
    if answer == "tool" and not tools:
        pytest.skip("the client declared no tools")
    if gateway.kind == "local":
        if answer == "tool":
            pytest.skip("the local model's tool calls are not scripted")
        parsed = get_dialect(dialect).parse_request(body)
        if estimate_request_tokens(parsed) > LOCAL_CONTEXT // 2:
            pytest.skip("longer than the local model's context")
        if any(isinstance(p, ImagePart) for m in parsed.messages for p in m.content):
            pytest.skip("the local model has no vision")
    # A namespaced tool where the client has one: its call must come back under the client's names.
    chosen = next((t for t in tools if t[0] is not None), tools[0]) if answer == "tool" else None
    backend_tool = None
    if chosen is not None:
        backend_tool = f"{chosen[0]}__{chosen[1]}" if chosen[0] else chosen[1]
    gateway.answer_with(backend_tool)

    resp = send(gateway, rec)
    assert resp.status_code == 200, resp.text
    if body.get("stream"):
        assert resp.headers["content-type"].startswith("text/event-stream")
        text, calls = sdk_read_stream(dialect, resp.content)
    else:
        text, calls = sdk_read_json(dialect, resp.content)
    if gateway.kind == "local":
        assert text or calls, "the local model answered something"
    elif chosen is None:
        assert text == gateway.text and calls == []
    else:
        assert calls == [chosen]


FIM = {"model": "auto", "prompt": "def add(a, b):\n    ", "suffix": "\n\nprint(add(1, 2))", "max_tokens": 32}


def test_fill_in_the_middle(golden_gw: Gateway) -> None:
    """Legacy completions with a suffix reach only a backend that declares FIM; others get a clear error."""
    gateway = golden_gw
    if "/v1/completions" not in gateway.paths:
        pytest.skip("router/app.py does not route /v1/completions yet")
    rec = {"path": "/v1/completions", "headers": {"authorization": "Bearer sk-test"}, "json": FIM}
    resp = send(gateway, rec)
    if gateway.kind == "openai":
        assert resp.status_code == 200, resp.text
        text, _ = sdk_read_json("completions", resp.content)
        assert text == f"<fim prefix={len(FIM['prompt'])} suffix={len(FIM['suffix'])}>"
        assert gateway.openai is not None and gateway.openai.requests[-1]["suffix"] == FIM["suffix"]
    else:  # neither Gemini nor the embedded SmolLM2 does FIM
        assert resp.status_code == 503, resp.text
        assert resp.json()["error"]["code"] == "no_backend_available"


def test_auth_errors_in_each_apis_shape(gateway: Any, upstream: tuple[Script, str]) -> None:
    """With keys required, a wrong key gets 401 in the caller's error shape, and the SDKs raise their own type."""
    _, up = upstream
    backend = {"name": "up", "kind": "openai", "base_url": up, "model": "m-up", "capabilities": CAPS}
    with gateway({"backends": [backend]}, require_keys=True) as (url, app):
        paths = {getattr(r, "path", "") for r in app.routes}
        if not {"/v1/messages", "/v1/responses"} <= paths:
            pytest.skip("router/app.py does not route /v1/messages and /v1/responses yet")
        with anthropic.Anthropic(base_url=url, api_key="sk-wrong", max_retries=0) as client:
            with pytest.raises(anthropic.AuthenticationError) as a:
                client.messages.create(
                    model="claude-opus-4-8", max_tokens=5, messages=[{"role": "user", "content": "x"}]
                )
            assert a.value.body == {"type": "error", "error": {"type": "authentication_error", "message": ANY}}
        with openai.OpenAI(base_url=url + "/v1", api_key="sk-wrong", max_retries=0) as oclient:
            with pytest.raises(openai.AuthenticationError) as o:
                oclient.responses.create(model="gpt-5", input="x")
            assert o.value.code == "invalid_api_key"
