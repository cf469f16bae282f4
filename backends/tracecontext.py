"""The W3C `traceparent` to pass on to upstreams for the request being served.

The gateway sets it (its own request span when OpenTelemetry export is on, else the client's header
as it came) before a backend starts a request; HTTP backends send it as a header. A context variable,
so concurrent requests each see their own.
"""

from __future__ import annotations

from contextvars import ContextVar

TRACEPARENT: ContextVar[str | None] = ContextVar("switchpoint_traceparent", default=None)


def trace_headers() -> dict[str, str]:
    value = TRACEPARENT.get()
    return {"traceparent": value} if value else {}
