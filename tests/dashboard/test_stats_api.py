"""The dashboard's admin API against a real gateway: requests go through loopback upstreams, then the
overview, the request list (filters, keyset paging), one request's detail and the backends page read
them back."""

from __future__ import annotations

import pytest

from tests.dashboard.conftest import admin, send, two_backends
from tests.router.helpers import log_rows


def test_overview_counts_what_went_through(dash, upstream):
    script, _ = upstream
    with dash() as (url, app):
        for _ in range(4):
            assert send(url).status_code == 200
        script.behaviour = "status"  # alpha answers 500: the gateway falls back to beta
        for _ in range(2):
            r = send(url)
            assert r.status_code == 200 and r.headers["x-switchpoint-backend"] == "beta"
        rows = log_rows(app, 6)
        with admin(url) as c:
            data = c.get("/admin/stats/overview", params={"window": "1h"}).json()
    # The first failure falls back; later ones may skip alpha at once (routing may learn from it).
    fell_back = sum(r.attempts > 1 for r in rows)
    assert fell_back >= 1
    t = data["totals"]
    assert t["requests"] == 6 and t["fallbacks"] == fell_back and t["errors"] == 0 and t["error_rate"] == 0
    assert t["latency_p50_ms"] > 0 and t["latency_p95_ms"] >= t["latency_p50_ms"]
    assert t["ttft_p50_ms"] > 0 and t["output_tokens"] == 6 * 7
    by_backend = {b["name"]: b for b in data["by_backend"]}
    assert by_backend["alpha"]["requests"] == 4 and by_backend["beta"]["requests"] == 2
    assert by_backend["beta"]["fallbacks"] == fell_back
    assert [c["name"] for c in data["by_category"]] == ["prose"]
    s = data["series"]
    assert len(s["t"]) == 60 and sum(s["requests"]) == 6 and sum(s["fallbacks"]) == fell_back
    assert sum(s["requests_by_backend"]["alpha"]) == 4


def test_overview_rejects_unknown_window(dash):
    with dash() as (url, _), admin(url) as c:
        r = c.get("/admin/stats/overview", params={"window": "2y"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "window"


def test_requests_filters_paging_and_detail(dash, upstream):
    script, _ = upstream
    with dash() as (url, app):
        ids = [send(url).headers["x-switchpoint-request-id"] for _ in range(7)]
        script.behaviour = "status"
        script.status = 400  # not retryable: the client sees the error, the log says error
        failed = send(url)
        assert failed.status_code == 400
        log_rows(app, 8)
        with admin(url) as c:
            first = c.get("/admin/requests", params={"limit": 3}).json()
            assert [r["id"] for r in first["items"]] == [failed.headers["x-switchpoint-request-id"], *ids[::-1][:2]]
            assert set(first["facets"]["backends"]) == {"alpha", "beta"}
            seen = [r["id"] for r in first["items"]]
            cursor = first["next_cursor"]
            while cursor:
                page = c.get("/admin/requests", params={"limit": 3, "cursor": cursor}).json()
                seen += [r["id"] for r in page["items"]]
                cursor = page["next_cursor"]
            assert seen == [failed.headers["x-switchpoint-request-id"], *ids[::-1]]
            errors = c.get("/admin/requests", params={"status": "error"}).json()["items"]
            assert [r["http_status"] for r in errors] == [400]
            assert c.get("/admin/requests", params={"backend": "beta"}).json()["items"] == []
            assert len(c.get("/admin/requests", params={"backend": "alpha", "category": "prose"}).json()["items"]) == 7
            assert c.get("/admin/requests", params={"since": 0, "until": 1}).json()["items"] == []
            detail = c.get(f"/admin/requests/{ids[0]}").json()
            assert detail["chain"] == ["alpha", "beta"] and detail["rule"] and detail["reason"]
            assert detail["backend"] == "alpha" and detail["attempts"] == 1 and detail["attempt_errors"] is None
            assert detail["signals"]["category"] == "prose"
            assert detail["body"] == {"logged": False, "reason": "body logging is off"}
            err = c.get(f"/admin/requests/{failed.headers['x-switchpoint-request-id']}").json()
            assert err["status"] == "error" and err["attempt_errors"][0]["backend"] == "alpha"
            missing = c.get("/admin/requests/req_nope")
            assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
            bad = c.get("/admin/requests", params={"cursor": "!!!"})
            assert bad.status_code == 400 and bad.json()["error"]["param"] == "cursor"
            assert c.get("/admin/requests", params={"limit": 0}).status_code == 400


@pytest.mark.parametrize("down", [False, True])
def test_backends_health_capabilities_and_speed(dash, upstream, upstream2, down):
    config = two_backends(upstream[1], "http://127.0.0.1:9/v1" if down else upstream2[1])  # port 9: nothing listens
    with dash(backends=config["backends"]) as (url, app):
        assert send(url).status_code == 200
        log_rows(app, 1)
        with admin(url) as c:
            data = c.get("/admin/backends").json()
    b = {x["name"]: x for x in data["backends"]}
    assert b["alpha"]["health"]["ok"] is True and b["alpha"]["kind"] == "openai"
    assert b["beta"]["health"]["ok"] is (not down)
    assert b["beta"]["capabilities"]["vision"] is True and b["alpha"]["capabilities"]["vision"] is False
    assert b["alpha"]["speed"]["requests"] == 1 and b["alpha"]["speed"]["ttft_p50_ms"] > 0
    assert b["beta"]["speed"]["requests"] is None
    text = str(data)
    assert "base_url" not in text and "api_key" not in text and "127.0.0.1" not in text


def test_health_is_cached(dash):
    with dash() as (url, app):
        calls = 0
        alpha = app.state.backends["alpha"]
        real = alpha.health

        async def counting() -> bool:
            nonlocal calls
            calls += 1
            return await real()

        alpha.health = counting
        with admin(url) as c:
            for _ in range(3):
                c.get("/admin/backends")
    assert calls == 1
