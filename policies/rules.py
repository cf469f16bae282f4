"""Operator rules: evaluated in order, each a match and an action. Pure: no I/O.

    rules:
      - name: hard-coding-to-cloud
        match: {category: coding, difficulty: [hard]}
        chain: [gemini, local]
      - name: cap-prose
        match: {category: prose}
        set: {max_tokens: 2048, temperature: 0.3}
      - name: no-images-for-interns
        match: {key_id: key_intern, images: true}
        reject: "images are not enabled for this key"

A rule with a `chain` or a `reject` ends the evaluation; a rule with only `set` applies its parameter
overrides and evaluation goes on (the first rule to set a parameter wins). Every field of `match` must
hold for the rule to match; a list means any of its values. `model` takes shell-style globs and sees
the model name the client sent (an alias included)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .classify.types import CATEGORIES, DIFFICULTIES
from .safe_yaml import load_yaml

EFFORTS = ("minimal", "low", "medium", "high")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class TokenRange(_Strict):
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


class Match(_Strict):
    category: list[str] | None = None
    difficulty: list[str] | None = None
    client: list[str] | None = None
    model: list[str] | None = None  # globs over the requested model or alias
    key_id: list[str] | None = None
    prompt_tokens: TokenRange | None = None
    images: bool | None = None
    tools: bool | None = None
    background: bool | None = None  # a coding tool's background call (small model, title generation)
    header: dict[str, str] | None = None  # header name -> exact value ("*": present)
    metadata: dict[str, str] | None = None  # request metadata tag -> exact value ("*": present)

    _lists = field_validator("category", "difficulty", "client", "model", "key_id", mode="before")(_as_list)

    @field_validator("category")
    @classmethod
    def _categories(cls, v: list[str] | None) -> list[str] | None:
        for c in v or []:
            if c not in CATEGORIES:
                raise ValueError(f"unknown category '{c}' (use {', '.join(CATEGORIES)})")
        return v

    @field_validator("difficulty")
    @classmethod
    def _difficulties(cls, v: list[str] | None) -> list[str] | None:
        for d in v or []:
            if d not in DIFFICULTIES:
                raise ValueError(f"unknown difficulty '{d}' (use {', '.join(DIFFICULTIES)})")
        return v


class Overrides(_Strict):
    max_tokens: int | None = Field(default=None, ge=1)  # a cap: lowers what the client asked, never raises it
    temperature: float | None = Field(default=None, ge=0, le=2)
    reasoning_effort: str | None = None

    @field_validator("reasoning_effort")
    @classmethod
    def _effort(cls, v: str | None) -> str | None:
        if v is not None and v not in EFFORTS:
            raise ValueError(f"unknown reasoning effort '{v}' (use {', '.join(EFFORTS)})")
        return v


class Rule(_Strict):
    name: str = Field(min_length=1, max_length=100)
    match: Match = Field(default_factory=Match)
    chain: list[str] | None = None
    set: Overrides | None = None
    reject: str | None = None
    comment: str | None = None

    @model_validator(mode="after")
    def _one_action(self) -> Rule:
        if self.reject is not None and self.chain is not None:
            raise ValueError("a rule either rejects or gives a chain, not both")
        if self.reject is None and self.chain is None and self.set is None:
            raise ValueError("a rule needs an action: chain, set or reject")
        if self.chain is not None and not self.chain:
            raise ValueError("chain must name at least one backend")
        return self


class RulesDoc(_Strict):
    rules: list[Rule] = Field(default_factory=list)


@dataclass(slots=True, frozen=True)
class RuleSet:
    rules: tuple[Rule, ...] = ()

    def to_yaml(self) -> str:
        return dump_rules(self.rules)


@dataclass(slots=True)
class Facts:
    """What rules may look at, gathered from the request, its classification, headers and key."""

    category: str
    difficulty: str = "medium"
    client: str | None = None
    model: str = "auto"
    prompt_tokens: int = 0
    images: bool = False
    tools: bool = False
    background: bool = False
    key_id: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Outcome:
    """The result of evaluating rules: the rule that chose a chain (or rejected), and the overrides."""

    rule: Rule | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    set_by: list[str] = field(default_factory=list)  # names of the rules whose overrides apply


# ---- parsing and validation ---------------------------------------------------------------------


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_rules(data: Any, backends: Sequence[str]) -> tuple[RuleSet, list[str]]:
    """Validate a `{"rules": [...]}` document (or a bare list). Returns the rules and every error, each
    with its path (`rules[2].chain[0]: unknown backend 'x'`); the rules are empty when there are errors."""
    if data is None:
        data = {}
    if isinstance(data, list):
        data = {"rules": data}
    if not isinstance(data, dict):
        return RuleSet(), ["the top level must be a mapping with a `rules:` list"]
    errors = _reference_errors(data.get("rules"), set(backends))
    try:
        doc = RulesDoc.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "list[")))]
            msg = err["msg"].removeprefix("Value error, ")
            errors.append(f"{_path(loc)}: {msg}" if loc else msg)
        return RuleSet(), sorted(errors, key=_order)
    for i, rule in enumerate(doc.rules):
        tr = rule.match.prompt_tokens
        if tr is not None and tr.min is not None and tr.max is not None and tr.min > tr.max:
            errors.append(f"rules[{i}].match.prompt_tokens: min is above max")
    if errors:
        return RuleSet(), sorted(errors, key=_order)
    return RuleSet(tuple(doc.rules)), []


def _order(error: str) -> tuple[int, str]:
    head = error.split("]", 1)[0]
    return (int(head[6:]) if head.startswith("rules[") and head[6:].isdigit() else -1, "")


def _reference_errors(rules: Any, known: set[str]) -> list[str]:
    """Unknown backends and duplicate names, checked on the raw data so they are reported together with
    every other error."""
    errors: list[str] = []
    seen: set[str] = set()
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, dict):
            continue
        name = rule.get("name")
        if isinstance(name, str):
            if name in seen:
                errors.append(f"rules[{i}].name: duplicate rule name '{name}'")
            seen.add(name)
        chain = rule.get("chain")
        for j, b in enumerate(chain if isinstance(chain, list) else []):
            if isinstance(b, str) and b not in known:
                errors.append(f"rules[{i}].chain[{j}]: unknown backend '{b}'")
    return errors


def parse_rules_yaml(text: str, backends: Sequence[str]) -> tuple[RuleSet, list[str]]:
    try:
        data = load_yaml(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        return RuleSet(), [f"not valid YAML: {exc}"]
    return parse_rules(data, backends)


def dump_rules(rules: Sequence[Rule]) -> str:
    doc = {"rules": [r.model_dump(exclude_none=True, exclude_defaults=True) for r in rules]}
    for r, d in zip(rules, doc["rules"], strict=True):
        d.setdefault("match", {})
        d["name"] = r.name
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=120)


# ---- evaluation ---------------------------------------------------------------------------------


def _tag_ok(want: Mapping[str, str] | None, have: Mapping[str, Any]) -> bool:
    for k, v in (want or {}).items():
        got = have.get(k)
        if got is None or (v != "*" and str(got) != v):
            return False
    return True


def matches(m: Match, f: Facts) -> bool:
    if m.category is not None and f.category not in m.category:
        return False
    if m.difficulty is not None and f.difficulty not in m.difficulty:
        return False
    if m.client is not None and f.client not in m.client:
        return False
    if m.model is not None and not any(fnmatchcase(f.model.lower(), g.lower()) for g in m.model):
        return False
    if m.key_id is not None and f.key_id not in m.key_id:
        return False
    if m.prompt_tokens is not None:
        lo, hi = m.prompt_tokens.min, m.prompt_tokens.max
        if (lo is not None and f.prompt_tokens < lo) or (hi is not None and f.prompt_tokens > hi):
            return False
    for want, have in ((m.images, f.images), (m.tools, f.tools), (m.background, f.background)):
        if want is not None and want != have:
            return False
    headers = {k.lower(): v for k, v in f.headers.items()}
    header_want = {k.lower(): v for k, v in (m.header or {}).items()}
    return _tag_ok(header_want, headers) and _tag_ok(m.metadata, f.metadata)


def evaluate(rules: RuleSet, facts: Facts, usable: set[str] | None = None) -> tuple[Outcome, dict[str, str]]:
    """The first matching rule with a chain or reject, and the overrides of the `set` rules before it.

    `usable` are the backends the capability gates and cooldowns left; a chain rule whose chain has none
    of them is passed over (returned in the second value, rule name -> why) so later rules can serve."""
    out = Outcome()
    passed: dict[str, str] = {}
    for rule in rules.rules:
        if not matches(rule.match, facts):
            continue
        if rule.set is not None:
            added = False
            for k, v in rule.set.model_dump(exclude_none=True).items():
                if k not in out.overrides:
                    out.overrides[k] = v
                    added = True
            if added:
                out.set_by.append(rule.name)
        if rule.reject is not None:
            out.rule = rule
            return out, passed
        if rule.chain is not None:
            if usable is not None and not any(b in usable for b in rule.chain):
                passed[rule.name] = "no backend of its chain can serve this request now"
                continue
            out.rule = rule
            return out, passed
    return out, passed


# ---- background calls ---------------------------------------------------------------------------

SMALL_MODELS = ("claude-haiku*", "claude-3-haiku*", "claude-3-5-haiku*", "*-mini", "*-mini-*", "*-nano", "*-nano-*")
TITLE_HINTS = (
    "title generator",
    "generate a title",
    "generate a brief title",
    "write a 5-10 word title",
    "generate a concise",
    "summarize this coding conversation",
    "thread title",
)


def is_background(model: str, system_text: str) -> bool:
    """A coding tool's background call: a haiku-class or small model, or a title-generation prompt.
    Such calls go to the fast route when the operator configures one (`routes.fast`)."""
    name = model.lower().rsplit("/", 1)[-1]
    if any(fnmatchcase(name, g) for g in SMALL_MODELS):
        return True
    head = system_text[:2000].lower()
    return any(h in head for h in TITLE_HINTS)
