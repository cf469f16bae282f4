"""A bounded view of a request: only the parts that decide its category, never every byte.

Agent requests run to 100 KB and more; the view reads the turn being answered (head and tail of it),
a little of the turns before it, the head of the system prompt, tool names and descriptions, and
counts lengths without reading the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from backends.contract import CanonicalRequest, ImagePart, Message, TextPart, Tool

LAST_HEAD = 1200  # characters read from the start of the turn being answered
LAST_TAIL = 400  # ... and from its end
CONTEXT_TURNS = 2  # earlier user/assistant turns read as context
CONTEXT_CHARS = 300  # characters read from each of them
SYSTEM_CHARS = 1500  # characters read from the head of the system prompt
SYSTEM_PARTS = 6  # system parts looked at (Claude Code splits its prompt into several)

_REMINDER = re.compile(r"<system-reminder>.*?</system-reminder>", re.S)
# Function specs written into the system prompt (Glaive-, Hermes-style "<tools>[...]</tools>").
_SPEC = re.compile(r'"name"\s*:\s*"([\w.\-]{1,64})"\s*,\s*"description"\s*:\s*"([^"]{0,300})')
SPEC_CHARS = 6000  # characters of the system prompt searched for function specs


@dataclass(slots=True)
class RequestView:
    last: str = ""  # the turn being answered (last user text, windowed)
    context: str = ""  # the turns before it, windowed, oldest first
    system: str = ""  # head of the system prompt
    tools: list[Tool] = field(default_factory=list)
    has_images: bool = False
    after_tool_result: bool = False  # the last message carries a tool result
    used_tools: bool = False  # the conversation has tool calls in it
    turns: int = 0
    total_chars: int = 0  # every text part's length, counted not read
    n_messages: int = 0


def _window(text: str, head: int, tail: int) -> str:
    if len(text) <= head + tail:
        return text
    return text[:head] + "\n" + text[-tail:]


def _text(m: Message, head: int, tail: int) -> str:
    """The message's text, windowed; Claude Code's <system-reminder> blocks are not the user's words."""
    parts: list[str] = []
    budget = head + tail
    for p in m.content:
        if isinstance(p, TextPart):
            t = p.text
            if t.startswith("<system-reminder>") and t.rstrip().endswith("</system-reminder>"):
                continue
            parts.append(_window(t, head, tail))
            budget -= min(len(t), head + tail)
            if budget <= 0:
                break
    text = "\n".join(parts)
    if "<system-reminder>" in text:
        text = _REMINDER.sub("", text)
    return _window(text, head, tail)


def _system_head(messages: list[Message]) -> str:
    out: list[str] = []
    size = 0
    seen = 0
    for m in messages:
        if m.role != "system":
            continue
        for p in m.content:
            if isinstance(p, TextPart) and p.text.strip():
                out.append(p.text[: SYSTEM_CHARS - size])
                size += len(out[-1])
                seen += 1
                if size >= SYSTEM_CHARS or seen >= SYSTEM_PARTS:
                    return "\n".join(out)
    return "\n".join(out)


def build_view(req: CanonicalRequest) -> RequestView:
    msgs = req.messages
    v = RequestView(tools=req.tools, n_messages=len(msgs))
    if req.prompt is not None:  # legacy completions: the prompt is the turn
        v.last = _window(req.prompt, LAST_HEAD, LAST_TAIL)
        v.total_chars = len(req.prompt) + len(req.suffix or "")
        v.turns = 1
        return v
    total = 0
    turns = 0
    for m in msgs:
        if m.role in ("user", "assistant"):
            turns += 1
        for p in m.content:
            if isinstance(p, TextPart):
                total += len(p.text)
            elif isinstance(p, ImagePart):
                v.has_images = True
        for tc in m.tool_calls:
            total += len(tc.arguments)
            v.used_tools = True
    for tool in req.tools:
        total += len(tool.description) + 60 * len(tool.parameters.get("properties") or ()) + 20
    v.total_chars = total
    v.turns = turns
    v.system = _system_head(msgs)
    if not req.tools and '"parameters"' in v.system:
        v.tools = prompt_tools(msgs)

    # The turn being answered: the last message that is not a system note (Aider appends one).
    i = len(msgs) - 1
    while i >= 0 and msgs[i].role == "system":
        i -= 1
    if i < 0:
        return v
    last = msgs[i]
    if last.role == "tool":
        v.after_tool_result = True
    v.last = _text(last, LAST_HEAD, LAST_TAIL)
    # Anthropic-style tool results inside a user turn, with no words of the user's own.
    if last.role == "user" and not v.last.strip() and last.tool_call_id:
        v.after_tool_result = True
    ctx: list[str] = []
    j = i - 1
    while j >= 0 and len(ctx) < CONTEXT_TURNS:
        m = msgs[j]
        if m.role in ("user", "assistant"):
            text = _text(m, CONTEXT_CHARS // 2, CONTEXT_CHARS // 2)
            if text.strip():
                ctx.append(text)
        j -= 1
    if v.after_tool_result:
        # Find the user's request that started the tool exchange: it is what is being worked on.
        k = i - 1
        while k >= 0 and not (msgs[k].role == "user" and msgs[k].tool_call_id is None and _has_text(msgs[k])):
            k -= 1
        if k >= 0:
            ctx.append(_text(msgs[k], CONTEXT_CHARS, 0))
    v.context = "\n".join(reversed(ctx))
    return v


def prompt_tools(messages: list[Message]) -> list[Tool]:
    """Tools a client described in its system prompt rather than in the tools field."""
    for m in messages:
        if m.role == "system":
            text = "".join(p.text[:SPEC_CHARS] for p in m.content if isinstance(p, TextPart))[:SPEC_CHARS]
            return [Tool(name, desc) for name, desc in _SPEC.findall(text)]
    return []


def _has_text(m: Message) -> bool:
    return any(isinstance(p, TextPart) and p.text.strip() for p in m.content)
