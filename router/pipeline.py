"""The one path every request takes:

wire body -> dialect.parse -> classify -> decide (gates, routes) -> backend.stream
(fallback before the first byte) -> dialect renders JSON or SSE -> one request-log row.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse

from backends.contract import Backend, Event, TokenCount, Usage
from backends.errors import (
    BackendError,
    BackendProtocolError,
    BackendTimeout,
    BodyTooLarge,
    InvalidRequest,
    RateLimited,
    SwitchpointError,
)
from backends.tokens import estimate_request_tokens, estimate_text_tokens, reservation_tokens
from policies.classify.types import Classifier
from policies.stickiness import SESSION_HEADERS

from .access import AccessControl
from .dialects import Completion, Dialect, Parsed, ResponseMeta
from .http_errors import error_response, status_of
from .metrics import Metrics
from .otel import Attempt, RequestTracer, open_span
from .outcome import Trace
from .prompt_tokens import count_for_route, prompt_count, window_counts
from .routing_service import RoutingService
from .store import RequestLog

log = logging.getLogger(__name__)


def _new_id() -> str:
    return "req_" + os.urandom(12).hex()


def attempt_times(trace: Trace, end: float, error: str | None) -> list[Attempt]:
    """Each backend attempt's span times (wall-clock ns) from the moments the pipeline noted."""

    def ns(t: float) -> int:
        return int((trace.ts + t - trace.t0) * 1e9)

    attempts, start = [], trace.t_dispatch or trace.t0
    for name, when, failure in trace.failed_at:
        attempts.append(Attempt(name, ns(start), ns(when), failure))
        start = when
    if trace.backend is not None:
        attempts.append(Attempt(trace.backend, ns(start), ns(end), error))
    return attempts


