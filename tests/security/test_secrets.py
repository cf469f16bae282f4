"""Keys and Authorization headers never reach the logs, the database or error messages; request bodies
are stored only when the operator turns that on, and then with secrets redacted."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import httpx
import orjson
from sqlalchemy import text

from tests.reliability import procs
from tests.router.helpers import log_rows, one_backend
from tests.security.helpers import ADMIN, MSG

UPSTREAM_KEY = "upk-SENTINEL-upstream-7c1d9e"
BAD_KEY = "sk-sp-SENTINEL-not-a-key-4b2f8a"
PASTED = "sk-proj-SENTINELpastedinprompt0123456789"


def dump(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return "\n".join(conn.iterdump())


def test_no_key_in_logs_database_or_errors(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with procs.upstream(tmp_path) as up:
        config = {
            "backends": [procs.backend("up", up.url, api_key_env="SENTINEL_UPSTREAM_KEY")],
            "log_bodies": True,
            "log": {"flush_interval": 0.1},
        }
        env = {"SENTINEL_UPSTREAM_KEY": UPSTREAM_KEY, "SWITCHPOINT_ADMIN_KEY": ADMIN}
        gw = procs.gateway(home, config, env=env, log_level="debug")
        try:
            adm = {"authorization": f"Bearer {ADMIN}"}
            secret = httpx.post(gw.url + "/admin/keys", json={"name": "leak"}, headers=adm).json()["key"]
            answers = []
            for headers in ({"authorization": f"Bearer {secret}"}, {"x-api-key": secret}):
                for stream in (False, True):
                    body = {"model": "auto", "messages": [{"role": "user", "content": f"my key is {PASTED}"}]}
                    r = httpx.post(gw.url + "/v1/chat/completions", json={**body, "stream": stream}, headers=headers)
                    assert r.status_code == 200
                    answers.append(r)
            for headers in ({"authorization": f"Bearer {BAD_KEY}"}, {"x-api-key": BAD_KEY}, {}):
                body = {"model": "auto", "messages": MSG}
                r = httpx.post(gw.url + "/v1/chat/completions", json=body, headers=headers)
                assert r.status_code == 401
                answers.append(r)
            answers.append(httpx.get(gw.url + "/v1/models", headers={"authorization": f"Bearer {BAD_KEY}"}))
            answers.append(httpx.get(gw.url + "/admin/keys", headers={"authorization": f"Bearer {BAD_KEY}"}))
            answers.append(httpx.get(gw.url + "/admin/keys", headers=adm))
            procs.script(up, behaviour="status", status=500)
            r = httpx.post(
                gw.url + "/v1/chat/completions",
                json={"model": "auto", "messages": MSG},
                headers={"authorization": f"Bearer {secret}"},
            )
            assert r.status_code == 502
            answers.append(r)
        finally:
            gw.stop(signal.SIGTERM)
    # The upstream got its own key, never the caller's.
    sentinels = [secret, BAD_KEY, ADMIN, UPSTREAM_KEY, PASTED]
    logs = gw.log_path.read_text()
    assert "request" in logs.lower()  # the debug log did capture the traffic
    database = dump(home / "switchpoint.db")
    assert "[REDACTED]" in database and "my key is" in database  # bodies were stored, redacted
    for s in sentinels:
        assert s not in logs, "a key reached the logs"
        assert s not in database, "a key reached the database"
        for r in answers:
            assert s not in r.text and s not in str(r.headers), "a key reached a response"
    raw = b"".join(p.read_bytes() for p in home.glob("switchpoint.db*"))
    for s in sentinels:
        assert s.encode() not in raw


def test_bodies_are_stored_only_when_turned_on(gateway, upstream) -> None:
    _, up = upstream
    body = {
        "model": "auto",
        "messages": [{"role": "user", "content": f"use {PASTED} and Bearer abcdefghijklmnop please"}],
        "metadata": {"api_key": "plain-secret-value", "note": "kept", "max_tokens_hint": 5},
    }
    with gateway(one_backend(up)) as (url, app):
        assert httpx.post(url + "/v1/chat/completions", json=body).status_code == 200
        log_rows(app)
        with app.state.engine.connect() as conn:
            assert conn.execute(text("select count(*) from request_bodies")).scalar_one() == 0
    with gateway(one_backend(up), log_bodies=True) as (url, app):
        r = httpx.post(url + "/v1/chat/completions", json=body)
        rid = r.headers["x-switchpoint-request-id"]
        stored = None
        for _ in range(200):  # the body log flushes on its own interval
            with app.state.engine.connect() as conn:
                stored = conn.execute(text("select body from request_bodies where id = :id"), {"id": rid}).scalar()
            if stored:
                break
            time.sleep(0.05)
        assert stored is not None
        saved = orjson.loads(stored)
        assert saved["metadata"] == {"api_key": "[REDACTED]", "note": "kept", "max_tokens_hint": 5}
        content = saved["messages"][0]["content"]
        assert PASTED not in content and "abcdefghijklmnop" not in content and "please" in content
