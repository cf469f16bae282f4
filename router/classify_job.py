"""Retraining the classifier as a background job: the admin API starts it, a process of its own runs it, and
the job's row (router/store_classify_jobs.py) says how far it got.

The retrain (router/classify_retrain.py) is pure Python and keeps a core busy for 15-40 s; inside the
gateway's process it would hold the interpreter lock and slow every request the replica serves, so it runs in
a child process, `python -m router.classify_job --job N`, which writes its stage and share done to the job's
row as it goes and its result (or its error) at the end. The parent keeps a thread that waits for the child:
a child that dies without saying how leaves its job failed with the end of its stderr, and when it ends the
replica's own classifier is refreshed at once (the others within their poll).
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from backends.errors import InvalidRequest, SwitchpointError

from .store_classify_jobs import fail, finish, public, report, start_job
from .store_corrections import corrections

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]
# What the child needs, in its environment rather than its argv (a database URL may carry a password).
ENV_DATABASE = "SWITCHPOINT_JOB_DATABASE_URL"
ENV_HOME = "SWITCHPOINT_JOB_HOME"
REPORT_EVERY_S = 0.5  # the child writes progress at most this often (and at every new stage)
STDERR_TAIL = 1500  # characters of a dead child's stderr kept as the job's error


def run(engine: Engine, home: Path, job_id: int, epochs: int | None = None) -> int:
    """The child's work: retrain, reporting progress on the job's row; its exit status says how it ended."""
    from .classify_retrain import retrain
    from .classify_train import TrainConfig

    last_at = [0.0]
    last_stage = [""]

    def progress(stage: str, share: float) -> None:
        now = time.monotonic()
        if stage != last_stage[0] or now - last_at[0] >= REPORT_EVERY_S:
            last_at[0], last_stage[0] = now, stage
            report(engine, job_id, stage, share)

    report(engine, job_id, "starting", 0.0)
    try:
        result = retrain(engine, home, cfg=TrainConfig(epochs=epochs) if epochs else None, progress=progress)
    except SwitchpointError as exc:
        fail(engine, job_id, exc.message)
        return 2
    finish(engine, job_id, result)
    return 0


def main(argv: list[str] | None = None) -> int:
    from .store import make_engine

    ap = argparse.ArgumentParser(prog="python -m router.classify_job", description=__doc__.splitlines()[0])
    ap.add_argument("--job", type=int, required=True, help="the job's id (classify_jobs)")
    ap.add_argument("--epochs", type=int, help="training epochs (default: TrainConfig's)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    engine = make_engine(os.environ[ENV_DATABASE])
    try:
        return run(engine, Path(os.environ[ENV_HOME]), args.job, args.epochs)
    finally:
        engine.dispose()


class RetrainJobs:
    """The parent's side: start a retrain (one at a time across replicas: the database says whether one is
    under way) in a child process, and watch it."""

    def __init__(
        self,
        engine: Engine,
        database_url: str,
        home: Path,
        on_done: Callable[[], None] | None = None,
        python: str = sys.executable,
    ) -> None:
        self.engine = engine
        self.database_url = database_url
        self.home = home
        self.on_done = on_done
        self.python = python

    def start(self, epochs: int | None = None) -> tuple[dict[str, Any], bool]:
        """The job started, or the one already under way (and False). Blocking: call it in a thread."""
        if self.database_url in ("sqlite://", "sqlite:///") or ":memory:" in self.database_url:
            raise InvalidRequest("retraining runs in a process of its own: it needs a database file or server")
        if not corrections(self.engine, limit=1):
            raise InvalidRequest("no corrections in the log yet")
        job, created = start_job(self.engine)
        if created:
            assert job.id is not None
            self._spawn(job.id, epochs)
        return public(job), created

    def _spawn(self, job_id: int, epochs: int | None) -> None:
        path = os.environ.get("PYTHONPATH")
        env = {
            **os.environ,
            ENV_DATABASE: self.database_url,
            ENV_HOME: str(self.home),
            "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else ""),  # this tree's code, whatever is installed
        }
        cmd = [self.python, "-m", "router.classify_job", "--job", str(job_id)]
        if epochs:
            cmd += ["--epochs", str(epochs)]
        try:
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        except OSError as exc:
            fail(self.engine, job_id, f"the retrain process did not start: {exc}")
            raise SwitchpointError(f"the retrain process did not start: {exc}") from exc
        log.info("classifier retrain: job %d in process %d", job_id, proc.pid)
        threading.Thread(target=self._watch, args=(proc, job_id), name=f"retrain-{job_id}", daemon=True).start()

    def _watch(self, proc: subprocess.Popen[str], job_id: int) -> None:
        _, err = proc.communicate()
        if proc.returncode not in (0, 2):  # 2: it recorded why itself
            fail(self.engine, job_id, f"the retrain process exited with {proc.returncode}: {err[-STDERR_TAIL:]}")
        log.info("classifier retrain: job %d ended (exit %d)", job_id, proc.returncode)
        if self.on_done is not None:
            self.on_done()


if __name__ == "__main__":
    raise SystemExit(main())
