"""OpenAI-compatible servers over HTTP: vLLM, SGLang, llama.cpp's server, Ollama, LM Studio."""

from __future__ import annotations

import os
import ssl
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any

import aiohttp
import certifi
import orjson
from yarl import URL

from .contract import CanonicalRequest, Capabilities, Event, Finish, Price, TokenCount, Usage
from .errors import (
    BackendConnectError,
    BackendError,
    BackendProtocolError,
    BackendStatusError,
    BackendTimeout,
)
from .openai_format import chat_body, chunk_events, completion_body, finish_reason, response_events, usage_from_openai
from .redact import MAX_UPSTREAM_CHARS, upstream_message
from .sse import sse_data
from .tokencount import SegmentCounter, count_off_loop, estimate, tiktoken_counter, utf8_bound
from .tokenize_http import TRANSPORT_ERRORS, TokenizeEndpoint
from .toolids import map_tool_ids, openai_ok, restore_id
from .tracecontext import trace_headers


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _error_message(body: bytes) -> str:
    """The upstream's own error text (still to be passed through upstream_message)."""
    try:
        data = orjson.loads(body)
        err = data.get("error") if isinstance(data, dict) else None
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str):
            return err
    except orjson.JSONDecodeError:
        pass
    return body[: MAX_UPSTREAM_CHARS * 2].decode("utf-8", "replace")


