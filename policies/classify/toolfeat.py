"""Features for "does the ask need one of the offered tools?": the tool head's input.

They describe the ask against the tools, not the tools' domain: how much of the ask the tools' names and
descriptions cover (and how much of the conversation before it), the ask's shape (question words, first
word, digits: `textfeat.intent`), whether it reads like a request for code or for a text to be written, a
short closing turn, and how many tools there are. So a weather question meets `current_get` the way a
flight question meets `LoadDB`, and "thanks, that's all" reads the same whatever the tools are.
"""

from __future__ import annotations

import re

from backends.contract import Tool

from .textfeat import TextFeatures, intent
from .tools import ToolMatcher
from .vocab import ACTION_WORDS, FUNCTION_WORDS, GENERATE_WORDS

CLOSING = frozenset(
    {
        "thanks",
        "thank",
        "thx",
        "bye",
        "goodbye",
        "great",
        "perfect",
        "ok",
        "okay",
        "cool",
        "nice",
        "awesome",
        "cheers",
        "that's",
        "that",
        "nothing",
        "no",
        "nope",
        "all",
        "done",
        "appreciate",
    }
)


AFFIRM = frozenset({"yes", "yeah", "yep", "yup", "sure", "correct", "right", "please", "go", "do", "confirm", "sounds"})


YOU = frozenset({"you", "your", "yours", "yourself", "you're", "u", "ur"})
# Words of small talk with the assistant itself (its name, age, maker, tastes; jokes and fun facts).
CHIT_CHAT = frozenset(
    """
joke jokes funny fun laugh hobby hobbies pets pet bot robot human person alive age old born created made
designed programmed built boss name favorite favourite like love hate feel feeling mood bored lonely friend
friends hello hi hey morning evening later bye goodbye meaning life sing song poem story
""".split()  # noqa: SIM905
)
# What some features are worth before any training (training starts from these, its L2 pulls toward them):
# small talk with the assistant, with nothing of it in the tools, needs no tool; nor does a closing "thanks".
TOOL_PRIOR: dict[str, float] = {"n:chitchat": -3.0, "n:you": -2.0, "closing": -2.0, "self": -1.0}
# "you" that only frames a request, an instruction or a lookup ("can you find ...", "you can use my email", "do you
# have rooms", "thank you", "if you want ..."): taken out before asking whether the assistant is what the ask is about.
_REQUEST_YOU = re.compile(
    r"\b(?:can|could|would|will|won't|wouldn't)\s+you\b|\byou\s+(?:can|could|need|should|will|may|must|might)\b"
    r"|\byou'll\b|\b(?:want|need|request|ask|like)\s+you\s+to\b|\bare\s+you\s+able\b|\bthank\s+you\b"
    r"|\bdo\s+you\s+(?:have|know|sell|offer|carry|stock|serve)\b|\b(?:if|once|when|after|before)\s+you\b"
    r"|\bi\s+(?:can|could|will)\s+\w+\s+you\b"
)
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|(?<!\w)'[^']*'(?!\w)")  # a message or a title: someone else's words
_ABOUT_YOU = frozenset({"you", "yourself", "you're", "u"})  # not "your": "your store", "your system" are the service's
# An ask that is only a question about what the assistant can do ("how can you help me", "what can you do?"); after
# a sentence of its own ("I lost my phone, can you help me") it asks for that.
_CAPABILITY = re.compile(
    r"^[^.,!?;:]*(?<!thank )\byou(?:\s+[\w']+){0,3}?\s+(?:help|do|assist)(?:\s+me)?(?:\s+with)?(?:\s+me)?[\s?.!]*$"
)
ASK_WORDS = 40  # words of the ask read for SHAPE_WORDS
# The ask's own words that feed the head: how it asks, never what about (domain words would tie the head to
# the tool sets it was trained with).
SHAPE_WORDS = FUNCTION_WORDS | GENERATE_WORDS | ACTION_WORDS | CLOSING | AFFIRM | YOU | CHIT_CHAT


def _bucket(prefix: str, x: float, edges: tuple[float, ...]) -> list[str]:
    """Cumulative buckets: x=3 with edges (1, 2, 4) gives prefix>1, prefix>2."""
    return [f"{prefix}>{e:g}" for e in edges if x >= e]


def tool_features(
    matcher: ToolMatcher,
    ask: str,
    context: str,
    tools: list[Tool],
    p_code: float,
    follow_up: bool,
    used_tools: bool,
    has_system: bool,
) -> TextFeatures:
    vocab = matcher.vocabulary(tools)
    stems = matcher.ask_stems(ask)
    name_hits = sum(1 for s in stems if vocab.get(s, 0.0) > 1.0)
    hits = sum(1 for s in stems if s in vocab)
    rel = sum(vocab.get(s, 0.0) for s in stems)
    out = ["#bias_tools"]
    out += _bucket("rel", rel, (1, 2, 3, 5, 8))
    out += _bucket("name", name_hits, (1, 2, 3))
    if stems:
        out += _bucket("cover", hits / len(stems), (0.1, 0.25, 0.5, 0.75))
    else:
        out.append("no_stems")
    if context:
        out += _bucket("ctxrel", matcher.relevance(context[-600:], tools), (1, 3))
    out += _bucket("pcode", p_code, (0.3, 0.5, 0.8, 0.95))
    out += _bucket("ntools", len(tools), (2, 4, 8, 16))
    words = ask.lower().split()
    if words and words[0].strip(",.!:") in GENERATE_WORDS:
        out.append("gen_first")
    if 0 < len(words) <= 8 and sum(w.strip(",.!?'") in CLOSING for w in words) * 2 >= len(words):
        out.append("closing")
    if words and words[0].strip(",.!?'") in AFFIRM:
        out.append("affirm_first")
    if context.rstrip().endswith("?"):
        out.append("ctx_question")
    if follow_up:
        out.append("follow_up")
    if used_tools:
        out.append("used_tools")
    if has_system:
        out.append("system")
    if about_assistant(words[:ASK_WORDS]):
        out.append("self")
    shape = intent(ask).words
    out += ["i:" + f for f in shape]
    if rel == 0:  # nothing of the ask in the tools: its shape alone tells a lookup from small talk
        out += ["n:" + f for f in shape]
        bare = {w.strip(",.!?'") for w in words}
        if bare & YOU:
            out.append("n:you")
        if bare & CHIT_CHAT:
            out.append("n:chitchat")
        out += ["n:a:" + w for w in bare if w in SHAPE_WORDS][:ASK_WORDS]
        out += _bucket("n:vocab", len(vocab), (8, 20, 40))  # tools described at length, and none of it asked
    out += ["a:" + w for w in {w.strip(",.!?'\"") for w in words[:ASK_WORDS]} if w in SHAPE_WORDS]
    return TextFeatures(out, [])


def about_assistant(words: list[str]) -> bool:
    """Is the assistant itself what the ask is about ("where did you grow up", "what can you help with")? Small
    talk with it needs no tool whatever the tools are named."""
    if not any(w.strip(",.!?'\"") in YOU for w in words):
        return False
    text = _QUOTED.sub(" ", " ".join(words))
    rest = _REQUEST_YOU.sub(" ", text)
    return any(w.strip(",.!?'\"") in _ABOUT_YOU for w in rest.split()) or bool(_CAPABILITY.search(text))
