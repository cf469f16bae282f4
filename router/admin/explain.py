"""`POST /admin/route/explain`: which category, rule and backend chain a request would get, and why.

The body is a request in any dialect, plus optional fields: "dialect" ("openai" by default,
"anthropic", "responses", "completions"), "headers" (as the client would send them) and "key_id"."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Body

from backends.errors import InvalidRequest, SwitchpointError

from ..dialects import get_dialect
from . import AdminContext, json_response


def router(ctx: AdminContext) -> APIRouter:
    api = APIRouter(tags=["routing"])

    @api.post("/route/explain")
    async def explain(body: Annotated[dict[str, Any], Body(description="a request in any dialect")]) -> Any:
        body = dict(body)
        name = body.pop("dialect", "openai")
        headers = body.pop("headers", None) or {}
        key_id = body.pop("key_id", None)
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise InvalidRequest("headers: an object of strings", param="headers")
        try:
            dialect = get_dialect(str(name))
        except KeyError:
            raise InvalidRequest(f"unknown dialect '{name}'", param="dialect") from None
        req = dialect.parse_request(body)
        headers = {k.lower(): v for k, v in headers.items()}
        gateway = ctx.state.gateway
        cls = gateway.classifier.classify(req, headers)
        is_dc = dataclasses.is_dataclass(cls) and not isinstance(cls, type)
        signals = dataclasses.asdict(cls) if is_dc else dict(vars(cls))
        out: dict[str, Any] = {"category": cls.category, "signals": signals}
        routing = gateway.routing
        await routing.versions.maybe_reload()
        await routing.cooldowns.refresh()
        try:
            d = routing.decider.explain(req, cls, headers, key_id)
        except SwitchpointError as exc:
            return json_response(
                {**out, "rule": f"error:{exc.code}", "chain": [], "reason": exc.message, "skipped": {}}
            )
        return json_response({**out, "rule": d.rule, "chain": d.chain, "reason": d.reason, "skipped": d.skipped})

    return api
