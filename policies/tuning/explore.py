"""Exploration: a small share of traffic is routed by Thompson sampling over the estimated utilities,
and the decision records the probability its backend had, so inverse propensity scoring stays valid.

Sampling respects the quality constraint: each draw samples a backend's utility and its quality, and
a backend whose sampled quality misses `min_quality` cannot win that draw. So a backend that is
probably below the bar is rarely tried, and one that is probably above it is tried until it is sure."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .estimates import Cell, CellEstimate
from .objective import Z_ONE_SIDED, Objective

UNKNOWN_SE = 0.3  # the spread given to a backend a cell has never seen


@dataclass(slots=True, frozen=True)
class Posterior:
    utility: float
    se: float
    quality: float | None = None  # this cell's own quality estimate, for the constraint
    quality_se: float = 0.0


def posteriors(
    estimates: Mapping[Cell, CellEstimate], category: str, difficulty: str, backends: Sequence[str], obj: Objective
) -> dict[str, Posterior]:
    """backend -> posterior for one cell. A backend with no data gets an optimistic prior (the best known
    mean, wide); one whose p95 latency surely breaks the constraint is left out."""
    known: dict[str, Posterior] = {}
    unknown: list[str] = []
    for b in backends:
        est = estimates.get((category, difficulty, b))
        cu = obj.cell_utility(est) if est is not None else None
        if est is None or cu is None:
            unknown.append(b)
            continue
        if obj.max_p95_latency_ms is not None and est.n >= 20 and (est.p95_latency_ms or 0) > obj.max_p95_latency_ms:
            continue
        q = est.quality_raw
        known[b] = Posterior(cu[0], cu[1], q.mean if q else None, q.se if q else 0.0)
    best = max((p.utility for p in known.values()), default=0.5)
    return {**known, **{b: Posterior(best, UNKNOWN_SE) for b in unknown}}


def thompson(
    post: Mapping[str, Posterior],
    default: str,
    share: float,
    rng: random.Random,
    min_quality: float = 0.0,
    draws: int = 256,
) -> tuple[str, float]:
    """With probability `share` pick a backend by Thompson sampling, else `default`. Returns the pick
    and the probability the whole policy gave it (estimated over `draws` posterior samples)."""
    if share <= 0 or not post or (len(post) == 1 and default in post):
        return default, 1.0
    wins: Counter[str] = Counter()
    for _ in range(draws):
        sample = {
            b: rng.gauss(p.utility, p.se)
            for b, p in post.items()
            if p.quality is None or min_quality <= 0 or rng.gauss(p.quality, p.quality_se) >= min_quality
        }
        wins[max(sample, key=sample.__getitem__) if sample else default] += 1
    explore = rng.random() < share
    choice = rng.choices(list(wins), weights=list(wins.values()))[0] if explore else default
    p = (1 - share) * (choice == default) + share * wins[choice] / draws
    return choice, p


def needs_evidence(post: Mapping[str, Posterior], default: str, obj: Objective) -> bool:
    """Whether a backend beats the default on estimated utility while its quality, above the bar on
    average, is not yet above it with confidence."""
    base = post.get(default)
    if base is None:
        return False
    for b, p in post.items():
        if b == default or p.quality is None or p.utility <= base.utility:
            continue
        if p.quality >= obj.min_quality and p.quality - Z_ONE_SIDED * p.quality_se < obj.min_quality:
            return True
    return False


def explore_chain(
    chain: Sequence[str],
    estimates: Mapping[Cell, CellEstimate],
    category: str,
    difficulty: str,
    obj: Objective,
    share: float,
    rng: random.Random,
    boost: float = 0.0,
) -> tuple[list[str], float, str]:
    """The chain with the explored backend first (when exploring), its probability, and why.

    In a cell where another backend already looks better than the default but its quality is not yet
    certain to meet the bar (so the tuner cannot propose it), the share rises to `boost` until it is."""
    if share <= 0 or len(chain) < 2:
        return list(chain), 1.0, ""
    post = posteriors(estimates, category, difficulty, chain, obj)
    if boost > share and needs_evidence(post, chain[0], obj):
        share = boost
    choice, p = thompson(post, chain[0], share, rng, obj.min_quality)
    if choice == chain[0]:
        return list(chain), p, ""
    return [choice, *[b for b in chain if b != choice]], p, f"exploring {choice} (Thompson sampling, p={p:.2f})"
