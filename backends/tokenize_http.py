"""An OpenAI-compatible server's own tokenizer over HTTP.

vLLM (and SGLang where it takes the same shape; not tested): `POST /tokenize` with
`{"model", "messages", "add_generation_prompt", "tools"}` answers
`{"count", "max_model_len", "tokens"}` with the chat template applied. llama.cpp's server:
`POST /apply-template` with `{"messages"}` answers `{"prompt"}`, and `POST /tokenize` with
`{"content", "add_special"}` answers `{"tokens"}`. Both live at the server's root, not under /v1.

Which one a server speaks is probed on the first count and remembered, including that it has none
(Ollama, LM Studio, hosted APIs); a server that cannot be reached is probed again next time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson

from .contract import CanonicalRequest
from .openai_format import canonical_fields
from .tokencount import LRUCache, message_segment, text_key, tool_segments

logger = logging.getLogger(__name__)

VLLM, LLAMACPP, NONE = "vllm", "llamacpp", "none"
JSON = {"content-type": "application/json"}
# What the transport raises: a timeout (aiohttp's read and connect timeouts are TimeoutErrors too), or
# any other failure to connect, send or read (a connection cut mid-body included).
TRANSPORT_ERRORS = (aiohttp.ClientError, TimeoutError)
TIMEOUT = aiohttp.ClientTimeout(total=10.0)  # a count is not worth the completion's long first-byte timeout


def server_root(base_url: str) -> str:
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


def _json(status: int, body: bytes) -> dict[str, Any] | None:
    """The JSON object of a 200 answer, else None."""
    if status != 200:
        return None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


class TokenizeEndpoint:
    def __init__(
        self, session: Callable[[], aiohttp.ClientSession], base_url: str, model: str, *, max_entries: int = 1024
    ) -> None:
        self._session = session  # the backend's pooled session
        self._root = server_root(base_url)
        self._model = model
        self.kind: str | None = None  # None until probed
        self._cache: LRUCache[int] = LRUCache(max_entries)

    @staticmethod
    def _key(request: CanonicalRequest) -> tuple[Any, ...]:
        segments = [message_segment(m) for m in request.messages] + tool_segments(request)
        return tuple(text_key(s) for s in segments)

    async def count(self, request: CanonicalRequest) -> int | None:
        """The server's count for a chat request, or None (no endpoint, unreachable, or not chat)."""
        if self.kind == NONE or request.prompt is not None or not request.messages:
            return None
        key = self._key(request)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        fields = canonical_fields(request)
        try:
            n = await self._ask(fields)
        except TRANSPORT_ERRORS as exc:
            logger.info("tokenize endpoint of %s unreachable (%s)", self._root, type(exc).__name__)
            return None
        if n is not None:
            self._cache.put(key, n)
        return n

    async def _ask(self, fields: dict[str, Any]) -> int | None:
        """Count with the known kind, or probe: vLLM's shape first, then llama.cpp's. Only a 404 or 405 (or
        llama.cpp's empty answer to vLLM's shape) says an endpoint is missing; other failures are this
        request's and are not remembered."""
        if self.kind in (None, VLLM):
            n, status = await self._vllm(fields)
            if n is not None:
                self.kind = VLLM
                return n
            if self.kind == VLLM or status not in (200, 404, 405):
                return None
        n, status = await self._llamacpp(fields)
        if n is not None:
            self.kind = LLAMACPP
        elif self.kind is None and status in (404, 405):
            logger.info("%s has no tokenize endpoint; counting with a BPE instead", self._root)
            self.kind = NONE
        return n

    async def _post(self, path: str, body: dict[str, Any]) -> tuple[dict[str, Any] | None, int]:
        async with self._session().post(
            self._root + path, data=orjson.dumps(body), headers=JSON, timeout=TIMEOUT, allow_redirects=False
        ) as response:
            return _json(response.status, await response.read()), response.status

    async def _vllm(self, fields: dict[str, Any]) -> tuple[int | None, int]:
        body: dict[str, Any] = {"model": self._model, "messages": fields["messages"], "add_generation_prompt": True}
        if "tools" in fields:
            body["tools"] = fields["tools"]
        data, status = await self._post("/tokenize", body)
        count = data.get("count") if data else None
        return (count if isinstance(count, int) else None), status

    async def _llamacpp(self, fields: dict[str, Any]) -> tuple[int | None, int]:
        body: dict[str, Any] = {"messages": fields["messages"]}
        if "tools" in fields:
            body["tools"] = fields["tools"]
        data, status = await self._post("/apply-template", body)
        prompt = data.get("prompt") if data else None
        if not isinstance(prompt, str):
            return None, status
        # The template already wrote BOS where the model wants it; parse_special reads its markers.
        data, status = await self._post("/tokenize", {"content": prompt, "add_special": False, "parse_special": True})
        tokens = data.get("tokens") if data else None
        return (len(tokens) if isinstance(tokens, list) else None), status
