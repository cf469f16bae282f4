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


def _hooks(out: queue.Queue[Any], cancel: threading.Event) -> tuple[Any, Any]:
    """transformers' streamer (hands each new token block to `out`) and a stopping criterion that
    ends generation once `cancel` is set."""
    from transformers import StoppingCriteria, StoppingCriteriaList
    from transformers.generation.streamers import BaseStreamer

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

    return Streamer(), StoppingCriteriaList([Cancelled()])


def _generate_kwargs(
    sampler: Sampler, max_new_tokens: int, stop_ids: frozenset[int], assistant: Any, ngram: bool
) -> dict[str, Any]:
    """`generate`'s arguments: sampling as the request asks; a drafter only when greedy (see above)."""
    kwargs: dict[str, Any] = {
        "max_new_tokens": max_new_tokens,
        "eos_token_id": sorted(stop_ids) or None,
        "do_sample": not sampler.greedy,
    }
    if not sampler.greedy:
        kwargs.update(temperature=sampler.temperature, top_p=sampler.top_p, top_k=sampler.top_k or None)
    elif assistant is not None:
        kwargs["assistant_model"] = assistant
    elif ngram:
        kwargs["prompt_lookup_num_tokens"] = 4
    return kwargs


def _blocks(out: queue.Queue[Any], stop_ids: frozenset[int], stats: DecodeStats) -> Iterator[list[int]]:
    """The streamed token blocks up to the first stop token; re-raises the worker's error."""
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
    stats = stats if stats is not None else DecodeStats()
    stats.prompt_tokens = len(prompt)
    out: queue.Queue[Any] = queue.Queue()
    cancel = threading.Event()
    streamer, stopping = _hooks(out, cancel)
    kwargs = _generate_kwargs(sampler, max_new_tokens, stop_ids, assistant, ngram)

    def work() -> None:
        try:
            with torch.inference_mode():
                hf.generate(torch.tensor([prompt]), streamer=streamer, stopping_criteria=stopping, **kwargs)
            out.put(_END)
        except Exception as exc:  # handed to the consuming thread, which re-raises it
            out.put(exc)

    thread = threading.Thread(target=work, name="hf-generate", daemon=True)
    thread.start()
    try:
        yield from _blocks(out, stop_ids, stats)
    finally:
        cancel.set()
        thread.join()
