"""Benchmark: what drafting costs next to a target step as the context grows (a script, not a pytest
test). Coding agents send thousands of tokens, and a drafter whose own cost grows with the context
stops paying there although the benchmark's short prompts never show it.

    python tests/benchmarks/draft_cost.py [--model smollm2] [--contexts 300 1000 4000] [--threads 1]

At each context length (the project README, tokenized, repeated to that length): the median time of a
plain target step, of the MTP drafter's proposal of one token (prompt lookup, then one head step and
its logits), of one head step alone, and of prompt lookup by a scan of the whole history (the
definition NgramDrafter indexes), interleaved. Prints each as a share of a target step; the last line
is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def scan(history: list[int], k: int, n_max: int, n_min: int) -> list[int]:
    """Prompt lookup by scanning the history (what NgramDrafter did before it indexed, and the definition
    its index is tested against): the longest suffix of n_max..n_min tokens that occurred earlier followed
    by a token, and up to k tokens after its latest such occurrence."""
    size = len(history)
    for n in range(min(n_max, size - 1), n_min - 1, -1):
        for start in range(size - n - 1, -1, -1):
            if history[start : start + n] == history[size - n :]:
                return history[start + n : start + n + k]
    return []


def median_ms(fns: dict[str, Callable[[], object]], reps: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}


@torch.inference_mode()
def measure_at(dec: Any, drafter: Any, history: list[int], reps: int) -> dict[str, float]:
    """One context length: each cost in ms, and as a share of a target step."""
    from backends.local.mtp import Context
    from backends.local.sampling import Sampler

    n = len(history)
    _, hidden = dec.forward(torch.tensor(history), 0)
    h, e = hidden[-1][None], dec.embed_tokens(torch.tensor(history[-1:]))
    drafter.begin(history)
    head = drafter.head
    ms = median_ms(
        {
            "step": lambda: dec.forward(torch.tensor([7]), n),
            "propose": lambda: drafter.propose(history, hidden[-1], 1, Sampler()),
            "head": lambda: head.logits(head.step(h, e, Context.cached(dec, n - 1, n - 1))),
            "scan": lambda: scan(history, 1, 4, 3),
        },
        reps,
    )
    row = {"context": n, "step_ms": round(ms["step"], 3)}
    row.update({f"{k}_per_step": round(ms[k] / ms["step"], 4) for k in ("propose", "head", "scan")})
    return row


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--contexts", type=int, nargs="+", default=[300, 1000, 4000])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=30)
    args = parser.parse_args(argv)

    from backends.local.engine import Engine
    from backends.local.kernels import cpu_isa
    from backends.local.native import cpu_model

    engine = Engine.load(args.model, {"threads": args.threads, "max_context": max(args.contexts) + 64})
    dec, drafter = engine.loaded.decoder, engine.drafter
    assert dec is not None and drafter is not None and hasattr(drafter, "head"), "needs the native decoder and MTP head"
    text = (ROOT / "README.md").read_text()
    ids = engine.loaded.tokenizer(text)["input_ids"]
    rows = []
    print(f"{args.model}: CPU {cpu_model()}, {cpu_isa()}, kernel path {dec.kernels}, {args.threads} threads")
    print(f"{'context':>8} {'step ms':>8} {'propose/step':>13} {'head/step':>10} {'scan/step':>10}")
    for n in args.contexts:
        row = measure_at(dec, drafter, (ids * (n // len(ids) + 1))[:n], args.reps)
        rows.append(row)
        print(
            f"{n:>8} {row['step_ms']:>8.2f} {row['propose_per_step']:>13.3f} {row['head_per_step']:>10.3f}"
            f" {row['scan_per_step']:>10.3f}"
        )
    print(json.dumps({"model": args.model, "cpu": cpu_isa(), "cpu_model": cpu_model(), "kernels": dec.kernels,
                      "threads": args.threads, "rows": rows}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
