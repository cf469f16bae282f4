"""Counterfactual evaluation by inverse propensity scoring: what a candidate policy would have earned
on the logged traffic, using the probability the logging policy gave each chosen backend."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .estimates import Observation
from .objective import Objective


@dataclass(slots=True, frozen=True)
class IPSResult:
    value: float | None  # self-normalised IPS estimate of the mean utility per request
    raw: float | None  # plain IPS (unbiased, higher variance)
    matched: int  # logged requests where the candidate agrees with what was served
    n: int


def ips(
    observations: Iterable[Observation], policy: Callable[[str, str], str | None], objective: Objective
) -> IPSResult:
    """`policy(category, difficulty)` names the backend a candidate would choose."""
    num = den = 0.0
    n = matched = 0
    for o in observations:
        if o.quality is None or o.latency_ms is None or not o.probability:
            continue
        n += 1
        if policy(o.category, o.difficulty) != o.backend:
            continue
        matched += 1
        w = 1.0 / o.probability
        num += w * objective.utility(o.quality, o.latency_ms, o.cost_usd or 0.0)
        den += w
    if n == 0:
        return IPSResult(None, None, 0, 0)
    return IPSResult(num / den if den else None, num / n, matched, n)
