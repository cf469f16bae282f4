"""A small torch decoder with a static KV cache, for the architectures we ship (Llama, Gemma 3).

It knows only token ids and positions: `forward(tokens, pos)` writes keys and values for positions
pos..pos+T-1 into the cache and attends to everything before them. Rolling back after a rejected draft
is free: the next call simply starts at an earlier `pos`, and stale cache entries past it are never
attended (the mask is built from positions) and are overwritten.

Weights are taken from a transformers model's state dict, so the logits match transformers' forward
pass for the same weights; bf16 matrices are copied once into oneDNN's packed layout (see Linear).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

SUPPORTED = {"llama": "llama", "gemma3_text": "gemma3", "gemma3": "gemma3"}
PER_QUERY_MAX = 16  # blocks of up to this many tokens (decode steps, draft blocks) attend per query
KEY_SPAN = 32  # ...over a key count rounded up to a multiple of this


@dataclass(frozen=True, slots=True)
class Group:
    """Queries that attend together. The CPU attention kernel's rounding depends on how many queries
    and keys one call holds, and a token must get the same logits whether it was decoded alone or
    verified inside a draft block (that is what keeps speculative output token-identical to plain
    decoding). So in decode steps and draft blocks every query is its own problem (a batch of
    single-query problems), over the keys up to its position rounded up to KEY_SPAN, the rest masked.
    A long prefill is one causal problem instead: it runs once, the same for every drafter."""

    rows: slice
    keys: int
    masks: dict[int | None, Tensor]  # by sliding window (None: full attention)
    per_query: bool


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
    """transformers' formulas op for op (F.rms_norm costs twice as much here). Llama scales by w after
    casting back; Gemma scales by (1 + w) in float32 first: for Gemma, `weight` is that float32 scale."""
    h = x.float()
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    if gemma:
        return (h * weight).type_as(x)
    return weight * h.to(x.dtype)


def bf16_packing_available() -> bool:
    return torch.backends.mkldnn.is_available() and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


class Linear:
    """y = x @ weight.T. bf16 weights are reordered once into oneDNN's blocked layout and multiplied
    by its packed kernel: at batch 1 on this AVX-512 CPU that is about 2x faster than `F.linear` on the
    same weights, with the same results (the tests compare both). Other dtypes use `F.linear`."""

    __slots__ = ("packed", "weight")

    def __init__(self, weight: Tensor, *, pack: bool) -> None:
        self.packed: Tensor | None = torch.ops.mkldnn._reorder_linear_weight(weight) if pack else None
        self.weight: Tensor | None = None if pack else weight  # the dense copy is not kept once packed

    def __call__(self, x: Tensor) -> Tensor:
        if self.weight is not None:
            return F.linear(x, self.weight)
        return torch.ops.mkldnn._linear_pointwise(x, self.packed, None, "none", [], "")


PACK_MIN_DIM = 256  # smaller matrices keep F.linear (see packing_keeps_rows)


def packing_keeps_rows(weight: Tensor, probe_elements: int = 100_000) -> bool:
    """Whether the packed kernel computes each row of a 9-row product exactly as it computes that row
    alone: speculative output stays identical to plain decoding only if a token's logits do not depend
    on how many tokens share the pass. For small matrices oneDNN picks other kernels, for which this
    fails now and then (measured on 32-wide toy weights: about 1 output in 60,000 differs in its last
    bit), so those are never packed; for the rest a random probe checks it (true for every matrix of
    the models we ship, also over millions of outputs)."""
    if min(weight.shape) < PACK_MIN_DIM:
        return False
    packed = Linear(weight, pack=True)
    gen = torch.Generator().manual_seed(0)
    for _ in range(max(1, probe_elements // (9 * weight.shape[0]))):
        x = torch.randn(9, weight.shape[1], generator=gen).to(weight.dtype)
        together = packed(x)
        if not all(torch.equal(packed(x[i : i + 1])[0], together[i]) for i in range(9)):
            return False
    return True


def apply_rope(x: Tensor, cos: Tensor, sin_signed: Tensor) -> Tensor:
    """x * cos + rotate_half(x) * sin, with rotate_half(x) * sin written as roll(x) * [-sin, sin]
    (the same products: negation is exact), which takes a third of the operations."""
    return x * cos + x.roll(x.shape[-1] // 2, dims=-1) * sin_signed


class Decoder:
    """Llama / Gemma 3 decoder over a static KV cache of `max_len` positions (batch size 1)."""

    def __init__(self, arch: Arch, state: dict[str, Tensor], *, max_len: int, dtype: torch.dtype) -> None:
        self.arch = arch
        self.dtype = dtype
        self.max_len = min(max_len, arch.context_window)
        self.gemma = arch.kind == "gemma3"
        self.packed = dtype == torch.bfloat16 and bf16_packing_available()

        def w(name: str) -> Tensor:
            return state[name].to(dtype)

        keeps_rows: dict[tuple[int, ...], bool] = {}  # by weight shape

        def linear(weight: Tensor) -> Linear:
            shape = tuple(weight.shape)
            if self.packed and shape not in keeps_rows:
                keeps_rows[shape] = packing_keeps_rows(weight)
            return Linear(weight, pack=self.packed and keeps_rows[shape])

        def norm(name: str) -> Tensor:
            return 1.0 + w(name).float() if self.gemma else w(name)

        self.embed = w("model.embed_tokens.weight")
        self.set_lm_head(w("lm_head.weight") if "lm_head.weight" in state else self.embed)
        self.final_norm = norm("model.norm.weight")
        self.embed_scale = torch.tensor(arch.dim**0.5 if self.gemma else 1.0).to(dtype)
        self.layers: list[dict[str, Any]] = []
        for i in range(arch.n_layers):
            p = f"model.layers.{i}."
            layer: dict[str, Any] = {
                "wqkv": linear(torch.cat([w(p + f"self_attn.{n}_proj.weight") for n in "qkv"])),
                "wo": linear(w(p + "self_attn.o_proj.weight")),
                "w13": linear(torch.cat([w(p + "mlp.gate_proj.weight"), w(p + "mlp.up_proj.weight")])),
                "w2": linear(w(p + "mlp.down_proj.weight")),
                "attn_norm": norm(p + "input_layernorm.weight"),
                "post_attn_norm": norm(p + "post_attention_layernorm.weight"),
            }
            if self.gemma:
                layer["pre_ffn_norm"] = norm(p + "pre_feedforward_layernorm.weight")
                layer["post_ffn_norm"] = norm(p + "post_feedforward_layernorm.weight")
                layer["q_norm"] = norm(p + "self_attn.q_norm.weight")
                layer["k_norm"] = norm(p + "self_attn.k_norm.weight")
            self.layers.append(layer)
        shape = (arch.n_layers, 1, arch.n_kv_heads, self.max_len, arch.head_dim)
        self.k_cache = torch.zeros(shape, dtype=dtype)
        self.v_cache = torch.zeros(shape, dtype=dtype)
        self._kv = [(self.k_cache[i, 0], self.v_cache[i, 0]) for i in range(arch.n_layers)]  # [kv heads, len, d]
        self._positions = torch.arange(self.max_len)
        self._rope_table = {theta: self._rope(self._positions, theta) for theta in set(arch.rope_theta)}

    def set_lm_head(self, weight: Tensor) -> None:
        """The output matrix (dense, as drafters slice it) and its projection."""
        self.lm_head = weight
        self.output = Linear(weight, pack=self.packed and packing_keeps_rows(weight))

    # ---- pieces ---------------------------------------------------------------------------------

    def embed_tokens(self, tokens: Tensor) -> Tensor:
        return F.embedding(tokens, self.embed) * self.embed_scale

    def _rope(self, positions: Tensor, theta: float) -> tuple[Tensor, Tensor]:
        """cos and [-sin, sin] per position, computed in float32 and cast as transformers does."""
        inv_freq = 1.0 / (theta ** (torch.arange(0, self.arch.head_dim, 2, dtype=torch.float) / self.arch.head_dim))
        freqs = positions[:, None].float() * inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        sin = emb.sin()
        half = sin.shape[-1] // 2
        sin[:, :half] = -sin[:, :half]
        return emb.cos().to(self.dtype), sin.to(self.dtype)

    def _mask(self, positions: Tensor, keys: int, window: int | None) -> Tensor:
        kv = self._positions[:keys]
        mask = kv[None, :] <= positions[:, None]
        if window is not None:
            mask &= kv[None, :] > positions[:, None] - window
        return mask

    def _attention_plan(self, positions: Tensor) -> list[Group]:
        """How the queries at `positions` attend (see Group)."""
        windows = set(self.arch.sliding)
        t, first = positions.shape[0], int(positions[0])
        if t > PER_QUERY_MAX:  # prefill: one causal problem
            end = first + t
            return [Group(slice(0, t), end, {w: self._mask(positions, end, w) for w in windows}, False)]
        groups: list[Group] = []
        start = 0
        while start < t:
            keys = min(-(-(first + start + 1) // KEY_SPAN) * KEY_SPAN, self.max_len)
            stop = min(t, keys - first)  # rows whose position is below `keys` share that key count
            rows = positions[start:stop]
            masks = {w: self._mask(rows, keys, w)[:, None, None, :] for w in windows}
            groups.append(Group(slice(start, stop), keys, masks, True))
            start = stop
        return groups

    def _norm(self, x: Tensor, weight: Tensor) -> Tensor:
        return rms_norm(x, weight, self.arch.eps, self.gemma)

    def _attention(self, i: int, x: Tensor, pos: int, rope: tuple[Tensor, Tensor], plan: list[Group]) -> Tensor:
        a, layer = self.arch, self.layers[i]
        t = x.shape[0]
        qkv = layer["wqkv"](x)
        q_size, kv_size = a.n_heads * a.head_dim, a.n_kv_heads * a.head_dim
        q = qkv[:, :q_size].view(t, a.n_heads, a.head_dim).transpose(0, 1)
        k = qkv[:, q_size : q_size + kv_size].view(t, a.n_kv_heads, a.head_dim).transpose(0, 1)
        v = qkv[:, q_size + kv_size :].view(t, a.n_kv_heads, a.head_dim).transpose(0, 1)
        if self.gemma:
            q, k = self._norm(q, layer["q_norm"]), self._norm(k, layer["k_norm"])
        cos, sin = rope
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        end = pos + t
        k_cache, v_cache = self._kv[i]
        k_cache[:, pos:end] = k
        v_cache[:, pos:end] = v
        window, gqa = a.sliding[i], a.n_heads != a.n_kv_heads
        outs = []
        for g in plan:
            keys, values = k_cache[None, :, : g.keys], v_cache[None, :, : g.keys]
            if g.per_query:  # a batch of single-query problems: [rows, heads, 1, head_dim]
                n = g.rows.stop - g.rows.start
                qs = q[:, g.rows].transpose(0, 1)[:, :, None]
                keys, values = keys.expand(n, -1, -1, -1), values.expand(n, -1, -1, -1)
            else:
                qs = q[None]
            out = F.scaled_dot_product_attention(qs, keys, values, attn_mask=g.masks[window], scale=a.attn_scale,
                                                 enable_gqa=gqa)
            outs.append(out[:, :, 0] if g.per_query else out[0].transpose(0, 1))
        out = outs[0] if len(outs) == 1 else torch.cat(outs)
        return layer["wo"](out.reshape(t, q_size))

    def _mlp(self, i: int, x: Tensor) -> Tensor:
        layer = self.layers[i]
        gate, up = layer["w13"](x).chunk(2, dim=-1)
        act = F.gelu(gate, approximate="tanh") if self.gemma else F.silu(gate)
        return layer["w2"](act * up)

    # ---- the forward pass -----------------------------------------------------------------------

    @torch.inference_mode()
    def forward(self, tokens: Tensor, pos: int) -> tuple[Tensor, Tensor]:
        """Run `tokens` (1-D) at positions pos.. ; return float32 logits [T, V] and final hidden [T, D]."""
        t = tokens.shape[0]
        if pos + t > self.max_len:
            raise ValueError(f"sequence of {pos + t} tokens exceeds the KV cache ({self.max_len})")
        positions = self._positions[pos : pos + t]
        ropes = {theta: (cos[pos : pos + t], sin[pos : pos + t]) for theta, (cos, sin) in self._rope_table.items()}
        plan = self._attention_plan(positions)
        x = self.embed_tokens(tokens)
        for i, layer in enumerate(self.layers):
            rope = ropes[self.arch.rope_theta[i]]
            if self.gemma:
                h = self._attention(i, self._norm(x, layer["attn_norm"]), pos, rope, plan)
                x = x + self._norm(h, layer["post_attn_norm"])
                h = self._mlp(i, self._norm(x, layer["pre_ffn_norm"]))
                x = x + self._norm(h, layer["post_ffn_norm"])
            else:
                x = x + self._attention(i, self._norm(x, layer["attn_norm"]), pos, rope, plan)
                x = x + self._mlp(i, self._norm(x, layer["post_attn_norm"]))
        hidden = self._norm(x, self.final_norm)
        logits = self.output(hidden).float()
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
