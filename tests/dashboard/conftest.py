from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

ADMIN_KEY = "spa-test-admin-key-0123456789abcdef"


def two_backends(url1: str, url2: str) -> dict[str, Any]:
    return {
        "backends": [
            {"name": "alpha", "kind": "openai", "base_url": url1, "model": "m-alpha"},
            {"name": "beta", "kind": "openai", "base_url": url2, "model": "m-beta", "capabilities": {"vision": True}},
        ],
        "routes": {"default": ["alpha", "beta"]},
    }


def send(url: str, text: str = "Write a haiku about autumn.", **extra: Any) -> httpx.Response:
    body = {"model": "auto", "messages": [{"role": "user", "content": text}], **extra}
    return httpx.post(url + "/v1/chat/completions", json=body, timeout=30)


def admin(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"authorization": f"Bearer {ADMIN_KEY}"}, timeout=30)


@pytest.fixture
def dash(gateway: Callable[..., Any], upstream: Any, upstream2: Any) -> Callable[..., Any]:
    """A real gateway with two loopback upstreams (alpha, beta) and a known admin key."""

    @contextmanager
    def start(**overrides: Any) -> Iterator[tuple[str, Any]]:
        config = two_backends(upstream[1], upstream2[1])
        config.update(overrides)
        with gateway(config, admin_key=ADMIN_KEY) as (url, app):
            yield url, app

    return start
