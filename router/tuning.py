"""Tuning as a service: proposals to change the routing rules, computed from the request log and the
quality signals (the statistics are policies/tuning/). The admin API and `switchpoint tune` both use
it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from backends.contract import Capabilities
from backends.errors import SwitchpointError
from policies.classify.types import CATEGORIES, DIFFICULTIES
from policies.plan import plan
from policies.routing import Needs, RoutingTable
from policies.rules import Facts, RuleSet, parse_rules, parse_rules_yaml
from policies.tuning import Objective, Proposal, propose

from . import store_rules
from .decider import routing_table
from .exploration import objective_of
from .settings import Settings
from .store_quality import load_observations

__all__ = ["compute_proposals", "current_chains", "objective_of", "settings_table", "stored_rules"]


def current_chains(table: RoutingTable, rules: RuleSet) -> dict[tuple[str, str], list[str]]:
    """The chain the rules give plain `model: auto` traffic of each category and difficulty."""
    out = {}
    for cat in CATEGORIES:
        for diff in DIFFICULTIES:
            facts = Facts(category=cat, difficulty=diff, images=cat == "vision", tools=cat == "tool_calling")
            needs = Needs(vision=facts.images, tools=facts.tools)
            try:
                decision, _ = plan(facts, needs, table, rules, {})
            except SwitchpointError:
                continue
            out[(cat, diff)] = decision.chain
    return out


def compute_proposals(
    engine: Engine, table: RoutingTable, rules: RuleSet, objective: Objective, limit: int = 5000, **kw: Any
) -> list[Proposal]:
    return propose(load_observations(engine, limit), current_chains(table, rules), rules, objective, **kw)


def settings_table(settings: Settings) -> RoutingTable:
    """The routing table the settings describe, without building any backend."""
    from .backends_factory import with_embedded_defaults

    settings = with_embedded_defaults(settings)
    return routing_table(settings, {b.name: Capabilities(**b.capabilities.model_dump()) for b in settings.backends})


def stored_rules(engine: Engine, table: RoutingTable, settings: Settings) -> tuple[RuleSet, RuleSet, list[str]]:
    """The rules in force (the latest stored version, else the configuration's), the configuration's
    own, and why the stored version does not validate here (empty when it does)."""
    latest = store_rules.get(engine)
    base, _ = parse_rules(settings.rules, list(table.backends))
    if latest is None:
        return base, base, []
    rules, errors = parse_rules_yaml(latest.yaml, list(table.backends))
    return rules, base, errors
