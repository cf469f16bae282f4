"""router/dialects/checks.py in each chat dialect: what a backend would refuse is the client's 400 at
parse time, naming the message; what real clients send passes (test_fixtures.py parses them all)."""

from __future__ import annotations

from typing import Any

import pytest

from backends.errors import InvalidRequest
from router.dialects import get_dialect

USER = {"role": "user", "content": "hi"}
CALL = {"id": "call_1", "type": "function", "function": {"name": "Bash", "arguments": '{"command": "ls"}'}}

BAD: list[tuple[str, dict[str, Any], str]] = [
    (
        "openai",
        {
            "messages": [
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}]}
            ]
        },
        "image URLs",
    ),
    (
        "openai",
        {"messages": [USER, {"role": "tool", "tool_call_id": "call_9", "content": "x"}]},
        "answers no tool call",
    ),
    (
        "openai",
        {
            "messages": [
                USER,
                {"role": "assistant", "tool_calls": [{**CALL, "function": {"name": "Bash", "arguments": "{oops"}}]},
            ]
        },
        "not valid JSON",
    ),
    (
        "openai",
        {
            "messages": [
                USER,
                {"role": "assistant", "tool_calls": [CALL]},
                {"role": "tool", "tool_call_id": "call_2", "content": "x"},
            ]
        },
        "answers no tool call",
    ),
    (
        "anthropic",
        {
            "max_tokens": 9,
            "messages": [
                {"role": "user", "content": [{"type": "image", "source": {"type": "url", "url": "ftp://host/x.png"}}]}
            ],
        },
        "image URLs",
    ),
    (
        "anthropic",
        {
            "max_tokens": 9,
            "messages": [
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "x"}]}
            ],
        },
        "answers no tool call",
    ),
    (
        "responses",
        {"input": [{"type": "function_call_output", "call_id": "c1", "output": "x"}]},
        "answers no tool call",
    ),
    (
        "responses",
        {"input": [{"type": "function_call", "call_id": "c1", "name": "f", "arguments": "[1,"}]},
        "not valid JSON",
    ),
    (
        "responses",
        {"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "file:///etc/shadow"}]}]},
        "image URLs",
    ),
]

GOOD: list[tuple[str, dict[str, Any]]] = [
    (
        "openai",
        {
            "messages": [
                USER,
                {"role": "assistant", "tool_calls": [{**CALL, "function": {"name": "Bash", "arguments": ""}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "x"},
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}],
                },
            ]
        },
    ),
    (
        "anthropic",
        {
            "max_tokens": 9,
            "messages": [
                USER,
                {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}]},
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "x"},
                        {"type": "image", "source": {"type": "url", "url": "HTTPS://x/y.png"}},
                    ],
                },
            ],
        },
    ),
    (
        "responses",
        {
            "input": [
                {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": "x"},
            ]
        },
    ),
]


@pytest.mark.parametrize(("dialect", "body", "says"), BAD)
def test_refused_at_parse_time(dialect, body, says):
    with pytest.raises(InvalidRequest) as info:
        get_dialect(dialect).parse_request({"model": "auto", **body})
    assert says in info.value.message and info.value.param and info.value.param.startswith("messages[")


@pytest.mark.parametrize(("dialect", "body"), GOOD)
def test_accepted(dialect, body):
    get_dialect(dialect).parse_request({"model": "auto", **body})
