"""The multi-token-prediction (MTP) head: a small block that drafts from the target's own state.

One draft step reads the target's final hidden state h (the one that predicted the pending token)
and the embedding of that pending token, and predicts the token after it:

    g = fc([norm(h); norm(embed(token))])        2d -> d
    g = g + attend(norm(g), target's last-layer K/V cache)   (heads trained with `--attention`)
    g = g + mlp(norm(g))                          d -> 2d -> d
    logits = norm(g) @ W[vocab_ids].T             scored over a reduced vocabulary only

Further steps feed g back in place of h (as DeepSeek's MTP and Gemma 4's assistants chain). The head
keeps no KV cache of its own: its optional attention reads the keys and values the target's last
layer already cached (as Gemma 4's assistants do), with the query at the position of the token it
reads, so it can look back at the context (names, quoted text) that h alone summarises. W is the
target's own (frozen) output matrix, sliced to the N most frequent tokens of the target's
predictions, which keeps a draft step cheap (a 262k-token vocabulary would otherwise cost as much as
the target's own output layer).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .decoder import Decoder, Linear, apply_rope, bf16_packing_available
from .kernels import NativeInt4Linear, NativeInt8Linear, quantizable, quantize_int4, quantize_q8
from .native import Q4MM


@dataclass(frozen=True, slots=True)
class Context:
    """What a head's attention reads of the target for S queries: the last layer's cached keys and
    values (rotary angles already applied) and the rotary angles of the query positions."""

    keys: Tensor  # [kv_heads, T, head_dim]
    values: Tensor
    cos: Tensor  # [S, head_dim]
    sin: Tensor  # [S, head_dim], as [-sin, sin] (decoder.apply_rope)
    scale: float
    mask: Tensor | None = None  # [S, T] bool (training: each query sees the keys up to its start); None: all

    @staticmethod
    def of(
        target: Decoder, keys: Tensor, values: Tensor, positions: Tensor | slice, mask: Tensor | None = None
    ) -> Context:
        cos, sin = target.rope_table(-1)
        return Context(keys, values, cos[positions], sin[positions], target.arch.attn_scale, mask)

    @staticmethod
    def cached(target: Decoder, upto: int, position: int) -> Context:
        """At inference: the target's cache holds positions < upto; one query at `position`."""
        keys, values = target.layer_cache(-1)
        at = slice(position, position + 1)  # views, not an index tensor: a draft step makes one per head step
        return Context.of(target, keys[:, :upto], values[:, :upto], at)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))
        self.kernel: Q4MM | None = None  # for inference on bf16 rows: rms_norm in q4mm.c (quantize())
        self.weight32: Tensor | None = None

    def quantize(self, kernel: Q4MM) -> None:
        self.kernel, self.weight32 = kernel, self.weight.detach().float().contiguous()

    def forward(self, x: Tensor) -> Tensor:
        if self.kernel is not None and self.weight32 is not None and x.dtype == torch.bfloat16:
            return self.kernel.norm(x, self.weight32, self.eps)
        return F.rms_norm(x.float(), (x.shape[-1],), self.weight.float(), self.eps).type_as(x)


class PackedLinear(nn.Module):
    """A bias-free nn.Linear replaced, for inference, by the decoder's packed bf16 kernel."""

    def __init__(self, weight: Tensor) -> None:
        super().__init__()
        self.out_features = weight.shape[0]
        self.linear = Linear(weight, pack=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x)


class QuantizedLinear(nn.Module):
    """A bias-free nn.Linear replaced, for inference on the int4 path, by our 4-bit kernel."""

    def __init__(self, weight: Tensor, kernel: Q4MM) -> None:
        super().__init__()
        self.out_features = weight.shape[0]
        self.linear = NativeInt4Linear([quantize_int4(weight)], kernel)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x.to(torch.bfloat16))


