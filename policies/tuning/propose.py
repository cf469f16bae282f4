"""Proposals: for each (category, difficulty) cell the backend the logs say serves the operator's
objective best within the constraints, compared with what the current rules choose; confident
improvements become rules (`tuned-<category>-<difficulty>`), each proposal with its predicted effect,
its confidence and its counterfactual (IPS) value on the logs."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from policies.rules import Match, Rule, RuleSet, dump_rules

from .estimates import Cell, CellEstimate, Observation, estimate
from .ips import ips
from .objective import Objective

CellKey = tuple[str, str]  # (category, difficulty)


def phi(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


@dataclass(slots=True)
class Change:
    category: str
    difficulty: str
    current: str
    proposed: str
    delta_utility: float
    confidence: float
    share: float  # of the traffic

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "difficulty": self.difficulty,
            "from": self.current,
            "to": self.proposed,
            "delta_utility": round(self.delta_utility, 4),
            "confidence": round(self.confidence, 3),
            "share": round(self.share, 4),
        }


@dataclass(slots=True)
class Proposal:
    id: str
    description: str
    predicted: dict[str, float | None]
    confidence: float
    yaml: str
    changes: list[Change] = field(default_factory=list)
    ips: dict[str, Any] | None = None
    assignment: dict[CellKey, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "description": self.description,
            "predicted": self.predicted,
            "confidence": round(self.confidence, 3),
            "yaml": self.yaml,
            "changes": [c.as_dict() for c in self.changes],
            "ips": self.ips,
        }


def _violates(est: CellEstimate, obj: Objective) -> float:
    """How sure we are that a cell breaks a constraint (0 when its estimates meet them)."""
    p = 0.0
    q = est.quality_raw
    if obj.min_quality > 0 and q is not None and q.mean < obj.min_quality:
        p = max(p, phi((obj.min_quality - q.mean) / max(q.se, 1e-9)))
    if obj.max_p95_latency_ms is not None and (est.p95_latency_ms or 0) > obj.max_p95_latency_ms:
        p = max(p, 0.9)
    return p


def best_changes(
    estimates: Mapping[Cell, CellEstimate],
    traffic: Mapping[CellKey, float],
    current: Mapping[CellKey, Sequence[str]],
    obj: Objective,
    min_samples: int,
) -> list[Change]:
    changes = []
    for (cat, diff), share in traffic.items():
        chain = current.get((cat, diff)) or []
        if not chain:
            continue
        cur = chain[0]
        cands = {}
        for (c, d, b), est in estimates.items():
            if (c, d) == (cat, diff) and est.n >= min_samples and obj.feasible(est):
                cu = obj.cell_utility(est)
                if cu is not None:
                    cands[b] = cu
        if not cands:
            continue
        best = max(cands, key=lambda b: cands[b][0])
        if best == cur:
            continue
        cur_est = estimates.get((cat, diff, cur))
        cur_u = obj.cell_utility(cur_est) if cur_est is not None else None
        u_best, se_best = cands[best]
        if cur_u is None:
            delta, conf = 0.0, 0.5
        else:
            delta = u_best - cur_u[0]
            conf = phi(delta / max(math.hypot(se_best, cur_u[1]), 1e-9))
        forced = _violates(cur_est, obj) if cur_est is not None else 0.0
        if delta <= 0 and forced == 0.0:
            continue
        changes.append(Change(cat, diff, cur, best, delta, max(conf, forced), share))
    return sorted(changes, key=lambda c: -c.delta_utility * c.share)


def tuned_rules(rules: RuleSet, changes: Sequence[Change], current: Mapping[CellKey, Sequence[str]]) -> RuleSet:
    """The rules with one `tuned-<category>-<difficulty>` rule per change, placed before the first rule
    that gives a chain (leading reject and set rules keep their place); older tuned rules for the same
    cells are replaced."""
    names = {f"tuned-{c.category}-{c.difficulty}" for c in changes}
    kept = [r for r in rules.rules if r.name not in names]
    new = [
        Rule(
            name=f"tuned-{c.category}-{c.difficulty}",
            match=Match(category=[c.category], difficulty=[c.difficulty], background=False),
            chain=[c.proposed, *[b for b in current.get((c.category, c.difficulty), []) if b != c.proposed]],
            comment=f"switchpoint tune: {c.current} -> {c.proposed}, +{c.delta_utility:.3f} utility",
        )
        for c in changes
    ]
    at = next((i for i, r in enumerate(kept) if r.chain is not None), len(kept))
    return RuleSet(tuple(kept[:at] + new + kept[at:]))


def predict(
    estimates: Mapping[Cell, CellEstimate],
    traffic: Mapping[CellKey, float],
    assign: Mapping[CellKey, str],
    obj: Objective,
) -> dict[str, float | None]:
    """Traffic-weighted utility, quality and cost of a policy, and the p95 latency of its mixture."""
    u = q = cost = w_known = 0.0
    samples: list[tuple[float, float]] = []
    for cell, share in traffic.items():
        b = assign.get(cell)
        est = estimates.get((*cell, b)) if b else None
        if est is None or (cu := obj.cell_utility(est)) is None or est.quality is None:
            continue
        w_known += share
        u += share * cu[0]
        q += share * est.quality.mean
        cost += share * (est.cost_usd.mean if est.cost_usd else 0.0)
        samples += [(v, share / len(est.latencies)) for v in est.latencies]
    if w_known == 0:
        return {"utility": None, "quality": None, "p95_latency_ms": None, "cost_usd": None}
    samples.sort()
    total, acc, p95 = sum(w for _, w in samples), 0.0, None
    for v, w in samples:
        acc += w
        if acc >= 0.95 * total:
            p95 = v
            break
    return {
        "utility": round(u / w_known, 4),
        "quality": round(q / w_known, 4),
        "p95_latency_ms": round(p95, 1) if p95 is not None else None,
        "cost_usd": round(cost / w_known, 6),
    }


def propose(
    observations: Sequence[Observation],
    current: Mapping[CellKey, Sequence[str]],
    rules: RuleSet,
    obj: Objective,
    *,
    min_samples: int = 10,
    min_confidence: float = 0.8,
    max_single: int = 5,
) -> list[Proposal]:
    """Proposals, best first: all confident changes together, then each of the largest alone.
    `current` maps each (category, difficulty) to the chain the current rules give it."""
    estimates = estimate(observations)
    counts = Counter((o.category, o.difficulty) for o in observations)
    total = sum(counts.values()) or 1
    traffic = {k: v / total for k, v in counts.items()}
    changes = [c for c in best_changes(estimates, traffic, current, obj, min_samples) if c.confidence >= min_confidence]
    base = {k: chain[0] for k, chain in current.items() if chain}
    groups: list[tuple[str, list[Change]]] = []
    if len(changes) > 1:
        groups.append((f"apply all {len(changes)} changes", changes))
    groups += [(f"{c.category}/{c.difficulty}: {c.current} -> {c.proposed}", [c]) for c in changes[:max_single]]
    base_ips = ips(observations, lambda c, d: base.get((c, d)), obj)
    out = []
    for description, group in groups:
        assign = {**base, **{(c.category, c.difficulty): c.proposed for c in group}}
        text = dump_rules(tuned_rules(rules, group, current).rules)
        cand_ips = ips(observations, lambda c, d, a=assign: a.get((c, d)), obj)  # type: ignore[misc]
        out.append(
            Proposal(
                id=hashlib.sha256(text.encode()).hexdigest()[:12],
                description=description,
                predicted=predict(estimates, traffic, assign, obj),
                confidence=min(c.confidence for c in group),
                yaml=text,
                changes=list(group),
                ips={"value": cand_ips.value, "current": base_ips.value, "matched": cand_ips.matched, "n": cand_ips.n},
                assignment=assign,
            )
        )
    return out
