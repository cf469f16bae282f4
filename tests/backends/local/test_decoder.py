"""The native decoder against transformers' forward pass, and its KV-cache rollback; each with the
attention of decode steps and draft blocks on torch operations and on the native kernel."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from .conftest import tiny_hf


def _attend(native: bool, request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue("attend16") if native else None


def test_a_decoder_built_while_another_model_loads_keeps_its_float32_cache() -> None:
    """transformers sets torch's default dtype for the whole process while it loads a model (bf16 for
    ours); a decoder built meanwhile in another thread (two backends starting together) must still keep
    float32 keys and values, or its first long prompt fails (float32 queries against bf16 keys)."""
    from backends.local.decoder import decoder_from_hf

    model = tiny_hf("llama")
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)  # what another thread's from_pretrained does meanwhile
    try:
        dec = decoder_from_hf(model, max_len=64, dtype=torch.bfloat16)
    finally:
        torch.set_default_dtype(before)
    assert dec.k_cache.dtype == dec.v_cache.dtype == torch.float32
    ids = torch.randint(0, 64, (20,), generator=torch.Generator().manual_seed(1))
    logits, _ = dec.forward(ids, 0)  # over 16 tokens: one causal call against the cache
    assert logits.shape == (20, 64) and torch.isfinite(logits).all()


@pytest.mark.parametrize("native", [False, True])
@pytest.mark.parametrize("kind", ["llama", "gemma3"])
def test_logits_match_transformers(kind: str, native: bool, request: pytest.FixtureRequest) -> None:
    from backends.local.decoder import decoder_from_hf

    model = tiny_hf(kind, head_dim=16 if native else None)
    ids = torch.randint(0, 64, (1, 20), generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        ref = model(ids).logits[0]
    dec = decoder_from_hf(model, max_len=64, attend=_attend(native, request))
    # in pieces, as prefill + decode steps + a draft block would run (sliding window 6 is crossed)
    parts = [dec.forward(ids[0, a:b], a)[0] for a, b in ((0, 7), (7, 8), (8, 13), (13, 20))]
    ours = torch.cat(parts)
    assert torch.allclose(ours, ref, atol=1e-4, rtol=1e-4), (ours - ref).abs().max()


def test_real_smollm2_logits_match_transformers(smollm2) -> None:  # type: ignore[no-untyped-def]
    ids = smollm2.tokenizer('def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n')["input_ids"]
    with torch.inference_mode():
        ref = smollm2.hf(torch.tensor([ids])).logits[0].float()
    ours, _ = smollm2.decoder.forward(torch.tensor(ids), 0)
    assert ours.shape == ref.shape
    assert (ours - ref).abs().max() < 0.05 * ref.abs().max()
    assert (ours.argmax(-1) == ref.argmax(-1)).float().mean() >= 0.95


def _tiny_bf16(kind: str, native: bool, request: pytest.FixtureRequest) -> Any:
    from backends.local.decoder import decoder_from_hf

    return decoder_from_hf(
        tiny_hf(kind, head_dim=16 if native else None),
        max_len=96,
        dtype=torch.bfloat16,
        attend=_attend(native, request),
    )


@pytest.mark.parametrize("native", [False, True])
@pytest.mark.parametrize("kind", ["llama", "gemma3"])
def test_draft_block_rows_equal_single_steps(kind: str, native: bool, request: pytest.FixtureRequest) -> None:
    """The same on tiny bf16 models (multiplied row by row), Gemma's sliding window (6) included."""
    dec = _tiny_bf16(kind, native, request)
    ids = torch.randint(0, 64, (80,), generator=torch.Generator().manual_seed(6))
    dec.forward(ids[:20], 0)
    singles = torch.cat([dec.forward(ids[p : p + 1], p)[0] for p in range(20, 80)])
    for start in (20, 29, 63, 70):
        block, _ = dec.forward(ids[start : start + 9], start)
        assert torch.equal(block, singles[start - 20 : start - 11]), start


def test_real_smollm2_draft_block_rows_equal_single_steps(smollm2) -> None:  # type: ignore[no-untyped-def]
    """bf16 on the real model: a token gets bit-identical logits whether it is decoded alone or verified
    inside a draft block (sizes 2-9). Batched attention and, on some CPUs, long packed reductions round
    differently from single-row ones; this is what keeps speculative output identical."""
    dec = smollm2.decoder
    ids = torch.randint(0, 40000, (80,), generator=torch.Generator().manual_seed(5))
    dec.forward(ids[:20], 0)
    singles = torch.cat([dec.forward(ids[p : p + 1], p)[0] for p in range(20, 80)])
    for start, size in ((20, 2), (27, 9), (40, 5), (58, 8), (70, 3)):
        block, _ = dec.forward(ids[start : start + size], start)
        assert torch.equal(block, singles[start - 20 : start - 20 + size]), (start, size)


