"""Who may call the public API, and what they may spend.

With no virtual keys (and `require_keys` off) every caller is let in: the gateway binds 127.0.0.1 by
default and coding tools send placeholder keys. Once an admin creates a key, or the operator sets
`require_keys`, every public request needs a valid key, read from `x-api-key` or
`Authorization: Bearer`. Keys live hashed in the database (router/store_keys.py); each process keeps
an index of them, reloaded every `refresh_s`, so a key created or deleted through one replica takes
effect on the others within that time.

Limits are counted in SharedState, so replicas sharing Redis share them:

- requests per minute: a fixed one-minute window, `incr` before the request; exact.
- token budget: once the body is parsed, `reserve()` `incr`s the key's spend by the request's own
  estimate (its prompt plus its max output tokens, `reservation_tokens`) and admits it only when the
  spend before that was under the budget; after it, `charge()` replaces exactly that reservation by
  the tokens used. As long as a request uses no more than its reservation, spend ends at most one
  request's own tokens over the budget, however many requests race; a small request reserves little,
  so it is not refused while most of the budget is unused. A reservation is capped at the budget
  (reserving more protects nothing more: it already holds every other request back).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response

from backends.contract import Usage
from backends.errors import AuthError, KeyStoreUnavailable, LimitsUnavailable, RateLimited, SwitchpointError

from .shared_state import SharedState
from .store import RequestRecord
from .store_keys import KeyInfo, hash_key, load_key_index

log = logging.getLogger(__name__)

SHARED_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)
MAX_RESERVATION = 2**40  # far above any request, far below the 64-bit counter's limit


def presented_key(headers: Mapping[str, str]) -> str | None:
    key = headers.get("x-api-key")
    if key:
        return key
    auth = headers.get("authorization") or ""
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return None


def spend_key(key_id: str) -> str:
    return f"spend:{key_id}"


class AccessControl:
    def __init__(
        self,
        *,
        engine: Engine | None = None,
        shared: SharedState | None = None,
        require_keys: bool = False,
        reserve_tokens: int = 4096,  # the output allowance of a request that states no max tokens
        refresh_s: float = 2.0,
    ) -> None:
        self.engine = engine
        self.shared = shared
        self.require_keys = require_keys
        self.reserve_tokens = reserve_tokens
        self.refresh_s = refresh_s
        self._index: dict[str, KeyInfo] | None = None
        self._by_id: dict[str, KeyInfo] = {}
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()
        self._seeds: dict[str, asyncio.Future[None]] = {}
        self._pending: set[asyncio.Task[Any]] = set()

    # ---- the key index ----------------------------------------------------------------------------

    def invalidate(self) -> None:
        """Reload the key index on the next request (after the admin API changed a key)."""
        self._loaded_at = 0.0

    async def _keys(self) -> dict[str, KeyInfo]:
        if self.engine is None:
            return {}
        if self._index is not None and time.monotonic() - self._loaded_at < self.refresh_s:
            return self._index
        async with self._lock:
            if self._index is None or time.monotonic() - self._loaded_at >= self.refresh_s:
                try:
                    index = await asyncio.to_thread(load_key_index, self.engine)
                except SQLAlchemyError as exc:
                    if self._index is None:  # never loaded: fail closed
                        raise KeyStoreUnavailable("the key store is unavailable") from None
                    log.warning("access: key store unavailable, using the last index: %s", type(exc).__name__)
                    index = self._index
                self._index = index
                self._by_id = {k.id: k for k in index.values()}
                self._loaded_at = time.monotonic()
        return self._index

    # ---- the seam the pipeline calls --------------------------------------------------------------

    async def authenticate(self, headers: Mapping[str, str]) -> str | None:
        """The id of the caller's virtual key (never the key itself), or None when keys are off.
        Checks the key, its expiry and its requests per minute; reserves no budget (see `reserve`).
        Raises AuthError or RateLimited."""
        index = await self._keys()
        if not index and not self.require_keys:
            return None
        key = presented_key(headers)
        if not key:
            raise AuthError("an API key is required: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'")
        info = index.get(hash_key(key))
        if info is None:
            raise AuthError("invalid API key")
        if info.expires_at is not None and info.expires_at <= time.time():
            raise AuthError(f"API key {info.id} has expired")
        if self.shared is not None and info.rpm is not None:
            try:
                await self._check_rpm(info)
            except SHARED_ERRORS as exc:
                raise self._unavailable(info, exc) from None
        return info.id

    async def reserve(self, key_id: str | None, tokens: int) -> int:
        """Reserve `tokens` (the request's own estimate, `reservation_tokens`) of the key's budget;
        returns what was reserved (0 for a key without a budget), which `charge()` must be given back.
        Raises RateLimited when the key's spend is already at its budget."""
        info = self._by_id.get(key_id) if key_id is not None else None
        if info is None or info.budget_tokens is None or self.shared is None:
            return 0
        reserved = max(1, min(tokens, info.budget_tokens, MAX_RESERVATION))
        try:
            await self._reserve(info, reserved)
        except SHARED_ERRORS as exc:
            raise self._unavailable(info, exc) from None
        return reserved

    @staticmethod
    def _unavailable(info: KeyInfo, exc: BaseException) -> LimitsUnavailable:
        log.warning("access: shared state unavailable, refusing key %s: %s", info.id, type(exc).__name__)
        return LimitsUnavailable(f"the limits of API key {info.id} cannot be checked right now")

    def charge(self, key_id: str | None, usage: Usage | None, reserved: int = 0) -> None:
        """Count what a finished request spent against its key, replacing exactly the `reserved`
        tokens that `reserve()` returned for it. Does not block: the shared-state write is scheduled."""
        if key_id is None or self.shared is None:
            return
        tokens = usage.input_tokens + usage.output_tokens if usage is not None else 0
        delta = tokens - reserved
        if delta == 0:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self.shared.incr(spend_key(key_id), delta))
        self._pending.add(task)
        task.add_done_callback(self._charged)

    def _charged(self, task: asyncio.Task[Any]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("access: could not record spend: %s", type(task.exception()).__name__)

    async def aclose(self) -> None:
        """Wait for scheduled spend writes (graceful shutdown)."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    # ---- limits -----------------------------------------------------------------------------------

    async def _check_rpm(self, info: KeyInfo) -> None:
        assert self.shared is not None and info.rpm is not None
        now = time.time()
        window = int(now // 60)
        n = await self.shared.incr(f"rpm:{info.id}:{window}", 1, ttl_s=61)
        if n > info.rpm:
            raise RateLimited(
                f"API key {info.id} is over its limit of {info.rpm} requests per minute", retry_after=60 - now % 60
            )

    async def _reserve(self, info: KeyInfo, r: int) -> None:
        assert self.shared is not None and info.budget_tokens is not None
        await self._seed(info)
        after = await self.shared.incr(spend_key(info.id), r)
        if after - r >= info.budget_tokens:
            await self.shared.incr(spend_key(info.id), -r)
            raise RateLimited(f"API key {info.id} has used its budget of {info.budget_tokens} tokens")

    async def _seed(self, info: KeyInfo) -> None:
        """The first process to see a key starts its spend counter from the request log, so that a
        budget survives a restart of the shared state (process memory without Redis).

        Every request of this process for the key waits for the seed: one that went ahead would be
        charged, logged and then read by the seed's query again (counted twice). The query takes the
        rows that arrived before the seed began, so another replica's requests, which can only reserve
        after the seeding flag is set, are not counted twice either."""
        if self.shared is None or self.engine is None:
            return
        seed = self._seeds.get(info.id)
        if seed is None:
            seed = self._seeds[info.id] = asyncio.ensure_future(self._seed_once(info.id))
        try:
            await asyncio.shield(seed)
        except Exception:
            if seed.done():
                self._seeds.pop(info.id, None)  # failed: the next request tries again
            raise

    async def _seed_once(self, key_id: str) -> None:
        assert self.shared is not None and self.engine is not None
        began = time.time()
        if await self.shared.incr(f"spend_seeded:{key_id}", 1) != 1:
            return
        used = await asyncio.to_thread(logged_tokens, self.engine, key_id, began)
        if used:
            await self.shared.incr(spend_key(key_id), used)

    async def spent(self, key_id: str) -> int | None:
        """Tokens counted against the key so far, reservations of requests in flight included; None
        while the shared state is unreachable."""
        if self.shared is None:
            return 0
        try:
            value = await self.shared.get(spend_key(key_id))
        except SHARED_ERRORS:
            return None
        return int(value) if value else 0


def logged_tokens(engine: Engine, key_id: str, before: float | None = None) -> int:
    """Tokens the request log holds for the key (of requests that arrived before `before`, if given)."""
    total = func.coalesce(RequestRecord.input_tokens, 0) + func.coalesce(RequestRecord.output_tokens, 0)
    stmt = select(func.coalesce(func.sum(total), 0)).where(RequestRecord.key_id == key_id)  # type: ignore[arg-type]
    if before is not None:
        stmt = stmt.where(RequestRecord.ts < before)  # type: ignore[arg-type]
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def protect(
    access: AccessControl,
    endpoint: Callable[[Request], Awaitable[Response]],
    on_error: Callable[[Request, SwitchpointError], Response],
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a public route that is not a dialect endpoint (e.g. /v1/models) with the key check."""

    async def guarded(request: Request) -> Response:
        try:
            await access.authenticate(request.headers)  # listing reserves and costs nothing
        except SwitchpointError as exc:
            return on_error(request, exc)
        return await endpoint(request)

    return guarded
