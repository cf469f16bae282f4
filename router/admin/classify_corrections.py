"""`POST /admin/classify/corrections`: the operator says what category a request really is;
`GET /admin/classify/corrections`: those said so far.

The body: {"category": ..., "request": {... the request, "dialect" beside it when not OpenAI chat ...},
"request_id": the request log's id, "headers": optional}. The request log keeps no prompts: the request comes
with the correction, or, when the operator stores bodies (`log_bodies`), the request_id alone finds it.
`POST /admin/classify/retrain` (the Tuning page's button, a background job: router/admin/classify_retrain.py) or
`switchpoint classify train --from-log` learns from the corrections."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request

from backends.errors import InvalidRequest, SwitchpointError

from ..dialects import get_dialect
from ..store_corrections import add_correction, corrections, stored_request
from . import AdminContext, json_body


def _parse(body: Any, engine: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    req = body.get("request")
    rid = body.get("request_id")
    if req is None and isinstance(rid, str):  # the request as the body log stored it, when bodies are kept
        found = stored_request(engine, rid)
        if found is None:
            raise InvalidRequest(
                f"request: no stored body for request {rid} (set log_bodies, or send the request)", param="request"
            )
        req = {**found[1], "dialect": found[0]}
    if not isinstance(req, dict):
        raise InvalidRequest("request: the request being corrected, as a JSON object", param="request")
    req = dict(req)
    dialect = req.pop("dialect", "openai")
    try:
        get_dialect(str(dialect)).parse_request(dict(req))
    except SwitchpointError as exc:
        raise InvalidRequest(f"request: {exc}", param="request") from None
    headers = body.get("headers")
    if headers is not None and not (isinstance(headers, dict) and all(isinstance(v, str) for v in headers.values())):
        raise InvalidRequest("headers: an object of strings", param="headers")
    if rid is not None and not isinstance(rid, str):
        raise InvalidRequest("request_id: a string", param="request_id")
    return {
        "category": body.get("category"),
        "dialect": str(dialect),
        "body": req,
        "request_id": rid,
        "headers": {k.lower(): v for k, v in headers.items()} if headers else None,
        "previous": body.get("previous") if isinstance(body.get("previous"), str) else None,
    }


def routes(ctx: AdminContext) -> list[tuple[str, Any, list[str]]]:
    def engine() -> Any:
        eng = getattr(ctx.state, "engine", None)
        if eng is None:
            raise InvalidRequest("corrections need a database")
        return eng

    async def create(request: Request) -> Any:
        eng = engine()
        fields = await asyncio.to_thread(_parse, await json_body(request), eng)
        number = await asyncio.to_thread(add_correction, eng, **fields)
        return {"id": number, "category": fields["category"], "request_id": fields["request_id"]}

    async def listing(request: Request) -> Any:
        rows = await asyncio.to_thread(corrections, engine())
        return {"corrections": [{"id": r.id, "category": r.category, "dialect": r.dialect} for r in rows]}

    return [
        ("/admin/classify/corrections", create, ["POST"]),
        ("/admin/classify/corrections", listing, ["GET"]),
    ]
