"""Every admin route needs the admin key: each one found in app.routes (so a route added later is
covered without editing this test) refuses no credentials, a wrong bearer key, a forged session
cookie, and a session-cookie change without the CSRF token; and accepts the key or a session with
its token. The dashboard's pages need the session; its login page and assets do not."""

from __future__ import annotations

import re
from contextlib import ExitStack, closing

import httpx
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount, Route

from router.admin.auth import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from tests.dashboard.conftest import ADMIN_KEY

# Login takes the key in its body (logout needs the session and its CSRF token, like every change).
OPEN = {"/admin/login"}


def admin_routes(app) -> list[tuple[str, str]]:
    """Every (method, path) under /admin, walking into mounted apps (the admin API is a mounted FastAPI app)."""
    out = []
    for prefix, route in _walk(app.routes, ""):
        full = prefix + route.path
        if full.startswith("/admin") and full not in OPEN:
            path = re.sub(r"\{[^}]+\}", "x", full)
            out += [(method, path) for method in sorted(route.methods or ()) if method != "HEAD"]
    return out


def _walk(routes, prefix):
    for route in routes:
        if isinstance(route, Mount) and route.path.startswith("/admin"):
            # FastAPI 0.165 keeps included routers unflattened; iter_route_contexts gives each route's full path
            for context in iter_route_contexts(route.routes):
                yield prefix + route.path, context
        elif isinstance(route, Route):
            yield prefix, route


def login(url: str) -> httpx.Client:
    c = httpx.Client(base_url=url, timeout=30)
    r = c.post("/admin/login", json={"key": ADMIN_KEY})
    assert r.status_code == 200
    return c


def test_every_admin_route_needs_the_key(dash):
    with dash() as (url, app), ExitStack() as stack:
        routes = admin_routes(app)
        paths = {p for _, p in routes}
        assert {"/admin/stats/overview", "/admin/requests", "/admin/requests/x", "/admin/backends"} <= paths
        anon = stack.enter_context(httpx.Client(base_url=url, timeout=30))
        wrong = stack.enter_context(httpx.Client(base_url=url, headers={"authorization": "Bearer nope"}, timeout=30))
        forged_cookies = {SESSION_COOKIE: "9999999999.00.bad", CSRF_COOKIE: "t"}
        forged = stack.enter_context(httpx.Client(base_url=url, cookies=forged_cookies, timeout=30))
        bearer_auth = {"authorization": f"Bearer {ADMIN_KEY}"}
        bearer = stack.enter_context(httpx.Client(base_url=url, headers=bearer_auth, timeout=30))
        session = stack.enter_context(closing(login(url)))
        csrf = session.cookies[CSRF_COOKIE]
        for method, path in routes:
            body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
            for who, client, extra in (("anonymous", anon, {}), ("forged session", forged, {CSRF_HEADER: "t"})):
                r = client.request(method, path, headers=extra, **body)
                assert r.status_code == 401, f"{method} {path} as {who}: {r.status_code}"
                assert ADMIN_KEY not in r.text
            if method != "GET":
                r = session.request(method, path, **body)
                assert r.status_code == 401, f"{method} {path} by cookie without CSRF token: {r.status_code}"
                r = session.request(method, path, headers={CSRF_HEADER: "wrong"}, **body)
                assert r.status_code == 401, f"{method} {path} by cookie with a wrong CSRF token: {r.status_code}"
            if method == "GET":  # changes are not made here: their handlers' own tests cover them
                for client, extra in ((bearer, {}), (session, {CSRF_HEADER: csrf})):
                    r = client.request(method, path, headers=extra)
                    assert r.status_code != 401, f"{method} {path}: {r.status_code} {r.text[:200]}"
                    assert ADMIN_KEY not in r.text
        # Last, as wrong keys put this client address into the login backoff (429) after a few.
        for method, path in routes:
            changes = method in ("POST", "PUT", "PATCH")
            r = wrong.request(method, path, json={}) if changes else wrong.request(method, path)
            assert r.status_code in (401, 429), f"{method} {path} as wrong key: {r.status_code}"
            assert ADMIN_KEY not in r.text


def test_login_sets_httponly_session_and_logout_clears_it(dash):
    with dash() as (url, _):
        r = httpx.post(url + "/admin/login", json={"key": "nope"})
        assert r.status_code == 401 and SESSION_COOKIE not in r.cookies
        assert httpx.post(url + "/admin/login", json={}).status_code == 400
        r = httpx.post(url + "/admin/login", json={"key": ADMIN_KEY})
        cookies = r.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith(SESSION_COOKIE + "="))
        assert "HttpOnly" in session and "SameSite=strict" in session
        assert ADMIN_KEY not in r.text and all(ADMIN_KEY not in c for c in cookies)
        with closing(login(url)) as c:
            assert c.get("/admin/requests").status_code == 200
            c.post("/admin/logout", headers={CSRF_HEADER: c.cookies[CSRF_COOKIE]})
            assert c.get("/admin/requests").status_code == 401


def test_dashboard_pages_need_the_session(dash):
    with dash() as (url, _), httpx.Client(base_url=url, timeout=30) as anon, closing(login(url)) as c:
        for page in ("/dashboard/", "/dashboard/index.html"):
            r = anon.get(page)
            assert r.status_code == 303 and r.headers["location"] == "/dashboard/login.html"
        r = anon.get("/dashboard/login.html")
        assert r.status_code == 200 and "Admin key" in r.text
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["x-frame-options"] == "DENY"
        assert anon.get("/dashboard/js/app.js").status_code == 200
        assert anon.get("/dashboard/css/style.css").status_code == 200
        r = c.get("/dashboard/")
        assert r.status_code == 200 and 'src="js/app.js"' in r.text and r.headers["cache-control"] == "no-store"
        assert c.get("/dashboard", follow_redirects=True).status_code == 200
        assert ADMIN_KEY not in r.text
