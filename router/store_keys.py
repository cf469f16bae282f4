"""Virtual API keys: one row per key, holding only the SHA-256 of the secret (keys are 256-bit random,
so a plain hash is as strong as a slow one) and a short display prefix. The secret itself is shown
once, when the admin creates the key, and stored nowhere."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, Engine, delete, inspect, text
from sqlmodel import Field, Session, SQLModel, col, select

KEY_PREFIX = "sk-sp-"


class ApiKeyFields(SQLModel):
    """The columns of a key that may be shown (no hash): the admin API's response models derive from it."""

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100)
    display: str = Field(max_length=20)  # the first characters, to recognise a key in a list
    created_at: float
    expires_at: float | None = None
    budget_tokens: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    rpm: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))


class ApiKey(ApiKeyFields, table=True):
    __tablename__ = "api_keys"

    key_hash: str = Field(max_length=64, unique=True, index=True)


MAX_LIMIT = 2**63 - 1  # budgets and rates are 64-bit integers (BIGINT)


def widen_limit_columns(engine: Engine) -> None:
    """Tables created before budgets were BIGINT held them as 32-bit INTEGER on Postgres (a budget of
    3 billion failed); widen them in place. SQLite's INTEGER is already 64-bit."""
    if engine.dialect.name != "postgresql":
        return
    columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("api_keys")}
    narrow = [n for n in ("budget_tokens", "rpm") if n in columns and not isinstance(columns[n], BigInteger)]
    if narrow:
        with engine.begin() as conn:
            alter = ", ".join(f"ALTER COLUMN {n} TYPE BIGINT" for n in narrow)
            conn.execute(text(f"ALTER TABLE api_keys {alter}"))


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What authentication needs to know about a key (no secret, no hash)."""

    id: str
    name: str
    expires_at: float | None
    budget_tokens: int | None
    rpm: int | None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def create_key(
    engine: Engine,
    *,
    name: str,
    budget_tokens: int | None = None,
    rpm: int | None = None,
    expires_at: float | None = None,
) -> tuple[ApiKey, str]:
    """Insert a new key; returns the row and the secret (the only time the secret exists)."""
    secret = new_key()
    row = ApiKey(
        id="key_" + secrets.token_hex(8),
        name=name,
        key_hash=hash_key(secret),
        display=secret[: len(KEY_PREFIX) + 4],
        created_at=time.time(),
        expires_at=expires_at,
        budget_tokens=budget_tokens,
        rpm=rpm,
    )
    with Session(engine) as s:
        s.add(row)
        s.commit()
        s.refresh(row)
        s.expunge(row)
    return row, secret


def list_keys(engine: Engine) -> list[ApiKey]:
    with Session(engine) as s:
        rows = list(s.exec(select(ApiKey).order_by(col(ApiKey.created_at))).all())
        for r in rows:
            s.expunge(r)
    return rows


def delete_key(engine: Engine, key_id: str) -> bool:
    with Session(engine) as s:
        result = s.exec(delete(ApiKey).where(ApiKey.id == key_id))  # type: ignore[arg-type]
        s.commit()
        return bool(result.rowcount)


def load_key_index(engine: Engine) -> dict[str, KeyInfo]:
    """Every key by its hash, for the in-process cache of AccessControl."""
    return {r.key_hash: KeyInfo(r.id, r.name, r.expires_at, r.budget_tokens, r.rpm) for r in list_keys(engine)}
