"""The app factory: builds every part from one Settings object (router/parts.py) and wires them on
app.state; the public routes (router/public_routes.py) and the admin API share the app."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.applications import Starlette
from starlette.middleware import Middleware

from backends.contract import Backend
from policies.classify.registry import ClassifierRegistry, builtin_registry
from policies.classify.types import Classifier

from .admin import AdminContext, admin_mounts
from .admin.auth import AdminAuth, load_or_create_admin_key
from .admin.dashboard_files import dashboard_mount
from .admin.login_limit import LoginLimiter
from .backends_factory import BackendRegistry, builtin_backends, with_embedded_defaults
from .body_log import BodyCapture
from .guard import HeaderLimit
from .http_errors import EXCEPTION_HANDLERS
from .parts import build_parts, running
from .public_routes import DIALECT_ROUTES, public_routes
from .settings import Settings

__all__ = ["DIALECT_ROUTES", "create_app"]


def create_app(
    settings: Settings,
    *,
    backends: Mapping[str, Backend] | None = None,
    classifier: Classifier | None = None,
    classifiers: ClassifierRegistry | None = None,
    backend_kinds: BackendRegistry | None = None,
) -> Starlette:
    """Build the gateway. `backends` and `classifier` replace the configured ones (tests, embedding);
    `classifiers` and `backend_kinds` are the registries the configured ones are built from (the
    built-in ones by default; a user's own registered beside them)."""
    settings = with_embedded_defaults(settings)
    classifiers = classifiers or builtin_registry()
    backend_kinds = backend_kinds or builtin_backends()
    parts = build_parts(
        settings, backends=backends, classifier=classifier, classifiers=classifiers, backend_kinds=backend_kinds
    )
    admin_key = load_or_create_admin_key(
        settings.home, settings.admin_key.get_secret_value() if settings.admin_key else None
    )
    middleware = [Middleware(HeaderLimit)]
    if parts.body_log is not None:
        middleware.append(Middleware(BodyCapture, body_log=parts.body_log, secrets=[admin_key]))
    app = Starlette(lifespan=lambda app: running(parts), exception_handlers=EXCEPTION_HANDLERS, middleware=middleware)
    admin_auth = AdminAuth(admin_key, parts.engine)
    admin = AdminContext(auth=admin_auth, state=app.state, limiter=LoginLimiter(parts.shared))
    routes = public_routes(parts) + admin_mounts(admin)
    app.router.routes.extend([*routes, dashboard_mount(admin_auth)])
    app.state.settings = settings
    app.state.gateway = parts.gateway
    app.state.request_log = parts.request_log
    app.state.metrics = parts.metrics
    app.state.engine = parts.engine
    app.state.backends = parts.backends
    app.state.shared = parts.shared
    app.state.access = parts.access
    app.state.classifiers = classifiers
    app.state.backend_kinds = backend_kinds
    return app