def _siblings_match_single_steps(dec, ids: torch.Tensor, pos: int, chain: list[int], siblings: list[int]) -> None:  # type: ignore[no-untyped-def]
    """A block [ids[pos], *chain, *siblings] (siblings: other guesses for chain[0]) gives every sibling
    the logits a single step at pos+1 gives it, keeps the chain's rows as they were, and after
    keep_sibling the cache holds that sibling at pos+1 exactly as if it had been decoded."""
    pending = ids[pos : pos + 1]
    alone = {}
    for tok in chain[:1] + siblings:
        dec.forward(pending, pos)
        alone[tok] = dec.forward(torch.tensor([tok]), pos + 1)[0][0]
    dec.forward(pending, pos)
    after_first = dec.forward(torch.tensor(chain[:1]), pos + 1)[0]
    steps = [dec.forward(torch.tensor([t]), pos + 2 + i)[0] for i, t in enumerate(chain[1:])]
    plain_chain = torch.cat([after_first, *steps])
    block, _ = dec.forward(torch.tensor([int(pending), *chain, *siblings]), pos, siblings=len(siblings))
    assert torch.equal(block[1 : 1 + len(chain)], plain_chain)
    for j, tok in enumerate(siblings):
        assert torch.equal(block[1 + len(chain) + j], alone[tok]), (pos, j)
    dec.keep_sibling(pos, len(chain) + len(siblings))  # the last row
    resumed = dec.forward(torch.tensor([3]), pos + 2)[0]
    dec.forward(pending, pos)
    dec.forward(torch.tensor(siblings[-1:]), pos + 1)
    assert torch.equal(resumed, dec.forward(torch.tensor([3]), pos + 2)[0])


@pytest.mark.parametrize("native", [False, True])
@pytest.mark.parametrize("kind", ["llama", "gemma3"])
def test_sibling_rows_equal_single_steps(kind: str, native: bool, request: pytest.FixtureRequest) -> None:
    dec = _tiny_bf16(kind, native, request)
    ids = torch.randint(0, 64, (80,), generator=torch.Generator().manual_seed(7))
    dec.forward(ids[:60], 0)
    for pos, chain, siblings in ((20, [5, 9, 11], [17, 40]), (41, [8], [2]), (60, [1, 2, 3, 4, 5], [6, 7, 8])):
        _siblings_match_single_steps(dec, ids, pos, chain, siblings)
    with pytest.raises(ValueError):
        dec.forward(torch.tensor([1, 2]), 20, siblings=1)  # a sibling needs a first guess to stand beside


def test_real_smollm2_sibling_rows_equal_single_steps(smollm2) -> None:  # type: ignore[no-untyped-def]
    dec = smollm2.decoder
    ids = torch.randint(0, 40000, (80,), generator=torch.Generator().manual_seed(8))
    dec.forward(ids[:60], 0)
    _siblings_match_single_steps(dec, ids, 33, [500, 7000, 12], [90, 31000])
    _siblings_match_single_steps(dec, ids, 57, [4], [5, 6])


@pytest.mark.parametrize("native", [False, True])
@pytest.mark.parametrize("kind", ["llama", "gemma3"])
def test_kv_cache_rollback_after_rejection(
    make_decoder,
    kind: str,
    native: bool,  # type: ignore[no-untyped-def]
    request: pytest.FixtureRequest,
) -> None:
    seq = torch.randint(0, 64, (24,), generator=torch.Generator().manual_seed(2))
    fresh = make_decoder(kind, seed=3, attend=_attend(native, request))
    ref, _ = fresh.forward(seq, 0)
    dec = make_decoder(kind, seed=3, attend=_attend(native, request))
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


def test_native_kernel_matches_torch_attention(attend16) -> None:  # type: ignore[no-untyped-def]
    """Both ways of attending give the same logits up to float32 rounding, over long contexts too (the
    kernel scores keys in blocks of 16 and 128) and with Gemma's sliding window."""
    from backends.local.decoder import decoder_from_hf

    for kind in ("llama", "gemma3"):
        ids = torch.randint(0, 64, (250,), generator=torch.Generator().manual_seed(9))
        model = tiny_hf(kind, seed=4, head_dim=16)
        torch_way, native_way = (decoder_from_hf(model, max_len=256, attend=a) for a in (None, attend16))
        for dec in (torch_way, native_way):
            dec.forward(ids[:120], 0)
        for pos in (120, 121, 170, 240):
            block = ids[pos : pos + 5]
            a, _ = torch_way.forward(block, pos)
            b, _ = native_way.forward(block, pos)
            assert torch.allclose(a, b, atol=1e-5, rtol=1e-5), (kind, pos, (a - b).abs().max())


