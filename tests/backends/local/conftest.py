"""Fixtures: tiny random models built in process (fast, exact) and the real embedded SmolLM2."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from backends.local.decoder import Decoder, decoder_from_hf  # noqa: E402


def tiny_hf(kind: str = "llama", *, vocab: int = 64, seed: int = 0, layers: int = 2) -> Any:
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    if kind == "llama":
        config = LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=layers,
                             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                             tie_word_embeddings=False)
        return LlamaForCausalLM(config).eval()
    config = Gemma3TextConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                              num_attention_heads=4, num_key_value_heads=1, head_dim=16, sliding_window=6,
                              max_position_embeddings=256, query_pre_attn_scalar=16,
                              layer_types=["sliding_attention", "sliding_attention", "full_attention"])
    return Gemma3ForCausalLM(config).eval()


def tiny_decoder(kind: str = "llama", *, vocab: int = 64, seed: int = 0, sharpness: float = 1.0,
                 max_len: int = 128, layers: int = 2) -> Decoder:
    """A float32 decoder with random weights; `sharpness` scales the output layer (peakier p)."""
    dec = decoder_from_hf(tiny_hf(kind, vocab=vocab, seed=seed, layers=layers), max_len=max_len, dtype=torch.float32)
    dec.lm_head = dec.lm_head * sharpness
    return dec


@pytest.fixture(scope="session")
def make_decoder() -> Callable[..., Decoder]:
    return tiny_decoder


@pytest.fixture(scope="session")
def smollm2() -> Any:
    """The real embedded SmolLM2-135M-Instruct (converted to bf16 once under SWITCHPOINT_HOME)."""
    pytest.importorskip("gguf")
    if os.environ.get("SWITCHPOINT_SKIP_REAL_MODELS"):
        pytest.skip("SWITCHPOINT_SKIP_REAL_MODELS is set")
    from backends.local.loader import load_model

    return load_model("smollm2", max_len=1024, threads=None)
