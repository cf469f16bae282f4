"""The default classifier on real public prompts (tests/data/real/): a fixed sample with every hard-case pattern
the classifier once got wrong, held to the figures docs/classify.md reports, and one leave-one-source-out fold
retrained here, so that a change that only fits the shipped data shows.

Coding agents' recorded traffic (coding, although it declares tools) is held by test_classify_fixtures.py.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from policies.classify import DefaultClassifier
from router.classify_cli import read_rows
from router.classify_loso import source_f1
from router.classify_train import fit_classifier
from tests.policies.conftest import DATA

SAMPLE = DATA / "real" / "classify_sample.jsonl.gz"
REAL = DATA / "real" / "classify_real.jsonl.gz"
# The figures docs/classify.md gives for the shipped weights on the fixed sample (they learned from it) ...
SAMPLE_MACRO_F1 = 0.97
PATTERN_ACCURACY = 0.9  # every pattern, each
# ... and for a source the model has not seen (leave-one-source-out, the fold retrained here).
HELD_OUT_SOURCE = "toolqa"  # tool names that share no words with the asks
HELD_OUT_F1 = 0.9  # measured 0.960


def test_fixed_sample_holds_the_documented_figures(default_classifier: DefaultClassifier) -> None:
    rows = list(read_rows(SAMPLE))
    pred = [default_classifier.classify(r.request, r.headers).category for r in rows]
    gold = [r.label or "" for r in rows]
    assert {r.label for r in rows} == {"coding", "tool_calling", "prose", "vision"}
    assert source_f1(gold, pred) >= SAMPLE_MACRO_F1
    by_pattern: dict[str, list[bool]] = defaultdict(list)
    for r, p in zip(rows, pred, strict=True):
        by_pattern[r.pattern or "-"].append(p == r.label)
    assert set(by_pattern) >= {
        "exercise_statement",
        "no_code_words",
        "everyday_technical",
        "tool_name_no_overlap",
        "tools_not_needed",
        "follow_up",
    }
    low = {k: round(sum(v) / len(v), 3) for k, v in by_pattern.items() if sum(v) / len(v) < PATTERN_ACCURACY}
    assert not low, low


def fn(name: str, description: str, **params: str) -> dict[str, Any]:
    props = {k: {"type": "string", "description": v} for k, v in params.items()}
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": {"type": "object", "properties": props}},
    }


# Tools that are Java or JavaScript APIs, asked for by a user who wants them called (the real sources hold
# none: BFCL, which has them, is kept for independent evaluation). Hand-written.
API_TOOL_ASKS = [
    (
        "Find the class file for com.acme.billing.Invoice under /srv/app/build/classes",
        fn(
            "ClassFileFinder_findClassFile",
            "Finds the compiled class file of a fully qualified class name in a directory tree.",
            className="fully qualified class name",
            root="directory to search",
        ),
    ),
    (
        "Strip every <comment> element out of feed.xml while it is parsed",
        fn(
            "SAXFilterFactory_createElementFilter",
            "Creates a SAX XMLFilter that drops the elements with a given tag name from the parse.",
            tagName="element name",
            file="XML file",
        ),
    ),
    (
        "What's the checksum of the package-lock.json in my project?",
        fn("fs_promises_hashFile", "Node.js: computes the SHA-256 digest of a file.", path="file path"),
    ),
]


@pytest.mark.parametrize(("ask", "api"), API_TOOL_ASKS, ids=[a[1]["function"]["name"] for a in API_TOOL_ASKS])
def test_java_and_javascript_api_tools_are_tool_calls(classify: Any, ask: str, api: dict[str, Any]) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": ask}], "tools": [api]}
    assert classify(body).category == "tool_calling"


def test_a_source_left_out_of_training_scores_the_documented_figure() -> None:
    rows = list(read_rows(REAL)) + list(read_rows(DATA / "classify_dev.jsonl"))
    heads = fit_classifier([r for r in rows if r.source != HELD_OUT_SOURCE])
    clf = DefaultClassifier(heads["code"], heads["tool"])
    held = [r for r in rows if r.source == HELD_OUT_SOURCE]
    pred = [clf.classify(r.request, r.headers).category for r in held]
    assert len(held) >= 50
    assert source_f1([r.label or "" for r in held], pred) >= HELD_OUT_F1


def test_scores_by_source_cover_twelve_sources_and_four_classes() -> None:
    rows = list(read_rows(REAL))
    sources: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        sources[r.source or "-"].add(r.label or "")
    assert len(sources) >= 12
    for label in ("coding", "tool_calling", "prose", "vision"):
        assert sum(label in v for v in sources.values()) >= 3, label
    assert Path(REAL).stat().st_size < 2_000_000
