"""Every error a client can cause gets OpenAI's error shape, the right status, and a log row (the gateway
in process: the errors are the app's own; the server protocol's 408/431 are tests/security's)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.router.helpers import log_rows, one_backend


def assert_openai_error(r: httpx.Response, status: int, *, param: str | None = None, contains: str = "") -> dict:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    assert contains in err["message"]
    if param is not None:
        assert err["param"] == param
    assert r.headers["x-switchpoint-request-id"].startswith("req_")
    return err


@pytest.fixture
def client_app(gateway_app, upstream):
    _, up = upstream
    with gateway_app(one_backend(up), max_body_bytes=4096) as started:
        yield started


def post(client: httpx.Client, content: Any) -> httpx.Response:
    return client.post("/v1/chat/completions", content=content, headers={"content-type": "application/json"})


def test_invalid_json(client_app):
    client, app = client_app
    assert_openai_error(post(client, b'{"model": "auto", "messages": ['), 400, contains="not valid JSON")
    assert_openai_error(post(client, b"\xff\xfe\x00garbage"), 400, contains="not valid JSON")
    assert_openai_error(post(client, b"[1, 2]"), 400, contains="JSON object")
    rows = log_rows(app, 3)
    assert [r.status for r in rows] == ["error"] * 3 and all(r.http_status == 400 for r in rows)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": [{"role": "user", "content": "x"}]}, "model"),
        ({"model": "auto", "messages": []}, "messages"),
        ({"model": "auto", "messages": [{"role": "wizard", "content": "x"}]}, "messages.0.role"),
        (
            {"model": "auto", "messages": [{"role": "user", "content": [{"type": "audio_blob"}]}]},
            "messages.0.content.0",
        ),
        ({"model": "auto", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"}, "temperature"),
        ({"model": "auto", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0}, "max_tokens"),
        ({"model": "auto", "messages": [{"role": "user", "content": "x"}], "n": 2}, "n"),
        ({"model": "auto", "messages": [{"role": "user", "content": "x"}], "tool_choice": "sometimes"}, "tool_choice"),
    ],
)
def test_validation_names_the_field(client_app, body, param):
    client, _ = client_app
    err = assert_openai_error(client.post("/v1/chat/completions", json=body), 400, param=param)
    assert err["type"] == "invalid_request_error"


def test_body_over_the_limit(client_app):
    client, _ = client_app
    big = b'{"model": "auto", "messages": [{"role": "user", "content": "' + b"x" * 5000 + b'"}]}'
    assert_openai_error(post(client, big), 413, contains="over the limit")

    def chunks():  # no content-length: the limit holds while streaming the body in
        yield big[:3000]
        yield big[3000:]

    assert_openai_error(post(client, chunks()), 413)
    assert client.get("/health").status_code == 200


def test_unknown_model_when_operator_rejects(gateway_app, upstream):
    _, up = upstream
    with gateway_app(one_backend(up), unknown_models="reject") as (client, _):
        r = client.post("/v1/chat/completions", json={"model": "gpt-9", "messages": [{"role": "user", "content": "x"}]})
        assert_openai_error(r, 404, param="model", contains="gpt-9")
        ok = client.post("/v1/chat/completions", json={"model": "auto", "messages": [{"role": "user", "content": "x"}]})
        assert ok.status_code == 200


def test_no_backend_can_serve(client_app):
    client, _ = client_app
    body = {
        "model": "auto",
        "messages": [
            {
                "role": "user",
                "content": [{"type": "image_url", "image_url": {"url": "https://example.invalid/cat.png"}}],
            }
        ],
    }
    err = assert_openai_error(client.post("/v1/chat/completions", json=body), 503, contains="vision")
    assert err["code"] == "no_backend_available"
