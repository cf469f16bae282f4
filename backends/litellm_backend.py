"""Cloud models through litellm (Gemini first; any litellm provider works). litellm translates the
OpenAI-shaped request to the provider's REST API, including cleaning tool schemas for Gemini."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import re
import socket
import ssl
import traceback
import warnings
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any

import httpx
import openai
import orjson

from .contract import CanonicalRequest, Capabilities, Event, Finish, Price, TokenCount, Usage
from .errors import (
    BackendConnectError,
    BackendError,
    BackendProtocolError,
    BackendRejectedRequest,
    BackendStatusError,
    BackendTimeout,
)
from .openai_format import (
    canonical_fields,
    chunk_events,
    finish_reason,
    response_events,
    usage_from_openai,
)
from .pricing import litellm_price
from .redact import upstream_message
from .tokencount import SegmentCounter, count_off_loop, estimate
from .toolids import id_rule, map_tool_ids, restore_id
from .tracecontext import trace_headers

# Where litellm builds the provider's request from ours: an error raised there is the client's input
# (an image it cannot fetch, a tool result without its call, tool arguments that are not JSON), found
# before anything was sent. litellm wraps those in the same APIConnectionError as a refused connection.
_REQUEST_BUILDING = re.compile(r"transform_request|transform_messages|convert_messages|prompt_templates")
_TRANSPORT = (httpx.TransportError, ConnectionError, TimeoutError, socket.gaierror, ssl.SSLError)


def _causes(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in out and len(out) < 16:
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def _transport_failed(exc: BaseException) -> bool:
    return any(isinstance(c, _TRANSPORT) or type(c).__module__.startswith("aiohttp") for c in _causes(exc))


def _raised_building_request(exc: BaseException) -> bool:
    for cause in _causes(exc):
        for frame in traceback.extract_tb(cause.__traceback__):
            if _REQUEST_BUILDING.search(frame.name) or "prompt_templates" in frame.filename:
                return True
    return False


log = logging.getLogger(__name__)


def _import_litellm() -> Any:
    # Without this litellm fetches a price map from the internet at import, and stalls offline.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    return litellm


# Modules litellm imports inside a provider's request building, which a mocked completion never reaches.
_PROVIDER_MODULES = {
    "gemini": ("litellm.llms.vertex_ai.context_caching.vertex_ai_context_caching",),
    "vertex_ai": ("litellm.llms.vertex_ai.context_caching.vertex_ai_context_caching",),
}


def _warm(litellm: Any, model: str) -> None:
    """Pay litellm's lazy imports now rather than inside the first request: its first completion
    imports provider modules (some of which make pydantic warn at import). One mocked completion,
    plain and streamed, sends nothing anywhere (later calls cost about 5 ms); then the modules the
    provider's own request building imports."""
    messages = [{"role": "user", "content": "warm"}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # third-party import-time notes, raised once, not ours to fix
        for name in _PROVIDER_MODULES.get(model.split("/", 1)[0], ()):
            importlib.import_module(name)
        try:
            kw = {"model": model, "messages": messages, "mock_response": "ok", "api_key": "unused"}
            litellm.completion(**kw)
            for _ in litellm.completion(**kw, stream=True):
                pass
        except openai.OpenAIError as exc:  # a model litellm cannot place: the first request will say so
            log.info("litellm warm-up for %s skipped: %s", model, type(exc).__name__)


def litellm_counter(lt: Any, model: str) -> SegmentCounter:
    """litellm's counter for `model` (its tokenizer where it ships one, else tiktoken), segment by segment
    so a conversation's earlier turns are counted once."""

    def tools_len(segments: list[str]) -> int:  # litellm's own rendering of tool definitions
        tools = [{"type": "function", "function": orjson.loads(s)} for s in segments]
        one = [{"role": "user", "content": ""}]
        return int(
            lt.token_counter(model=model, messages=one, tools=tools) - lt.token_counter(model=model, messages=one)
        )

    # litellm's count of a text does not add up by paragraph (with tiktoken it counts 1,024-character chunks;
    # its Claude tokenizer is off by a token or so a cut, measured): texts are counted whole
    return SegmentCounter(
        lambda text: int(lt.token_counter(model=model, text=text)), tools_len=tools_len, paragraphs=False
    )


class LiteLLMBackend:
    def __init__(
        self,
        name: str,
        *,
        model: str,
        api_key_env: str | None = None,
        base_url: str | None = None,
        capabilities: Capabilities | None = None,
        price: Price | None = None,
        price_overrides: dict[str, float] | None = None,
        first_byte_timeout: float = 120.0,
        total_timeout: float = 600.0,
    ) -> None:
        self.name = name
        self.model = model
        self.capabilities = capabilities or Capabilities()
        self._api_key_env = api_key_env
        self._base_url = base_url
        self._timeout = first_byte_timeout
        self.total_timeout = total_timeout
        self._litellm = _import_litellm()
        _warm(self._litellm, model)
        # `price` as given, else litellm's price map with the operator's overrides (backends/pricing.py)
        self.price = price or litellm_price(self._litellm.model_cost, model, price_overrides)
        self._counter: SegmentCounter | None = None

    def _kwargs(self, req: CanonicalRequest) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "model": self.model,
            "stream": req.stream,
            "timeout": self._timeout,
            "drop_params": True,
            **canonical_fields(req),
        }
        if self._api_key_env:
            kw["api_key"] = os.environ.get(self._api_key_env)
        if self._base_url:
            kw["api_base"] = self._base_url
        if req.stream:
            kw["stream_options"] = {"include_usage": True}
        if trace_headers():
            kw["extra_headers"] = trace_headers()
        if self.model.startswith("anthropic/") and req.thinking is not None:
            kw["thinking"] = req.thinking  # Claude models take Anthropic's thinking settings as sent
        return kw

    def _map_error(self, exc: Exception) -> BackendError:
        lt = self._litellm
        key = os.environ.get(self._api_key_env) if self._api_key_env else None
        text = re.sub(r"^litellm\.\w+:\s*", "", str(exc))
        msg = f"{self.name}: {type(exc).__name__}: {upstream_message(text, (key,))}"
        if isinstance(exc, lt.Timeout):
            return BackendTimeout(msg, backend=self.name)
        if isinstance(exc, lt.APIConnectionError) and getattr(exc, "status_code", 500) in (None, 500):
            if not _transport_failed(exc) and _raised_building_request(exc):
                return BackendRejectedRequest(msg, backend=self.name)
            return BackendConnectError(msg, backend=self.name)
        status = getattr(exc, "status_code", None)
        if isinstance(exc, lt.BadRequestError) and status == 400:
            return BackendRejectedRequest(msg, backend=self.name)
        if isinstance(status, int):
            return BackendStatusError(msg, backend=self.name, upstream_status=status)
        return BackendProtocolError(msg, backend=self.name)

    def stream(self, request: CanonicalRequest) -> AsyncIterator[Event]:
        return self._mapped(request)

    async def _mapped(self, request: CanonicalRequest) -> AsyncIterator[Event]:
        """Tool-call ids this provider would refuse are mapped, and mapped back in its answer (toolids.py);
        Gemini gets its own ids, thought signatures included, untouched."""
        request, reverse = map_tool_ids(request, id_rule(self.model))
        async with aclosing(self._send(request)) as events:
            async for ev in events:
                yield restore_id(ev, reverse)

    async def _send(self, request: CanonicalRequest) -> AsyncGenerator[Event, None]:
        if request.prompt is not None:
            raise BackendStatusError(
                f"{self.name}: fill-in-the-middle is not supported", backend=self.name, upstream_status=400
            )
        lt = self._litellm
        try:
            response = await lt.acompletion(**self._kwargs(request))
            if not request.stream:
                for ev in response_events(response.model_dump()):
                    yield ev
                return
            reason: str | None = None
            usage: Usage | None = None
            pending: list[Event] = []
            async for chunk in response:
                data = chunk.model_dump()
                reason = chunk_events(data, pending) or reason
                if data.get("usage"):
                    usage = usage_from_openai(data["usage"])
                for ev in pending:
                    yield ev
                pending.clear()
        except BackendError:
            raise
        except openai.OpenAIError as exc:  # every litellm error derives from it
            raise self._map_error(exc) from None
        if usage is not None:
            yield usage
        yield Finish(finish_reason(reason))

    async def count_tokens(self, request: CanonicalRequest) -> TokenCount:
        """litellm's counter for this model (its tokenizer where it ships one, else tiktoken), segment by
        segment so a conversation's earlier turns are counted once."""
        try:
            if self._counter is None:  # litellm loads its tokenizer on first use: in a worker thread
                counter = litellm_counter(self._litellm, self.model)
                n = await asyncio.to_thread(counter.count, request)
                self._counter = counter
                return TokenCount(n, "litellm")
            return TokenCount(await count_off_loop(self._counter, request), "litellm")
        except (ValueError, KeyError, OSError) as exc:
            log.warning("%s: litellm could not count tokens (%s); using the estimate", self.name, exc)
            return estimate(request)

    async def health(self) -> bool:
        return True  # a cloud API: a health probe would cost a request or leak traffic; cooldowns cover failures

    async def aclose(self) -> None:
        return None
