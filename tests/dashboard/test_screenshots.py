"""Screenshots of every dashboard page for the README (docs/screenshots/*.png), taken only when asked:

    SWITCHPOINT_SCREENSHOTS=docs/screenshots pytest tests/dashboard/test_screenshots.py

The gateway has four backends on two loopback upstreams; thirty days of synthetic history (the
benchmark's generator, with feedback scores so that the tuner has something to propose) sit under
real requests sent through it just before the pictures are taken."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import column, insert, inspect, table

from router.store import RequestRecord, create_tables
from tests.benchmarks.requests_page import fake_rows
from tests.dashboard.browser import launch
from tests.dashboard.conftest import ADMIN_KEY, send
from tests.router.helpers import log_rows

pytestmark = pytest.mark.browser

SIGNALS = table("quality_signals", *(column(c) for c in ("request_id", "ts", "kind", "score", "label", "source")))
# Feedback the synthetic history carries: how good each backend is per category (0..1).
DIFFICULTIES = ("easy", "medium", "hard")
GOOD = {"local-gemma": 0.55, "local-qwen": 0.75, "gemini-flash": 0.8, "gemini-pro": 0.92}


def backends(up1: str, up2: str) -> dict[str, Any]:
    def b(name: str, url: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "kind": "openai", "base_url": url, "model": name + "-model", **extra}

    return {
        "backends": [
            b("local-qwen", up1, capabilities={"context_window": 131072}),
            b("local-gemma", up1),
            b("gemini-flash", up2, price={"input_per_mtok": 0.3, "output_per_mtok": 2.5},
              capabilities={"vision": True, "context_window": 1048576}),
            b("gemini-pro", up2, price={"input_per_mtok": 1.25, "output_per_mtok": 10.0},
              capabilities={"vision": True, "context_window": 1048576}),
        ],
        "routes": {
            "coding": ["local-qwen", "gemini-pro"],
            "tool_calling": ["local-qwen", "gemini-flash"],
            "prose": ["local-gemma", "gemini-flash"],
            "vision": ["gemini-flash", "gemini-pro"],
        },
    }  # fmt: skip


def seed_history(app: Any, n: int = 60_000) -> None:
    engine = app.state.engine
    create_tables(engine)
    rnd = random.Random(3)
    rows = list(fake_rows(n, time.time() - 120))
    for r in rows:
        r["signals"] = orjson.dumps({"category": r["category"], "difficulty": rnd.choice(DIFFICULTIES)}).decode()

    def score(r: dict[str, Any]) -> float:
        weak = 0.3 if r["category"] == "coding" and r["backend"].startswith("local") else 0.0
        return 1.0 if rnd.random() < GOOD[r["backend"]] - weak else 0.0

    with engine.begin() as c:
        c.execute(insert(RequestRecord), rows)
        if SIGNALS.name in inspect(c).get_table_names():
            fb = {"kind": "feedback", "label": None, "source": "seed"}
            c.execute(
                insert(SIGNALS),
                [{"request_id": r["id"], "ts": r["ts"] + 30, "score": score(r), **fb} for r in rows[-5000:]],
            )


def test_screenshots_for_the_readme(gateway, upstream, upstream2):
    out = os.environ.get("SWITCHPOINT_SCREENSHOTS")
    if not out:
        pytest.skip("set SWITCHPOINT_SCREENSHOTS=docs/screenshots to take the README's screenshots")
    shots = Path(out)
    shots.mkdir(parents=True, exist_ok=True)
    with gateway(backends(upstream[1], upstream2[1]), admin_key=ADMIN_KEY) as (url, app):
        seed_history(app)
        for i in range(8):
            send(url, f"Write a short poem about the sea, number {i}.")
            send(url, "Fix this Python function:\n```python\ndef add(a, b):\n    return a - b\n```", stream=True)
        upstream[0].behaviour = "status"
        fallback = send(url, "Explain monads simply.")
        upstream[0].behaviour = "ok"
        log_rows(app, 60_017)
        browser_cm = launch()
        browser = next(browser_cm)
        try:
            page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
            page.goto(url + "/dashboard/login.html")
            page.screenshot(path=shots / "login.png")
            page.fill("#key", ADMIN_KEY)
            page.click("button[type=submit]")
            page.wait_for_selector("#totals")
            page.click("button[data-window='24h']")
            page.wait_for_selector("button[data-window='24h'].on")
            page.wait_for_timeout(300)
            page.screenshot(path=shots / "overview.png", full_page=True)
            page.goto(url + "/dashboard/#/requests")
            page.wait_for_selector("table.grid tbody tr.clickable")
            page.screenshot(path=shots / "requests.png")
            page.goto(url + "/dashboard/#/request/" + fallback.headers["x-switchpoint-request-id"])
            page.wait_for_selector("#served-by")
            page.screenshot(path=shots / "request.png", full_page=True)
            page.goto(url + "/dashboard/#/backends")
            page.wait_for_selector("table.grid tbody tr")
            page.screenshot(path=shots / "backends.png")
            page.goto(url + "/dashboard/#/rules")
            page.wait_for_selector("#rules-editor")
            rules = "rules:\n  - name: hard-coding-to-pro\n    match: {category: coding, difficulty: hard}\n"
            rules += "    chain: [gemini-pro, local-qwen]\n"
            page.fill("#rules-editor", rules)
            page.click("#validate")
            page.wait_for_selector("#validation.ok")
            page.fill("#dry-limit", "2000")
            page.click("#dry-run-btn")
            page.wait_for_selector("#dry-summary")
            page.fill("#apply-comment", "hard coding tasks to Gemini Pro")
            page.screenshot(path=shots / "rules.png", full_page=True)
            page.click("#apply")
            page.wait_for_selector("#apply-result p.ok")
            page.locator("#history").scroll_into_view_if_needed()
            page.screenshot(path=shots / "rules-history.png", full_page=True)
            page.goto(url + "/dashboard/#/tuning")
            page.wait_for_selector("main[data-page=tuning] section")
            page.screenshot(path=shots / "tuning.png")
            assert ADMIN_KEY not in page.content()
            assert httpx.get(url + "/dashboard/").status_code in (200, 303)
        finally:
            next(browser_cm, None)
