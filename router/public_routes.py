"""The public routes: the four dialects' endpoints (the hot path), token counting, feedback, the model
list, the OpenAPI document, health, metrics and the root."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .access import protect
from .dialects import Dialect, get_dialect
from .feedback import feedback_endpoint
from .http_errors import request_error_response
from .openapi import openapi_schema
from .parts import Parts

DIALECT_ROUTES = {
    "/v1/chat/completions": "openai",
    "/v1/messages": "anthropic",  # Claude Code adds ?beta=true; the query string does not change routing
    "/v1/responses": "responses",
    "/v1/completions": "completions",
}


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def model_list(ids: list[str]) -> dict[str, Any]:
    """`GET /v1/models` in a shape both OpenAI and Anthropic clients read."""
    return {
        "object": "list",
        "data": [
            {
                "id": i,
                "object": "model",
                "type": "model",
                "display_name": i,
                "created": 0,
                "created_at": "1970-01-01T00:00:00Z",
                "owned_by": "switchpoint",
            }
            for i in dict.fromkeys(ids)
        ],
        "has_more": False,
        "first_id": ids[0],
        "last_id": ids[-1],
    }


def public_routes(parts: Parts) -> list[Route]:
    gateway, request_log, metrics = parts.gateway, parts.request_log, parts.metrics

    def dialect_endpoint(dialect: Dialect) -> Any:
        async def endpoint(request: Request) -> Response:
            return await gateway.handle(dialect, request)

        return endpoint

    anthropic = get_dialect("anthropic")

    async def count_tokens(request: Request) -> Response:
        return await gateway.count_tokens(anthropic, request)

    async def models(request: Request) -> Response:
        return _json(model_list(["auto", *parts.settings.aliases, *parts.backends]))

    async def health(request: Request) -> Response:
        log = {"buffered": request_log.buffered, "dropped": request_log.dropped, "written": request_log.written}
        return _json({"status": "ok", "backends": list(parts.backends), "log": log})

    async def root(request: Request) -> Response:
        return _json({"name": "switchpoint", "health": "/health", "api": "/v1"})

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    routes = [
        Route(path, dialect_endpoint(get_dialect(name)), methods=["POST"]) for path, name in DIALECT_ROUTES.items()
    ]
    return [
        *routes,
        Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
        Route("/v1/feedback", feedback_endpoint(gateway), methods=["POST"]),
        Route("/v1/models", protect(parts.access, models, request_error_response), methods=["GET"]),
        Route("/openapi.json", lambda request: _json(openapi_schema(DIALECT_ROUTES)), methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/", root, methods=["GET", "HEAD"]),
    ]
