"""Rules: parsing with error paths, matching on every field, evaluation order, and the routing plan
(gates before rules, routes after them, cooldowns, overrides, the fast route for background calls)."""

from __future__ import annotations

import pytest

from backends.contract import CanonicalRequest, Capabilities, Message, TextPart
from backends.errors import InvalidRequest, NoBackendAvailable
from backends.openai_format import chat_body
from policies.plan import apply_overrides, plan
from policies.routing import Needs, RoutingTable
from policies.rules import Facts, RuleSet, evaluate, is_background, parse_rules_yaml

BACKENDS = ["local", "flash", "pro"]
TABLE = RoutingTable(
    backends={
        "local": Capabilities(vision=False, tools=True, context_window=8192),
        "flash": Capabilities(vision=True, tools=True, context_window=1_000_000),
        "pro": Capabilities(vision=True, tools=True, context_window=1_000_000),
    },
    routes={"default": ["local", "flash"], "prose": ["flash", "local"], "fast": ["local"]},
    aliases={"smart": "auto", "big": "pro"},
)

YAML = """
rules:
  - name: intern-no-images
    match: {key_id: key_intern, images: true}
    reject: images are not enabled for this key
  - name: cap-prose
    match: {category: prose}
    set: {max_tokens: 256, temperature: 0.2}
  - name: hard-coding
    match: {category: coding, difficulty: [hard]}
    chain: [pro, flash]
  - name: haiku
    match: {model: "claude-haiku-*"}
    chain: [local]
  - name: team-header
    match: {header: {X-Team: infra}, metadata: {project: "*"}}
    chain: [flash]
  - name: long-prompts
    match: {prompt_tokens: {min: 6000}}
    chain: [local, pro]
  - name: tools-from-claude
    match: {client: [claude-code], tools: true}
    chain: [flash]
"""


def rules() -> RuleSet:
    rs, errors = parse_rules_yaml(YAML, BACKENDS)
    assert errors == []
    return rs


def facts(**kw: object) -> Facts:
    base: dict[str, object] = {"category": "coding", "difficulty": "medium"}
    base.update(kw)
    return Facts(**base)  # type: ignore[arg-type]


def test_parse_errors_name_their_paths():
    text = """
rules:
  - name: a
    match: {category: [coding, poetry], difficulty: extreme}
    chain: [local, nowhere]
  - name: a
    chain: [pro]
    reject: nope
  - name: c
    match: {colour: red}
    set: {temperature: 9, reasoning_effort: huge}
"""
    _, errors = parse_rules_yaml(text, BACKENDS)
    joined = "\n".join(errors)
    assert "rules[0].match.category" in joined and "poetry" in joined
    assert "rules[0].match.difficulty" in joined
    assert "rules[1]: a rule either rejects or gives a chain" in joined
    assert "rules[2].match.colour" in joined
    assert "rules[2].set.temperature" in joined and "rules[2].set.reasoning_effort" in joined
    _, errors = parse_rules_yaml(
        "rules:\n  - name: a\n    chain: [local, nowhere]\n  - name: a\n    chain: [pro]\n", BACKENDS
    )
    assert errors == ["rules[0].chain[1]: unknown backend 'nowhere'", "rules[1].name: duplicate rule name 'a'"]
    assert parse_rules_yaml("rules: [", BACKENDS)[1][0].startswith("not valid YAML")
    assert parse_rules_yaml("- 3", BACKENDS)[1]
    assert parse_rules_yaml("", BACKENDS) == (RuleSet(), [])


def test_yaml_round_trip():
    rs = rules()
    again, errors = parse_rules_yaml(rs.to_yaml(), BACKENDS)
    assert errors == [] and again == rs


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"category": "coding", "difficulty": "hard"}, "hard-coding"),
        ({"category": "coding", "difficulty": "easy"}, None),
        ({"model": "claude-haiku-4-5"}, "haiku"),
        ({"model": "CLAUDE-HAIKU-4-5"}, "haiku"),
        ({"headers": {"x-team": "infra"}, "metadata": {"project": "p1"}}, "team-header"),
        ({"headers": {"x-team": "infra"}}, None),
        ({"headers": {"x-team": "web"}, "metadata": {"project": "p1"}}, None),
        ({"prompt_tokens": 6000}, "long-prompts"),
        ({"prompt_tokens": 5999}, None),
        ({"client": "claude-code", "tools": True}, "tools-from-claude"),
        ({"client": "claude-code", "tools": False}, None),
        ({"client": "codex", "tools": True}, None),
    ],
)
def test_first_matching_rule(kw, expected):
    out, _ = evaluate(rules(), facts(**kw))
    assert (out.rule.name if out.rule else None) == expected


