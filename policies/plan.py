"""The routing plan for one request, pure: capability gates, operator rules, routes (the fallback),
cooldowns, exploration and session stickiness, giving the final decision and the parameter overrides.
The router's Decider reads the state these depend on (rule version, cooldowns, the session's pin,
exploration estimates) and stores the pin the decision carries; the admin API's explain and dry run,
and the tuner, call plan() directly."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from backends.contract import CanonicalRequest
from backends.errors import InvalidRequest

from .classify.types import Classification
from .cooldown import split_cooling
from .routing import Decision, Needs, RoutingTable, decide, missing_capability
from .rules import Facts, Outcome, RuleSet, evaluate, is_background
from .stickiness import Pin, stick
from .tuning import CellEstimate, Objective, explore_chain
from .tuning.estimates import Cell


@dataclass(slots=True, frozen=True)
class Session:
    """The session a request belongs to: its stored pin (None: a new session) and whether the pinned
    backend failed recently."""

    key: str  # what identifies the session in shared state
    pin: Pin | None = None
    pin_failed: bool = False


@dataclass(slots=True, frozen=True)
class Exploring:
    """Thompson-sampling exploration: the logged estimates, the objective, the share of traffic that
    explores (raised to `boost` where a better backend needs evidence) and the random source."""

    estimates: Mapping[Cell, CellEstimate]
    objective: Objective
    share: float
    boost: float
    rng: random.Random


def needs_of(
    request: CanonicalRequest, classification: Classification, counted: Mapping[str, int] | None = None
) -> Needs:
    return Needs(
        vision=classification.has_images,
        tools=bool(request.tools) and request.tool_choice != "none",
        fim=request.is_fim,
        prompt_tokens=classification.prompt_tokens,
        prompt_tokens_by_backend=counted or {},
    )


def facts_of(
    request: CanonicalRequest, classification: Classification, headers: Mapping[str, str], key_id: str | None
) -> Facts:
    system = "\n".join(m.text() for m in request.messages if m.role == "system")
    return Facts(
        category=classification.category,
        difficulty=classification.difficulty,
        client=classification.client,
        model=request.model,
        prompt_tokens=classification.prompt_tokens,
        images=classification.has_images,
        tools=bool(request.tools),
        background=is_background(request.model, system),
        key_id=key_id,
        headers=headers,
        metadata=request.metadata,
    )


def plan(
    facts: Facts,
    needs: Needs,
    table: RoutingTable,
    rules: RuleSet,
    seconds_left: Mapping[str, float],
    *,
    session: Session | None = None,
    exploring: Exploring | None = None,
) -> tuple[Decision, dict[str, Any]]:
    """Gates, rules, routes, cooldowns, exploration and stickiness for one request: the final decision
    (with the session pin to store, when there is a session) and the parameter overrides. Pure but for
    the draws from `exploring.rng`; explain and dry-run call it too. Raises InvalidRequest for a
    rejecting rule. A request that names a backend is neither explored nor pinned."""
    usable = {b for b, caps in table.backends.items() if missing_capability(needs, caps, b) is None}
    outcome, passed = evaluate(rules, facts, usable)
    decision = _choose(facts, needs, table, outcome, usable)
    for name, why in passed.items():
        decision.reason += f"; rule {name} passed over: {why}"
    if not decision.rule.startswith("model:"):
        kept, cooling = split_cooling(decision.chain, seconds_left)
        if cooling:
            decision.chain = kept
            decision.skipped.update(cooling)
            decision.reason += "; skipped " + ", ".join(f"{b}: {w}" for b, w in cooling.items())
    if outcome.overrides:
        sets = ", ".join(f"{k}={v}" for k, v in outcome.overrides.items())
        decision.reason += f"; {sets} set by rule {', '.join(outcome.set_by)}"
    if decision.rule.startswith("model:"):
        return decision, outcome.overrides
    if exploring is not None and (session is None or session.pin is None):
        decision = _explore(decision, facts, exploring)
    if session is not None:
        decision = _stick(decision, facts, session)
    return decision, outcome.overrides


def _choose(facts: Facts, needs: Needs, table: RoutingTable, outcome: Outcome, usable: set[str]) -> Decision:
    """The chain a matching rule gives, else the routes' (a background call goes to `fast`)."""
    rule = outcome.rule
    if rule is not None and rule.reject is not None:
        raise InvalidRequest(f"rejected by rule '{rule.name}': {rule.reject}")
    explicit = table.aliases.get(facts.model, facts.model) in table.backends
    if rule is not None and rule.chain is not None and not explicit:
        chain = [b for b in rule.chain if b in usable]
        skipped = {
            b: f"cannot serve {missing_capability(needs, table.backends[b], b)}" for b in rule.chain if b not in usable
        }
        reason = f"rule {rule.name} routes to {', '.join(rule.chain)}"
        if skipped:
            reason += " (skipped " + ", ".join(f"{b}: {w}" for b, w in skipped.items()) + ")"
        return Decision(chain=chain, rule=f"rule:{rule.name}", reason=reason, skipped=skipped)
    category = "fast" if facts.background and "fast" in table.routes and not explicit else facts.category
    decision = decide(facts.model, category, needs, table)
    if category == "fast":
        decision.reason = f"a background call (small model or title generation); {decision.reason}"
    return decision


def _explore(decision: Decision, facts: Facts, x: Exploring) -> Decision:
    if x.share <= 0:
        return decision
    chain, probability, why = explore_chain(
        decision.chain, x.estimates, facts.category, facts.difficulty, x.objective, x.share, x.rng, x.boost
    )
    reason = decision.reason + (f"; {why}" if why else "")
    return replace(decision, chain=chain, probability=probability, reason=reason)


def _stick(decision: Decision, facts: Facts, session: Session) -> Decision:
    failed = {session.pin.backend} if session.pin is not None and session.pin_failed else set()
    chain, pin, why = stick(decision.chain, session.pin, facts.difficulty, failed)
    reason = decision.reason + ("; " + why if why else "")
    return replace(decision, chain=chain, reason=reason, pin=pin, session=session.key)


def apply_overrides(request: CanonicalRequest, overrides: Mapping[str, Any]) -> None:
    cap = overrides.get("max_tokens")
    if cap is not None:
        request.max_tokens = min(cap, request.max_tokens) if request.max_tokens else cap
    if "temperature" in overrides:
        request.temperature = overrides["temperature"]
    if "reasoning_effort" in overrides:
        request.reasoning_effort = overrides["reasoning_effort"]