class Gateway:
    def __init__(
        self,
        *,
        backends: Mapping[str, Backend],
        classifier: Classifier,
        routing: RoutingService,
        access: AccessControl,
        request_log: RequestLog,
        metrics: Metrics,
        max_body_bytes: int,
        max_attempts: int,
        total_timeouts: Mapping[str, float],
        tracer: RequestTracer | None = None,
    ) -> None:
        self.backends = backends
        self.classifier = classifier
        self.routing = routing
        self.access = access
        self.log = request_log
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.max_attempts = max_attempts
        self.total_timeouts = total_timeouts
        self.tracer = tracer

    # ---- entry ------------------------------------------------------------------------------------

    async def handle(self, dialect: Dialect, request: Request) -> Response:
        trace = Trace(_new_id(), time.time(), time.perf_counter(), dialect.name, request.url.path)
        trace.span = open_span(self.tracer, trace.ts, request.headers)
        try:
            trace.key_id = await self.access.authenticate(request.headers)
            parsed = dialect.parse(await self._read_json(request))
            req = trace.request = parsed.request
            trace.reserved = await self.access.reserve(
                trace.key_id, reservation_tokens(req, self.access.reserve_tokens)
            )
            headers = request.headers
            cls = trace.classification = self.classifier.classify(req, headers)
            trace.session = next((headers[h] for h in SESSION_HEADERS if h in headers), None)
            counted = await window_counts(self.backends, req, trace.counted, trace.id)
            trace.decision = await self.routing.decide(req, cls, headers, trace.key_id, counted)
            if req.stream:
                return await self._stream(trace, dialect, parsed)
            return await self._complete(trace, dialect, parsed)
        except SwitchpointError as exc:
            return self._error(trace, dialect, exc)
        except orjson.JSONEncodeError:  # a free-form field nested deeper than the encoder's limit (255)
            return self._error(trace, dialect, InvalidRequest("request body nests too deeply to forward"))
        except ClientDisconnect:
            self._record(trace, None, status="cancelled", http_status=499, error="client disconnected")
            return Response(status_code=499)
        except Exception:  # a bug: answer in the client's shape, keep serving, keep the traceback
            log.exception("request %s failed", trace.id)
            return self._error(trace, dialect, SwitchpointError("internal error"))

    async def count_tokens(self, dialect: Dialect, request: Request) -> Response:
        """`POST /v1/messages/count_tokens`: the same auth and parsing as a completion, no backend; it
        reserves and spends no budget."""
        try:
            await self.access.authenticate(request.headers)
            req = dialect.parse_request(await self._read_json(request))
            cls = self.classifier.classify(req, request.headers)
            counted = await count_for_route(self.backends, self.routing.table, req, cls.category)
            content = dialect.count_tokens(req, counted.tokens)  # type: ignore[attr-defined]
        except SwitchpointError as exc:
            return error_response(exc, dialect.error_style)
        return Response(content, media_type="application/json")

    async def _read_json(self, request: Request) -> Any:
        body = await self._read_body(request)
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise InvalidRequest(f"request body is not valid JSON: {exc}") from None

    async def _read_body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise BodyTooLarge(f"request body is over the limit of {self.max_body_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body_bytes:
                raise BodyTooLarge(f"request body is over the limit of {self.max_body_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    # ---- attempts ---------------------------------------------------------------------------------

    def _failed(self, trace: Trace, name: str, exc: BackendError, last: bool) -> None:
        trace.failed_at.append((name, time.perf_counter(), exc.message))
        self.routing.report_failure(name, exc)
        trace.errors.append({"backend": name, "error": exc.message})
        category = trace.classification.category if trace.classification else ""
        self.metrics.errors.labels(name, category, exc.code or "error").inc()
        if exc.retryable and not last:
            self.metrics.fallbacks.labels(name, category).inc()
            log.info("request %s: %s failed before the first byte, falling back: %s", trace.id, name, exc.message)

    def _chain(self, trace: Trace) -> list[str]:
        assert trace.decision is not None
        return trace.decision.chain[: self.max_attempts]

    @staticmethod
    def _exhausted(trace: Trace, last: BackendError) -> BackendError:
        if len(trace.errors) <= 1:
            return last
        tried = "; ".join(f"{e['backend']}: {e['error']}" for e in trace.errors)
        last.message = f"every backend failed ({tried})"
        return last

    async def _complete(self, trace: Trace, dialect: Dialect, parsed: Parsed) -> Response:
        req, chain = parsed.request, self._chain(trace)
        trace.t_dispatch = time.perf_counter()
        for i, name in enumerate(chain):
            backend = self.backends[name]
            trace.attempts += 1
            completion = Completion()
            t_sent = time.perf_counter()
            try:
                async for ev in backend.stream(req):
                    if trace.t_first is None:
                        trace.t_first = time.perf_counter()
                    completion.add(ev)
            except BackendError as exc:
                trace.t_first = None
                self._failed(trace, name, exc, i == len(chain) - 1)
                if not exc.retryable or i == len(chain) - 1:
                    raise self._exhausted(trace, exc) from None
                continue
            trace.backend = name
            self.routing.report_success(name)
            t_done = time.perf_counter()
            trace.overhead = t_sent - trace.t0
            await self._fill_usage(trace, completion)
            meta = ResponseMeta(trace.id, backend.model, request=req, state=parsed.state)
            content = dialect.render_json(completion, meta)
            trace.overhead += time.perf_counter() - t_done
            self._record(trace, completion, status="ok", http_status=200, t_end=t_done)
            return Response(content, media_type="application/json", headers=self._headers(trace))
        raise BackendProtocolError("empty backend chain")  # unreachable: decide() never returns one

    async def _stream(self, trace: Trace, dialect: Dialect, parsed: Parsed) -> Response:
        req, chain = parsed.request, self._chain(trace)
        trace.t_dispatch = time.perf_counter()
        for i, name in enumerate(chain):
            backend = self.backends[name]
            trace.attempts += 1
            it = aiter(backend.stream(req))
            t_sent = time.perf_counter()
            try:
                first = await anext(it)
            except (BackendError, StopAsyncIteration) as raw:
                await it.aclose()  # type: ignore[attr-defined]
                exc = (
                    raw
                    if isinstance(raw, BackendError)
                    else BackendProtocolError(f"{name}: empty stream", backend=name)
                )
                self._failed(trace, name, exc, i == len(chain) - 1)
                if not exc.retryable or i == len(chain) - 1:
                    raise self._exhausted(trace, exc) from None
                continue
            trace.t_first = time.perf_counter()
            trace.backend = name
            trace.overhead = t_sent - trace.t0
            meta = ResponseMeta(
                trace.id, backend.model, include_usage=parsed.include_usage, request=req, state=parsed.state
            )
            return StreamingResponse(
                self._relay(trace, dialect, meta, it, first, self.total_timeouts.get(name, 600.0)),
                media_type="text/event-stream",
                headers={**self._headers(trace), "cache-control": "no-cache"},
            )
        raise BackendProtocolError("empty backend chain")

    async def _relay(
        self, trace: Trace, dialect: Dialect, meta: ResponseMeta, it: AsyncIterator[Event], first: Event, total: float
    ) -> AsyncIterator[bytes]:
        renderer = dialect.stream_renderer(meta)
        completion = Completion()
        completion.add(first)
        deadline = trace.t0 + total
        status, http_status, error = "cancelled", 200, None
        try:
            yield renderer.start() + renderer.event(first)
            async for ev in it:
                completion.add(ev)
                chunk = renderer.event(ev)
                if chunk:
                    yield chunk
                if time.perf_counter() > deadline:
                    raise BackendTimeout(
                        f"{trace.backend}: total timeout of {total:.0f}s reached", backend=trace.backend or ""
                    )
            await self._fill_usage(trace, completion)
            yield renderer.finish(completion)
            status = "ok"
            self.routing.report_success(trace.backend or "")
        except BackendError as exc:
            self.routing.report_failure(trace.backend or "", exc)
            status, http_status, error = "error", status_of(exc), exc.message
            category = trace.classification.category if trace.classification else ""
            self.metrics.errors.labels(trace.backend or "", category, exc.code or "error").inc()
            log.warning("request %s: %s failed mid-stream: %s", trace.id, trace.backend, exc.message)
            await self._fill_usage(trace, completion)
            yield renderer.error(exc)
        finally:
            # A client that hangs up still pays for what it was sent: counted where the upstream said,
            # else from the text relayed so far. Recorded before any await: a cancelled task may not
            # get past its next one.
            if completion.usage is None:
                self._estimate_usage(trace, completion, trace.counted.get(trace.backend or ""))
            self._record(trace, completion, status=status, http_status=http_status, error=error)
            await it.aclose()  # type: ignore[attr-defined]

    # ---- results ----------------------------------------------------------------------------------

    async def _fill_usage(self, trace: Trace, completion: Completion) -> None:
        """Usage is always known: the upstream's count, else the backend's count of the prompt and our
        documented estimate of the answer, flagged as counted by us."""
        if completion.usage is None and trace.request is not None:
            counted = await prompt_count(self.backends, trace.backend, trace.request, trace.counted, trace.id)
            self._estimate_usage(trace, completion, counted)

    @staticmethod
    def _estimate_usage(trace: Trace, completion: Completion, prompt: TokenCount | None) -> None:
        """Usage counted by us: the prompt as counted (else estimated), the answer relayed, estimated."""
        if trace.request is None:
            return
        text = completion.text + "".join(t.name + t.arguments for t in completion.tool_calls)
        completion.usage = Usage(
            input_tokens=prompt.tokens if prompt is not None else estimate_request_tokens(trace.request),
            output_tokens=estimate_text_tokens(text),
            estimated=True,
        )

    def _headers(self, trace: Trace) -> dict[str, str]:
        h = {"x-switchpoint-request-id": trace.id, "x-switchpoint-overhead-ms": f"{trace.overhead * 1000:.3f}"}
        if trace.backend:
            h["x-switchpoint-backend"] = trace.backend
        if trace.classification is not None:
            h["x-switchpoint-category"] = trace.classification.category
        return h

    def _error(self, trace: Trace, dialect: Dialect, exc: SwitchpointError) -> Response:
        status = status_of(exc)
        if isinstance(exc, RateLimited | BackendError) or status >= 500:
            log.warning("request %s: %s %s", trace.id, status, exc.message)
        self._record(trace, None, status="error", http_status=status, error=exc.message)
        return error_response(exc, dialect.error_style, headers=self._headers(trace))

    def _record(
        self,
        trace: Trace,
        completion: Completion | None,
        *,
        status: str,
        http_status: int,
        error: str | None = None,
        t_end: float | None = None,
    ) -> None:
        backend = self.backends.get(trace.backend) if trace.backend else None
        end = t_end or time.perf_counter()
        out = trace.outcome(
            completion,
            status=status,
            http_status=http_status,
            error=error,
            t_end=end,
            price=backend.price if backend is not None else None,
        )
        self.log.record(out)
        if self.tracer is not None and trace.span is not None:
            attempts = attempt_times(trace, end, error)
            self.tracer.end(trace.span, out, backend, attempts, int((trace.ts + end - trace.t0) * 1e9))
            trace.span = None
        if trace.key_id is not None:
            self.access.charge(trace.key_id, out.usage, trace.reserved)
        self.routing.observe(out)
        self.metrics.observe(out)
