"""Request bodies, stored only when the operator sets `log_bodies`, with secrets redacted.

`BodyCapture` is an ASGI middleware (installed only when the setting is on, so it costs nothing
otherwise): it copies the body of each public POST as it is read, takes the request id from the
response headers, and queues `{id, body}` for `BodyLog`, a batch writer like the request log's, into
the `request_bodies` table. Redaction replaces the values of secret-named fields, anything that looks
like a credential (backends/redact.py: the same patterns as upstream error texts) and the admin key;
the caller's own key is never in a body the gateway reads, but if a client pastes one into a prompt it
is replaced too."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import insert
from sqlmodel import Field, SQLModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backends.redact import REDACTED, redact_text

from .store import BatchWriter

MAX_STORED_BYTES = 256 * 1024
MAX_DEPTH = 64

SECRET_FIELD = re.compile(
    r"(?i)(^|[_-])(api[_-]?key|apikey|key|secret|client[_-]?secret|password|passwd|passphrase|pwd|otp|totp|"
    r"token|access[_-]?token|refresh[_-]?token|id[_-]?token|authorization|auth|credentials?|cookie|"
    r"private[_-]?key)$"
)


class RequestBody(SQLModel, table=True):
    __tablename__ = "request_bodies"

    id: str = Field(primary_key=True, max_length=40)  # the request id (requests.id)
    body: str


def redact(value: Any, secrets: Sequence[str] = (), depth: int = 0) -> Any:
    """A copy of a parsed JSON value with secret-named fields and credential-like strings replaced."""
    if depth > MAX_DEPTH:
        return "[TOO DEEP]"
    if isinstance(value, dict):
        return {
            k: REDACTED if SECRET_FIELD.search(str(k)) and v not in (None, "") else redact(v, secrets, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v, secrets, depth + 1) for v in value]
    if isinstance(value, str):
        return redact_text(value, secrets)
    return value


def redact_body(raw: bytes, secrets: Sequence[str] = ()) -> str:
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return redact_text(raw[:MAX_STORED_BYTES].decode("utf-8", "replace").replace("\x00", ""), secrets)
    text = orjson.dumps(redact(parsed, secrets)).decode()
    return text[:MAX_STORED_BYTES]


class BodyLog(BatchWriter[dict[str, str]]):
    """The request log's batching writer, for the request_bodies table."""

    def _write(self, batch: list[dict[str, str]]) -> int:
        with self.engine.begin() as conn:
            conn.execute(insert(RequestBody), batch)
        return 0


class BodyCapture:
    def __init__(self, app: ASGIApp, body_log: BodyLog, secrets: Sequence[str] = ()) -> None:
        self.app = app
        self.body_log = body_log
        self.secrets = tuple(secrets)  # redacted literally: the admin key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        request_id: str | None = None

        async def receive_copy() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request" and size < MAX_STORED_BYTES:
                body = message.get("body", b"")
                chunks.append(body[: MAX_STORED_BYTES - size])
                size += len(body)
            return message

        async def send_watch(message: Message) -> None:
            nonlocal request_id
            if message["type"] == "http.response.start":
                for name, value in message.get("headers", []):
                    if name == b"x-switchpoint-request-id":
                        request_id = value.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive_copy, send_watch)
        finally:
            if request_id is not None and chunks:
                self.body_log.record({"id": request_id, "body": redact_body(b"".join(chunks), self.secrets)})
