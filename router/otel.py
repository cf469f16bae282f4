"""OpenTelemetry export (the `otel` extra; off unless `otel.enabled`): one span per request following
the GenAI semantic conventions, with Switchpoint's own attributes and a child span per backend attempt.

The request span's parent is the client's `traceparent`, when it sent one; upstreams get the request
span's own `traceparent` (backends/tracecontext.py), so their spans hang under it. Attempt spans are
written when the request ends, from the times the pipeline noted; an upstream's span is a sibling of
the attempt that called it, not its child. Spans go out through the SDK's batch processor (a
background thread): nothing on the request path waits for the collector.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from backends.contract import Backend
from backends.tracecontext import TRACEPARENT

from .outcome import RequestOutcome

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Attempt:
    backend: str
    start_ns: int
    end_ns: int
    error: str | None  # None: this attempt answered


def provider_of(backend: Backend | None) -> str:
    """gen_ai.provider.name: litellm's provider prefix, "openai" for OpenAI-compatible servers."""
    kind = type(backend).__name__
    if kind == "LiteLLMBackend":
        prefix = backend.model.split("/", 1)[0] if backend is not None and "/" in backend.model else "openai"
        return {"gemini": "gcp.gemini", "vertex_ai": "gcp.vertex_ai", "bedrock": "aws.bedrock"}.get(prefix, prefix)
    if kind == "OpenAIBackend":
        return "openai"
    return "switchpoint.local"


def request_attributes(out: RequestOutcome, backend: Backend | None) -> dict[str, Any]:
    """The request span's attributes from the request's outcome (GenAI conventions, then switchpoint.*)."""
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": "text_completion" if out.dialect == "completions" else "chat",
        "gen_ai.provider.name": provider_of(backend),
        "gen_ai.request.model": out.model_requested,
        "gen_ai.response.model": backend.model if backend is not None else None,
        "gen_ai.response.id": out.id,
        "gen_ai.usage.input_tokens": out.input_tokens,
        "gen_ai.usage.output_tokens": out.output_tokens,
        "gen_ai.usage.cache_read.input_tokens": out.cached_tokens,
        "gen_ai.usage.cache_creation.input_tokens": out.cache_write_tokens,
        "gen_ai.usage.reasoning.output_tokens": out.reasoning_tokens,
        "gen_ai.response.finish_reasons": [out.finish_reason] if out.finish_reason else None,
        "switchpoint.dialect": out.dialect,
        "switchpoint.category": out.category,
        "switchpoint.backend": out.backend,
        "switchpoint.rule": out.rule,
        "switchpoint.attempts": out.attempts,
        "switchpoint.overhead_ms": out.overhead_ms,
        "switchpoint.ttft_ms": out.ttft_ms,
        "switchpoint.cost_usd": out.cost_usd,
        "switchpoint.tokens_estimated": out.tokens_estimated,
        "switchpoint.draft.proposed": out.draft_proposed,
        "switchpoint.draft.accepted": out.draft_accepted,
        "http.response.status_code": out.http_status,
    }
    return {k: v for k, v in attrs.items() if v is not None}


class RequestTracer:
    """Starts and ends request spans on an SDK tracer of its own (the global provider is left alone)."""

    def __init__(self, provider: Any) -> None:
        from opentelemetry.trace import SpanKind, Status, StatusCode
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        self._provider = provider
        self._tracer = provider.get_tracer("switchpoint")
        self._propagator = TraceContextTextMapPropagator()
        self._kinds, self._status, self._codes = SpanKind, Status, StatusCode

    @classmethod
    def otlp(cls, endpoint: str, service_name: str, headers: Mapping[str, str] | None = None) -> RequestTracer:
        """Export over OTLP/HTTP (protobuf) to `endpoint` (a collector's .../v1/traces)."""
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return cls.with_exporter(OTLPSpanExporter(endpoint=endpoint, headers=dict(headers or {})), service_name)

    @classmethod
    def with_exporter(cls, exporter: Any, service_name: str = "switchpoint", batch: bool = True) -> RequestTracer:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

        provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        provider.add_span_processor(BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter))
        return cls(provider)

    def start(self, headers: Mapping[str, str], start_ns: int) -> tuple[Any, str | None]:
        """A request span, child of the client's traceparent if any; and the traceparent for upstreams."""
        parent = self._propagator.extract(carrier={k.lower(): v for k, v in headers.items()})
        span = self._tracer.start_span("chat", context=parent, kind=self._kinds.SERVER, start_time=start_ns)
        from opentelemetry.trace import set_span_in_context

        carrier: dict[str, str] = {}
        self._propagator.inject(carrier, context=set_span_in_context(span))
        return span, carrier.get("traceparent")

    def end(
        self, span: Any, out: RequestOutcome, backend: Backend | None, attempts: Sequence[Attempt], end_ns: int
    ) -> None:
        from opentelemetry.trace import set_span_in_context

        attrs = request_attributes(out, backend)
        span.update_name(f"{attrs['gen_ai.operation.name']} {out.model_requested or ''}".strip())
        span.set_attributes(attrs)
        ctx = set_span_in_context(span)
        for a in attempts:
            child = self._tracer.start_span(
                f"{attrs['gen_ai.operation.name']} {a.backend}",
                context=ctx,
                kind=self._kinds.CLIENT,
                start_time=a.start_ns,
            )
            child.set_attribute("switchpoint.backend", a.backend)
            if a.error is not None:
                child.set_attribute("error.type", "upstream_error")
                child.set_status(self._status(self._codes.ERROR, a.error[:200]))
            child.end(end_time=a.end_ns)
        if out.status == "error":
            span.set_attribute("error.type", str(out.http_status))
            span.set_status(self._status(self._codes.ERROR, (out.error or "")[:200]))
        span.end(end_time=end_ns)

    def shutdown(self) -> None:
        self._provider.shutdown()


def open_span(tracer: RequestTracer | None, ts: float, headers: Mapping[str, str]) -> Any:
    """The request span (None with export off); sets the traceparent upstreams get: the span's own, else
    the client's as it came."""
    span, parent = None, headers.get("traceparent")
    if tracer is not None:
        span, parent = tracer.start(headers, int(ts * 1e9))
    TRACEPARENT.set(parent)
    return span


def make_tracer(config: Any) -> RequestTracer | None:
    """The tracer for `config` (settings.OtelConfig), or None when export is off."""
    if not config.enabled:
        return None
    try:
        return RequestTracer.otlp(config.endpoint, config.service_name, config.headers)
    except ImportError as exc:
        raise RuntimeError(f"otel.enabled needs the otel extra: pip install 'switchpoint[otel]' ({exc})") from exc
