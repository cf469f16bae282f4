"""The operator's corrections of request categories, and the versions of the classifier retrained on them.

A correction keeps the request it corrects (dialect, body, headers): the request log keeps signals, not
prompts, and retraining needs the words. Corrections stay in the operator's database; nothing sends them
anywhere. Classifier versions record where a retrained weights file lies (under the settings' home), its
checksum and its before/after scores; the active one is what every replica loads (router/classify_versions.py).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from backends.errors import InvalidRequest
from policies.classify.types import CATEGORIES


class ClassifyCorrection(SQLModel, table=True):
    __tablename__ = "classify_corrections"

    id: int | None = Field(default=None, primary_key=True)
    ts: float
    request_id: str | None = Field(default=None, max_length=40, index=True)
    category: str = Field(max_length=20)  # what the operator says it is
    previous: str | None = Field(default=None, max_length=20)  # what the classifier said
    dialect: str = Field(default="openai", max_length=16)
    body: str  # JSON: the request as the client sent it
    headers: str | None = None  # JSON object, lowercased names
    author: str | None = Field(default=None, max_length=80)


class ClassifierVersion(SQLModel, table=True):
    __tablename__ = "classifier_versions"

    version: int = Field(primary_key=True)
    ts: float
    path: str  # the weights file (under the settings' home)
    sha256: str = Field(max_length=64)
    active: bool = False
    corrections: int = 0  # corrections it was trained with
    f1_before: float | None = None  # macro F1 on the held-out corrections, classifier before ...
    f1_after: float | None = None  # ... and this one
    comment: str | None = None


@dataclass(slots=True)
class CorrectionRow:
    id: int
    category: str
    dialect: str
    body: dict[str, Any]
    headers: dict[str, str] | None


def add_correction(
    engine: Engine,
    category: str,
    dialect: str,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
    request_id: str | None = None,
    previous: str | None = None,
    author: str | None = None,
) -> int:
    if category not in CATEGORIES:
        raise InvalidRequest(f"category must be one of {', '.join(CATEGORIES)}", param="category")
    row = ClassifyCorrection(
        ts=time.time(),
        request_id=request_id,
        category=category,
        previous=previous,
        dialect=dialect,
        body=json.dumps(body, ensure_ascii=False),
        headers=json.dumps(headers) if headers else None,
        author=author,
    )
    with Session(engine) as s:
        s.add(row)
        s.commit()
        s.refresh(row)
        return int(row.id or 0)


def corrections(engine: Engine, limit: int = 100_000) -> list[CorrectionRow]:
    """Every correction, oldest first; a request corrected twice counts with its latest category."""
    with Session(engine) as s:
        rows = s.exec(select(ClassifyCorrection).order_by(col(ClassifyCorrection.id)).limit(limit)).all()
    latest: dict[str, ClassifyCorrection] = {}
    for r in rows:
        latest[r.request_id or f"#{r.id}"] = r
    return [
        CorrectionRow(
            int(r.id or 0), r.category, r.dialect, json.loads(r.body), json.loads(r.headers) if r.headers else None
        )
        for r in latest.values()
    ]


def versions(engine: Engine) -> list[ClassifierVersion]:
    with Session(engine) as s:
        return list(s.exec(select(ClassifierVersion).order_by(col(ClassifierVersion.version))).all())


def active_version(engine: Engine) -> ClassifierVersion | None:
    with Session(engine) as s:
        return s.exec(select(ClassifierVersion).where(col(ClassifierVersion.active))).first()


def add_version(
    engine: Engine,
    path: str,
    sha256: str,
    corrections_used: int,
    f1_before: float | None,
    f1_after: float | None,
    comment: str | None = None,
) -> int:
    """Record a new weights file and make it the active version."""
    with Session(engine) as s:
        last = s.exec(select(ClassifierVersion).order_by(col(ClassifierVersion.version).desc())).first()
        number = (last.version if last else 0) + 1
        for v in s.exec(select(ClassifierVersion).where(col(ClassifierVersion.active))).all():
            v.active = False
            s.add(v)
        s.add(
            ClassifierVersion(
                version=number,
                ts=time.time(),
                path=path,
                sha256=sha256,
                active=True,
                corrections=corrections_used,
                f1_before=f1_before,
                f1_after=f1_after,
                comment=comment,
            )
        )
        s.commit()
        return number


def activate(engine: Engine, version: int | None) -> None:
    """Make `version` the active one (None: back to the shipped weights)."""
    with Session(engine) as s:
        found = False
        for v in s.exec(select(ClassifierVersion)).all():
            v.active = v.version == version
            found |= v.active
            s.add(v)
        if version is not None and not found:
            raise InvalidRequest(f"no classifier version {version}", param="version")
        s.commit()


def stored_request(engine: Engine, request_id: str) -> tuple[str, dict[str, Any]] | None:
    """The dialect and body of a logged request, when the operator stores bodies (`log_bodies`)."""
    from .body_log import RequestBody
    from .store import RequestRecord

    with Session(engine) as s:
        body = s.get(RequestBody, request_id)
        record = s.get(RequestRecord, request_id)
    if body is None:
        return None
    try:
        data = json.loads(body.body)
    except ValueError:
        return None
    return (record.dialect if record else "openai"), data if isinstance(data, dict) else {}
