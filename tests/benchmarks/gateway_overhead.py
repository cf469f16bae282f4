"""Gateway overhead: Switchpoint in front of a fast loopback mock OpenAI server, against the mock
directly, side by side in one run. Non-stream and 20-chunk streams at concurrency 1, 16 and 64.

The gateway runs as a real `switchpoint serve` process (classification and request logging on, SQLite)
pinned to CPU 0; the mock and this load generator share CPU 1. Gateway CPU per request comes from the
kernel's account of the gateway process (all its threads, the log writer included).

    python -m tests.benchmarks.gateway_overhead [--requests 2000] [--rss-requests 100000]

Prints a table; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx

from tests.fakes.servers import free_port

BODY = {
    "model": "auto",
    "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Write a Python function that reverses a linked list, with tests."},
    ],
}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def start(cmd: list[str], cpu: int, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["taskset", "-c", str(cpu), *cmd],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


async def load(url: str, n: int, concurrency: int, stream: bool) -> tuple[list[float], list[float], float]:
    """Send n requests with `concurrency` in flight; return latencies, TTFTs (seconds) and elapsed."""
    payload = json.dumps({**BODY, "stream": stream}).encode()
    latencies: list[float] = []
    ttfts: list[float] = []
    counter = iter(range(n))
    conn = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=conn) as session:

        async def worker() -> None:
            for _ in counter:
                t0 = time.perf_counter()
                async with session.post(url, data=payload, headers={"content-type": "application/json"}) as r:
                    if r.status != 200:
                        raise RuntimeError(f"status {r.status}: {await r.text()}")
                    if stream:
                        first = True
                        async for _chunk in r.content.iter_any():
                            if first:
                                ttfts.append(time.perf_counter() - t0)
                                first = False
                    else:
                        await r.read()
                latencies.append(time.perf_counter() - t0)

        t_start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, ttfts, time.perf_counter() - t_start


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))] * 1000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000, help="requests per measured cell (c16, c64)")
    ap.add_argument("--rss-requests", type=int, default=0, help="also send this many and compare RSS at half and end")
    ap.add_argument("--otel", action="store_true", help="OpenTelemetry export on, to a loopback OTLP sink")
    args = ap.parse_args()
    os.sched_setaffinity(0, {1})
    home = tempfile.mkdtemp(prefix="sp-bench-")
    mock_port, gw_port = free_port(), free_port()
    mock = start([sys.executable, "-m", "tests.benchmarks.mock_openai", str(mock_port)], cpu=1)
    cfg = Path(home) / "config.yaml"
    cfg.write_text(
        f"backends:\n  - {{name: mock, kind: openai, base_url: 'http://127.0.0.1:{mock_port}/v1', model: mock}}\n"
    )
    gw_env = {"SWITCHPOINT_HOME": home}
    sink = None
    if args.otel:
        sink_port = free_port()
        sink = start([sys.executable, "-m", "tests.benchmarks.otlp_sink", str(sink_port)], cpu=1)
        gw_env |= {
            "SWITCHPOINT_OTEL__ENABLED": "true",
            "SWITCHPOINT_OTEL__ENDPOINT": f"http://127.0.0.1:{sink_port}/v1/traces",
        }
    gw = start(
        [
            sys.executable,
            "-m",
            "router.cli",
            "serve",
            "--config",
            str(cfg),
            "--port",
            str(gw_port),
            "--log-level",
            "warning",
        ],
        cpu=0,
        env=gw_env,
    )
    try:
        wait_ready(f"http://127.0.0.1:{mock_port}/v1/models")
        wait_ready(f"http://127.0.0.1:{gw_port}/health")
        direct = f"http://127.0.0.1:{mock_port}/v1/chat/completions"
        via = f"http://127.0.0.1:{gw_port}/v1/chat/completions"
        asyncio.run(load(via, 300, 8, False))  # warm up
        asyncio.run(load(via, 300, 8, True))
        rows = []
        results: dict[str, float] = {}
        for stream in (False, True):
            for conc in (1, 16, 64):
                n = max(200, args.requests // 4) if conc == 1 else args.requests
                d_lat, d_ttft, d_el = asyncio.run(load(direct, n, conc, stream))
                cpu0 = cpu_seconds(gw.pid)
                g_lat, g_ttft, g_el = asyncio.run(load(via, n, conc, stream))
                cpu_ms = (cpu_seconds(gw.pid) - cpu0) / n * 1000
                kind = "stream" if stream else "nonstream"
                row = {
                    "mode": kind,
                    "c": conc,
                    "n": n,
                    "rps_direct": n / d_el,
                    "rps_gateway": n / g_el,
                    "added_p50_ms": pct(g_lat, 50) - pct(d_lat, 50),
                    "added_p99_ms": pct(g_lat, 99) - pct(d_lat, 99),
                    "added_ttft_p50_ms": (pct(g_ttft, 50) - pct(d_ttft, 50)) if stream else float("nan"),
                    "gateway_cpu_ms": cpu_ms,
                }
                rows.append(row)
                results[f"cpu_ms_{kind}_c{conc}"] = round(cpu_ms, 3)
                results[f"added_p50_ms_{kind}_c{conc}"] = round(row["added_p50_ms"], 3)
        hdr = (
            f"{'mode':<10}{'conc':>5}{'n':>7}{'rps direct':>12}{'rps gw':>10}{'+p50 ms':>9}{'+p99 ms':>9}"
            f"{'+ttft ms':>10}{'gw cpu ms/req':>15}"
        )
        print(hdr)
        for r in rows:
            print(
                f"{r['mode']:<10}{r['c']:>5}{r['n']:>7}{r['rps_direct']:>12.0f}{r['rps_gateway']:>10.0f}"
                f"{r['added_p50_ms']:>9.2f}{r['added_p99_ms']:>9.2f}{r['added_ttft_p50_ms']:>10.2f}"
                f"{r['gateway_cpu_ms']:>15.3f}"
            )
        rss = rss_mb(gw.pid)
        print(f"gateway RSS after the runs: {rss:.1f} MB")
        out = {
            "cpu_ms_nonstream_c16": results["cpu_ms_nonstream_c16"],
            "cpu_ms_stream_c16": results["cpu_ms_stream_c16"],
            "added_p50_ms_c1": results["added_p50_ms_nonstream_c1"],
            "rss_mb": round(rss, 1),
        }
        if args.rss_requests:
            half = args.rss_requests // 2
            asyncio.run(load(via, half, 16, False))
            rss_half = rss_mb(gw.pid)
            asyncio.run(load(via, args.rss_requests - half, 16, False))
            rss_end = rss_mb(gw.pid)
            growth = (rss_end - rss_half) / rss_half * 100
            print(
                f"RSS at {half} requests: {rss_half:.1f} MB, at {args.rss_requests}: {rss_end:.1f} MB ({growth:+.1f}%)"
            )
            out["rss_mb"] = round(rss_end, 1)
            out["rss_growth_pct"] = round(growth, 2)
        print(json.dumps(out))
    finally:
        for p in (gw, mock, *([sink] if sink else [])):
            p.terminate()
        for p in (gw, mock, *([sink] if sink else [])):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
