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
# Where a fixture cannot read the gateway's log: the API each tool speaks (docs/clients.md).
TOOL_DIALECTS = {
    "claude": ("anthropic",),
    "codex": ("responses",),
    "aider": ("openai",),
    "opencode": ("openai",),
    "cn": ("openai",),
}
TOOLS_BIN = Path(os.environ.get("SWITCHPOINT_TOOLS", REPO / ".tools")) / "bin"


@dataclass
class E2EGateway:
    url: str
    script: AgentScript
    home: Path  # a fresh HOME for the tool, so no user config leaks in
    work: Path  # the tool's working directory
    paths: frozenset[str]  # the app's routes
    app: Any = None  # the gateway app, when the fixture has it (its request log names the dialects used)
    backend_kind: str = "openai"
    tool: str | None = None  # set by run_tool: what the compatibility table records
    tool_path: str | None = None

    def dialects(self) -> set[str]:
        """The dialects of the requests the gateway logged (flushed within about a second)."""
        if self.app is None:
            return set(TOOL_DIALECTS.get(self.tool or "", ()))
        from tests.router.helpers import log_rows

        return {r.dialect for r in log_rows(self.app, 1, timeout=3.0)}

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
            paths = frozenset(getattr(r, "path", "") for r in app.routes)
            yield E2EGateway(gateway.url, script, home, work, paths, app=app)


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
    gw.tool, gw.tool_path = Path(argv[0]).name, argv[0]
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


# ---- the compatibility table (tests/e2e/compat.py) -------------------------------------------------

COMPAT_ROWS = pytest.StashKey[list]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    gw = next((v for v in getattr(item, "funcargs", {}).values() if isinstance(v, E2EGateway)), None)
    if report.when == "call" and gw is not None and gw.tool and gw.tool_path:
        from .compat import make_rows, tool_version

        rows = make_rows(gw.tool, tool_version(gw.tool_path), gw.dialects(), gw.backend_kind, report.passed)
        item.session.stash.setdefault(COMPAT_ROWS, []).extend(rows)
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    rows = session.stash.get(COMPAT_ROWS, [])
    if rows and os.environ.get("SWITCHPOINT_COMPAT_DOC", "1") != "0":
        from .compat import update_doc

        update_doc(REPO / "docs" / "clients.md", rows)
