"""The routing service: the stateful side of routing decisions (the pure rules live in policies/).

The pipeline asks it for a decision and tells it how each attempt went, so that later decisions can
use what happened (cooldowns, stickiness, tuning)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backends.contract import CanonicalRequest
from backends.errors import BackendError
from policies.routing import Decision, Needs, RoutingTable, decide


class RoutingService:
    def __init__(self, table: RoutingTable) -> None:
        self.table = table

    def decide(self, request: CanonicalRequest, classification: Any, headers: Mapping[str, str]) -> Decision:
        needs = Needs(
            vision=classification.has_images,
            tools=bool(request.tools) and request.tool_choice != "none",
            fim=request.is_fim,
            prompt_tokens=classification.prompt_tokens,
        )
        return decide(request.model, classification.category, needs, self.table)

    def report_failure(self, backend: str, error: BackendError) -> None:
        """An attempt on `backend` failed (before or after its first byte)."""

    def report_success(self, backend: str) -> None:
        """An attempt on `backend` completed."""
