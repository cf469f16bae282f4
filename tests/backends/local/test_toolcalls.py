from __future__ import annotations

import json

from backends.contract import TextDelta, ToolCallDelta
from backends.local.toolcalls import ToolCallParser


def run(pieces: list[str]) -> list[object]:
    parser = ToolCallParser()
    events = [e for p in pieces for e in parser.feed(p)]
    return events + list(parser.flush())


def text_of(events: list[object]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def test_qwen_tool_call_split_across_deltas() -> None:
    src = 'Sure. <tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>'
    events = run([src[i : i + 3] for i in range(0, len(src), 3)])
    calls = [e for e in events if isinstance(e, ToolCallDelta)]
    assert len(calls) == 1 and calls[0].name == "get_weather" and calls[0].index == 0
    assert json.loads(calls[0].arguments) == {"city": "Paris"}
    assert calls[0].id and calls[0].id.startswith("call_")
    assert text_of(events) == "Sure. "


def test_gemma_tool_code_block() -> None:
    events = run(['```tool_code\nsearch(query="kv cache", limit=3)\n```', " done"])
    calls = [e for e in events if isinstance(e, ToolCallDelta)]
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [("search", {"query": "kv cache", "limit": 3})]
    assert text_of(events) == " done"


def test_unparseable_call_stays_text() -> None:
    bad = "<tool_call>{not json}</tool_call> and <tool_ca"
    events = run([bad])
    assert not any(isinstance(e, ToolCallDelta) for e in events)
    assert text_of(events) == bad


def test_two_calls_are_indexed() -> None:
    one = '<tool_call>{"name": "a", "arguments": {}}</tool_call>'
    two = '<tool_call>{"name": "b", "arguments": "{\\"x\\": 1}"}</tool_call>'
    calls = [e for e in run([one + "\n" + two]) if isinstance(e, ToolCallDelta)]
    assert [(c.index, c.name, c.arguments) for c in calls] == [(0, "a", "{}"), (1, "b", '{"x": 1}')]


def test_plain_text_passes_through_promptly() -> None:
    parser = ToolCallParser()
    assert [e.text for e in parser.feed("hello <") if isinstance(e, TextDelta)] == ["hello "]
    assert [e.text for e in parser.feed("b>") if isinstance(e, TextDelta)] == ["<b>"]


def test_gemma_call_whose_arguments_have_no_json_stays_text() -> None:
    # What a model may write in a tool_code block: a NUL, a set, a complex number, an infinity, nesting
    # deeper than the parser goes. None is a call (each raised out of the parser before).
    for body in [
        "f(a='\x00')",
        "f(a={1, 2})",
        "f(a=1j)",
        "f(a=1e999)",
        "f(a=b'x')",
        "f(a=" + "[" * 400 + "]" * 400 + ")",
    ]:
        src = f"```tool_code\n{body}\n```"
        events = run([src])
        assert not any(isinstance(e, ToolCallDelta) for e in events), body
        assert text_of(events) == src, body
