"""Exploration's inputs: the tuning objective, the share of traffic that explores and the per-cell
estimates, re-read from the logs in the background at most once a minute (the Thompson draw itself
happens inside the pure plan, policies/plan.py)."""

from __future__ import annotations

import asyncio
import logging
import random
import time

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from policies.plan import Exploring
from policies.tuning import CellEstimate, Objective, estimate
from policies.tuning.estimates import Cell

from .background import Tasks
from .settings import RoutingConfig
from .store_quality import load_observations

log = logging.getLogger(__name__)

ESTIMATES_EVERY_S = 60.0


def objective_of(config: RoutingConfig) -> Objective:
    """The tuning objective the `routing:` settings give."""
    return Objective(
        config.weight_quality,
        config.weight_latency,
        config.weight_cost,
        config.min_quality,
        config.max_p95_latency_ms,
    )


class Explorer:
    def __init__(
        self, config: RoutingConfig, *, engine: Engine | None, tasks: Tasks, rng: random.Random | None = None
    ) -> None:
        self.share = config.explore_share
        self.boost = config.explore_boost
        self.objective = objective_of(config)
        self.engine = engine
        self.tasks = tasks
        self.rng = rng or random.Random()
        self._estimates: dict[Cell, CellEstimate] = {}
        self._due = 0.0

    def exploring(self) -> Exploring | None:
        """What the plan needs to explore; None when exploration is off."""
        if self.share <= 0:
            return None
        self._refresh()
        return Exploring(self._estimates, self.objective, self.share, self.boost, self.rng)

    def _refresh(self) -> None:
        now = time.monotonic()
        if self.engine is None or now < self._due:
            return
        self._due = now + ESTIMATES_EVERY_S
        self.tasks.spawn(self._load(self.engine))

    async def _load(self, engine: Engine) -> None:
        try:
            obs = await asyncio.to_thread(load_observations, engine)
        except SQLAlchemyError as exc:
            log.warning("exploration: cannot read the logs: %s", exc.__class__.__name__)
            return
        self._estimates = estimate(obs)
