"""Session stickiness: a conversation stays on the backend that served it (its cache stays warm and
its style consistent) unless that backend failed recently, cannot serve this request, or the request
is harder than the ones the session was pinned for. Pure: the router stores the pins."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from backends.contract import CanonicalRequest

SESSION_HEADERS = ("x-claude-code-session-id", "x-session-id", "session_id", "session-id", "x-session-affinity")
DIFFICULTY_RANK = {"easy": 0, "medium": 1, "hard": 2}


def session_key(headers: Mapping[str, str], request: CanonicalRequest) -> str | None:
    """The conversation's identity: a client's session header, else a hash of the system prompt and the
    first user turn (both stay the same as the conversation grows). None when there is neither."""
    lower = {k.lower(): v for k, v in headers.items()}
    for h in SESSION_HEADERS:
        if lower.get(h):
            return "h:" + hashlib.sha256(lower[h].encode()).hexdigest()[:32]
    system = "\n".join(m.text() for m in request.messages if m.role == "system")
    first_user = next((m.text() for m in request.messages if m.role == "user"), None)
    if first_user is None:
        return None
    digest = hashlib.sha256(system.encode() + b"\x00" + first_user.encode()).hexdigest()[:32]
    return "p:" + digest


@dataclass(slots=True, frozen=True)
class Pin:
    backend: str
    rank: int  # the highest difficulty the session has been routed for

    def encode(self) -> str:
        return f"{self.rank}|{self.backend}"

    @staticmethod
    def decode(value: str | None) -> Pin | None:
        if not value or "|" not in value:
            return None
        rank, backend = value.split("|", 1)
        return Pin(backend, int(rank)) if rank.isdigit() else None


def stick(chain: Sequence[str], pin: Pin | None, difficulty: str, failed: set[str]) -> tuple[list[str], Pin, str]:
    """The chain with the session's backend first when it may stay there; the pin to store; why."""
    rank = DIFFICULTY_RANK.get(difficulty, 1)
    chain = list(chain)
    if pin is None:
        return chain, Pin(chain[0], rank), ""
    if pin.backend not in chain:
        return chain, Pin(chain[0], rank), f"session moved off {pin.backend}: it cannot serve this request"
    if pin.backend in failed:
        return chain, Pin(chain[0], rank), f"session moved off {pin.backend}: it failed recently"
    if rank > pin.rank and chain[0] != pin.backend:
        return chain, Pin(chain[0], rank), f"session moved to {chain[0]}: this turn is {difficulty}"
    chain.remove(pin.backend)
    return [pin.backend, *chain], Pin(pin.backend, max(rank, pin.rank)), f"session sticks to {pin.backend}"
