"""Rules through the real gateway, in process (its upstreams on loopback): config rules, the admin API
(validate, dry-run, versions, history, rollback, explain), hot reload in a second replica (a second app)
sharing the database, stickiness, and Postgres."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest

from tests.router.helpers import log_rows

ADMIN = "spa-test-admin-key-0123456789abcdef"
H = {"authorization": f"Bearer {ADMIN}"}


def two_backends(up1: str, up2: str, **extra: Any) -> dict[str, Any]:
    return {
        "admin_key": ADMIN,
        "backends": [
            {"name": "one", "kind": "openai", "base_url": up1, "model": "m-one"},
            {"name": "two", "kind": "openai", "base_url": up2, "model": "m-two"},
        ],
        "routes": {"default": ["one", "two"]},
        **extra,
    }


def chat(client: httpx.Client, text: str, headers: dict[str, str] | None = None, **body: Any) -> httpx.Response:
    payload = {"model": "auto", "messages": [{"role": "user", "content": text}], **body}
    return client.post("/v1/chat/completions", json=payload, headers=headers or {})


def wait_for(predicate: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


PROSE_TO_TWO = "rules:\n  - name: prose-two\n    match: {category: prose}\n    chain: [two]\n"


def test_config_rules_route_and_override(gateway_app, upstream, upstream2):
    s1, up1 = upstream
    _s2, up2 = upstream2
    rules = [
        {"name": "cap", "match": {"category": "prose"}, "set": {"max_tokens": 5, "temperature": 0.1}},
        {"name": "team", "match": {"header": {"x-team": "blue"}}, "chain": ["two"]},
        {"name": "no-tools", "match": {"tools": True}, "reject": "tools are off here"},
    ]
    with gateway_app(two_backends(up1, up2, rules=rules)) as (client, app):
        r = chat(client, "Write a haiku about autumn.", max_tokens=50)
        assert r.status_code == 200 and r.headers["x-switchpoint-backend"] == "one"
        assert s1.requests[-1]["max_tokens"] == 5 and s1.requests[-1]["temperature"] == 0.1
        r = chat(client, "Write a haiku about autumn.", {"x-team": "blue"})
        assert r.headers["x-switchpoint-backend"] == "two"
        tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
        r = chat(client, "call f", tools=[tool])
        assert r.status_code == 400 and "tools are off here" in r.json()["error"]["message"]
        rows = log_rows(app, 3)
        assert {row.rule for row in rows} == {"route:default", "rule:team", None}


def test_admin_rules_lifecycle_and_hot_reload(gateway_app, upstream, upstream2):
    _, up1 = upstream
    _, up2 = upstream2
    cfg = two_backends(up1, up2, routing={"rules_poll_s": 0.2})
    with gateway_app(cfg) as (client, app), gateway_app(cfg) as (client_b, _):
        cur = client.get("/admin/rules", headers=H).json()
        assert cur["version"] == 0 and cur["created_by"] == "config" and "rules: []" in cur["yaml"]
        assert client.get("/admin/rules").status_code == 401
        bad = "rules:\n  - name: x\n    match: {category: poetry}\n    chain: [nowhere]\n"
        v = client.post("/admin/rules/validate", json={"yaml": bad}, headers=H).json()
        assert v["ok"] is False and any("rules[0].chain[0]" in e for e in v["errors"])
        assert any("rules[0].match.category" in e for e in v["errors"])
        assert client.post("/admin/rules/validate", json={"yaml": PROSE_TO_TWO}, headers=H).json() == {
            "ok": True,
            "errors": [],
        }
        r = client.post("/admin/rules", json={"yaml": bad, "comment": "x"}, headers=H)
        assert r.status_code == 400 and r.json()["errors"]

        for _ in range(3):
            assert chat(client, "Write a haiku about autumn.").headers["x-switchpoint-backend"] == "one"
        log_rows(app, 3)
        dry = client.post("/admin/rules/dry-run", json={"yaml": PROSE_TO_TWO, "limit": 2}, headers=H).json()
        assert dry["total"] == 2 and dry["changed"] == 2
        res = dry["results"][0]
        assert res["current"] == {"rule": "route:default", "chain": ["one", "two"]}
        assert res["proposed"] == {"rule": "rule:prose-two", "chain": ["two"]} and res["category"] == "prose"

        r = client.post("/admin/rules", json={"yaml": PROSE_TO_TWO, "comment": "prose to two"}, headers=H)
        assert r.json() == {"version": 1}
        assert chat(client, "Write a haiku about autumn.").headers["x-switchpoint-backend"] == "two"
        # the other replica shares only the database: it picks the version up by polling
        assert wait_for(lambda: chat(client_b, "A poem about rain.").headers["x-switchpoint-backend"] == "two")
        cur = client_b.get("/admin/rules", headers=H).json()
        assert cur["version"] == 1 and cur["comment"] == "prose to two" and cur["yaml"] == PROSE_TO_TWO

        hist = client.get("/admin/rules/history", headers=H).json()["versions"]
        assert [h["version"] for h in hist] == [1] and "+  - name: prose-two" in hist[0]["diff"]
        assert hist[0]["created_by"] == "admin" and hist[0]["created_at"].startswith("20")
        r = client.post("/admin/rules/rollback", json={"version": 0}, headers=H)
        assert r.json() == {"version": 2}
        # a new conversation (the earlier one sticks to "two", where it was served last)
        assert chat(client, "Write a haiku about spring.").headers["x-switchpoint-backend"] == "one"
        assert client.post("/admin/rules/rollback", json={"version": 9}, headers=H).status_code == 404
        hist = client.get("/admin/rules/history", headers=H).json()["versions"]
        assert [h["version"] for h in hist] == [2, 1] and hist[0]["comment"] == "rollback to v0"
        assert "-  - name: prose-two" in hist[0]["diff"]


def test_explain_any_dialect(gateway_app, upstream, upstream2):
    _, up1 = upstream
    _, up2 = upstream2
    rules = [{"name": "haiku-fast", "match": {"model": "claude-haiku-*"}, "chain": ["two"]}]
    with gateway_app(two_backends(up1, up2, rules=rules)) as (client, _):
        body = {
            "dialect": "anthropic",
            "model": "claude-haiku-4-5",
            "max_tokens": 20,
            "messages": [{"role": "user", "content": "hello"}],
        }
        out = client.post("/admin/route/explain", json=body, headers=H).json()
        assert out["rule"] == "rule:haiku-fast" and out["chain"] == ["two"] and "haiku-fast" in out["reason"]
        assert out["category"] == out["signals"]["category"] and "difficulty" in out["signals"]
        body = {
            "model": "auto",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is this"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                    ],
                }
            ],
        }
        out = client.post("/admin/route/explain", json=body, headers=H).json()
        assert out["category"] == "vision" and out["rule"].startswith("error:")
        assert "images" in out["reason"] and out["chain"] == []
        r = client.post("/admin/route/explain", json={"dialect": "klingon"}, headers=H)
        assert r.status_code == 400


def test_session_sticks_to_its_backend(gateway_app, upstream, upstream2):
    _, up1 = upstream
    _, up2 = upstream2
    with gateway_app(two_backends(up1, up2)) as (client, _):
        sess = {"x-claude-code-session-id": uuid.uuid4().hex}
        assert chat(client, "Write a haiku about autumn.", sess).headers["x-switchpoint-backend"] == "one"
        prefer_two = PROSE_TO_TWO.replace("[two]", "[two, one]")
        r = client.post("/admin/rules", json={"yaml": prefer_two, "comment": ""}, headers=H)
        assert r.status_code == 200
        # the session stays on "one" (still in the rule's chain); a new conversation follows the rule
        assert chat(client, "Another haiku, please.", sess).headers["x-switchpoint-backend"] == "one"
        assert chat(client, "Write a limerick about cats.").headers["x-switchpoint-backend"] == "two"
        # a rule whose chain leaves the session's backend out moves the session
        r = client.post("/admin/rules", json={"yaml": PROSE_TO_TWO, "comment": ""}, headers=H)
        assert chat(client, "And one more.", sess).headers["x-switchpoint-backend"] == "two"
        # without a session header the system prompt and first user turn identify the conversation
        r = client.post("/admin/rules/rollback", json={"version": 0}, headers=H)
        assert chat(client, "Write a limerick about cats.").headers["x-switchpoint-backend"] == "two"
        assert chat(client, "Write a limerick about dogs.").headers["x-switchpoint-backend"] == "one"
        state = client.get("/admin/routing/state", headers=H).json()
        assert state["sticky_sessions"] == 3 and state["cooldowns"] == {}


@pytest.mark.postgres
def test_rule_versions_on_postgres(gateway_app, upstream, upstream2):
    import psycopg

    schema = "sp_rules_" + uuid.uuid4().hex[:8]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        _, up1 = upstream
        _, up2 = upstream2
        db = f"postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
        with gateway_app(two_backends(up1, up2, database_url=db)) as (client, app):
            for i in range(2):
                r = client.post("/admin/rules", json={"yaml": PROSE_TO_TWO, "comment": f"c{i}"}, headers=H)
                assert r.json() == {"version": i + 1}
            hist = client.get("/admin/rules/history", headers=H).json()["versions"]
            assert [h["comment"] for h in hist] == ["c1", "c0"] and hist[0]["diff"] == ""
            r = chat(client, "Write a haiku about autumn.")
            assert r.headers["x-switchpoint-backend"] == "two"
            rid = r.headers["x-switchpoint-request-id"]
            fb = client.post("/v1/feedback", json={"request_id": rid, "score": 0.75})
            assert fb.status_code == 200
            from router.store_quality import load_observations

            [obs] = load_observations(app.state.engine)
            assert (obs.backend, obs.category, obs.quality) == ("two", "prose", 0.75)
    finally:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_session_follows_a_fallback(gateway_app, upstream):
    from tests.conftest import closed_port_url

    _, up = upstream
    cfg = {
        "admin_key": ADMIN,
        "backends": [
            {"name": "dead", "kind": "openai", "base_url": closed_port_url(), "model": "m"},
            {"name": "alive", "kind": "openai", "base_url": up, "model": "m-alive"},
        ],
        "routes": {"default": ["dead", "alive"]},
        "routing": {"cooldown_failures": 100},
    }
    with gateway_app(cfg) as (client, app):
        sess = {"x-session-id": uuid.uuid4().hex}
        first = chat(client, "Write a haiku about autumn.", sess)
        assert first.headers["x-switchpoint-backend"] == "alive"

        def second_row() -> Any:
            r = chat(client, f"Another one {uuid.uuid4().hex}", sess)
            rows = log_rows(app, 2)
            return next(row for row in rows if row.id == r.headers["x-switchpoint-request-id"])

        # the pin moves to "alive" off the request path: the next turn goes straight there
        row = wait_for(lambda: (lambda r: r if r.attempts == 1 else None)(second_row()))
        assert row is not None and row.backend == "alive" and "sticks to alive" in row.reason
