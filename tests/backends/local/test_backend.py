"""The local backend through its public entry, with the real embedded SmolLM2."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest

from backends.contract import Backend, CanonicalRequest, DraftStats, Finish, Message, TextDelta, TextPart, Usage
from backends.errors import RateLimited
from backends.local import create_local_backend


def request(text: str, max_tokens: int = 24, **kw: Any) -> CanonicalRequest:
    return CanonicalRequest(model="local", messages=[Message("user", [TextPart(text)])], max_tokens=max_tokens, **kw)


async def collect(backend: Backend, req: CanonicalRequest) -> list[object]:
    return [event async for event in backend.stream(req)]


def test_import_does_not_import_torch() -> None:
    code = "import sys, backends.local; assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture(scope="module")
async def backends(smollm2):  # type: ignore[no-untyped-def]
    made = {d: create_local_backend(f"local-{d}", "smollm2", {"drafter": d, "max_queue": 1}) for d in ("mtp", "none")}
    for b in made.values():
        await b.warmup()  # type: ignore[attr-defined]
    yield made
    for b in made.values():
        await b.aclose()


async def test_streams_text_then_usage_stats_finish(backends, smollm2) -> None:  # type: ignore[no-untyped-def]
    backend = backends["mtp"]
    assert backend.price.cost(Usage(1000, 1000)) == 0
    assert backend.capabilities.tools and not backend.capabilities.vision
    req = request("Write a Python function that returns the sum of a list.", max_tokens=32)
    events = await collect(backend, req)
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert len(deltas) >= 5 and all(d.text for d in deltas)
    tail = events[len(deltas) :]
    assert [type(e) for e in tail] == [Usage, DraftStats, Finish]
    usage, stats, finish = tail
    prompt_ids = smollm2.tokenizer.apply_chat_template(
        [{"role": "user", "content": req.messages[0].text()}], add_generation_prompt=True, return_dict=False
    )
    assert usage.input_tokens == len(prompt_ids) and not usage.estimated
    assert usage.output_tokens == 32 and finish.reason == "length"
    assert stats.proposed > 0 and 0 <= stats.accepted <= stats.proposed
    # the same request without a drafter gives the same text, token for token (greedy)
    plain = await collect(backends["none"], req)
    assert "".join(d.text for d in deltas) == "".join(e.text for e in plain if isinstance(e, TextDelta))
    assert [e for e in plain if isinstance(e, DraftStats)] == [DraftStats(0, 0)]


async def test_stop_sequence_and_exact_usage(backends) -> None:  # type: ignore[no-untyped-def]
    full = await collect(backends["mtp"], request("Count from 1 to 20, separated by commas.", max_tokens=40))
    text = "".join(e.text for e in full if isinstance(e, TextDelta))
    stop = text[len(text) // 2 : len(text) // 2 + 3]
    cut = await collect(
        backends["mtp"], request("Count from 1 to 20, separated by commas.", max_tokens=40, stop=[stop])
    )
    assert "".join(e.text for e in cut if isinstance(e, TextDelta)) == text[: text.find(stop)]
    usage = next(e for e in cut if isinstance(e, Usage))
    assert 0 < usage.output_tokens < 40
    assert cut[-1] == Finish("stop")


async def test_cancellation_and_bounded_queue(backends) -> None:  # type: ignore[no-untyped-def]
    backend = backends["none"]
    first = backend.stream(request("Tell me a long story about a robot.", max_tokens=200))
    assert isinstance(await first.__anext__(), TextDelta)  # holds the model now
    waiting = asyncio.ensure_future(collect(backend, request("Say hi.", max_tokens=4)))
    await asyncio.sleep(0.05)  # the second request is queued (max_queue=1)
    with pytest.raises(RateLimited) as info:
        await collect(backend, request("Say hi.", max_tokens=4))
    assert info.value.retry_after and info.value.retry_after > 0
    await first.aclose()  # the client went away: generation stops early
    assert backend.engine.last_stats.new_tokens < 200
    events = await asyncio.wait_for(waiting, 60)
    assert isinstance(events[-1], Finish)
