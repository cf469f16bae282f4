"""Does the turn being answered ask for something the offered tools cover?

Word overlap between the ask and each tool's name, description and parameters, after light stemming,
with generic words ("get", "data", "value") left out and common non-English words mapped onto the
English ones tool descriptions use.
"""

from __future__ import annotations

import re

from backends.contract import Tool

from .lexicon import GENERIC_WORDS, SYNONYMS

_WORD = re.compile(r"[^\W\d_]+", re.U)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
# Asks whose words are numbers: arithmetic and amounts of money say which tools fit.
_ARITHMETIC = re.compile(r"\d\s*(?:[-+*/^\u00d7\u00f7x]|\*\*)\s*\(?\d|\d+(?:\.\d+)?\s*%\s*(?:of|de|von|от)?\s*\d")
_MONEY = re.compile(r"[$€£¥₽]\s?\d|\d\s?(?:[$€£¥₽]|usd|eur|gbp|jpy|dollars?|euros?)\b", re.I)
ARITHMETIC_WORDS = ("calculate", "math", "expression", "arithmetic", "evaluate", "compute")
MONEY_WORDS = ("price", "amount", "currency", "cost", "budget")
NAME_WEIGHT = 2.0
TEXT_WEIGHT = 1.0
RELEVANT = 2.0  # score from which the ask counts as covered
DESC_CHARS = 300
PARAM_DESC_CHARS = 80
MAX_TOOLS = 64
MAX_PARAMS = 12


def stem(word: str) -> str:
    """Light stemming, enough to meet "scores" with "score" and "scheduled" with "schedule"."""
    w = word.lower()
    for suf in ("ings", "ing", "ies", "ed", "s"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            w = w[: -len(suf)] + ("y" if suf == "ies" else "")
            break
    if len(w) > 4 and w.endswith("e"):
        w = w[:-1]
    return w[:7]


class ToolMatcher:
    """Scores asks against tool sets; built once per classifier (it stems its word lists)."""

    def __init__(self, cache_size: int = 128) -> None:
        self._cache: dict[tuple[tuple[str, int], ...], dict[str, float]] = {}
        self._cache_size = cache_size
        self.generic = frozenset(stem(w) for w in GENERIC_WORDS)
        self.latin_synonyms: dict[str, str] = {}
        self.other_synonyms: list[tuple[str, str]] = []
        for foreign, english in SYNONYMS:
            if foreign.isascii() or all(c.isalpha() and ord(c) < 0x250 for c in foreign):
                self.latin_synonyms[stem(foreign)] = stem(english)
            else:
                self.other_synonyms.append((foreign, stem(english)))

    def stems(self, text: str) -> set[str]:
        return {stem(w) for w in _WORD.findall(text) if len(w) > 2} - self.generic

    def vocabulary(self, tools: list[Tool]) -> dict[str, float]:
        """Stem -> weight, cached per tool set (clients send the same tools with every request)."""
        key = tuple((t.name, len(t.description)) for t in tools[:MAX_TOOLS])
        vocab = self._cache.get(key)
        if vocab is None:
            if len(self._cache) >= self._cache_size:  # drop the oldest; threads racing here only rebuild
                self._cache.pop(next(iter(self._cache), ()), None)
            vocab = self._cache[key] = self._vocabulary(tools)
        return vocab

    def _vocabulary(self, tools: list[Tool]) -> dict[str, float]:
        """Stem -> weight; words of a tool's name weigh more than those of its description."""
        vocab: dict[str, float] = {}
        for t in tools[:MAX_TOOLS]:
            name = _CAMEL.sub(" ", t.name).replace("_", " ").replace("-", " ").replace(".", " ")
            for s in self.stems(name):
                vocab[s] = NAME_WEIGHT
            text = [t.description[:DESC_CHARS]]
            props = t.parameters.get("properties")
            if isinstance(props, dict):
                for key, spec in list(props.items())[:MAX_PARAMS]:
                    text.append(_CAMEL.sub(" ", str(key)).replace("_", " "))
                    if isinstance(spec, dict):
                        text.append(str(spec.get("description", ""))[:PARAM_DESC_CHARS])
                        enum = spec.get("enum")
                        if isinstance(enum, list):
                            text.append(" ".join(str(e) for e in enum[:10]))
            for s in self.stems(" ".join(text)):
                vocab.setdefault(s, TEXT_WEIGHT)
        return vocab

    def ask_stems(self, ask: str) -> set[str]:
        stems = self.stems(ask)
        if _ARITHMETIC.search(ask):
            stems.update(stem(w) for w in ARITHMETIC_WORDS)
        if _MONEY.search(ask):
            stems.update(stem(w) for w in MONEY_WORDS)
        extra = {self.latin_synonyms[s] for s in stems if s in self.latin_synonyms}
        if not ask.isascii():
            low = ask.lower()
            extra.update(english for foreign, english in self.other_synonyms if foreign in low)
        return stems | extra

    def relevance(self, ask: str, tools: list[Tool]) -> float:
        """How well the tools cover the ask: the matched stems' weights (0 when nothing matches)."""
        if not tools or not ask.strip():
            return 0.0
        vocab = self.vocabulary(tools)
        return sum(vocab.get(s, 0.0) for s in self.ask_stems(ask))
