"""Quality signals, scored 0..1 (1 best). Pure.

Explicit feedback uses the same scale (thumbs down 0, thumbs up 1; anything between for graded
feedback). A request's quality is the mean of its explicit feedback when it has any, else of its
judge scores, else the worst of its implicit signals, else unknown (None)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from backends.contract import Tool

# Implicit signals and the score each carries.
TOOL_ARGS_OK, TOOL_ARGS_BAD = 1.0, 0.0
FINISH_LENGTH = 0.3  # cut off by max_tokens: often unusable
UPSTREAM_ERROR = 0.0
RESENT = 0.2  # the same prompt again within minutes: the first answer probably did not help

MAX_PROBLEMS = 10


def _where(path: Iterable[Any]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def schema_problems(value: Any, schema: dict[str, Any]) -> list[str]:
    """Where `value` breaks `schema`, by the jsonschema library (the draft the schema names in `$schema`,
    else 2020-12: anyOf, oneOf, $ref, bounds, formats' types and all). A schema that is itself invalid
    or points nowhere never fails a call: a tool we cannot check is not the model's fault. (jsonschema is
    imported here, by the first tool call checked: a gateway that never sees one does not load it.)"""
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import Draft202012Validator, validator_for
    from referencing.exceptions import Unresolvable

    try:
        validator = validator_for(schema, default=Draft202012Validator)(schema)
        errors = sorted(validator.iter_errors(value), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    except (SchemaError, Unresolvable, TypeError, ValueError):
        return []
    return [f"{_where(e.absolute_path)}: {e.message[:160]}" for e in errors[:MAX_PROBLEMS]]


def tool_call_problems(calls: Iterable[tuple[str, str]], tools: Sequence[Tool]) -> list[str]:
    """Problems with the (name, arguments JSON) calls a model made against the tools it was offered."""
    by_name = {t.name: t for t in tools}
    problems: list[str] = []
    for name, arguments in calls:
        tool = by_name.get(name)
        if tool is None:
            problems.append(f"{name}: not an offered tool")
            continue
        try:
            args = orjson.loads(arguments or "{}")
        except orjson.JSONDecodeError:
            problems.append(f"{name}: arguments are not valid JSON")
            continue
        problems += [f"{name}: {p}" for p in schema_problems(args, tool.parameters or {})]
    return problems


def implicit_signals(
    *, status: str, finish_reason: str | None, tool_problems: list[str] | None
) -> list[tuple[str, float, str | None]]:
    """(kind, score, label) for what one finished request says about its answer."""
    out: list[tuple[str, float, str | None]] = []
    if status == "error":
        out.append(("upstream_error", UPSTREAM_ERROR, None))
        return out
    if finish_reason == "length":
        out.append(("finish_length", FINISH_LENGTH, None))
    if tool_problems is not None:
        if tool_problems:
            out.append(("tool_args", TOOL_ARGS_BAD, "; ".join(tool_problems)[:200]))
        else:
            out.append(("tool_args", TOOL_ARGS_OK, None))
    return out


def request_quality(signals: Iterable[tuple[str, float]]) -> float | None:
    """One request's quality from its (kind, score) signals; None when nothing is known."""
    by_kind: dict[str, list[float]] = {"feedback": [], "judge": [], "implicit": []}
    for kind, score in signals:
        by_kind[kind if kind in ("feedback", "judge") else "implicit"].append(score)
    if by_kind["feedback"]:
        return sum(by_kind["feedback"]) / len(by_kind["feedback"])
    if by_kind["judge"]:
        return sum(by_kind["judge"]) / len(by_kind["judge"])
    if by_kind["implicit"]:
        return min(by_kind["implicit"])
    return None


# ---- judge --------------------------------------------------------------------------------------

RUBRICS = {
    "coding": "Is the code correct, complete for what was asked, idiomatic, and free of invented APIs?",
    "tool_calling": "Did the answer call the right tool with correct, complete arguments, or answer directly "
    "when no tool was needed?",
    "prose": "Is the answer accurate, on point, well organised and of a sensible length?",
    "vision": "Does the answer describe or use what the image actually shows, without inventing details?",
}
JUDGE_SYSTEM = (
    "You grade an AI assistant's answer. {rubric} Reply with one line: 'Score: N/10' where 0 is useless "
    "and 10 is excellent. No other text."
)


def judge_messages(category: str, question: str, answer: str, limit: int = 4000) -> tuple[str, str]:
    """(system, user) texts asking a judge model to grade one answer with the category's rubric."""
    rubric = RUBRICS.get(category, RUBRICS["prose"])
    user = f"Question:\n{question[-limit:]}\n\nAnswer:\n{answer[:limit]}"
    return JUDGE_SYSTEM.format(rubric=rubric), user


def parse_judge_score(text: str) -> float | None:
    """0..1 from 'Score: 7/10', '7/10', '7' (out of 10) or '0.7'; None when there is no number in range."""
    m = re.search(r"(\d+(?:\.\d+)?)\s*(?:/\s*(\d+))?", text)
    if m is None:
        return None
    value, scale = float(m.group(1)), float(m.group(2)) if m.group(2) else None
    if scale is None:
        scale = 1.0 if value <= 1.0 and "." in m.group(1) else 10.0
    if scale <= 0 or not 0 <= value <= scale:
        return None
    return value / scale


PAIR_SYSTEM = (
    "You grade two AI assistants' answers to the same question, side by side. {rubric} Reply with two lines: "
    "'A: N/10' and 'B: N/10' where 0 is useless and 10 is excellent. No other text."
)


def judge_pair_messages(category: str, question: str, a: str, b: str, limit: int = 3000) -> tuple[str, str]:
    """(system, user) texts asking a judge to grade answers A and B side by side."""
    rubric = RUBRICS.get(category, RUBRICS["prose"])
    user = f"Question:\n{question[-limit:]}\n\nAnswer A:\n{a[:limit]}\n\nAnswer B:\n{b[:limit]}"
    return PAIR_SYSTEM.format(rubric=rubric), user


def parse_pair_scores(text: str) -> tuple[float, float] | None:
    """(A, B) in 0..1 from 'A: 7/10 B: 5/10'; None unless both are there and in range."""
    found: dict[str, float] = {}
    for label, value in re.findall(r"\b([AB])\s*[:=]\s*(\d+(?:\.\d+)?)\s*/\s*10", text):
        if 0 <= float(value) <= 10:
            found.setdefault(label, float(value) / 10)
    return (found["A"], found["B"]) if len(found) == 2 else None