def test_set_rules_accumulate_and_first_setter_wins():
    text = """
rules:
  - {name: one, match: {category: prose}, set: {max_tokens: 100}}
  - {name: two, set: {max_tokens: 50, temperature: 0.5}}
  - {name: route, match: {category: prose}, chain: [flash]}
  - {name: late, set: {reasoning_effort: high}}
"""
    rs, errors = parse_rules_yaml(text, BACKENDS)
    assert not errors
    out, _ = evaluate(rs, facts(category="prose"))
    assert out.rule is not None and out.rule.name == "route"
    assert out.overrides == {"max_tokens": 100, "temperature": 0.5} and out.set_by == ["one", "two"]


def test_reject_rule_raises_with_its_message():
    with pytest.raises(InvalidRequest, match="images are not enabled"):
        plan(facts(category="vision", images=True, key_id="key_intern"), Needs(vision=True), TABLE, rules(), {})
    d, _ = plan(facts(category="vision", images=True, key_id="key_other"), Needs(vision=True), TABLE, rules(), {})
    assert d.chain == ["flash"] and d.rule == "route:default"
    assert d.skipped == {"local": "cannot serve images (vision)"}


def test_gates_before_rules_and_routes_after():
    # the long-prompts rule chains local first, but local's context window is too small: gated out
    d, _ = plan(facts(prompt_tokens=9000), Needs(prompt_tokens=9000), TABLE, rules(), {})
    assert d.rule == "rule:long-prompts" and d.chain == ["pro"] and "local" in d.skipped
    # haiku's chain is only local, which cannot take images: the rule is passed over, routes decide
    d, _ = plan(facts(model="claude-haiku-4", images=True), Needs(vision=True), TABLE, rules(), {})
    assert d.rule == "route:default" and d.chain == ["flash"] and "rule haiku passed over" in d.reason
    with pytest.raises(NoBackendAvailable, match="fill-in-the-middle"):
        plan(facts(), Needs(fim=True), TABLE, rules(), {})


def test_explicit_backend_beats_chain_rules_but_not_overrides():
    d, over = plan(facts(category="prose", model="big"), Needs(), TABLE, rules(), {"pro": 10.0})
    assert d.chain == ["pro"] and d.rule == "model:big"  # explicit: no cooldown skip either
    assert over == {"max_tokens": 256, "temperature": 0.2}


def test_cooldowns_skip_but_never_empty_the_chain():
    d, _ = plan(facts(category="coding", difficulty="hard"), Needs(), TABLE, rules(), {"pro": 12.0})
    assert d.chain == ["flash"] and "cooling down" in d.skipped["pro"]
    d, _ = plan(facts(category="coding", difficulty="hard"), Needs(), TABLE, rules(), {"pro": 3.0, "flash": 3.0})
    assert d.chain == ["pro", "flash"]


def test_background_calls_take_the_fast_route():
    assert is_background("claude-haiku-4-5", "")
    assert is_background("gpt-4o-mini", "")
    assert is_background("anthropic/claude-3-5-haiku-latest", "")
    assert is_background("my-router-model", "You are a title generator. You output ONLY a thread title.")
    assert not is_background("claude-opus-4-8", "You are Claude Code")
    d, _ = plan(facts(category="prose", model="gpt-4o-mini", background=True), Needs(), TABLE, RuleSet(), {})
    assert d.rule == "route:fast" and d.chain == ["local"] and "background" in d.reason
    table = RoutingTable(TABLE.backends, {"default": ["flash"]}, {})
    d, _ = plan(facts(category="prose", background=True), Needs(), table, RuleSet(), {})
    assert d.rule == "route:default"


def test_overrides_cap_but_never_raise_max_tokens():
    req = CanonicalRequest(
        model="auto",
        messages=[Message("user", [TextPart("hi")])],
        max_tokens=100,
    )
    apply_overrides(req, {"max_tokens": 500, "temperature": 0.1, "reasoning_effort": "low"})
    assert req.max_tokens == 100 and req.temperature == 0.1 and req.reasoning_effort == "low"
    assert chat_body(req, "m", stream=False)["reasoning_effort"] == "low"  # what an upstream gets
    req.max_tokens = None
    apply_overrides(req, {"max_tokens": 500})
    assert req.max_tokens == 500
