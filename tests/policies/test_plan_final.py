"""The plan's decision is final: exploration and session stickiness happen inside the pure plan(),
from inputs the router reads, and the decision carries the session pin to store."""

from __future__ import annotations

import random

from policies.plan import Exploring, Session, plan
from policies.routing import Needs
from policies.rules import RuleSet
from policies.stickiness import Pin
from policies.tuning import Objective
from tests.policies.test_rules import TABLE, facts


def test_a_session_sticks_to_its_pin_and_the_decision_carries_the_pin():
    d, _ = plan(facts(category="prose"), Needs(), TABLE, RuleSet(), {}, session=Session("s1", Pin("local", 1)))
    assert d.chain == ["local", "flash"] and "session sticks to local" in d.reason
    assert d.pin == Pin("local", 1) and d.session == "s1"
    d, _ = plan(facts(category="prose"), Needs(), TABLE, RuleSet(), {}, session=Session("s1", None))
    assert d.chain == ["flash", "local"] and d.pin == Pin("flash", 1)  # a new session is pinned to the head
    d, _ = plan(facts(category="prose"), Needs(), TABLE, RuleSet(), {}, session=Session("s1", Pin("local", 1), True))
    assert d.chain == ["flash", "local"] and d.pin == Pin("flash", 1) and "failed recently" in d.reason
    d, _ = plan(facts(category="prose"), Needs(), TABLE, RuleSet(), {})
    assert d.pin is None  # no session, nothing to pin


def test_a_cooling_pinned_backend_is_not_stuck_to():
    d, _ = plan(
        facts(category="prose"), Needs(), TABLE, RuleSet(), {"local": 5.0}, session=Session("s1", Pin("local", 1))
    )
    assert d.chain == ["flash"] and d.pin == Pin("flash", 1) and "cannot serve" in d.reason


def test_a_named_backend_is_neither_explored_nor_pinned():
    explore = Exploring({}, Objective(), 0.5, 0.5, random.Random(1))
    d, _ = plan(facts(model="big"), Needs(), TABLE, RuleSet(), {}, session=Session("s1", None), exploring=explore)
    assert d.chain == ["pro"] and d.pin is None and d.probability == 1.0


def test_exploration_moves_the_head_records_its_probability_and_is_pinned():
    seen = {}
    for seed in range(40):
        explore = Exploring({}, Objective(), 0.5, 0.5, random.Random(seed))
        d, _ = plan(
            facts(category="prose"), Needs(), TABLE, RuleSet(), {}, session=Session("s1", None), exploring=explore
        )
        assert d.pin == Pin(d.chain[0], 1) and sorted(d.chain) == ["flash", "local"]
        seen[d.chain[0]] = d
    assert set(seen) == {"flash", "local"}
    assert "exploring local" in seen["local"].reason and 0 < seen["local"].probability < 0.5
    assert seen["flash"].probability > 0.5
    # a pinned session is not explored
    explore = Exploring({}, Objective(), 0.5, 0.5, random.Random(0))
    for _ in range(20):
        d, _ = plan(
            facts(category="prose"),
            Needs(),
            TABLE,
            RuleSet(),
            {},
            session=Session("s1", Pin("flash", 1)),
            exploring=explore,
        )
        assert d.chain[0] == "flash" and d.probability == 1.0
