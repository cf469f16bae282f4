"""Retraining jobs of the classifier, as rows any replica can read: the admin API starts one
(router/classify_job.py runs it in a process of its own), the job writes its stage and progress as it goes,
and whoever polls `GET /admin/classify/retrain/{id}` (the dashboard's Tuning page) reads them here.

A job is queued, running, done or failed; one whose heartbeat (`updated`) is older than `STALE_S` while
running is reported lost (its process died with its replica), and no longer keeps another from starting.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Field, Session, SQLModel, col, select

STALE_S = 120.0  # a running job that has not written for this long is lost
ACTIVE = ("queued", "running")


class ClassifyJob(SQLModel, table=True):
    __tablename__ = "classify_jobs"

    id: int | None = Field(default=None, primary_key=True)
    started: float
    updated: float  # the heartbeat: every stage and progress write
    finished: float | None = None
    state: str = Field(default="queued", max_length=10)  # queued | running | done | failed
    stage: str = Field(default="queued", max_length=80)
    progress: float = 0.0  # 0..1
    result: str | None = None  # JSON: what the retrain reports (version, corrections, F1 before/after)
    error: str | None = None


def public(job: ClassifyJob, now: float | None = None) -> dict[str, Any]:
    """The job as the admin API shows it; a running job gone quiet is `lost`."""
    now = time.time() if now is None else now
    state = job.state
    if state in ACTIVE and now - job.updated > STALE_S:
        state = "lost"
    end = job.finished or now
    return {
        "id": job.id,
        "state": state,
        "stage": job.stage,
        "progress": round(job.progress, 3),
        "started": job.started,
        "finished": job.finished,
        "elapsed_s": round(end - job.started, 1),
        "result": json.loads(job.result) if job.result else None,
        "error": job.error,
    }


def start_job(engine: Engine) -> tuple[ClassifyJob, bool]:
    """A new queued job, or the one already under way (and False): one retrain at a time."""
    now = time.time()
    with Session(engine) as s:
        under_way = s.exec(
            select(ClassifyJob).where(col(ClassifyJob.state).in_(ACTIVE)).order_by(col(ClassifyJob.id).desc())
        ).first()
        if under_way is not None and now - under_way.updated <= STALE_S:
            return under_way, False
        job = ClassifyJob(started=now, updated=now)
        s.add(job)
        s.commit()
        s.refresh(job)
        return job, True


def _change(engine: Engine, job_id: int, **fields: Any) -> None:
    with Session(engine) as s:
        job = s.get(ClassifyJob, job_id)
        if job is None:
            return
        for k, v in fields.items():
            setattr(job, k, v)
        job.updated = time.time()
        s.add(job)
        s.commit()


def report(engine: Engine, job_id: int, stage: str, progress: float) -> None:
    _change(engine, job_id, state="running", stage=stage[:80], progress=max(0.0, min(1.0, progress)))


def finish(engine: Engine, job_id: int, result: dict[str, Any]) -> None:
    _change(engine, job_id, state="done", stage="done", progress=1.0, finished=time.time(), result=json.dumps(result))


def fail(engine: Engine, job_id: int, error: str) -> None:
    """Mark the job failed, unless it already ended (its own process may have said how)."""
    job = get_job(engine, job_id)
    if job is not None and job.state in ACTIVE:
        _change(engine, job_id, state="failed", stage="failed", finished=time.time(), error=error[:2000])


def get_job(engine: Engine, job_id: int) -> ClassifyJob | None:
    with Session(engine) as s:
        return s.get(ClassifyJob, job_id)


def recent_jobs(engine: Engine, limit: int = 20) -> list[ClassifyJob]:
    with Session(engine) as s:
        return list(s.exec(select(ClassifyJob).order_by(col(ClassifyJob.id).desc()).limit(limit)).all())
