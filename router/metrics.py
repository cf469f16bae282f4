"""Prometheus metrics, on a registry of the app's own (no process globals)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

if TYPE_CHECKING:
    from .outcome import RequestOutcome

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "switchpoint_requests", "Requests served", ["backend", "category", "status"], registry=r
        )
        self.latency = Histogram(
            "switchpoint_request_latency_seconds",
            "Total latency",
            ["backend", "category"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.ttft = Histogram(
            "switchpoint_ttft_seconds",
            "Time to first token",
            ["backend", "category"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens = Counter("switchpoint_tokens", "Tokens", ["backend", "category", "direction"], registry=r)
        self.errors = Counter("switchpoint_errors", "Errors by kind", ["backend", "category", "code"], registry=r)
        self.fallbacks = Counter(
            "switchpoint_fallbacks", "Moves to the next backend in a chain", ["backend", "category"], registry=r
        )
        self.dropped_log_rows = Counter("switchpoint_log_rows_dropped", "Request-log rows dropped", registry=r)
        self.quarantined_log_rows = Counter(
            "switchpoint_log_rows_quarantined",
            "Request-log rows the database refused, written again without their free-text values",
            registry=r,
        )

    def observe(self, out: RequestOutcome) -> None:
        b, c = out.backend or "none", out.category or "none"
        self.requests.labels(b, c, out.status).inc()
        self.latency.labels(b, c).observe(out.latency_ms / 1000)
        if out.ttft_ms is not None:
            self.ttft.labels(b, c).observe(out.ttft_ms / 1000)
        if out.input_tokens is not None:
            self.tokens.labels(b, c, "in").inc(out.input_tokens)
        if out.output_tokens is not None:
            self.tokens.labels(b, c, "out").inc(out.output_tokens)

    def render(self) -> bytes:
        return generate_latest(self.registry)
