"""Benchmark: local decoding speed on the embedded models (a script, not a pytest test).

    python tests/benchmarks/local_decode.py [--tokens 96] [--reps 2] [--models smollm2 gemma3]
        [--threads N] [--kernels int4] [--isa avx2] [--device cuda] [--prompts bench public] [--skip ngram]

Same chat and code prompts for every method, greedy, methods interleaved (each repetition runs
every method on every prompt in turn, so machine noise hits all of them alike): transformers
`generate`, our plain loop, our loop with the MTP head and with n-gram lookup, and our plain loop once
more ("plain-again": how far two runs of the same loop differ on one prompt, the noise floor a worst
prompt's MTP/plain ratio is read against; a prompt's ratio is the median over repetitions of the ratio
of its two runs in the same repetition, so more `--reps` narrow the noise floor). Prints a table; the
last line is one JSON object per model with the ratios against the targets.

Targets on a 2-core CPU (TARGETS, printed next to each measured ratio with the CPU model, its ISA as
torch dispatches it, the kernel path and the machine's load): plain >= 1.4x transformers; MTP >= 1.6x
plain on code, >= 1.3x on chat; MTP never more than 3% slower than plain on any prompt.
`identical`: every drafter gave exactly our plain loop's tokens on every prompt (a must);
`same_tokens_as_transformers`: on how many prompts transformers gave those tokens too (bf16 ties may
be resolved differently by its attention kernels; informational).
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

# issue 19's targets, each printed next to its measured ratio: plain >= 1.4x transformers; MTP >= 1.6x
# plain on code, >= 1.3x on chat; MTP never more than 3% slower than plain on any prompt; against
# llama.cpp on the same GGUF (when llama-cpp-python is installed): MTP >= 1.2x, plain >= 0.75x.
TARGETS = {
    "plain_vs_transformers": 1.4,
    "mtp_vs_plain_code": 1.6,
    "mtp_vs_plain_chat": 1.3,
    "worst_mtp_vs_plain": 0.97,
    "mtp_vs_llama_cpp": 1.2,
    "plain_vs_llama_cpp": 0.75,
}

CHAT = [
    "What are three good habits for staying healthy? Answer briefly.",
    "Explain what a cache is to a new programmer.",
    "Write a short note inviting a friend to dinner on Saturday.",
    "Why is the sky blue? Explain in a few sentences.",
]
CODE = [
    "Write a Python function that checks whether a string is a palindrome, with a docstring and tests.",
    "Rewrite this function with type hints and a docstring:\n\ndef mean(values):\n    total = 0\n"
    "    for v in values:\n        total += v\n    return total / len(values)\n",
    "Write a Python class for a stack with push, pop and peek methods.",
    "Write a JavaScript function that debounces another function, and explain how it works.",
]

# A second set: real public prompts, the first turns of MT-Bench questions (lm-sys/FastChat,
# fastchat/llm_judge/data/mt_bench/question.jsonl at 589532dc, Apache-2.0): writing and roleplay as
# chat (ids 81, 82, 84, 86, 96, 97), coding as code (121, 122, 123, 125, 127, 130). None is among the
# benchmark's eight or the drafter's training requests.
PUBLIC_CHAT = [
    "Compose an engaging travel blog post about a recent trip to Hawaii, highlighting cultural experiences and "
    "must-see attractions.",
    "Draft a professional email seeking your supervisor's feedback on the 'Quarterly Financial Report' you prepared. "
    "Ask specifically about the data analysis, presentation style, and the clarity of conclusions drawn. Keep the "
    "email short and to the point.",
    "Write a persuasive email to convince your introverted friend, who dislikes public speaking, to volunteer as a "
    "guest speaker at a local event. Use compelling arguments and address potential objections. Please be concise.",
    "Write a descriptive paragraph about a bustling marketplace, incorporating sensory details such as smells, "
    "sounds, and visual elements to create an immersive experience for the reader.",
    "Now you are a machine learning engineer. Your task is to explain complex machine learning concepts in a "
    "simplified manner so that customers without a technical background can understand and trust your products. "
    'Let\'s start with the question: "What is a language model? Is it trained using labeled or unlabelled data?"',
    "Act as a math teacher. I will provide some mathematical equations or concepts, and it will be your job to "
    "explain them in easy-to-understand terms. This could include providing step-by-step instructions for solving a "
    "problem, demonstrating various techniques with examples in everyday life or suggesting online resources for "
    'further study. My first request is "I need help understanding how probability works."',
]
PUBLIC_CODE = [
    "Develop a Python program that reads all the text files under a directory and returns top-5 words with the most "
    "number of occurrences.",
    "Write a C++ program to find the nth Fibonacci number using recursion.",
    "Write a simple website in HTML. When a user clicks the button, it shows a random joke from a list of 4 jokes.",
    "Write a function to find the highest common ancestor (not LCA) of two nodes in a binary tree.",
    "Write a function to find the majority element in a given integer array using the Boyer-Moore Voting Algorithm.",
    "Implement a program to find the common elements in two arrays without using any extra data structures.",
]
PROMPT_SETS = {"bench": (CHAT, CODE), "public": (PUBLIC_CHAT, PUBLIC_CODE)}

# The fixed asks that chose the embedded defaults (router/backends_factory.py; docs/local.md, "Which
# model answers what"): every embedded model answers each, greedy, through the engine as a request would.
ASKS = {
    "prose": [
        "Write a short note inviting a friend to dinner on Friday.",
        "Give three tips for writing a clear email.",
        "In two sentences, why do leaves change colour in autumn?",
    ],
    "coding": [
        "Write a Python function that returns the factorial of n.",
        "What does this do? print([x * x for x in range(5)])",
        "Fix the bug: def add(a, b): return a - b",
    ],
    "tool_calling": [
        "What is the weather in Paris right now?",
        "What's the temperature in Tokyo? Use the tool.",
        "Is it raining in London?",
    ],
}
WEATHER_TOOL: dict[str, Any] = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def answer_asks(models: list[str], max_tokens: int) -> None:
    """Print every embedded model's answer to every ask, side by side, for a person to judge."""
    import threading

    from backends.contract import CanonicalRequest, Message, TextDelta, TextPart, Tool, ToolCallDelta
    from backends.local.engine import Engine

    for name in models:
        engine = Engine.load(name, {"drafter": "none", "max_context": 1024})
        for category, asks in ASKS.items():
            tools = [Tool(**WEATHER_TOOL)] if category == "tool_calling" else []
            for ask in asks:
                req = CanonicalRequest(
                    model=name, messages=[Message("user", [TextPart(ask)])], max_tokens=max_tokens, tools=tools
                )
                events = list(engine.run(req, threading.Event()))
                text = "".join(e.text for e in events if isinstance(e, TextDelta))
                calls = [f"{e.name}({e.arguments})" for e in events if isinstance(e, ToolCallDelta)]
                shown = text.strip() + (f"\n[tool calls: {calls}]" if calls else "")
                print(f"--- {name} | {category} | {ask}\n{shown}")


