"""Routing decisions: which backends may serve a request, in what order, and why. Pure: it receives
the request's needs, the configured routes and the backends' capabilities; it does no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from backends.contract import Capabilities
from backends.errors import NoBackendAvailable, UnknownModel

from .stickiness import Pin


@dataclass(slots=True, frozen=True)
class Needs:
    """What a request requires of the backend that serves it."""

    vision: bool = False
    tools: bool = False
    fim: bool = False
    prompt_tokens: int = 0
    # Per backend, the prompt counted with that backend's tokenizer (or a bound that proves it fits);
    # backends not named here are gated on `prompt_tokens`.
    prompt_tokens_by_backend: Mapping[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Decision:
    chain: list[str]
    rule: str  # which rule or route chose the chain
    reason: str  # human-readable why
    probability: float = 1.0  # the probability the policy gave chain[0] (for counterfactual evaluation)
    skipped: dict[str, str] = field(default_factory=dict)  # backend -> why a gate removed it
    pin: Pin | None = None  # the session's pin after this decision (None: no session, or a named backend)
    session: str | None = None  # the session `pin` belongs to


@dataclass(slots=True)
class RoutingTable:
    """The operator's routes and aliases, and what each backend can do."""

    backends: Mapping[str, Capabilities]  # in configuration order
    routes: Mapping[str, Sequence[str]]  # category (or "default") -> ordered chain
    aliases: Mapping[str, str]  # alias -> backend name or "auto"
    reject_unknown_models: bool = False


def missing_capability(needs: Needs, caps: Capabilities, name: str | None = None) -> str | None:
    """Why `caps` (backend `name`) cannot serve `needs`, or None when it can."""
    if needs.vision and not caps.vision:
        return "images (vision)"
    if needs.tools and not caps.tools:
        return "tool calling"
    if needs.fim and not caps.fim:
        return "fill-in-the-middle"
    tokens = needs.prompt_tokens_by_backend.get(name, needs.prompt_tokens) if name else needs.prompt_tokens
    if tokens > caps.context_window:
        return f"a context window of {tokens} tokens (has {caps.context_window})"
    return None


def gate(chain: Sequence[str], needs: Needs, table: RoutingTable) -> tuple[list[str], dict[str, str]]:
    """Keep the backends able to serve `needs`, in order; say why each other one was dropped."""
    kept: list[str] = []
    skipped: dict[str, str] = {}
    for name in chain:
        missing = missing_capability(needs, table.backends[name], name)
        if missing is None:
            kept.append(name)
        else:
            skipped[name] = f"cannot serve {missing}"
    return kept, skipped


def decide(model: str, category: str, needs: Needs, table: RoutingTable) -> Decision:
    """The ordered backend chain for a request.

    `model` may name a backend (only that backend serves), an alias (its backend, or the router's
    choice for "auto"), "auto", or anything else (routed like "auto", or refused when the operator
    said so). Capability gates run on the chosen chain; an empty result is a clear error.
    """
    target = table.aliases.get(model, model)
    if target in table.backends:
        chain, rule = [target], f"model:{model}"
        reason = f"the request named {'alias ' + model + ' -> ' if model != target else ''}backend {target}"
    elif target == "auto" or not table.reject_unknown_models:
        if category in table.routes:
            chain, rule = list(table.routes[category]), f"route:{category}"
            reason = f"category {category} routes to {', '.join(chain)}"
        elif "default" in table.routes:
            chain, rule = list(table.routes["default"]), "route:default"
            reason = f"no route for {category}; the default route is {', '.join(chain)}"
        else:
            chain, rule = list(table.backends), "route:all"
            reason = f"no route for {category}; every backend in configuration order"
    else:
        raise UnknownModel(f"unknown model '{model}'", param="model")
    kept, skipped = gate(chain, needs, table)
    if not kept:
        if not chain:
            raise NoBackendAvailable("no backend is configured")
        why = "; ".join(f"{b} {w}" for b, w in skipped.items())
        raise NoBackendAvailable(f"no backend can serve this request: {why}")
    if skipped:
        reason += " (skipped " + ", ".join(f"{b}: {w}" for b, w in skipped.items()) + ")"
    return Decision(chain=kept, rule=rule, reason=reason, skipped=skipped)
