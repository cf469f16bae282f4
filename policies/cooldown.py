"""Cooldowns: a backend that fails `failures` times within `window_s` is skipped for `cooldown_s`.
Pure: the router keeps the counters (in shared state, so every replica agrees) and asks this module
what they mean."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(slots=True, frozen=True)
class CooldownPolicy:
    failures: int = 3
    window_s: float = 30.0
    cooldown_s: float = 30.0

    def trips(self, failures_in_window: int) -> bool:
        """Whether this many failures in one window put the backend in cooldown."""
        return self.failures > 0 and failures_in_window >= self.failures


def counts_as_failure(retryable: bool) -> bool:
    """Only failures another backend might not have count: connection errors, timeouts, 429 and 5xx.
    A 4xx for a bad request says nothing about the backend's health."""
    return retryable


def split_cooling(chain: Sequence[str], seconds_left: Mapping[str, float]) -> tuple[list[str], dict[str, str]]:
    """Drop the backends still cooling down, saying why. When every backend of the chain is cooling the
    chain is kept whole: trying a backend that may have recovered beats failing for certain."""
    kept = [b for b in chain if seconds_left.get(b, 0.0) <= 0.0]
    if not kept:
        return list(chain), {}
    skipped = {b: f"cooling down after repeated failures ({seconds_left[b]:.0f}s left)" for b in chain if b not in kept}
    return kept, skipped
