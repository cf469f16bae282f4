"""Costs that match the bill: usage blocks of each provider's shape split into prompt, cache-read,
cache-write, output and reasoning tokens, priced from litellm's own price map; the dashboard's cost of
a Claude-via-litellm conversation with cache hits (through the gateway in process) equals Anthropic's
own arithmetic to the cent.

The usage blocks are in each provider's documented wire shape, served by loopback fakes so litellm's
real translation runs (Anthropic's /v1/messages, Gemini's generateContent); the OpenAI one is parsed
as an OpenAI-compatible upstream sends it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from backends.contract import CanonicalRequest, Message, Price, TextPart, Usage
from backends.litellm_backend import LiteLLMBackend
from backends.openai_format import usage_from_openai
from tests.dashboard.conftest import ADMIN_KEY
from tests.fakes.anthropic_upstream import AnthropicScript, make_anthropic
from tests.fakes.gemini_upstream import GeminiScript, make_gemini
from tests.fakes.servers import ServerThread
from tests.router.helpers import log_rows

# Anthropic's published Claude Sonnet 4.5 prices, US$ per million tokens (5-minute cache writes).
SONNET = {"input": 3.00, "cache_write": 3.75, "cache_read": 0.30, "output": 15.00}


def anthropic_bill(usage: dict[str, int]) -> float:
    """Anthropic's arithmetic for one response's usage block."""
    return (
        usage["input_tokens"] * SONNET["input"]
        + usage.get("cache_creation_input_tokens", 0) * SONNET["cache_write"]
        + usage.get("cache_read_input_tokens", 0) * SONNET["cache_read"]
        + usage["output_tokens"] * SONNET["output"]
    ) / 1e6


def ask(text: str = "hi") -> CanonicalRequest:
    return CanonicalRequest(model="x", messages=[Message("user", [TextPart(text)])])


async def usage_of(backend: LiteLLMBackend, stream: bool) -> Usage:
    req = ask()
    req.stream = stream
    events = [ev async for ev in backend.stream(req)]
    return next(ev for ev in events if isinstance(ev, Usage))


def test_openai_usage_block_with_cache_and_reasoning() -> None:
    block = {  # OpenAI's documented shape (o-series with a cached prompt prefix)
        "prompt_tokens": 2006,
        "completion_tokens": 300,
        "total_tokens": 2306,
        "prompt_tokens_details": {"cached_tokens": 1920, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 192, "audio_tokens": 0},
    }
    u = usage_from_openai(block)
    assert (u.input_tokens, u.cached_tokens, u.cache_write_tokens, u.output_tokens, u.reasoning_tokens) == (
        2006,
        1920,
        0,
        300,
        192,
    )
    price = Price(input_per_mtok=1.10, output_per_mtok=4.40, cache_read_per_mtok=0.275)  # o4-mini
    assert price.cost(u) == pytest.approx((86 * 1.10 + 1920 * 0.275 + 300 * 4.40) / 1e6)


@pytest.mark.parametrize("stream", [False, True])
async def test_anthropic_usage_through_litellm_and_the_price_map(stream: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_ANTHROPIC_KEY", "sk-ant-test")
    block = {
        "input_tokens": 20,
        "cache_creation_input_tokens": 1000,
        "cache_read_input_tokens": 5000,
        "output_tokens": 300,
    }
    with ServerThread(make_anthropic(AnthropicScript(usage=block))) as server:
        backend = LiteLLMBackend(
            "claude", model="anthropic/claude-sonnet-4-5", base_url=server.url, api_key_env="TEST_ANTHROPIC_KEY"
        )
        u = await usage_of(backend, stream)
    assert (u.input_tokens, u.cached_tokens, u.cache_write_tokens, u.output_tokens) == (6020, 5000, 1000, 300)
    assert backend.price == Price(3.0, 15.0, 0.3, 3.75)  # from litellm's shipped map, nothing configured
    assert backend.price.cost(u) == pytest.approx(anthropic_bill(block), abs=1e-12)


@pytest.mark.parametrize("stream", [False, True])
async def test_gemini_usage_through_litellm(stream: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_GEMINI_KEY", "gk-test")
    usage = {
        "promptTokenCount": 5200,
        "cachedContentTokenCount": 4096,
        "candidatesTokenCount": 180,
        "thoughtsTokenCount": 620,
        "totalTokenCount": 6000,
    }
    script = GeminiScript(usage=usage)
    with ServerThread(make_gemini(script)) as server:
        backend = LiteLLMBackend(
            "gemini", model="gemini/gemini-2.5-flash", base_url=server.url + "/v1beta", api_key_env="TEST_GEMINI_KEY"
        )
        u = await usage_of(backend, stream)
    assert (u.input_tokens, u.cached_tokens, u.output_tokens, u.reasoning_tokens) == (5200, 4096, 800, 620)
    # Google's arithmetic for Gemini 2.5 Flash: $0.30 input, $0.03 cached input, $2.50 output (thinking included)
    bill = (1104 * 0.30 + 4096 * 0.03 + 800 * 2.50) / 1e6
    assert backend.price.cost(u) == pytest.approx(bill, abs=1e-12)


def test_config_overrides_the_price_map_field_by_field() -> None:
    backend = LiteLLMBackend("claude", model="anthropic/claude-sonnet-4-5", price_overrides={"output_per_mtok": 10.0})
    assert backend.price == Price(3.0, 10.0, 0.3, 3.75)


@pytest.fixture
def claude(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[AnthropicScript, dict[str, Any]]]:
    monkeypatch.setenv("TEST_ANTHROPIC_KEY", "sk-ant-test")
    script = AnthropicScript()
    with ServerThread(make_anthropic(script)) as server:
        backend = {
            "name": "claude",
            "kind": "litellm",
            "model": "anthropic/claude-sonnet-4-5",
            "base_url": server.url,
            "api_key_env": "TEST_ANTHROPIC_KEY",
            "capabilities": {"context_window": 200000},
        }
        yield script, {"backends": [backend]}


TURNS = [  # a Claude Code session: the first turn writes the cache, later ones read it and add to it
    {"input_tokens": 2104, "cache_creation_input_tokens": 18230, "cache_read_input_tokens": 0, "output_tokens": 356},
    {"input_tokens": 153, "cache_creation_input_tokens": 612, "cache_read_input_tokens": 18230, "output_tokens": 421},
    {"input_tokens": 97, "cache_creation_input_tokens": 288, "cache_read_input_tokens": 18842, "output_tokens": 1187},
    {"input_tokens": 3, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 19130, "output_tokens": 64},
]


@pytest.mark.parametrize("stream", [False, True])
def test_dashboard_cost_of_a_cached_claude_conversation_matches_anthropics_arithmetic(
    gateway_app: Any, claude: tuple[AnthropicScript, dict[str, Any]], stream: bool
) -> None:
    script, config = claude
    script.usages = [dict(t) for t in TURNS]
    with gateway_app(config, admin_key=ADMIN_KEY) as (client, app):
        history: list[dict[str, Any]] = []
        for i, _ in enumerate(TURNS):
            history.append({"role": "user", "content": f"step {i}"})
            body = {"model": "claude-sonnet-4-5", "max_tokens": 1024, "messages": history, "stream": stream}
            r = client.post("/v1/messages", json=body, headers={"x-api-key": "k"})
            assert r.status_code == 200, r.text
            history.append({"role": "assistant", "content": "ok"})
            if not stream:  # the client sees Anthropic's own split back
                usage = r.json()["usage"]
                assert {k: usage[k] for k in TURNS[i]} == TURNS[i]
        rows = log_rows(app, len(TURNS))
        auth = {"authorization": f"Bearer {ADMIN_KEY}"}
        totals = client.get("/admin/stats/overview", params={"window": "1h"}, headers=auth).json()["totals"]
    bill = sum(anthropic_bill(t) for t in TURNS)
    assert [r.cached_tokens for r in rows] == [t["cache_read_input_tokens"] for t in TURNS]
    assert [r.cache_write_tokens for r in rows] == [t["cache_creation_input_tokens"] for t in TURNS]
    assert round(totals["cost_usd"], 2) == round(bill, 2)
    assert abs(totals["cost_usd"] - bill) < 1e-6
    assert sum(r.cost_usd or 0 for r in rows) == pytest.approx(bill, abs=1e-9)
