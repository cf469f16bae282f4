"""State that must agree across gateway replicas (cooldowns, sticky sessions, rate limits, budgets,
the current rule version): Redis when configured, process memory otherwise.

Both implementations offer the same small set of atomic operations; keys are plain strings and
callers namespace them ("cooldown:qwen", "sticky:<session>", ...)."""

from __future__ import annotations

import logging
import time
from typing import Protocol

from redis.exceptions import RedisError

log = logging.getLogger(__name__)

SHARED_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)


class SharedState(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, ttl_s: float | None = None) -> None: ...
    async def delete(self, key: str) -> None: ...
    async def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        """Add `amount` and return the new value; `ttl_s` starts the key's expiry when it is created."""
        ...

    async def aclose(self) -> None: ...


class MemoryState:
    """One process's state. Expired keys are dropped lazily on access."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str, float | None]] = {}

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= time.monotonic():
            del self._data[key]
            return None
        return value

    async def get(self, key: str) -> str | None:
        return self._live(key)

    async def set(self, key: str, value: str, ttl_s: float | None = None) -> None:
        self._data[key] = (value, time.monotonic() + ttl_s if ttl_s else None)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        current = self._live(key)
        if current is None:
            value = amount
            expires = time.monotonic() + ttl_s if ttl_s else None
        else:
            value = int(current) + amount
            expires = self._data[key][1]
        self._data[key] = (str(value), expires)
        return value

    async def aclose(self) -> None:
        return None


class RedisState:
    def __init__(self, url: str, prefix: str = "switchpoint:") -> None:
        import redis.asyncio as redis

        # A blocking pool: under a burst, commands wait for a free connection instead of failing with
        # "Too many connections" (the plain pool's behaviour at its limit).
        pool = redis.BlockingConnectionPool.from_url(url, max_connections=128, timeout=30, decode_responses=True)
        self._redis = redis.Redis(connection_pool=pool)
        self._prefix = prefix

    async def get(self, key: str) -> str | None:
        value = await self._redis.get(self._prefix + key)
        return value if value is None or isinstance(value, str) else value.decode()

    async def set(self, key: str, value: str, ttl_s: float | None = None) -> None:
        await self._redis.set(self._prefix + key, value, px=int(ttl_s * 1000) if ttl_s else None)

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)

    async def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        k = self._prefix + key
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incrby(k, amount)
            if ttl_s:
                pipe.pexpire(k, int(ttl_s * 1000), nx=True)
            result = await pipe.execute()
        return int(result[0])

    async def aclose(self) -> None:
        await self._redis.aclose()


class Tolerant:
    """Shared state that never fails a request: while Redis is unreachable, reads find nothing (no
    cooldowns, no pins: routing falls back to the rules alone) and writes are dropped, with a warning
    at most every 10 s."""

    def __init__(self, inner: SharedState) -> None:
        self.inner = inner
        self._warned = 0.0

    def _down(self, exc: BaseException) -> None:
        if time.monotonic() - self._warned > 10:
            self._warned = time.monotonic()
            log.warning("shared state unavailable, routing without cooldowns and pins: %r", exc)

    async def get(self, key: str) -> str | None:
        try:
            return await self.inner.get(key)
        except SHARED_ERRORS as exc:
            self._down(exc)
            return None

    async def set(self, key: str, value: str, ttl_s: float | None = None) -> None:
        try:
            await self.inner.set(key, value, ttl_s)
        except SHARED_ERRORS as exc:
            self._down(exc)

    async def delete(self, key: str) -> None:
        try:
            await self.inner.delete(key)
        except SHARED_ERRORS as exc:
            self._down(exc)

    async def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        try:
            return await self.inner.incr(key, amount, ttl_s)
        except SHARED_ERRORS as exc:
            self._down(exc)
            return 0

    async def aclose(self) -> None:
        """The inner state belongs to the app factory, which closes it."""


def make_shared_state(redis_url: str | None) -> SharedState:
    return RedisState(redis_url) if redis_url else MemoryState()
