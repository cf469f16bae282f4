"""Tuning end to end (the gateway in process): logged requests and quality signals in the database ->
`switchpoint tune` and GET /admin/tuning propose the same change -> applying it makes a new rule version
that routes."""

from __future__ import annotations

import random
import time

import orjson
import yaml
from sqlalchemy import insert

from router.cli import main as cli_main
from router.store import RequestRecord
from router.store_quality import QualitySignal

ADMIN = "spa-test-admin-key-0123456789abcdef"
H = {"authorization": f"Bearer {ADMIN}"}


def seed(engine, rng: random.Random) -> None:
    """60 logged coding/easy requests on each backend: `two` is better and faster."""
    reqs, sigs = [], []
    for i in range(120):
        backend = "one" if i % 2 else "two"
        quality, latency = (0.6, 8000.0) if backend == "one" else (0.9, 1000.0)
        rid = f"req_tune{i:04d}"
        reqs.append(
            {
                "id": rid,
                "ts": time.time() - 1000 + i,
                "dialect": "openai",
                "status": "ok",
                "category": "coding",
                "signals": orjson.dumps({"category": "coding", "difficulty": "easy", "prompt_tokens": 10}).decode(),
                "chain": orjson.dumps([backend]).decode(),
                "backend": backend,
                "probability": 0.5,
                "latency_ms": latency * rng.lognormvariate(0, 0.2),
                "cost_usd": 0.0,
            }
        )
        sigs.append(
            {
                "request_id": rid,
                "ts": time.time(),
                "kind": "judge",
                "score": min(1.0, max(0.0, rng.gauss(quality, 0.1))),
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(RequestRecord), reqs)
        conn.execute(insert(QualitySignal), sigs)


def test_tune_cli_and_admin_api_apply_a_proposal(gateway_app, upstream, upstream2, tmp_path, capsys):
    _, up1 = upstream
    _, up2 = upstream2
    cfg = {
        "admin_key": ADMIN,
        "backends": [
            {"name": "one", "kind": "openai", "base_url": up1, "model": "m-one"},
            {"name": "two", "kind": "openai", "base_url": up2, "model": "m-two"},
        ],
        "routes": {"default": ["one", "two"]},
        "routing": {"min_quality": 0.5, "max_p95_latency_ms": 60000},
    }
    path = tmp_path / "switchpoint.yaml"
    path.write_text(yaml.safe_dump({**cfg, "home": str(tmp_path)}))
    with gateway_app(cfg) as (client, app):
        seed(app.state.engine, random.Random(0))
        assert client.post("/admin/tuning/apply", json={"id": "nope"}, headers=H).status_code == 404
        proposals = client.get("/admin/tuning", headers=H).json()["proposals"]
        assert len(proposals) == 1
        [p] = proposals
        assert set(p) >= {"id", "description", "predicted", "confidence", "yaml"}
        assert set(p["predicted"]) == {"utility", "quality", "p95_latency_ms", "cost_usd"}
        assert p["confidence"] > 0.95 and 0.85 < p["predicted"]["quality"] < 0.95
        assert p["predicted"]["p95_latency_ms"] < 3000
        assert p["changes"] == [
            {**p["changes"][0], "category": "coding", "difficulty": "easy", "from": "one", "to": "two"}
        ]
        assert p["ips"]["value"] > p["ips"]["current"]

        assert cli_main(["tune", "--config", str(path), "--json"]) == 0
        printed = orjson.loads(capsys.readouterr().out)
        assert [q["id"] for q in printed["proposals"]] == [p["id"]]
        assert cli_main(["tune", "--config", str(path)]) == 0
        out = capsys.readouterr().out
        assert p["id"] in out and "coding/easy: one -> two" in out and "confidence" in out

        r = client.post("/admin/tuning/apply", json={"id": p["id"]}, headers=H)
        assert r.json() == {"version": 1}
        cur = client.get("/admin/rules", headers=H).json()
        assert cur["yaml"] == p["yaml"] and cur["comment"].startswith("tune:")
        dry = client.post("/admin/rules/dry-run", json={"yaml": p["yaml"], "limit": 5}, headers=H).json()
        assert dry["total"] == 5 and dry["changed"] == 0
        assert all(r["current"] == {"rule": "rule:tuned-coding-easy", "chain": ["two", "one"]} for r in dry["results"])
        # applied: the logs no longer show anything to change
        assert client.get("/admin/tuning", headers=H).json()["proposals"] == []
