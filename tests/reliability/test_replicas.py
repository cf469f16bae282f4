"""Two `switchpoint serve` replicas sharing one Postgres database and Redis agree on sticky sessions,
cooldowns and rule versions: what one learns or is told, the other acts on within a few seconds.
(Budgets, rate limits and keys across replicas: test_budgets.py.)"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability import procs
from tests.reliability.pg import fresh_database, reachable, redis_url
from tests.security.helpers import ADMIN

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.skipif(not (reachable(6379) and reachable(5432)), reason="needs Redis and Postgres on 127.0.0.1"),
]
H = {"authorization": f"Bearer {ADMIN}"}
SECOND = "Second upstream answering."


def chat(url: str, text: str, session: str | None = None) -> httpx.Response:
    headers = {"x-session-id": session} if session else {}
    body = {"model": "auto", "messages": [{"role": "user", "content": text}]}
    r = httpx.post(url + "/v1/chat/completions", json=body, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    return r


def eventually(check: Callable[[], bool], what: str, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"the other replica did not {what} within {within:.0f} s"
        time.sleep(0.1)


@pytest.fixture
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two replicas of their own for each test: a pin, a cooldown or a rule one test leaves behind must
    not decide another's outcome (the suite runs in random order)."""
    tmp: Path = tmp_path_factory.mktemp("replicas")
    tag = uuid.uuid4().hex[:8]  # Redis is shared with other tests: unique backend names
    first, second = f"first_{tag}", f"second_{tag}"
    with (
        fresh_database() as database,
        procs.upstream(tmp) as up1,
        procs.upstream(tmp, "--text", SECOND) as up2,
    ):
        config = {
            "backends": [procs.backend(first, up1.url), procs.backend(second, up2.url)],
            "routes": {"default": [first, second]},
            "routing": {"cooldown_failures": 3, "cooldown_window_s": 60, "cooldown_s": 120, "rules_poll_s": 0.5},
        }
        env = {
            "SWITCHPOINT_ADMIN_KEY": ADMIN,
            "SWITCHPOINT_DATABASE_URL": database,
            "SWITCHPOINT_REDIS_URL": redis_url(),
        }
        with procs.gateway(tmp / "a", config, env=env) as a, procs.gateway(tmp / "b", config, env=env) as b:
            yield {"a": a.url, "b": b.url, "up1": up1, "first": first, "second": second}


def test_a_session_pinned_by_one_replica_stays_put_on_the_other(replicas: dict[str, Any]) -> None:
    a, b, up1, first, second = (replicas[k] for k in ("a", "b", "up1", "first", "second"))
    session = "sess-" + uuid.uuid4().hex
    procs.script(up1, behaviour="status", status=500)  # one failure: not enough to cool `first` down
    assert chat(a, "start " + session, session).headers["x-switchpoint-backend"] == second
    procs.script(up1, behaviour="ok")
    # `first` is healthy again and heads the chain, yet the session stays where replica a pinned it.
    assert chat(b, "next turn " + session, session).headers["x-switchpoint-backend"] == second
    assert chat(b, "a new conversation " + uuid.uuid4().hex).headers["x-switchpoint-backend"] == first


def test_a_cooldown_seen_by_one_replica_is_honoured_by_the_other(replicas: dict[str, Any]) -> None:
    a, b, up1, first, second = (replicas[k] for k in ("a", "b", "up1", "first", "second"))
    procs.script(up1, behaviour="status", status=503)
    for i in range(3):
        assert chat(a, f"q{i} {uuid.uuid4().hex}").headers["x-switchpoint-backend"] == second

    def cooling_on_b() -> bool:
        state = httpx.get(b + "/admin/routing/state", headers=H).json()
        return first in state["cooldowns"]

    eventually(cooling_on_b, "see the cooldown")
    procs.script(up1, behaviour="ok")
    before = procs.script(up1)["requests"]
    assert chat(b, "after " + uuid.uuid4().hex).headers["x-switchpoint-backend"] == second
    assert procs.script(up1)["requests"] == before  # b did not even try the cooling backend


def test_a_rule_applied_through_one_replica_takes_effect_on_the_other(replicas: dict[str, Any]) -> None:
    a, b, second = replicas["a"], replicas["b"], replicas["second"]
    name = "everything-to-second-" + uuid.uuid4().hex[:6]
    yaml_text = f"- name: {name}\n  match: {{category: [prose, coding, tool_calling, vision]}}\n  chain: [{second}]\n"
    r = httpx.post(a + "/admin/rules", json={"yaml": yaml_text, "comment": "replica test"}, headers=H)
    assert r.status_code == 200, r.text
    version = r.json()["version"]

    def b_has_it() -> bool:
        return bool(httpx.get(b + "/admin/rules", headers=H).json()["version"] == version)

    eventually(b_has_it, "load the new rule version")
    r = chat(b, "which backend now " + uuid.uuid4().hex)
    assert r.headers["x-switchpoint-backend"] == second
    ask = {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}
    explain = httpx.post(b + "/admin/route/explain", json=ask, headers=H)
    assert explain.json()["rule"] == "rule:" + name