def run_hf(loaded: Any, prompt: list[int], n: int, stop: frozenset[int]) -> list[int]:
    import torch

    with torch.inference_mode():
        out = loaded.hf.generate(
            torch.tensor([prompt], device=loaded.hf.device),
            max_new_tokens=n,
            do_sample=False,
            eos_token_id=sorted(stop),
            pad_token_id=sorted(stop)[0],
        )
    tokens = out[0, len(prompt) :].tolist()
    for i, t in enumerate(tokens):
        if t in stop:
            return list(tokens[:i])
    return list(tokens)


def run_ours(engine: Any, prompt: list[int], n: int, drafter: Any, stats: Any, costs: Any = None) -> list[int]:
    """costs: the method's own StepCosts, kept across prompts as an engine keeps its own."""
    from backends.local.generate import generate
    from backends.local.sampling import Sampler

    blocks = generate(
        engine.loaded.decoder,
        prompt,
        Sampler(),
        max_new_tokens=n,
        stop_ids=engine.stop_ids,
        drafter=drafter,
        policy=engine.policy(),
        stats=stats,
        costs=costs,
    )
    return [t for b in blocks for t in b]


def llama_cpp_runner(name: str, threads: int | None, extra_bufts: bool = True) -> Any:
    """llama.cpp on the same GGUF file (llama-cpp-python, when installed; optional, not in CI):
    greedy, the same prompt token ids. None when it is not installed. Untested where it is absent.
    `extra_bufts=False` (`--skip llama.cpp-extra-bufts`) turns off llama.cpp's extra weight buffer
    types (AMX, repacked layouts): on an Intel Xeon with AMX its AMX path crashed on SmolLM2's Q4_1."""
    try:
        import llama_cpp.llama as binding
        from llama_cpp import Llama
    except ImportError:
        return None
    import torch

    from backends.local.convert import embedded_gguf

    n = threads or torch.get_num_threads()
    defaults = binding.llama_cpp.llama_model_default_params
    if not extra_bufts:  # llama-cpp-python passes no such option: its default parameters, amended

        def amended() -> Any:
            params = defaults()
            params.use_extra_bufts = False
            return params

        binding.llama_cpp.llama_model_default_params = amended
    try:  # the prompt too on n threads (llama-cpp-python's n_threads_batch defaults to every core)
        llm = Llama(model_path=str(embedded_gguf(name)), n_ctx=2048, n_threads=n, n_threads_batch=n, verbose=False)
    finally:
        binding.llama_cpp.llama_model_default_params = defaults

    def run(prompt: list[int], n: int, stop: frozenset[int]) -> list[int]:
        llm.reset()
        out: list[int] = []
        for tok in llm.generate(prompt, top_k=1, top_p=1.0, temp=0.0, repeat_penalty=1.0):
            if tok in stop or len(out) >= n:
                break
            out.append(int(tok))
        return out

    return run


