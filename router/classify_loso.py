"""Scores by source: `switchpoint classify --eval FILE --by-source` (the classifier as it is) and `--loso`
(leave one source out: train on every other source, plus the generated augmentation, and score the one left
out, so no figure comes from the data the model learned).

A source's figure is the macro F1 over the classes its rows have (precision counted within the source):
a one-class source's F1 is then that class's, not an average with classes it has no rows of. The overall
figure is the macro F1 over all rows, each predicted by the model that did not see its source.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from policies.classify import Classifier
from policies.classify.default import DefaultClassifier
from policies.classify.metrics import evaluate

from .classify_cli import Row
from .classify_train import TrainConfig, fit_classifier, prepare


def source_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Macro F1 over the classes present in `gold`."""
    report = evaluate(gold, pred)
    present = sorted(set(gold))
    return sum(report.per_class[c]["f1"] for c in present) / len(present) if present else 0.0


def score(rows: Sequence[Row], predicted: Sequence[str]) -> dict[str, Any]:
    by: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by[r.source or "-"].append(i)
    per_source: dict[str, dict[str, Any]] = {}
    for src in sorted(by):
        gold = [rows[i].label or "" for i in by[src]]
        pred = [predicted[i] for i in by[src]]
        counts: dict[str, int] = defaultdict(int)
        for g in gold:
            counts[g] += 1
        per_source[src] = {
            "n": len(gold),
            "macro_f1": round(source_f1(gold, pred), 4),
            "accuracy": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold), 4),
            "classes": dict(sorted(counts.items())),
        }
    overall = evaluate([r.label or "" for r in rows], list(predicted)).to_json()
    return {
        "overall": overall,
        "per_source": per_source,
        "min_source_f1": min((s["macro_f1"] for s in per_source.values()), default=0.0),
    }


def by_source(classifier: Classifier, rows: Sequence[Row]) -> dict[str, Any]:
    labelled = [r for r in rows if r.label is not None]
    return score(labelled, [classifier.classify(r.request, r.headers).category for r in labelled])


def loso(
    rows: Sequence[Row],
    augment: Sequence[Row] = (),
    cfg: TrainConfig | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    labelled = [r for r in rows if r.label is not None]
    sources = sorted({r.source or "-" for r in labelled})
    predicted = [""] * len(labelled)
    prepared = {id(r): prepare([r]) for r in labelled}  # features once, not once per fold
    extra = prepare(augment)
    for src in sources:
        train_rows = [p for r in labelled if (r.source or "-") != src for p in prepared[id(r)]] + extra
        heads = fit_classifier(train_rows, cfg)
        clf = DefaultClassifier(heads["code"], heads["tool"])
        for i, r in enumerate(labelled):
            if (r.source or "-") == src:
                predicted[i] = clf.classify(r.request, r.headers).category
        if log:
            idx = [i for i, r in enumerate(labelled) if (r.source or "-") == src]
            f1 = source_f1([labelled[i].label or "" for i in idx], [predicted[i] for i in idx])
            log(f"left out {src}: macro F1 {f1:.4f} ({len(idx)} rows)")
    return score(labelled, predicted)


def table(report: dict[str, Any]) -> str:
    lines = [f"{'source':<16}{'rows':>6}{'macro F1':>10}{'accuracy':>10}  classes"]
    for src, s in report["per_source"].items():
        classes = ", ".join(f"{k} {v}" for k, v in s["classes"].items())
        lines.append(f"{src:<16}{s['n']:>6}{s['macro_f1']:>10.4f}{s['accuracy']:>10.4f}  {classes}")
    o = report["overall"]
    lines.append(
        f"{'overall':<16}{o['n']:>6}{o['macro_f1']:>10.4f}{o['accuracy']:>10.4f}  "
        f"(lowest source {report['min_source_f1']:.4f})"
    )
    return "\n".join(lines)
