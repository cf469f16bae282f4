"""Cooldowns: every replica counts a backend's failures in shared state; one that fails too often
within a window is skipped for a while (the arithmetic is policies/cooldown.py)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from backends.errors import BackendError
from policies.cooldown import CooldownPolicy, counts_as_failure

from .background import Tasks
from .shared_state import SharedState

log = logging.getLogger(__name__)


class Cooldowns:
    def __init__(self, backends: Sequence[str], policy: CooldownPolicy, *, shared: SharedState, tasks: Tasks) -> None:
        self.backends = list(backends)
        self.policy = policy
        self.shared = shared
        self.tasks = tasks
        self._cooling_until: dict[str, float] = {}  # this replica's view of the shared cooldowns

    async def refresh(self) -> dict[str, float]:
        """Read every backend's cooldown from shared state; seconds left per cooling backend."""
        now = time.time()
        for name in self.backends:
            until = await self.shared.get("cooldown:until:" + name)
            if until is None:
                self._cooling_until.pop(name, None)
            else:
                self._cooling_until[name] = float(until)
        return {b: until - now for b, until in self._cooling_until.items() if until > now}

    def seconds_left(self) -> dict[str, float]:
        """Backend -> seconds of cooldown left, as this replica last saw the shared state."""
        now = time.time()
        return {b: round(until - now, 3) for b, until in self._cooling_until.items() if until > now}

    async def failed_recently(self, backend: str) -> bool:
        """Whether `backend` has failures counted in the current window."""
        return int(await self.shared.get("cooldown:fails:" + backend) or 0) > 0

    def report_failure(self, backend: str, error: BackendError) -> None:
        """An attempt on `backend` failed (before or after its first byte)."""
        if backend and counts_as_failure(error.retryable):
            self.tasks.spawn(self._count_failure(backend))

    def report_success(self, backend: str) -> None:
        """An attempt on `backend` completed (a success does not reset the window's count)."""

    async def _count_failure(self, backend: str) -> None:
        p = self.policy
        n = await self.shared.incr("cooldown:fails:" + backend, 1, p.window_s)
        if p.trips(n):
            until = time.time() + p.cooldown_s
            await self.shared.set("cooldown:until:" + backend, repr(until), p.cooldown_s)
            await self.shared.delete("cooldown:fails:" + backend)
            self._cooling_until[backend] = until
            log.warning("%s failed %d times within %.0fs: cooling down for %.0fs", backend, n, p.window_s, p.cooldown_s)
