"""End-to-end fixtures: the real gateway on loopback in front of a scripted model, and the installed
coding tools (scripts/install-tools.sh puts them under .tools/bin)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from router.app import create_app
from router.settings import load_settings
from tests.fakes.servers import ServerThread

from .agent_upstream import AgentScript, make_agent_upstream

REPO = Path(__file__).resolve().parents[2]
TOOLS_BIN = Path(os.environ.get("SWITCHPOINT_TOOLS", REPO / ".tools")) / "bin"


@dataclass
class E2EGateway:
    url: str
    script: AgentScript
    home: Path  # a fresh HOME for the tool, so no user config leaks in
    work: Path  # the tool's working directory
    paths: frozenset[str]  # the app's routes

    def needs(self, path: str) -> None:
        if path not in self.paths:
            pytest.skip(f"router/app.py does not route {path} yet")


@pytest.fixture
def e2e_gateway(tmp_path: Path, classifier: Any) -> Iterator[E2EGateway]:
    script = AgentScript()
    with ServerThread(make_agent_upstream(script)) as upstream:
        backend = {
            "name": "agent",
            "kind": "openai",
            "base_url": upstream.url + "/v1",
            "model": "scripted-model",
            "capabilities": {"tools": True, "vision": True, "fim": True},
        }
        settings = load_settings(None, home=tmp_path / "switchpoint", backends=[backend])
        app = create_app(settings, classifier=classifier)
        with ServerThread(app) as gateway:
            home, work = tmp_path / "home", tmp_path / "work"
            home.mkdir()
            work.mkdir()
            yield E2EGateway(gateway.url, script, home, work, frozenset(getattr(r, "path", "") for r in app.routes))


def find_tool(name: str) -> str:
    path = shutil.which(name, path=f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if path is None:
        pytest.skip(f"{name} is not installed: run scripts/install-tools.sh")
    return path


def run_tool(
    gw: E2EGateway, argv: list[str], env: dict[str, str], timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    base = {
        "HOME": str(gw.home),
        "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "TERM": "dumb",
        "NO_COLOR": "1",
        "CI": "1",
        "LANG": "C.UTF-8",
    }
    proc = subprocess.run(
        argv,
        cwd=gw.work,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"{argv[0]} exited {proc.returncode}\nstdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
        )
    return proc
