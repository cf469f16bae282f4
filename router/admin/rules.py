"""Admin API for routing rules: the current version, validation, dry runs on logged traffic, new
versions, history and rollback. Every change is a numbered version in the database; replicas pick it
up within a second or two."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from backends.errors import InvalidRequest, NotFound, SwitchpointError
from policies.plan import plan
from policies.routing import Needs
from policies.rules import Facts, RuleSet, is_background

from .. import store_rules
from ..routing_service import RoutingService
from ..store_quality import recent_requests
from . import AdminContext, json_body, json_response

Route = tuple[str, Any, list[str]]


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def _str_field(body: Any, name: str, required: bool = True) -> str:
    value = body.get(name) if isinstance(body, dict) else None
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidRequest(f"{name}: a string is required", param=name)
    return value


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


def routes(ctx: AdminContext) -> list[Route]:
    def routing() -> RoutingService:
        service: RoutingService = ctx.state.gateway.routing
        return service

    async def current(request: Request) -> Any:
        r = routing().versions
        await r.maybe_reload()
        meta = r.version_meta
        return {
            "version": r.version,
            "yaml": r.yaml_text,
            "created_by": meta["created_by"],
            "created_at": iso(meta["created_at"]),
            "comment": meta["comment"],
        }

    async def validate(request: Request) -> Any:
        _, errors = routing().versions.validate(_str_field(await json_body(request), "yaml"))
        return {"ok": not errors, "errors": errors}

    async def dry(request: Request) -> Any:
        body = await json_body(request)
        rules, errors = routing().versions.validate(_str_field(body, "yaml"))
        if errors:
            return json_response({"ok": False, "errors": errors, "error": {"message": "invalid rules"}}, 400)
        limit = body.get("limit", 100)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000:
            raise InvalidRequest("limit: an integer from 1 to 10000", param="limit")
        rows = await asyncio.to_thread(recent_requests, ctx.state.engine, limit)
        return dry_run(routing(), rules, rows)

    async def create(request: Request) -> Any:
        body = await json_body(request)
        text, comment = _str_field(body, "yaml"), _str_field(body, "comment", required=False)
        _, errors = routing().versions.validate(text)
        if errors:
            return json_response({"ok": False, "errors": errors, "error": {"message": "invalid rules"}}, 400)
        return {"version": await routing().versions.publish(text, "admin", comment)}

    async def history(request: Request) -> Any:
        rows = await asyncio.to_thread(store_rules.history, ctx.state.engine)
        return {
            "versions": [
                {
                    "version": r.version,
                    "created_by": r.created_by,
                    "created_at": iso(r.created_at),
                    "comment": r.comment,
                    "diff": r.diff,
                }
                for r in rows
            ]
        }

    async def rollback(request: Request) -> Any:
        body = await json_body(request)
        version = body.get("version") if isinstance(body, dict) else None
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            raise InvalidRequest("version: a version number is required", param="version")
        r = routing().versions
        if version == 0:
            text = r.base_yaml
        else:
            row = None
            if version <= store_rules.MAX_VERSION:  # beyond the column's range no version can exist
                row = await asyncio.to_thread(store_rules.get, ctx.state.engine, version)
            if row is None:
                raise NotFound(f"no rule version {version}", code="version_not_found", param="version")
            text = row.yaml
        return {"version": await r.publish(text, "admin", f"rollback to v{version}")}

    return [
        ("/admin/rules", current, ["GET"]),
        ("/admin/rules", create, ["POST"]),
        ("/admin/rules/validate", validate, ["POST"]),
        ("/admin/rules/dry-run", dry, ["POST"]),
        ("/admin/rules/history", history, ["GET"]),
        ("/admin/rules/rollback", rollback, ["POST"]),
    ]
