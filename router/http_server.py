"""The HTTP/1.1 protocol `switchpoint serve` runs: uvicorn's httptools protocol with read limits.

uvicorn reads a request's head in full before the app sees it, and httptools grows a header value by
concatenation, so a 60 MiB header costs seconds of CPU (quadratic) and hundreds of MB. This protocol
counts the bytes of each head as they arrive and, at `max_header_bytes`, stops parsing: it answers
431 in the caller's API shape and closes, discarding (never buffering) what the client still sends.

It also times reads: a connection must finish a request head within `header_timeout_s` of opening
(or of that request's first byte on a kept-alive connection), and the body within `body_timeout_s`
of the head. A timed-out head or body is answered 408 and closed; an idle connection that never
sent a byte is closed. The app then sees the client disconnect, so a slow body's request is logged
as cancelled and gives back its key's budget reservation.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from backends.errors import HeadersTooLarge, RequestError, RequestTimeout

from .http_errors import error_response, style_of
from .settings import ConnectionsConfig

# After a refusal the rest of the client's request is read and dropped, up to this long and this much,
# so that a client still sending a modest request reads the answer (closing on unread data resets it).
LINGER_S = 1.0
LINGER_BYTES = 1024 * 1024
REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """One connection. `limits` is set on the subclass `protocol_class` makes."""

    limits: ClassVar[ConnectionsConfig]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # reading a request line and headers (not a body)
        self._head_bytes = 0
        # One timer a connection, moved lazily: arming sets the deadline, and the timer, when it fires
        # early, waits again for it (no timer made and cancelled twice a request).
        self._deadline: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._refused = 0  # bytes dropped since a refusal, or 0 before one

    # ---- bytes in ----------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._refused:  # the answer is sent: drop what follows, stop reading past LINGER_BYTES
            self._refused += len(data)
            if self._refused > LINGER_BYTES:
                self.transport.pause_reading()
            return
        while data and not self.transport.is_closing():
            if not self._in_head:
                super().data_received(data)
                return
            room = self.limits.max_header_bytes - self._head_bytes
            if room <= 0:
                self._refuse(
                    HeadersTooLarge(f"request headers are over the limit of {self.limits.max_header_bytes} bytes")
                )
                return
            part, data = data[:room], data[room:]
            self._head_bytes += len(part)
            super().data_received(part)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.limits.header_timeout_s)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    # ---- parser callbacks --------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # a later request on a kept-alive connection: its head starts now
            self._arm(self.limits.header_timeout_s)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm()
        super().on_headers_complete()
        self._arm(self.limits.body_timeout_s)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0

    # ---- timeouts and refusals ---------------------------------------------------------------------

    def _arm(self, seconds: float) -> None:
        self._deadline = self.loop.time() + seconds
        if self._timer is not None and self._timer.when() > self._deadline:  # a shorter timeout than the one pending
            self._timer.cancel()
            self._timer = None
        if self._timer is None:
            self._timer = self.loop.call_at(self._deadline, self._wake)

    def _disarm(self) -> None:
        self._deadline = None

    def _wake(self) -> None:
        self._timer = None
        if self._deadline is None:
            return
        if self.loop.time() < self._deadline:
            self._timer = self.loop.call_at(self._deadline, self._wake)
            return
        self._deadline = None
        self._timed_out()

    def _timed_out(self) -> None:
        if self.transport.is_closing():
            return
        if self._in_head and self._head_bytes == 0:
            self.transport.close()  # idle: nothing to answer
            return
        part = "headers" if self._in_head else "body"
        limit = self.limits.header_timeout_s if self._in_head else self.limits.body_timeout_s
        self._refuse(RequestTimeout(f"the request {part} did not arrive within {limit:g} seconds"))

    def _refuse(self, exc: RequestError) -> None:
        """Answer `exc` (unless the app already started a response), stop parsing, close soon."""
        self._refused = 1
        self._disarm()
        cycle = None if self._in_head else self.cycle  # in a head, this request has no cycle yet
        if cycle is None or not cycle.response_started:
            path = self.url.split(b"?", 1)[0].decode("latin-1") if getattr(self, "url", None) else ""
            headers = {k.decode("latin-1").lower(): "" for k, _ in self.headers or ()}
            body = error_response(exc, style_of(path, headers)).body
            head = (
                b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
            )
            self.transport.write(head % (exc.status, REASONS[exc.status], len(body)) + body)
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the app's next receive() says http.disconnect; its sends are dropped
            cycle.message_event.set()
        self.loop.call_later(LINGER_S, self.transport.close)


def protocol_class(limits: ConnectionsConfig) -> type[GuardedHttpToolsProtocol]:
    """The protocol class for uvicorn's `http=`, holding these limits."""
    return type("SwitchpointHttpProtocol", (GuardedHttpToolsProtocol,), {"limits": limits})
