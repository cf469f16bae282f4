"""Tuning: estimates and intervals, the objective and its constraints, IPS, Thompson sampling, and
proposals that become valid rules."""

from __future__ import annotations

import random

from backends.contract import Tool
from policies.quality import request_quality, schema_problems, tool_call_problems
from policies.rules import RuleSet, parse_rules_yaml
from policies.tuning import Objective, Observation, Posterior, estimate, ips, propose, thompson
from policies.tuning.estimates import p95_with_bound

OBJ = Objective(w_quality=1.0, w_latency=0.05, w_cost=0.1, min_quality=0.6, max_p95_latency_ms=20_000)


def world(n: int, rng: random.Random, spec: dict[str, tuple[float, float]], cell=("coding", "easy"), p=None):
    """n observations per backend: spec backend -> (true quality, median latency ms)."""
    out = []
    for b, (q, lat) in spec.items():
        for _ in range(n):
            out.append(
                Observation(
                    cell[0],
                    cell[1],
                    b,
                    min(1, max(0, rng.gauss(q, 0.1))),
                    lat * rng.lognormvariate(0, 0.2),
                    cost_usd=0.0,
                    probability=p,
                )
            )
    return out


def test_intervals_shrink_and_cover():
    rng = random.Random(1)
    small = estimate(world(8, rng, {"a": (0.7, 1000)}))[("coding", "easy", "a")]
    large = estimate(world(400, rng, {"a": (0.7, 1000)}))[("coding", "easy", "a")]
    assert small.quality_raw and large.quality_raw and large.latency_ms
    assert (large.quality_raw.hi - large.quality_raw.lo) < (small.quality_raw.hi - small.quality_raw.lo) / 3
    assert large.quality_raw.lo < 0.7 < large.quality_raw.hi
    assert large.latency_ms.lo < 1000 * 1.03 < large.latency_ms.hi  # lognormal mean = median * e^(s^2/2)
    p95, hi = p95_with_bound([1000.0 * rng.lognormvariate(0, 0.2) for _ in range(200)])
    assert p95 is not None and hi is not None and p95 <= hi < 1600
    assert p95_with_bound([1.0, 2.0])[1] == float("inf")


def test_proposal_moves_to_the_better_backend_and_respects_constraints():
    rng = random.Random(2)
    # fast is better by utility; cheap is best of all by utility but below the quality bar; slow breaks p95
    obs = world(60, rng, {"pro": (0.9, 9000), "fast": (0.85, 1500), "cheap": (0.5, 300), "slow": (0.95, 30000)})
    current = {("coding", "easy"): ["pro", "fast", "cheap", "slow"]}
    [prop] = propose(obs, current, RuleSet(), OBJ)
    assert [(c.current, c.proposed) for c in prop.changes] == [("pro", "fast")]
    assert prop.confidence > 0.95 and prop.predicted["quality"] is not None
    assert 0.8 < prop.predicted["quality"] < 0.9  # type: ignore[operator]
    rules, errors = parse_rules_yaml(prop.yaml, ["pro", "fast", "cheap", "slow"])
    assert not errors and rules.rules[0].name == "tuned-coding-easy" and rules.rules[0].chain[0] == "fast"
    # a backend that breaks a constraint is never proposed, however good its utility looks
    only_bad = world(60, rng, {"pro": (0.9, 9000), "cheap": (0.5, 300)})
    assert propose(only_bad, current, RuleSet(), OBJ) == []


def test_no_proposal_without_enough_evidence():
    rng = random.Random(3)
    obs = world(60, rng, {"pro": (0.9, 9000)}) + world(3, rng, {"fast": (0.95, 500)})
    assert propose(obs, {("coding", "easy"): ["pro", "fast"]}, RuleSet(), OBJ) == []


def test_tuned_rules_keep_leading_rejects_and_replace_older_tuned_rules():
    rng = random.Random(4)
    text = """
rules:
  - {name: block, match: {key_id: k1}, reject: no}
  - {name: tuned-coding-easy, match: {category: coding, difficulty: easy}, chain: [pro]}
  - {name: mine, match: {category: prose}, chain: [pro]}
"""
    base, errors = parse_rules_yaml(text.replace("reject: no", "reject: blocked"), ["pro", "fast"])
    assert not errors
    obs = world(60, rng, {"pro": (0.9, 9000), "fast": (0.88, 1000)})
    [prop] = propose(obs, {("coding", "easy"): ["pro", "fast"]}, base, OBJ)
    rules, _ = parse_rules_yaml(prop.yaml, ["pro", "fast"])
    assert [r.name for r in rules.rules] == ["block", "tuned-coding-easy", "mine"]
    assert rules.rules[1].chain == ["fast", "pro"]


def test_ips_recovers_the_value_of_a_policy_from_logged_propensities():
    rng = random.Random(5)
    obs = []
    for _ in range(4000):  # logging policy: "a" with p=0.8, "b" with p=0.2
        b = "a" if rng.random() < 0.8 else "b"
        q = 0.5 if b == "a" else 0.9
        obs.append(Observation("prose", "easy", b, q, 1000.0, cost_usd=0.0, probability=0.8 if b == "a" else 0.2))
    only_b = ips(obs, lambda c, d: "b", OBJ)
    only_a = ips(obs, lambda c, d: "a", OBJ)
    assert only_b.value is not None and abs(only_b.value - (0.9 - 0.05)) < 1e-9
    assert only_b.raw is not None and abs(only_b.raw - 0.85) < 0.05
    assert only_a.value is not None and abs(only_a.value - 0.45) < 1e-9
    assert ips([], lambda c, d: "a", OBJ).value is None


