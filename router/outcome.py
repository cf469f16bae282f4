"""What one request did, typed: built once when the request ends, then read by the request log (one
row), the key's budget, the metrics and the quality signals. Its stored fields are the columns of the
`requests` table, one for one (tests/router/test_outcome.py holds them together)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from backends.contract import CanonicalRequest, Price, TokenCount, Usage
from policies.classify.types import Classification
from policies.routing import Decision

from .dialects import Completion

# Decode speed needs enough of both to mean anything: an upstream that sends a whole answer in one read
# would otherwise be logged at millions of tokens per second.
MIN_DECODE_TOKENS = 8
MIN_DECODE_SECONDS = 0.05


@dataclass(slots=True, frozen=True)
class RequestOutcome:
    # ---- stored: one column each ----
    id: str
    ts: float
    dialect: str
    path: str
    client: str | None
    session: str | None
    key_id: str | None
    model_requested: str | None
    stream: bool
    category: str | None
    signals: str | None
    chain: str | None
    rule: str | None
    reason: str | None
    probability: float | None
    backend: str | None
    attempts: int
    attempt_errors: str | None
    ttft_ms: float | None
    decode_tps: float | None
    latency_ms: float
    overhead_ms: float
    input_tokens: int | None
    output_tokens: int | None
    cached_tokens: int | None
    cache_write_tokens: int | None
    reasoning_tokens: int | None
    tokens_estimated: bool
    cost_usd: float | None
    draft_proposed: int | None
    draft_accepted: int | None
    finish_reason: str | None
    status: str  # ok | error | cancelled
    http_status: int
    error: str | None
    # ---- not stored: what the quality signals read besides the row ----
    request: CanonicalRequest | None = None
    decision: Decision | None = None
    completion: Completion | None = None

    @property
    def usage(self) -> Usage | None:
        return self.completion.usage if self.completion is not None else None


@dataclass(slots=True)
class Trace:
    """What one request did, gathered on its way through the pipeline; `outcome()` freezes it."""

    id: str
    ts: float
    t0: float
    dialect: str
    path: str
    request: CanonicalRequest | None = None
    classification: Classification | None = None
    decision: Decision | None = None
    backend: str | None = None
    attempts: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    t_dispatch: float = 0.0
    t_first: float | None = None
    overhead: float = 0.0
    session: str | None = None
    key_id: str | None = None
    reserved: int = 0  # the key's budget tokens reserved for this request, replaced by charge()
    counted: dict[str, TokenCount] = field(default_factory=dict)  # backend -> prompt tokens, counted once
    span: Any = None  # the OpenTelemetry request span, when export is on
    failed_at: list[tuple[str, float, str]] = field(default_factory=list)  # (backend, when, error) per failure

    def outcome(
        self,
        completion: Completion | None,
        *,
        status: str,
        http_status: int,
        error: str | None = None,
        t_end: float | None = None,
        price: Price | None = None,
    ) -> RequestOutcome:
        end = t_end or time.perf_counter()
        cls, decision, req = self.classification, self.decision, self.request
        usage = completion.usage if completion is not None else None
        draft = completion.draft if completion is not None else None
        decode_tps = None
        if usage is not None and self.t_first is not None:
            decode_tps = decode_speed(usage.output_tokens, end - self.t_first)
        return RequestOutcome(
            id=self.id,
            ts=self.ts,
            dialect=self.dialect,
            path=self.path,
            client=cls.client if cls is not None else None,
            session=self.session,
            key_id=self.key_id,
            model_requested=req.model if req is not None else None,
            stream=bool(req and req.stream),
            category=cls.category if cls is not None else None,
            signals=orjson.dumps(cls).decode() if cls is not None else None,
            chain=orjson.dumps(decision.chain).decode() if decision else None,
            rule=decision.rule if decision else None,
            reason=decision.reason if decision else None,
            probability=decision.probability if decision else None,
            backend=self.backend,
            attempts=self.attempts,
            attempt_errors=orjson.dumps(self.errors).decode() if self.errors else None,
            ttft_ms=(self.t_first - self.t_dispatch) * 1000 if self.t_first is not None else None,
            decode_tps=decode_tps,
            latency_ms=(end - self.t0) * 1000,
            overhead_ms=self.overhead * 1000,
            input_tokens=usage.input_tokens if usage else None,
            output_tokens=usage.output_tokens if usage else None,
            cached_tokens=usage.cached_tokens if usage else None,
            cache_write_tokens=usage.cache_write_tokens if usage else None,
            reasoning_tokens=usage.reasoning_tokens if usage else None,
            tokens_estimated=bool(usage and usage.estimated),
            cost_usd=price.cost(usage) if price is not None and usage is not None else None,
            draft_proposed=draft.proposed if draft else None,
            draft_accepted=draft.accepted if draft else None,
            finish_reason=completion.finish_reason if completion is not None else None,
            status=status,
            http_status=http_status,
            error=error,
            request=req,
            decision=decision,
            completion=completion,
        )


def decode_speed(output_tokens: int, seconds: float) -> float | None:
    """Tokens per second after the first, or None where too few tokens or too little time passed to
    measure it."""
    if output_tokens - 1 < MIN_DECODE_TOKENS or seconds < MIN_DECODE_SECONDS:
        return None
    return (output_tokens - 1) / seconds
