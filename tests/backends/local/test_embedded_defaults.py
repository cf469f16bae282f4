"""With no configuration, every category goes first to the embedded model that answered its asks best
(docs/local.md, "Which embedded model answers what"): the instruction-tuned SmolLM2, never the
pretrained base Gemma 3 270M, for chat and prose too."""

from __future__ import annotations

import pytest

from router import backends_factory
from router.settings import Settings


def test_instruction_tuned_model_first_in_every_category(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends_factory, "local_engine_installed", lambda: True)
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    routes = backends_factory.with_embedded_defaults(Settings()).routes
    assert set(routes) >= {"coding", "tool_calling", "prose", "default"}
    for category, chain in routes.items():
        assert chain[0] == "smollm2", category
        assert "gemma3" in chain  # the base model stays as a fallback
