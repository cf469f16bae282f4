"""Backoff on failed admin logins, per client address: after FREE_FAILURES wrong keys a client must
wait 1 s, then 2 s, 4 s, ... up to MAX_BLOCK_S before it may try again (the right key included); its
failures are forgotten an hour after the first one, or at once by a success. Counted in SharedState,
so replicas sharing Redis share the count. While the shared state is unreachable logins are not limited (logged): the
admin key is at least 32 characters, so the limit slows guessing down, it is not what stops it."""

from __future__ import annotations

import logging
import time

from backends.errors import RateLimited

from ..access import SHARED_ERRORS
from ..shared_state import SharedState

log = logging.getLogger(__name__)

FREE_FAILURES = 5
MAX_BLOCK_S = 900.0
FORGET_S = 3600.0


class LoginLimiter:
    def __init__(self, shared: SharedState) -> None:
        self.shared = shared

    async def check(self, client: str) -> None:
        """Raise RateLimited while `client` must wait after its failed logins."""
        try:
            until = await self.shared.get(f"login_block:{client}")
        except SHARED_ERRORS as exc:
            log.warning("admin login: shared state unavailable, not limiting: %s", type(exc).__name__)
            return
        wait = float(until) - time.time() if until else 0.0
        if wait > 0:
            raise RateLimited(
                f"too many failed admin logins from {client}; try again in {wait:.0f} s", retry_after=wait
            )

    async def failed(self, client: str) -> None:
        try:
            n = await self.shared.incr(f"login_fail:{client}", 1, ttl_s=FORGET_S)
            if n >= FREE_FAILURES:
                block = min(2.0 ** min(n - FREE_FAILURES, 20), MAX_BLOCK_S)
                await self.shared.set(f"login_block:{client}", str(time.time() + block), ttl_s=block)
        except SHARED_ERRORS as exc:
            log.warning("admin login: shared state unavailable, failure not counted: %s", type(exc).__name__)
        log.warning("admin login: wrong key from %s", client)

    async def succeeded(self, client: str) -> None:
        try:
            await self.shared.delete(f"login_fail:{client}")
        except SHARED_ERRORS as exc:
            log.warning("admin login: shared state unavailable: %s", type(exc).__name__)
