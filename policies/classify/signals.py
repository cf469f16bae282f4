# ruff: noqa: SIM905, RUF001  (word lists as text; other scripts' punctuation)
"""Cheap signals beside the category: language, difficulty, prompt tokens."""

from __future__ import annotations

import re
from collections import Counter

_LATIN_WORD = re.compile(r"[^\W\d_]+", re.U)
_LATIN_LETTER = re.compile("[A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")  # isalpha, below 0x250
_NON_LATIN = re.compile("[^\u0000-\u024f]")
SAMPLE_CHARS = 600
SAMPLE_WORDS = 80

# A dozen of the commonest words per language; their share of a sample decides among Latin scripts.
STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the and is are to of in that it for you with this what how can do my on be".split()),
    "es": frozenset("el la los las que es de en un una por para con del se como qué mi está son".split()),
    "fr": frozenset("le la les des est et un une que pour dans du en pas je vous qui avec sur mon".split()),
    "de": frozenset("der die das und ist nicht ein eine ich du mit wie zu den auf für sie was mein".split()),
    "pt": frozenset("o os as que de em um uma para com não é do da meu você como por isso".split()),
    "it": frozenset("il lo la gli che di è un una per con non sono come del della mi questo".split()),
    "nl": frozenset("de het een en is van ik niet dat je met voor op zijn wat hoe".split()),
    "tr": frozenset("bir ve bu için ile ne nasıl mi mı çok da de ben sen var".split()),
    "pl": frozenset("i w nie na jest się z do że to jak co mój czy dla".split()),
    "id": frozenset("yang dan di ini itu untuk dengan tidak saya apa bagaimana ke dari".split()),
    "vi": frozenset("của và là có không tôi một cho những được này với".split()),
}

HARD_WORDS: tuple[str, ...] = (
    "prove",
    "proof",
    "theorem",
    "derive",
    "optimi",
    "concurren",
    "distributed",
    "architect",
    "scalab",
    "race condition",
    "deadlock",
    "lock-free",
    "complexity",
    "compiler",
    "cryptograph",
    "from scratch",
    "production",
    "migrate",
    "refactor",
    "trade-off",
    "tradeoff",
    "rigorous",
    "formal",
    "step by step",
    "in depth",
    "comprehensive",
    "multi-threaded",
    "kernel",
    "memory leak",
    "performance",
    "design a",
    "implement a",
    "benchmark",
    "security",
    "vulnerab",
    "consensus",
    "byzantine",
    "dynamic programming",
    "asymptotic",
    "integral",
    "eigen",
    "differential",
    "research",
    "analyze",
    "analyse",
)
EASY_PREFIXES: tuple[str, ...] = (
    "hi",
    "hello",
    "hey",
    "thanks",
    "thank you",
    "ok",
    "okay",
    "good morning",
    "what is",
    "what's",
    "hola",
    "bonjour",
    "hallo",
    "привет",
    "你好",
    "こんにちは",
)


def script_language(sample: str) -> str | None:
    """A language told by its script alone, or None for Latin text."""
    if sample.isascii():  # nothing to count (and the loop below is the classifier's dearest part)
        return None
    counts = {"ja": 0, "zh": 0, "ko": 0, "ru": 0, "uk": 0, "ar": 0, "hi": 0, "el": 0, "he": 0, "th": 0}
    letters = len(_LATIN_LETTER.findall(sample))
    for ch in _NON_LATIN.findall(sample):
        o = ord(ch)
        if 0x3040 <= o <= 0x30FF:
            counts["ja"] += 1
        elif 0x4E00 <= o <= 0x9FFF:
            counts["zh"] += 1
        elif 0xAC00 <= o <= 0xD7AF:
            counts["ko"] += 1
        elif 0x0400 <= o <= 0x04FF:
            counts["uk" if ch in "іїєґІЇЄҐ" else "ru"] += 1
        elif 0x0600 <= o <= 0x06FF:
            counts["ar"] += 1
        elif 0x0900 <= o <= 0x097F:
            counts["hi"] += 1
        elif 0x0370 <= o <= 0x03FF:
            counts["el"] += 1
        elif 0x0590 <= o <= 0x05FF:
            counts["he"] += 1
        elif 0x0E00 <= o <= 0x0E7F:
            counts["th"] += 1
    if counts["ja"] and counts["ja"] * 5 >= counts["zh"] // 2:
        counts["ja"] += counts["zh"]  # kanji with kana is Japanese
    if counts["uk"]:
        counts["uk"] += counts["ru"]
    best = max(counts, key=lambda k: counts[k])
    n = counts[best]
    # CJK characters carry a word each; a few of them outweigh many Latin letters (code, names).
    weight = 3 if best in ("ja", "zh", "ko") else 1
    if n and n * weight * 2 >= letters * (1 if weight == 1 else 0.5):
        return best
    return None


def detect_language(text: str) -> str:
    sample = text[:SAMPLE_CHARS]
    lang = script_language(sample)
    if lang:
        return lang
    words = [w.lower() for w in _LATIN_WORD.findall(sample)[:SAMPLE_WORDS]]
    if not words:
        return "und"
    best, score = "en", 0
    counts = Counter(words)
    for code, stop in STOPWORDS.items():
        s = sum(counts[w] for w in stop.intersection(counts))
        if s > score:
            best, score = code, s
    return best


def estimate_tokens(total_chars: int, sample: str) -> int:
    """About four characters a token, one a token for CJK scripts (the sample decides the mix)."""
    if not sample or sample.isascii():
        return max(1, total_chars // 4) if total_chars else 0
    wide = sum(1 for ch in sample[:400] if ord(ch) >= 0x2E80)
    share = wide / min(len(sample), 400)
    return int(total_chars * (share + (1 - share) / 4)) or 1


def difficulty(last: str, prompt_tokens: int, turns: int, n_tools: int, agent: bool) -> str:
    """easy | medium | hard, from what makes a turn demanding: its length and structure, the words of hard
    problems (prove, distributed, optimise...), code to read, a long context, an agent's loop."""
    low = last[:1500].lower()
    words = len(low.split()) if low.isascii() else len(low) // 3
    hits = sum(1 for w in HARD_WORDS if w in low)
    score = 0
    if words >= 8:
        score += 1
    if words > 150:
        score += 1
    score += min(hits, 2)
    if "```" in low or low.count("\n    ") >= 3:
        score += 1
    if low.count("\n- ") + low.count("\n1.") + low.count("\n2.") + low.count("\n3.") >= 3:
        score += 1  # a list of requirements
    if prompt_tokens > 8000:
        score += 1
    if prompt_tokens > 50000:
        score += 1
    if turns > 12:
        score += 1
    if agent or n_tools > 15:
        score += 1
    if words <= 12 and hits == 0 and low.startswith(EASY_PREFIXES):
        score -= 1
    if score <= 0:
        return "easy"
    return "medium" if score <= 3 else "hard"
