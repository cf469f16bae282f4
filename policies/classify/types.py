"""What a classifier returns, and the protocol every classifier (built-in or a user's) implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from backends.contract import CanonicalRequest

CATEGORIES: tuple[str, ...] = ("coding", "tool_calling", "prose", "vision")
DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")


@dataclass(slots=True)
class Classification:
    category: str  # one of CATEGORIES
    confidence: float  # 0..1, how sure the classifier is of `category`
    has_images: bool
    n_tools: int
    client: str | None  # the coding tool's name when recognised ("claude-code", "codex", ...)
    code_score: float  # 0..1, how much the turn being answered is about code
    prompt_tokens: int  # cheap estimate of the whole prompt
    turns: int  # user and assistant messages in the conversation
    language: str  # ISO 639-1 code of the turn being answered ("en", "zh", ...), "und" if unknown
    difficulty: str  # one of DIFFICULTIES


@runtime_checkable
class Classifier(Protocol):
    """Anything with this method can classify requests; `headers` has lowercased names."""

    def classify(self, request: CanonicalRequest, headers: Mapping[str, str] | None = None) -> Classification: ...
