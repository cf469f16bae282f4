"""The MTP head's attention: training (all start positions at once, masked) reads exactly what
drafting (one query over the target's cache) reads, and a head file keeps its attention."""

from __future__ import annotations

from pathlib import Path

import torch

from backends.local.mtp import Context, MTPHead


def attending_head(target) -> MTPHead:  # type: ignore[no-untyped-def]
    arch = target.arch
    torch.manual_seed(0)
    head = MTPHead(arch.dim, torch.arange(arch.vocab_size), attn=(arch.n_heads, arch.n_kv_heads, arch.head_dim))
    for p in head.parameters():  # random weights, so that every part of the step matters
        torch.nn.init.normal_(p, std=0.3)
    head.attach(target.lm_head)
    return head.float().eval()


def test_training_sees_what_drafting_sees(make_decoder) -> None:  # type: ignore[no-untyped-def]
    target = make_decoder("llama", seed=3)
    head = attending_head(target)
    seq = torch.tensor([(5 * i + 2) % 64 for i in range(24)])
    _, hidden = target.forward(seq, 0)
    keys, values = (t[:, : len(seq)].clone() for t in target.layer_cache(-1))
    starts = torch.arange(len(seq) - 2)
    seen = torch.arange(len(seq))[None, :] <= starts[:, None]  # as train.head_loss masks
    with torch.no_grad():
        first = head.step(
            hidden[starts], target.embed_tokens(seq[starts + 1]), Context.of(target, keys, values, starts + 1, seen)
        )
        second = head.step(
            first, target.embed_tokens(seq[starts + 2]), Context.of(target, keys, values, starts + 2, seen)
        )
        for t in starts.tolist():
            pos = t + 1  # drafting: the pending token seq[t + 1] sits at pos; the cache holds what precedes it
            g1 = head.step(hidden[t][None], target.embed_tokens(seq[t + 1 : t + 2]), Context.cached(target, pos, pos))
            g2 = head.step(g1, target.embed_tokens(seq[t + 2 : t + 3]), Context.cached(target, pos, pos + 1))
            torch.testing.assert_close(g1[0], first[t])
            torch.testing.assert_close(g2[0], second[t])
        # the attention does read the cache: one more key changes the state
        t = 10
        more = head.step(hidden[t][None], target.embed_tokens(seq[t + 1 : t + 2]), Context.cached(target, t + 2, t + 1))
        assert not torch.allclose(more[0], first[t], atol=1e-4)


def test_head_file_keeps_its_attention(make_decoder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = make_decoder("llama", seed=3)
    head = attending_head(target)
    head.save(tmp_path / "h.safetensors", {"target": "tiny"})
    loaded, meta = MTPHead.load(tmp_path / "h.safetensors", dtype=torch.float32)
    assert loaded.attn == head.attn and meta == {"target": "tiny"}
    loaded.attach(target.lm_head)
    h, e = torch.randn(1, target.arch.dim), torch.randn(1, target.arch.dim)
    target.forward(torch.arange(8), 0)
    context = Context.cached(target, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(loaded.step(h, e, context), head.step(h, e, context), atol=0.05, rtol=0.05)
