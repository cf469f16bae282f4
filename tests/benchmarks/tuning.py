"""Simulation benchmark for routing that learns.

Synthetic backends with known quality and speed per category and difficulty serve traffic from a
known category mix. `local` decodes with an MTP drafter, so its speed depends on the category: coding
drafts are accepted far more often than prose drafts. The tuner sees only what the gateway would log
(latency, cost, a noisy quality score for most requests, the probability the policy gave the backend)
and runs the same code as `switchpoint tune`: estimates -> proposals -> a new rule version, validated
and routed by the router's own plan(). A small share of traffic explores by Thompson sampling.

Targets: the deployed policy reaches >= 95% of the oracle policy's utility within 2,000 requests, and
no proposal ever breaks a constraint (judged on the true parameters). Prints regret curves; the last
line is one JSON object.

    python -m tests.benchmarks.tuning [--requests 2000] [--seeds 5] [--explore 0.15]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
from dataclasses import dataclass

from backends.contract import Capabilities
from policies.plan import plan
from policies.routing import Needs, RoutingTable
from policies.rules import Facts, RuleSet, parse_rules_yaml
from policies.tuning import Objective, Observation, estimate, explore_chain, propose
from router.tuning import current_chains

CATEGORY_MIX = {"coding": 0.4, "tool_calling": 0.2, "prose": 0.3, "vision": 0.1}
DIFFICULTY_MIX = {"easy": 0.4, "medium": 0.4, "hard": 0.2}
DIFF_INDEX = {"easy": 0, "medium": 1, "hard": 2}
OUT_TOKENS = {"coding": 400, "tool_calling": 80, "prose": 600, "vision": 200}
IN_TOKENS = {"coding": 6000, "tool_calling": 2000, "prose": 800, "vision": 1500}
LENGTH = {"easy": 0.6, "medium": 1.0, "hard": 1.8}
# true quality (easy, medium, hard)
QUALITY = {
    "local": {"coding": (0.88, 0.81, 0.64), "tool_calling": (0.84, 0.74, 0.52), "prose": (0.82, 0.74, 0.55)},
    "flash": {
        "coding": (0.87, 0.81, 0.72),
        "tool_calling": (0.88, 0.83, 0.70),
        "prose": (0.85, 0.80, 0.72),
        "vision": (0.80, 0.75, 0.62),
    },
    "pro": {
        "coding": (0.92, 0.90, 0.86),
        "tool_calling": (0.92, 0.90, 0.85),
        "prose": (0.90, 0.88, 0.85),
        "vision": (0.90, 0.88, 0.84),
    },
}
# MTP: draft acceptance per category; 3 drafted tokens per step
ACCEPT = {"coding": 0.8, "tool_calling": 0.7, "prose": 0.35}
TTFT_S = {"local": 0.15, "flash": 0.4, "pro": 1.2}
PRICE = {"local": (0.0, 0.0), "flash": (0.3, 2.5), "pro": (1.25, 10.0)}  # $ per M tokens in, out
SIGMA = 0.35  # lognormal latency noise
P95_FACTOR = math.exp(1.645 * SIGMA)
QUALITY_NOISE = 0.10
SIGNAL_SHARE = 0.7  # requests that get a quality score (feedback or judge)
OBJECTIVE = Objective(w_quality=1.0, w_latency=0.05, w_cost=0.1, min_quality=0.65, max_p95_latency_ms=30_000)
CAPS = {
    "local": Capabilities(vision=False, tools=True, context_window=32_768),
    "flash": Capabilities(vision=True, tools=True, context_window=1_000_000),
    "pro": Capabilities(vision=True, tools=True, context_window=1_000_000),
}
TABLE = RoutingTable(backends=CAPS, routes={"default": ["pro", "flash", "local"]}, aliases={})
CELLS = [(c, d) for c in CATEGORY_MIX for d in DIFFICULTY_MIX]


def tps(backend: str, category: str) -> float:
    if backend == "local":
        a = ACCEPT[category]
        return 60.0 * (1 - a**4) / (1 - a)  # expected tokens per target pass with 3 drafts
    return {"flash": 150.0, "pro": 70.0}[backend]


@dataclass(frozen=True)
class Truth:
    quality: float
    median_latency_s: float
    cost_usd: float

    @property
    def p95_ms(self) -> float:
        return self.median_latency_s * P95_FACTOR * 1000

    @property
    def mean_latency_s(self) -> float:
        return self.median_latency_s * math.exp(SIGMA**2 / 2)

    def utility(self) -> float:
        return OBJECTIVE.utility(self.quality, self.mean_latency_s * 1000, self.cost_usd)

    def feasible(self) -> bool:
        return self.quality >= OBJECTIVE.min_quality and self.p95_ms <= (OBJECTIVE.max_p95_latency_ms or math.inf)


def truth(cat: str, diff: str, backend: str) -> Truth | None:
    if cat not in QUALITY[backend]:
        return None
    out = OUT_TOKENS[cat] * LENGTH[diff]
    p_in, p_out = PRICE[backend]
    return Truth(
        QUALITY[backend][cat][DIFF_INDEX[diff]],
        TTFT_S[backend] + out / tps(backend, cat),
        (IN_TOKENS[cat] * p_in + out * p_out) / 1e6,
    )


def oracle() -> dict[tuple[str, str], str]:
    best = {}
    for cat, diff in CELLS:
        options = [(t.utility(), b) for b in CAPS if (t := truth(cat, diff, b)) is not None and t.feasible()]
        best[(cat, diff)] = max(options)[1]
    return best


def policy_value(assign: dict[tuple[str, str], str]) -> tuple[float, int]:
    """True expected utility per request of a deterministic policy, and how many cells break a constraint."""
    value, broken = 0.0, 0
    for cat, diff in CELLS:
        t = truth(cat, diff, assign[(cat, diff)])
        assert t is not None
        value += CATEGORY_MIX[cat] * DIFFICULTY_MIX[diff] * t.utility()
        broken += not t.feasible()
    return value, broken


def deployed(rules: RuleSet) -> dict[tuple[str, str], str]:
    return {cell: chain[0] for cell, chain in current_chains(TABLE, rules).items()}


def run(seed: int, n_requests: int, explore: float, every: int, boost: float = 0.0) -> dict[str, object]:
    rng = random.Random(seed)
    rules = RuleSet()
    best = oracle()
    u_oracle, _ = policy_value(best)
    obs: list[Observation] = []
    estimates = estimate(obs)
    regret_served = 0.0
    violations = proposals_seen = applied = explored = 0
    curve = []
    cats, cat_w = list(CATEGORY_MIX), list(CATEGORY_MIX.values())
    diffs, diff_w = list(DIFFICULTY_MIX), list(DIFFICULTY_MIX.values())
    for t in range(1, n_requests + 1):
        cat, diff = rng.choices(cats, cat_w)[0], rng.choices(diffs, diff_w)[0]
        facts = Facts(category=cat, difficulty=diff, images=cat == "vision", tools=cat == "tool_calling")
        decision, _ = plan(facts, Needs(vision=facts.images, tools=facts.tools), TABLE, rules, {})
        chain, p, _ = explore_chain(decision.chain, estimates, cat, diff, OBJECTIVE, explore, rng, boost)
        backend = chain[0]
        explored += backend != decision.chain[0]
        tr = truth(cat, diff, backend)
        assert tr is not None
        latency = tr.median_latency_s * math.exp(rng.gauss(0, SIGMA)) * 1000
        quality = None
        if rng.random() < SIGNAL_SHARE:
            quality = min(1.0, max(0.0, tr.quality + rng.gauss(0, QUALITY_NOISE)))
        obs.append(Observation(cat, diff, backend, quality, latency, cost_usd=tr.cost_usd, probability=p))
        best_t = truth(cat, diff, best[(cat, diff)])
        assert best_t is not None
        regret_served += best_t.utility() - tr.utility()
        if t % 50 == 0:
            estimates = estimate(obs)
        if t % every == 0:
            props = propose(obs, current_chains(TABLE, rules), rules, OBJECTIVE)
            for prop in props:
                proposals_seen += 1
                violations += policy_value({**deployed(rules), **prop.assignment})[1] > 0
            if props:
                new_rules, errors = parse_rules_yaml(props[0].yaml, list(CAPS))
                assert not errors, errors
                rules, applied = new_rules, applied + 1
        if t % 100 == 0:
            value, _ = policy_value(deployed(rules))
            curve.append((t, value / u_oracle, regret_served / t))
    value, broken = policy_value(deployed(rules))
    return {
        "seed": seed,
        "curve": curve,
        "utility_vs_oracle": value / u_oracle,
        "constraint_violations": violations,
        "deployed_broken_cells": broken,
        "proposals": proposals_seen,
        "applied": applied,
        "oracle_utility": u_oracle,
        "explored": explored / n_requests,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--explore", type=float, default=0.2)
    ap.add_argument("--every", type=int, default=200, help="run the tuner every N requests")
    ap.add_argument("--boost", type=float, default=0.6, help="exploration share where evidence is missing")
    args = ap.parse_args()
    start, _ = policy_value(deployed(RuleSet()))
    u_oracle, _ = policy_value(oracle())
    print(
        f"oracle utility/request {u_oracle:.4f}; starting policy (everything to pro) {start:.4f} "
        f"= {start / u_oracle:.1%} of oracle"
    )
    print("oracle: " + ", ".join(f"{c}/{d}->{b}" for (c, d), b in oracle().items()))
    runs = [run(seed, args.requests, args.explore, args.every, args.boost) for seed in range(args.seeds)]
    print("\nrequests  policy/oracle (mean, min over seeds)  served regret/request (mean)")
    for i, (t, _, _) in enumerate(runs[0]["curve"]):  # type: ignore[arg-type]
        ratios = [r["curve"][i][1] for r in runs]  # type: ignore[index]
        regrets = [r["curve"][i][2] for r in runs]  # type: ignore[index]
        bar = "#" * int(40 * max(0.0, statistics.mean(ratios)))
        print(f"{t:8d}  {statistics.mean(ratios):6.1%} {min(ratios):6.1%}  {statistics.mean(regrets):8.4f}  {bar}")
    for r in runs:
        print(
            f"seed {r['seed']}: {r['utility_vs_oracle']:.1%} of oracle, {r['applied']} rule versions applied, "
            f"{r['proposals']} proposals, {r['constraint_violations']} broke a constraint"
        )
    ratio = [float(r["utility_vs_oracle"]) for r in runs]  # type: ignore[arg-type]
    result = {
        "utility_vs_oracle": round(statistics.mean(ratio), 4),
        "utility_vs_oracle_min": round(min(ratio), 4),
        "constraint_violations": sum(int(r["constraint_violations"]) for r in runs),  # type: ignore[call-overload]
        "requests": args.requests,
        "seeds": args.seeds,
        "explore_share": args.explore,
        "explored": round(statistics.mean(float(r["explored"]) for r in runs), 4),  # type: ignore[arg-type]
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
