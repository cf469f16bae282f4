"""Exact prompt counts for the local backend, cheap on what an agent resends.

The count is the length of what `build_prompt` would prefill, made in pieces: the prompt text (the
chat template rendered, tools block included) is cut at the tokenizer's added tokens (`<|im_start|>`
and the like), which a tokenizer matches before anything else and never merges with the text around
them, so each added token is one token and the text between them tokenises alone exactly as within
the whole. Those texts are counted by a `SegmentCounter` (cached by content hash, long ones paragraph
by paragraph): a conversation's system prompt, tools and earlier turns are tokenised once per
process, a new turn costs its own text, and rendering the template, cutting and hashing the rest.

The first count of a counter is also made whole, by `build_prompt` itself; if the two differ (a
tokenizer whose added tokens strip whitespace, or whose pre-tokenizer does not cut where the
pieces are cut), every count is made whole from then on.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from ..contract import CanonicalRequest, Tool
from ..tokencount import LRUCache, SegmentCounter, text_key, tool_json
from .prompts import build_prompt, prompt_text, tools_block

logger = logging.getLogger(__name__)

TOOL_SETS = 16  # tools blocks remembered: one per client and version in use


def added_token_cut(fast: Any) -> re.Pattern[str] | None:
    """A pattern matching the tokenizer's added tokens the way the tokenizer does (leftmost, longest
    first), or None where one strips the whitespace around it or matches only whole words, or is
    matched after normalisation by a tokenizer that normalises: there the text cannot be cut at them."""
    tokens = list(fast.get_added_tokens_decoder().values())
    for t in tokens:
        if t.lstrip or t.rstrip or t.single_word or (t.normalized and fast.normalizer is not None):
            return None
    contents = sorted({t.content for t in tokens if t.content}, key=len, reverse=True)
    return re.compile("|".join(re.escape(c) for c in contents)) if contents else re.compile(r"(?!)")


class PromptCounter:
    """Counts what the local engine would prefill for a request, with `tokenizer` (a transformers one)."""

    def __init__(self, tokenizer: Any, *, max_entries: int = 16384) -> None:
        self.tokenizer = tokenizer
        fast: Any = getattr(tokenizer, "backend_tokenizer", None)  # the Rust tokenizer of a "fast" tokenizer
        self._cut = added_token_cut(fast) if fast is not None else None
        self._specials = fast.post_processor.num_special_tokens_to_add(False) if fast and fast.post_processor else 0
        self._text = SegmentCounter(
            lambda text: len(fast.encode(text, add_special_tokens=False).ids), max_entries=max_entries
        )
        self.exact: bool | None = None if self._cut is not None else False  # None: not compared yet
        self._blocks: LRUCache[str] = LRUCache(TOOL_SETS)

    @property
    def paragraphs_add_up(self) -> bool | None:
        return self._text.paragraphs_add_up

    @property
    def tokenised(self) -> int:
        """Characters given to the tokenizer in pieces so far (whole counts not included)."""
        return self._text.tokenised

    def count(self, request: CanonicalRequest) -> int:
        """The tokens `build_prompt(tokenizer, request)` gives."""
        if self.exact is False:
            return self._whole(request)
        n = self._pieces(request)
        if self.exact is None:
            whole = len(build_prompt(self.tokenizer, request).ids)
            self.exact = n == whole
            if not self.exact:
                logger.info("counting this tokenizer's prompts in pieces is off (%d != %d): counting whole", n, whole)
            return whole
        return n

    def _whole(self, request: CanonicalRequest) -> int:
        """build_prompt's count, remembered by the prompt's text: a repeat costs rendering and a hash."""
        text, _ = prompt_text(self.tokenizer, request, self._tools_block)
        key = ("prompt", *text_key(text))
        n = self._text.cache.get(key)
        if n is None:
            n = len(build_prompt(self.tokenizer, request).ids)
            self._text.cache.put(key, n)
        return n

    def _tools_block(self, tools: list[Tool]) -> str:
        """tools_block, remembered for the last few tool sets: writing an agent's 80 KB of tool JSON the
        way the engine does (json.dumps) would be half the cost of counting a request seen before."""
        key = text_key("\n".join(tool_json(t) for t in tools))
        block = self._blocks.get(key)
        if block is None:
            block = tools_block(tools)
            self._blocks.put(key, block)
        return block

    def _pieces(self, request: CanonicalRequest) -> int:
        assert self._cut is not None
        text, adds_specials = prompt_text(self.tokenizer, request, self._tools_block)
        n = self._specials if adds_specials else 0
        start = 0
        for m in self._cut.finditer(text):
            if m.start() > start:
                n += self._text.text(text[start : m.start()])
            n += 1
            start = m.end()
        return n + (self._text.text(text[start:]) if start < len(text) else 0)
