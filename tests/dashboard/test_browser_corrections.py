"""In the browser: an operator corrects a request's category on its page, retrains the classifier from the
Tuning page (a background job whose progress the page shows), and the next similar request takes the route of
the corrected category; rolling back from the same page undoes it. A real gateway that stores bodies, loopback
upstreams, Debian's chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from router.app import create_app
from router.settings import load_settings
from tests.dashboard.browser import launch
from tests.dashboard.conftest import ADMIN_KEY, admin, send, two_backends
from tests.dashboard.test_browser import expect, login
from tests.fakes.servers import ServerThread
from tests.router.test_classify_corrections import LEDGERS

pytestmark = pytest.mark.browser

WORDS = LEDGERS  # the same made-up words as the CLI's end-to-end test


def ask(word: str) -> str:
    return f"Frobulate the {word} ledger for the quarter."


@pytest.fixture(scope="module")
def browser() -> Any:
    yield from launch()


def test_a_correction_in_the_dashboard_changes_the_next_similar_route(
    browser, upstream, upstream2, tmp_path: Path
) -> None:
    config = two_backends(upstream[1], upstream2[1])
    config["rules"] = [{"name": "code-beta", "match": {"category": "coding"}, "chain": ["beta"]}]
    settings = load_settings(None, home=tmp_path, admin_key=ADMIN_KEY, log_bodies=True, **config)
    app = create_app(settings)  # no classifier passed: the gateway's own, versioned one
    with ServerThread(app) as server, admin(server.url) as c:
        url = server.url
        ids = []
        for w in WORDS:
            r = send(url, ask(w))
            assert r.headers["x-switchpoint-backend"] == "alpha"  # prose: the default route
            ids.append(r.headers["x-switchpoint-request-id"])
        page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        login(page, url)
        for rid in ids:  # each correction through the request's page, as an operator would
            page.goto(f"{url}/dashboard/#/request/{rid}")
            page.wait_for_selector("#correct-category")
            expect(page.locator("#correct-category")).to_have_value("prose")
            page.select_option("#correct-category", "coding")
            page.click("#correct-submit")
            expect(page.locator("#correction-note")).to_contain_text("Recorded: coding", timeout=15_000)
        assert len(c.get("/admin/classify/corrections").json()["corrections"]) == len(WORDS)
        page.click("#nav a[data-page=tuning]")
        page.click("#retrain")
        # A background job: the page shows its stage and progress while it runs, then what it installed.
        expect(page.locator("#retrain-stage")).to_contain_text("Job 1:", timeout=30_000)
        expect(page.locator("#retrain-result")).to_contain_text("Installed classifier v1", timeout=180_000)
        expect(page.locator("#retrain-result")).to_contain_text("→ 1")
        assert send(url, ask("ostrich")).headers["x-switchpoint-backend"] == "beta"
        assert send(url, "Write a haiku about autumn.").headers["x-switchpoint-backend"] == "alpha"
        assert c.get("/admin/classify/versions").json()["versions"][0]["active"] is True
        # Rollback from the same card: the shipped weights, then v1 again (a new word each time: no pinned session).
        expect(page.locator("#classifier-versions")).to_contain_text("active")
        page.click("#use-shipped")
        expect(page.locator("#retrain-result")).to_contain_text("The shipped weights are active again")
        assert send(url, ask("heron")).headers["x-switchpoint-backend"] == "alpha"
        page.click(".activate-version[data-version='1']")
        expect(page.locator("#retrain-result")).to_contain_text("Classifier v1 is active")
        assert send(url, ask("puffin")).headers["x-switchpoint-backend"] == "beta"
        assert not errors, errors
