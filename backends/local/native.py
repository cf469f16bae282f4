"""The decoder's C kernels, compiled for this machine on first use: attention (attend.c) and 4-bit
products (q4mm.c, kernels.py's int4 path).

Per query the attention kernel does what the decoder's torch path does (scores, softmax, weighted
values over a float32 cache), in about half the time, one query at a time in a fixed order, so a token
gets the same result alone or inside a draft block. Each kernel is built with the system's C compiler
(`cc -O3 -march=native`, or $CC; without AVX-512 where torch dispatches to AVX2, see march_flags) into
SWITCHPOINT_HOME/native, once per source, CPU model and flags; where there is no compiler, or
SWITCHPOINT_NATIVE=0, the decoder uses torch operations instead.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import platform
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import torch
from torch import Tensor

logger = logging.getLogger(__name__)

KEY_PAD = 128  # the kernel reads up to this many key slots past the last one it scores


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def march_flags() -> list[str]:
    """The machine's own instructions, but none past what torch dispatches to (ATEN_CPU_CAPABILITY=avx2
    on an AVX-512 CPU builds what an AVX2-only CPU would: -mno-avx512f turns off every AVX-512 part)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return ["-march=native"]
    from .kernels import dispatch_isa

    isa = dispatch_isa()
    if isa == "AVX2":
        return ["-march=native", "-mno-avx512f"]
    if isa == "DEFAULT":
        return ["-march=native", "-mno-avx512f", "-mno-avx2", "-mno-fma"]
    return ["-march=native"]


