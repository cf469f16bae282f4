"""Revoked admin sessions: a session cookie is signed, not stored, so logging out writes its nonce here
and every replica (they share the database) refuses it from then on. Rows outlive their session by
nothing: each is deleted once the session it names would have expired anyway."""

from __future__ import annotations

import time

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select


class RevokedSession(SQLModel, table=True):
    __tablename__ = "admin_session_revocations"

    nonce: str = Field(primary_key=True, max_length=64)
    expires_at: float


def revoke(engine: Engine, nonce: str, expires_at: float) -> None:
    """Refuse the session `nonce` from now on (until `expires_at`, when it would have lapsed anyway)."""
    with Session(engine) as s:
        s.exec(delete(RevokedSession).where(col(RevokedSession.expires_at) < time.time()))
        s.add(RevokedSession(nonce=nonce, expires_at=expires_at))
        try:
            s.commit()
        except IntegrityError:  # revoked twice (two logouts racing): already done
            s.rollback()


def is_revoked(engine: Engine, nonce: str) -> bool:
    with Session(engine) as s:
        return s.exec(select(RevokedSession.nonce).where(RevokedSession.nonce == nonce)).first() is not None
