"""Other clients stay fast while hostile ones flood 60 MiB headers, trickle heads and bodies, and hang
up at every stage (tests/security/hostile.py, its own process), against a real `switchpoint serve`."""

from __future__ import annotations

import json
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.reliability import procs
from tests.security.helpers import MSG

N = 40  # requests per window
WINDOWS = 5
HOSTILE_S = 30.0


def latencies_ms(client: httpx.Client, url: str, n: int, failed: list[str]) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.post(url + "/v1/chat/completions", json={"model": "auto", "messages": MSG})
        times.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            failed.append(r.text)
    return times


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_other_clients_stay_fast_under_hostile_clients(tmp_path: Path) -> None:
    """Idle and hostile windows alternate (the hostile process is stopped and continued), so that the
    load other work puts on a shared machine falls on both alike."""
    config: dict[str, Any] = {
        "connections": {"header_timeout_s": 2.0, "body_timeout_s": 2.0},
        "log": {"flush_interval": 0.2},
    }
    idle: list[float] = []
    loaded: list[float] = []
    failed: list[str] = []
    with procs.upstream(tmp_path) as up:
        config["backends"] = [procs.backend("up", up.url)]
        with procs.gateway(tmp_path / "home", config) as gw, httpx.Client(timeout=30) as client:
            latencies_ms(client, gw.url, 30, failed)  # warm up: classifier, pools, SQLite
            rss_idle = rss_mb(gw.proc.pid)
            hostile = subprocess.Popen(
                [sys.executable, "-m", "tests.security.hostile", gw.url, str(HOSTILE_S)],
                cwd=procs.REPO,
                stdout=subprocess.PIPE,
                env=procs._env(),
            )
            try:
                rss_loaded = 0.0
                for _ in range(WINDOWS):
                    hostile.send_signal(signal.SIGSTOP)
                    idle += latencies_ms(client, gw.url, N, failed)
                    hostile.send_signal(signal.SIGCONT)
                    time.sleep(2)  # every kind of hostile client going again
                    loaded += latencies_ms(client, gw.url, N, failed)
                    rss_loaded = max(rss_loaded, rss_mb(gw.proc.pid))
                out, _ = hostile.communicate(timeout=HOSTILE_S + 60)
            finally:
                hostile.kill()
            counts = json.loads(out)
    p50_idle, p50_loaded = statistics.median(idle), statistics.median(loaded)
    p99_idle, p99_loaded = (statistics.quantiles(x, n=100)[98] for x in (idle, loaded))
    print(
        f"\np50 idle {p50_idle:.2f} ms, under hostile clients {p50_loaded:.2f} ms; p99 {p99_idle:.2f} -> "
        f"{p99_loaded:.2f} ms; RSS {rss_idle:.0f} -> {rss_loaded:.0f} MB; {len(failed)} failed; hostile: {counts}"
    )
    assert failed == []
    assert p50_loaded <= 2 * p50_idle, f"p50 {p50_loaded:.2f} ms under hostile clients vs {p50_idle:.2f} ms idle"
    assert p99_loaded <= 2 * p99_idle + 50, f"p99 {p99_loaded:.2f} ms under hostile clients vs {p99_idle:.2f} ms idle"
    assert rss_loaded < rss_idle + 100
    assert counts.get("flood", 0) + counts.get("flood_cut", 0) >= 2  # the floods ran and ended
    assert counts.get("slow_head", 0) + counts.get("slow_head_cut", 0) >= 20  # trickles were closed
    assert counts.get("slow_body", 0) + counts.get("slow_body_cut", 0) >= 10
    assert counts.get("hangup", 0) >= 1
