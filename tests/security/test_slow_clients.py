"""What the server does with clients that send too much or too slowly (router/http_server.py): a
request head stops being read at its byte limit and is answered 431 at once; idle connections,
partial heads and slow bodies are closed after their read timeouts (408 where something arrived), and
a slow body gives back its key's budget reservation."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest

from tests.router.helpers import log_rows, one_backend
from tests.security.helpers import ADMIN, MSG, admin, make_key

LIMITS = {"connections": {"max_header_bytes": 16384, "header_timeout_s": 0.6, "body_timeout_s": 0.6}}


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    return sock


def read_all(sock: socket.socket, timeout: float = 5.0) -> tuple[bytes, float]:
    """The server's answer (up to its content-length, or until it closes), and how long it took."""
    t0 = time.monotonic()
    sock.settimeout(timeout)
    out = b""
    try:
        while chunk := sock.recv(65536):
            out += chunk
            head, sep, body = out.partition(b"\r\n\r\n")
            length = [int(v) for k, _, v in (h.partition(b": ") for h in head.split(b"\r\n")) if k == b"content-length"]
            if sep and length and len(body) >= length[0]:
                break
    except (TimeoutError, ConnectionResetError):
        pass
    return out, time.monotonic() - t0


def status_and_json(raw: bytes) -> tuple[int, Any]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), orjson.loads(body) if body else None


@pytest.fixture
def gw(gateway, upstream) -> Iterator[tuple[str, Any]]:
    _, url = upstream
    with gateway({**one_backend(url), **LIMITS}, admin_key=ADMIN) as started:
        yield started


def test_a_head_over_the_limit_is_refused_before_it_ends(gw):
    """The head never ends (no blank line): the server answers 431 as soon as the limit is passed
    instead of waiting for, and buffering, the rest."""
    url, _ = gw
    with connect(url) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 20000)
        raw, took = read_all(sock)
    status, body = status_and_json(raw)
    assert status == 431 and body["error"]["code"] == "request_header_fields_too_large"
    assert took < 0.5  # at once, not at a read timeout


def test_a_head_over_the_limit_gets_the_anthropic_shape_on_messages(gw):
    url, _ = gw
    with connect(url) as sock:
        sock.sendall(b"POST /v1/messages HTTP/1.1\r\nhost: x\r\n" + b"x-pad: " + b"b" * 30000 + b"\r\n\r\n")
        raw, _ = read_all(sock)
    status, body = status_and_json(raw)
    assert status == 431 and body["type"] == "error" and body["error"]["type"] == "invalid_request_error"


def test_an_idle_connection_is_closed(gw):
    url, _ = gw
    with connect(url) as sock:
        raw, took = read_all(sock)
    assert raw == b"" and took < 3


def test_a_partial_head_is_answered_408_and_closed(gw):
    url, _ = gw
    with connect(url) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n")
        raw, took = read_all(sock)
    status, body = status_and_json(raw)
    assert status == 408 and body["error"]["code"] == "request_timeout" and took < 3


def test_a_slow_body_is_closed_and_gives_back_its_reservation(gw):
    url, app = gw
    key = make_key(url, budget_tokens=100_000)
    with connect(url) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            b"authorization: Bearer " + key["key"].encode() + b'\r\ncontent-length: 500\r\n\r\n{"model"'
        )
        raw, took = read_all(sock)
    status, _ = status_and_json(raw)
    assert status == 408 and took < 3
    [row] = log_rows(app)
    assert row.status == "cancelled" and row.key_id == key["id"]
    deadline = time.monotonic() + 5
    with admin(url) as c:
        while spent := next(k for k in c.get("/admin/keys").json()["data"] if k["id"] == key["id"])["spent_tokens"]:
            assert time.monotonic() < deadline, f"reservation of {spent} tokens still held"
            time.sleep(0.05)


def test_a_slow_answer_is_not_a_slow_body(gateway, upstream):
    """The body timeout ends with the body: an upstream slower than it is still waited for."""
    script, url = upstream
    script.behaviour, script.stall_s = "stall", 1.5
    with gateway({**one_backend(url), **LIMITS}) as (gw_url, _), httpx.Client(timeout=30) as c:
        for _ in range(2):  # and the connection is reused after it
            r = c.post(gw_url + "/v1/chat/completions", json={"model": "auto", "messages": MSG})
            assert r.status_code == 200


def test_each_timeout_holds_on_a_kept_alive_connection(gateway, upstream):
    """A body timeout shorter than the head's is kept (the connection's one timer is moved earlier), and
    the second request on a connection gets its own head timeout."""
    _, url = upstream
    limits = {"connections": {"header_timeout_s": 1.5, "body_timeout_s": 0.3}}
    body = orjson.dumps({"model": "auto", "messages": MSG})
    with gateway({**one_backend(url), **limits}) as (gw_url, _), connect(gw_url) as sock:
        head = b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        sock.sendall(head + b"content-length: %d\r\n\r\n" % len(body) + body)
        raw, _ = read_all(sock)
        assert status_and_json(raw)[0] == 200
        sock.sendall(head + b"content-length: 500\r\n\r\n{")  # a body that stops
        raw, took = read_all(sock)
        assert status_and_json(raw)[0] == 408 and took < 1.2, took  # the body's 0.3 s, not the head's 1.5
    with gateway({**one_backend(url), **limits}) as (gw_url, _), connect(gw_url) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n")  # a head that stops
        raw, took = read_all(sock)
        assert status_and_json(raw)[0] == 408 and 1.2 < took < 3, took
