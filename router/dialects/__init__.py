"""Wire dialects: each parses its API's requests into the canonical request and renders events back."""

from __future__ import annotations

from .base import Completion, Dialect, Parsed, ResponseMeta, StreamRenderer
from .openai_chat import OpenAIChat

__all__ = ["Completion", "Dialect", "Parsed", "ResponseMeta", "StreamRenderer", "get_dialect"]


def get_dialect(name: str) -> Dialect:
    """The dialect for `name` ("openai", "anthropic", "responses", "completions")."""
    if name == "openai":
        return OpenAIChat()
    if name == "anthropic":
        from .anthropic import AnthropicMessages

        return AnthropicMessages()
    if name == "responses":
        from .responses import OpenAIResponses

        return OpenAIResponses()
    if name == "completions":
        from .completions import LegacyCompletions

        return LegacyCompletions()
    raise KeyError(name)