Runner = Callable[[list[int], int, Any, Any], list[int]]  # (prompt ids, tokens, stats, step costs) -> tokens


def method_runners(engine: Any, name: str, threads: int | None, skip: tuple[str, ...]) -> dict[str, Runner]:
    """Each method the benchmark compares, in its order, as one call per prompt."""
    from backends.local.drafters import MTPDrafter, NgramDrafter

    mtp = engine.drafter
    head_only = None
    if isinstance(mtp, MTPDrafter):
        head_only = copy.copy(mtp)
        head_only.lookup = None

    def ours(drafter: Any) -> Runner:
        return lambda ids, n, stats, costs: run_ours(engine, ids, n, drafter, stats, costs)

    runners: dict[str, Runner] = {
        "transformers": lambda ids, n, stats, costs: run_hf(engine.loaded, ids, n, engine.stop_ids),
        "plain": ours(None),
        "mtp": ours(mtp),
        "plain-again": ours(None),  # plain once more: how far two runs of the same differ (the noise floor)
        "mtp-head-only": ours(head_only),
        "ngram": ours(NgramDrafter()),
    }
    extra_bufts = "llama.cpp-extra-bufts" not in skip
    llama_cpp = llama_cpp_runner(name, threads, extra_bufts) if "llama.cpp" not in skip else None
    if llama_cpp is not None:
        runners["llama.cpp"] = lambda ids, n, stats, costs: llama_cpp(ids, n, engine.stop_ids)
    return {m: run for m, run in runners.items() if m not in skip}


@dataclass
class Measured:
    """What the interleaved runs gave, by (method, kind) and by (method, kind, prompt)."""

    elapsed: dict[tuple[str, str], float] = field(default_factory=dict)
    produced: dict[tuple[str, str], int] = field(default_factory=dict)
    outputs: dict[tuple[str, str, int], list[int]] = field(default_factory=dict)
    tps_run: dict[tuple[str, str, int], list[float]] = field(default_factory=dict)  # tokens/s, one per repetition
    accept: dict[str, list[float]] = field(default_factory=lambda: {"mtp": [], "mtp-head-only": [], "ngram": []})

    def total(self, method: str) -> float:
        """tokens/s over every prompt; NaN where the method was not run."""
        keys = [key for key in self.elapsed if key[0] == method]
        if not keys:
            return float("nan")
        return sum(self.produced[key] for key in keys) / sum(self.elapsed[key] for key in keys)


