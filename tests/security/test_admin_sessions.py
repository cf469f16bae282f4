"""Admin sessions end when asked, on every replica: logout revokes the session in the shared database,
logout needs the session's CSRF token, a CSRF token belongs to one session, and a new admin key ends
every session. Wrong admin keys put the client into a backoff (shared through Redis), and an admin key
shorter than 32 characters is refused at start."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest
import redis

from backends.errors import ConfigError
from router.admin.auth import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from router.settings import load_settings
from tests.reliability.pg import reachable
from tests.security.helpers import ADMIN
from tests.security.replicas import DATABASES, database_url, replicas

OTHER = "adm-rotated-key-abcdefghijklmnopqrstuvwxyz"


def login(url: str, key: str = ADMIN) -> httpx.Client:
    c = httpx.Client(base_url=url, timeout=30)
    r = c.post("/admin/login", json={"key": key})
    assert r.status_code == 200, r.text
    return c


def replay(method: str, url: str, session: str, csrf: str | None = None, **kw: object) -> int:
    """Send a request carrying a session cookie (and a CSRF cookie and header) taken from elsewhere."""
    cookie = f"{SESSION_COOKIE}={session}" + (f"; {CSRF_COOKIE}={csrf}" if csrf else "")
    headers = {"cookie": cookie, **({CSRF_HEADER: csrf} if csrf else {})}
    return httpx.request(method, url, headers=headers, timeout=30, **kw).status_code  # type: ignore[arg-type]


@pytest.mark.parametrize("db", DATABASES)
def test_logout_revokes_the_session_on_every_replica(tmp_path: Path, classifier, db: str) -> None:
    with database_url(db, tmp_path) as database, replicas(tmp_path, database, classifier, (ADMIN, ADMIN)) as reps:
        (a, _), (b, _) = reps
        with closing(login(a)) as c:
            session, csrf = c.cookies[SESSION_COOKIE], c.cookies[CSRF_COOKIE]
            assert replay("GET", b + "/admin/requests", session) == 200  # one login, both replicas
            # Logout needs the session's CSRF token: without it nothing is revoked.
            assert c.post("/admin/logout").status_code == 401
            assert replay("GET", b + "/admin/requests", session) == 200
            r = c.post("/admin/logout", headers={CSRF_HEADER: csrf})
            assert r.status_code == 200
        for url in (a, b):  # the old cookie, replayed, works nowhere
            assert replay("GET", url + "/admin/requests", session) == 401
            assert replay("POST", url + "/admin/keys", session, csrf, json={"name": "k"}) == 401
        with closing(login(b)) as c:  # a new login still works
            assert c.get("/admin/requests").status_code == 200


def test_csrf_token_is_bound_to_its_session(tmp_path: Path, classifier) -> None:
    database = f"sqlite:///{tmp_path / 'db'}"
    with replicas(tmp_path, database, classifier, (ADMIN,)) as [(url, _)], closing(login(url)) as one:
        two = login(url)
        csrf_one = one.cookies[CSRF_COOKIE]
        body = {"name": "k"}
        # session two with session one's token (in both cookie and header, as a double submit passes)
        assert replay("POST", url + "/admin/keys", two.cookies[SESSION_COOKIE], csrf_one, json=body) == 401
        r = two.post("/admin/keys", json=body, headers={CSRF_HEADER: two.cookies[CSRF_COOKIE]})
        assert r.status_code == 200, r.text
        two.close()


def test_a_new_admin_key_ends_every_session(tmp_path: Path, classifier) -> None:
    database = f"sqlite:///{tmp_path / 'db'}"
    with replicas(tmp_path, database, classifier, (ADMIN, OTHER)) as [(old, _), (rotated, _)]:
        with closing(login(old)) as c:
            session = c.cookies[SESSION_COOKIE]
        assert replay("GET", rotated + "/admin/requests", session) == 401
        assert replay("GET", old + "/admin/requests", session) == 200  # the replica not yet rotated


def wrong_logins(url: str, n: int) -> list[int]:
    return [httpx.post(url + "/admin/login", json={"key": f"guess-{i}"}).status_code for i in range(n)]


def test_failed_logins_back_off(tmp_path: Path, classifier) -> None:
    with replicas(tmp_path, f"sqlite:///{tmp_path / 'db'}", classifier, (ADMIN,)) as [(url, _)]:
        # five free tries, then 1 s, 2 s, 4 s, 8 s ... of waiting: each wait sat out, the next wrong key doubles it
        assert wrong_logins(url, 5) == [401] * 5
        for wait in (1.0, 2.0, 4.0):
            time.sleep(wait + 0.1)
            assert wrong_logins(url, 1) == [401]
        # 8 s to wait now (a loaded machine once took over a second for the checks below, the first wait's length)
        assert wrong_logins(url, 1) == [429]
        r = httpx.post(url + "/admin/login", json={"key": ADMIN})
        assert r.status_code == 429 and SESSION_COOKIE not in r.cookies  # the right key waits too
        assert int(r.headers["retry-after"]) >= 3 and r.json()["error"]["type"] == "rate_limit_error"  # doubled
        # guessing through the bearer header is the same guessing
        r = httpx.get(url + "/admin/keys", headers={"authorization": f"Bearer {ADMIN}"})
        assert r.status_code == 429


@pytest.mark.redis
@pytest.mark.skipif(not reachable(6379), reason="needs Redis on 127.0.0.1:6379")
def test_login_backoff_is_shared_across_replicas(tmp_path: Path, classifier) -> None:
    # A Redis database of its own: the block on 127.0.0.1 must not reach other tests' gateways.
    redis_url = "redis://127.0.0.1:6379/9"
    client = redis.Redis.from_url(redis_url)
    client.delete("switchpoint:login_fail:127.0.0.1", "switchpoint:login_block:127.0.0.1")
    database = f"sqlite:///{tmp_path / 'db'}"
    try:
        with replicas(tmp_path, database, classifier, (ADMIN, ADMIN), redis_url=redis_url) as [(a, _), (b, _)]:
            assert wrong_logins(a, 3) == [401] * 3
            assert wrong_logins(b, 3) == [401, 401, 429]  # the fifth failure, counted across both
            assert httpx.post(a + "/admin/login", json={"key": ADMIN}).status_code == 429
            time.sleep(1.1)  # the first block is 1 s
            assert httpx.post(a + "/admin/login", json={"key": ADMIN}).status_code == 200
    finally:
        client.delete("switchpoint:login_fail:127.0.0.1", "switchpoint:login_block:127.0.0.1")
        client.close()


def test_short_admin_key_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="shorter than 32 characters"):
        load_settings(None, home=tmp_path, admin_key="x" * 31)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHPOINT_")}
    env.update(SWITCHPOINT_ADMIN_KEY="hunter2", SWITCHPOINT_HOME=str(tmp_path), PYTHONPATH=os.getcwd())
    try:
        done = subprocess.run(
            [sys.executable, "-m", "router.cli", "serve", "--port", "0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the gateway started with a 7-character admin key")
    assert done.returncode == 2 and "SWITCHPOINT_ADMIN_KEY is shorter than 32 characters" in done.stderr
    assert "hunter2" not in done.stderr
    # a generated key (no SWITCHPOINT_ADMIN_KEY) stays as it is
    assert load_settings(None, home=tmp_path / "gen").admin_key is None
