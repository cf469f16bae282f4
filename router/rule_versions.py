"""Rule versions: the operator rules in force on this replica. Version 0 is the configuration's
`rules:`; every change (admin API, `switchpoint tune --apply`) is a numbered version in the database,
announced through shared state so every replica picks it up within `rules_poll_s`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from backends.errors import InvalidRequest
from policies.rules import RuleSet, parse_rules, parse_rules_yaml

from . import store_rules
from .shared_state import SharedState

log = logging.getLogger(__name__)

RULES_KEY = "rules:version"


class RuleVersions:
    def __init__(
        self,
        backends: Sequence[str],
        rules: list[dict[str, Any]],
        *,
        shared: SharedState,
        engine: Engine | None,
        poll_s: float,
    ) -> None:
        self.backends = list(backends)
        self.shared = shared
        self.engine = engine
        self.poll_s = poll_s
        ruleset, errors = parse_rules(rules, self.backends)
        if errors:
            raise ValueError("; ".join(errors))
        self.rules = ruleset
        self.base_yaml = self.yaml_text = ruleset.to_yaml()
        self.version = 0
        self.version_meta: dict[str, Any] = {"created_by": "config", "created_at": time.time(), "comment": "config"}
        self._next_poll = 0.0
        self._polls = 0

    async def maybe_reload(self, force: bool = False) -> None:
        """Pick up a rule version another replica (or the admin API) stored; at most every poll_s."""
        now = time.monotonic()
        if self.engine is None or (now < self._next_poll and not force):
            return
        self._next_poll = now + self.poll_s
        self._polls += 1
        published = await self.shared.get(RULES_KEY)
        # Redis says when a version changes; the database is read anyway every 5th poll, for writers
        # that could not reach Redis (and for replicas that share only the database).
        if published is not None and int(published) == self.version and not force and self._polls % 5:
            return
        try:
            row = await asyncio.to_thread(store_rules.get, self.engine)
        except SQLAlchemyError as exc:
            log.warning("rules: cannot read the current version, keeping v%d: %s", self.version, exc)
            return
        if row is None or row.version == self.version:
            return
        ruleset, errors = parse_rules_yaml(row.yaml, self.backends)
        if errors:
            log.warning("rules: v%d does not apply here, keeping v%d: %s", row.version, self.version, errors)
            return
        self.rules, self.version, self.yaml_text = ruleset, row.version, row.yaml
        self.version_meta = {"created_by": row.created_by, "created_at": row.created_at, "comment": row.comment}
        log.info("rules: now at v%d", row.version)

    def validate(self, yaml_text: str) -> tuple[RuleSet, list[str]]:
        return parse_rules_yaml(yaml_text, self.backends)

    async def publish(self, yaml_text: str, created_by: str, comment: str) -> int:
        """Validate and store a new version; this replica applies it at once, the others within poll_s."""
        if self.engine is None:
            raise InvalidRequest("rule versions need a database")
        _, errors = self.validate(yaml_text)
        if errors:
            raise InvalidRequest("invalid rules: " + "; ".join(errors))
        n = await asyncio.to_thread(store_rules.add, self.engine, yaml_text, created_by, comment, self.base_yaml)
        await self.shared.set(RULES_KEY, str(n))
        await self.maybe_reload(force=True)
        return n
