"""OpenTelemetry export: one span per request with the GenAI attributes and Switchpoint's own, a child
span per backend attempt, trace context taken from and passed on in `traceparent`; the gateway in
process, its upstreams on loopback; checked with the SDK's in-memory exporter and with the OTLP/HTTP
exporter against a loopback receiver that decodes the protobuf export requests. Needs the `otel` extra
(skipped without it)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.servers import ServerThread
from tests.router.helpers import log_rows

pytest.importorskip("opentelemetry.sdk", reason="the otel extra is not installed")
pytest.importorskip("opentelemetry.exporter.otlp.proto.http", reason="the otel extra is not installed")

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from router.otel import RequestTracer

CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_PARENT = f"00-{CLIENT_TRACE}-00f067aa0ba902b7-01"


def two_backends(up1: str, up2: str) -> dict[str, Any]:
    return {
        "backends": [
            {"name": "alpha", "kind": "openai", "base_url": up1, "model": "m-alpha"},
            {"name": "beta", "kind": "openai", "base_url": up2, "model": "m-beta"},
        ],
        "routes": {"default": ["alpha", "beta"]},
    }


def test_request_span_attempts_and_traceparent(gateway_app: Any, upstream: Any, upstream2: Any) -> None:
    (script1, url1), (script2, url2) = upstream, upstream2
    script1.behaviour, script1.status = "status", 503  # alpha fails: the request falls back to beta
    exporter = InMemorySpanExporter()
    with gateway_app(two_backends(url1, url2)) as (client, app):
        app.state.gateway.tracer = RequestTracer.with_exporter(exporter, batch=False)
        body = {"model": "auto", "messages": [{"role": "user", "content": "Write a haiku about rain."}]}
        r = client.post("/v1/chat/completions", json=body, headers={"traceparent": CLIENT_PARENT})
        assert r.status_code == 200 and r.headers["x-switchpoint-backend"] == "beta"
        row = log_rows(app, 1)[0]
    spans = {s.name: s for s in exporter.get_finished_spans()}
    request = spans["chat auto"]
    assert f"{request.context.trace_id:032x}" == CLIENT_TRACE  # continues the client's trace
    assert f"{request.parent.span_id:016x}" == "00f067aa0ba902b7"
    a = request.attributes
    assert a["gen_ai.operation.name"] == "chat" and a["gen_ai.provider.name"] == "openai"
    assert a["gen_ai.request.model"] == "auto" and a["gen_ai.response.model"] == "m-beta"
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (11, 7)
    assert a["gen_ai.response.finish_reasons"] == ("stop",)
    assert a["switchpoint.backend"] == "beta" and a["switchpoint.attempts"] == 2
    assert a["switchpoint.category"] == row.category and a["switchpoint.overhead_ms"] > 0
    failed, answered = spans["chat alpha"], spans["chat beta"]
    assert failed.parent.span_id == request.context.span_id == answered.parent.span_id
    assert failed.status.status_code.name == "ERROR" and answered.status.status_code.name == "UNSET"
    assert request.start_time <= failed.start_time <= failed.end_time <= answered.start_time <= request.end_time
    # both upstreams got the request span's own traceparent
    for script in (script1, script2):
        sent = script.headers[-1]["traceparent"]
        assert sent == f"00-{CLIENT_TRACE}-{request.context.span_id:016x}-01"


def test_without_export_the_clients_traceparent_is_passed_on(gateway_app: Any, upstream: Any) -> None:
    script, url1 = upstream
    config = {"backends": [{"name": "up", "kind": "openai", "base_url": url1, "model": "m"}]}
    with gateway_app(config) as (client, app):
        assert app.state.gateway.tracer is None  # off by default
        body = {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}
        assert client.post("/v1/chat/completions", json=body, headers={"traceparent": CLIENT_PARENT}).is_success
        assert client.post("/v1/chat/completions", json=body).is_success
    assert script.headers[0]["traceparent"] == CLIENT_PARENT and "traceparent" not in script.headers[1]


def otlp_receiver(received: list[ExportTraceServiceRequest]) -> Starlette:
    async def traces(request: Request) -> Response:
        assert request.headers["content-type"] == "application/x-protobuf"
        message = ExportTraceServiceRequest()
        message.ParseFromString(await request.body())
        received.append(message)
        return Response(b"", media_type="application/x-protobuf")

    return Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])


def test_otlp_http_export_to_a_loopback_receiver(gateway_app: Any, upstream: Any) -> None:
    _, url1 = upstream
    received: list[ExportTraceServiceRequest] = []
    with ServerThread(otlp_receiver(received)) as collector:
        otel = {"enabled": True, "endpoint": collector.url + "/v1/traces", "service_name": "sp-test"}
        config = {"backends": [{"name": "up", "kind": "openai", "base_url": url1, "model": "m"}], "otel": otel}
        with gateway_app(config) as (client, _):
            body = {"model": "auto", "messages": [{"role": "user", "content": "hi"}], "stream": True}
            with client.stream("POST", "/v1/chat/completions", json=body) as r:
                assert r.status_code == 200 and b"[DONE]" in r.read()
            time.sleep(0.2)
        # the gateway's shutdown flushed the batch
    spans = [s for req in received for rs in req.resource_spans for ss in rs.scope_spans for s in ss.spans]
    resources = {a.value.string_value for req in received for rs in req.resource_spans for a in rs.resource.attributes}
    assert "sp-test" in resources
    names = sorted(s.name for s in spans)
    assert names == ["chat auto", "chat up"]
    request = next(s for s in spans if s.name == "chat auto")
    attrs = {a.key: a.value for a in request.attributes}
    assert attrs["gen_ai.usage.output_tokens"].int_value == 7 and attrs["switchpoint.backend"].string_value == "up"
