"""Bad input is refused with a 4xx in the caller's API shape (OpenAI `{"error": {...}}`, Anthropic
`{"type": "error", "error": {...}}` on /v1/messages), and the gateway keeps serving."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from router import app as app_module
from tests.router.helpers import one_backend

ROUTES = {
    "/v1/chat/completions": "openai",
    "/v1/messages": "anthropic",
    "/v1/responses": "responses",
    "/v1/completions": "completions",
}
GOOD: dict[str, dict[str, Any]] = {
    "/v1/chat/completions": {"model": "auto", "messages": [{"role": "user", "content": "hi"}]},
    "/v1/messages": {"model": "auto", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]},
    "/v1/responses": {"model": "auto", "input": "hi"},
    "/v1/completions": {"model": "auto", "prompt": "def f():"},
}


def assert_shaped(r: httpx.Response, path: str, status: int | tuple[int, ...] = 400) -> dict[str, Any]:
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = r.json()
    if path.startswith("/v1/messages"):
        assert body["type"] == "error" and isinstance(body["error"]["message"], str) and body["error"]["type"]
    else:
        assert isinstance(body["error"]["message"], str) and body["error"]["type"]
    return body


@pytest.fixture
def served(gateway: Any, upstream: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A gateway routing all four dialects (whether or not router/app.py routes them yet)."""
    for path, name in ROUTES.items():
        monkeypatch.setitem(app_module.DIALECT_ROUTES, path, name)
    _, up = upstream
    with gateway(one_backend(up), max_body_bytes=512 * 1024) as (url, _):
        yield url
        assert httpx.post(url + "/v1/chat/completions", json=GOOD["/v1/chat/completions"]).status_code == 200


def raw_status(url: str, request: str) -> int:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request.encode())
        head = sock.recv(65536).decode("latin-1")
    return int(head.split(" ", 2)[1])


def post(url: str, path: str, content: bytes, **headers: str) -> httpx.Response:
    return httpx.post(url + path, content=content, headers={"content-type": "application/json", **headers}, timeout=30)


@pytest.mark.parametrize("path", list(ROUTES))
def test_malformed_bodies(served: str, path: str) -> None:
    cases = [
        b"",
        b"{",
        b"not json",
        b'{"model": "auto", "messages": [}',
        b"[]",
        b"null",
        b"42",
        b'"a string"',
        b'{"model": "auto", "messages": "\xff\xfe"}',  # invalid UTF-8
        b'{"model": "auto", "x": "\xed\xa0\x80"}',  # a UTF-8 encoded lone surrogate
        b"[" * 100_000 + b"]" * 100_000,  # past the parser's depth limit
        b'{"model": "auto", "metadata": {"x": ' + b"[" * 1000 + b"]" * 1000 + b"}}",
        b'{"model": 5, "messages": 5, "input": 5, "prompt": {}}',
    ]
    for body in cases:
        assert_shaped(post(served, path, body), path)


@pytest.mark.parametrize("path", list(ROUTES))
def test_nesting_within_the_parser_limit_but_past_the_encoder_limit(served: str, path: str) -> None:
    # orjson parses 1024 levels but encodes only 255: a free-form field nested 600 deep must be refused,
    # not fail while the request is forwarded.
    deep = b"[" * 600 + b"]" * 600
    body = httpx.Request("POST", "/", json=GOOD[path]).content[:-1] + b', "metadata": {"x": ' + deep + b"}}"
    r = post(served, path, body)
    assert r.status_code < 500, r.text[:300]
    if r.status_code >= 400:
        assert_shaped(r, path)


@pytest.mark.parametrize("path", list(ROUTES))
def test_huge_body_and_headers(served: str, path: str) -> None:
    assert_shaped(post(served, path, b'{"model": "' + b"a" * 1_000_000 + b'"}'), path, 413)
    # A declared length over the limit is refused before the body is read.
    assert raw_status(served, f"POST {path} HTTP/1.1\r\nhost: x\r\ncontent-length: {10**9}\r\n\r\n{{}}") == 413
    good = httpx.Request("POST", "/", json=GOOD[path]).content
    assert_shaped(post(served, path, good, **{"x-big": "a" * 100_000}), path, 431)
    many = {f"x-h{i}": "v" for i in range(400)}
    assert_shaped(post(served, path, good, **many), path, 431)


@pytest.mark.parametrize("path", list(ROUTES))
def test_wrong_content_types(served: str, path: str) -> None:
    form = httpx.post(served + path, data={"model": "auto", "messages": "hi"}, timeout=30)
    assert_shaped(form, path)
    multipart = httpx.post(served + path, files={"file": ("a.txt", b"hello")}, timeout=30)
    assert_shaped(multipart, path)
    # A JSON body is read as JSON whatever the content type claims (curl -d sends form-urlencoded).
    good = httpx.Request("POST", "/", json=GOOD[path]).content
    assert post(served, path, good, **{"content-type": "text/plain"}).status_code == 200


ROLE_CASES = {
    "/v1/chat/completions": {"model": "auto", "messages": [{"role": "wizard", "content": "hi"}]},
    "/v1/messages": {"model": "auto", "max_tokens": 5, "messages": [{"role": "wizard", "content": "hi"}]},
    "/v1/responses": {"model": "auto", "input": [{"type": "message", "role": "wizard", "content": "hi"}]},
}


@pytest.mark.parametrize("path", list(ROLE_CASES))
def test_unknown_roles(served: str, path: str) -> None:
    body = assert_shaped(httpx.post(served + path, json=ROLE_CASES[path], timeout=30), path)
    assert "role" in body["error"]["message"]


def test_unknown_content_part_types(served: str) -> None:
    chat = {"model": "auto", "messages": [{"role": "user", "content": [{"type": "audio_blob", "x": 1}]}]}
    body = assert_shaped(httpx.post(served + "/v1/chat/completions", json=chat), "/v1/chat/completions")
    assert "messages.0.content.0" in body["error"]["message"]
    bad_type = {"model": "auto", "messages": [{"role": "user", "content": [{"type": 5}]}]}
    assert_shaped(httpx.post(served + "/v1/chat/completions", json=bad_type), "/v1/chat/completions")
    # Anthropic and Responses clients send block types other models cannot use (thinking, documents,
    # input_file): by the dialects' design those are dropped, not refused. A block that is not even an
    # object is refused.
    msgs = {"model": "auto", "max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "thinking"}]}]}
    assert httpx.post(served + "/v1/messages", json=msgs).status_code == 200
    msgs["messages"][0]["content"] = [5]  # type: ignore[index]
    assert_shaped(httpx.post(served + "/v1/messages", json=msgs), "/v1/messages")


def test_unknown_routes_and_methods_answer_json(served: str) -> None:
    body = assert_shaped(httpx.get(served + "/v1/nope"), "/v1/nope", 404)
    assert body["error"]["code"] == "not_found"
    assert_shaped(httpx.get(served + "/v1/messages/nope"), "/v1/messages/nope", 404)
    for path in ROUTES:
        body = assert_shaped(httpx.get(served + path), path, 405)
    assert_shaped(httpx.delete(served + "/v1/models"), "/v1/models", 405)
