"""A small torch decoder with a static KV cache, for the architectures we ship (Llama, Gemma 3).

It knows only token ids and positions: `forward(tokens, pos)` writes keys and values for positions
pos..pos+T-1 into the cache and attends to everything before them. Rolling back after a rejected draft
is free: the next call simply starts at an earlier `pos`, and stale cache entries past it are never
attended (each query reads only the positions up to its own) and are overwritten. A draft block may
end with siblings: other guesses for position pos+1, verified in the same pass (`forward(..., siblings=n)`;
`keep_sibling` moves an accepted one's keys and values into place).

Weights are taken from a transformers model's state dict, so the logits match transformers' forward
pass for the same weights; bf16 matrices are copied once into oneDNN's packed layout (see Linear).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from .kernels import quant_linear, quantizable
from .native import KEY_PAD, Q4MM, Attend

logger = logging.getLogger(__name__)

SUPPORTED = {"llama": "llama", "gemma3_text": "gemma3", "gemma3": "gemma3"}
PER_QUERY_MAX = 16  # blocks of up to this many tokens (decode steps, draft blocks) attend one query at a time
REDUCTION_MAX = 1024  # longest reduction tried in one packed product (see row_exact_linear)


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


class Norm:
    """One RMSNorm of the decoder: through rms_norm in q4mm.c where our 4-bit kernel is loaded (one call
    for torch's eight operations), else `rms_norm` op for op. Gemma's weight is its float32 scale."""

    def __init__(self, weight: Tensor, eps: float, gemma: bool, kernel: Q4MM | None) -> None:
        self.weight, self.eps, self.gemma, self.kernel = weight, eps, gemma, kernel
        self.weight32 = weight.float().contiguous() if kernel is not None else None

    def __call__(self, x: Tensor) -> Tensor:
        if self.kernel is None or self.weight32 is None or x.dtype != torch.bfloat16 or x.device.type != "cpu":
            return rms_norm(x, self.weight, self.eps, self.gemma)
        return self.kernel.norm(x, self.weight32, self.eps, round_first=not self.gemma)


def bf16_packing_available() -> bool:
    return torch.backends.mkldnn.is_available() and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


class Linear:
    """y = x @ weight.T. bf16 weights are reordered once into oneDNN's blocked layout and multiplied
    by its packed kernel: at batch 1 that was about 2x faster than `F.linear` on the same weights
    (measured on an Intel Sapphire Rapids CPU), with the same results (the tests compare both). Other
    dtypes use `F.linear`.

    A token must get the same result whether it shares the product with draft tokens or not (see
    row_exact_linear). `chunks` > 1 splits the reduction into column blocks, multiplied separately and
    summed in float32: for long reductions oneDNN may round a row differently depending on how many
    rows share the call (measured on an AMD Zen 5 CPU: every reduction above 1,024), blocks it
    computes alike do not. `rowwise` multiplies one row at a time (toy sizes only)."""

    __slots__ = ("packed", "rowwise", "weight")

    def __init__(self, weight: Tensor, *, pack: bool, chunks: int = 1, rowwise: bool = False) -> None:
        blocks = weight.chunk(chunks, dim=1) if pack else ()
        self.packed = [torch.ops.mkldnn._reorder_linear_weight(b.contiguous()) for b in blocks]
        self.weight: Tensor | None = None if pack else weight  # the dense copy is not kept once packed
        self.rowwise = rowwise

    def __call__(self, x: Tensor) -> Tensor:
        if self.rowwise and x.shape[0] > 1:
            return torch.cat([self._product(x[i : i + 1]) for i in range(x.shape[0])])
        return self._product(x)

    def _product(self, x: Tensor) -> Tensor:
        if self.weight is not None:
            if self.weight.is_cuda and x.shape[0] < PER_QUERY_MAX:
                # every block of up to 16 rows through the same kernel (cuBLAS picks kernels by shape):
                # a row's result then does not depend on how many rows share the product
                padded = x.new_zeros(PER_QUERY_MAX, x.shape[1])
                padded[: x.shape[0]] = x
                return F.linear(padded, self.weight)[: x.shape[0]]
            return F.linear(x, self.weight)
        if len(self.packed) == 1:
            return torch.ops.mkldnn._linear_pointwise(x, self.packed[0], None, "none", [], "")
        parts = x.chunk(len(self.packed), dim=-1)
        out = torch.ops.mkldnn._linear_pointwise(parts[0].contiguous(), self.packed[0], None, "none", [], "").float()
        for part, block in zip(parts[1:], self.packed[1:], strict=True):
            out += torch.ops.mkldnn._linear_pointwise(part.contiguous(), block, None, "none", [], "").float()
        return out.to(x.dtype)


PACK_MIN_DIM = 256  # smaller matrices are multiplied row by row (see row_exact_linear)


def keeps_rows(linear: Linear, in_features: int, dtype: torch.dtype, probe_elements: int = 100_000) -> bool:
    """Whether `linear` computes each row of a 2- to 16-row product exactly as it computes that row
    alone, on random probes."""
    gen = torch.Generator().manual_seed(0)
    rows = (2, 3, 5, 9, 16)
    device = linear.weight.device if isinstance(linear, Linear) and linear.weight is not None else None
    out_features = linear(torch.zeros(1, in_features, dtype=dtype, device=device)).shape[-1]
    for _ in range(max(1, probe_elements // (sum(rows) * out_features))):
        for n in rows:
            x = torch.randn(n, in_features, generator=gen).to(device=device, dtype=dtype)
            together = linear(x)
            if not all(torch.equal(linear(x[i : i + 1])[0], together[i]) for i in range(n)):
                return False
    return True


def row_exact_linear(weight: Tensor, pack: bool) -> Linear:
    """A Linear whose rows do not depend on each other: speculative output stays identical to plain
    decoding only if a token's logits do not depend on how many tokens share the pass. Packed (with
    the reduction split into as few blocks as a probe shows exact) where possible; else F.linear
    where the probe passes; else row by row. Toy-size matrices always go row by row: kernels picked
    for them differ now and then (about 1 output in 60,000 in its last bit, measured on 32-wide
    weights), too rarely for a probe to be sure."""
    in_features = weight.shape[1]
    if min(weight.shape) < PACK_MIN_DIM:
        return Linear(weight, pack=False, rowwise=True)
    if pack:
        chunks = 1
        while in_features // chunks >= PACK_MIN_DIM:
            packed = Linear(weight, pack=True, chunks=chunks)
            if in_features // chunks <= REDUCTION_MAX and keeps_rows(packed, in_features, weight.dtype):
                return packed
            chunks *= 2
    plain = Linear(weight, pack=False)
    return plain if keeps_rows(plain, in_features, weight.dtype) else Linear(weight, pack=False, rowwise=True)


def apply_rope(x: Tensor, cos: Tensor, sin_signed: Tensor) -> Tensor:
    """x * cos + rotate_half(x) * sin, with rotate_half(x) * sin written as roll(x) * [-sin, sin]
    (the same products: negation is exact), which takes a third of the operations."""
    return x * cos + x.roll(x.shape[-1] // 2, dims=-1) * sin_signed


class RowByRow:
    """A product that is not row-exact in a block, applied one row at a time."""

    __slots__ = ("inner",)

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __call__(self, x: Tensor) -> Tensor:
        return torch.cat([self.inner(x[i : i + 1]) for i in range(x.shape[0])]) if x.shape[0] > 1 else self.inner(x)


def linear_names(arch: Arch) -> list[str]:
    """The weight matrices a quantised kernel path replaces (the output projection's as lm_head.weight)."""
    names = ["lm_head.weight"]
    for i in range(arch.n_layers):
        p = f"model.layers.{i}."
        names += [p + f"self_attn.{n}_proj.weight" for n in "qkvo"]
        names += [p + f"mlp.{n}_proj.weight" for n in ("gate", "up", "down")]
    return names


class Decoder:
    """Llama / Gemma 3 decoder over a static KV cache of `max_len` positions (batch size 1). `attend`:
    the native attention kernel (native.py) for decode steps and draft blocks; None: torch operations.
    `kernels`: the product path (kernels.py); `quant`: for int8/int4, the quantised matrices by name;
    `q4`: our 4-bit kernel (native.py) for the int4 path (None: torch's, path `int4-torch`). `device`:
    cpu, or cuda (bf16 weights through cuBLAS, every block of up to 16 rows padded to 16 so that a
    row's product does not depend on the block; attention by the torch per-query path)."""

    def __init__(
        self,
        arch: Arch,
        state: dict[str, Tensor],
        *,
        max_len: int,
        dtype: torch.dtype,
        attend: Attend | None = None,
        kernels: str = "bf16",
        quant: dict[str, dict[str, Tensor]] | None = None,
        q4: Q4MM | None = None,
        device: str | torch.device = "cpu",
    ) -> None:
        self.arch = arch
        self.device = torch.device(device)
        if self.device.type != "cpu" and (quant or attend is not None):
            raise ValueError("quantised kernel paths and the native attention kernel run on the CPU only")
        self.attend = attend
        self.dtype = dtype
        self.max_len = min(max_len, arch.context_window)
        self.gemma = arch.kind == "gemma3"
        self.packed = dtype == torch.bfloat16 and self.device.type == "cpu" and bf16_packing_available()
        if kernels == "int4" and q4 is None:
            kernels = "int4-torch"  # our 4-bit kernel could not be built here: torch's
        self.kernels = kernels if quant else ("bf16" if self.packed else "dense")
        if self.device.type != "cpu":
            self.kernels = f"{self.device.type}-{str(dtype).removeprefix('torch.')}"  # e.g. cuda-bfloat16
        self._quant = quant or {}
        self._q4 = q4
        self._exact: dict[tuple[int, ...], bool] = {}  # quantised products by weight shape: rows exact in a block
        self._kinds: dict[tuple[int, ...], tuple[int, bool]] = {}  # bf16 ones: (packed blocks, rowwise)
        self.embed = self._weight(state, "model.embed_tokens.weight")
        self.set_lm_head(self._weight(state, "lm_head.weight") if "lm_head.weight" in state else self.embed)
        self.final_norm = self._norm_weight(state, "model.norm.weight")
        self.embed_scale = torch.tensor(arch.dim**0.5 if self.gemma else 1.0).to(self.device, dtype)
        self.layers = [self._layer(state, i) for i in range(arch.n_layers)]
        self._init_cache()

    def _weight(self, state: dict[str, Tensor], name: str) -> Tensor:
        return state[name].to(self.device, self.dtype)

    def _norm_weight(self, state: dict[str, Tensor], name: str) -> Norm:
        weight = self._weight(state, name)
        return Norm(1.0 + weight.float() if self.gemma else weight, self.arch.eps, self.gemma, self._q4)

    def _linear(self, state: dict[str, Tensor], *names: str) -> Any:
        """The product for these matrices stacked (q/k/v, gate/up): quantised, else bf16 packed with as
        few reduction blocks as keep rows exact (probed once per shape)."""
        if names[0] in self._quant:
            parts = [self._quant[n] for n in names]
            rows = sum(p["q8" if "q8" in p else "q"].shape[0] for p in parts)
            return self._quant_linear(parts, torch.Size((rows, state[names[0]].shape[1])), self._exact)
        weights = [self._weight(state, n) for n in names]
        weight = torch.cat(weights) if len(weights) > 1 else weights[0]
        shape = tuple(weight.shape)
        if shape not in self._kinds:
            made = row_exact_linear(weight, self.packed)
            self._kinds[shape] = (len(made.packed), made.rowwise)
            return made
        blocks, rowwise = self._kinds[shape]
        return Linear(weight, pack=blocks > 0, chunks=max(blocks, 1), rowwise=rowwise)

    def _layer(self, state: dict[str, Tensor], i: int) -> dict[str, Any]:
        p = f"model.layers.{i}."
        layer: dict[str, Any] = {
            "wqkv": self._linear(state, *(p + f"self_attn.{n}_proj.weight" for n in "qkv")),
            "wo": self._linear(state, p + "self_attn.o_proj.weight"),
            "w13": self._linear(state, p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"),
            "w2": self._linear(state, p + "mlp.down_proj.weight"),
            "attn_norm": self._norm_weight(state, p + "input_layernorm.weight"),
            "post_attn_norm": self._norm_weight(state, p + "post_attention_layernorm.weight"),
        }
        if self.gemma:
            layer["pre_ffn_norm"] = self._norm_weight(state, p + "pre_feedforward_layernorm.weight")
            layer["post_ffn_norm"] = self._norm_weight(state, p + "post_feedforward_layernorm.weight")
            layer["q_norm"] = self._norm_weight(state, p + "self_attn.q_norm.weight")
            layer["k_norm"] = self._norm_weight(state, p + "self_attn.k_norm.weight")
        return layer

    def _init_cache(self) -> None:
        """float32 keys and values (exact copies of the bf16 ones): one query's attention is a few small
        float32 products, several times faster here than the fused kernel on bf16. Keys are stored
        transposed, [kv heads, head_dim, slots], which the native kernel scores 16 at a time; both
        have KEY_PAD spare slots, which it may read past the last key it scores."""
        arch = self.arch
        slots, device = self.max_len + KEY_PAD, self.device
        # dtypes spelled out: transformers sets torch's default dtype for the whole process while it loads a
        # model, and another backend may be loading one in another thread right now
        f32 = torch.float32
        self.k_cache = torch.zeros(arch.n_layers, arch.n_kv_heads, arch.head_dim, slots, device=device, dtype=f32)
        self.v_cache = torch.zeros(arch.n_layers, arch.n_kv_heads, slots, arch.head_dim, device=device, dtype=f32)
        self._kv = [(self.k_cache[i], self.v_cache[i]) for i in range(arch.n_layers)]
        # attend.c's scratch: `slots` floats for each thread
        self._scratch = torch.empty(max(1, torch.get_num_threads()) * slots, dtype=f32)
        positions = torch.arange(self.max_len)
        self._positions = positions.to(device)
        self._rope_table: dict[float, tuple[Tensor, Tensor]] = {}
        for theta in set(arch.rope_theta):
            cos, sin = self._rope(positions, theta)
            self._rope_table[theta] = (cos.to(device), sin.to(device))

    def _quant_linear(
        self, parts: list[dict[str, Tensor]], shape: torch.Size, exact: dict[tuple[int, ...], bool]
    ) -> Any:
        """A quantised product, row by row where a probe finds a block's rows differ (once per shape)."""
        made = quant_linear(parts, self.kernels, self._q4)
        key = tuple(shape)
        if key not in exact:
            exact[key] = keeps_rows(made, shape[1], self.dtype)  # type: ignore[arg-type]
            logger.debug("%s product %s: rows exact in a block: %s", self.kernels, key, exact[key])
        return made if exact[key] else RowByRow(made)

    @property
    def q4(self) -> Q4MM | None:
        """Our 4-bit kernel, on the int4 path (drafters use it too)."""
        return self._q4

    def set_lm_head(self, weight: Tensor) -> None:
        """The output matrix (dense, as drafters slice it) and its projection (quantised on an
        int8/int4 path)."""
        self.lm_head = weight
        if "lm_head.weight" in self._quant:
            self.output = self._quant_linear([self._quant["lm_head.weight"]], weight.shape, {})
        else:
            self.output = row_exact_linear(weight, self.packed)

    def layer_cache(self, layer: int) -> tuple[Tensor, Tensor]:
        """A layer's cached keys and values, [kv_heads, max_len, head_dim] each (rotary angles applied)."""
        keys, values = self._kv[layer]
        return keys[..., : self.max_len].transpose(1, 2), values[:, : self.max_len]

    def rope_table(self, layer: int) -> tuple[Tensor, Tensor]:
        """A layer's rotary table by position: cos and [-sin, sin], [max_len, head_dim] each."""
        return self._rope_table[self.arch.rope_theta[layer]]

    # ---- pieces ---------------------------------------------------------------------------------

    def embed_tokens(self, tokens: Tensor) -> Tensor:
        return F.embedding(tokens.to(self.device), self.embed) * self.embed_scale

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

    @staticmethod
    def _rows(positions: Tensor, pos: int, window: int | None) -> tuple[Tensor, Tensor, Tensor]:
        """Each row's keys for the native kernel: slots start..end-2, then its own (pos + row: a
        sibling's is past the block's, its position pos+1's slot holds the first guess)."""
        end = positions + 1
        start = end.new_zeros(end.shape) if window is None else (end - window).clamp(min=0)
        return start, end, torch.arange(pos, pos + positions.shape[0])

    def _attention(
        self,
        i: int,
        x: Tensor,
        pos: int,
        rope: tuple[Tensor, Tensor],
        causal: dict[int | None, Tensor] | None,
        rows: dict[int | None, tuple[Tensor, Tensor, Tensor]],
        siblings: int,
    ) -> Tensor:
        """Attention for the queries at pos.. . A token must get the same logits whether it was decoded
        alone or verified inside a draft block (that keeps speculative output token-identical to plain
        decoding), and batched attention kernels round differently with how many queries and keys one
        call holds. So decode steps and draft blocks (`causal` None) compute each query alone, the same
        way over exactly the keys it sees: by the native kernel (`rows`: each row's key range by
        sliding window), else by three float32 torch operations. A long prefill is one causal problem
        for torch's fused kernel (`causal`: its masks by sliding window), run once for every drafter
        alike. The last `siblings` rows sit at position pos+1 too, alternatives to row 1, their keys
        and values stored past the block's."""
        a, layer = self.arch, self.layers[i]
        t = x.shape[0]
        q_size = a.n_heads * a.head_dim
        q, k, v = self._qkv(layer, x, rope)
        end = pos + t
        keys, values = self._kv[i]  # [kv heads, head_dim, slots], [kv heads, slots, head_dim]
        window, group = a.sliding[i], a.n_heads // a.n_kv_heads
        if causal is None and self.attend is not None and self._q4 is not None and q.dtype == torch.bfloat16:
            # one call for the cache writes and q's cast, scale and transpose below (the same numbers)
            qs = self._q4.store_kv_q(q, k, v, keys, values, pos, a.attn_scale)
            out = torch.empty(t, q_size, dtype=torch.float32)
            self.attend(qs, keys, values, out, rows[window], a.n_kv_heads, self._scratch)
            return layer["wo"](out.to(x.dtype))
        keys[:, :, pos:end] = k.transpose(1, 2)
        values[:, pos:end] = v
        if causal is not None:
            out = F.scaled_dot_product_attention(
                q.float()[None],
                keys[None, :, :, :end].transpose(-1, -2),
                values[None, :, :end],
                attn_mask=causal[window],
                scale=a.attn_scale,
                enable_gqa=group > 1,
            )
            return layer["wo"](out[0].transpose(0, 1).reshape(t, q_size).to(x.dtype))
        q = q.float() * a.attn_scale
        if self.attend is not None:
            out = torch.empty(t, q_size, dtype=torch.float32)
            self.attend(q.transpose(0, 1).contiguous(), keys, values, out, rows[window], a.n_kv_heads, self._scratch)
            return layer["wo"](out.to(x.dtype))
        return layer["wo"](self._attend_alone(i, q, k, v, pos, siblings).to(x.dtype))

    def _qkv(self, layer: dict[str, Any], x: Tensor, rope: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor, Tensor]:
        """Queries, keys and values [heads, T, head_dim] for the rows of x, rotary angles applied."""
        a, t = self.arch, x.shape[0]
        qkv = layer["wqkv"](x)
        q_size, kv_size = a.n_heads * a.head_dim, a.n_kv_heads * a.head_dim
        q = qkv[:, :q_size].view(t, a.n_heads, a.head_dim).transpose(0, 1)
        k = qkv[:, q_size : q_size + kv_size].view(t, a.n_kv_heads, a.head_dim).transpose(0, 1)
        v = qkv[:, q_size + kv_size :].view(t, a.n_kv_heads, a.head_dim).transpose(0, 1)
        if self.gemma:
            q, k = layer["q_norm"](q), layer["k_norm"](k)
        cos, sin = rope
        if self._q4 is not None and q.dtype == torch.bfloat16 and q.device.type == "cpu":
            return self._q4.rope(q, cos, sin), self._q4.rope(k, cos, sin), v  # bit for bit apply_rope's
        return apply_rope(q, cos, sin), apply_rope(k, cos, sin), v

    def _attend_alone(self, i: int, q: Tensor, k: Tensor, v: Tensor, pos: int, siblings: int) -> Tensor:
        """Each query (scaled, float32) alone over the keys it sees, by three float32 torch operations:
        [T, heads * head_dim]."""
        a = self.arch
        keys, values = self._kv[i]
        t, window, group = q.shape[1], a.sliding[i], a.n_heads // a.n_kv_heads
        chain = t - siblings
        outs = []
        for r in range(t):  # [kv heads, heads per kv head, head_dim] against that kv head's keys
            at = pos + r if r < chain else pos + 1
            if r >= chain:  # a sibling borrows its first-guess slot while it attends
                keys[:, :, at], values[:, at] = keys[:, :, pos + r], values[:, pos + r]
            seen = slice(0 if window is None else max(0, at + 1 - window), at + 1)
            scores = torch.bmm(q[:, r].view(a.n_kv_heads, group, a.head_dim), keys[:, :, seen])
            outs.append(torch.bmm(torch.softmax(scores, dim=-1), values[:, seen]).view(1, a.n_heads * a.head_dim))
        if siblings:
            keys[:, :, pos + 1], values[:, pos + 1] = k[:, 1], v[:, 1]
        return outs[0] if t == 1 else torch.cat(outs)

    def _mlp(self, i: int, x: Tensor) -> Tensor:
        layer = self.layers[i]
        gate, up = layer["w13"](x).chunk(2, dim=-1)
        act = F.gelu(gate, approximate="tanh") if self.gemma else F.silu(gate)
        return layer["w2"](act * up)

    # ---- the forward pass -----------------------------------------------------------------------

    @torch.inference_mode()
    def forward(self, tokens: Tensor, pos: int, siblings: int = 0) -> tuple[Tensor, Tensor]:
        """Run `tokens` (1-D) at positions pos.. ; return float32 logits [T, V] (on the CPU, where
        sampling and acceptance run) and final hidden [T, D] (on the decoder's device, for drafters).
        siblings: the last this many tokens are alternatives to tokens[1], each at position pos+1."""
        tokens = tokens.to(self.device)
        t = tokens.shape[0]
        chain = t - siblings
        if pos + max(chain, siblings + 1) > self.max_len:
            raise ValueError(f"sequence of {pos + t} tokens exceeds the KV cache ({self.max_len})")
        if siblings and (chain < 2 or t > PER_QUERY_MAX):
            raise ValueError(f"siblings follow a block of at least two tokens, at most {PER_QUERY_MAX} tokens in all")
        positions = self._positions[pos : pos + t]
        if siblings:
            positions = torch.cat([positions[:chain], positions[1:2].expand(siblings)])
            ropes = {theta: (cos[positions], sin[positions]) for theta, (cos, sin) in self._rope_table.items()}
        else:
            ropes = {theta: (cos[pos : pos + t], sin[pos : pos + t]) for theta, (cos, sin) in self._rope_table.items()}
        windows = set(self.arch.sliding)
        causal = {w: self._mask(positions, pos + t, w) for w in windows} if t > PER_QUERY_MAX else None
        rows = {w: self._rows(positions, pos, w) for w in windows} if causal is None and self.attend else {}
        x = self.embed_tokens(tokens)
        for i, layer in enumerate(self.layers):
            rope = ropes[self.arch.rope_theta[i]]
            if self.gemma:
                h = self._attention(i, layer["attn_norm"](x), pos, rope, causal, rows, siblings)
                x = x + layer["post_attn_norm"](h)
                h = self._mlp(i, layer["pre_ffn_norm"](x))
                x = x + layer["post_ffn_norm"](h)
            else:
                x = x + self._attention(i, layer["attn_norm"](x), pos, rope, causal, rows, siblings)
                x = x + self._mlp(i, layer["post_attn_norm"](x))
        hidden = self.final_norm(x)
        logits = self.output(hidden).float()
        if self.arch.final_softcap is not None:
            logits = torch.tanh(logits / self.arch.final_softcap) * self.arch.final_softcap
        return logits.cpu(), hidden

    def keep_sibling(self, pos: int, row: int) -> None:
        """The sibling fed as `row` of the last block (started at `pos`) was accepted: its keys and
        values take position pos+1 in every layer's cache."""
        for keys, values in self._kv:
            keys[:, :, pos + 1], values[:, pos + 1] = keys[:, :, pos + row], values[:, pos + row]

    @property
    def vocab_size(self) -> int:
        return self.arch.vocab_size


def decoder_from_hf(
    model: Any,
    *,
    max_len: int = 4096,
    dtype: torch.dtype | None = None,
    attend: Attend | None = None,
    kernels: str = "bf16",
    quantize: Callable[[dict[str, Tensor], list[str]], dict[str, dict[str, Tensor]]] | None = None,
    q4: Q4MM | None = None,
    device: str | torch.device = "cpu",
) -> Decoder:
    """Build a Decoder from a loaded transformers causal LM (Llama or Gemma3ForCausalLM). kernels
    int8/int4: `quantize(state, names)` gives the quantised matrices (kernels.quantized_state); q4: our
    4-bit kernel for the int4 path."""
    arch = Arch.from_config(model.config)
    state = dict(model.state_dict())
    if "lm_head.weight" not in state:
        state["lm_head.weight"] = state["model.embed_tokens.weight"]
    quant = None
    if kernels != "bf16" and quantize is not None:
        names = [n for n in linear_names(arch) if quantizable(state[n], kernels)]
        quant = quantize(state, names)
    return Decoder(
        arch,
        state,
        max_len=max_len,
        dtype=dtype or state["model.embed_tokens.weight"].dtype,
        attend=attend,
        kernels=kernels,
        quant=quant,
        q4=q4,
        device=device,
    )
