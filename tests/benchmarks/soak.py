"""Soak: 64 concurrent streams through a real `switchpoint serve` process against a loopback upstream,
for --duration seconds (default 600). Measures errors, the gateway's RSS growth after warm-up and the
p99 latency of whole streams in the first and the last minute.

    python -m tests.benchmarks.soak [--duration 600] [--concurrency 64]

The last line printed is one JSON object: errors, rss_growth_pct, p99_ms_first_minute,
p99_ms_last_minute (and a few more). Runs shorter than three minutes compare the first and last third
instead of minutes; warm-up is the first minute, or the first fifth of a shorter run. Exit status 1
when the targets are missed (any error, RSS growth of 10% or more, last p99 over 1.5x the first).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.reliability import procs

BODY = {
    "model": "auto",
    "stream": True,
    "messages": [{"role": "user", "content": "Explain how a hash map handles collisions, briefly."}],
}


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def p99(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def one_stream(client: httpx.AsyncClient, url: str, progress: list[str]) -> str | None:
    """None when the stream was whole; else what went wrong. `progress` records how far it got."""
    async with client.stream("POST", url + "/v1/chat/completions", json=BODY) as r:
        progress.append("headers")
        if r.status_code != 200:
            return f"{r.status_code}: {(await r.aread())[:200]!r}"
        tail = b""
        async for chunk in r.aiter_bytes():
            tail = (tail + chunk)[-300:]
        return None if tail.endswith(b"data: [DONE]\n\n") else f"incomplete stream: {tail[-200:]!r}"


async def drive(url: str, pid: int, duration: float, concurrency: int) -> dict[str, Any]:
    t0 = time.monotonic()
    end = t0 + duration
    done: list[tuple[float, float]] = []  # (finished at, latency)
    errors = 0
    kinds: dict[str, int] = {}
    rss: list[tuple[float, int]] = []
    # Idle connections are dropped by the client before uvicorn's 5 s keep-alive timeout would close
    # them under it (the usual client rule; else a request can meet a connection closing under it).
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=2.0)

    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < end:
                start = time.monotonic()
                progress: list[str] = []
                try:
                    problem = await one_stream(client, url, progress)
                except httpx.HTTPError as exc:
                    where = "after the response headers" if progress else "before any response"
                    problem = f"{type(exc).__name__} {where}"
                if problem is None:
                    done.append((time.monotonic() - t0, time.monotonic() - start))
                else:
                    errors += 1
                    kinds[problem[:120]] = kinds.get(problem[:120], 0) + 1

        async def sample() -> None:
            while time.monotonic() < end:
                rss.append((time.monotonic() - t0, rss_bytes(pid)))
                await asyncio.sleep(1.0)

        await asyncio.gather(sample(), *(worker() for _ in range(concurrency)))

    window = 60.0 if duration >= 180 else duration / 3
    warmup = 60.0 if duration >= 300 else duration / 5
    first = [lat * 1000 for at, lat in done if at <= window]
    last = [lat * 1000 for at, lat in done if at >= duration - window]
    base = next(v for at, v in rss if at >= warmup) if any(at >= warmup for at, _ in rss) else rss[0][1]
    final = rss[-1][1]
    return {
        "errors": errors,
        "rss_growth_pct": round((final - base) / base * 100, 2),
        "p99_ms_first_minute": round(p99(first), 1),
        "p99_ms_last_minute": round(p99(last), 1),
        "requests": len(done),
        "error_kinds": kinds,
        "duration_s": duration,
        "concurrency": concurrency,
        "window_s": window,
        "rss_mb_after_warmup": round(base / 2**20, 1),
        "rss_mb_end": round(final / 2**20, 1),
        "rss_mb_peak": round(max(v for _, v in rss) / 2**20, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=600.0, help="seconds of load (default 600)")
    p.add_argument("--concurrency", type=int, default=64)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with procs.upstream(root, "--chunks", "16") as up:
            config = {"backends": [procs.backend("up", up.url, timeouts={"connect": 60.0})]}
            with procs.gateway(root / "home", config) as gw:
                result = asyncio.run(drive(gw.url, gw.proc.pid, args.duration, args.concurrency))
            problems = [ln for ln in gw.log_path.read_text().splitlines() if " ERROR " in ln or " WARNING " in ln]
            result["gateway_log_problems"] = len(problems)
            for line in problems[:20]:
                print(line[:300], file=sys.stderr)
    ok = (
        result["errors"] == 0
        and result["rss_growth_pct"] < 10
        and result["p99_ms_last_minute"] <= 1.5 * max(result["p99_ms_first_minute"], 1.0)
    )
    result["ok"] = ok
    print(orjson.dumps(result).decode())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
