"""Canonical request and events <-> OpenAI chat-completions JSON, shared by every backend that speaks
it (OpenAI-compatible servers over HTTP, and litellm, which takes and returns the same shapes)."""

from __future__ import annotations

from typing import Any

from .contract import (
    CanonicalRequest,
    Event,
    Finish,
    FinishReason,
    ImagePart,
    Message,
    TextDelta,
    TextPart,
    ToolCallDelta,
    Usage,
)

_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "eos": "stop",
}


def message_to_openai(m: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": m.role}
    if any(isinstance(p, ImagePart) for p in m.content):
        out["content"] = [
            {"type": "text", "text": p.text}
            if isinstance(p, TextPart)
            else {"type": "image_url", "image_url": {"url": p.url, **({"detail": p.detail} if p.detail else {})}}
            for p in m.content
        ]
    else:
        out["content"] = m.text() if m.content or not m.tool_calls else None
    if m.tool_calls:
        out["tool_calls"] = [
            {"id": t.id, "type": "function", "function": {"name": t.name, "arguments": t.arguments or "{}"}}
            for t in m.tool_calls
        ]
    if m.tool_call_id is not None:
        out["tool_call_id"] = m.tool_call_id
    if m.name and m.role != "tool":
        out["name"] = m.name
    return out


def tool_choice_to_openai(choice: str | dict[str, Any] | None) -> Any:
    if isinstance(choice, dict):
        return {"type": "function", "function": {"name": choice["name"]}}
    return choice


def canonical_fields(req: CanonicalRequest) -> dict[str, Any]:
    """What the canonical request models, as chat-completions fields: messages, tools, sampling."""
    out: dict[str, Any] = {"messages": [message_to_openai(m) for m in req.messages]}
    if req.tools:
        out["tools"] = [
            {"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}
            for t in req.tools
        ]
        if req.tool_choice is not None:
            out["tool_choice"] = tool_choice_to_openai(req.tool_choice)
    for key in ("max_tokens", "temperature", "top_p", "seed", "response_format", "user", "reasoning_effort"):
        value = getattr(req, key)
        if value is not None:
            out[key] = value
    if req.stop:
        out["stop"] = req.stop
    return out


def chat_body(req: CanonicalRequest, model: str, *, stream: bool) -> dict[str, Any]:
    """The chat-completions body for `req`: its canonical fields, and the fields it carries that no
    canonical field models (`extra`), whatever dialect the client spoke."""
    body = {**req.extra, **canonical_fields(req)}
    body["model"] = model
    body["stream"] = stream
    if stream:
        body["stream_options"] = {"include_usage": True}
    else:
        body.pop("stream_options", None)
    return body


def completion_body(req: CanonicalRequest, model: str, *, stream: bool) -> dict[str, Any]:
    """A legacy completions body (fill-in-the-middle when `suffix` is set)."""
    body: dict[str, Any] = {"model": model, "prompt": req.prompt or "", "stream": stream}
    if req.suffix is not None:
        body["suffix"] = req.suffix
    for key in ("max_tokens", "temperature", "top_p", "seed"):
        value = getattr(req, key)
        if value is not None:
            body[key] = value
    if req.stop:
        body["stop"] = req.stop
    if stream:
        body["stream_options"] = {"include_usage": True}
    return body


def _int(*values: Any) -> int:
    """The first value that is a number (upstreams send null, omit fields, or send both spellings)."""
    for v in values:
        if isinstance(v, int | float) and not isinstance(v, bool):
            return int(v)
    return 0


def usage_from_openai(u: dict[str, Any]) -> Usage:
    """OpenAI's usage block, as OpenAI-compatible servers and litellm send it. litellm maps Anthropic's
    `cache_read_input_tokens` / `cache_creation_input_tokens` (also kept at top level) and Gemini's
    `cachedContentTokenCount` / `thoughtsTokenCount` onto the same fields; its prompt_tokens then
    include the cache reads and writes, as OpenAI's do."""
    prompt = u.get("prompt_tokens_details") or {}
    completion = u.get("completion_tokens_details") or {}
    return Usage(
        input_tokens=_int(u.get("prompt_tokens")),
        output_tokens=_int(u.get("completion_tokens")),
        cached_tokens=_int(prompt.get("cached_tokens"), u.get("cache_read_input_tokens")),
        cache_write_tokens=_int(
            prompt.get("cache_creation_tokens"), prompt.get("cache_write_tokens"), u.get("cache_creation_input_tokens")
        ),
        reasoning_tokens=_int(completion.get("reasoning_tokens")),
    )


def finish_reason(value: str | None) -> FinishReason:
    return _FINISH.get(value or "stop", "stop")


def chunk_events(chunk: dict[str, Any], out: list[Event]) -> str | None:
    """Append the events in one streamed chunk to `out`; return its finish_reason, if any.

    Usage and finish are reported by the caller at the end, since upstreams send usage after finish.
    """
    reason = None
    for choice in chunk.get("choices") or ():
        delta = choice.get("delta") or {}
        text = delta.get("content")
        if text:
            out.append(TextDelta(text))
        for tc in delta.get("tool_calls") or ():
            fn = tc.get("function") or {}
            out.append(
                ToolCallDelta(int(tc.get("index") or 0), tc.get("id"), fn.get("name"), fn.get("arguments") or "")
            )
        text = choice.get("text")  # legacy completions
        if text:
            out.append(TextDelta(text))
        reason = choice.get("finish_reason") or reason
    return reason


def response_events(data: dict[str, Any]) -> list[Event]:
    """Events for a whole (non-streamed) chat or legacy completion response."""
    out: list[Event] = []
    reason = None
    for choice in (data.get("choices") or ())[:1]:
        msg = choice.get("message") or {}
        text = msg.get("content") if msg else choice.get("text")
        if text:
            out.append(TextDelta(text))
        for i, tc in enumerate(msg.get("tool_calls") or ()):
            fn = tc.get("function") or {}
            out.append(ToolCallDelta(i, tc.get("id") or f"call_{i}", fn.get("name") or "", fn.get("arguments") or ""))
        reason = choice.get("finish_reason")
    if data.get("usage"):
        out.append(usage_from_openai(data["usage"]))
    out.append(Finish(finish_reason(reason)))
    return out
