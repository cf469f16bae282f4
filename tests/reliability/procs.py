"""Real processes on loopback: the gateway as `switchpoint serve` (python -m router.cli serve, the same
entry point) and upstreams as tests.reliability.upstream_server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.fakes.servers import free_port

REPO = Path(__file__).resolve().parents[2]


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHPOINT_")}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra or {})
    return env


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before serving {url}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


class Proc:
    def __init__(self, args: list[str], url_path: str, log: Path, env: dict[str, str], port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log
        self._log = open(log, "ab")  # noqa: SIM115  (closed in stop)
        self.proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            wait_http(self.url + url_path, self.proc)
        except RuntimeError:
            self.stop(signal.SIGKILL)
            raise RuntimeError(log.read_text()[-3000:]) from None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def __enter__(self) -> Proc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop(signal.SIGKILL if exc[0] else signal.SIGTERM)


def upstream(tmp: Path, *args: str, port: int | None = None) -> Proc:
    port = port or free_port()
    cmd = [sys.executable, "-m", "tests.reliability.upstream_server", "--port", str(port), *args]
    return Proc(cmd, "/_script", tmp / f"upstream-{port}.log", _env(), port)


def gateway(
    home: Path,
    config: dict[str, Any],
    *,
    port: int | None = None,
    env: dict[str, str] | None = None,
    log_level: str = "warning",
) -> Proc:
    """`switchpoint serve` with `config` (YAML) and SWITCHPOINT_HOME=home."""
    home.mkdir(parents=True, exist_ok=True)
    cfg = home / "config.yaml"
    cfg.write_text(yaml.safe_dump(config))
    port = port or free_port()
    cmd = [sys.executable, "-m", "router.cli", "serve", "--config", str(cfg), "--port", str(port)]
    cmd += ["--log-level", log_level]
    return Proc(
        cmd, "/health", home / f"gateway-{port}.log", _env({"SWITCHPOINT_HOME": str(home), **(env or {})}), port
    )


def backend(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "openai", "base_url": url + "/v1", "model": "m-" + name, **extra}


def script(up: Proc, **fields: Any) -> dict[str, Any]:
    r = httpx.post(up.url + "/_script", json=fields, timeout=10)
    r.raise_for_status()
    result: dict[str, Any] = r.json()
    return result
