"""The routing service: what the pipeline calls around each request. It owns nothing itself; the app
factory builds the parts and passes them in:

- Decider (decider.py): rule versions (rule_versions.py), cooldowns (cooldowns.py), session pins
  (pins.py) and exploration (exploration.py) read for the pure plan (policies/plan.py), whose
  decision is final;
- QualitySignals (quality_signals.py): implicit signals, the judge and shadow traffic.

Per request the pipeline calls decide(), then report_failure() / report_success() per attempt, then
observe() once with what the request produced."""

from __future__ import annotations

from collections.abc import Mapping

from backends.contract import CanonicalRequest
from backends.errors import BackendError
from policies.classify.types import Classification
from policies.routing import Decision, RoutingTable

from .background import Tasks
from .cooldowns import Cooldowns
from .decider import Decider
from .outcome import RequestOutcome
from .pins import SessionPins
from .quality_signals import QualitySignals
from .rule_versions import RuleVersions


class RoutingService:
    def __init__(self, decider: Decider, signals: QualitySignals, *, tasks: Tasks) -> None:
        self.decider = decider
        self.signals = signals
        self.tasks = tasks  # the background work of the decider's parts (cooldown counts, re-pins, estimates)

    @property
    def table(self) -> RoutingTable:
        return self.decider.table

    @property
    def versions(self) -> RuleVersions:
        return self.decider.versions

    @property
    def cooldowns(self) -> Cooldowns:
        return self.decider.cooldowns

    @property
    def pins(self) -> SessionPins:
        return self.decider.pins

    async def decide(
        self,
        request: CanonicalRequest,
        classification: Classification,
        headers: Mapping[str, str],
        key_id: str | None = None,
        counted: Mapping[str, int] | None = None,
    ) -> Decision:
        return await self.decider.decide(request, classification, headers, key_id, counted)

    def report_failure(self, backend: str, error: BackendError) -> None:
        """An attempt on `backend` failed (before or after its first byte)."""
        self.decider.cooldowns.report_failure(backend, error)

    def report_success(self, backend: str) -> None:
        """An attempt on `backend` completed."""
        self.decider.cooldowns.report_success(backend)

    def observe(self, out: RequestOutcome) -> None:
        """A finished request: re-pin its session after a fallback; record its quality signals."""
        self.decider.pins.served(out.decision, out.backend, out.status == "ok")
        self.signals.observe(out)

    async def aclose(self) -> None:
        await self.tasks.aclose()
        await self.signals.aclose()
