"""Decisions: reads what the pure plan depends on (the rules in force, cooldowns, the session's pin,
exploration estimates), calls it once, and keeps the pin its final decision carries."""

from __future__ import annotations

from collections.abc import Mapping

from backends.contract import CanonicalRequest, Capabilities
from policies.classify.types import Classification
from policies.plan import Session, apply_overrides, facts_of, needs_of, plan
from policies.routing import Decision, RoutingTable

from .cooldowns import Cooldowns
from .exploration import Explorer
from .pins import SessionPins
from .rule_versions import RuleVersions
from .settings import Settings


def routing_table(settings: Settings, capabilities: Mapping[str, Capabilities]) -> RoutingTable:
    """The operator's routes and aliases over the backends' capabilities (in configuration order)."""
    return RoutingTable(
        backends=dict(capabilities),
        routes=settings.routes,
        aliases=settings.aliases,
        reject_unknown_models=settings.unknown_models == "reject",
    )


class Decider:
    def __init__(
        self,
        table: RoutingTable,
        *,
        versions: RuleVersions,
        cooldowns: Cooldowns,
        pins: SessionPins,
        explorer: Explorer,
    ) -> None:
        self.table = table
        self.versions = versions
        self.cooldowns = cooldowns
        self.pins = pins
        self.explorer = explorer

    async def decide(
        self,
        request: CanonicalRequest,
        classification: Classification,
        headers: Mapping[str, str],
        key_id: str | None = None,
        counted: Mapping[str, int] | None = None,
    ) -> Decision:
        """The final decision for `request`; applies the rules' parameter overrides to it. `counted`:
        the prompt's tokens per backend, for the context-window gate."""
        await self.versions.maybe_reload()
        facts = facts_of(request, classification, headers, key_id)
        seconds_left = await self.cooldowns.refresh()
        named = self.table.aliases.get(request.model, request.model) in self.table.backends
        key = None if named else self.pins.key(headers, request)
        pin = await self.pins.read(key) if key is not None else None
        session = None
        if key is not None:
            failed = pin is not None and await self.cooldowns.failed_recently(pin.backend)
            session = Session(key, pin, failed)
        exploring = self.explorer.exploring() if not named and pin is None else None
        needs = needs_of(request, classification, counted)
        decision, overrides = plan(
            facts, needs, self.table, self.versions.rules, seconds_left, session=session, exploring=exploring
        )
        apply_overrides(request, overrides)
        if key is not None and decision.pin is not None:
            await self.pins.store(key, pin, decision.pin)
        return decision

    def explain(
        self,
        request: CanonicalRequest,
        classification: Classification,
        headers: Mapping[str, str],
        key_id: str | None = None,
    ) -> Decision:
        """What decide() would answer, without sessions or exploration, and without touching the request."""
        facts = facts_of(request, classification, headers, key_id)
        needs = needs_of(request, classification)
        decision, _ = plan(facts, needs, self.table, self.versions.rules, self.cooldowns.seconds_left())
        return decision
