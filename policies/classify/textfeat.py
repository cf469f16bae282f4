"""Features of text for the linear model, shared by training and inference.

Three families: words and word bigrams (one table), character trigrams (another table, so "def" the
word and "def" the trigram stay apart), and named structural features ("#codeblock", "#tech2", ...)
that live in the word table under names no word can have.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from itertools import pairwise

from .vocab import (
    ACTION_WORDS,
    FUNCTION_WORDS,
    GENERATE_SUBSTRINGS,
    GENERATE_WORDS,
    LIVE_SUBSTRINGS,
    LIVE_WORDS,
    MATH_SUBSTRINGS,
    MATH_WORDS,
    TECH_PHRASES,
    TECH_SUBSTRINGS,
    TECH_WEAK_WORDS,
    TECH_WORDS,
)

# Words too common to say anything alone (they stay in bigrams): on their own they only learn that coding rows
# are longer, which made "And one more." a coding ask.
STOP = frozenset(
    """a an the and or but if then so as of to in on at by for with from is are was be it this that
these those one more some any all also just i me my we you your""".split()  # noqa: SIM905
)
# Words and bigrams of a turn count fully up to this many; beyond, their sum is scaled by sqrt(LEXICAL_FULL / n),
# so that a long turn's many topic words do not outvote its structure (a long story under "# Description" read as
# prose, a long list of instructions as code). Leave-one-source-out F1 0.9355 -> 0.941 (docs/classify.md).
LEXICAL_FULL = 20
CHAR_LIMIT = 500  # characters of the turn being answered that feed the character trigrams
WORD_LIMIT = 1600  # characters that feed the words

_WORD = re.compile(r"\w+")
_CODE_SYMBOLS = re.compile(r"[{}();=<>\[\]]|->|=>|::|!=|==|\+=|&&|\|\|")
# Option and list labels of prose ("(A) red", "(2)", "(iv)") and its placeholders ("[name]", "[CITY1]"): not code
# symbols; a call ("f(a)") or an index ("x[name]") still is.
_LABEL = re.compile(r"\((?<![\w)\]]\()(?:[A-Za-z]|\d{1,2}|[ivxIVX]{2,4})\)|\[(?<![\w)\]]\[)[A-Za-z][\w ]{0,20}\]")
_IDENT = re.compile(r"\b(?:[a-z]+_[a-z0-9_]+|[a-z]+[A-Z][A-Za-z0-9]+)\b")
_FILE = re.compile(
    r"\b[\w/.-]+\.(?:py|js|ts|tsx|jsx|go|rs|java|kt|c|cc|cpp|h|hpp|cs|rb|php|swift|sql|sh|yaml|yml|"
    r"json|toml|html|css|scss|vue|lua|r|scala|dart|ex|exs|ipynb|md|tf|dockerfile|gradle|xml)\b"
)
_ERROR = re.compile(
    r"Traceback|Exception|Error:|error\[|\bat [\w.$]+\(|segmentation fault|undefined reference|"
    r"stack trace|npm ERR|panic:|SyntaxError|TypeError|ValueError|NullPointer|exit code"
)
# The way programming problems are set: "Given an array nums ..., return ...", "Input: ... Output: ...".
_CONTEST = re.compile(r"^(?:given (?:an?|the|two|n)\b|you are given\b|input:|design a data structure)", re.I)
_LATIN_RUN = re.compile(r"[a-z][a-z0-9_+#]+")
# How programming exercises are set when they carry no code words: "In this exercise, ...", "Your program
# should ...", "Given a list of ..., determine whether ...", "# Instructions"; asks to build an application.
# Matched on the lowercased text.
_TASK = re.compile(
    r"\b(?:write (?:some )?code|write a program|your program|a program that|(?:in )?this exercise|"
    r"(?:the|your|a) program (?:will|should|must|then)|"
    r"(?:write|create|build|make|develop|code) (?:an?|your own) (?:\w+ ){0,2}(?:application|app|program|website)\b|"
    r"implement(?:ation of| a| an| the)|should return|return (?:the|a|an|true|false)\b|"
    r"given (?:a|an|two|the) (?:list|string|number|array|sequence|word|sentence|input)|"
    r"determine (?:if|whether)|for example,? given)",
)
_HEADING = re.compile(
    r"^#{1,3} (?:description|instructions|introduction|task|example|examples|input|output|notes?)\b", re.I | re.M
)
_INDENTED = re.compile(r"\n(?: {2,}|\t)\S")


# What the hand-written features are worth to the code head before any training: training starts from
# these and its L2 pulls toward them, so phrasings it never saw still meet this prior. (The shipped
# weights already include them.)
CODE_PRIOR: dict[str, float] = {
    "#tech1": 1.5,
    "#tech2": 1.0,
    "#tech3": 0.5,
    "#techweak1": 0.3,
    "#techweak2": 0.3,
    "#codeblock": 1.5,
    "#inline_code": 0.5,
    "#indented": 0.5,
    "#ident": 0.5,
    "#file": 0.7,
    "#error": 1.5,
    "#contest": 1.5,
    "#sym3": 0.3,
    "#math1": -0.7,
    "#math2": -0.5,
    "#task1": 1.0,
    "#task2": 0.7,
    "#heading": 0.5,
    # an ask handing over non-code material to work on ("Translate these lines ...\n\n<the lines>"): leave-one-
    # source-out, self-instruct's seed tasks 0.713 -> 0.834 (docs/classify.md)
    "#handover": -1.0,
}


@dataclass(slots=True)
class TextFeatures:
    """Features of one text: keys into the word table and into the trigram table."""

    words: list[str] = field(default_factory=list)
    chars: list[str] = field(default_factory=list)
    lexical: int = 0  # the first `lexical` words are words and bigrams, the rest named features ("#tech1")
    scale: float = 1.0  # what each of those words counts: 1 up to LEXICAL_FULL of them, then less


# Named features that say a turn holds code (or a heading's structure); "#handover" wants none of them.
_CODE_SHAPE = frozenset(
    ("#codeblock", "#inline_code", "#indented", "#symdense", "#ident", "#file", "#error", "#heading")
)
_PARAGRAPH = re.compile(r"\n\s*\n")


def _handover(text: str) -> bool:
    """An ask of one short paragraph (a greeting is not one) and, after a blank line, the material it works on:
    a sentence, a list, a dialogue, a passage. Programming statements go on with "Example" or "Input"."""
    parts = _PARAGRAPH.split(text.strip(), maxsplit=1)
    if len(parts) != 2 or len(parts[0]) > 300 or len(parts[0].split()) < 4:
        return False
    return not parts[1].lower().startswith(("example", "input", "note"))


def _cumulative(prefix: str, n: int, top: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(1, min(n, top) + 1)]


def structural(text: str, low: str, words: list[str], bigrams: list[str] | None = None) -> list[str]:
    """Named features that hint at code (or at maths) whatever the words; low: text.lower(), which the
    callers have made already (for _TASK and the substrings: _TASK with re.I took twice the time)."""
    out: list[str] = []
    if "```" in text:
        out.append("#codeblock")
    elif text.count("`") >= 2:
        out.append("#inline_code")
    if _INDENTED.search(text):
        out.append("#indented")
    n = len(text) or 1
    sym = len(_CODE_SYMBOLS.findall(text)) - 2 * len(_LABEL.findall(text))
    if sym >= 3:
        out.append("#sym3")
    if sym / n > 0.02:
        out.append("#symdense")
    if sym / n > 0.05:
        out.append("#symdense2")
    if _IDENT.search(text):
        out.append("#ident")
    if _FILE.search(text):
        out.append("#file")
    if _ERROR.search(text):
        out.append("#error")
    if _CONTEST.search(text[:400]):
        out.append("#contest")
    out += _cumulative("#task", len(_TASK.findall(low)), 2)
    if _HEADING.search(text):
        out.append("#heading")
    uniq = set(words)
    if not text.isascii():  # "Numpyで", "pyserialでread": Latin runs inside CJK text are words of their own
        uniq |= set(_LATIN_RUN.findall(low))
    uniq |= {w[:-1] for w in uniq if w.endswith("s") and len(w) > 3}
    uniq |= {w.rstrip("0123456789") for w in uniq if w[-1].isdigit() and w[0].isalpha()}  # "python3", "vue3"
    if bigrams is None:
        bigrams = [a + " " + b for a, b in pairwise(words)]
    tech = len(uniq & TECH_WORDS) + len(TECH_PHRASES.intersection(bigrams))
    weak = len((uniq & TECH_WEAK_WORDS) - TECH_WORDS)
    math_ = len(uniq & MATH_WORDS)
    live = len(uniq & LIVE_WORDS)
    if not text.isascii():  # lowercased: a Russian stem starts a sentence as often as not ("Сортировка ...")
        tech += sum(1 for t in TECH_SUBSTRINGS if t in low)
        math_ += sum(1 for t in MATH_SUBSTRINGS if t in low)
        live += sum(1 for t in LIVE_SUBSTRINGS if t in low)
    out += _cumulative("#tech", tech, 4)
    out += _cumulative("#techweak", weak, 3)
    out += _cumulative("#math", math_, 3)
    out += _cumulative("#live", live, 2)
    if words and words[0] in ACTION_WORDS:
        out.append("#act_first")
    if uniq & ACTION_WORDS:
        out.append("#act")
    k = len(words)
    out.append("#len0" if k < 6 else "#len1" if k < 25 else "#len2" if k < 120 else "#len3")
    return out


def extract(text: str) -> TextFeatures:
    """Features of one turn: words, word bigrams, structural features, character trigrams."""
    head = text[:WORD_LIMIT]
    low = head.lower()
    # Runs of CJK characters are whole phrases, not words: their trigrams stand in for them.
    ws = [w for w in _WORD.findall(low) if w.isascii() or max(w) < "\u3000"]
    bigrams = [a + " " + b for a, b in pairwise(ws)]
    lex = [w for w in ws if w not in STOP] + bigrams
    n = len(lex)
    scale = math.sqrt(LEXICAL_FULL / n) if n > LEXICAL_FULL else 1.0
    named = structural(head, low, ws, bigrams)
    if not _CODE_SHAPE.intersection(named) and _handover(head):
        # material handed over to be worked on: its "Given a sentence ..." sets the model a task, not a program
        named = [f for f in named if not f.startswith(("#contest", "#task"))] + ["#handover"]
    words = lex + named
    c = " " + " ".join(low[:CHAR_LIMIT].split()) + " "
    return TextFeatures(words, [c[i : i + 3] for i in range(len(c) - 2)], n, scale)


_DIGIT = re.compile(r"\d")


def intent(text: str) -> TextFeatures:
    """Features of what an ask wants, whatever its domain: the tool head's input. Domain words are left
    out on purpose, so that "what's my BMI" reads like "what's the weather" and unlike "write a poem"."""
    head = text[:600]
    low = head.lower()
    ws = [w for w in _WORD.findall(low) if w.isascii() or max(w) < "\u3000"]
    out = structural(head, low, ws)
    out += ["f:" + w for w in ws if w in FUNCTION_WORDS]
    if ws:
        out.append(
            "first:" + (ws[0] if ws[0] in FUNCTION_WORDS or ws[0] in GENERATE_WORDS or ws[0] in ACTION_WORDS else "~")
        )
    gen = any(w in GENERATE_WORDS for w in ws) or (not head.isascii() and any(s in head for s in GENERATE_SUBSTRINGS))
    if gen:
        out.append("#gen")
        if ws and ws[0] in GENERATE_WORDS:
            out.append("#gen_first")
    if "?" in head or "\uff1f" in head:
        out.append("#question")
    if _DIGIT.search(head):
        out.append("#digits")
    return TextFeatures(out, [])
