"""A gateway for the fuzzers on SQLite or Postgres, with a budgeted virtual key and an upstream key, and
the invariants every fuzzed request must keep: no 5xx, nothing leaked (keys, tracebacks, server paths),
exactly one request-log row per /v1 dialect request, and the key's spend equal to the tokens logged."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from router import app as app_module
from router.access import logged_tokens
from router.app import create_app
from router.settings import load_settings
from router.store import RequestRecord
from tests.fakes.servers import ServerThread
from tests.security.helpers import ADMIN, fuzz_upstream
from tests.security.replicas import database_url
from tests.security.test_bad_input import ROUTES

REPO = str(Path(__file__).resolve().parents[2])
UPSTREAM_KEY = "sk-upstream-secret-0123456789abcdefXYZ"
BUDGET = 2**62  # large enough never to run out, so every case reaches the backend


@dataclass
class FuzzGateway:
    url: str
    app: Any
    key: str
    key_id: str
    ids: list[str] = field(default_factory=list)  # request ids of /v1 dialect answers

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.key}"}

    def check(self, path: str, response: Any) -> None:
        """The per-answer invariants; remembers the request id of a dialect answer."""
        assert response.status_code < 500, (path, response.status_code, response.text[:300])
        text = response.text
        for secret in (ADMIN, self.key, UPSTREAM_KEY, "Traceback", 'File "', REPO):
            assert secret not in text, (path, secret, text[:300])
        if path in ROUTES:
            rid = response.headers.get("x-switchpoint-request-id")
            if isinstance(rid, list):  # schemathesis' response keeps every header as a list
                rid = rid[0] if rid else None
            assert rid is not None or response.status_code in (404, 405, 431), (path, response.status_code)
            if rid is not None:
                self.ids.append(rid)

    def check_log(self, patience: float = 2.0) -> None:
        """Every dialect answer left exactly one row, and the key was charged what the rows say. Waits
        while rows keep arriving; gives up after `patience` seconds without a new one."""
        engine = self.app.state.engine
        want = len(self.ids)
        last, since = -1, time.monotonic()
        while True:
            with engine.connect() as conn:
                stmt = select(RequestRecord.id, func.count()).group_by(RequestRecord.id)  # type: ignore[call-overload]
                rows = conn.execute(stmt).all()
            if len(rows) >= want:
                break
            if len(rows) != last:
                last, since = len(rows), time.monotonic()
            elif time.monotonic() - since > patience:
                break
            time.sleep(0.05)
        counts = dict(rows)
        missing = [i for i in self.ids if i not in counts]
        assert not missing, f"{len(missing)} of {want} requests left no log row (e.g. {missing[:3]})"
        assert all(n == 1 for n in counts.values()), "a request left more than one row"
        assert len(counts) == want, f"{len(counts)} rows for {want} requests"
        self.check_charged(engine)

    def check_charged(self, engine: Any) -> None:
        deadline = time.monotonic() + 10
        logged = spent = -1
        while time.monotonic() < deadline:
            logged = logged_tokens(engine, self.key_id)
            with httpx.Client(base_url=self.url, headers={"authorization": f"Bearer {ADMIN}"}) as c:
                keys = c.get("/admin/keys").json()["data"]
            spent = next(k["spent_tokens"] for k in keys if k["id"] == self.key_id)
            if spent == logged:
                return
            time.sleep(0.05)
        raise AssertionError(f"the key was charged {spent} tokens, its log rows hold {logged}")


@contextmanager
def fuzz_gateway(db: str, tmp: Path, classifier: Any) -> Iterator[FuzzGateway]:
    """A gateway routing all four dialects to a fake upstream (every capability on, so that nothing is
    refused for a capability), its log flushed every 20 ms, on the database `db`."""
    mp = pytest.MonkeyPatch()
    with ExitStack() as stack:
        stack.callback(mp.undo)
        mp.setenv("FUZZ_UPSTREAM_KEY", UPSTREAM_KEY)
        for path, name in ROUTES.items():
            mp.setitem(app_module.DIALECT_ROUTES, path, name)
        database = stack.enter_context(database_url(db, tmp))
        up = stack.enter_context(ServerThread(fuzz_upstream()))
        caps = {"vision": True, "tools": True, "fim": True, "context_window": 10**9}
        backend = {"name": "up", "kind": "openai", "base_url": up.url + "/v1", "model": "m", "capabilities": caps}
        backend["api_key_env"] = "FUZZ_UPSTREAM_KEY"
        config = {"backends": [backend], "admin_key": ADMIN, "database_url": database, "log": {"flush_interval": 0.02}}
        app = create_app(load_settings(None, home=tmp, **config), classifier=classifier)
        server = stack.enter_context(ServerThread(app))
        with httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {ADMIN}"}) as c:
            created = c.post("/admin/keys", json={"name": "fuzz", "budget_tokens": BUDGET}).json()
        yield FuzzGateway(server.url, app, created["key"], created["id"])
        assert httpx.get(server.url + "/health").status_code == 200  # still serving
