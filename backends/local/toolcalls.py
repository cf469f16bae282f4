"""Find tool calls in streamed model text and turn them into contract events.

Recognised forms (what fails to parse is passed on as plain text):

- Qwen / Hermes: <tool_call>{"name": "f", "arguments": {...}}</tool_call>
- Gemma's function-call block: ```tool_code\nf(a=1, b="x")\n```  (Python call syntax)
"""

from __future__ import annotations

import ast
import json
import uuid
from collections.abc import Iterator

from ..contract import Event, TextDelta, ToolCallDelta

MARKERS = (("<tool_call>", "</tool_call>"), ("```tool_code", "```"))


def parse_call(opening: str, body: str) -> tuple[str, str] | None:
    """(name, JSON arguments) from a call's body, or None where it does not parse."""
    if opening == "<tool_call>":
        try:
            data = json.loads(body.strip())
        except json.JSONDecodeError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            return None
        args = data.get("arguments", data.get("parameters", {}))
        return data["name"], args if isinstance(args, str) else json.dumps(args)
    try:
        node = ast.parse(body.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError, SystemError):
        # ValueError: a NUL in the text; RecursionError/MemoryError: nesting too deep; SystemError: a parse
        # racing another thread's in CPython 3.11 (python/cpython#106905). None of them is a call.
        return None
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name) or node.args:
        return None
    try:
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
        # A set, bytes, a complex number or an infinity has no JSON: then it is not a call either.
        return node.func.id, json.dumps(kwargs, allow_nan=False)
    except (ValueError, TypeError, RecursionError, MemoryError):
        return None


class ToolCallParser:
    """Feed text deltas; get TextDelta and ToolCallDelta events, holding back only what may be
    the start of a call."""

    def __init__(self) -> None:
        self.buffer = ""
        self.open: str | None = None
        self.calls = 0

    def _hold(self, text: str) -> int:
        """Length of the longest suffix of text that is a proper prefix of an opening marker."""
        for opening, _ in MARKERS:
            for n in range(min(len(opening) - 1, len(text)), 0, -1):
                if text.endswith(opening[:n]):
                    return n
        return 0

    def feed(self, text: str) -> Iterator[Event]:
        self.buffer += text
        while True:
            if self.open is None:
                hits = [(self.buffer.find(o), o) for o, _ in MARKERS if o in self.buffer]
                if not hits:
                    keep = self._hold(self.buffer)
                    if len(self.buffer) > keep:
                        yield TextDelta(self.buffer[: len(self.buffer) - keep])
                        self.buffer = self.buffer[len(self.buffer) - keep :]
                    return
                at, opening = min(hits)
                if at:
                    yield TextDelta(self.buffer[:at])
                self.buffer = self.buffer[at:]
                self.open = opening
            closing = dict(MARKERS)[self.open]
            end = self.buffer.find(closing, len(self.open))
            if end < 0:
                return
            raw = self.buffer[: end + len(closing)]
            body = self.buffer[len(self.open) : end]
            self.buffer = self.buffer[end + len(closing) :]
            parsed = parse_call(self.open, body)
            self.open = None
            if parsed is None:
                yield TextDelta(raw)
                continue
            name, arguments = parsed
            yield ToolCallDelta(self.calls, id=f"call_{uuid.uuid4().hex[:24]}", name=name, arguments=arguments)
            self.calls += 1

    def flush(self) -> Iterator[Event]:
        if self.buffer:
            yield TextDelta(self.buffer)
        self.buffer, self.open = "", None