def measure(
    name: str, runners: dict[str, Runner], prompts: dict[str, list[list[int]]], tokens: int, reps: int
) -> Measured:
    """Every method on every prompt in turn, `reps` times (machine noise hits them alike)."""
    from backends.local.generate import DecodeStats, StepCosts

    got = Measured()
    costs = {m: StepCosts() for m in runners}  # each drafter learns this machine's step costs as an engine does
    for _ in range(reps):
        for kind, items in prompts.items():
            for i, prompt_ids in enumerate(items):
                for method, run in runners.items():
                    stats = DecodeStats()
                    start = time.perf_counter()
                    out = run(prompt_ids, tokens, stats, costs[method])
                    took = time.perf_counter() - start
                    got.elapsed[method, kind] = got.elapsed.get((method, kind), 0.0) + took
                    got.produced[method, kind] = got.produced.get((method, kind), 0) + len(out)
                    got.tps_run.setdefault((method, kind, i), []).append(len(out) / took)
                    print(
                        f"  {name} {kind}[{i}] {method:<12} {len(out):4d} tokens {len(out) / took:7.1f} tok/s",
                        file=sys.stderr,
                        flush=True,
                    )
                    if method in got.accept:
                        got.accept[method].append(stats.acceptance_length)
                    got.outputs.setdefault((method, kind, i), out)
    return got


def paired_ratio(got: Measured, method: str, kind: str, i: int) -> float:
    """A prompt's speed against the plain loop's: the median over repetitions of the two runs' ratio
    within one repetition (they ran one after the other, so the machine's slower minutes hit both)."""
    ratios = [m / p for m, p in zip(got.tps_run[method, kind, i], got.tps_run["plain", kind, i], strict=True)]
    return statistics.median(ratios)


def bench_model(
    name: str,
    tokens: int,
    reps: int,
    threads: int | None,
    kernels: str | None = None,
    prompt_set: str = "bench",
    skip: tuple[str, ...] = (),
    device: str | None = None,
) -> dict[str, Any]:
    """device: the engine's `device` option (cuda: transformers runs on the GPU too)."""
    from backends.local.engine import Engine
    from backends.local.generate import DecodeStats
    from backends.local.selfgen import prompt_ids as user_prompt

    load_before = load_average()
    options = {"drafter": "mtp", "threads": threads, "max_context": 2048, "kernels": kernels, "device": device}
    engine = Engine.load(name, options)
    decoder = engine.loaded.decoder
    assert decoder is not None, f"{name} has no native decoder"
    engine.loaded.hf.to(decoder.device)
    runners = method_runners(engine, name, threads, skip)
    prompts = {
        kind: [user_prompt(engine.loaded.tokenizer, t) for t in texts]
        for kind, texts in zip(("chat", "code"), PROMPT_SETS[prompt_set], strict=True)
    }
    for prompt_ids in prompts["chat"][:1]:  # warm up every path once
        run_hf(engine.loaded, prompt_ids, 8, engine.stop_ids)
        run_ours(engine, prompt_ids, 8, engine.drafter, DecodeStats())
    got = measure(name, runners, prompts, tokens, reps)
    header = (
        f"{name}: tokens/s (greedy, {tokens} new tokens, {reps} reps, {prompt_set} prompts, drafter head: "
        f"{type(engine.drafter).__name__}; load average {load_before} at the start)"
    )
    return summary(header, decoder, got, prompt_set, load_before)


