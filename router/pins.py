"""Session pins: which backend each conversation is pinned to, in shared state so every replica
agrees (the choice itself is policies/stickiness.py, applied inside the pure plan)."""

from __future__ import annotations

import time
from collections.abc import Mapping

from backends.contract import CanonicalRequest
from policies.routing import Decision
from policies.stickiness import Pin, session_key

from .background import Tasks
from .shared_state import SharedState

MAX_TRACKED = 10_000


class SessionPins:
    def __init__(self, ttl_s: float, *, shared: SharedState, tasks: Tasks) -> None:
        self.ttl_s = ttl_s
        self.shared = shared
        self.tasks = tasks
        self._pins: dict[str, float] = {}  # sessions this replica pinned -> expiry

    def key(self, headers: Mapping[str, str], request: CanonicalRequest) -> str | None:
        """The request's session key; None when stickiness is off or the request has no session."""
        return session_key(headers, request) if self.ttl_s > 0 else None

    async def read(self, key: str) -> Pin | None:
        return Pin.decode(await self.shared.get("sticky:" + key))

    async def store(self, key: str, old: Pin | None, new: Pin) -> None:
        """Keep the session's pin after a decision (written only when it changed)."""
        if new != old:
            await self.shared.set("sticky:" + key, new.encode(), self.ttl_s)
        now = time.monotonic()
        self._pins[key] = now + self.ttl_s
        if len(self._pins) > MAX_TRACKED:
            self._pins = {k: t for k, t in self._pins.items() if t > now}

    def served(self, decision: Decision | None, backend: str | None, ok: bool) -> None:
        """A request finished: after a fallback the session stays where it was actually served."""
        if decision is None or decision.session is None or decision.pin is None:
            return
        if not ok or not backend or backend == decision.pin.backend:
            return
        pin = Pin(backend, decision.pin.rank).encode()
        self.tasks.spawn(self.shared.set("sticky:" + decision.session, pin, self.ttl_s))

    def count(self) -> int:
        """Sessions this replica pinned that have not expired."""
        now = time.monotonic()
        return sum(1 for t in self._pins.values() if t > now)
