"""The local, in-process backend (optional extra `switchpoint[local]`: torch, transformers, gguf).

Importing this package imports no torch: models load on the first request or `await warmup()`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..contract import Backend


def create_local_backend(name: str, model: str, options: dict[str, Any], home: Path | None = None) -> Backend:
    """model: "smollm2" | "gemma3" | an HF checkpoint folder | a .gguf file.

    options: drafter ("mtp" default | "ngram" | "none" | "model:<path or embedded name>"),
    max_queue (8), max_new_tokens_default (512), threads (torch threads), max_context (4096, KV cache
    positions), temperature (0.0: greedy when a request gives none), draft_length (4, initial),
    draft_length_min (2, the floor it adapts down to), mtp_head (path to a head trained with
    `switchpoint drafter train`), mtp_lookup (True: the mtp drafter copies long n-gram matches from
    the context when there are any), mtp_min_confidence (0.4: the head stops drafting below it),
    mtp_min_first_confidence (0.2: below it, no draft at all), mtp_siblings (2: runner-up first
    tokens verified alongside a greedy draft), kernels (auto | bf16 | int8 | int4 | int4-torch: the
    CPU's matrix products), device (auto | cpu | cuda: auto takes a GPU when torch sees one).

    home: where converted models and the native kernels are kept (the settings' `home`; None reads
    SWITCHPOINT_HOME).
    """
    from .backend import LocalBackend

    return LocalBackend(name, model, options, home)


__all__ = ["create_local_backend"]
