"""Admin API for virtual API keys.

    POST   /admin/keys        {name, budget_tokens?, rpm?, expires_at?}  -> the key, shown this once
    GET    /admin/keys        every key without its secret, with the tokens it has spent
    DELETE /admin/keys/{id}

`expires_at` is unix seconds or an ISO 8601 time (UTC when it names no zone). Creating the first key
switches the public API to keys-required; deleting the last one switches it back (unless the
operator set `require_keys`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from backends.errors import InvalidRequest, NotFound

from ..store_keys import MAX_LIMIT, ApiKey, ApiKeyFields, create_key, delete_key, list_keys

if TYPE_CHECKING:
    from . import AdminContext


class NewKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    budget_tokens: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
    rpm: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
    expires_at: float | None = Field(default=None, allow_inf_nan=False)

    @field_validator("expires_at", mode="before")
    @classmethod
    def _time(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                raise ValueError("expires_at must be unix seconds or an ISO 8601 time") from None
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
        return value


def _public(row: ApiKey) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "display": row.display + "...",
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "budget_tokens": row.budget_tokens,
        "rpm": row.rpm,
    }


class KeyOut(ApiKeyFields):
    """A key as the admin API shows it (the table's model family, without the hash)."""

    display: str = Field(description="the key's first characters and '...'")


class NewKeyOut(KeyOut):
    key: str = Field(description="the secret, shown this once")


class KeyWithSpend(KeyOut):
    spent_tokens: int | None = Field(description="null while the shared state is unreachable")


class KeyList(BaseModel):
    object: str = "list"
    data: list[KeyWithSpend]


class Deleted(BaseModel):
    id: str
    deleted: bool


def router(ctx: AdminContext) -> APIRouter:
    from . import json_response

    api = APIRouter(prefix="/keys", tags=["keys"])

    @api.post("", response_model=NewKeyOut)
    async def create(spec: NewKey) -> Any:
        row, secret = await asyncio.to_thread(
            create_key,
            ctx.state.engine,
            name=spec.name,
            budget_tokens=spec.budget_tokens,
            rpm=spec.rpm,
            expires_at=spec.expires_at,
        )
        ctx.state.access.invalidate()
        return json_response({**_public(row), "key": secret})

    @api.get("", response_model=KeyList)
    async def index() -> Any:
        rows = await asyncio.to_thread(list_keys, ctx.state.engine)
        access = ctx.state.access
        spent = await asyncio.gather(*(access.spent(r.id) for r in rows))
        data = [{**_public(r), "spent_tokens": s} for r, s in zip(rows, spent, strict=True)]
        return json_response({"object": "list", "data": data})

    @api.delete("/{key_id}", response_model=Deleted)
    async def remove(key_id: str) -> Any:
        if not key_id.startswith("key_"):
            raise InvalidRequest("not a key id", param="id")
        if not await asyncio.to_thread(delete_key, ctx.state.engine, key_id):
            raise NotFound(f"no key {key_id}", code="key_not_found")
        ctx.state.access.invalidate()
        return json_response({"id": key_id, "deleted": True})

    return api
