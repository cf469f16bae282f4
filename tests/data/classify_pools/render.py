"""Render a conversation in a client's wire format: OpenAI chat, Anthropic messages, OpenAI responses."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

OPENAI_MODELS = ["auto", "gpt-4o", "gpt-4.1-mini", "qwen3-coder", "gemma-4-31b", "gpt-5-mini"]
ANTHROPIC_MODELS = ["claude-sonnet-4-5", "claude-opus-4-8", "claude-haiku-4-5", "auto"]
RESPONSES_MODELS = ["gpt-5", "gpt-5-codex", "auto", "o4-mini"]


@dataclass
class Turn:
    role: str  # user | assistant | call | result
    text: str = ""
    images: list[str] = field(default_factory=list)
    name: str = ""
    args: dict[str, Any] = field(default_factory=dict)


def _ids(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice("abcdef0123456789") for _ in range(12))


def render(dialect: str, turns: list[Turn], tools: list[dict[str, Any]], system: str | None,
           rng: random.Random) -> dict[str, Any]:
    if dialect == "anthropic":
        return _anthropic(turns, tools, system, rng)
    if dialect == "responses":
        return _responses(turns, tools, system, rng)
    return _openai(turns, tools, system, rng)


def _openai(turns: list[Turn], tools: list[dict[str, Any]], system: str | None, rng: random.Random) -> dict:
    msgs: list[dict[str, Any]] = []
    if system:
        msgs.append({"role": rng.choice(["system", "system", "developer"]), "content": system})
    call_id = ""
    for t in turns:
        if t.role == "user":
            if t.images:
                parts: list[dict[str, Any]] = [{"type": "text", "text": t.text}] if t.text else []
                for url in t.images:
                    part: dict[str, Any] = {"type": "image_url", "image_url": {"url": url}}
                    if rng.random() < 0.3:
                        part["image_url"]["detail"] = rng.choice(["low", "high", "auto"])
                    parts.append(part)
                if rng.random() < 0.5:
                    parts.reverse()
                msgs.append({"role": "user", "content": parts})
            elif rng.random() < 0.15:
                msgs.append({"role": "user", "content": [{"type": "text", "text": t.text}]})
            else:
                msgs.append({"role": "user", "content": t.text})
        elif t.role == "assistant":
            msgs.append({"role": "assistant", "content": t.text})
        elif t.role == "call":
            call_id = _ids(rng, "call_")
            msgs.append({"role": "assistant", "content": None, "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": t.name, "arguments": json.dumps(t.args)}}]})
        elif t.role == "result":
            msgs.append({"role": "tool", "tool_call_id": call_id, "content": t.text})
    body: dict[str, Any] = {"model": rng.choice(OPENAI_MODELS), "messages": msgs}
    if tools:
        body["tools"] = [{"type": "function", "function": {"name": x["name"], "description": x["description"],
                                                            "parameters": x["parameters"]}} for x in tools]
        if rng.random() < 0.3:
            body["tool_choice"] = "auto"
    if rng.random() < 0.4:
        body["stream"] = True
    if rng.random() < 0.3:
        body["temperature"] = rng.choice([0, 0.2, 0.7, 1.0])
    return body


def _anthropic_image(url: str) -> dict[str, Any]:
    if url.startswith("data:"):
        head, data = url.split(",", 1)
        media = head[5:].split(";")[0]
        return {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}
    return {"type": "image", "source": {"type": "url", "url": url}}


def _anthropic(turns: list[Turn], tools: list[dict[str, Any]], system: str | None, rng: random.Random) -> dict:
    msgs: list[dict[str, Any]] = []
    call_id = ""
    for t in turns:
        if t.role == "user":
            if t.images:
                parts = [_anthropic_image(u) for u in t.images]
                if t.text:
                    parts.append({"type": "text", "text": t.text})
                msgs.append({"role": "user", "content": parts})
            elif rng.random() < 0.4:
                msgs.append({"role": "user", "content": [{"type": "text", "text": t.text}]})
            else:
                msgs.append({"role": "user", "content": t.text})
        elif t.role == "assistant":
            msgs.append({"role": "assistant", "content": t.text if rng.random() < 0.5 else
                         [{"type": "text", "text": t.text}]})
        elif t.role == "call":
            call_id = _ids(rng, "toolu_")
            msgs.append({"role": "assistant", "content": [
                {"type": "tool_use", "id": call_id, "name": t.name, "input": t.args}]})
        elif t.role == "result":
            msgs.append({"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": call_id, "content": t.text}]})
    body: dict[str, Any] = {"dialect": "anthropic", "model": rng.choice(ANTHROPIC_MODELS),
                            "max_tokens": rng.choice([1024, 4096, 8192, 32000]), "messages": msgs}
    if system:
        body["system"] = system if rng.random() < 0.6 else [{"type": "text", "text": system}]
    if tools:
        body["tools"] = [{"name": x["name"], "description": x["description"], "input_schema": x["parameters"]}
                         for x in tools]
    if rng.random() < 0.5:
        body["stream"] = True
    return body


def _responses(turns: list[Turn], tools: list[dict[str, Any]], system: str | None, rng: random.Random) -> dict:
    body: dict[str, Any] = {"dialect": "responses", "model": rng.choice(RESPONSES_MODELS)}
    simple = len(turns) == 1 and not turns[0].images and rng.random() < 0.5
    if simple:
        body["input"] = turns[0].text
    else:
        items: list[dict[str, Any]] = []
        call_id = ""
        for t in turns:
            if t.role == "user":
                if t.images or rng.random() < 0.5:
                    content: list[dict[str, Any]] = [{"type": "input_text", "text": t.text}] if t.text else []
                    content += [{"type": "input_image", "image_url": u} for u in t.images]
                    items.append({"type": "message", "role": "user", "content": content})
                else:
                    items.append({"role": "user", "content": t.text})
            elif t.role == "assistant":
                items.append({"type": "message", "role": "assistant",
                              "content": [{"type": "output_text", "text": t.text}]})
            elif t.role == "call":
                call_id = _ids(rng, "call_")
                items.append({"type": "function_call", "call_id": call_id, "name": t.name,
                              "arguments": json.dumps(t.args)})
            elif t.role == "result":
                items.append({"type": "function_call_output", "call_id": call_id, "output": t.text})
        body["input"] = items
    if system:
        if rng.random() < 0.6:
            body["instructions"] = system
        elif isinstance(body["input"], list):
            body["input"].insert(0, {"type": "message", "role": "developer",
                                     "content": [{"type": "input_text", "text": system}]})
        else:
            body["instructions"] = system
    if tools:
        body["tools"] = [{"type": "function", "name": x["name"], "description": x["description"],
                          "parameters": x["parameters"]} for x in tools]
    if rng.random() < 0.5:
        body["stream"] = True
    return body
