"""The shipped linear model: a logistic regression over word and character-trigram features."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

from .textfeat import TextFeatures


def sigmoid(z: float) -> float:
    z = max(-30.0, min(30.0, z))
    return 1.0 / (1.0 + math.exp(-z))


@dataclass(slots=True)
class LinearModel:
    """One logistic head over a turn's features, e.g. P(coding | text) with prose the other side."""

    bias: float = 0.0
    words: dict[str, float] = field(default_factory=dict)
    chars: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def logit(self, f: TextFeatures) -> float:
        if f.scale != 1.0:  # a long turn: its words and bigrams together weigh as LEXICAL_FULL of them would
            w = f.words
            s = self.bias + f.scale * sum(map(self.words.get, w[: f.lexical], repeat(0.0)))
            s += sum(map(self.words.get, w[f.lexical :], repeat(0.0)))
        else:
            s = self.bias + sum(map(self.words.get, f.words, repeat(0.0)))
        if f.chars:
            # Trigrams are many; their mean keeps long and short turns on one scale.
            s += sum(map(self.chars.get, f.chars, repeat(0.0))) / math.sqrt(len(f.chars))
        return s

    def probability(self, f: TextFeatures) -> float:
        return sigmoid(self.logit(f))

    def to_json(self) -> dict[str, Any]:
        return {"bias": self.bias, "words": self.words, "chars": self.chars, "meta": self.meta}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinearModel:
        return cls(float(data["bias"]), dict(data["words"]), dict(data["chars"]), dict(data.get("meta") or {}))


FORMAT = "switchpoint-linear-2"


def dump_heads(heads: dict[str, LinearModel]) -> str:
    """The weights file: one logistic head per question ("code": coding vs prose, "tool": needs a tool)."""
    data = {"format": FORMAT, "heads": {k: m.to_json() for k, m in heads.items()}}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def load_heads(raw: bytes) -> dict[str, LinearModel]:
    data = json.loads(raw)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} weights file")
    return {k: LinearModel.from_json(v) for k, v in data["heads"].items()}
