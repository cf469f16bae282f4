"""Send many requests at once and count the answers."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx

MSG = [{"role": "user", "content": "hello"}]


async def send_all(urls: list[str], n: int, key: str, body: dict[str, Any]) -> Counter[int]:
    """`n` copies of `body` sent at once with `key`, spread over the gateways at `urls`; the status counts."""
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    headers = {"authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(timeout=120, limits=limits, headers=headers) as client:
        start = asyncio.Event()

        async def one(i: int) -> int:
            await start.wait()
            r = await client.post(urls[i % len(urls)] + "/v1/chat/completions", json=body)
            return r.status_code

        tasks = [asyncio.create_task(one(i)) for i in range(n)]
        await asyncio.sleep(0.05)
        start.set()
        return Counter(await asyncio.gather(*tasks))


def burst(urls: list[str], n: int, key: str, stream: bool = False) -> Counter[int]:
    """`n` concurrent requests with `key`, spread over the gateways at `urls`; the status counts."""
    return asyncio.run(send_all(urls, n, key, {"model": "auto", "messages": MSG, "stream": stream}))
