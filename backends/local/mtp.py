"""The multi-token-prediction (MTP) head: a small block that drafts from the target's own state.

One draft step reads the target's final hidden state h (the one that predicted the pending token)
and the embedding of that pending token, and predicts the token after it:

    g = fc([norm(h); norm(embed(token))])        2d -> d
    g = g + mlp(norm(g))                          d -> 2d -> d
    logits = norm(g) @ W[vocab_ids].T             scored over a reduced vocabulary only

Further steps feed g back in place of h (as DeepSeek's MTP and Gemma 4's assistants chain), so the
head keeps no KV cache of its own. W is the target's own (frozen) output matrix, sliced to the N most
frequent tokens of the target's predictions, which keeps a draft step cheap (a 262k-token vocabulary
would otherwise cost as much as the target's own output layer).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .decoder import Linear, bf16_packing_available


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: Tensor) -> Tensor:
        return F.rms_norm(x.float(), (x.shape[-1],), self.weight.float(), self.eps).type_as(x)


class PackedLinear(nn.Module):
    """A bias-free nn.Linear replaced, for inference, by the decoder's packed bf16 kernel."""

    def __init__(self, weight: Tensor) -> None:
        super().__init__()
        self.out_features = weight.shape[0]
        self.linear = Linear(weight, pack=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x)


class MTPHead(nn.Module):
    vocab_ids: Tensor

    def __init__(self, dim: int, vocab_ids: Tensor, *, mult: int = 2) -> None:
        super().__init__()
        self.dim = dim
        self.norm_h = RMSNorm(dim)
        self.norm_e = RMSNorm(dim)
        self.fc = nn.Linear(2 * dim, dim, bias=False)
        self.norm_m = RMSNorm(dim)
        self.up = nn.Linear(dim, mult * dim, bias=False)
        self.down = nn.Linear(mult * dim, dim, bias=False)
        self.norm_out = RMSNorm(dim)
        self.register_buffer("vocab_ids", vocab_ids.to(torch.long), persistent=True)
        self.out_weight: Tensor | None = None  # target's output rows for vocab_ids; set by attach()
        self.packed_out: Linear | None = None  # the same, packed for inference; set by pack()

    def attach(self, lm_head: Tensor) -> None:
        """Slice the target's output matrix to the reduced vocabulary (frozen, not stored)."""
        self.out_weight = lm_head[self.vocab_ids].detach().to(self.norm_out.weight.dtype)
        self.packed_out = None

    def pack(self) -> None:
        """For inference in bf16: the same products through the decoder's packed kernels (a draft step
        reads about 13 MB of weights for SmolLM2; packed, that takes half the time)."""
        if self.out_weight is None:
            raise RuntimeError("MTPHead.attach(lm_head) was not called")
        if self.out_weight.dtype != torch.bfloat16 or not bf16_packing_available():
            return
        for name in ("fc", "up", "down"):
            module = getattr(self, name)
            if isinstance(module, nn.Linear):
                setattr(self, name, PackedLinear(module.weight.detach()))
        self.packed_out = Linear(self.out_weight, pack=True)

    def step(self, h: Tensor, e: Tensor) -> Tensor:
        g = self.fc(torch.cat([self.norm_h(h), self.norm_e(e)], dim=-1))
        return g + self.down(F.silu(self.up(self.norm_m(g))))

    def logits(self, g: Tensor) -> Tensor:
        if self.out_weight is None:
            raise RuntimeError("MTPHead.attach(lm_head) was not called")
        x = self.norm_out(g)
        return (self.packed_out(x) if self.packed_out is not None else x @ self.out_weight.T).float()

    # ---- files ----------------------------------------------------------------------------------

    def save(self, path: Path, meta: dict[str, object]) -> None:
        from safetensors.torch import save_file

        state = {k: v.detach().to(torch.bfloat16) if v.is_floating_point() else v.to(torch.int32)
                 for k, v in self.state_dict().items()}
        info = {"dim": str(self.dim), "mult": str(self.up.out_features // self.dim), "meta": json.dumps(meta)}
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in state.items()}, str(path), metadata=info)

    @staticmethod
    def load(path: Path, dtype: torch.dtype = torch.bfloat16) -> tuple[MTPHead, dict[str, object]]:
        from safetensors import safe_open
        from safetensors.torch import load_file

        with safe_open(str(path), framework="pt") as f:
            info = f.metadata() or {}
        state = load_file(str(path))
        head = MTPHead(int(info["dim"]), state["vocab_ids"], mult=int(info.get("mult", "2")))
        head.load_state_dict({k: v.long() if k == "vocab_ids" else v for k, v in state.items()})
        head.to(dtype).eval()
        return head, json.loads(info.get("meta", "{}"))
