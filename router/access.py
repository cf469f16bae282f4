"""Who may call the public API, and what they may spend.

With no virtual keys configured every caller is let in: the gateway binds 127.0.0.1 by default and
coding tools send placeholder keys. Keys are read from `x-api-key` or `Authorization: Bearer`."""

from __future__ import annotations

from collections.abc import Mapping

from backends.contract import Usage


def presented_key(headers: Mapping[str, str]) -> str | None:
    key = headers.get("x-api-key")
    if key:
        return key
    auth = headers.get("authorization") or ""
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return None


class AccessControl:
    async def authenticate(self, headers: Mapping[str, str]) -> str | None:
        """The id of the caller's virtual key (never the key itself), or None when keys are off.
        Raises AuthError or RateLimited."""
        return None

    def charge(self, key_id: str | None, usage: Usage | None) -> None:
        """Count what a finished request spent against its key's budget. Must not block: an
        implementation that talks to Redis schedules the write."""
