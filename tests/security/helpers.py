from __future__ import annotations

from typing import Any

import httpx

ADMIN = "adm-test-key-0123456789"
MSG = [{"role": "user", "content": "hello"}]


def admin(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"authorization": f"Bearer {ADMIN}"}, timeout=30)


def make_key(url: str, **spec: Any) -> dict[str, Any]:
    with admin(url) as c:
        r = c.post("/admin/keys", json={"name": "test", **spec})
        assert r.status_code == 200, r.text
        created: dict[str, Any] = r.json()
        return created


def chat(url: str, key: str | None = None, **body: Any) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return httpx.post(
        url + "/v1/chat/completions", json={"model": "auto", "messages": MSG, **body}, headers=headers, timeout=30
    )
