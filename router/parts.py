"""The gateway's parts, built once from one Settings object, each given the typed settings it needs;
and their lifetime (started and stopped with the app)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import Engine

from backends.contract import Backend
from backends.errors import ConfigError
from policies.classify.default import DefaultClassifier
from policies.classify.registry import ClassifierRegistry
from policies.classify.types import Classifier
from policies.cooldown import CooldownPolicy

from .access import AccessControl
from .backends_factory import BackendRegistry
from .background import Tasks
from .body_log import BodyLog
from .classify_versions import ClassifierVersions, VersionedClassifier
from .cooldowns import Cooldowns
from .decider import Decider, routing_table
from .exploration import Explorer
from .judge import make_judge
from .metrics import Metrics
from .otel import make_tracer
from .pins import SessionPins
from .pipeline import Gateway
from .quality_signals import QualitySignals
from .routing_service import RoutingService
from .rule_versions import RuleVersions
from .settings import Settings
from .shadow import make_shadow
from .shared_state import SharedState, Tolerant, make_shared_state
from .store import RequestLog, create_tables, make_engine
from .store_keys import widen_limit_columns  # also registers the api_keys table for create_tables


@dataclass(slots=True)
class Parts:
    settings: Settings
    backends: Mapping[str, Backend]
    metrics: Metrics
    shared: SharedState
    engine: Engine
    request_log: RequestLog
    body_log: BodyLog | None
    access: AccessControl
    routing: RoutingService
    gateway: Gateway


def make_classifier(settings: Settings, registry: ClassifierRegistry, engine: Engine) -> Classifier:
    """The classifier the settings name, built through the registry as a user's own would be. The default
    one follows the version the operator retrained and activated (router/classify_versions.py)."""
    try:
        built = registry.create_classifier(settings.classifier)
        if isinstance(built, DefaultClassifier) and settings.classifier == "default":
            return VersionedClassifier(ClassifierVersions(engine, built, background=True))
        return built
    except KeyError:
        known = ", ".join(registry.names()) or "none"
        raise ConfigError([f"classifier: unknown classifier '{settings.classifier}' (registered: {known})"]) from None


def make_routing(
    settings: Settings, backends: Mapping[str, Backend], shared: SharedState, engine: Engine
) -> RoutingService:
    """The routing service's owned parts, built from the typed `routing:` settings."""
    config = settings.routing
    table = routing_table(settings, {name: b.capabilities for name, b in backends.items()})
    tolerant = Tolerant(shared)
    tasks = Tasks()
    decider = Decider(
        table,
        versions=RuleVersions(
            list(table.backends), settings.rules, shared=tolerant, engine=engine, poll_s=config.rules_poll_s
        ),
        cooldowns=Cooldowns(
            list(table.backends),
            CooldownPolicy(config.cooldown_failures, config.cooldown_window_s, config.cooldown_s),
            shared=tolerant,
            tasks=tasks,
        ),
        pins=SessionPins(config.sticky_ttl_s, shared=tolerant, tasks=tasks),
        explorer=Explorer(config, engine=engine, tasks=tasks),
    )
    judge = make_judge(config, backends)
    signals = QualitySignals(
        engine=engine,
        shared=tolerant,
        tasks=Tasks(),
        judge=judge,
        shadow=make_shadow(config, backends, engine, judge),
    )
    return RoutingService(decider, signals, tasks=tasks)


def build_parts(
    settings: Settings,
    *,
    backends: Mapping[str, Backend] | None,
    classifier: Classifier | None,
    classifiers: ClassifierRegistry,
    backend_kinds: BackendRegistry,
) -> Parts:
    """Every part of the gateway; `backends` and `classifier` replace the configured ones."""
    if backends is None:
        backends = {cfg.name: backend_kinds.create_backend(cfg, settings.home) for cfg in settings.backends}
    metrics = Metrics()
    shared = make_shared_state(settings.redis_url)
    engine = make_engine(settings.effective_database_url)
    request_log = RequestLog(
        engine,
        batch_size=settings.log.batch_size,
        flush_interval=settings.log.flush_interval,
        max_buffered=settings.log.max_buffered,
        on_drop=metrics.dropped_log_rows.inc,
        on_quarantine=metrics.quarantined_log_rows.inc,
    )
    body_log = BodyLog(engine, flush_interval=settings.log.flush_interval) if settings.log_bodies else None
    routing = make_routing(settings, backends, shared, engine)
    access = AccessControl(
        engine=engine, shared=shared, require_keys=settings.require_keys, reserve_tokens=settings.key_reserve_tokens
    )
    gateway = Gateway(
        backends=backends,
        classifier=classifier or make_classifier(settings, classifiers, engine),
        routing=routing,
        access=access,
        request_log=request_log,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        max_attempts=settings.max_attempts,
        total_timeouts={cfg.name: cfg.timeouts.total for cfg in settings.backends},
        tracer=make_tracer(settings.otel),
    )
    return Parts(settings, backends, metrics, shared, engine, request_log, body_log, access, routing, gateway)


@asynccontextmanager
async def running(parts: Parts) -> AsyncIterator[None]:
    """Start what runs in the background; on the way out stop everything, the database last."""
    await asyncio.to_thread(create_tables, parts.engine)
    await asyncio.to_thread(widen_limit_columns, parts.engine)
    parts.request_log.start()
    if parts.body_log is not None:
        parts.body_log.start()
    try:
        yield
    finally:
        await parts.access.aclose()
        await parts.routing.aclose()
        await parts.request_log.stop()
        if parts.gateway.tracer is not None:
            await asyncio.to_thread(parts.gateway.tracer.shutdown)  # flushes the spans still batched
        if parts.body_log is not None:
            await parts.body_log.stop()
        for b in parts.backends.values():
            await b.aclose()
        await parts.shared.aclose()
        parts.engine.dispose()
