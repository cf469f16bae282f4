"""Token counts for a canonical request, cheap enough to run on every request.

A request is cut into segments (each message, each tool definition) and each segment's count is
remembered in a bounded LRU keyed by its length and hash, owned by the counter: an agent conversation
resends its system prompt, tools and earlier turns on every call, so only the new turn is tokenised,
and counting the same request twice (the count_tokens endpoint, the context-window gate, max_tokens
clamping) costs a hash of each segment. A long segment not seen before is counted paragraph by
paragraph, at cuts where the counts add up exactly (PARAGRAPH_CUT), so another session of the same
agent, whose system prompt differs in a working directory, tokenises that paragraph and no more.
Framing tokens are added per message the way OpenAI's cookbook counts chat messages. A count runs on
the event loop unless it has much new text to tokenise (`count_off_loop`).

`TokenCount.source` says how a count was made: "upstream" (the backend reported it), "tokenizer"
(the model's own tokenizer and chat template), "endpoint" (the server's tokenize endpoint),
"tiktoken" or "litellm" (a real BPE chosen by model family), "estimate" (characters / 4, the last
fallback, flagged `tokens_estimated` in the request log).
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import orjson

from .contract import CanonicalRequest, ImagePart, Message, TextPart, TokenCount, Tool
from .tokens import TOKENS_PER_IMAGE, estimate_request_tokens

logger = logging.getLogger(__name__)
V = TypeVar("V")

TOKENS_PER_MESSAGE = 3  # <|start|>role ... <|end|> in OpenAI's chat format
TOKENS_PER_REPLY = 3  # the primed assistant turn
TOKENS_PER_TOOL = 8  # the wrapper a chat template puts around each tool definition


def estimate(request: CanonicalRequest) -> TokenCount:
    return TokenCount(estimate_request_tokens(request), "estimate")


def message_segment(m: Message) -> str:
    parts = [m.role, m.name or "", m.tool_call_id or ""]
    parts.extend(p.text for p in m.content if isinstance(p, TextPart))
    for call in m.tool_calls:
        parts.append(call.name)
        parts.append(call.arguments)
    return "\n".join(p for p in parts if p)


def tool_json(t: Tool) -> str:
    return orjson.dumps({"name": t.name, "description": t.description, "parameters": t.parameters}).decode()


def tool_segments(request: CanonicalRequest) -> list[str]:
    return [tool_json(t) for t in request.tools]


def _utf8(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def prompt_bytes(request: CanonicalRequest) -> tuple[int, int]:
    """(UTF-8 bytes of the prompt's text, tokens of framing and images)."""
    size = _utf8(request.prompt or "") + _utf8(request.suffix or "")
    framing = TOKENS_PER_REPLY
    for m in request.messages:
        framing += TOKENS_PER_MESSAGE
        size += _utf8(m.name or "") + _utf8(m.tool_call_id or "")
        for p in m.content:
            if isinstance(p, TextPart):
                size += _utf8(p.text)
            else:
                framing += TOKENS_PER_IMAGE
        size += sum(_utf8(c.name) + _utf8(c.arguments) for c in m.tool_calls)
    if request.tools:
        segments = tool_segments(request)
        size += sum(_utf8(s) for s in segments)
        framing += TOKENS_PER_TOOL * len(segments)
    return size, framing


def utf8_bound(request: CanonicalRequest) -> int:
    """An upper bound on any byte-level BPE's count (a token covers at least one byte), plus framing.
    Below a context window it proves the request fits without tokenising anything."""
    size, framing = prompt_bytes(request)
    return size + framing


# No tokenizer in use averages more on real text (English ~4, code ~3-4): a prompt needing more to fit
# a window is taken as not fitting without being counted (a rule of thumb, not a proof).
MAX_BYTES_PER_TOKEN = 8


class LRUCache(Generic[V]):
    """A bounded LRU. Counts are kept under (length, hash) of their text, never the text itself, so a count
    costs about 240 bytes whatever the text's size (16,384 entries: about 4 MB). Thread-safe: counters
    run in worker threads."""

    def __init__(self, max_entries: int) -> None:
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)