def summary(header: str, decoder: Any, got: Measured, prompt_set: str, load_before: float) -> dict[str, Any]:
    """The table (printed) and the figures the targets are judged on."""
    from backends.local.kernels import cpu_isa
    from backends.local.native import cpu_model

    methods = list(dict.fromkeys(m for m, _ in got.elapsed))
    tps = {key: got.produced[key] / got.elapsed[key] for key in got.elapsed}
    place = f"CPU {cpu_model()}, {cpu_isa()}, kernel path {decoder.kernels}, {torch_threads()} threads"
    print(f"\n{header}\n  {place}")
    print(f"{'method':<14}{'chat':>10}{'code':>10}{'accept len':>12}")
    for m in methods:
        acc = f"{sum(got.accept[m]) / len(got.accept[m]):.2f}" if got.accept.get(m) else "-"
        print(f"{m:<14}{tps[m, 'chat']:>10.1f}{tps[m, 'code']:>10.1f}{acc:>12}")
    outputs = got.outputs
    ours = [key for key in outputs if key[0] not in ("transformers", "llama.cpp")]
    runs = sorted({(k, i) for (_, k, i) in outputs})
    same_as_hf = sum(outputs.get(("transformers", k, i)) == outputs["plain", k, i] for k, i in runs)
    per_prompt = {f"{k}[{i}]": round(paired_ratio(got, "mtp", k, i), 3) for k, i in runs}
    again = [paired_ratio(got, "plain-again", k, i) for k, i in runs if ("plain-again", k, i) in got.tps_run]
    return {
        "cpu": cpu_isa(),
        "cpu_model": cpu_model(),
        "device": str(decoder.device) + (f" ({torch_device_name()})" if decoder.device.type == "cuda" else ""),
        "threads": torch_threads(),
        "load": f"{load_before} / {load_average()}",
        "kernels": decoder.kernels,
        "prompts": prompt_set,
        "mtp_vs_plain_per_prompt": per_prompt,
        "worst_mtp_vs_plain": min(per_prompt.values()),
        # the same loop run twice: a worst MTP prompt within this is not told apart from the machine's noise
        "worst_plain_vs_plain": round(min(again), 3) if again else float("nan"),
        "mtp_vs_llama_cpp": round(got.total("mtp") / got.total("llama.cpp"), 3),
        "plain_vs_llama_cpp": round(got.total("plain") / got.total("llama.cpp"), 3),
        "plain_vs_transformers": round(got.total("plain") / got.total("transformers"), 3),
        "mtp_vs_plain_code": round(tps["mtp", "code"] / tps["plain", "code"], 3),
        "mtp_vs_plain_chat": round(tps["mtp", "chat"] / tps["plain", "chat"], 3),
        "acceptance_length": round(sum(got.accept["mtp"]) / len(got.accept["mtp"]), 3),
        "identical": all(outputs[m, k, i] == outputs["plain", k, i] for (m, k, i) in ours),
        "same_tokens_as_transformers": f"{same_as_hf}/{len(runs)} prompts",
        "attention": "native kernel" if decoder.attend is not None else "torch",
        "plain_tokens_per_s": round(got.total("plain"), 2),
        "transformers_tokens_per_s": round(got.total("transformers"), 2),
    }


TARGET_LABELS = {
    "plain_vs_transformers": "plain / transformers",
    "mtp_vs_plain_code": "MTP / plain, code",
    "mtp_vs_plain_chat": "MTP / plain, chat",
    "worst_mtp_vs_plain": "MTP / plain, worst prompt",
    "mtp_vs_llama_cpp": "MTP / llama.cpp",
    "plain_vs_llama_cpp": "plain / llama.cpp",
}


