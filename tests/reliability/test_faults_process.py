"""Upstream faults against the gateway as a real `switchpoint serve` process, each upstream its own
process: every request first meets a backend whose port refuses connections, then the faulty one,
then a healthy one. Before the first byte the gateway falls back; after it the stream ends with an
error event; every request leaves one log row. (tests/router/test_fallback.py covers the same faults
in process, one at a time.)"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from router.settings import Settings
from tests.fakes.servers import free_port
from tests.reliability import procs

MSG = [{"role": "user", "content": "hello"}]
SECOND = "Second upstream answering."


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[procs.Proc, procs.Proc, Path]]:
    tmp = tmp_path_factory.mktemp("faults")
    with procs.upstream(tmp) as faulty, procs.upstream(tmp, "--text", SECOND) as healthy:
        config: dict[str, Any] = {
            "backends": [
                procs.backend("dead", f"http://127.0.0.1:{free_port()}"),
                procs.backend("first", faulty.url, timeouts={"first_byte": 1.0}),
                procs.backend("second", healthy.url),
            ],
            "routes": {"default": ["dead", "first", "second"]},
            "log": {"flush_interval": 0.1},
        }
        if "routing" in Settings.model_fields:  # cooldowns and stickiness would skip the failing backends: off here
            config["routing"] = {"cooldown_failures": 0, "sticky_ttl_s": 0}
        with procs.gateway(tmp / "home", config) as gw:
            yield gw, faulty, tmp / "home" / "switchpoint.db"


def row(db: Path, rid: str, timeout: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(db) as conn:
            conn.row_factory = sqlite3.Row
            found = conn.execute("select * from requests where id = ?", (rid,)).fetchone()
        if found is not None:
            return dict(found)
        if time.monotonic() > deadline:
            raise AssertionError(f"no log row for {rid}")
        time.sleep(0.05)


def sse_text(body: str) -> tuple[str, list[dict[str, Any]]]:
    text, errors = [], []
    for line in body.split("\n"):
        if line.startswith("data: {"):
            data = orjson.loads(line[6:])
            if "error" in data:
                errors.append(data["error"])
            for c in data.get("choices", []):
                text.append(c["delta"].get("content") or "")
    return "".join(text), errors


def call(gw: procs.Proc, stream: bool) -> httpx.Response:
    body = {"model": "auto", "messages": MSG, "stream": stream}
    return httpx.post(gw.url + "/v1/chat/completions", json=body, timeout=30)


BEFORE_FIRST_BYTE: dict[str, dict[str, Any]] = {
    "refused_only": {"behaviour": "ok"},  # only the dead port fails: "first" answers
    "500": {"behaviour": "status", "status": 500},
    "429": {"behaviour": "status", "status": 429, "retry_after": "2"},
    "stall": {"behaviour": "stall", "stall_s": 3.0},
    "malformed_json": {"behaviour": "malformed"},
}


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("fault", list(BEFORE_FIRST_BYTE))
def test_fallback_before_first_byte(rig: Any, fault: str, stream: bool) -> None:
    gw, faulty, db = rig
    if fault == "malformed_json" and stream:
        pytest.skip("a malformed chunk arrives after the first byte: test_error_after_first_byte")
    procs.script(faulty, **BEFORE_FIRST_BYTE[fault])
    r = call(gw, stream)
    assert r.status_code == 200
    expected = "first" if fault == "refused_only" else "second"
    assert r.headers["x-switchpoint-backend"] == expected
    text = sse_text(r.text)[0] if stream else r.json()["choices"][0]["message"]["content"]
    assert text == (SECOND if expected == "second" else "Hello from the upstream.")
    logged = row(db, r.headers["x-switchpoint-request-id"])
    assert logged["status"] == "ok" and logged["backend"] == expected
    errors = orjson.loads(logged["attempt_errors"])
    assert [e["backend"] for e in errors] == (["dead"] if expected == "first" else ["dead", "first"])


@pytest.mark.parametrize("fault", ["die", "malformed"])
def test_error_after_first_byte(rig: Any, fault: str) -> None:
    gw, faulty, db = rig
    procs.script(faulty, behaviour=fault, chunks=6)
    r = call(gw, True)
    assert r.status_code == 200  # the status line went out with the first byte
    text, errors = sse_text(r.text)
    assert text and text != "Hello from the upstream."  # partial text, no silent switch to "second"
    assert len(errors) == 1 and errors[0]["type"] == "upstream_error"
    assert "[DONE]" not in r.text
    logged = row(db, r.headers["x-switchpoint-request-id"])
    assert logged["status"] == "error" and logged["backend"] == "first" and logged["error"]
    procs.script(faulty, behaviour="ok")
    assert call(gw, False).status_code == 200  # still serving


def test_trickling_upstream(rig: Any) -> None:
    gw, faulty, db = rig
    procs.script(faulty, behaviour="trickle")
    r = call(gw, True)
    assert sse_text(r.text) == ("Hello from the upstream.", [])
    assert row(db, r.headers["x-switchpoint-request-id"])["status"] == "ok"


def test_every_backend_failing_is_one_clear_error(rig: Any) -> None:
    gw, faulty, db = rig
    procs.script(faulty, behaviour="status", status=500)
    body = {"model": "first", "messages": MSG}  # naming a backend: no fallback
    r = httpx.post(gw.url + "/v1/chat/completions", json=body, timeout=30)
    assert r.status_code == 502 and r.json()["error"]["type"] == "upstream_error"
    logged = row(db, r.headers["x-switchpoint-request-id"])
    assert logged["status"] == "error" and logged["http_status"] == 502
    procs.script(faulty, behaviour="ok")


def test_binds_loopback_only(rig: Any) -> None:
    gw, _, _ = rig
    listening = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "0A":  # LISTEN
            addr, port = local.split(":")
            listening.add((addr, int(port, 16)))
    assert ("0100007F", gw.port) in listening  # 127.0.0.1
    assert not [a for a, p in listening if p == gw.port and a != "0100007F"]
    assert not any(p == gw.port for p in _tcp6_listening())
    assert Settings().host == "127.0.0.1"


def _tcp6_listening() -> set[int]:
    path = Path("/proc/net/tcp6")
    if not path.exists():
        return set()
    return {int(ln.split()[1].split(":")[1], 16) for ln in path.read_text().splitlines()[1:] if ln.split()[3] == "0A"}
