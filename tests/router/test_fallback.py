"""Fallback before the first byte; a clean error event after it; a log row for every outcome. Every fault
(refused, 5xx, 429, stall, trickle, dying or malformed stream) is the upstream's, on a real loopback
server with its real timing; the client's side of the gateway is not the point, so the gateway runs in
process (its responses still stream to the client chunk by chunk)."""

from __future__ import annotations

import openai
import orjson
import pytest

from tests.conftest import closed_port_url
from tests.router.helpers import log_rows, openai_sdk

MSG = [{"role": "user", "content": "hello"}]


def sse_text(body: str) -> str:
    out = []
    for line in body.split("\n"):
        if line.startswith("data: {"):
            out += [c["delta"].get("content") or "" for c in orjson.loads(line[6:])["choices"]]
    return "".join(out)


def two(first_url: str, second_url: str, **first_extra) -> dict:
    return {
        "backends": [
            {"name": "first", "kind": "openai", "base_url": first_url, "model": "m1", **first_extra},
            {"name": "second", "kind": "openai", "base_url": second_url, "model": "m2"},
        ],
        "routes": {"default": ["first", "second"]},
    }


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("fault", ["refused", "500", "429", "stall", "malformed_json"])
def test_falls_back_before_first_byte(gateway_app, upstream, upstream2, fault, stream):
    script, up = upstream
    script2, up2 = upstream2
    extra = {}
    if fault == "refused":
        up = closed_port_url()
    elif fault in ("500", "429"):
        script.behaviour, script.status = "status", int(fault)
        script.retry_after = "3" if fault == "429" else None
    elif fault == "stall":
        script.behaviour, script.stall_s = "stall", 3.0
        extra = {"timeouts": {"first_byte": 0.3}}
    elif fault == "malformed_json":
        if stream:
            pytest.skip("a malformed stream chunk arrives after the first byte: covered below")
        script.behaviour = "malformed"
    with gateway_app(two(up, up2, **extra)) as (client, app):
        r = client.post("/v1/chat/completions", json={"model": "auto", "messages": MSG, "stream": stream})
        assert r.status_code == 200
        assert r.headers["x-switchpoint-backend"] == "second"
        assert (sse_text(r.text) if stream else r.json()["choices"][0]["message"]["content"]) == script2.text
        [row] = log_rows(app)
        assert row.status == "ok" and row.backend == "second" and row.attempts == 2
        [err] = orjson.loads(row.attempt_errors)
        assert err["backend"] == "first"
        metrics = client.get("/metrics").text
        assert 'switchpoint_fallbacks_total{backend="first",category="prose"} 1.0' in metrics


@pytest.mark.parametrize("fault", ["500", "429"])
def test_every_backend_failing_gives_one_clear_error(gateway_app, upstream, upstream2, fault):
    script, up = upstream
    script2, up2 = upstream2
    for s in (script, script2):
        s.behaviour, s.status, s.retry_after = "status", int(fault), "7"
    with gateway_app(two(up, up2)) as (client, app):
        r = client.post("/v1/chat/completions", json={"model": "auto", "messages": MSG})
        assert r.status_code == (429 if fault == "429" else 502)
        err = r.json()["error"]
        assert "first" in err["message"] and "second" in err["message"] and err["type"] == "upstream_error"
        if fault == "429":
            assert r.headers["retry-after"] == "7"
        [row] = log_rows(app)
        assert row.status == "error" and row.attempts == 2 and row.http_status == r.status_code


def test_upstream_4xx_is_not_retried(gateway_app, upstream, upstream2):
    script, up = upstream
    script2, up2 = upstream2
    script.behaviour, script.status = "status", 400
    with gateway_app(two(up, up2)) as (client, _):
        r = client.post("/v1/chat/completions", json={"model": "auto", "messages": MSG})
        assert r.status_code == 400 and "scripted 400" in r.json()["error"]["message"]
    assert script2.requests == []


@pytest.mark.parametrize("fault", ["die", "malformed"])
def test_failure_after_first_byte_ends_stream_with_error_event(gateway_app, upstream, upstream2, fault):
    script, up = upstream
    script2, up2 = upstream2
    script.behaviour, script.chunks = fault, 6
    with gateway_app(two(up, up2)) as (client, app):
        c = openai_sdk(client, api_key="k")
        got = []
        with pytest.raises(openai.APIError):
            for chunk in c.chat.completions.create(model="auto", messages=MSG, stream=True):
                got.append(chunk.choices[0].delta.content or "")
        assert "".join(got) and "".join(got) != script.text  # partial text, then a clear error
        [row] = log_rows(app)
        assert row.status == "error" and row.backend == "first" and row.error
        assert client.get("/health").json()["status"] == "ok"  # still serving
    assert script2.requests == []  # bytes had reached the client: no silent switch


def test_trickling_upstream_is_relayed_whole(gateway_app, upstream):
    script, up = upstream
    script.behaviour = "trickle"
    with gateway_app({"backends": [{"name": "t", "kind": "openai", "base_url": up, "model": "m"}]}) as (client, _):
        c = openai_sdk(client, api_key="k")
        text = "".join(
            ch.choices[0].delta.content or ""
            for ch in c.chat.completions.create(model="auto", messages=MSG, stream=True)
            if ch.choices
        )
        assert text == script.text