def text_key(text: str) -> tuple[int, int]:
    return len(text), hash(text)


# A cut after the first word of a paragraph, before the space that starts the next word ("\n\nYou| are").
# Byte-level BPEs split text into pieces with a regex (GPT-2's, cl100k's, o200k's, Llama 3's, Qwen's)
# and merge only inside a piece; a piece that ends in a non-space character is never continued by " x"
# (a word starts with its leading space), and no such regex looks behind, so the text either side of
# the cut splits into the same pieces alone as together: the counts add up exactly. Each cut depends
# only on the text around it, so a changed paragraph (the working directory in an agent's system
# prompt) changes only its own chunks.
PARAGRAPH_CUT = re.compile(r"\n\n\S+(?= [A-Za-z])")
SPLIT_BYTES = 2048  # shorter texts are counted whole


def paragraph_chunks(text: str) -> list[str]:
    """`text` cut after the first word of each paragraph (see PARAGRAPH_CUT); "".join gives it back."""
    chunks, start = [], 0
    for m in PARAGRAPH_CUT.finditer(text):
        chunks.append(text[start : m.end()])
        start = m.end()
    chunks.append(text[start:])
    return chunks


class TooMuchNewText(Exception):
    """A count given an `Inline` allowance would tokenise more than it allows: the caller counts again in
    a worker thread (`count_off_loop`). A signal between a counter and its caller, never an error: it
    does not leave `count_off_loop`."""


class Inline:
    """How many characters a count running on the event loop may still give the tokenizer."""

    def __init__(self, chars: int) -> None:
        self.chars = chars

    def spend(self, chars: int) -> None:
        if chars > self.chars:
            raise TooMuchNewText
        self.chars -= chars


class Counter(Protocol):
    inline_chars: int  # new text worth counting on the event loop rather than paying a thread hop

    def count(self, request: CanonicalRequest, inline: Inline | None = None) -> int: ...


async def count_off_loop(counter: Counter, request: CanonicalRequest) -> int:
    """`counter.count(request)` on the event loop while the text it has to tokenise (what its caches do
    not hold) stays within `counter.inline_chars`: a cached or small count costs less than a thread hop.
    A count that needs more starts again in a worker thread (the cache lookups are repeated, the
    pieces already tokenised are cached), so a never-seen 100 KB request does not hold up the other
    requests while it is tokenised (the tokenizers used release the GIL while they work)."""
    try:
        return counter.count(request, Inline(counter.inline_chars))
    except TooMuchNewText:
        return await asyncio.to_thread(counter.count, request)


INLINE_CHARS = 16384  # about 1 ms of tiktoken on a server core


