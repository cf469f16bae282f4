"""The routing service: the stateful side of routing decisions (the pure rules live in policies/).

Per request: capability gates -> operator rules (current version) -> routes -> cooldowns -> session
stickiness -> parameter overrides. The pipeline tells it how each attempt went (cooldowns) and what
each request produced (implicit quality signals). State that replicas share (cooldowns, sticky
sessions, the rule version) lives in SharedState; rule versions and signals in the database."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections.abc import Mapping
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from backends.contract import CanonicalRequest, Capabilities
from backends.errors import BackendError, InvalidRequest
from policies.cooldown import CooldownPolicy, counts_as_failure
from policies.plan import apply_overrides, facts_of, needs_of, plan
from policies.quality import RESENT, implicit_signals, tool_call_problems
from policies.routing import Decision, RoutingTable
from policies.rules import RuleSet, parse_rules, parse_rules_yaml
from policies.stickiness import Pin, session_key, stick
from policies.tuning import CellEstimate, Objective, estimate, explore_chain
from policies.tuning.estimates import Cell

from . import store_rules
from .judge import Judge
from .settings import Settings
from .shadow import Shadow
from .shared_state import MemoryState, SharedState
from .store_quality import SignalWriter, load_observations, signal_row

log = logging.getLogger(__name__)

RULES_KEY = "rules:version"
RESENT_WINDOW_S = 300.0
SHARED_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)
ESTIMATES_EVERY_S = 60.0


def objective_from(config: Any) -> Objective:
    """The tuning objective from the `routing:` settings (defaults when there are none)."""
    d = Objective()
    return Objective(
        getattr(config, "weight_quality", d.w_quality),
        getattr(config, "weight_latency", d.w_latency),
        getattr(config, "weight_cost", d.w_cost),
        getattr(config, "min_quality", d.min_quality),
        getattr(config, "max_p95_latency_ms", d.max_p95_latency_ms),
    )


class Tolerant:
    """Shared state that never fails a request: while Redis is unreachable, reads find nothing (no
    cooldowns, no pins: routing falls back to the rules alone) and writes are dropped, with a warning
    at most every 10 s."""

    def __init__(self, inner: SharedState) -> None:
        self.inner = inner
        self._warned = 0.0

    def _down(self, exc: BaseException) -> None:
        if time.monotonic() - self._warned > 10:
            self._warned = time.monotonic()
            log.warning("shared state unavailable, routing without cooldowns and pins: %r", exc)

    async def get(self, key: str) -> str | None:
        try:
            return await self.inner.get(key)
        except SHARED_ERRORS as exc:
            self._down(exc)
            return None

    async def set(self, key: str, value: str, ttl_s: float | None = None) -> None:
        try:
            await self.inner.set(key, value, ttl_s)
        except SHARED_ERRORS as exc:
            self._down(exc)

    async def delete(self, key: str) -> None:
        try:
            await self.inner.delete(key)
        except SHARED_ERRORS as exc:
            self._down(exc)

    async def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        try:
            return await self.inner.incr(key, amount, ttl_s)
        except SHARED_ERRORS as exc:
            self._down(exc)
            return 0


def routing_table(settings: Settings, capabilities: Mapping[str, Capabilities]) -> RoutingTable:
    """The operator's routes and aliases over the backends' capabilities (in configuration order)."""
    return RoutingTable(
        backends=dict(capabilities),
        routes=settings.routes,
        aliases=settings.aliases,
        reject_unknown_models=settings.unknown_models == "reject",
    )


class RoutingService:
    def __init__(
        self,
        table: RoutingTable,
        *,
        shared: SharedState | None = None,
        engine: Engine | None = None,
        rules: list[dict[str, Any]] | None = None,
        config: Any = None,
        judge: Judge | None = None,
        shadow: Shadow | None = None,
    ) -> None:
        self.table = table
        self.shared = Tolerant(shared or MemoryState())
        self.engine = engine
        self.cooldown = CooldownPolicy(
            getattr(config, "cooldown_failures", 3),
            getattr(config, "cooldown_window_s", 30.0),
            getattr(config, "cooldown_s", 30.0),
        )
        self.sticky_ttl = float(getattr(config, "sticky_ttl_s", 3600.0))
        self.poll_s = float(getattr(config, "rules_poll_s", 1.0))
        ruleset, errors = parse_rules(rules or [], list(table.backends))
        if errors:
            raise ValueError("; ".join(errors))
        self.rules = ruleset
        self.base_yaml = self.yaml_text = ruleset.to_yaml()
        self.version = 0
        self.version_meta: dict[str, Any] = {"created_by": "config", "created_at": time.time(), "comment": "config"}
        self._next_poll = 0.0
        self._polls = 0
        self._cooling_until: dict[str, float] = {}  # this replica's view of the shared cooldowns
        self._pins: dict[str, float] = {}  # sessions this replica pinned -> expiry
        self._in_flight: dict[int, tuple[str, Pin]] = {}  # id(request) -> (session key, pin) until observed
        self._tasks: set[asyncio.Task[Any]] = set()
        self.signals = SignalWriter(engine) if engine is not None else None
        self.judge = judge
        self.shadow = shadow
        self.explore_share = float(getattr(config, "explore_share", 0.0))
        self.explore_boost = float(getattr(config, "explore_boost", 0.0))
        self.objective = objective_from(config)
        self._rng = random.Random()
        self._estimates: dict[Cell, CellEstimate] = {}
        self._estimates_due = 0.0

    # ---- decisions -------------------------------------------------------------------------------

    async def decide(
        self,
        request: CanonicalRequest,
        classification: Any,
        headers: Mapping[str, str],
        key_id: str | None = None,
        counted: Mapping[str, int] | None = None,
    ) -> Decision:
        """`counted`: the prompt's tokens per backend, for the context-window gate."""
        await self.maybe_reload()
        facts = facts_of(request, classification, headers, key_id)
        seconds_left = await self.refresh_cooldowns()
        needs = needs_of(request, classification, counted)
        decision, overrides = plan(facts, needs, self.table, self.rules, seconds_left)
        apply_overrides(request, overrides)
        if decision.rule.startswith("model:"):
            return decision
        key = session_key(headers, request) if self.sticky_ttl > 0 else None
        pin = Pin.decode(await self.shared.get("sticky:" + key)) if key else None
        if self.explore_share > 0 and pin is None:
            self._refresh_estimates()
            decision.chain, decision.probability, why = explore_chain(
                decision.chain,
                self._estimates,
                facts.category,
                facts.difficulty,
                self.objective,
                self.explore_share,
                self._rng,
                self.explore_boost,
            )
            decision.reason += f"; {why}" if why else ""
        if key is not None:
            pinned = await self._stick(decision, key, pin, facts.difficulty)
            if len(self._in_flight) > 10_000:  # rows that never came back (should not happen): forget them
                self._in_flight.clear()
            self._in_flight[id(request)] = (key, pinned)
        return decision

    def _refresh_estimates(self) -> None:
        """Exploration's estimates, re-read from the logs in the background at most once a minute."""
        now = time.monotonic()
        if self.engine is None or now < self._estimates_due:
            return
        self._estimates_due = now + ESTIMATES_EVERY_S
        self._spawn(self._load_estimates(self.engine))

    async def _load_estimates(self, engine: Engine) -> None:
        try:
            obs = await asyncio.to_thread(load_observations, engine)
        except SQLAlchemyError as exc:
            log.warning("exploration: cannot read the logs: %s", exc.__class__.__name__)
            return
        self._estimates = estimate(obs)

    async def _stick(self, decision: Decision, key: str, pin: Pin | None, diff: str) -> Pin:
        failed: set[str] = set()
        if pin is not None and int(await self.shared.get("cooldown:fails:" + pin.backend) or 0) > 0:
            failed.add(pin.backend)
        decision.chain, new_pin, why = stick(decision.chain, pin, diff, failed)
        if why:
            decision.reason += "; " + why
        if new_pin != pin:
            await self.shared.set("sticky:" + key, new_pin.encode(), self.sticky_ttl)
        now = time.monotonic()
        self._pins[key] = now + self.sticky_ttl
        if len(self._pins) > 10_000:
            self._pins = {k: t for k, t in self._pins.items() if t > now}
        return new_pin

    def _repin(self, request: CanonicalRequest | None, row: Mapping[str, Any]) -> None:
        """A fallback served the request: the session stays where it was actually served."""
        entry = self._in_flight.pop(id(request), None) if request is not None else None
        served = row.get("backend")
        if entry is None or row.get("status") != "ok" or not served or served == entry[1].backend:
            return
        key, pin = entry
        self._spawn(self.shared.set("sticky:" + key, Pin(served, pin.rank).encode(), self.sticky_ttl))

    def explain(
        self, request: CanonicalRequest, classification: Any, headers: Mapping[str, str], key_id: str | None = None
    ) -> Decision:
        """What decide() would answer, without touching session pins."""
        facts = facts_of(request, classification, headers, key_id)
        decision, _ = plan(facts, needs_of(request, classification), self.table, self.rules, self.cooldowns())
        return decision

    # ---- rule versions ---------------------------------------------------------------------------

    async def maybe_reload(self, force: bool = False) -> None:
        """Pick up a rule version another replica (or the admin API) stored; at most every poll_s."""
        now = time.monotonic()
        if self.engine is None or (now < self._next_poll and not force):
            return
        self._next_poll = now + self.poll_s
        self._polls += 1
        published = await self.shared.get(RULES_KEY)
        # Redis says when a version changes; the database is read anyway every 5th poll, for writers
        # that could not reach Redis (and for replicas that share only the database).
        if published is not None and int(published) == self.version and not force and self._polls % 5:
            return
        try:
            row = await asyncio.to_thread(store_rules.get, self.engine)
        except SQLAlchemyError as exc:
            log.warning("rules: cannot read the current version, keeping v%d: %s", self.version, exc)
            return
        if row is None or row.version == self.version:
            return
        ruleset, errors = parse_rules_yaml(row.yaml, list(self.table.backends))
        if errors:
            log.warning("rules: v%d does not apply here, keeping v%d: %s", row.version, self.version, errors)
            return
        self.rules, self.version, self.yaml_text = ruleset, row.version, row.yaml
        self.version_meta = {"created_by": row.created_by, "created_at": row.created_at, "comment": row.comment}
        log.info("rules: now at v%d", row.version)

    def validate(self, yaml_text: str) -> tuple[RuleSet, list[str]]:
        return parse_rules_yaml(yaml_text, list(self.table.backends))

    async def publish(self, yaml_text: str, created_by: str, comment: str) -> int:
        """Validate and store a new version; this replica applies it at once, the others within poll_s."""
        if self.engine is None:
            raise InvalidRequest("rule versions need a database")
        _, errors = self.validate(yaml_text)
        if errors:
            raise InvalidRequest("invalid rules: " + "; ".join(errors))
        n = await asyncio.to_thread(store_rules.add, self.engine, yaml_text, created_by, comment, self.base_yaml)
        await self.shared.set(RULES_KEY, str(n))
        await self.maybe_reload(force=True)
        return n

    # ---- cooldowns -------------------------------------------------------------------------------

    async def refresh_cooldowns(self) -> dict[str, float]:
        """Read every backend's cooldown from shared state; seconds left per cooling backend."""
        now = time.time()
        for name in self.table.backends:
            until = await self.shared.get("cooldown:until:" + name)
            if until is None:
                self._cooling_until.pop(name, None)
            else:
                self._cooling_until[name] = float(until)
        return {b: until - now for b, until in self._cooling_until.items() if until > now}

    def cooldowns(self) -> dict[str, float]:
        """Backend -> seconds of cooldown left, as this replica last saw the shared state."""
        now = time.time()
        return {b: round(until - now, 3) for b, until in self._cooling_until.items() if until > now}

    def sticky_sessions(self) -> int:
        now = time.monotonic()
        return sum(1 for t in self._pins.values() if t > now)

    def _spawn(self, coro: Any) -> None:
        try:
            task = asyncio.get_running_loop().create_task(coro)
        except RuntimeError:
            coro.close()
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _count_failure(self, backend: str) -> None:
        n = await self.shared.incr("cooldown:fails:" + backend, 1, self.cooldown.window_s)
        if self.cooldown.trips(n):
            until = time.time() + self.cooldown.cooldown_s
            await self.shared.set("cooldown:until:" + backend, repr(until), self.cooldown.cooldown_s)
            await self.shared.delete("cooldown:fails:" + backend)
            self._cooling_until[backend] = until
            log.warning(
                "%s failed %d times within %.0fs: cooling down for %.0fs",
                backend,
                n,
                self.cooldown.window_s,
                self.cooldown.cooldown_s,
            )

    def report_failure(self, backend: str, error: BackendError) -> None:
        """An attempt on `backend` failed (before or after its first byte)."""
        if backend and counts_as_failure(error.retryable):
            self._spawn(self._count_failure(backend))

    def report_success(self, backend: str) -> None:
        """An attempt on `backend` completed."""

    # ---- quality signals -------------------------------------------------------------------------

    def observe(self, row: Mapping[str, Any], request: CanonicalRequest | None, completion: Any) -> None:
        """A finished request: re-pin its session after a fallback; store its implicit quality signals."""
        self._repin(request, row)
        if self.signals is None or row.get("status") == "cancelled":
            return
        problems = None
        calls = list(getattr(completion, "tool_calls", None) or [])
        if request is not None and calls and request.tools:
            problems = tool_call_problems(((c.name, c.arguments) for c in calls), request.tools)
        found = implicit_signals(status=row["status"], finish_reason=row.get("finish_reason"), tool_problems=problems)
        self.signals.add(signal_row(row["id"], k, s, label, "gateway") for k, s, label in found)
        if request is not None and request.messages and row["status"] == "ok":
            self._spawn(self._check_resent(row["id"], request))
        if self.shadow is not None and request is not None and self.shadow.wants(row, request):
            self._spawn(self.shadow.run(row, request, completion, self.signals))
        elif self.judge is not None and request is not None and self.judge.wants(row):
            self._spawn(self.judge.grade(row["id"], row.get("category") or "prose", request, completion, self.signals))

    async def _check_resent(self, request_id: str, request: CanonicalRequest) -> None:
        text = "\x00".join(f"{m.role}:{m.text()}" for m in request.messages)
        key = "prompt:" + hashlib.sha256(text.encode()).hexdigest()[:32]
        previous = await self.shared.get(key)
        await self.shared.set(key, request_id, RESENT_WINDOW_S)
        if previous is not None and previous != request_id and self.signals is not None:
            self.signals.add([signal_row(previous, "resent", RESENT, f"re-sent as {request_id}", "gateway")])

    async def aclose(self) -> None:
        for task in list(self._tasks):
            await asyncio.gather(task, return_exceptions=True)
        if self.signals is not None:
            await self.signals.aclose()