class OpenAIBackend:
    """One pooled aiohttp session per backend; connect, first-byte (and between-chunk) and total timeouts.

    aiohttp directly, not httpx: httpx's request and response models cost ~0.18 ms of CPU per request
    over aiohttp's own ~0.09 ms (measured through httpx-aiohttp's transport, loopback, c16)."""

    def __init__(
        self,
        name: str,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        capabilities: Capabilities | None = None,
        price: Price | None = None,
        connect_timeout: float = 5.0,
        first_byte_timeout: float = 120.0,
        total_timeout: float = 600.0,
        max_connections: int = 256,
    ) -> None:
        self.name = name
        self.model = model
        self.capabilities = capabilities or Capabilities()
        self.price = price or Price()
        self.total_timeout = total_timeout
        self._secrets = (api_key,)  # redacted from every upstream error text
        self._headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        base = base_url.rstrip("/")
        self._urls = {path: URL(base + path) for path in ("/chat/completions", "/completions", "/models")}
        self._max_connections = max_connections
        # connect: a pooled connection or a new one; sock_read: the first byte, then between chunks
        self._timeout = aiohttp.ClientTimeout(connect=connect_timeout, sock_read=first_byte_timeout)
        self._session: aiohttp.ClientSession | None = None  # made on first use, inside the event loop
        self.tokenize = TokenizeEndpoint(self.session, base_url, model)
        self._bpe: SegmentCounter | None = None
        self._bpe_tried = False

    @classmethod
    def from_env(cls, name: str, *, api_key_env: str | None, **kw: Any) -> OpenAIBackend:
        return cls(name, api_key=os.environ.get(api_key_env) if api_key_env else None, **kw)

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._max_connections, ssl=ssl.create_default_context(cafile=certifi.where())
                ),
                headers=self._headers,
                timeout=self._timeout,
            )
        return self._session

    def _errors(self, exc: BaseException) -> BackendError:
        if isinstance(exc, TimeoutError):
            return BackendTimeout(f"{self.name}: upstream timed out ({type(exc).__name__})", backend=self.name)
        return BackendConnectError(f"{self.name}: upstream connection failed ({type(exc).__name__})", backend=self.name)

    async def count_tokens(self, request: CanonicalRequest) -> TokenCount:
        """The server's own count where it has a tokenize endpoint, else tiktoken by model family, else
        the estimate."""
        n = await self.tokenize.count(request)
        if n is not None:
            return TokenCount(n, "endpoint")
        if not self._bpe_tried:
            self._bpe, self._bpe_tried = tiktoken_counter(self.model), True
        if self._bpe is not None:
            return TokenCount(await count_off_loop(self._bpe, request), "tiktoken")
        return estimate(request)

    async def _fit(self, request: CanonicalRequest) -> CanonicalRequest:
        """Lower max_tokens to what the context window leaves after the prompt: clients such as Claude Code
        ask for 64k tokens, which a server with a 32k window refuses outright. The prompt is counted only
        when its byte bound says it might not fit."""
        window = self.capabilities.context_window
        if request.max_tokens is None or request.max_tokens + utf8_bound(request) <= window:
            return request
        room = window - (await self.count_tokens(request)).tokens
        if request.max_tokens <= room:
            return request
        return replace(request, max_tokens=max(1, room))

    async def stream(self, request: CanonicalRequest) -> AsyncIterator[Event]:
        # Tool-call ids this server would refuse are mapped, and mapped back in its answer (toolids.py).
        request, reverse = map_tool_ids(await self._fit(request), openai_ok)
        if request.prompt is not None:
            path, body = "/completions", completion_body(request, self.model, stream=request.stream)
        else:
            path, body = "/chat/completions", chat_body(request, self.model, stream=request.stream)
        headers = {"content-type": "application/json", **trace_headers()}
        try:
            # allow_redirects off: an upstream may not send us elsewhere
            response = await self.session().post(
                self._urls[path], data=orjson.dumps(body), headers=headers, allow_redirects=False
            )
            try:
                if response.status >= 400:
                    raise self._status_error(response.status, response.headers, await response.read())
                if request.stream:
                    async for ev in self._read_stream(response, reverse):
                        yield ev
                    return
                for ev in response_events(self._object(await response.read())):
                    yield restore_id(ev, reverse)
            finally:
                response.release()  # back to the pool once read to the end, else the connection is closed
        except TRANSPORT_ERRORS as exc:
            raise self._errors(exc) from None

    def _object(self, body: bytes) -> dict[str, Any]:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise BackendProtocolError(f"{self.name}: upstream sent invalid JSON", backend=self.name) from None
        if not isinstance(data, dict):
            raise BackendProtocolError(f"{self.name}: upstream sent a non-object", backend=self.name)
        return data

    async def _read_stream(self, response: aiohttp.ClientResponse, reverse: dict[str, str]) -> AsyncIterator[Event]:
        reason: str | None = None
        usage: Usage | None = None
        done = False
        pending: list[Event] = []
        async for data in sse_data(response.content.iter_any()):
            if data == b"[DONE]":
                done = True
                break
            try:
                chunk = orjson.loads(data)
            except orjson.JSONDecodeError:
                raise BackendProtocolError(
                    f"{self.name}: upstream sent malformed SSE data", backend=self.name
                ) from None
            if not isinstance(chunk, dict):
                raise BackendProtocolError(f"{self.name}: upstream sent a non-object chunk", backend=self.name)
            if "error" in chunk:
                err = chunk["error"]
                msg = err.get("message") if isinstance(err, dict) else str(err)
                msg = upstream_message(str(msg), self._secrets)
                raise BackendStatusError(f"{self.name}: upstream error: {msg}", backend=self.name, upstream_status=502)
            reason = chunk_events(chunk, pending) or reason
            if chunk.get("usage"):
                usage = usage_from_openai(chunk["usage"])
            for ev in pending:
                yield restore_id(ev, reverse) if reverse else ev
            pending.clear()
        if not done and reason is None:
            raise BackendProtocolError(f"{self.name}: upstream closed the stream before it finished", backend=self.name)
        if usage is not None:
            yield usage
        yield Finish(finish_reason(reason))

    def _status_error(self, status: int, headers: Mapping[str, str], body: bytes) -> BackendStatusError:
        return BackendStatusError(
            f"{self.name}: upstream answered {status}: {upstream_message(_error_message(body), self._secrets)}",
            backend=self.name,
            upstream_status=status,
            retry_after=_retry_after(headers),
        )

    async def health(self) -> bool:
        try:
            timeout = aiohttp.ClientTimeout(total=5.0)
            async with self.session().get(self._urls["/models"], timeout=timeout, allow_redirects=False) as response:
                return response.status < 500
        except TRANSPORT_ERRORS:
            return False

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
