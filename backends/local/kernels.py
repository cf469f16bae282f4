"""Matrix-product kernels chosen for the CPU at load time, and weight-only quantisation for them.

Paths (`kernels` backend option, or the SWITCHPOINT_KERNELS environment variable, forces one):

- `bf16`: bf16 weights in oneDNN's packed layout (decoder.Linear). The choice off x86, and on x86 where
  our kernel cannot be built (no C compiler) but the CPU has bf16 dot products (AVX-512 BF16 or AMX)
  that torch dispatches to (has_bf16_dot; ATEN_CPU_CAPABILITY=avx2 turns them off).
- `int4`: weight-only int4, groups of 32 along the reduction, asymmetric (scale and low per group),
  through our kernel (q4mm.c, NativeInt4Linear: each row's activations rounded to 8 bits per group,
  integer dot products, a weight block unpacked once for every row of a draft block). The choice on
  x86: a quarter of the bytes to read per token, 2.7-2.9x bf16's plain speed on the AVX-512 machines
  measured (with bf16 dot products too) and faster than bf16 with MTP, at 0.5-0.8% of perplexity for
  SmolLM2 (no matrix is kept with fewer bits than its GGUF has, below). The output projection
  stays 8-bit (symmetric per group of 32, as the GGUF ships it: Q8_0; NativeInt8Linear, q8_matmul):
  at 4 bits it alone cost SmolLM2 about 5% of perplexity.
- `int4-torch`: the same weights through torch's `_weight_int4pack_mm_for_cpu` (as gpt-fast does):
  forced, or `int4` where no C compiler builds ours. Each row of a block costs it nearly a step.
- `int8`: weight-only int8, one scale per output channel, through `_weight_int8pack_mm`.

Quantised weights are computed once per model and cached next to the bf16 copy under
SWITCHPOINT_HOME (`quant/<model folder>-<hash>-<kind>.safetensors`, the nibbles unpacked as uint8 so the
file does not depend on a kernel's packing). A row's product does not depend on the other rows of the
call (ours by construction; all checked at load by the same probe as the bf16 path), so speculative
output stays identical to plain decoding on every path.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import Tensor

if TYPE_CHECKING:
    from .native import Q4MM

logger = logging.getLogger(__name__)

PATHS = ("bf16", "int8", "int4", "int4-torch")
GROUP = 32  # int4 group size along the reduction
ENV = "SWITCHPOINT_KERNELS"


def cpu_isa() -> str:
    """A short description of what the CPU offers for these products, for the log and the benchmark."""
    cpu = torch.cpu
    probes = (
        ("avx512_bf16", "_is_avx512_bf16_supported"),
        ("amx", "_is_amx_tile_supported"),
        ("avx512_vnni", "_is_avx512_vnni_supported"),
        ("avx_vnni", "_is_avx_vnni_supported"),
    )
    flags = [name for name, probe in probes if getattr(cpu, probe, lambda: False)()]
    extra = f" +{' +'.join(flags)}" if flags else ""
    forced = os.environ.get("ATEN_CPU_CAPABILITY")
    if forced:  # the CPU's own extensions are not what runs: say so
        return f"{platform.machine()} {dispatch_isa()} (forced by ATEN_CPU_CAPABILITY={forced}; the CPU has{extra})"
    return f"{platform.machine()} {dispatch_isa()}{extra}"


def dispatch_isa() -> str:
    """The instruction set torch's kernels dispatch to: the CPU's best, or lower where
    ATEN_CPU_CAPABILITY forces it (`avx2` on an AVX-512 CPU runs what an AVX2-only CPU would)."""
    return str(torch.backends.cpu.get_cpu_capability())


def has_bf16_dot() -> bool:
    """bf16 dot products that the packed bf16 path will actually use: the CPU has them (AVX-512 BF16
    or AMX), torch dispatches to AVX-512 and oneDNN's bf16 kernels are allowed (ONEDNN_MAX_CPU_ISA)."""
    cpu = torch.cpu
    in_cpu = bool(
        getattr(cpu, "_is_avx512_bf16_supported", lambda: False)()
        or getattr(cpu, "_is_amx_tile_supported", lambda: False)()
    )
    return in_cpu and dispatch_isa().startswith("AVX512") and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def choose_path(requested: str | None = None) -> str:
    """The kernel path: forced by `requested` (option) or SWITCHPOINT_KERNELS, else by the CPU."""
    forced = requested or os.environ.get(ENV) or "auto"
    if forced != "auto":
        if forced not in PATHS:
            raise ValueError(f"unknown kernel path {forced!r}: use auto, {', '.join(PATHS)}")
        return forced
    return "int4" if platform.machine().lower() in ("x86_64", "amd64") else "bf16"


