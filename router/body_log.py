"""Request bodies, stored only when the operator sets `log_bodies`, with secrets redacted.

`BodyCapture` is an ASGI middleware (installed only when the setting is on, so it costs nothing
otherwise): it copies the body of each public POST as it is read, takes the request id from the
response headers, and queues `{id, body}` for `BodyLog`, a batch writer like the request log's, into
the `request_bodies` table. Redaction replaces the values of secret-named fields and anything that
looks like a credential (API keys, bearer tokens, private keys); the caller's own key is never in a
body the gateway reads, but if a client pastes one into a prompt it is replaced too."""

from __future__ import annotations

import re
from typing import Any

import orjson
from sqlalchemy import insert
from sqlmodel import Field, SQLModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .store import BatchWriter

MAX_STORED_BYTES = 256 * 1024
MAX_DEPTH = 64
REDACTED = "[REDACTED]"

SECRET_FIELD = re.compile(
    r"(?i)(^|[_-])(api[_-]?key|apikey|key|secret|client[_-]?secret|password|passwd|token|access[_-]?token|"
    r"refresh[_-]?token|id[_-]?token|authorization|auth|credentials?|cookie|private[_-]?key)$"
)
SECRET_TEXT = re.compile(
    r"(sk-[A-Za-z0-9_\-]{12,}|Bearer\s+[A-Za-z0-9._~+/\-]{8,}=*|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_\-]{35}"
    r"|gh[pousr]_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9\-]{10,}|eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]+"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----)"
)


class RequestBody(SQLModel, table=True):
    __tablename__ = "request_bodies"

    id: str = Field(primary_key=True, max_length=40)  # the request id (requests.id)
    body: str


def redact_text(text: str) -> str:
    return SECRET_TEXT.sub(REDACTED, text)


def redact(value: Any, depth: int = 0) -> Any:
    """A copy of a parsed JSON value with secret-named fields and credential-like strings replaced."""
    if depth > MAX_DEPTH:
        return "[TOO DEEP]"
    if isinstance(value, dict):
        return {
            k: REDACTED if SECRET_FIELD.search(str(k)) and v not in (None, "") else redact(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v, depth + 1) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_body(raw: bytes) -> str:
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return redact_text(raw[:MAX_STORED_BYTES].decode("utf-8", "replace").replace("\x00", ""))
    text = orjson.dumps(redact(parsed)).decode()
    return text[:MAX_STORED_BYTES]


class BodyLog(BatchWriter[dict[str, str]]):
    """The request log's batching writer, for the request_bodies table."""

    def _write(self, batch: list[dict[str, str]]) -> int:
        with self.engine.begin() as conn:
            conn.execute(insert(RequestBody), batch)
        return 0


class BodyCapture:
    def __init__(self, app: ASGIApp, body_log: BodyLog) -> None:
        self.app = app
        self.body_log = body_log

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
                self.body_log.record({"id": request_id, "body": redact_body(b"".join(chunks))})
