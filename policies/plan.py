"""The routing plan for one request, pure: capability gates, operator rules, routes (the fallback)
and cooldowns, giving the decision and the parameter overrides. The router's RoutingService adds the
stateful parts (rule versions, cooldown counters, session pins, exploration); the admin API's explain
and dry run, and the tuner, call plan() directly."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backends.contract import CanonicalRequest
from backends.errors import InvalidRequest

from .cooldown import split_cooling
from .routing import Decision, Needs, RoutingTable, decide, missing_capability
from .rules import Facts, RuleSet, evaluate, is_background


def needs_of(request: CanonicalRequest, classification: Any, counted: Mapping[str, int] | None = None) -> Needs:
    return Needs(
        vision=classification.has_images,
        tools=bool(request.tools) and request.tool_choice != "none",
        fim=request.is_fim,
        prompt_tokens=classification.prompt_tokens,
        prompt_tokens_by_backend=counted or {},
    )


def facts_of(request: CanonicalRequest, classification: Any, headers: Mapping[str, str], key_id: str | None) -> Facts:
    system = "\n".join(m.text() for m in request.messages if m.role == "system")
    return Facts(
        category=classification.category,
        difficulty=getattr(classification, "difficulty", "medium"),
        client=getattr(classification, "client", None),
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
    facts: Facts, needs: Needs, table: RoutingTable, rules: RuleSet, seconds_left: Mapping[str, float]
) -> tuple[Decision, dict[str, Any]]:
    """Gates, rules, routes and cooldowns for one request: the decision and the parameter overrides.
    Pure; explain and dry-run call it too. Raises InvalidRequest for a rejecting rule."""
    usable = {b for b, caps in table.backends.items() if missing_capability(needs, caps, b) is None}
    outcome, passed = evaluate(rules, facts, usable)
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
        decision = Decision(chain=chain, rule=f"rule:{rule.name}", reason=reason, skipped=skipped)
    else:
        category = "fast" if facts.background and "fast" in table.routes and not explicit else facts.category
        decision = decide(facts.model, category, needs, table)
        if category == "fast":
            decision.reason = f"a background call (small model or title generation); {decision.reason}"
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
    return decision, outcome.overrides


def apply_overrides(request: CanonicalRequest, overrides: Mapping[str, Any]) -> None:
    cap = overrides.get("max_tokens")
    if cap is not None:
        request.max_tokens = min(cap, request.max_tokens) if request.max_tokens else cap
    if "temperature" in overrides:
        request.temperature = overrides["temperature"]
    if "reasoning_effort" in overrides:
        request.reasoning_effort = overrides["reasoning_effort"]
        if request.openai_body is not None:
            request.openai_body = {**request.openai_body, "reasoning_effort": overrides["reasoning_effort"]}
