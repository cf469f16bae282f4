"""The backend contract: the canonical request every dialect parses into, and the events every
backend streams back. Backends import nothing else of the project; the router translates wire
dialects to and from these types.

A backend's `stream()` is an async iterator of events. Errors before the first event mean nothing
reached the client yet, so the router may fall back to the next backend; errors after it end the
client's stream with an error event in the client's own format.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(slots=True)
class TextPart:
    text: str


@dataclass(slots=True)
class ImagePart:
    url: str  # an http(s) URL or a data: URL (base64)
    detail: str | None = None


ContentPart = TextPart | ImagePart


@dataclass(slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as the model wrote it


@dataclass(slots=True)
class Message:
    role: Role
    content: list[ContentPart] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None  # role "tool": the call this answers
    name: str | None = None

    def text(self) -> str:
        return "".join(p.text for p in self.content if isinstance(p, TextPart))


@dataclass(slots=True)
class Tool:
    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class CanonicalRequest:
    model: str  # what the client asked for: "auto", an alias, a backend name or anything else
    messages: list[Message] = field(default_factory=list)
    tools: list[Tool] = field(default_factory=list)
    tool_choice: str | dict[str, Any] | None = None  # "auto" | "none" | "required" | {"name": ...}
    stream: bool = False
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    stop: list[str] = field(default_factory=list)
    response_format: dict[str, Any] | None = None
    user: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    reasoning_effort: str | None = None
    thinking: dict[str, Any] | None = None  # Anthropic's thinking settings, as sent (Claude models take them)
    # Legacy completions (fill-in-the-middle when suffix is set); messages stay empty then.
    prompt: str | None = None
    suffix: str | None = None
    # Fields of the OpenAI APIs that no canonical field models: passed on to OpenAI-compatible upstreams.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_fim(self) -> bool:
        return self.suffix is not None


# ---- events -------------------------------------------------------------------------------------


@dataclass(slots=True)
class TextDelta:
    text: str


@dataclass(slots=True)
class ToolCallDelta:
    index: int
    id: str | None = None  # set on the first delta of a call
    name: str | None = None  # set on the first delta of a call
    arguments: str = ""  # a fragment of the JSON arguments


@dataclass(slots=True)
class Usage:
    """Tokens one request took, in OpenAI's convention: `input_tokens` counts every prompt token, cache
    reads (`cached_tokens`) and cache writes (`cache_write_tokens`) included; `output_tokens` counts
    every generated token, reasoning (`reasoning_tokens`) included."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens read from the provider's cache
    estimated: bool = False  # counted by us (tokenizer or estimate), not reported by the upstream
    cache_write_tokens: int = 0  # prompt tokens written to the provider's cache (Anthropic's cache_creation)
    reasoning_tokens: int = 0  # output tokens spent thinking


@dataclass(slots=True)
class DraftStats:
    proposed: int
    accepted: int


FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error"]


@dataclass(slots=True)
class Finish:
    reason: FinishReason


Event = TextDelta | ToolCallDelta | Usage | DraftStats | Finish


@dataclass(slots=True)
class Capabilities:
    vision: bool = False
    tools: bool = True
    fim: bool = False
    context_window: int = 32768


@dataclass(slots=True)
class Price:
    """US dollars per million tokens; zero for local backends. Cache reads and writes cost the input price
    unless priced themselves; reasoning tokens are output tokens (every provider bills them so)."""

    input_per_mtok: float = 0.0
    output_per_mtok: float = 0.0
    cache_read_per_mtok: float | None = None
    cache_write_per_mtok: float | None = None

    def cost(self, usage: Usage) -> float:
        read = self.input_per_mtok if self.cache_read_per_mtok is None else self.cache_read_per_mtok
        write = self.input_per_mtok if self.cache_write_per_mtok is None else self.cache_write_per_mtok
        fresh = max(0, usage.input_tokens - usage.cached_tokens - usage.cache_write_tokens)
        return (
            fresh * self.input_per_mtok
            + usage.cached_tokens * read
            + usage.cache_write_tokens * write
            + usage.output_tokens * self.output_per_mtok
        ) / 1e6


@dataclass(slots=True, frozen=True)
class TokenCount:
    """A prompt's token count and how it was made: "tokenizer" (the model's own, with its chat template),
    "endpoint" (the server's tokenize endpoint), "tiktoken" or "litellm" (a real BPE chosen by model
    family), "estimate" (characters / 4, the last fallback; backends/tokencount.py)."""

    tokens: int
    source: str

    @property
    def estimated(self) -> bool:
        return self.source == "estimate"


@runtime_checkable
class Backend(Protocol):
    name: str
    model: str
    capabilities: Capabilities
    price: Price

    def stream(self, request: CanonicalRequest) -> AsyncIterator[Event]:
        """Produce events for one request. Raise a BackendError (before or during iteration)."""
        ...

    async def health(self) -> bool:
        """Cheap liveness check; never costs a completion."""
        ...

    async def count_tokens(self, request: CanonicalRequest) -> TokenCount:
        """The prompt tokens `request` would take on this backend ; cheap on repeats (counts are cached)."""
        ...

    async def aclose(self) -> None: ...
