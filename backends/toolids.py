"""Tool-call ids that survive a change of backend.

Each provider issues its own ids and some check the ids they are sent back: Anthropic requires
^[a-zA-Z0-9_-]+$, OpenAI at most 40 characters. Gemini's ids through litellm carry a thought signature
(`call_<uuid>__thought__<base64>`, about 170 characters with `+ / =`) that Gemini needs back unchanged.
A conversation that a sticky session or a fallback moves between them breaks unless ids are mapped.

Before a request goes to a backend, every id that backend would refuse is replaced by a deterministic
short one (`call_` + 32 hex digits of its SHA-256: the same id maps the same way on every turn), in the
canonical messages and in the client's own body when it is forwarded; any mapped id in the backend's
answer is mapped back. The client's history keeps the original ids, so when the conversation returns
to Gemini its signatures go back untouched.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import replace

from .contract import CanonicalRequest, Event, ToolCallDelta

_SAFE = re.compile(r"^[a-zA-Z0-9_-]+$")
OPENAI_MAX_ID = 40


def anthropic_ok(tool_id: str) -> bool:
    return bool(_SAFE.match(tool_id))


def openai_ok(tool_id: str) -> bool:
    """OpenAI's limit, with Anthropic's alphabet too: vLLM, llama.cpp and SGLang hand ids to chat templates
    and parsers that expect plain ones."""
    return len(tool_id) <= OPENAI_MAX_ID and bool(_SAFE.match(tool_id))


def any_ok(tool_id: str) -> bool:
    return True


def short_id(tool_id: str) -> str:
    return "call_" + hashlib.sha256(tool_id.encode()).hexdigest()[:32]


def _ids(request: CanonicalRequest) -> set[str]:
    out = {m.tool_call_id for m in request.messages if m.tool_call_id}
    out.update(c.id for m in request.messages for c in m.tool_calls)
    return out


def map_tool_ids(request: CanonicalRequest, ok: Callable[[str], bool]) -> tuple[CanonicalRequest, dict[str, str]]:
    """`request` with every id `ok` refuses replaced, and {short id: original} to map the answer back.
    The request is returned as it is when nothing needs mapping."""
    forward = {i: short_id(i) for i in _ids(request) if not ok(i)}
    if not forward:
        return request, {}
    messages = [
        replace(
            m,
            tool_calls=[replace(c, id=forward.get(c.id, c.id)) for c in m.tool_calls],
            tool_call_id=forward.get(m.tool_call_id, m.tool_call_id) if m.tool_call_id else m.tool_call_id,
        )
        for m in request.messages
    ]
    return replace(request, messages=messages), {v: k for k, v in forward.items()}


def restore_id(ev: Event, reverse: dict[str, str]) -> Event:
    """`ev` with a mapped tool-call id mapped back to the client's."""
    if reverse and isinstance(ev, ToolCallDelta) and ev.id in reverse:
        return replace(ev, id=reverse[ev.id])
    return ev


def id_rule(model: str) -> Callable[[str], bool]:
    """Which ids a litellm model accepts: Gemini's own (signatures and all), Claude's alphabet, else OpenAI's."""
    m = model.lower()
    if m.startswith(("gemini/", "vertex_ai/")) or "gemini" in m:
        return any_ok
    if m.startswith("anthropic/") or "claude" in m:
        return anthropic_ok
    return openai_ok
