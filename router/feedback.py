"""`POST /v1/feedback`: a client's (or the dashboard's thumbs') verdict on one answer.

    {"request_id": "req_...", "score": 1, "label": "fixed the bug"}

`score` is 0..1: 0 bad (thumbs down), 1 good (thumbs up), anything between for graded feedback. The
caller needs the same key as the /v1 API; with virtual keys on, only the key that made the request may
rate it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from backends.errors import InvalidRequest, NotFound, SwitchpointError

from .http_errors import request_error_response
from .store_quality import request_exists, signal_row, write_signals


def parse_feedback(data: Any) -> tuple[str, float, str | None]:
    if not isinstance(data, dict):
        raise InvalidRequest("the body must be a JSON object")
    rid = data.get("request_id")
    if not isinstance(rid, str) or not rid or len(rid) > 40 or "\x00" in rid:
        raise InvalidRequest(
            "request_id: a request id (the x-switchpoint-request-id header) is required", param="request_id"
        )
    score = data.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0.0 <= score <= 1.0:
        raise InvalidRequest("score: a number from 0 (bad) to 1 (good) is required", param="score")
    label = data.get("label")
    if label is not None and (not isinstance(label, str) or len(label) > 200 or "\x00" in label):
        raise InvalidRequest("label: a string of at most 200 characters, without NUL", param="label")
    return rid, float(score), label


def feedback_endpoint(gateway: Any) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            key_id = await gateway.access.authenticate(request.headers)  # feedback reserves and costs nothing
            try:
                data = orjson.loads(await request.body())
            except orjson.JSONDecodeError:
                raise InvalidRequest("request body is not valid JSON") from None
            rid, score, label = parse_feedback(data)
            engine = gateway.log.engine
            found, owner = await asyncio.to_thread(request_exists, engine, rid)
            if not found:  # it may still wait in the log's buffer
                await gateway.log.flush()
                found, owner = await asyncio.to_thread(request_exists, engine, rid)
            if not found or (key_id is not None and owner != key_id):
                raise NotFound(f"no request '{rid}'", code="request_not_found", param="request_id")
            row = signal_row(rid, "feedback", score, label, key_id or "anonymous")
            await asyncio.to_thread(write_signals, engine, [row])
        except SwitchpointError as exc:
            return request_error_response(request, exc)
        body = {"ok": True, "request_id": rid, "score": score, "label": label}
        return Response(orjson.dumps(body), media_type="application/json")

    return endpoint
