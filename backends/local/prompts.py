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
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..contract import CanonicalRequest, Message, Tool

PLAIN_STOP = "\nUser:"


@dataclass(slots=True)
class Prompt:
    ids: list[int]
    stop: list[str] = field(default_factory=list)


def tools_block(tools: list[Tool]) -> str:
    specs = "\n".join(
        json.dumps({"name": t.name, "description": t.description, "parameters": t.parameters}) for t in tools
    )
    return (
        "You can call these tools:\n" + specs + "\n"
        'To call one, answer with <tool_call>{"name": "<tool name>", "arguments": {<arguments as JSON>}}'
        "</tool_call> and nothing else."
    )


def _message_text(m: Message) -> str:
    text = m.text()
    for call in m.tool_calls:
        text += f'<tool_call>{{"name": {json.dumps(call.name)}, "arguments": {call.arguments or "{}"}}}</tool_call>'
    if m.role == "tool":
        text = f"<tool_response>{text}</tool_response>"
    return text


def chat_messages(
    request: CanonicalRequest, tools_text: Callable[[list[Tool]], str] = tools_block
) -> list[dict[str, str]]:
    """tools_text: writes the tools block (the counter passes a cached `tools_block`)."""
    messages = [{"role": "user" if m.role == "tool" else m.role, "content": _message_text(m)} for m in request.messages]
    if request.tools and request.tool_choice != "none":
        block = tools_text(request.tools)
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
    tokenizer: Any, request: CanonicalRequest, tools_text: Callable[[list[Tool]], str] = tools_block
) -> tuple[str, bool]:
    """The prompt as text, and whether the tokenizer adds its own special tokens to it: a legacy
    completion's text as it is, the chat template's rendering (which writes them itself), or the plain
    transcript."""
    if request.prompt is not None:
        return request.prompt, True
    messages = chat_messages(request, tools_text)
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False), False
    return plain_transcript(messages), True


def build_prompt(tokenizer: Any, request: CanonicalRequest) -> Prompt:
    text, add_special = prompt_text(tokenizer, request)
    plain = request.prompt is None and not getattr(tokenizer, "chat_template", None)
    stop = [*request.stop, PLAIN_STOP] if plain else list(request.stop)
    return Prompt(list(tokenizer(text, add_special_tokens=add_special)["input_ids"]), stop)
