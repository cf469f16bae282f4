"""Load the shipped weights (the only file policies ever reads)."""

from __future__ import annotations

import json
from importlib.resources import files

from .default import DefaultClassifier
from .embedding import EmbeddingClassifier, EmbeddingHead, minilm_encoder
from .linear import LinearModel, load_heads

WEIGHTS = "linear.json"
EMBEDDING_WEIGHTS = "embedding.json"


def load_heads_file() -> dict[str, LinearModel]:
    return load_heads(files("policies.classify").joinpath("weights", WEIGHTS).read_bytes())


def load_default_classifier() -> DefaultClassifier:
    """The default classifier with its shipped weights; call once and keep it."""
    heads = load_heads_file()
    return DefaultClassifier(heads["code"], heads["tool"])


def load_rules_classifier() -> DefaultClassifier:
    """Rules only, no trained weights: undecided turns are prose, tools are used when the ask names them.
    A baseline, and a fallback."""
    return DefaultClassifier(LinearModel(bias=-1.0), LinearModel(bias=0.0))


def load_embedding_classifier() -> EmbeddingClassifier:
    """The default classifier, its coding call blended with a MiniLM embedding head (optional, ~10 ms)."""
    data = json.loads(files("policies.classify").joinpath("weights", EMBEDDING_WEIGHTS).read_bytes())
    head = EmbeddingHead(float(data["bias"]), [float(w) for w in data["weights"]])
    return EmbeddingClassifier(load_default_classifier(), minilm_encoder(), head)
