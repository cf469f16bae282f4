"""The `switchpoint` command as users run it: a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from tests.fakes.servers import free_port

BAD = """
backends:
  - {name: qwen, kind: openai, model: qwen3.6-27b, capabilities: {vison: true}}
  - {name: g, kind: litellm}
aliases: {fast: qwen}
"""

GOOD = """
backends:
  - {name: qwen, kind: openai, base_url: "http://127.0.0.1:8000/v1", model: qwen3.6-27b}
  - {name: gemini, kind: litellm, model: gemini/gemini-2.5-flash, api_key_env: GEMINI_API_KEY}
aliases: {fast: qwen}
routes: {coding: [qwen, gemini], prose: [gemini, qwen]}
"""


def run(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "router.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_config_check(tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(GOOD)
    bad.write_text(BAD)
    ok = run("config", "check", str(good))
    assert ok.returncode == 0 and "2 backends" in ok.stdout
    r = run("config", "check", str(bad))
    assert r.returncode == 2
    assert "backends.0.capabilities.vison: Extra inputs are not permitted" in r.stderr
    assert "backends.1.model: Field required" in r.stderr
    missing = run("config", "check", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr


def test_config_references_are_checked(tmp_path):
    f = tmp_path / "refs.yaml"
    f.write_text(GOOD.replace("prose: [gemini, qwen]", "prose: [gemini, llama]"))
    r = run("config", "check", str(f))
    assert r.returncode == 2 and "routes.prose: unknown backend 'llama'" in r.stderr


def test_serve_refuses_a_bad_config_with_the_same_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    r = run("serve", "--config", str(bad), env={"SWITCHPOINT_HOME": str(tmp_path)})
    assert r.returncode == 2
    assert r.stderr.strip() == run("config", "check", str(bad)).stderr.strip()


def test_serve_binds_loopback_and_stops_on_sigterm(tmp_path):
    cfg = tmp_path / "good.yaml"
    cfg.write_text(GOOD)
    port = free_port()
    env = {**os.environ, "SWITCHPOINT_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "router.cli", "serve", "--config", str(cfg), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health").json()
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.2)
        assert health["backends"] == ["qwen", "gemini"]
        models = httpx.get(f"http://127.0.0.1:{port}/v1/models").json()
        assert [m["id"] for m in models["data"]] == ["auto", "fast", "qwen", "gemini"]
        proc.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal so the exit status tells why.
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
        _, err = proc.communicate()
        assert f"http://127.0.0.1:{port}" in err and "Application shutdown complete" in err
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (tmp_path / "switchpoint.db").exists() and (tmp_path / "admin_key").exists()