def test_kernel_build_falls_back(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from backends.local.native import load_attend

    assert load_attend(24, tmp_path) is None  # not a multiple of 16
    monkeypatch.setenv("CC", str(tmp_path / "no-such-compiler"))
    assert load_attend(16, tmp_path) is None
    monkeypatch.delenv("CC")
    monkeypatch.setenv("SWITCHPOINT_NATIVE", "0")
    assert load_attend(16, tmp_path) is None


def _packing_or_skip() -> None:
    from backends.local.decoder import bf16_packing_available

    if not bf16_packing_available():
        pytest.skip("this CPU/torch build has no oneDNN bf16 kernels")


@pytest.mark.parametrize("shape", [(960, 576), (3072, 576), (576, 1536)])
@pytest.mark.parametrize("rows", [1, 5, 300])
def test_packed_linear_equals_f_linear(shape: tuple[int, int], rows: int) -> None:
    from backends.local.decoder import Linear

    _packing_or_skip()
    gen = torch.Generator().manual_seed(rows)
    weight = torch.randn(shape, generator=gen).bfloat16()
    x = torch.randn(rows, shape[1], generator=gen).bfloat16()
    packed = Linear(weight, pack=True)
    assert packed.packed and packed.weight is None
    assert torch.equal(packed(x), torch.nn.functional.linear(x, weight))


@pytest.mark.parametrize("shape", [(576, 1536), (640, 2048), (49152, 576)])
def test_row_exact_linear_keeps_rows_apart(shape: tuple[int, int]) -> None:
    """Whatever blocking the probe chose for this CPU, a row comes out the same alone as inside a
    block of 2-16 rows, and the product stays F.linear's to bf16 rounding."""
    from backends.local.decoder import row_exact_linear

    _packing_or_skip()
    gen = torch.Generator().manual_seed(shape[1])
    weight = (torch.randn(shape, generator=gen) * 0.05).bfloat16()
    linear = row_exact_linear(weight, pack=True)
    assert linear.packed or linear.rowwise
    for n in (2, 7, 16):
        x = torch.randn(n, shape[1], generator=gen).bfloat16()
        together = linear(x)
        assert all(torch.equal(linear(x[i : i + 1])[0], together[i]) for i in range(n))
        torch.testing.assert_close(together, torch.nn.functional.linear(x, weight), atol=0.02, rtol=0.02)


@pytest.mark.parametrize("kind", ["llama", "gemma3"])
def test_packed_bf16_decoder_equals_unpacked(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from backends.local import decoder as module

    _packing_or_skip()
    model = tiny_hf(kind, hidden=256, vocab=256)  # matrices this small or larger are packed
    ids = torch.randint(0, 256, (20,), generator=torch.Generator().manual_seed(4))
    packed = module.decoder_from_hf(model, max_len=64, dtype=torch.bfloat16)
    monkeypatch.setattr(module, "bf16_packing_available", lambda: False)
    plain = module.decoder_from_hf(model, max_len=64, dtype=torch.bfloat16)
    assert all(layer[w].packed for layer in packed.layers for w in ("wqkv", "wo", "w13", "w2"))
    assert packed.output.packed and not plain.output.packed
    for a, b in ((0, 7), (7, 8), (8, 13), (13, 20)):  # prefill, one step, a draft block, the rest
        assert torch.equal(packed.forward(ids[a:b], a)[0], plain.forward(ids[a:b], a)[0])


def test_native_attention_gives_the_same_bits_on_one_thread_and_two(attend16: Any) -> None:
    """attend.c splits (row, head) pairs across threads, each computed alone: the thread count must not
    change a bit (a token's logits alone and inside a draft block rest on it)."""
    gen = torch.Generator().manual_seed(3)
    kv_heads, heads, slots, rows = 2, 6, 200, 5
    kt = torch.randn(kv_heads, 16, slots, generator=gen)
    v = torch.randn(kv_heads, slots, 16, generator=gen)
    q = torch.randn(rows, heads, 16, generator=gen)
    end = torch.arange(60, 60 + rows)  # a draft block: each row sees one key more than the row before
    bounds = (torch.zeros(rows, dtype=torch.int64), end, end - 1)
    outs = []
    for threads in (1, 2):
        out = torch.empty(rows, heads * 16)
        attend16(q, kt, v, out, bounds, kv_heads, torch.empty(threads * slots))
        outs.append(out)
    assert torch.equal(outs[0], outs[1])
    assert torch.isfinite(outs[0]).all() and outs[0].abs().sum() > 0
