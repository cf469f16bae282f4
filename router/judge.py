"""The optional judge: a configured backend grades a sampled share of answers with a rubric per
category, off the request path; each grade is a `judge` quality signal (0..1)."""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from typing import Any

from backends.contract import Backend, CanonicalRequest, Message, TextDelta, TextPart
from backends.errors import BackendError
from policies.quality import judge_messages, judge_pair_messages, parse_judge_score, parse_pair_scores

from .outcome import RequestOutcome
from .settings import RoutingConfig
from .store_quality import SignalWriter, signal_row

log = logging.getLogger(__name__)


def question_of(request: CanonicalRequest) -> str:
    return next((m.text() for m in reversed(request.messages) if m.role == "user"), request.prompt or "")


def answer_text(completion: Any) -> str:
    calls = "".join(f"\n[tool call] {c.name}({c.arguments})" for c in getattr(completion, "tool_calls", []))
    return (getattr(completion, "text", "") or "") + calls


class Judge:
    def __init__(self, backend: Backend, share: float, rng: random.Random | None = None) -> None:
        self.backend = backend
        self.share = share
        self._rng = rng or random.Random()

    def wants(self, out: RequestOutcome) -> bool:
        return bool(out.status == "ok" and out.backend and self._rng.random() < self.share)

    async def ask(self, request_id: str, system: str, user: str) -> str | None:
        """The judge model's reply, or None when it failed."""
        ask = CanonicalRequest(
            model=self.backend.model,
            messages=[Message("system", [TextPart(system)]), Message("user", [TextPart(user)])],
            max_tokens=24,
            temperature=0.0,
        )
        text = ""
        try:
            async for ev in self.backend.stream(ask):
                if isinstance(ev, TextDelta):
                    text += ev.text
        except BackendError as exc:
            log.info("judge %s failed on %s: %s", self.backend.name, request_id, exc.message)
            return None
        return text

    async def compare(
        self, request_id: str, category: str, request: CanonicalRequest, a: Any, b: Any
    ) -> tuple[float, float] | None:
        """Scores (0..1) of two answers to the same request, judged side by side."""
        system, user = judge_pair_messages(category, question_of(request), answer_text(a), answer_text(b))
        text = await self.ask(request_id, system, user)
        return parse_pair_scores(text) if text is not None else None

    async def grade(
        self, request_id: str, category: str, request: CanonicalRequest, completion: Any, writer: SignalWriter
    ) -> None:
        system, user = judge_messages(category, question_of(request), answer_text(completion))
        text = await self.ask(request_id, system, user)
        if text is None:
            return
        score = parse_judge_score(text)
        if score is None:
            log.info("judge %s gave no score for %s: %r", self.backend.name, request_id, text[:80])
            return
        writer.add([signal_row(request_id, "judge", score, None, self.backend.name)])


def make_judge(config: RoutingConfig, backends: Mapping[str, Backend]) -> Judge | None:
    """The judge the `routing:` settings configure (`judge_backend`, `judge_share`), or None."""
    if not config.judge_backend:
        return None
    return Judge(backends[config.judge_backend], config.judge_share)  # share 0: it only grades shadow traffic
