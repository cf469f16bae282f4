"""Rule versions: every change to the routing rules is a numbered row (who, when, comment, diff)."""

from __future__ import annotations

import difflib
import time

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col

MAX_VERSION = 2**31 - 1  # the column is a 32-bit INTEGER on Postgres


class RuleVersion(SQLModel, table=True):
    __tablename__ = "rule_versions"

    version: int = Field(primary_key=True)
    yaml: str
    created_by: str = Field(max_length=64)
    created_at: float  # unix time
    comment: str = ""
    diff: str = ""


def make_diff(old: str, new: str, old_name: str, new_name: str) -> str:
    lines = difflib.unified_diff(old.splitlines(True), new.splitlines(True), old_name, new_name)
    return "".join(lines)


def latest_number(engine: Engine) -> int:
    with Session(engine) as s:
        n = s.execute(select(func.max(col(RuleVersion.version)))).scalar()
    return int(n or 0)


def get(engine: Engine, version: int | None = None) -> RuleVersion | None:
    """One version, or the latest when `version` is None."""
    with Session(engine) as s:
        q = select(RuleVersion)
        q = (
            q.where(col(RuleVersion.version) == version)
            if version is not None
            else q.order_by(
                RuleVersion.version.desc()  # type: ignore[attr-defined]
            )
        )
        row = s.execute(q.limit(1)).scalars().first()
        if row is not None:
            s.expunge(row)
        return row


def history(engine: Engine, limit: int = 100) -> list[RuleVersion]:
    with Session(engine) as s:
        q = select(RuleVersion).order_by(RuleVersion.version.desc()).limit(limit)  # type: ignore[attr-defined]
        rows = list(s.execute(q).scalars())
        for r in rows:
            s.expunge(r)
        return rows


def add(engine: Engine, yaml_text: str, created_by: str, comment: str, base_yaml: str) -> int:
    """Store a new version after the latest one; `base_yaml` is what applied before any version existed.
    Two replicas writing at once cannot take the same number: the loser retries on the next one."""
    for _ in range(5):
        prev = get(engine)
        n = (prev.version if prev else 0) + 1
        old = prev.yaml if prev else base_yaml
        diff = make_diff(old, yaml_text, f"v{n - 1}", f"v{n}")
        row = RuleVersion(
            version=n, yaml=yaml_text, created_by=created_by, created_at=time.time(), comment=comment, diff=diff
        )
        try:
            with Session(engine) as s:
                s.add(row)
                s.commit()
        except IntegrityError:
            continue
        return n
    raise RuntimeError("could not store a rule version: too many concurrent writers")