def test_thompson_probabilities_are_consistent():
    rng = random.Random(6)
    post = {"a": Posterior(0.5, 0.01), "b": Posterior(0.9, 0.01)}
    choice, p = thompson(post, "a", 0.0, rng)
    assert (choice, p) == ("a", 1.0)
    picks = [thompson(post, "a", 0.2, rng) for _ in range(2000)]
    share_b = sum(c == "b" for c, _ in picks) / len(picks)
    assert 0.15 < share_b < 0.25
    assert all(abs(p - (0.2 if c == "b" else 0.8)) < 0.02 for c, p in picks)
    # a backend whose quality is surely under the bar never wins a draw
    post = {"a": Posterior(0.5, 0.01, 0.9, 0.01), "b": Posterior(0.9, 0.01, 0.3, 0.01)}
    assert all(c == "a" for c, _ in (thompson(post, "a", 1.0, rng, min_quality=0.6) for _ in range(200)))


def test_quality_signals():
    schema = {
        "type": "object",
        "required": ["city"],
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}, "unit": {"enum": ["c", "f"]}},
    }
    assert schema_problems({"city": "Oslo", "days": 3}, schema) == []
    assert schema_problems({"days": True}, schema) == [
        "$: 'city' is a required property",
        "$.days: True is not of type 'integer'",
    ]
    assert schema_problems({"city": "x", "unit": "k"}, schema) == ["$.unit: 'k' is not one of ['c', 'f']"]
    tools = [Tool("weather", parameters=schema)]
    assert tool_call_problems([("weather", '{"city": "Oslo"}')], tools) == []
    assert tool_call_problems([("weather", '{"city": ')], tools) == ["weather: arguments are not valid JSON"]
    assert tool_call_problems([("nope", "{}")], tools) == ["nope: not an offered tool"]
    assert request_quality([]) is None


def test_tool_arguments_checked_by_a_full_json_schema_validator():
    """What the hand-written subset ignored: anyOf, oneOf, $ref, bounds, patterns, additionalProperties."""
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "definitions": {"path": {"type": "string", "pattern": "^/"}},
        "properties": {
            "file": {"$ref": "#/definitions/path"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 100},
            "mode": {"anyOf": [{"const": "read"}, {"const": "write"}]},
            "target": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        },
        "required": ["file"],
        "additionalProperties": False,
    }
    assert schema_problems({"file": "/a", "limit": 5, "mode": "read", "target": 3, "tags": ["x"]}, schema) == []
    bad = {"file": "a", "limit": 500, "mode": "delete", "target": 1.5, "tags": ["x", "y", "z"], "extra": 1}
    problems = schema_problems(bad, schema)
    for where in ("$.file", "$.limit", "$.mode", "$.target", "$.tags", "$:"):
        assert any(p.startswith(where) for p in problems), (where, problems)
    assert len(problems) == 6
    # a schema we cannot read never fails a call
    assert schema_problems({"x": 1}, {"type": "object", "properties": {"x": {"$ref": "#/nowhere"}}}) == []
    assert schema_problems({"x": 1}, {"type": 12}) == []
    assert request_quality([("tool_args", 1.0), ("finish_length", 0.3)]) == 0.3
    assert request_quality([("tool_args", 1.0), ("judge", 0.8), ("feedback", 0.0), ("feedback", 1.0)]) == 0.5
    assert request_quality([("judge", 0.8), ("resent", 0.2)]) == 0.8


def test_judge_scores_parse():
    from policies.quality import judge_messages, parse_judge_score

    assert parse_judge_score("Score: 7/10") == 0.7
    assert parse_judge_score("8") == 0.8 and parse_judge_score("0.65") == 0.65
    assert parse_judge_score("4 / 5") == 0.8
    assert parse_judge_score("Score: 12/10") is None and parse_judge_score("excellent") is None
    system, user = judge_messages("coding", "q" * 5000, "answer")
    assert "invented APIs" in system and user.endswith("answer") and len(user) < 4100


def test_exploration_boost_where_a_better_backend_lacks_evidence():
    from policies.tuning.explore import explore_chain, needs_evidence

    obj = Objective(min_quality=0.6)
    unsure = {"pro": Posterior(0.3, 0.01, 0.9, 0.01), "flash": Posterior(0.5, 0.05, 0.66, 0.05)}
    sure = {"pro": Posterior(0.3, 0.01, 0.9, 0.01), "flash": Posterior(0.5, 0.01, 0.8, 0.01)}
    worse = {"pro": Posterior(0.6, 0.01, 0.9, 0.01), "flash": Posterior(0.5, 0.05, 0.66, 0.05)}
    assert needs_evidence(unsure, "pro", obj)
    assert not needs_evidence(sure, "pro", obj) and not needs_evidence(worse, "pro", obj)
    rng = random.Random(8)
    rng_obs = random.Random(9)
    obj = Objective(min_quality=0.8)  # flash looks better than pro, but 3 samples cannot show it clears 0.8
    obs = world(20, rng_obs, {"pro": (0.9, 2000)}) + world(4, rng_obs, {"flash": (0.92, 500)})
    est = estimate(obs)
    plain = [explore_chain(["pro", "flash"], est, "coding", "easy", obj, 0.1, rng)[0][0] for _ in range(400)]
    boosted = [explore_chain(["pro", "flash"], est, "coding", "easy", obj, 0.1, rng, 0.6)[0][0] for _ in range(400)]
    assert plain.count("flash") < 60 < boosted.count("flash")
