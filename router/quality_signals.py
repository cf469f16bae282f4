"""Quality signals from served traffic, off the request path: implicit signals (tool-call arguments,
finish reason, upstream errors, a prompt re-sent within minutes), the judge's grades and shadow
traffic. They feed the tuner (router/tuning.py) and exploration."""

from __future__ import annotations

import hashlib

from sqlalchemy import Engine

from backends.contract import CanonicalRequest
from policies.quality import RESENT, implicit_signals, tool_call_problems

from .background import Tasks
from .judge import Judge
from .outcome import RequestOutcome
from .shadow import Shadow
from .shared_state import SharedState
from .store_quality import SignalWriter, signal_row

RESENT_WINDOW_S = 300.0


class QualitySignals:
    def __init__(
        self,
        *,
        engine: Engine | None,
        shared: SharedState,
        tasks: Tasks,
        judge: Judge | None = None,
        shadow: Shadow | None = None,
    ) -> None:
        self.writer = SignalWriter(engine) if engine is not None else None
        self.shared = shared
        self.tasks = tasks
        self.judge = judge
        self.shadow = shadow

    def observe(self, out: RequestOutcome) -> None:
        """A finished request: store its implicit signals; maybe have it judged or shadowed."""
        writer, request, completion = self.writer, out.request, out.completion
        if writer is None or out.status == "cancelled":
            return
        problems = None
        calls = completion.tool_calls if completion is not None else []
        if request is not None and calls and request.tools:
            problems = tool_call_problems(((c.name, c.arguments) for c in calls), request.tools)
        found = implicit_signals(status=out.status, finish_reason=out.finish_reason, tool_problems=problems)
        writer.add(signal_row(out.id, k, s, label, "gateway") for k, s, label in found)
        if request is None:
            return
        if request.messages and out.status == "ok":
            self.tasks.spawn(self._check_resent(out.id, request))
        if self.shadow is not None and self.shadow.wants(out, request):
            self.tasks.spawn(self.shadow.run(out, request, completion, writer))
        elif self.judge is not None and self.judge.wants(out):
            self.tasks.spawn(self.judge.grade(out.id, out.category or "prose", request, completion, writer))

    async def _check_resent(self, request_id: str, request: CanonicalRequest) -> None:
        text = "\x00".join(f"{m.role}:{m.text()}" for m in request.messages)
        key = "prompt:" + hashlib.sha256(text.encode()).hexdigest()[:32]
        previous = await self.shared.get(key)
        await self.shared.set(key, request_id, RESENT_WINDOW_S)
        if previous is not None and previous != request_id and self.writer is not None:
            self.writer.add([signal_row(previous, "resent", RESENT, f"re-sent as {request_id}", "gateway")])

    async def aclose(self) -> None:
        await self.tasks.aclose()
        if self.writer is not None:
            await self.writer.aclose()
