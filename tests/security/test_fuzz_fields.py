"""Hostile values in every string and number field of every public route, on SQLite and on Postgres: a
NUL, an over-long string, integers past 64 bits, a huge float, nesting past the encoder's limit, in
each top-level field the route's schema names and in each leaf of a request that uses most of them
(messages, tools, tool calls). Each answer keeps the fuzzers' invariants (tests/security/fuzz_state.py):
no 5xx, nothing leaked, one log row per /v1 request, the key charged what its rows say."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from router.openapi import openapi_schema
from tests.security.fuzz_state import FuzzGateway, fuzz_gateway
from tests.security.replicas import DATABASES
from tests.security.test_bad_input import ROUTES


def _deep(n: int) -> Any:
    value: Any = "x"
    for _ in range(n):
        value = [value]
    return value


# integers at the edges of what the JSON parser reads (64 bits); past them the body is not valid JSON
HOSTILE: list[Any] = ["a\x00b", "y" * 20_000, 2**63, 2**64 - 1, -(2**63), 1e308, _deep(300)]
TOOL = {"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object"}}}
RICH: dict[str, dict[str, Any]] = {
    "/v1/chat/completions": {
        "model": "auto",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        ],
        "tools": [TOOL],
        "max_tokens": 16,
        "temperature": 0.5,
        "user": "u",
        "metadata": {"k": "v"},
    },
    "/v1/messages": {
        "model": "auto",
        "max_tokens": 16,
        "system": "be brief",
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {"a": 1}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}]},
        ],
        "tools": [{"name": "f", "description": "d", "input_schema": {"type": "object"}}],
        "metadata": {"user_id": "u"},
        "temperature": 0.5,
        "top_k": 5,
    },
    "/v1/responses": {
        "model": "auto",
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
        "instructions": "be brief",
        "max_output_tokens": 16,
        "user": "u",
        "metadata": {"k": "v"},
    },
    "/v1/completions": {"model": "auto", "prompt": "def f():", "suffix": "", "max_tokens": 16, "user": "u"},
    "/v1/messages/count_tokens": {"model": "auto", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]},
    "/v1/feedback": {"request_id": "req_0", "score": 1, "label": "fine"},
}


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The paths of every string and number in `value`."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, (*path, i))
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        yield path


def top_level_fields(route: str) -> set[str]:
    doc = openapi_schema(ROUTES)
    ref = doc["paths"][route]["post"]["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" not in ref:
        return set(ref.get("properties", {}))
    return set(doc["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]].get("properties", {}))


def cases(route: str) -> list[dict[str, Any]]:
    base = RICH[route]
    paths = set(leaves(base)) | {(f,) for f in top_level_fields(route)}
    out = []
    for path in sorted(paths, key=str):
        for value in HOSTILE:
            body = copy.deepcopy(base)
            target = body
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
            out.append(body)
    return out


@pytest.fixture(scope="module", params=DATABASES)
def fuzz(request: Any, tmp_path_factory: pytest.TempPathFactory, classifier: Any) -> Iterator[FuzzGateway]:
    home: Path = tmp_path_factory.mktemp("fields")
    with fuzz_gateway(request.param, home, classifier) as gw:
        yield gw


async def _send(fuzz: FuzzGateway, route: str, bodies: list[dict[str, Any]], headers: dict[str, str]) -> None:
    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=fuzz.url, headers={**fuzz.headers, **headers}, timeout=60) as client:

        async def one(body: dict[str, Any]) -> httpx.Response:
            async with gate:
                return await client.post(route, json=body)

        for response in await asyncio.gather(*(one(b) for b in bodies)):
            fuzz.check(route, response)


@pytest.mark.parametrize("route", list(RICH))
def test_hostile_values_in_every_field(fuzz: FuzzGateway, route: str) -> None:
    bodies = cases(route)
    asyncio.run(_send(fuzz, route, bodies, {}))
    # client strings that reach a row through headers: an over-long session id
    asyncio.run(_send(fuzz, route, [RICH[route]], {"x-session-id": "s" * 5000, "user-agent": "u" * 5000}))
    fuzz.check_log()


ADMIN_BODIES: dict[str, dict[str, Any]] = {
    "/admin/keys": {"name": "n", "budget_tokens": 5, "rpm": 5, "expires_at": 4e9},
    "/admin/rules/validate": {"yaml": "rules: []"},
    "/admin/rules/dry-run": {"yaml": "rules: []", "limit": 5},
    "/admin/rules/rollback": {"version": 0},
}
ADMIN_QUERIES: dict[str, tuple[str, ...]] = {
    "/admin/requests": ("since", "until", "category", "backend", "status", "client", "key_id", "cursor", "limit"),
    "/admin/stats/overview": ("window", "backend", "category"),
    "/admin/requests/req_x": ("x",),
}
QUERY_VALUES = ["a\x00b", "z" * 5000, "\u00b2", "1e400", "nan", "-1", "9" * 5000, str(2**63)]


async def _admin(fuzz: FuzzGateway) -> None:
    from tests.security.helpers import ADMIN

    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=fuzz.url, headers={"authorization": f"Bearer {ADMIN}"}, timeout=60) as c:

        async def one(method: str, path: str, **kw: Any) -> None:
            async with gate:
                fuzz.check(path, await c.request(method, path, **kw))

        calls = []
        for path, base in ADMIN_BODIES.items():
            for leaf in leaves(base):
                for value in HOSTILE:
                    calls.append(one("POST", path, json={**base, leaf[0]: value}))
        for path, params in ADMIN_QUERIES.items():
            for name in params:
                calls += [one("GET", path, params={name: value}) for value in QUERY_VALUES]
        await asyncio.gather(*calls)


def test_hostile_values_in_admin_fields(fuzz: FuzzGateway) -> None:
    asyncio.run(_admin(fuzz))
