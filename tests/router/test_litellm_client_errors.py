"""A client's bad input sent through the litellm backend (Gemini's REST format on loopback; the gateway
in process) is the
client's error: a 400 in its own dialect, not retried on the next backend, never counted toward the
backend's cooldown, and no traceback or server path in the answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.gemini_upstream import GeminiScript, make_gemini
from tests.fakes.servers import ServerThread
from tests.router.helpers import log_rows

USER = {"role": "user", "content": "hi"}
CALL = {"id": "call_1", "type": "function", "function": {"name": "Bash", "arguments": '{"command": "ls"}'}}
TOOLS = [{"type": "function", "function": {"name": "Bash", "parameters": {"type": "object"}}}]

BAD_OPENAI: dict[str, list[dict[str, Any]]] = {
    "file image url": [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "look"},
                {"type": "image_url", "image_url": {"url": "file:///etc/passwd"}},
            ],
        }
    ],
    "tool message without its call": [USER, {"role": "tool", "tool_call_id": "call_9", "content": "out"}],
    "tool arguments not JSON": [
        USER,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{**CALL, "function": {"name": "Bash", "arguments": "{not json"}}],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "out"},
    ],
}

BAD_ANTHROPIC: dict[str, list[dict[str, Any]]] = {
    "file image url": [
        {"role": "user", "content": [{"type": "image", "source": {"type": "url", "url": "file:///etc/passwd"}}]}
    ],
    "tool result without its call": [
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_9", "content": "out"}]}
    ],
}


@pytest.fixture
def two_geminis(monkeypatch) -> Iterator[tuple[list[GeminiScript], dict[str, Any]]]:
    monkeypatch.setenv("TEST_GEMINI_KEY", "gk-secret-123")
    scripts = [GeminiScript(), GeminiScript(text="second")]
    with ServerThread(make_gemini(scripts[0])) as s1, ServerThread(make_gemini(scripts[1])) as s2:
        backends = [
            {
                "name": name,
                "kind": "litellm",
                "model": "gemini/gemini-2.5-flash",
                "base_url": s.url + "/v1beta",
                "api_key_env": "TEST_GEMINI_KEY",
                "capabilities": {"vision": True},
            }
            for name, s in (("gem-a", s1), ("gem-b", s2))
        ]
        routes = {c: ["gem-a", "gem-b"] for c in ("default", "coding", "tool_calling", "prose", "vision")}
        yield scripts, {"backends": backends, "routes": routes}


def _clean(message: str) -> None:
    for leak in ("Traceback", 'File "', ".py", "/site-packages", "/work/", "/etc/passwd\n"):
        assert leak not in message, message


@pytest.mark.parametrize("case", sorted(BAD_OPENAI))
def test_openai_client_error_through_litellm_is_a_400(gateway_app, two_geminis, case):
    scripts, config = two_geminis
    with gateway_app(config) as (client, app):
        for _ in range(4):  # more than cooldown_failures (3)
            r = client.post(
                "/v1/chat/completions",
                json={"model": "auto", "messages": BAD_OPENAI[case], "tools": TOOLS},
            )
            assert r.status_code == 400, r.text
            err = r.json()["error"]
            assert err["type"] == "invalid_request_error"
            _clean(err["message"])
        rows = log_rows(app, 4)
        assert [row.http_status for row in rows] == [400] * 4
        assert all(row.attempts <= 1 for row in rows)
        assert scripts[1].requests == []  # never retried on the next backend
        ok = client.post("/v1/chat/completions", json={"model": "auto", "messages": [USER]})
        assert ok.status_code == 200 and ok.headers["x-switchpoint-backend"] == "gem-a"  # not cooling down


@pytest.mark.parametrize("case", sorted(BAD_ANTHROPIC))
def test_anthropic_client_error_through_litellm_is_a_400(gateway_app, two_geminis, case):
    scripts, config = two_geminis
    with gateway_app(config) as (client, _):
        r = client.post(
            "/v1/messages",
            headers={"anthropic-version": "2023-06-01"},
            json={"model": "auto", "max_tokens": 50, "messages": BAD_ANTHROPIC[case]},
        )
        assert r.status_code == 400, r.text
        body = r.json()
        assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
        _clean(body["error"]["message"])
    assert scripts[1].requests == []


# ---- the backend's own mapping, for what the dialects do not check --------------------------------


def _backend(url: str) -> Any:
    from backends.litellm_backend import LiteLLMBackend

    return LiteLLMBackend(
        "gem", model="gemini/gemini-2.5-flash", base_url=url + "/v1beta", api_key_env="TEST_GEMINI_KEY"
    )


async def _first_error(backend: Any, request: Any) -> Any:
    from backends.errors import BackendError

    with pytest.raises(BackendError) as info:
        async for _ in backend.stream(request):
            pass
    return info.value


def _image_request() -> Any:
    from backends.contract import CanonicalRequest, ImagePart, Message

    return CanonicalRequest(model="auto", messages=[Message("user", [ImagePart("file:///etc/passwd")])])


async def test_litellm_refusing_the_input_before_sending_is_a_client_error(monkeypatch):
    """An error litellm raises while building the provider's request (here: an image it will not
    fetch) is a non-retryable 400 that never counts toward cooldowns; nothing reaches the upstream."""
    from backends.errors import BackendRejectedRequest
    from policies.cooldown import counts_as_failure
    from router.http_errors import status_of

    monkeypatch.setenv("TEST_GEMINI_KEY", "gk-secret-123")
    script = GeminiScript()
    with ServerThread(make_gemini(script)) as server:
        exc = await _first_error(_backend(server.url), _image_request())
    assert isinstance(exc, BackendRejectedRequest) and status_of(exc) == 400
    assert not exc.retryable and not counts_as_failure(exc.retryable)
    _clean(exc.message)
    assert "Invalid image" in exc.message and script.requests == []


async def test_litellm_transport_and_response_failures_stay_backend_errors(monkeypatch):
    from backends.contract import CanonicalRequest, Message, TextPart
    from backends.errors import BackendConnectError, BackendRejectedRequest
    from tests.fakes.servers import free_port

    monkeypatch.setenv("TEST_GEMINI_KEY", "gk-secret-123")
    hi = CanonicalRequest(model="auto", messages=[Message("user", [TextPart("hi")])])
    refused = await _first_error(_backend(f"http://127.0.0.1:{free_port()}"), hi)
    assert isinstance(refused, BackendConnectError) and refused.retryable
    script = GeminiScript(status=503)
    with ServerThread(make_gemini(script)) as server:
        failed = await _first_error(_backend(server.url), hi)
    assert not isinstance(failed, BackendRejectedRequest) and failed.retryable
