"""Tuning from the logs: estimates with confidence intervals, the operator's objective, counterfactual
evaluation (IPS), Thompson-sampling exploration and rule proposals. Pure: the router reads the rows."""

from __future__ import annotations

from .estimates import CellEstimate, Observation, Stat, estimate
from .explore import Posterior, explore_chain, posteriors, thompson
from .ips import IPSResult, ips
from .objective import Objective
from .propose import Change, Proposal, propose, tuned_rules

__all__ = [
    "CellEstimate",
    "Change",
    "IPSResult",
    "Objective",
    "Observation",
    "Posterior",
    "Proposal",
    "Stat",
    "estimate",
    "explore_chain",
    "ips",
    "posteriors",
    "propose",
    "thompson",
    "tuned_rules",
]
