"""Load a target model (and its tokenizer) from local files: our decoder where the architecture is
supported, transformers otherwise."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .convert import LOADING, offline_env, resolve_model_dir, source_gguf, switchpoint_home
from .decoder import SUPPORTED, Arch, Decoder, decoder_from_hf
from .kernels import ENV, choose_path, cpu_isa, has_bf16_dot, quantized_state
from .native import load_attend, load_q4mm

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Loaded:
    label: str
    path: Path
    tokenizer: Any
    hf: Any  # the transformers model (fallback path, reference checks)
    decoder: Decoder | None  # None: architecture not supported natively
    context_window: int


def set_threads(threads: int | None) -> None:
    if threads:
        torch.set_num_threads(threads)


def resolve_device(device: str | None) -> str:
    """`device` option: auto (None) picks cuda where torch sees a GPU, else cpu."""
    choice = (device or "auto").lower()
    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if choice not in ("cpu", "cuda"):
        raise ValueError(f"unknown device {device!r}: use auto, cpu or cuda")
    if choice == "cuda" and not torch.cuda.is_available():
        raise ValueError("device cuda was asked for but torch sees no CUDA GPU")
    return choice


def load_model(
    model: str,
    *,
    max_len: int = 4096,
    threads: int | None = None,
    home: Path | None = None,
    kernels: str | None = None,
    device: str | None = None,
) -> Loaded:
    """`home`: where converted models, quantised weights and the native kernels are kept (default
    SWITCHPOINT_HOME). kernels: auto (None) | bf16 | int8 | int4 | int4-torch (kernels.py;
    SWITCHPOINT_KERNELS forces one too), on the CPU. device: auto (None) | cpu | cuda (bf16)."""
    with LOADING:  # see convert.LOADING
        from transformers import AutoModelForCausalLM, AutoTokenizer

        offline_env()
        set_threads(threads)
        path = resolve_model_dir(model, home)
        tokenizer = AutoTokenizer.from_pretrained(str(path))
        hf = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.bfloat16).eval()
        config = getattr(hf.config, "text_config", None) or hf.config
        context = int(getattr(config, "max_position_embeddings", 4096))
        decoder = None
        if getattr(config, "model_type", "") in SUPPORTED:
            try:
                decoder = _native_decoder(model, hf, path, max_len, home or switchpoint_home(), kernels, device)
            except NotImplementedError as exc:
                logger.info("native decoder unavailable for %s (%s); using transformers generate", path, exc)
        label = model if "/" not in model else path.name
        return Loaded(label, path, tokenizer, hf, decoder, context)


def _native_decoder(
    model: str, hf: Any, path: Path, max_len: int, home: Path, kernels: str | None, device: str | None
) -> Decoder:
    """Our decoder on the device; on the CPU with the kernel path chosen for it (logged). A CPU kernel
    path forced (option or SWITCHPOINT_KERNELS) keeps `device: auto` on the CPU."""
    forced = (kernels or "auto") != "auto" or bool(os.environ.get(ENV))
    where = resolve_device(device if device or not forced else "cpu")
    if where != "cpu":
        decoder = decoder_from_hf(hf, max_len=max_len, device=where)
        logger.info("local %s: %s (%s), bf16 weights", model, where, torch.cuda.get_device_name())
        return decoder
    attend = load_attend(Arch.from_config(hf.config).head_dim, home)
    path_kind = choose_path(kernels)

    def quantize(state: dict[str, torch.Tensor], names: list[str]) -> dict[str, dict[str, torch.Tensor]]:
        return quantized_state(state, names, path_kind, path, home, source_gguf(path))

    q4 = load_q4mm(home) if path_kind == "int4" else None
    if path_kind == "int4" and q4 is None and not forced and has_bf16_dot():
        path_kind = "bf16"  # no C compiler: torch's int4 kernel is slower than bf16 dot products
    decoder = decoder_from_hf(hf, max_len=max_len, attend=attend, kernels=path_kind, quantize=quantize, q4=q4)
    logger.info(
        "local %s: CPU %s, kernel path %s (%s)",
        model,
        cpu_isa(),
        decoder.kernels,
        "forced" if forced else "chosen for this CPU",
    )
    return decoder


def stop_token_ids(tokenizer: Any, hf: Any) -> frozenset[int]:
    ids: set[int] = set()
    eos = getattr(getattr(hf, "generation_config", None), "eos_token_id", None)
    for value in (eos, tokenizer.eos_token_id):
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, list):
            ids.update(v for v in value if isinstance(v, int))
    for name in ("<end_of_turn>", "<|im_end|>", "<|endoftext|>", "<eos>"):
        tid = tokenizer.convert_tokens_to_ids(name)
        if isinstance(tid, int) and tid >= 0 and tokenizer.convert_ids_to_tokens(tid) == name:
            ids.add(tid)
    return frozenset(ids)