# ---- quantisation (once per model) -------------------------------------------------------------


def quantize_int4(weight: Tensor) -> dict[str, Tensor]:
    """Asymmetric 4-bit per group of GROUP inputs: w ~ q * scale + low, q in 0..15."""
    n, k = weight.shape
    groups = weight.float().reshape(n, k // GROUP, GROUP)
    low, high = groups.amin(-1), groups.amax(-1)
    scale = ((high - low) / 15).clamp(min=1e-8)
    q = ((groups - low[..., None]) / scale[..., None]).round().clamp(0, 15).to(torch.uint8).reshape(n, k)
    return {"q": q, "scale": scale.to(torch.bfloat16), "low": low.to(torch.bfloat16)}


def quantize_q8(weight: Tensor) -> dict[str, Tensor]:
    """Symmetric 8-bit per group of GROUP inputs (llama.cpp's Q8_0): w ~ q8 * scale, q8 in -127..127."""
    n, k = weight.shape
    groups = weight.float().reshape(n, k // GROUP, GROUP)
    scale = (groups.abs().amax(-1) / 127).clamp(min=1e-8).to(torch.bfloat16)
    q8 = (groups / scale.float()[..., None]).round().clamp(-127, 127).to(torch.int8).reshape(n, k)
    return {"q8": q8, "scale": scale}


def quantize_int8(weight: Tensor) -> dict[str, Tensor]:
    """Symmetric 8-bit, one scale per output channel."""
    w = weight.float()
    scale = (w.abs().amax(1) / 127).clamp(min=1e-8)
    return {"q": (w / scale[:, None]).round().clamp(-127, 127).to(torch.int8), "scale": scale.to(torch.bfloat16)}


# On the int4 path through our kernels, these stay 8-bit: the output projection decides every token, and
# GGUF files ship it at 6 or 8 bits even where the layers are 4-bit.
OUTPUT_8BIT = frozenset({"lm_head.weight"})

# GGUF tensor types of at most 4 bits a weight: a matrix the file stores so is made 4-bit on `int4`;
# any other (Q5_*, Q6_K, Q8_0, F16, ...) 8-bit, so that the path never keeps less than the file has.
NARROW_GGUF = frozenset(
    {
        "Q4_0",
        "Q4_1",
        "Q4_K",
        "IQ4_NL",
        "IQ4_XS",
        "Q3_K",
        "Q2_K",
        "IQ3_S",
        "IQ3_XXS",
        "IQ2_S",
        "IQ2_XS",
        "IQ2_XXS",
        "IQ1_S",
        "IQ1_M",
        "TQ1_0",
        "TQ2_0",
    }
)
GGUF_NAMES = {  # llama.cpp's names for the matrices our decoder multiplies (Llama, Gemma 3)
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
STACKS = (("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"), ("mlp.gate_proj", "mlp.up_proj"))


def gguf_wide(gguf: Path) -> frozenset[str]:
    """The matrices (our names) that `gguf` stores above 4 bits a weight, with the others of their
    stack (q/k/v and gate/up are multiplied as one matrix, so one width for all)."""
    from gguf import GGUFReader

    types = {t.name: t.tensor_type.name for t in GGUFReader(str(gguf)).tensors}
    wide: set[str] = set()
    for name, kind in types.items():
        parts = name.split(".")
        if kind in NARROW_GGUF:
            continue
        if parts[0] == "blk" and len(parts) == 4 and parts[2] in GGUF_NAMES:
            member = GGUF_NAMES[parts[2]]
            stack = next((s for s in STACKS if member in s), (member,))
            wide.update(f"model.layers.{parts[1]}.{m}.weight" for m in stack)
        elif name == "output.weight" or (name == "token_embd.weight" and "output.weight" not in types):
            wide.add("lm_head.weight")
    return frozenset(wide)


def quantize_for(path: str, name: str, weight: Tensor, wide: frozenset[str] = frozenset()) -> dict[str, Tensor]:
    """The matrix `name` quantised as `path` multiplies it. int4 through ours: 8-bit for the output
    projection (OUTPUT_8BIT) and for the matrices the source file keeps above 4 bits (`wide`)."""
    if path == "int4" and (name in OUTPUT_8BIT or name in wide):
        return quantize_q8(weight)
    return quantize_int4(weight) if path.startswith("int4") else quantize_int8(weight)


def quantizable(weight: Tensor, path: str) -> bool:
    return path != "bf16" and weight.dim() == 2 and weight.shape[1] % GROUP == 0 and weight.shape[0] % 16 == 0


def quantized_state(
    state: dict[str, Tensor], names: list[str], path: str, model_dir: Path, home: Path, gguf: Path | None = None
) -> dict[str, dict[str, Tensor]]:
    """`names`' weights quantised for `path`, read from the cache or computed once and cached. `gguf`:
    the file the model was converted from, whose 4-bit matrices alone are made 4-bit on int4."""
    from safetensors.torch import load_file, save_file

    kind = "int4" if path.startswith("int4") else path
    wide = gguf_wide(gguf) if path == "int4" and gguf is not None else frozenset()
    if path == "int4":  # our kernels: which matrices are 8-bit is part of the name
        kind = "int4-" + hashlib.sha256(" ".join(sorted(wide | OUTPUT_8BIT)).encode()).hexdigest()[:8]
    key = hashlib.sha256(str(model_dir.resolve()).encode()).hexdigest()[:10]
    cache = home / "quant" / f"{model_dir.name}-{key}-{kind}.safetensors"
    if cache.exists():
        flat = load_file(str(cache))
    else:
        logger.info("quantising %s to %s once (cached in %s)", model_dir.name, path, cache)
        flat = {}
        for name in names:
            parts = quantize_for(path, name, state[name], wide)
            flat.update({f"{name}:{part}": t.contiguous() for part, t in parts.items()})
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.partial")  # two processes quantising at once write apart
        save_file(flat, str(tmp))
        tmp.rename(cache)
    out: dict[str, dict[str, Tensor]] = {}
    for full, tensor in flat.items():
        name, part = full.rsplit(":", 1)
        out.setdefault(name, {})[part] = tensor
    return out


# ---- the products --------------------------------------------------------------------------------


class Int4Linear:
    """y = x @ dequant(W).T through `_weight_int4pack_mm_for_cpu` (bf16 in, bf16 out)."""

    __slots__ = ("packed", "rowwise", "scales_zeros", "weight")

    def __init__(self, parts: list[dict[str, Tensor]]) -> None:
        q = torch.cat([p["q"] for p in parts]).to(torch.int32)
        scale = torch.cat([p["scale"] for p in parts]).float()
        low = torch.cat([p["low"] for p in parts]).float()
        self.packed = torch.ops.aten._convert_weight_to_int4pack_for_cpu(q, 1)
        # the kernel computes (q - 8) * scale + zero: zero = low + 8 * scale
        zero = low + 8 * scale
        self.scales_zeros = torch.stack([scale, zero], -1).transpose(0, 1).contiguous().to(torch.bfloat16)
        self.rowwise, self.weight = False, None

    def __call__(self, x: Tensor) -> Tensor:
        return torch.ops.aten._weight_int4pack_mm_for_cpu(x, self.packed, GROUP, self.scales_zeros)


class Int8Linear:
    """y = x @ (q * scale).T through `_weight_int8pack_mm` (bf16 in, bf16 out)."""

    __slots__ = ("packed", "q", "rowwise", "scale", "weight")

    def __init__(self, parts: list[dict[str, Tensor]]) -> None:
        self.q = torch.cat([p["q"] for p in parts]).contiguous()
        self.scale = torch.cat([p["scale"] for p in parts]).contiguous()
        self.packed, self.rowwise, self.weight = [self.q], False, None

    def __call__(self, x: Tensor) -> Tensor:
        return torch.ops.aten._weight_int8pack_mm(x, self.q, self.scale)


class _NativeLinear:
    """What our two kernels' products share: scales packed per block of output lanes, and the scratch
    buffer a call quantises its rows into (kept for up to 16 rows, a draft block)."""

    __slots__ = ("k", "kernel", "n", "packed", "rowwise", "scale", "weight", "work")

    def _setup(self, n: int, k: int, scale: Tensor, kernel: Q4MM) -> None:
        self.n, self.k = n, k
        lanes = kernel.lanes
        self.scale = scale.to(torch.bfloat16).reshape(n // lanes, lanes, k // GROUP).transpose(1, 2).contiguous()
        self.work = _scratch(k, 16)
        self.kernel, self.rowwise, self.weight = kernel, False, None

    def _work(self, rows: int) -> Tensor:
        return self.work if rows <= 16 else _scratch(self.k, rows)


def _scratch(k: int, rows: int) -> Tensor:
    """Room for `rows` rows of k inputs as 8-bit values, then 2 four-byte values per row and group."""
    return torch.empty(rows * k + 8 * rows * (k // GROUP), dtype=torch.uint8)


class NativeInt4Linear(_NativeLinear):
    """y = x @ dequant(W).T through our own kernel (q4mm.c): each row's activations quantised to 8 bits
    per group of 32, integer dot products against the 4-bit weights, a weight block unpacked once for
    all rows of a draft block. Exact per row by construction (see q4mm.c)."""

    __slots__ = ("low",)

    def __init__(self, parts: list[dict[str, Tensor]], kernel: Q4MM) -> None:
        q = torch.cat([p["q"] for p in parts])
        n, k = q.shape
        self._setup(n, k, torch.cat([p["scale"] for p in parts]), kernel)  # as quantised: bf16
        lanes, groups = kernel.lanes, k // GROUP
        low = torch.cat([p["low"] for p in parts]).to(torch.bfloat16)
        self.low = low.reshape(n // lanes, lanes, groups).transpose(1, 2).contiguous()
        # [blocks, lanes, groups, pairs, lo/hi, 4] -> bytes lo | hi << 4 as [blocks, groups, pairs, lanes, 4]
        q = q.reshape(n // lanes, lanes, groups, 4, 2, 4)
        nibbles = q[..., 0, :] | (q[..., 1, :] << 4)
        self.packed = nibbles.permute(0, 2, 3, 1, 4).contiguous()

    def __call__(self, x: Tensor) -> Tensor:
        x = x.contiguous()
        rows = x.shape[0]
        y = torch.empty(rows, self.n, dtype=torch.bfloat16)
        work = self._work(rows)
        self.kernel(
            x.data_ptr(),
            rows,
            self.k,
            self.packed.data_ptr(),
            self.scale.data_ptr(),
            self.low.data_ptr(),
            self.n,
            y.data_ptr(),
            work.data_ptr(),
            torch.get_num_threads(),
        )
        return y


class NativeInt8Linear(_NativeLinear):
    """y = x @ (q8 * scale).T through our kernel (q8_matmul in q4mm.c): 8-bit weights per group of 32,
    activations rounded as for NativeInt4Linear, integer dot products; exact per row by construction."""

    __slots__ = ()

    def __init__(self, parts: list[dict[str, Tensor]], kernel: Q4MM) -> None:
        q8 = torch.cat([p["q8"] for p in parts])
        n, k = q8.shape
        self._setup(n, k, torch.cat([p["scale"] for p in parts]), kernel)
        # [blocks, lanes, groups, quads, 4] -> [blocks, groups, quads, lanes, 4]
        lanes, groups = kernel.lanes, k // GROUP
        self.packed = q8.reshape(n // lanes, lanes, groups, GROUP // 4, 4).permute(0, 2, 3, 1, 4).contiguous()

    def __call__(self, x: Tensor) -> Tensor:
        x = x.contiguous()
        rows = x.shape[0]
        y = torch.empty(rows, self.n, dtype=torch.bfloat16)
        work = self._work(rows)
        self.kernel.q8(
            x.data_ptr(),
            rows,
            self.k,
            self.packed.data_ptr(),
            self.scale.data_ptr(),
            self.n,
            y.data_ptr(),
            work.data_ptr(),
            torch.get_num_threads(),
        )
        return y


class DequantLinear:
    """8-bit weights where our kernel is not built (path int4-torch): dequantised once to bf16."""

    __slots__ = ("packed", "rowwise", "weight")

    def __init__(self, parts: list[dict[str, Tensor]]) -> None:
        q8 = torch.cat([p["q8"] for p in parts]).float()
        scale = torch.cat([p["scale"] for p in parts]).float()
        n, k = q8.shape
        self.weight = (q8.reshape(n, k // GROUP, GROUP) * scale[..., None]).reshape(n, k).to(torch.bfloat16)
        self.packed, self.rowwise = [self.weight], False

    def __call__(self, x: Tensor) -> Tensor:
        return torch.nn.functional.linear(x, self.weight)


def quant_linear(
    parts: list[dict[str, Tensor]], path: str, native: Q4MM | None = None
) -> Int4Linear | Int8Linear | NativeInt4Linear | NativeInt8Linear | DequantLinear:
    """int4: our kernel where it was built (`native`), else torch's; int4-torch: torch's; int8: torch's.
    8-bit parts (the output projection on the int4 path): our 8-bit kernel, else dequantised."""
    if "q8" in parts[0]:
        return NativeInt8Linear(parts, native) if native is not None else DequantLinear(parts)
    if path == "int4" and native is not None:
        return NativeInt4Linear(parts, native)
    return Int4Linear(parts) if path.startswith("int4") else Int8Linear(parts)
