"""The native decoder against transformers' forward pass, and its KV-cache rollback."""

from __future__ import annotations

import pytest
import torch

from .conftest import tiny_hf


@pytest.mark.parametrize("kind", ["llama", "gemma3"])
def test_logits_match_transformers(kind: str) -> None:
    from backends.local.decoder import decoder_from_hf

    model = tiny_hf(kind)
    ids = torch.randint(0, 64, (1, 20), generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        ref = model(ids).logits[0]
    dec = decoder_from_hf(model, max_len=64)
    # in pieces, as prefill + decode steps + a draft block would run (sliding window 6 is crossed)
    parts = [dec.forward(ids[0, a:b], a)[0] for a, b in ((0, 7), (7, 8), (8, 13), (13, 20))]
    ours = torch.cat(parts)
    assert torch.allclose(ours, ref, atol=1e-4, rtol=1e-4), (ours - ref).abs().max()


def test_real_smollm2_logits_match_transformers(smollm2) -> None:  # type: ignore[no-untyped-def]
    ids = smollm2.tokenizer("def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n")["input_ids"]
    with torch.inference_mode():
        ref = smollm2.hf(torch.tensor([ids])).logits[0].float()
    ours, _ = smollm2.decoder.forward(torch.tensor(ids), 0)
    assert ours.shape == ref.shape
    assert (ours - ref).abs().max() < 0.05 * ref.abs().max()
    assert (ours.argmax(-1) == ref.argmax(-1)).float().mean() >= 0.95


@pytest.mark.parametrize("kind", ["llama", "gemma3"])
def test_kv_cache_rollback_after_rejection(make_decoder, kind: str) -> None:  # type: ignore[no-untyped-def]
    seq = torch.randint(0, 64, (24,), generator=torch.Generator().manual_seed(2))
    fresh = make_decoder(kind, seed=3)
    ref, _ = fresh.forward(seq, 0)
    dec = make_decoder(kind, seed=3)
    dec.forward(seq[:10], 0)
    # a draft block [seq[10], junk x5] is verified; only seq[10] is kept, the junk stays in the cache
    junk = torch.tensor([5, 9, 9, 1, 0])
    dec.forward(torch.cat([seq[10:11], junk]), 10)
    # decoding resumes at position 11 and must not see the rejected entries
    rest, _ = dec.forward(seq[11:], 11)
    assert torch.allclose(rest, ref[11:], atol=1e-5), (rest - ref[11:]).abs().max()
    # and a second rejection deeper in, then single steps
    dec.forward(torch.tensor([int(seq[20]), 3, 3]), 20)
    for pos in range(21, 24):
        step, _ = dec.forward(seq[pos : pos + 1], pos)
        assert torch.allclose(step[0], ref[pos], atol=1e-5)
