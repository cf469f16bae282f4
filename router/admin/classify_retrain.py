"""Admin API for the classifier's versions: retraining on the operator's corrections as a background job,
the versions it installed, and rollback.

    POST /admin/classify/retrain           start a retrain (202 and the job; the one under way if there is one);
                                           {"epochs": N} optional
    GET  /admin/classify/retrain           the latest jobs, newest first
    GET  /admin/classify/retrain/{id}      one job: state, stage, progress (0..1), result or error
    GET  /admin/classify/versions          the retrained versions and which one is active
    POST /admin/classify/rollback          {"version": N | "shipped"}; none named: the one before the active

A retrain runs in a process of its own (router/classify_job.py) and takes 15-40 s; the dashboard's Tuning page
polls the job. When it ends (and before a replica reports it done), or on a rollback, the replica that served
the call switches at once and the others within their poll (router/classify_versions.py)."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, StrictInt
from starlette.responses import Response

from backends.errors import InvalidRequest, NotFound

from ..classify_job import RetrainJobs
from ..classify_retrain import rollback_target
from ..store_classify_jobs import get_job, public, recent_jobs
from ..store_corrections import activate, versions
from . import AdminContext, json_response


class Retrain(BaseModel):
    epochs: StrictInt | None = Field(default=None, ge=1, le=50, description="training epochs (default 10)")


class Rollback(BaseModel):
    version: StrictInt | Literal["shipped"] | None = Field(
        default=None,
        description="the version to make active, or 'shipped' for the shipped weights; "
        "left out: the version before the active one",
    )


def router(ctx: AdminContext) -> APIRouter:
    api = APIRouter(prefix="/classify", tags=["classify"])
    runner: list[RetrainJobs] = []  # built on first use: the app's state is filled after the routes

    def engine() -> Any:
        eng = getattr(ctx.state, "engine", None)
        if eng is None:
            raise InvalidRequest("the classifier's versions need a database")
        return eng

    def refresh() -> None:
        """This replica's classifier looks at the active version now, not at its next poll."""
        versions_of = getattr(getattr(ctx.state.gateway, "classifier", None), "versions", None)
        if versions_of is not None:
            versions_of.refresh()

    def jobs() -> RetrainJobs:
        if not runner:
            settings = ctx.state.settings
            runner.append(RetrainJobs(engine(), settings.effective_database_url, settings.home, on_done=refresh))
        return runner[0]

    @api.post("/retrain", status_code=202, summary="start retraining on the corrections (a background job)")
    async def retrain(body: Retrain | None = None) -> Response:
        job, started = await asyncio.to_thread(jobs().start, body.epochs if body else None)
        return json_response({"job": job, "started": started}, status=202)

    @api.get("/retrain", summary="the latest retrain jobs")
    async def job_list() -> Response:
        rows = await asyncio.to_thread(recent_jobs, engine())
        return json_response({"jobs": [public(j) for j in rows]})

    @api.get("/retrain/{job_id}", summary="one retrain job: state, stage, progress, result")
    async def job(job_id: int) -> Response:
        found = await asyncio.to_thread(get_job, engine(), job_id)
        if found is None:
            raise NotFound(f"no retrain job {job_id}", code="job_not_found", param="job_id")
        if found.state == "done":  # the replica that says "done" classifies with the new version from now on
            await asyncio.to_thread(refresh)
        return json_response({"job": public(found)})

    @api.get("/versions", summary="the retrained classifiers and the active one")
    async def version_list() -> Response:
        rows = await asyncio.to_thread(versions, engine())
        active = next((v.version for v in rows if v.active), None)
        return json_response({"versions": [v.model_dump() for v in rows], "active": active})

    @api.post("/rollback", summary="make another version (or the shipped weights) active")
    async def rollback(body: Rollback | None = None) -> Response:
        eng = engine()
        rows = await asyncio.to_thread(versions, eng)
        target = rollback_target(rows, body.version if body else None)
        await asyncio.to_thread(activate, eng, target)
        await asyncio.to_thread(refresh)
        return json_response({"active": target})

    return api