class MTPHead(nn.Module):
    vocab_ids: Tensor

    def __init__(self, dim: int, vocab_ids: Tensor, *, mult: int = 2, attn: tuple[int, int, int] | None = None) -> None:
        """attn: (heads, kv_heads, head_dim) of the target's attention, for a head that attends to the
        target's last-layer cache; None: no attention."""
        super().__init__()
        self.dim = dim
        self.attn = attn
        self.norm_h = RMSNorm(dim)
        self.norm_e = RMSNorm(dim)
        self.fc = nn.Linear(2 * dim, dim, bias=False)
        if attn is not None:
            heads, _, head_dim = attn
            self.norm_a = RMSNorm(dim)
            self.wq = nn.Linear(dim, heads * head_dim, bias=False)
            self.wo = nn.Linear(heads * head_dim, dim, bias=False)
        self.norm_m = RMSNorm(dim)
        self.up = nn.Linear(dim, mult * dim, bias=False)
        self.down = nn.Linear(mult * dim, dim, bias=False)
        self.norm_out = RMSNorm(dim)
        self.register_buffer("vocab_ids", vocab_ids.to(torch.long), persistent=True)
        self.out_weight: Tensor | None = None  # target's output rows for vocab_ids; set by attach()
        self.packed_out: Linear | NativeInt8Linear | None = None  # the same for inference: pack() or quantize()

    def attach(self, lm_head: Tensor) -> None:
        """Slice the target's output matrix to the reduced vocabulary (frozen, not stored)."""
        self.out_weight = lm_head[self.vocab_ids].detach().to(self.norm_out.weight.dtype)
        self.packed_out = None

    def pack(self) -> None:
        """For inference in bf16 on the CPU: the same products through the decoder's packed kernels (a
        draft step reads about 13 MB of weights for SmolLM2; packed, that takes half the time)."""
        if self.out_weight is None:
            raise RuntimeError("MTPHead.attach(lm_head) was not called")
        if self.out_weight.dtype != torch.bfloat16 or self.out_weight.is_cuda or not bf16_packing_available():
            return
        for name in ("fc", "up", "down", "wq", "wo"):
            module = getattr(self, name, None)
            if isinstance(module, nn.Linear):
                setattr(self, name, PackedLinear(module.weight.detach()))
        if self.packed_out is None:  # quantize() may have set it
            self.packed_out = Linear(self.out_weight, pack=True)

    def quantize(self, kernel: Q4MM) -> None:
        """For inference next to a target on the int4 path: the head's products through the same 4-bit
        kernel. There a target step reads a quarter of the bytes, and a bf16 head drafting four tokens
        cost about 0.8 of a step (0.2 next to a bf16 target). Its output product is 8-bit, as the
        target's is: SmolLM2's drafts were accepted 0.553 of the time instead of 0.511 with a 4-bit one
        (benchmark prompts). Drafts may change a little; verification does not (the target decides
        every token)."""
        if self.out_weight is None:
            raise RuntimeError("MTPHead.attach(lm_head) was not called")
        for name in ("fc", "up", "down", "wq", "wo"):
            module = getattr(self, name, None)
            weight = module.weight if isinstance(module, nn.Linear) else None
            if weight is not None and quantizable(weight, "int4"):
                setattr(self, name, QuantizedLinear(weight.detach(), kernel))
        if quantizable(self.out_weight, "int4"):
            self.packed_out = NativeInt8Linear([quantize_q8(self.out_weight)], kernel)
        for module in self.modules():
            if isinstance(module, RMSNorm):
                module.quantize(kernel)

    def step(self, h: Tensor, e: Tensor, context: Context | None = None) -> Tensor:
        """h: [S, dim] states, e: [S, dim] embeddings of the tokens read; context: for attention."""
        g = self.fc(torch.cat([self.norm_h(h), self.norm_e(e)], dim=-1))
        if self.attn is not None:
            if context is None:
                raise ValueError("this MTP head attends to the target's cache: pass a Context")
            g = g + self._attend(self.norm_a(g), context)
        return g + self.down(F.silu(self.up(self.norm_m(g))))

    def _attend(self, x: Tensor, context: Context) -> Tensor:
        assert self.attn is not None
        heads, kv_heads, head_dim = self.attn
        s = x.shape[0]
        q = self.wq(x).view(s, heads, head_dim).transpose(0, 1)
        q = apply_rope(q, context.cos.to(q.dtype), context.sin.to(q.dtype))
        # in the wider of the two dtypes: drafting reads the target's float32 cache as it is, not a bf16 copy
        wide = torch.promote_types(q.dtype, context.keys.dtype)
        q, keys, values = q.to(wide), context.keys.to(wide), context.values.to(wide)
        if context.mask is None:  # drafting: two products and a softmax, a quarter of the fused kernel's time here
            group = heads // kv_heads
            scores = torch.matmul(q.reshape(kv_heads, group * s, head_dim), keys.transpose(1, 2)) * context.scale
            out = torch.matmul(torch.softmax(scores, dim=-1), values).view(heads, s, head_dim)
        else:
            out = F.scaled_dot_product_attention(
                q[None], keys[None], values[None], attn_mask=context.mask, scale=context.scale,
                enable_gqa=heads != kv_heads,
            )[0]  # fmt: skip
        return self.wo(out.transpose(0, 1).reshape(s, heads * head_dim).to(x.dtype))

    def logits(self, g: Tensor) -> Tensor:
        if self.out_weight is None:
            raise RuntimeError("MTPHead.attach(lm_head) was not called")
        x = self.norm_out(g)
        return (self.packed_out(x) if self.packed_out is not None else x @ self.out_weight.T).float()

    # ---- files ----------------------------------------------------------------------------------

    def save(self, path: Path, meta: dict[str, object]) -> None:
        from safetensors.torch import save_file

        state = {
            k: v.detach().to(torch.bfloat16) if v.is_floating_point() else v.to(torch.int32)
            for k, v in self.state_dict().items()
        }
        info = {"dim": str(self.dim), "mult": str(self.up.out_features // self.dim), "meta": json.dumps(meta)}
        if self.attn is not None:
            info["attn"] = json.dumps(list(self.attn))
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in state.items()}, str(path), metadata=info)

    @staticmethod
    def load(path: Path, dtype: torch.dtype = torch.bfloat16) -> tuple[MTPHead, dict[str, object]]:
        from safetensors import safe_open
        from safetensors.torch import load_file

        with safe_open(str(path), framework="pt") as f:
            info = f.metadata() or {}
        state = load_file(str(path))
        attn = tuple(json.loads(info["attn"])) if "attn" in info else None
        head = MTPHead(int(info["dim"]), state["vocab_ids"], mult=int(info.get("mult", "2")), attn=attn)
        head.load_state_dict({k: v.long() if k == "vocab_ids" else v for k, v in state.items()})
        head.to(dtype).eval()
        return head, json.loads(info.get("meta", "{}"))
