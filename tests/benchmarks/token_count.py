"""Cost and accuracy of token counting (backends/tokencount.py) on recorded client requests.

Cost: a recorded Claude Code request of about 100 KB, counted with tiktoken by segment
(OpenAIBackend.count_tokens without a tokenize endpoint, LiteLLMBackend's path is the same shape):
  cold        a fresh counter every time (nothing cached: every segment tokenised),
  repeat      the same request counted again (count_tokens endpoint, gate and clamp of one request),
  next turn   the conversation plus one new 2 KB turn (what an agent sends next).
Accuracy: on every recorded chat request, the characters/4 estimate and the tiktoken count against
SmolLM2's own tokenizer with its chat template (mean absolute error; needs the local extra).

    python tests/benchmarks/token_count.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from backends.contract import CanonicalRequest, Message, TextPart  # noqa: E402
from backends.tokencount import tiktoken_counter  # noqa: E402
from backends.tokens import estimate_request_tokens  # noqa: E402
from router.dialects import get_dialect  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "clients"
PATHS = {"/v1/messages": "anthropic", "/v1/responses": "responses", "/v1/chat/completions": "openai"}


def cpu() -> str:
    model, flags = platform.processor() or "unknown", ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                have = set(line.split(":", 1)[1].split())
                flags = " ".join(
                    f for f in ("sse4_2", "avx", "avx2", "avx512f", "avx512_vnni", "amx_tile") if f in have
                )
                break
    except OSError:
        pass
    return f"{model}; ISA: {platform.machine()} {flags}"


def recorded() -> list[CanonicalRequest]:
    out = []
    for path in sorted(FIXTURES.glob("*.full.jsonl")):
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            dialect = PATHS.get(rec.get("path", "").split("?")[0]) if rec.get("method") == "POST" else None
            if dialect:
                out.append(get_dialect(dialect).parse_request(rec["json"]))
    return out


def timed(fn: object, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.99 * (len(times) - 1))]


def cost(reqs: list[CanonicalRequest], repeat: int) -> None:
    big = max(
        reqs, key=lambda r: sum(len(m.text()) for m in r.messages) + len(json.dumps([t.parameters for t in r.tools]))
    )
    size = sum(len(m.text()) + sum(len(c.arguments) for c in m.tool_calls) for m in big.messages)
    size += sum(len(json.dumps({"n": t.name, "d": t.description, "p": t.parameters})) for t in big.tools)
    turn = Message("user", [TextPart("please also update the tests and rerun them; " * 45)])
    nxt = replace(big, messages=[*big.messages, turn])
    warm = tiktoken_counter("claude-code-agent")
    assert warm is not None, "tiktoken's files are missing"
    n = warm.count(big)
    print(f"request: {size / 1000:.0f} KB of text, {len(big.messages)} messages, {len(big.tools)} tools, {n} tokens")
    p50, p99 = timed(lambda: tiktoken_counter("x").count(big), max(20, repeat // 10))  # type: ignore[union-attr]
    print(f"  {'cold':10s} p50 {p50:7.3f} ms  p99 {p99:7.3f} ms")
    p50, p99 = timed(lambda: warm.count(big), repeat)
    print(f"  {'repeat':10s} p50 {p50:7.3f} ms  p99 {p99:7.3f} ms")
    primed = []  # one counter per run that has seen the conversation so far, as a running gateway has
    for _ in range(repeat):
        c = tiktoken_counter("x")
        assert c is not None
        c.count(big)
        primed.append(c)
    p50, p99 = timed(lambda: primed.pop().count(nxt), repeat)
    print(f"  {'next turn':10s} p50 {p50:7.3f} ms  p99 {p99:7.3f} ms")


def accuracy(reqs: list[CanonicalRequest]) -> None:
    try:
        from transformers import AutoTokenizer

        from backends.local.convert import resolve_model_dir
        from backends.local.prompts import build_prompt
    except ImportError:
        print("accuracy: skipped (the local extra is not installed)")
        return
    tok = AutoTokenizer.from_pretrained(str(resolve_model_dir("smollm2")))
    bpe = tiktoken_counter("smollm2")
    assert bpe is not None
    rows = [(len(build_prompt(tok, r).ids), estimate_request_tokens(r), bpe.count(r)) for r in reqs]
    print(f"accuracy vs SmolLM2's tokenizer + chat template (49k vocabulary), {len(reqs)} recorded requests")
    print("(mean |error|; small requests are dominated by the default system prompt SmolLM2's template adds):")
    for label, subset in (("all", rows), ("over 1,000 tokens", [r for r in rows if r[0] > 1000])):
        est = [abs(e - t) / t for t, e, _ in subset]
        bp = [abs(b - t) / t for t, _, b in subset]
        print(
            f"  {label:18s} n={len(subset):2d}  chars/4 {100 * statistics.mean(est):5.1f} %"
            f" (max {100 * max(est):5.1f} %)"
            f"  tiktoken o200k {100 * statistics.mean(bp):5.1f} % (max {100 * max(bp):5.1f} %)"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args(argv)
    print(f"CPU: {cpu()}; Python {platform.python_version()}")
    reqs = recorded()
    cost(reqs, args.repeat)
    accuracy(reqs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
