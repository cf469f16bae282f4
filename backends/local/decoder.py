"""A small torch decoder with a static KV cache, for the architectures we ship (Llama, Gemma 3).

It knows only token ids and positions: `forward(tokens, pos)` writes keys and values for positions
pos..pos+T-1 into the cache and attends to everything before them. Rolling back after a rejected draft
is free: the next call simply starts at an earlier `pos`, and stale cache entries past it are never
attended (the mask is built from positions) and are overwritten.

Weights are taken from a transformers model's state dict (shared, not copied, where shapes allow), so
the logits match transformers' forward pass for the same weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

SUPPORTED = {"llama": "llama", "gemma3_text": "gemma3", "gemma3": "gemma3"}


@dataclass(frozen=True, slots=True)
class Arch:
    kind: str  # "llama" | "gemma3"
    vocab_size: int
    dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    eps: float
    rope_theta: tuple[float, ...]  # per layer
    sliding: tuple[int | None, ...]  # per layer: window size or None
    attn_scale: float
    final_softcap: float | None
    context_window: int

    @staticmethod
    def from_config(config: Any) -> Arch:
        config = getattr(config, "text_config", None) or config
        kind = SUPPORTED.get(config.model_type)
        if kind is None:
            raise NotImplementedError(f"no native decoder for {config.model_type!r}")
        n_layers = config.num_hidden_layers
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        rope = getattr(config, "rope_parameters", None) or {}
        if kind == "llama":
            if rope.get("rope_type", "default") != "default":
                raise NotImplementedError("llama rope scaling is not supported natively")
            thetas = (float(rope.get("rope_theta", getattr(config, "rope_theta", 10000.0))),) * n_layers
            sliding: tuple[int | None, ...] = (None,) * n_layers
            scale = head_dim**-0.5
            softcap = None
        else:
            types = list(config.layer_types)
            for params in rope.values():
                if params and params.get("rope_type", "default") != "default":
                    raise NotImplementedError("gemma3 rope scaling is not supported natively")
            thetas = tuple(float(rope[t]["rope_theta"]) for t in types)
            sliding = tuple(config.sliding_window if t == "sliding_attention" else None for t in types)
            scale = config.query_pre_attn_scalar**-0.5
            softcap = config.final_logit_softcapping
            if config.attn_logit_softcapping is not None:
                raise NotImplementedError("attention softcapping is not supported natively")
        return Arch(
            kind=kind,
            vocab_size=config.vocab_size,
            dim=config.hidden_size,
            n_layers=n_layers,
            n_heads=config.num_attention_heads,
            n_kv_heads=config.num_key_value_heads,
            head_dim=head_dim,
            eps=config.rms_norm_eps,
            rope_theta=thetas,
            sliding=sliding,
            attn_scale=scale,
            final_softcap=softcap,
            context_window=config.max_position_embeddings,
        )


def rms_norm(x: Tensor, weight: Tensor, eps: float, gemma: bool) -> Tensor:
    """Llama scales after casting back; Gemma scales by (1 + w) in float32 (as transformers does)."""
    normed = F.rms_norm(x.float(), (x.shape[-1],), None, eps)
    if gemma:
        return (normed * (1.0 + weight.float())).type_as(x)
    return weight * normed.to(x.dtype)


def rotate_half(x: Tensor) -> Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Decoder:
    """Llama / Gemma 3 decoder over a static KV cache of `max_len` positions (batch size 1)."""

    def __init__(self, arch: Arch, state: dict[str, Tensor], *, max_len: int, dtype: torch.dtype) -> None:
        self.arch = arch
        self.dtype = dtype
        self.max_len = min(max_len, arch.context_window)
        self.gemma = arch.kind == "gemma3"

        def w(name: str) -> Tensor:
            return state[name].to(dtype)

        self.embed = w("model.embed_tokens.weight")
        self.lm_head = w("lm_head.weight") if "lm_head.weight" in state else self.embed
        self.final_norm = w("model.norm.weight")
        self.embed_scale = torch.tensor(arch.dim**0.5 if self.gemma else 1.0).to(dtype)
        self.layers: list[dict[str, Tensor]] = []
        for i in range(arch.n_layers):
            p = f"model.layers.{i}."
            layer = {
                "wqkv": torch.cat([w(p + f"self_attn.{n}_proj.weight") for n in "qkv"]),
                "wo": w(p + "self_attn.o_proj.weight"),
                "w13": torch.cat([w(p + "mlp.gate_proj.weight"), w(p + "mlp.up_proj.weight")]),
                "w2": w(p + "mlp.down_proj.weight"),
                "attn_norm": w(p + "input_layernorm.weight"),
                "post_attn_norm": w(p + "post_attention_layernorm.weight"),
            }
            if self.gemma:
                layer["pre_ffn_norm"] = w(p + "pre_feedforward_layernorm.weight")
                layer["post_ffn_norm"] = w(p + "post_feedforward_layernorm.weight")
                layer["q_norm"] = w(p + "self_attn.q_norm.weight")
                layer["k_norm"] = w(p + "self_attn.k_norm.weight")
            self.layers.append(layer)
        shape = (arch.n_layers, 1, arch.n_kv_heads, self.max_len, arch.head_dim)
        self.k_cache = torch.zeros(shape, dtype=dtype)
        self.v_cache = torch.zeros(shape, dtype=dtype)
        self._positions = torch.arange(self.max_len)
        self._rope_table = {theta: self._rope(self._positions, theta) for theta in set(arch.rope_theta)}

    # ---- pieces ---------------------------------------------------------------------------------

    def embed_tokens(self, tokens: Tensor) -> Tensor:
        return F.embedding(tokens, self.embed) * self.embed_scale

    def _rope(self, positions: Tensor, theta: float) -> tuple[Tensor, Tensor]:
        """cos and sin per position, computed in float32 and cast as transformers does."""
        inv_freq = 1.0 / (theta ** (torch.arange(0, self.arch.head_dim, 2, dtype=torch.float) / self.arch.head_dim))
        freqs = positions[:, None].float() * inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(self.dtype), emb.sin().to(self.dtype)

    def _mask(self, positions: Tensor, end: int, window: int | None) -> Tensor | None:
        if positions.shape[0] == 1 and (window is None or end <= window):
            return None  # one query that may see every cached key
        kv = self._positions[:end]
        mask = kv[None, :] <= positions[:, None]
        if window is not None:
            mask &= kv[None, :] > positions[:, None] - window
        return mask

    def _norm(self, x: Tensor, weight: Tensor) -> Tensor:
        return rms_norm(x, weight, self.arch.eps, self.gemma)

    def _attention(self, i: int, x: Tensor, pos: int, rope: tuple[Tensor, Tensor], mask: Tensor | None) -> Tensor:
        a, layer = self.arch, self.layers[i]
        t = x.shape[0]
        qkv = x @ layer["wqkv"].T
        q_size, kv_size = a.n_heads * a.head_dim, a.n_kv_heads * a.head_dim
        q = qkv[:, :q_size].view(t, a.n_heads, a.head_dim).transpose(0, 1)
        k = qkv[:, q_size : q_size + kv_size].view(t, a.n_kv_heads, a.head_dim).transpose(0, 1)
        v = qkv[:, q_size + kv_size :].view(t, a.n_kv_heads, a.head_dim).transpose(0, 1)
        if self.gemma:
            q, k = self._norm(q, layer["q_norm"]), self._norm(k, layer["k_norm"])
        cos, sin = rope
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        end = pos + t
        self.k_cache[i, 0, :, pos:end] = k
        self.v_cache[i, 0, :, pos:end] = v
        keys, values = self.k_cache[i, :, :, :end], self.v_cache[i, :, :, :end]
        out = F.scaled_dot_product_attention(
            q[None], keys, values, attn_mask=mask, scale=a.attn_scale, enable_gqa=a.n_heads != a.n_kv_heads
        )
        return out[0].transpose(0, 1).reshape(t, q_size) @ layer["wo"].T

    def _mlp(self, i: int, x: Tensor) -> Tensor:
        layer = self.layers[i]
        gate, up = (x @ layer["w13"].T).chunk(2, dim=-1)
        act = F.gelu(gate, approximate="tanh") if self.gemma else F.silu(gate)
        return (act * up) @ layer["w2"].T

    # ---- the forward pass -----------------------------------------------------------------------

    @torch.inference_mode()
    def forward(self, tokens: Tensor, pos: int) -> tuple[Tensor, Tensor]:
        """Run `tokens` (1-D) at positions pos.. ; return float32 logits [T, V] and final hidden [T, D]."""
        t = tokens.shape[0]
        if pos + t > self.max_len:
            raise ValueError(f"sequence of {pos + t} tokens exceeds the KV cache ({self.max_len})")
        positions = self._positions[pos : pos + t]
        ropes = {theta: (cos[pos : pos + t], sin[pos : pos + t]) for theta, (cos, sin) in self._rope_table.items()}
        masks = {win: self._mask(positions, pos + t, win) for win in set(self.arch.sliding)}
        x = self.embed_tokens(tokens)
        for i, layer in enumerate(self.layers):
            rope, mask = ropes[self.arch.rope_theta[i]], masks[self.arch.sliding[i]]
            if self.gemma:
                h = self._attention(i, self._norm(x, layer["attn_norm"]), pos, rope, mask)
                x = x + self._norm(h, layer["post_attn_norm"])
                h = self._mlp(i, self._norm(x, layer["pre_ffn_norm"]))
                x = x + self._norm(h, layer["post_ffn_norm"])
            else:
                x = x + self._attention(i, self._norm(x, layer["attn_norm"]), pos, rope, mask)
                x = x + self._mlp(i, self._norm(x, layer["post_attn_norm"]))
        hidden = self._norm(x, self.final_norm)
        logits = (hidden @ self.lm_head.T).float()
        if self.arch.final_softcap is not None:
            logits = torch.tanh(logits / self.arch.final_softcap) * self.arch.final_softcap
        return logits, hidden

    @property
    def vocab_size(self) -> int:
        return self.arch.vocab_size


def decoder_from_hf(model: Any, *, max_len: int = 4096, dtype: torch.dtype | None = None) -> Decoder:
    """Build a Decoder from a loaded transformers causal LM (Llama or Gemma3ForCausalLM)."""
    arch = Arch.from_config(model.config)
    state = dict(model.state_dict())
    return Decoder(arch, state, max_len=max_len, dtype=dtype or state["model.embed_tokens.weight"].dtype)
