"""Architectures without a native decoder: transformers' `generate`, streamed token by token.

A same-tokenizer draft model goes in as `assistant_model=`; n-gram lookup as
`prompt_lookup_num_tokens=`. transformers' Gemma 4 assistant path drafts by argmax but scores with
the drafter's softmax, which biases sampling, so assisted generation here is greedy only: a sampled
request runs without the assistant.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import torch

from .generate import DecodeStats
from .sampling import Sampler

_END = object()


def hf_generate(
    hf: Any,
    prompt: list[int],
    sampler: Sampler,
    *,
    max_new_tokens: int,
    stop_ids: frozenset[int],
    assistant: Any = None,
    ngram: bool = False,
    stats: DecodeStats | None = None,
) -> Iterator[list[int]]:
    """Yield generated tokens one block at a time; closing the iterator stops generation."""
    from transformers import StoppingCriteria, StoppingCriteriaList
    from transformers.generation.streamers import BaseStreamer

    stats = stats if stats is not None else DecodeStats()
    stats.prompt_tokens = len(prompt)
    out: queue.Queue[Any] = queue.Queue()
    cancel = threading.Event()

    class Streamer(BaseStreamer):
        def __init__(self) -> None:
            self.first = True

        def put(self, value: torch.Tensor) -> None:
            if self.first:  # the prompt
                self.first = False
                return
            out.put(value.reshape(-1).tolist())

        def end(self) -> None:
            pass

    class Cancelled(StoppingCriteria):
        def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> Any:
            return torch.full((input_ids.shape[0],), cancel.is_set(), dtype=torch.bool)

    kwargs: dict[str, Any] = {
        "max_new_tokens": max_new_tokens,
        "eos_token_id": sorted(stop_ids) or None,
        "streamer": Streamer(),
        "stopping_criteria": StoppingCriteriaList([Cancelled()]),
        "do_sample": not sampler.greedy,
    }
    if not sampler.greedy:
        kwargs.update(temperature=sampler.temperature, top_p=sampler.top_p, top_k=sampler.top_k or None)
    elif assistant is not None:
        kwargs["assistant_model"] = assistant
    elif ngram:
        kwargs["prompt_lookup_num_tokens"] = 4

    def work() -> None:
        try:
            with torch.inference_mode():
                hf.generate(torch.tensor([prompt]), **kwargs)
            out.put(_END)
        except Exception as exc:  # handed to the consuming thread, which re-raises it
            out.put(exc)

    thread = threading.Thread(target=work, name="hf-generate", daemon=True)
    thread.start()
    try:
        while True:
            item = out.get()
            if item is _END:
                return
            if isinstance(item, Exception):
                raise item
            block = []
            for tok in item:
                if tok in stop_ids:
                    break
                block.append(tok)
            if block:
                stats.new_tokens += len(block)
                yield block
            if len(block) < len(item):
                return
    finally:
        cancel.set()
        thread.join()
