"""Exact prompt counts for the local backend, cheap on what an agent resends.

The count is the length of what `build_prompt` would prefill, made in pieces: the prompt text (the
chat template rendered, tools block included) is cut at the tokenizer's added tokens (`<|im_start|>`
and the like), which a tokenizer matches before anything else and never merges with the text around
them, so each added token is one token and the text between them tokenises alone exactly as within
the whole. Those texts are counted by a `SegmentCounter` (cached by content hash, long ones paragraph
by paragraph): a conversation's system prompt, tools and earlier turns are tokenised once per
process, a new turn costs its own text.

Where the chat template prints each message's content as it is (frames.py), the prompt is not even
rendered: the template's text around the contents (the frames) is rendered once per sequence of roles,
and each message's count is remembered under its content's hash with the frame text glued to it, so
a count costs building the messages, a hash of each and a lookup, and the new turn's tokenisation.
Otherwise the whole prompt is rendered and cut.

The first count of a counter is also made whole, by `build_prompt` itself; if the two differ (a
tokenizer whose added tokens strip whitespace, or whose pre-tokenizer does not cut where the
pieces are cut), every count is made whole from then on.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import orjson

from ..contract import CanonicalRequest, Tool
from ..tokencount import Inline, LRUCache, SegmentCounter, TooMuchNewText, text_key
from .frames import content_printed_as_is, render_frames
from .prompts import Controls, build_prompt, chat_messages, prompt_text, tools_block, trie_pattern

logger = logging.getLogger(__name__)

TOOL_SETS = 16  # tools blocks remembered: one per client and version in use
INLINE_CHARS = 4096  # new text counted on the event loop: about 2 ms of this tokenizer (count_off_loop)
LAYOUTS = 256  # sequences of roles remembered: about one per conversation length in flight
FRAMES = 256  # a template's texts between two contents: a handful per template


def added_token_cut(fast: Any) -> re.Pattern[str] | None:
    """A pattern matching the tokenizer's added tokens the way the tokenizer does (leftmost, longest
    first), or None where one strips the whitespace around it or matches only whole words, or is
    matched after normalisation by a tokenizer that normalises: there the text cannot be cut at them."""
    tokens = list(fast.get_added_tokens_decoder().values())
    for t in tokens:
        if t.lstrip or t.rstrip or t.single_word or (t.normalized and fast.normalizer is not None):
            return None
    return trie_pattern(t.content for t in tokens if t.content)  # Gemma's 6,384: 0.9 ms per 100 KB, not 68


@dataclass(frozen=True, slots=True)
class Layout:
    """A conversation's prompt as the counter cuts it, for one sequence of roles: for each message, the
    template's text glued to its content on either side (up to the nearest added token), and the tokens
    of all the rest (the added tokens and the template's texts between them)."""

    around: list[tuple[str, str]]
    tokens: int


class PromptCounter:
    """Counts what the local engine would prefill for a request, with `tokenizer` (a transformers one)."""

    def __init__(self, tokenizer: Any, *, max_entries: int = 16384) -> None:
        self.tokenizer = tokenizer
        self.controls = Controls(tokenizer)  # as the engine breaks them in a client's text
        fast: Any = getattr(tokenizer, "backend_tokenizer", None)  # the Rust tokenizer of a "fast" tokenizer
        self._cut = added_token_cut(fast) if fast is not None else None
        self._specials = fast.post_processor.num_special_tokens_to_add(False) if fast and fast.post_processor else 0
        self._text = SegmentCounter(
            lambda text: len(fast.encode_batch_fast([text], add_special_tokens=False)[0].ids),  # frees the GIL
            max_entries=max_entries,
        )
        self.exact: bool | None = None if self._cut is not None else False  # None: not compared yet
        template = getattr(tokenizer, "chat_template", None)
        self.by_message = isinstance(template, str) and content_printed_as_is(template)
        self._layouts: LRUCache[Layout] = LRUCache(LAYOUTS)
        self._blocks: LRUCache[str] = LRUCache(TOOL_SETS)
        self._frames: LRUCache[tuple[str, str, int]] = LRUCache(FRAMES)
        self.inline_chars = INLINE_CHARS

    @property
    def paragraphs_add_up(self) -> bool | None:
        return self._text.paragraphs_add_up

    @property
    def tokenised(self) -> int:
        """Characters given to the tokenizer in pieces so far (whole counts not included)."""
        return self._text.tokenised

    def count(self, request: CanonicalRequest, inline: Inline | None = None) -> int:
        """The tokens `build_prompt(tokenizer, request)` gives; `inline`: see tokencount.count_off_loop."""
        if self.exact is False:
            return self._whole(request, inline)
        if self.exact is None and inline is not None:  # the first count is made whole as well: in a thread
            raise TooMuchNewText
        n = self._pieces(request, inline)
        if self.exact is None:
            whole = len(build_prompt(self.tokenizer, request, self.controls).ids)
            self.exact = n == whole
            if not self.exact:
                logger.info("counting this tokenizer's prompts in pieces is off (%d != %d): counting whole", n, whole)
            return whole
        return n

    def _whole(self, request: CanonicalRequest, inline: Inline | None) -> int:
        """build_prompt's count, remembered by the prompt's text: a repeat costs rendering and a hash."""
        text, _ = prompt_text(self.tokenizer, request, self._tools_block, self.controls)
        key = ("prompt", *text_key(text))
        n = self._text.cache.get(key)
        if n is None:
            if inline is not None:
                inline.spend(len(text))
            n = len(build_prompt(self.tokenizer, request, self.controls).ids)
            self._text.cache.put(key, n)
        return n

    def _tools_block(self, tools: list[Tool]) -> str:
        """tools_block, remembered for the last few tool sets: writing an agent's 80 KB of tool JSON the
        way the engine does (json.dumps) would be half the cost of counting a request seen before."""
        dumped = orjson.dumps([(t.name, t.description, t.parameters) for t in tools])  # a tenth of json.dumps's cost
        key = (len(dumped), hash(dumped))
        block = self._blocks.get(key)
        if block is None:
            block = tools_block(tools, self.controls.neutral)
            self._blocks.put(key, block)
        return block

    def _pieces(self, request: CanonicalRequest, inline: Inline | None) -> int:
        """Message by message where the template allows (frames.py), else the whole prompt text cut at
        its added tokens."""
        if request.prompt is None and self.by_message:
            messages = chat_messages(request, self._tools_block, self.controls.neutral)
            layout = self._layout(tuple(m["role"] for m in messages)) if messages else None
            if layout is not None:
                pairs = zip(layout.around, messages, strict=True)
                return layout.tokens + sum(self._message(edges, m["content"], inline) for edges, m in pairs)
        text, adds_specials = prompt_text(self.tokenizer, request, self._tools_block, self.controls)
        return (self._specials if adds_specials else 0) + self._cut_count(text, inline)

    def _message(self, edges: tuple[str, str], content: str, inline: Inline | None) -> int:
        """The tokens of a message's content with the template's text glued to it, remembered by content."""
        before, after = edges
        key = ("message", before, after, *text_key(content))
        n = self._text.cache.get(key)
        if n is None:
            n = self._cut_count(before + content + after, inline)
            self._text.cache.put(key, n)
        return n

    def _layout(self, roles: tuple[str, ...]) -> Layout | None:
        """The layout of conversations with these roles, rendered once; None (and from then on every prompt
        rendered whole) where the template's frames cannot be counted apart."""
        layout = self._layouts.get(roles)
        if layout is None:
            frames = render_frames(self.tokenizer, roles)
            layout = self._cut_frames(frames) if frames is not None else None
            if layout is None:
                logger.info("this chat template cannot be counted message by message: counting prompts whole")
                self.by_message = False
                return None
            self._layouts.put(roles, layout)
        return layout

    def _cut_frames(self, frames: list[str]) -> Layout | None:
        """Each frame cut at its first and last added token: the text before the first goes with the
        content before it, the text after the last with the content after it, the rest is counted here.
        None where a frame between two contents has no added token (the two would tokenise as one)."""
        edges, tokens = [], 0
        for i, frame in enumerate(frames):
            cut = self._cut_frame(frame)
            if cut is None:  # no added token: the start or the end of the prompt must bound it
                if 0 < i < len(frames) - 1:
                    return None
                cut = ("", frame, 0) if i == 0 else (frame, "", 0)
            edges.append(cut[:2])
            tokens += cut[2]
        tokens += self._text.text(edges[0][0]) + self._text.text(edges[-1][1])
        return Layout([(edges[i][1], edges[i + 1][0]) for i in range(len(frames) - 1)], tokens)

    def _cut_frame(self, frame: str) -> tuple[str, str, int] | None:
        """The text before the frame's first added token, the text after its last, and the tokens from
        the one to the other; None without an added token."""
        assert self._cut is not None
        cut = self._frames.get(frame)
        if cut is None:
            marks = [m.span() for m in self._cut.finditer(frame)]
            if not marks:
                return None
            first, last = marks[0][0], marks[-1][1]
            cut = (frame[:first], frame[last:], self._cut_count(frame[first:last]))
            self._frames.put(frame, cut)
        return cut

    def _cut_count(self, text: str, inline: Inline | None = None) -> int:
        """`text` cut at the added tokens: one token each, the texts between counted by the segment counter."""
        assert self._cut is not None
        n = start = 0
        for m in self._cut.finditer(text):
            if m.start() > start:
                n += self._text.text(text[start : m.start()], inline)
            n += 1
            start = m.end()
        return n + (self._text.text(text[start:], inline) if start < len(text) else 0)
