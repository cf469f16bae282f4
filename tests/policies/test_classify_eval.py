"""The held-out split scores macro F1 >= 0.95 through the real eval code, and the CLI's output."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from policies.classify import CATEGORIES, DefaultClassifier
from policies.classify.metrics import evaluate
from router.classify_cli import main, read_rows, run_eval
from tests.policies.conftest import DATA

HELDOUT = DATA / "classify_heldout.jsonl"
DEV = DATA / "classify_dev.jsonl"


def test_heldout_macro_f1(default_classifier: DefaultClassifier) -> None:
    report = run_eval(default_classifier, list(read_rows(HELDOUT)))
    assert report["n"] >= 400
    assert report["macro_f1"] >= 0.95, report
    assert all(report["per_class"][c]["f1"] >= 0.9 for c in CATEGORIES), report["per_class"]


def test_dev_set_is_big_balanced_and_multilingual() -> None:
    rows = [json.loads(line) for p in (DEV, HELDOUT) for line in p.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 800
    counts = Counter(r["label"] for r in rows)
    assert set(counts) == set(CATEGORIES)
    assert max(counts.values()) <= 1.2 * min(counts.values())
    dialects = Counter(r["request"].get("dialect", "openai") for r in rows)
    assert set(dialects) == {"openai", "anthropic", "responses"}
    from policies.classify.signals import detect_language

    langs = Counter(detect_language(json.dumps(r["request"], ensure_ascii=False)[-300:]) for r in rows)
    assert len([lang for lang in langs if lang not in ("en", "und")]) >= 5


def test_heldout_asks_are_not_in_training() -> None:
    def asks(path: Path) -> set[str]:
        return {
            r.request.messages[-1].text()
            for r in read_rows(path)
            if r.request.messages and r.request.messages[-1].role == "user" and len(r.request.messages[-1].text()) > 40
        }

    dev, held = asks(DEV), asks(HELDOUT)
    assert len(held & dev) <= 0.1 * len(held)


def test_cli_eval_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--eval", str(HELDOUT), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"macro_f1", "per_class", "confusion", "labels", "accuracy", "n"} <= set(out)
    assert set(CATEGORIES) <= set(out["per_class"])
    assert {"precision", "recall", "f1", "support"} <= set(out["per_class"]["coding"])
    assert sum(sum(row.values()) for row in out["confusion"].values()) == out["n"]


def test_cli_eval_table_and_plain_listing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "few.jsonl"
    f.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"label": "prose", "request": {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}},
                {
                    "label": "coding",
                    "request": {
                        "dialect": "anthropic",
                        "model": "m",
                        "max_tokens": 10,
                        "messages": [{"role": "user", "content": "fix this: def f(: pass"}],
                    },
                },
                {"request": {"dialect": "responses", "model": "m", "input": "write a haiku about rain"}},
            ]
        )
        + "\n"
    )
    assert main(["--eval", str(f)]) == 0
    table = capsys.readouterr().out
    assert "macro F1" in table and "confusion" in table
    assert main([str(f)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[0].split()[1] == "prose" and "lang=" in lines[2]
    assert main([str(f), "--json"]) == 0
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    assert {"category", "confidence", "code_score", "difficulty", "language", "client"} <= set(first)


def test_cli_missing_file(tmp_path: Path) -> None:
    assert main([str(tmp_path / "nope.jsonl")]) == 2


def test_cli_bad_line_names_it(tmp_path: Path) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text('{"label": "prose", "request": {"model": "auto", "messages": []}}\n')
    with pytest.raises(SystemExit, match=r"bad\.jsonl:1"):
        main([str(f)])


def test_metrics_by_hand() -> None:
    gold = ["coding", "coding", "prose", "prose", "vision", "tool_calling"]
    pred = ["coding", "prose", "prose", "prose", "vision", "coding"]
    r = evaluate(gold, pred)
    # coding: tp 1, predicted 2, support 2 -> p .5 r .5 f1 .5; prose: tp 2, pred 3, support 2 -> p 2/3 r 1 f1 .8
    assert r.per_class["coding"]["f1"] == 0.5
    assert r.per_class["prose"]["f1"] == 0.8
    assert r.per_class["vision"]["f1"] == 1.0
    assert r.per_class["tool_calling"]["f1"] == 0.0
    assert r.macro_f1 == pytest.approx((0.5 + 0.8 + 1.0 + 0.0) / 4)
    assert r.confusion["tool_calling"]["coding"] == 1
    assert r.accuracy == pytest.approx(4 / 6)