class SegmentCounter:
    """Counts a request segment by segment with `encode_len`, remembering each segment's count; a long
    segment missing from the cache is counted paragraph by paragraph (each remembered too), so a
    system prompt that differs from one already seen only in a paragraph costs that paragraph."""

    def __init__(
        self,
        encode_len: Callable[[str], int],
        *,
        tools_len: Callable[[list[str]], int] | None = None,
        paragraphs: bool | None = None,
        max_entries: int = 16384,
        inline_chars: int = INLINE_CHARS,
    ) -> None:
        """tools_len: counts a request's tool definitions (their JSON) as a whole, where the counter has
        its own way with tools (litellm's); else each definition is counted as text plus framing.
        paragraphs: whether `encode_len`'s counts add up by paragraph (PARAGRAPH_CUT): True where that is
        known (tiktoken's encodings: tests/backends/test_segment_counts.py), False to count texts whole,
        None to find out on the first text cut (that text is then tokenised twice, cut and whole).
        inline_chars: see `count_off_loop`."""
        self._encode_len = encode_len
        self._tools_len = tools_len
        self.cache: LRUCache[int] = LRUCache(max_entries)
        self.paragraphs_add_up = paragraphs
        self.inline_chars = inline_chars
        self.tokenised = 0  # characters given to the tokenizer so far (the cost; the rest is cache hits)

    def _encode(self, text: str, inline: Inline | None) -> int:
        if inline is not None:
            inline.spend(len(text))
        self.tokenised += len(text)
        return self._encode_len(text)

    def _cached(self, key: Hashable, make: Callable[[], int]) -> int:
        n = self.cache.get(key)
        if n is None:
            n = make()
            self.cache.put(key, n)
        return n

    def text(self, text: str, inline: Inline | None = None) -> int:
        return self._cached(text_key(text), lambda: self._count_new(text, inline))

    def _count_new(self, text: str, inline: Inline | None) -> int:
        chunks = paragraph_chunks(text) if len(text) > SPLIT_BYTES and self.paragraphs_add_up is not False else []
        if len(chunks) < 2:
            return self._encode(text, inline)
        total = 0
        for chunk in chunks:
            total += self._cached(text_key(chunk), lambda chunk=chunk: self._encode(chunk, inline))  # type: ignore[misc]
        if self.paragraphs_add_up is None:
            whole = self._encode(text, inline)
            self.paragraphs_add_up = whole == total
            if whole != total:
                logger.info("this tokenizer's counts do not add up by paragraph (%d != %d)", total, whole)
            return whole
        return total

    def tools(self, segments: list[str], inline: Inline | None = None) -> int:
        if self._tools_len is None:
            return sum(TOKENS_PER_TOOL + self.text(s, inline) for s in segments)
        tools_len = self._tools_len

        def make() -> int:
            size = sum(len(s) for s in segments)
            if inline is not None:
                inline.spend(size)
            self.tokenised += size
            return tools_len(segments)

        return self._cached((-len(segments), hash(tuple(segments))), make)

    def count(self, request: CanonicalRequest, inline: Inline | None = None) -> int:
        """The request's tokens; `inline`: see `count_off_loop`."""
        if request.prompt is not None:
            return self.text(request.prompt, inline) + self.text(request.suffix or "", inline)
        n = TOKENS_PER_REPLY
        for m in request.messages:
            n += TOKENS_PER_MESSAGE + self.text(message_segment(m), inline)
            n += TOKENS_PER_IMAGE * sum(1 for p in m.content if isinstance(p, ImagePart))
        return n + (self.tools(tool_segments(request), inline) if request.tools else 0)


# ---- tiktoken, offline ---------------------------------------------------------------------------

O200K_PREFIXES = ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o", "gpt-oss")
CL100K_PREFIXES = ("gpt-4", "gpt-3.5", "text-embedding-3", "text-embedding-ada")


def encoding_name(model: str) -> str:
    """The tiktoken encoding nearest to `model`'s tokenizer: OpenAI's own by family; o200k_base (the
    newest, a 200k byte-level BPE like Llama 3's, Qwen's and Gemma's) for everything else."""
    base = model.rsplit("/", 1)[-1].lower()
    if base.startswith(O200K_PREFIXES):
        return "o200k_base"
    if base.startswith(CL100K_PREFIXES):
        return "cl100k_base"
    return "o200k_base"


def _bundled_tiktoken_dir() -> Path | None:
    """litellm ships tiktoken's BPE files (cl100k, o200k, p50k) so nothing is fetched at run time."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "litellm_core_utils" / "tokenizers"
    return path if path.is_dir() else None


def tiktoken_encoding(model: str) -> Any | None:
    """tiktoken's encoding for `model`, read from litellm's bundled files; None where tiktoken or its
    files are missing."""
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        bundled = _bundled_tiktoken_dir()
        if bundled is not None:
            os.environ["TIKTOKEN_CACHE_DIR"] = str(bundled)
    try:
        import tiktoken

        enc: Any = tiktoken.get_encoding(encoding_name(model))
    except (ImportError, OSError, ValueError) as exc:
        logger.warning("no tiktoken encoding for %s (%s); token counts fall back to the estimate", model, exc)
        return None
    return enc


def tiktoken_counter(model: str) -> SegmentCounter | None:
    """A segment counter over tiktoken's encoding for `model`, or None (callers fall back to the estimate)."""
    enc = tiktoken_encoding(model)
    return None if enc is None else SegmentCounter(lambda text: len(enc.encode_ordinary(text)), paragraphs=True)
