"""The decoder on each device torch has here (`device: auto|cpu|cuda`): a token's logits are
bit-identical alone and inside a draft block (siblings too), and greedy speculative output (n-gram
and MTP drafters) equals plain decoding. CUDA cases skip without a GPU (scripts/gpu-check.sh runs them
on a GPU host)."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from backends.local.decoder import decoder_from_hf
from backends.local.drafters import MTPDrafter, NgramDrafter
from backends.local.generate import SpecPolicy, generate
from backends.local.loader import resolve_device
from backends.local.mtp import MTPHead
from backends.local.sampling import Sampler

from .conftest import tiny_hf
from .test_kernels import _blocks_equal_singles

CUDA = torch.cuda.is_available()
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not CUDA, reason="no CUDA GPU here"))]


def _tiny(kind: str, device: str) -> Any:
    return decoder_from_hf(tiny_hf(kind, hidden=64), max_len=96, dtype=torch.bfloat16, device=device)


def test_device_option() -> None:
    assert resolve_device(None) == resolve_device("auto") == ("cuda" if CUDA else "cpu")
    assert resolve_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="unknown device"):
        resolve_device("tpu")
    if not CUDA:
        with pytest.raises(ValueError, match="no CUDA GPU"):
            resolve_device("cuda")


@pytest.mark.parametrize("kind", ["llama", "gemma3"])
@pytest.mark.parametrize("device", DEVICES)
def test_rows_equal_single_steps_on_device(kind: str, device: str) -> None:
    dec = _tiny(kind, device)
    assert dec.k_cache.device.type == device and dec.embed.device.type == device
    if device != "cpu":
        assert dec.kernels == f"{device}-bfloat16" and dec.attend is None
    _blocks_equal_singles(dec, 64)


@pytest.mark.parametrize("device", DEVICES)
def test_speculative_output_equals_plain_on_device(device: str) -> None:
    """Greedy, 48 tokens, a repetitive prompt (the n-gram drafter has something to copy); an untrained
    MTP head with siblings (it guesses badly, so rejections, rollbacks and siblings all happen)."""
    dec = _tiny("llama", device)
    arch = dec.arch
    head = MTPHead(arch.dim, torch.arange(0, 64, 2), attn=(arch.n_heads, arch.n_kv_heads, arch.head_dim))
    prompt = [5, 9, 11, 5, 9, 11, 5, 9, 11, 7, 3, 5, 9]

    def run(drafter: Any) -> list[int]:
        policy = SpecPolicy(switch_off=False)  # speculate all the way: identity is what is tested
        blocks = generate(dec, prompt, Sampler(), max_new_tokens=48, drafter=drafter, policy=policy)
        return [t for block in blocks for t in block]

    plain = run(None)
    assert len(plain) == 48
    assert run(NgramDrafter()) == plain
    mtp = MTPDrafter(dec, head, NgramDrafter(n_min=3), siblings=2, sibling_min=0.0)
    assert mtp.head.norm_h.weight.device.type == device
    assert run(mtp) == plain


@pytest.mark.skipif(not CUDA, reason="no CUDA GPU here")
def test_real_smollm2_on_cuda(smollm2: Any) -> None:
    """The real SmolLM2 on the GPU: identity in draft blocks; greedy tokens close to the CPU's bf16."""
    from backends.local.loader import load_model

    loaded = load_model("smollm2", max_len=256, device="cuda")
    dec = loaded.decoder
    assert dec is not None and dec.device.type == "cuda"
    _blocks_equal_singles(dec, 40000)
    ids = torch.randint(0, 40000, (40,), generator=torch.Generator().manual_seed(1))
    ref = smollm2.decoder.forward(ids, 0)[0].argmax(-1)
    got = dec.forward(ids, 0)[0].argmax(-1)
    assert (ref == got).float().mean() > 0.8
