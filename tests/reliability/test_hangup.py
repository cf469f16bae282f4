"""A client that hangs up mid-stream still pays for what it was sent: its row is `cancelled` with the
tokens already relayed (estimated where the upstream's usage never came), and its key is charged,
in every streaming dialect."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.fakes.openai_upstream import Script, make_upstream
from tests.fakes.servers import ServerThread
from tests.router.helpers import log_rows, one_backend

ADMIN = "hangup-test-admin-key-0123456789abcdef"
LONG = "word " * 400  # an answer long enough to hang up in the middle of

REQUESTS = {
    "openai": ("/v1/chat/completions", {"messages": [{"role": "user", "content": "talk"}]}),
    "anthropic": ("/v1/messages", {"max_tokens": 500, "messages": [{"role": "user", "content": "talk"}]}),
    "responses": ("/v1/responses", {"input": "talk"}),
}


def spent(url: str, key_id: str) -> int:
    r = httpx.get(url + "/admin/keys", headers={"authorization": f"Bearer {ADMIN}"})
    return int(next(k["spent_tokens"] for k in r.json()["data"] if k["id"] == key_id))


@pytest.mark.parametrize("dialect", list(REQUESTS))
def test_hanging_up_mid_stream_is_charged(gateway, dialect: str) -> None:
    script = Script(behaviour="trickle", text=LONG, chunks=400)
    with (
        ServerThread(make_upstream(script)) as up,
        gateway({**one_backend(up.url + "/v1"), "admin_key": ADMIN}) as (
            url,
            app,
        ),
    ):
        made = httpx.post(
            url + "/admin/keys",
            json={"name": "h", "budget_tokens": 1_000_000},
            headers={"authorization": f"Bearer {ADMIN}"},
        ).json()
        path, body = REQUESTS[dialect]
        with (
            httpx.Client(timeout=30) as client,
            client.stream(
                "POST", url + path, json={"model": "auto", "stream": True, **body}, headers={"x-api-key": made["key"]}
            ) as r,
        ):
            assert r.status_code == 200
            got = b""
            for piece in r.iter_bytes():
                got += piece
                if got.count(b"word") >= 20:
                    break  # hang up long before the last frame
        [row] = log_rows(app)
        assert row.status == "cancelled"
        assert row.output_tokens is not None and row.output_tokens >= 20
        assert row.input_tokens is not None and row.input_tokens > 0 and row.tokens_estimated
        deadline = time.monotonic() + 5
        while spent(url, made["id"]) < row.input_tokens + row.output_tokens and time.monotonic() < deadline:
            time.sleep(0.05)
        assert spent(url, made["id"]) == row.input_tokens + row.output_tokens
