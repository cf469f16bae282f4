"""Turn a canonical request into prompt token ids.

Models whose tokenizer carries a chat template (SmolLM2-Instruct: ChatML, from the GGUF metadata)
use it. Base models without one (the embedded Gemma 3 270M is the pretrained, not instruction-tuned,
checkpoint) get a plain, documented transcript format:

    <system text>

    User: <text>
    Assistant: <text>
    User: <text>
    Assistant:

and "\nUser:" is added to the stop sequences. Tools are described in a system block that asks for
`<tool_call>{"name": ..., "arguments": {...}}</tool_call>` (Qwen's format), which toolcalls.py parses.

A client's text never becomes a control token: where it spells one of the tokenizer's (SmolLM2's
`<|im_start|>`, Gemma's `<start_of_turn>`, `<eos>`), `Controls` breaks it with a zero-width space after
its first character, so that it is read as text and cannot open a turn (a forged system message) or end
the answer. The template's own control tokens are untouched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..contract import CanonicalRequest, Message, Tool

PLAIN_STOP = "\nUser:"
BREAK = "\u200b"  # zero-width space


def _same(text: str) -> str:
    return text


def trie_pattern(texts: Iterable[str]) -> re.Pattern[str]:
    """A pattern matching any of `texts`, the longest where several start at one place, written as a trie:
    Gemma's 6,249 control tokens cost a 100 KB text 0.04 ms, where an alternation tries each at every
    character."""
    root: dict[str, Any] = {}
    for text in texts:
        node = root
        for ch in text:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and "" not in node else "(?:" + "|".join(branches) + ")"
        return body + ("?" if "" in node else "")

    return re.compile(emit(root) or "(?!)")


class Controls:
    """The text of a tokenizer's control tokens (its special added tokens), and `neutral`, which breaks
    them in a client's text. Built once per tokenizer (Gemma's pattern takes ~70 ms)."""

    __slots__ = ("_pattern",)

    def __init__(self, tokenizer: Any) -> None:
        decoder = getattr(tokenizer, "added_tokens_decoder", None) or {}
        texts = {t.content for t in decoder.values() if getattr(t, "special", False) and len(t.content) > 1}
        self._pattern = trie_pattern(texts) if texts else None

    def neutral(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: m[0][0] + BREAK + m[0][1:], text)


@dataclass(slots=True)
class Prompt:
    ids: list[int]
    stop: list[str] = field(default_factory=list)


def tools_block(tools: list[Tool], neutral: Callable[[str], str] = _same) -> str:
    specs = neutral(
        "\n".join(json.dumps({"name": t.name, "description": t.description, "parameters": t.parameters}) for t in tools)
    )
    return (
        "You can call these tools:\n" + specs + "\n"
        'To call one, answer with <tool_call>{"name": "<tool name>", "arguments": {<arguments as JSON>}}'
        "</tool_call> and nothing else."
    )


def _message_text(m: Message, neutral: Callable[[str], str]) -> str:
    text = neutral(m.text())
    for call in m.tool_calls:
        name, arguments = neutral(json.dumps(call.name)), neutral(call.arguments or "{}")
        text += f'<tool_call>{{"name": {name}, "arguments": {arguments}}}</tool_call>'
    if m.role == "tool":
        text = f"<tool_response>{text}</tool_response>"
    return text


def chat_messages(
    request: CanonicalRequest,
    tools_text: Callable[[list[Tool]], str] | None = None,
    neutral: Callable[[str], str] = _same,
) -> list[dict[str, str]]:
    """tools_text: writes the tools block (the counter passes a cached `tools_block`; it must apply the
    same `neutral`, a `Controls.neutral`, as the messages get)."""
    messages = [
        {"role": "user" if m.role == "tool" else m.role, "content": _message_text(m, neutral)} for m in request.messages
    ]
    if request.tools and request.tool_choice != "none":
        block = tools_text(request.tools) if tools_text else tools_block(request.tools, neutral)
        if messages and messages[0]["role"] == "system":
            messages[0] = {"role": "system", "content": messages[0]["content"] + "\n\n" + block}
        else:
            messages.insert(0, {"role": "system", "content": block})
    return messages


def plain_transcript(messages: list[dict[str, str]]) -> str:
    parts: list[str] = []
    system = [m["content"] for m in messages if m["role"] == "system"]
    if system:
        parts.append("\n".join(system) + "\n\n")
    for m in messages:
        if m["role"] == "system":
            continue
        speaker = "Assistant" if m["role"] == "assistant" else "User"
        parts.append(f"{speaker}: {m['content']}\n")
    parts.append("Assistant:")
    return "".join(parts)


def prompt_text(
    tokenizer: Any,
    request: CanonicalRequest,
    tools_text: Callable[[list[Tool]], str] | None = None,
    controls: Controls | None = None,
) -> tuple[str, bool]:
    """The prompt as text, and whether the tokenizer adds its own special tokens to it: a legacy
    completion's text as it is (raw text: its writer means its control tokens), the chat template's
    rendering (which writes them itself), or the plain transcript. controls: the tokenizer's, to break
    those a client's text spells (None: none broken, for the project's own texts)."""
    if request.prompt is not None:
        return request.prompt, True
    messages = chat_messages(request, tools_text, controls.neutral if controls else _same)
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False), False
    return plain_transcript(messages), True


def build_prompt(tokenizer: Any, request: CanonicalRequest, controls: Controls | None = None) -> Prompt:
    text, add_special = prompt_text(tokenizer, request, controls=controls)
    plain = request.prompt is None and not getattr(tokenizer, "chat_template", None)
    stop = [*request.stop, PLAIN_STOP] if plain else list(request.stop)
    return Prompt(list(tokenizer(text, add_special_tokens=add_special)["input_ids"]), stop)
