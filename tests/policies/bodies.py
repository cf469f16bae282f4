"""Small request bodies in each dialect, for the classifier tests."""

from __future__ import annotations

from typing import Any

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Get the current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
EMAIL_TOOL = {
    "name": "send_email",
    "description": "Send an email to a recipient",
    "parameters": {"type": "object", "properties": {"to": {"type": "string"}, "body": {"type": "string"}}},
}
PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGMAAQAABQABDQottAAAAABJRU5ErkJggg=="
)


def openai(
    *texts: str, system: str | None = None, tools: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    """Alternating user/assistant turns, last one the user's."""
    msgs: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    n = len(texts)
    msgs += [{"role": "user" if (n - 1 - i) % 2 == 0 else "assistant", "content": t} for i, t in enumerate(texts)]
    body: dict[str, Any] = {"model": "auto", "messages": msgs, **extra}
    if tools:
        body["tools"] = [{"type": "function", "function": t} for t in tools]
    return body


def anthropic(
    text: str,
    system: str | None = None,
    tools: list[dict[str, Any]] | None = None,
    content: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "dialect": "anthropic",
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": content or text}],
    }
    if system:
        body["system"] = system
    if tools:
        body["tools"] = [
            {"name": t["name"], "description": t["description"], "input_schema": t["parameters"]} for t in tools
        ]
    return body


def responses(
    text: str,
    instructions: str | None = None,
    tools: list[dict[str, Any]] | None = None,
    items: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"dialect": "responses", "model": "gpt-5", "input": items or text}
    if instructions:
        body["instructions"] = instructions
    if tools:
        body["tools"] = [{"type": "function", **t} for t in tools]
    return body
