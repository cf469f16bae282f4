"""Per-class precision, recall and F1, macro F1 and the confusion matrix (pure; no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .types import CATEGORIES


@dataclass(slots=True)
class EvalReport:
    labels: list[str]
    confusion: dict[str, dict[str, int]]  # gold -> predicted -> count
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    macro_f1: float = 0.0
    accuracy: float = 0.0
    n: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "per_class": self.per_class,
            "labels": self.labels,
            "confusion": self.confusion,
        }


def evaluate(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = CATEGORIES) -> EvalReport:
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    names = list(labels) + sorted({x for x in (*gold, *predicted)} - set(labels))
    conf = {g: dict.fromkeys(names, 0) for g in names}
    for g, p in zip(gold, predicted, strict=True):
        conf[g][p] += 1
    rep = EvalReport(labels=names, confusion=conf, n=len(gold))
    f1s = []
    for c in names:
        tp = conf[c][c]
        support = sum(conf[c].values())
        pred = sum(conf[g][c] for g in names)
        prec = tp / pred if pred else 0.0
        rec = tp / support if support else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        rep.per_class[c] = {
            "precision": round(prec, 4),
            "recall": round(rec, 4),
            "f1": round(f1, 4),
            "support": support,
        }
        if support or pred:
            f1s.append(f1)
    rep.macro_f1 = sum(f1s) / len(f1s) if f1s else 0.0
    rep.accuracy = sum(conf[c][c] for c in names) / len(gold) if gold else 0.0
    return rep
