"""Admin API for routing rules: the current version, validation, dry runs on logged traffic, new
versions, history and rollback. Every change is a numbered version in the database; replicas pick it
up within a second or two."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, StrictInt, StrictStr
from starlette.responses import Response

from backends.errors import NotFound, SwitchpointError
from policies.plan import plan
from policies.routing import Needs
from policies.rules import Facts, RuleSet, is_background

from .. import store_rules
from ..routing_service import RoutingService
from ..store_quality import recent_requests
from . import AdminContext, json_response


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def facts_from_row(row: dict[str, Any]) -> tuple[Facts, Needs]:
    """What a logged request tells the rules (headers and metadata are not logged)."""
    sig = row["signals"] or {}
    facts = Facts(
        category=row["category"] or sig.get("category", "prose"),
        difficulty=sig.get("difficulty", "medium"),
        client=row["client"],
        model=row["model_requested"] or "auto",
        prompt_tokens=int(sig.get("prompt_tokens", 0)),
        images=bool(sig.get("has_images")),
        tools=int(sig.get("n_tools", 0)) > 0,
        background=is_background(row["model_requested"] or "", ""),
        key_id=row["key_id"],
    )
    needs = Needs(vision=facts.images, tools=facts.tools, prompt_tokens=facts.prompt_tokens)
    return facts, needs


def route_row(routing: RoutingService, rules: RuleSet, row: dict[str, Any]) -> dict[str, Any]:
    facts, needs = facts_from_row(row)
    try:
        decision, _ = plan(facts, needs, routing.table, rules, {})
    except SwitchpointError as exc:
        return {"rule": f"error:{exc.code}", "chain": [], "reason": exc.message}
    return {"rule": decision.rule, "chain": decision.chain}


def dry_run(routing: RoutingService, rules: RuleSet, rows: list[dict[str, Any]]) -> dict[str, Any]:
    results = []
    for row in rows:
        if not row["category"]:
            continue  # failed before it was classified
        current = route_row(routing, routing.versions.rules, row)
        proposed = route_row(routing, rules, row)
        changed = (current["rule"], current["chain"]) != (proposed["rule"], proposed["chain"])
        results.append(
            {
                "request_id": row["id"],
                "category": row["category"],
                "current": current,
                "proposed": proposed,
                "changed": changed,
            }
        )
    return {"total": len(results), "changed": sum(r["changed"] for r in results), "results": results}


class RulesText(BaseModel):
    yaml: StrictStr


class NewRules(RulesText):
    comment: StrictStr | None = None


class DryRun(RulesText):
    limit: StrictInt = Field(default=100, ge=1, le=10_000)


class Rollback(BaseModel):
    # past 64 bits the JSON parser (orjson, as in no_nul) reads a float: refused, not "no such version"
    version: StrictInt = Field(ge=0, le=2**64 - 1, description="0 is the rules file the gateway started with")


class Version(BaseModel):
    version: int


class Validation(BaseModel):
    ok: bool
    errors: list[Any]


def invalid_rules(errors: list[Any]) -> Response:
    return json_response({"ok": False, "errors": errors, "error": {"message": "invalid rules"}}, 400)


def router(ctx: AdminContext) -> APIRouter:
    api = APIRouter(prefix="/rules", tags=["rules"])
    _reads(api, ctx)
    _changes(api, ctx)
    return api


def _routing(ctx: AdminContext) -> RoutingService:
    service: RoutingService = ctx.state.gateway.routing
    return service


def _reads(api: APIRouter, ctx: AdminContext) -> None:
    """The routes that change nothing: the current rules, validation, dry runs, history."""

    def routing() -> RoutingService:
        return _routing(ctx)

    @api.get("")
    async def current() -> Any:
        r = routing().versions
        await r.maybe_reload()
        meta = r.version_meta
        return json_response(
            {
                "version": r.version,
                "yaml": r.yaml_text,
                "created_by": meta["created_by"],
                "created_at": iso(meta["created_at"]),
                "comment": meta["comment"],
            }
        )

    @api.post("/validate", response_model=Validation)
    async def validate(body: RulesText) -> Any:
        _, errors = routing().versions.validate(body.yaml)
        return json_response({"ok": not errors, "errors": errors})

    @api.post("/dry-run")
    async def dry(body: DryRun) -> Any:
        rules, errors = routing().versions.validate(body.yaml)
        if errors:
            return invalid_rules(errors)
        rows = await asyncio.to_thread(recent_requests, ctx.state.engine, body.limit)
        return json_response(dry_run(routing(), rules, rows))

    @api.get("/history")
    async def history() -> Any:
        rows = await asyncio.to_thread(store_rules.history, ctx.state.engine)
        versions = [
            {
                "version": r.version,
                "created_by": r.created_by,
                "created_at": iso(r.created_at),
                "comment": r.comment,
                "diff": r.diff,
            }
            for r in rows
        ]
        return json_response({"versions": versions})


def _changes(api: APIRouter, ctx: AdminContext) -> None:
    """The routes that publish a new rule version."""

    def routing() -> RoutingService:
        return _routing(ctx)

    @api.post("", response_model=Version)
    async def create(body: NewRules) -> Any:
        _, errors = routing().versions.validate(body.yaml)
        if errors:
            return invalid_rules(errors)
        return json_response({"version": await routing().versions.publish(body.yaml, "admin", body.comment or "")})

    @api.post("/rollback", response_model=Version)
    async def rollback(body: Rollback) -> Any:
        version, r = body.version, routing().versions
        if version == 0:
            text = r.base_yaml
        else:
            row = None
            if version <= store_rules.MAX_VERSION:  # beyond the column's range no version can exist
                row = await asyncio.to_thread(store_rules.get, ctx.state.engine, version)
            if row is None:
                raise NotFound(f"no rule version {version}", code="version_not_found", param="version")
            text = row.yaml
        return json_response({"version": await r.publish(text, "admin", f"rollback to v{version}")})
