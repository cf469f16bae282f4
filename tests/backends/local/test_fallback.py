"""Architectures without a native decoder stream through transformers' generate."""

from __future__ import annotations

import torch

from backends.local.fallback import hf_generate
from backends.local.sampling import Sampler


def tiny_gpt2():  # type: ignore[no-untyped-def]
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=50, n_positions=64, n_embd=32, n_layer=2, n_head=4, eos_token_id=None, bos_token_id=None
    )
    return GPT2LMHeadModel(config).eval()


def greedy_reference(model, prompt: list[int], n: int) -> list[int]:  # type: ignore[no-untyped-def]
    seq = list(prompt)
    with torch.inference_mode():
        for _ in range(n):
            seq.append(int(model(torch.tensor([seq])).logits[0, -1].argmax()))
    return seq[len(prompt) :]


def test_streams_greedy_tokens_and_stops_on_close() -> None:
    model = tiny_gpt2()
    prompt = [3, 7, 11, 2]
    ref = greedy_reference(model, prompt, 12)
    blocks = list(hf_generate(model, prompt, Sampler(), max_new_tokens=12, stop_ids=frozenset()))
    assert all(len(b) == 1 for b in blocks)
    assert [t for b in blocks for t in b] == ref
    # a stop id ends the stream before that token
    stop = ref[5]
    cut = [t for b in hf_generate(model, prompt, Sampler(), max_new_tokens=12, stop_ids=frozenset({stop})) for t in b]
    assert cut == ref[: ref.index(stop)]
    # closing the iterator early (client gone) returns promptly, with the worker thread joined
    it = hf_generate(model, prompt, Sampler(), max_new_tokens=40, stop_ids=frozenset())
    next(it)
    it.close()
