"""The app factory: builds every part from one Settings object and wires them on app.state."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backends.contract import Backend

from .access import AccessControl, protect
from .admin import AdminContext, admin_routes
from .admin.auth import AdminAuth, load_or_create_admin_key
from .admin.dashboard_files import dashboard_mount
from .backends_factory import build_backend, with_embedded_defaults
from .body_log import BodyCapture, BodyLog
from .dialects import Dialect, get_dialect
from .feedback import feedback_endpoint
from .guard import HeaderLimit
from .http_errors import EXCEPTION_HANDLERS, error_response
from .judge import make_judge
from .metrics import Metrics
from .openapi import openapi_schema
from .pipeline import Classifier, Gateway
from .routing_service import RoutingService, routing_table
from .settings import Settings
from .shadow import make_shadow
from .shared_state import make_shared_state
from .store import RequestLog, create_tables, make_engine
from .store_keys import ApiKey  # noqa: F401  (registers the api_keys table for create_tables)

log = logging.getLogger(__name__)

DIALECT_ROUTES = {
    "/v1/chat/completions": "openai",
    "/v1/messages": "anthropic",  # Claude Code adds ?beta=true; the query string does not change routing
    "/v1/responses": "responses",
    "/v1/completions": "completions",
}


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def _versioned_classifier(engine: Any) -> Classifier:
    """The default classifier, or the retrained version the operator installed (router/classify_versions.py)."""
    from policies.classify import load_default_classifier

    from .classify_versions import ClassifierVersions, VersionedClassifier

    return VersionedClassifier(ClassifierVersions(engine, load_default_classifier(), background=True))


def create_app(
    settings: Settings,
    *,
    backends: Mapping[str, Backend] | None = None,
    classifier: Classifier | None = None,
) -> Starlette:
    """Build the gateway. `backends` and `classifier` replace the configured ones (tests, embedding)."""
    settings = with_embedded_defaults(settings)
    if backends is None:
        backends = {cfg.name: build_backend(cfg) for cfg in settings.backends}
    metrics = Metrics()
    shared = make_shared_state(settings.redis_url)
    engine = make_engine(settings.effective_database_url)
    request_log = RequestLog(
        engine,
        batch_size=settings.log.batch_size,
        flush_interval=settings.log.flush_interval,
        max_buffered=settings.log.max_buffered,
        on_drop=metrics.dropped_log_rows.inc,
    )
    body_log = BodyLog(engine, flush_interval=settings.log.flush_interval) if settings.log_bodies else None
    table = routing_table(settings, {name: b.capabilities for name, b in backends.items()})
    judge = make_judge(settings.routing, backends)
    routing = RoutingService(
        table,
        shared=shared,
        engine=engine,
        rules=settings.rules,
        config=settings.routing,
        judge=judge,
        shadow=make_shadow(settings.routing, backends, engine, judge),
    )
    access = AccessControl(
        engine=engine, shared=shared, require_keys=settings.require_keys, reserve_tokens=settings.key_reserve_tokens
    )
    gateway = Gateway(
        backends=backends,
        classifier=classifier or _versioned_classifier(engine),
        routing=routing,
        access=access,
        request_log=request_log,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        max_attempts=settings.max_attempts,
        total_timeouts={cfg.name: cfg.timeouts.total for cfg in settings.backends},
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await asyncio.to_thread(create_tables, engine)
        request_log.start()
        if body_log is not None:
            body_log.start()
        try:
            yield
        finally:
            await access.aclose()
            await routing.aclose()
            await request_log.stop()
            if body_log is not None:
                await body_log.stop()
            for b in backends.values():
                await b.aclose()
            await shared.aclose()
            engine.dispose()

    def dialect_endpoint(dialect: Dialect) -> Any:
        async def endpoint(request: Request) -> Response:
            return await gateway.handle(dialect, request)

        return endpoint

    async def models(request: Request) -> Response:
        ids = ["auto", *settings.aliases, *backends]
        return _json(
            {
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
        )

    async def health(request: Request) -> Response:
        return _json(
            {
                "status": "ok",
                "backends": list(backends),
                "log": {
                    "buffered": request_log.buffered,
                    "dropped": request_log.dropped,
                    "written": request_log.written,
                },
            }
        )

    async def root(request: Request) -> Response:
        return _json({"name": "switchpoint", "health": "/health", "api": "/v1"})

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    routes = [
        Route(path, dialect_endpoint(get_dialect(name)), methods=["POST"]) for path, name in DIALECT_ROUTES.items()
    ]
    anthropic = get_dialect("anthropic")

    async def count_tokens(request: Request) -> Response:
        return await gateway.count_tokens(anthropic, request)

    routes += [
        Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
        Route("/v1/feedback", feedback_endpoint(gateway), methods=["POST"]),
        Route("/v1/models", protect(access, models, error_response), methods=["GET"]),
        Route("/openapi.json", lambda request: _json(openapi_schema(DIALECT_ROUTES)), methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/", root, methods=["GET", "HEAD"]),
    ]
    admin_key = load_or_create_admin_key(
        settings.home, settings.admin_key.get_secret_value() if settings.admin_key else None
    )
    middleware = [Middleware(HeaderLimit)]
    if body_log is not None:
        middleware.append(Middleware(BodyCapture, body_log=body_log))
    app = Starlette(lifespan=lifespan, exception_handlers=EXCEPTION_HANDLERS, middleware=middleware)
    routes += admin_routes(AdminContext(auth=AdminAuth(admin_key), state=app.state))
    app.router.routes.extend([*routes, dashboard_mount(AdminAuth(admin_key))])
    app.state.settings = settings
    app.state.gateway = gateway
    app.state.request_log = request_log
    app.state.metrics = metrics
    app.state.engine = engine
    app.state.backends = backends
    app.state.shared = shared
    app.state.access = access
    return app
