"""Odd input to the admin API, /v1/feedback and the configuration gets a 4xx (or a ConfigError) with a
clear message, never a 500, on SQLite and on Postgres: a NUL in any string, a digit that int() does
not read, budgets and rates up to 2^63 - 1, rule versions past any stored one, YAML nested thousands
deep."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from backends.errors import ConfigError
from router.cli import main as cli_main
from router.settings import load_settings
from tests.reliability.pg import reachable
from tests.router.helpers import one_backend
from tests.security.helpers import ADMIN, chat
from tests.security.replicas import DATABASES, database_url, replicas

H = {"authorization": f"Bearer {ADMIN}"}
DEEP_FLOW = "[" * 5000 + "]" * 5000
DEEP_BLOCK = "a:\n" + "".join("  " * i + "b:\n" for i in range(1, 5000))


def refused(r: httpx.Response, status: int = 400, *words: str) -> None:
    assert r.status_code == status, (r.status_code, r.text[:300])
    message = r.json()["error"]["message"]
    assert all(w in message for w in words), message


@pytest.fixture(params=DATABASES)
def served(request: Any, tmp_path: Path, classifier: Any, upstream: Any) -> Any:
    with (
        database_url(request.param, tmp_path) as database,
        replicas(tmp_path, database, classifier, (ADMIN,), **one_backend(upstream[1])) as [(url, app)],
    ):
        yield url, app


def test_admin_query_and_path_oddities(served: Any) -> None:
    url, _ = served
    with httpx.Client(base_url=url, headers=H, timeout=30) as c:
        refused(c.get("/admin/requests?limit=%C2%B2"), 400, "limit")  # "²".isdigit() is True
        refused(c.get("/admin/requests?limit=" + "9" * 5000), 400, "limit")
        for query in ("backend=a%00b", "key_id=%00", "client=x%00", "category=%00", "cursor=%00"):
            refused(c.get("/admin/requests?" + query), 400, "NUL")
        refused(c.get("/admin/stats/overview?backend=a%00b"), 400, "NUL")
        refused(c.get("/admin/requests/req_%00"), 400, "NUL")
        refused(c.delete("/admin/keys/key_%00"), 400, "NUL")
        assert c.get("/admin/requests?limit=5").status_code == 200


def test_admin_body_oddities(served: Any) -> None:
    url, _ = served
    with httpx.Client(base_url=url, headers=H, timeout=30) as c:
        refused(c.post("/admin/keys", json={"name": "a\x00b"}), 400, "NUL")
        refused(c.post("/admin/rules", json={"yaml": "rules: []", "comment": "x\x00"}), 400, "NUL")
        refused(c.post("/admin/rules/validate", json={"yaml": "rules: []", "x": {"\x00": 1}}), 400, "NUL")
        for version in (2**31, 2**63):
            refused(c.post("/admin/rules/rollback", json={"version": version}), 404, "no rule version")
        refused(c.post("/admin/rules/rollback", json={"version": 2**64 + 1}), 400, "version")  # read as a float
        for text in (DEEP_FLOW, DEEP_BLOCK):
            r = c.post("/admin/rules/validate", json={"yaml": text})
            assert r.status_code == 200 and not r.json()["ok"] and "nested" in r.json()["errors"][0], r.text[:300]
            refused(c.post("/admin/rules", json={"yaml": text}), 400)
        assert c.get("/admin/rules").status_code == 200


def test_budgets_up_to_2_63(served: Any) -> None:
    url, _ = served
    with httpx.Client(base_url=url, headers=H, timeout=30) as c:
        for budget in (3_000_000_000, 2**63 - 1):
            r = c.post("/admin/keys", json={"name": "big", "budget_tokens": budget, "rpm": budget})
            assert r.status_code == 200, r.text
            assert r.json()["budget_tokens"] == budget
            key = r.json()["key"]
            assert chat(url, key).status_code == 200  # a request reserves and is charged against it
        refused(c.post("/admin/keys", json={"name": "x", "budget_tokens": 2**63}), 400, "budget_tokens")
        refused(c.post("/admin/keys", json={"name": "x", "rpm": 2**64}), 400, "rpm")
        listed = {k["budget_tokens"] for k in c.get("/admin/keys").json()["data"]}
        assert {3_000_000_000, 2**63 - 1} <= listed


def test_feedback_oddities(served: Any) -> None:
    url, _ = served
    ok = chat(url)
    rid = ok.headers["x-switchpoint-request-id"]
    r = httpx.post(url + "/v1/feedback", json={"request_id": rid, "score": 1, "label": "a\x00b"})
    refused(r, 400, "label")
    r = httpx.post(url + "/v1/feedback", json={"request_id": "req_\x00", "score": 1})
    refused(r, 400, "request_id")
    r = httpx.post(url + "/v1/feedback", json={"request_id": rid, "score": 1, "label": "fine"})
    assert r.status_code == 200, r.text


@pytest.mark.postgres
@pytest.mark.skipif(not reachable(5432), reason="needs Postgres on 127.0.0.1:5432")
def test_an_old_api_keys_table_is_widened_to_bigint(tmp_path: Path, classifier: Any, upstream: Any) -> None:
    with database_url("postgres", tmp_path) as database:
        plain = database.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as conn:  # the table as earlier versions created it
            conn.execute(
                "CREATE TABLE api_keys (id VARCHAR(40) PRIMARY KEY, name VARCHAR(100) NOT NULL, "
                "key_hash VARCHAR(64) NOT NULL UNIQUE, display VARCHAR(20) NOT NULL, created_at FLOAT NOT NULL, "
                "expires_at FLOAT, budget_tokens INTEGER, rpm INTEGER)"
            )
        with replicas(tmp_path, database, classifier, (ADMIN,), **one_backend(upstream[1])) as [(url, _)]:
            r = httpx.post(url + "/admin/keys", json={"name": "big", "budget_tokens": 3_000_000_000}, headers=H)
            assert r.status_code == 200, r.text


@pytest.mark.parametrize("text", [DEEP_FLOW, DEEP_BLOCK], ids=["flow", "block"])
def test_deeply_nested_config_is_a_config_error(tmp_path: Path, text: str, capsys: Any) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="nested more than"):
        load_settings(path, home=tmp_path)
    assert cli_main(["config", "check", str(path)]) == 2
    assert "nested more than" in capsys.readouterr().err
