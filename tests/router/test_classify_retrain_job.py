"""Retraining from the admin API as a background job: `POST /admin/classify/retrain` answers at once with a
job that a process of its own runs, `GET /admin/classify/retrain/{id}` shows its stage and progress, the
replica switches when it ends, and `/admin/classify/versions` and `/admin/classify/rollback` list and roll
back the versions, all through a real gateway on loopback with a SQLite file."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx
import pytest

from backends.errors import InvalidRequest
from router.app import create_app
from router.classify_job import RetrainJobs
from router.settings import load_settings
from router.store import create_tables, make_engine
from router.store_classify_jobs import STALE_S, get_job, public, report, start_job
from router.store_corrections import add_correction
from tests.fakes.servers import ServerThread
from tests.router.test_admin_rules import two_backends, wait_for
from tests.router.test_classify_corrections import LEDGERS, ask

ADMIN = "spa-test-admin-key-0123456789abcdef"
H = {"authorization": f"Bearer {ADMIN}"}


def chat(url: str, text: str) -> httpx.Response:
    body = {"model": "auto", "messages": [{"role": "user", "content": text}]}
    return httpx.post(url + "/v1/chat/completions", json=body, timeout=30)


def routed(url: str, bird: str) -> str:
    """The backend an ask in the operator's jargon goes to (a new bird each time: a new conversation, no pin)."""
    return chat(url, f"Frobulate the {bird} ledger for the quarter.").headers["x-switchpoint-backend"]


def poll(url: str, job_id: int, seen: list[dict]) -> dict:
    """The job's reports until it ends (or three minutes pass), each one kept in `seen`."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        job = httpx.get(f"{url}/admin/classify/retrain/{job_id}", headers=H).json()["job"]
        seen.append(job)
        if job["state"] in ("done", "failed", "lost"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {seen[-1]} after three minutes")


def test_retrain_runs_as_a_job_the_api_reports_on_and_the_replica_switches(tmp_path: Path, upstream, upstream2) -> None:
    _s1, up1 = upstream
    _s2, up2 = upstream2
    config = two_backends(
        up1,
        up2,
        database_url=f"sqlite:///{tmp_path / 'sp.db'}",
        rules=[{"name": "code-two", "match": {"category": "coding"}, "chain": ["two"]}],
    )
    app = create_app(load_settings(None, home=tmp_path, **config))  # the gateway's own, versioned classifier
    with ServerThread(app) as server:
        url = server.url
        refused = httpx.post(url + "/admin/classify/retrain", headers=H, json={})
        assert refused.status_code == 400 and "no corrections" in refused.text
        for w in LEDGERS:
            r = httpx.post(
                url + "/admin/classify/corrections", headers=H, json={"category": "coding", "request": ask(w)}
            )
            assert r.status_code == 200, r.text
        assert routed(url, "ostrich") == "one"

        started = time.monotonic()
        r = httpx.post(url + "/admin/classify/retrain", headers=H, json={"epochs": 4})
        assert r.status_code == 202, r.text
        assert time.monotonic() - started < 5  # the answer does not wait for the training
        job = r.json()["job"]
        assert r.json()["started"] is True and job["state"] in ("queued", "running")
        again = httpx.post(url + "/admin/classify/retrain", headers=H, json={}).json()
        assert again["started"] is False and again["job"]["id"] == job["id"]  # one at a time

        seen: list[dict] = []
        done = poll(url, job["id"], seen)
        assert done["state"] == "done", done
        assert done["result"]["version"] == 1 and done["result"]["corrections"] == len(LEDGERS)
        assert done["result"]["f1_before"] == 0.0 and done["result"]["f1_after"] == 1.0
        running = [j for j in seen if j["state"] == "running"]
        assert running and len({j["stage"] for j in running}) >= 2  # stages reported while it ran
        shares = [j["progress"] for j in seen]
        assert shares == sorted(shares) and shares[-1] == 1.0
        assert [j["id"] for j in httpx.get(url + "/admin/classify/retrain", headers=H).json()["jobs"]] == [job["id"]]

        # The replica that started it switched when the job ended, with no poll.
        tries = iter(range(1000))
        assert wait_for(lambda: routed(url, f"pelican{next(tries)}") == "two")
        assert chat(url, "Write a haiku about autumn.").headers["x-switchpoint-backend"] == "one"

        listed = httpx.get(url + "/admin/classify/versions", headers=H).json()
        assert listed["active"] == 1 and [v["version"] for v in listed["versions"]] == [1]
        back = httpx.post(url + "/admin/classify/rollback", headers=H, json={})
        assert back.status_code == 200 and back.json() == {"active": None}  # before v1: the shipped weights
        assert routed(url, "heron") == "one"
        forward = httpx.post(url + "/admin/classify/rollback", headers=H, json={"version": 1})
        assert forward.json() == {"active": 1}
        assert routed(url, "puffin") == "two"
        assert httpx.post(url + "/admin/classify/rollback", headers=H, json={"version": 9}).status_code == 400
        assert httpx.post(url + "/admin/classify/rollback", json={"version": "shipped"}).status_code == 401
        assert httpx.get(url + "/admin/classify/retrain/999", headers=H).status_code == 404


def test_a_job_whose_process_dies_is_failed_with_its_stderr(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'sp.db'}"
    engine = make_engine(db)
    create_tables(engine)
    add_correction(engine, "coding", "openai", ask("zanzibar"))
    ended: list[bool] = []
    # A "python" that fails at once, saying why on stderr, the way a crashed interpreter would.
    crash = tmp_path / "crash.sh"
    crash.write_text("#!/bin/sh\necho 'Fatal Python error: out of luck' >&2\nexit 70\n")
    crash.chmod(0o755)
    jobs = RetrainJobs(engine, db, tmp_path, on_done=lambda: ended.append(True), python=str(crash))
    job, started = jobs.start()
    assert started and wait_for(lambda: ended)
    failed = public(get_job(engine, job["id"]))
    assert failed["state"] == "failed" and "exited with 70" in failed["error"] and "out of luck" in failed["error"]
    _, again = jobs.start()  # a failed job keeps no other from starting
    assert again


def test_a_running_job_gone_quiet_is_lost_and_lets_another_start(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sp.db'}")
    create_tables(engine)
    job, created = start_job(engine)
    assert created and job.id is not None
    report(engine, job.id, "training", 0.4)
    row = get_job(engine, job.id)
    assert public(row)["state"] == "running"
    assert public(row, now=row.updated + STALE_S + 1)["state"] == "lost"
    assert start_job(engine)[1] is False  # still fresh: the same job
    row.updated -= STALE_S + 1
    from sqlmodel import Session

    with Session(engine) as s:
        s.add(row)
        s.commit()
    assert start_job(engine)[1] is True


def test_an_in_memory_database_is_refused_for_a_job(tmp_path: Path) -> None:
    engine = make_engine("sqlite://")
    create_tables(engine)
    jobs = RetrainJobs(engine, "sqlite://", tmp_path, python=sys.executable)
    with pytest.raises(InvalidRequest, match="database file or server"):
        jobs.start()