class Attend:
    """attend(q, kt, v, out, start, end, last, ...): see attend.c."""

    def __init__(self, path: Path) -> None:
        pointer, c_int, c_long = ctypes.c_void_p, ctypes.c_int, ctypes.c_int64
        self._fn = ctypes.CDLL(str(path)).attend
        self._fn.argtypes = [pointer] * 7 + [c_int, c_int, c_int, c_long, pointer, c_int]
        self._fn.restype = None

    def __call__(
        self,
        q: Tensor,
        kt: Tensor,
        v: Tensor,
        out: Tensor,
        bounds: tuple[Tensor, Tensor, Tensor],
        kv_heads: int,
        scratch: Tensor,
    ) -> None:
        """q: [rows, heads, dim] float32 (contiguous, scaled); kt: [kv_heads, dim, stride]; v: [kv_heads,
        stride, dim]; out: [rows, heads * dim]; bounds: (start, end, last) int64 per row; scratch: `stride`
        floats for each thread that may run (as many threads as torch's, and as the scratch has room for)."""
        start, end, last = bounds
        threads = max(1, min(torch.get_num_threads(), scratch.numel() // kt.shape[-1]))
        self._fn(
            q.data_ptr(),
            kt.data_ptr(),
            v.data_ptr(),
            out.data_ptr(),
            start.data_ptr(),
            end.data_ptr(),
            last.data_ptr(),
            q.shape[0],
            q.shape[1],
            kv_heads,
            kt.shape[-1],
            scratch.data_ptr(),
            threads,
        )


def build(source_name: str, flags: list[str], home: Path, label: str) -> Path | None:
    """`source_name` (beside this module) compiled for this machine into home/native, once per source,
    flags, compiler and CPU model; None where it cannot be (no compiler, SWITCHPOINT_NATIVE=0, a failed build)."""
    if os.environ.get("SWITCHPOINT_NATIVE", "1") == "0":
        return None
    compiler = shutil.which(os.environ.get("CC", "cc"))
    if compiler is None:
        logger.info("no C compiler found: %s runs on torch operations", label)
        return None
    source = Path(str(resources.files(__package__).joinpath(source_name)))
    flags = ["-O3", *march_flags(), "-fPIC", "-shared", *flags]
    key = hashlib.sha256(
        b"\0".join(s.encode() for s in (source.read_text(), *flags, compiler, cpu_model(), platform.machine()))
    ).hexdigest()[:16]
    built = home / "native" / f"{label}-{key}.so"
    try:
        if not built.exists():
            built.parent.mkdir(parents=True, exist_ok=True)
            partial = built.with_suffix(f".{os.getpid()}.tmp")
            subprocess.run(
                [compiler, *flags, str(source), "-o", str(partial)], check=True, capture_output=True, timeout=120
            )
            partial.rename(built)
    except (OSError, subprocess.SubprocessError) as exc:
        logger.warning("could not build %s (%s): using torch operations", label, exc)
        return None
    return built


def build_openmp(source_name: str, flags: list[str], home: Path, label: str) -> Path | None:
    """`build` with OpenMP where the compiler has it (torch's own runtime, already loaded, runs the kernel's
    threads), else without (one thread)."""
    return build(source_name, ["-fopenmp", *flags], home, label) or build(source_name, flags, home, label)


def load_attend(head_dim: int, home: Path) -> Attend | None:
    """The attention kernel for this head size, built under home/native if needed; None where it cannot be."""
    if head_dim % 16:
        return None
    built = build_openmp("attend.c", [f"-DDIM={head_dim}"], home, f"attend-{head_dim}")
    try:
        return Attend(built) if built is not None else None
    except OSError as exc:
        logger.warning("could not load the attention kernel (%s): using torch operations", exc)
        return None


class Q4MM:
    """The quantised product kernels (q4mm.c): q4_matmul(x, rows, k, w, scale, low, n, y, work, threads)
    as a call; q8_matmul as `q8`; rms_norm as `norm`, the rotary embedding as `rope` and a decode step's
    attention inputs as `store_kv_q`."""

    def __init__(self, path: Path) -> None:
        lib = ctypes.CDLL(str(path))
        self.lanes = int(lib.q4_lanes())
        pointer, c_int = ctypes.c_void_p, ctypes.c_int
        self._fn = lib.q4_matmul
        self._fn.argtypes = [pointer, c_int, c_int, pointer, pointer, pointer, c_int, pointer, pointer, c_int]
        self._fn.restype = None
        self._q8 = lib.q8_matmul
        self._q8.argtypes = [pointer, c_int, c_int, pointer, pointer, c_int, pointer, pointer, c_int]
        self._q8.restype = None
        self._norm = lib.rms_norm
        self._norm.argtypes = [pointer, pointer, c_int, c_int, ctypes.c_float, c_int, pointer]
        self._norm.restype = None
        self._rope = lib.rope
        self._rope.argtypes = [pointer, c_int, c_int, c_int, pointer, pointer, pointer]
        self._rope.restype = None
        self._store = lib.store_kv_q
        c_long, c_float = ctypes.c_long, ctypes.c_float
        self._store.argtypes = [pointer, pointer, c_long, c_long, pointer, c_int, c_int, c_int, c_int, pointer,
                                pointer, c_int, c_int, c_float, pointer]  # fmt: skip
        self._store.restype = None

    def norm(self, x: Tensor, w: Tensor, eps: float, round_first: bool = False) -> Tensor:
        """RMSNorm over x's last dimension (rms_norm in q4mm.c): x bf16 on the CPU, w float32; round_first:
        transformers' Llama formula (the normalised row rounded to bf16 before the weight scales it)."""
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.shape[-1]
        self._norm(x.data_ptr(), w.data_ptr(), x.numel() // n, n, eps, int(round_first), y.data_ptr())
        return y

    def rope(self, x: Tensor, cos: Tensor, sin_signed: Tensor) -> Tensor:
        """Rotary embedding (rope in q4mm.c), bit for bit the decoder's apply_rope: x [heads, t, dim] bf16,
        cos and sin_signed [t, dim] bf16, all on the CPU."""
        x = x.contiguous()
        y = torch.empty_like(x)
        heads, t, dim = x.shape
        self._rope(x.data_ptr(), heads, t, dim, cos.contiguous().data_ptr(), sin_signed.contiguous().data_ptr(),
                   y.data_ptr())  # fmt: skip
        return y

    def store_kv_q(
        self, q: Tensor, k: Tensor, v: Tensor, keys: Tensor, values: Tensor, pos: int, scale: float
    ) -> Tensor:
        """A decode step's attention inputs (store_kv_q in q4mm.c): k and v [kv heads, t, dim] bf16 stored as
        float32 at slots pos.. of keys [kv heads, dim, slots] and values [kv heads, slots, dim]; returns
        float(q) * scale as [t, heads, dim] float32 (q [heads, t, dim] bf16)."""
        q, k = q.contiguous(), k.contiguous()
        heads, t, dim = q.shape
        assert v.stride(-1) == 1 and keys.is_contiguous() and values.is_contiguous()
        out = torch.empty(t, heads, dim, dtype=torch.float32)
        self._store(k.data_ptr(), v.data_ptr(), v.stride(0), v.stride(1), q.data_ptr(), heads, k.shape[0], t, dim,
                    keys.data_ptr(), values.data_ptr(), keys.shape[-1], pos, scale, out.data_ptr())  # fmt: skip
        return out

    def q8(self, x: int, rows: int, k: int, w: int, scale: int, n: int, y: int, work: int, threads: int) -> None:
        """The 8-bit product (q8_matmul): W [n, k] int8 with a bf16 scale per group of 32, packed as
        kernels.NativeInt8Linear does; work as for the 4-bit one."""
        self._q8(x, rows, k, w, scale, n, y, work, threads)

    def __call__(
        self, x: int, rows: int, k: int, w: int, scale: int, low: int, n: int, y: int, work: int, threads: int
    ) -> None:
        """Pointers as integers (data_ptr()): x [rows, k] bf16, y [rows, n] bf16; see q4mm.c."""
        self._fn(x, rows, k, w, scale, low, n, y, work, threads)


def load_q4mm(home: Path) -> Q4MM | None:
    """The 4-bit product kernel, built under home/native if needed (with OpenMP where the compiler has it);
    None where it cannot be built."""
    built = build_openmp("q4mm.c", ["-ffp-contract=off"], home, "q4mm")
    try:
        return Q4MM(built) if built is not None else None
    except OSError as exc:
        logger.warning("could not load the 4-bit kernel (%s): using torch's", exc)
        return None