def target_report(name: str, res: dict[str, Any]) -> str:
    """Each measured ratio next to its target, with where it was measured."""
    lines = [
        f"{name}: {res['device']}, CPU {res['cpu_model']} ({res['cpu']}), kernel path {res['kernels']}, "
        f"{res['threads']} threads, "
        f"load average {res['load']} (1 min, before / after)"
    ]
    for key, target in TARGETS.items():
        value = res[key]
        verdict = "not measured" if value != value else ("met" if value >= target else "BELOW")  # NaN: not measured
        lines.append(f"  {TARGET_LABELS[key]:<28}{value:>7.3f}   target >= {target:<5} {verdict}")
    noise = res.get("worst_plain_vs_plain", float("nan"))
    lines.append(f"  {'plain / plain again, worst':<28}{noise:>7.3f}   the noise floor of a prompt's ratio")
    if not res["identical"]:
        lines.append(
            "  outputs differ from plain decoding: a bug (the decoder must give a token the same logits alone "
            "and inside a draft block; see Decoder._attention and row_exact_linear)"
        )
    return "\n".join(lines)


def load_average() -> float:
    import os

    return round(os.getloadavg()[0], 2)


def torch_device_name() -> str:
    import torch

    return str(torch.cuda.get_device_name())


def torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


def perplexity(models: list[str], threads: int | None) -> None:
    """Perplexity of each kernel path on two fixed texts (this repository's README.md and Python's
    textwrap.py source, first 1,024 tokens each), the quantised paths against bf16."""
    import inspect
    import math
    import textwrap

    import torch

    from backends.local.loader import load_model

    texts = {
        "README.md": (Path(__file__).resolve().parents[2] / "README.md").read_text(),
        "textwrap.py": inspect.getsource(textwrap),
    }
    for name in models:
        for path in ("bf16", "int8", "int4", "int4-torch"):
            loaded = load_model(name, max_len=1100, threads=threads, kernels=path)
            for label, text in texts.items():
                ids = torch.tensor(loaded.tokenizer(text)["input_ids"][:1024])
                assert loaded.decoder is not None
                logits, _ = loaded.decoder.forward(ids, 0)
                nll = torch.nn.functional.cross_entropy(logits[:-1].float(), ids[1:])
                print(f"{name} {path:<5} {label:<12} perplexity {math.exp(nll.item()):8.3f}", flush=True)


ISA_ENV = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}


def limit_isa(isa: str, argv: list[str]) -> None:
    """Restart this script with torch's kernels (ATEN_CPU_CAPABILITY), oneDNN's and MKL's limited to
    AVX2, so that an AVX-512 machine runs the code an AVX2-only CPU would (kernel choice and the
    native attention kernel's build follow torch's dispatch). Memory bandwidth and caches stay this
    machine's: figures are not those of a real AVX2 machine."""
    import os

    if all(os.environ.get(k) == v for k, v in ISA_ENV.items()):
        return
    os.environ.update(ISA_ENV)
    os.execv(sys.executable, [sys.executable, __file__, *argv])


def main(argv: list[str]) -> int:
    import logging

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=96)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--models", nargs="*", default=["smollm2", "gemma3"])
    parser.add_argument("--asks", action="store_true", help="print each model's answers to ASKS instead")
    parser.add_argument("--perplexity", action="store_true", help="perplexity per kernel path instead")
    parser.add_argument("--kernels", default=None, help="auto (default) | bf16 | int8 | int4 | int4-torch")
    parser.add_argument("--prompts", nargs="*", default=["bench", "public"], choices=sorted(PROMPT_SETS))
    parser.add_argument(
        "--skip", nargs="*", default=[], help="methods to leave out (transformers, ngram, ...; llama.cpp-extra-bufts)"
    )
    parser.add_argument("--device", default=None, help="auto (default) | cpu | cuda")
    parser.add_argument("--isa", choices=["avx2"], help="run as an AVX2-only x86 CPU would (see limit_isa)")
    args = parser.parse_args(argv)
    if args.isa:
        limit_isa(args.isa, argv)
    logging.basicConfig(level=logging.WARNING)
    if args.asks:
        answer_asks(args.models, 80)
        return 0
    if args.perplexity:
        perplexity(args.models, args.threads)
        return 0
    results = {
        f"{name}/{ps}": bench_model(
            name, args.tokens, args.reps, args.threads, args.kernels, ps, tuple(args.skip), args.device
        )
        for name in args.models
        for ps in args.prompts
    }
    print()
    for name, res in results.items():
        print(target_report(name, res))
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
