"""The default classifier: hand-written rules for what is certain, a linear model for the rest.

Order of decisions, each with the evidence it rests on:
1. an image anywhere in the conversation -> vision (it needs a vision-capable backend);
2. a recognised coding agent (user agent, system-prompt fingerprint, tool set) -> coding;
3. offered tools that the turn needs (a forced tool_choice, the turn after a tool result, or an ask
   that the tools' names and descriptions cover and that reads like an action or a lookup, which a
   second trained head judges) -> tool_calling;
4. otherwise the linear model's P(coding) over the turn being answered, with the turns before it as
   context (they weigh more behind a short follow-up): coding above one half, prose below.
"""

from __future__ import annotations

from collections.abc import Mapping

from backends.contract import CanonicalRequest

from .clients import recognise
from .linear import LinearModel, sigmoid
from .signals import detect_language, difficulty, estimate_tokens
from .textfeat import TextFeatures, extract
from .toolfeat import tool_features
from .tools import ToolMatcher
from .types import Classification
from .view import RequestView, build_view
from .vocab import PRONOUNS, REFERENTIAL_SUBSTRINGS, REFERENTIAL_WORDS

THRESHOLD = 0.5  # P(coding) from which a turn is coding
TOOL_THRESHOLD = 0.5  # P(needs a tool) from which a turn with tools offered is tool_calling


SHORT_TURN = 3  # words: a turn this short leans on the conversation ("go on", "再短一点")
PRONOUN_TURN = 7  # words: a turn this short with "it" or "that" in it leans too
FOLLOW_UP_TURN = 14  # words: a turn this short that points back ("make it shorter", "the same again") leans too
CONTEXT_WEIGHT_FOLLOW_UP = 0.6  # weight of the earlier turns' logit behind a follow-up
CONTEXT_WEIGHT = 0.12  # ... behind a turn that stands on its own
SMALL_TALK = frozenset({"hi", "hello", "hey", "thanks", "thank", "bye", "hola", "bonjour", "hallo", "ciao", "привет"})
CONTEXT_CLIP = 4.0  # the earlier turns' logit is clipped to +-this: they tip a balance, never overrule


def is_follow_up(turn: str) -> bool:
    """Does the turn lean on the conversation: short, or pointing back ("the same", "again")?"""
    words = turn.lower().split()
    if not words or words[0].strip(",.!?") in SMALL_TALK or turn.lower().startswith("how are you"):
        return False
    if len(words) > FOLLOW_UP_TURN:
        return False
    if len(words) == 1 and not turn.isascii():  # CJK has no spaces: a handful of characters is a short turn
        return len(turn) <= 5 or any(s in turn for s in REFERENTIAL_SUBSTRINGS)
    if len(words) <= SHORT_TURN:
        return True
    bare = [w.strip(".,!?;:") for w in words]
    if len(words) <= PRONOUN_TURN and any(w in PRONOUNS for w in bare):
        return True
    return any(w in REFERENTIAL_WORDS for w in bare) or (
        not turn.isascii() and any(s in turn for s in REFERENTIAL_SUBSTRINGS)
    )


def code_logit(model: LinearModel, v: RequestView) -> float:
    """The turn being answered decides; earlier turns tip the balance, mostly for short follow-ups."""
    last = v.last if v.last.strip() else v.context
    has_ctx = bool(v.context) and last is v.last
    return combine_logit(model, extract(last), extract(v.context) if has_ctx else None, has_ctx and is_follow_up(last))


def combine_logit(model: LinearModel, last: TextFeatures, context: TextFeatures | None, follow_up: bool) -> float:
    z = model.logit(last)
    if context is not None:
        w = CONTEXT_WEIGHT_FOLLOW_UP if follow_up else CONTEXT_WEIGHT
        ctx = model.logit(context) - model.bias
        z += w * max(-CONTEXT_CLIP, min(CONTEXT_CLIP, ctx))
    return z


class DefaultClassifier:
    name = "default"

    def __init__(
        self,
        model: LinearModel,
        tool_model: LinearModel,
        matcher: ToolMatcher | None = None,
        threshold: float = THRESHOLD,
    ):
        self.model = model
        self.tool_model = tool_model
        self.matcher = matcher or ToolMatcher()
        self.threshold = threshold

    def classify(self, request: CanonicalRequest, headers: Mapping[str, str] | None = None) -> Classification:
        v = build_view(request)
        client = recognise(headers, v.system, v.tools)
        ask = v.last if v.last.strip() else v.context
        p_code = sigmoid(code_logit(self.model, v))
        tokens = estimate_tokens(v.total_chars, ask)
        n_tools = len(v.tools)  # the tools field's, or those the system prompt describes

        category, confidence = self._decide(request, v, client, ask, p_code)
        if client and category == "coding":
            p_code = max(p_code, 0.5)
        return Classification(
            category=category,
            confidence=round(confidence, 4),
            has_images=v.has_images,
            n_tools=n_tools,
            client=client,
            code_score=round(p_code, 4),
            prompt_tokens=tokens,
            turns=v.turns,
            language=detect_language(ask),
            difficulty=difficulty(ask, tokens, v.turns, n_tools, client is not None),
        )

    def _decide(
        self, request: CanonicalRequest, v: RequestView, client: str | None, ask: str, p_code: float
    ) -> tuple[str, float]:
        ruled = by_rule(request, v, client)
        if ruled:
            return ruled
        f = self.tool_input(request, v, ask, p_code)
        if f is not None:
            p_tool = self.tool_model.probability(f)
            if p_tool >= TOOL_THRESHOLD:
                return "tool_calling", p_tool
        if p_code >= self.threshold:
            return "coding", p_code
        return "prose", 1.0 - p_code

    def tool_input(self, request: CanonicalRequest, v: RequestView, ask: str, p_code: float) -> TextFeatures | None:
        """The tool head's features when tools are offered and no rule has decided, else None."""
        tools = v.tools if request.tool_choice != "none" else []
        if not tools:
            return None
        follow_up = bool(v.context) and is_follow_up(ask)
        return tool_features(self.matcher, ask, v.context, tools, p_code, follow_up, v.used_tools, bool(v.system))


def by_rule(request: CanonicalRequest, v: RequestView, client: str | None) -> tuple[str, float] | None:
    """What is certain without a model: an image, a coding agent or fill-in-the-middle, a forced tool, the turn
    after a tool result."""
    if v.has_images:
        return "vision", 0.99
    if request.is_fim or client:
        return "coding", 0.97
    if (
        v.tools
        and request.tool_choice != "none"
        and (request.tool_choice == "required" or isinstance(request.tool_choice, dict))
    ):
        return "tool_calling", 0.98
    if v.after_tool_result:
        return "tool_calling", 0.95
    return None
