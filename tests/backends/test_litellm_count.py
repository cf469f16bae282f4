"""litellm backends count with litellm's own counter, segment by segment: on the recorded client
requests over 1,000 tokens the sum is within 2% of litellm counting the whole chat body at once."""

from __future__ import annotations

import pytest

from backends.litellm_backend import LiteLLMBackend
from backends.openai_format import canonical_fields
from router.dialects import get_dialect
from tests.dialects.helpers import recorded_requests
from tests.dialects.test_fixtures import DIALECT_PATHS


@pytest.mark.parametrize("model", ["anthropic/claude-sonnet-4-5", "gemini/gemini-2.5-flash"])
async def test_litellm_count_agrees_with_litellm_on_whole_requests(model: str) -> None:
    backend = LiteLLMBackend("b", model=model)
    lt = backend._litellm
    checked = 0
    for _, _, rec in recorded_requests():
        dialect = DIALECT_PATHS.get(rec["path"]) if rec["method"] == "POST" else None
        if dialect in (None, "completions"):
            continue
        req = get_dialect(dialect).parse_request(rec["json"])
        fields = canonical_fields(req)
        whole = lt.token_counter(model=model, messages=fields["messages"], tools=fields.get("tools"))
        if whole < 1000:
            continue
        counted = await backend.count_tokens(req)
        assert counted.source == "litellm"
        assert abs(counted.tokens - whole) <= 0.02 * whole, (counted.tokens, whole)
        checked += 1
    assert checked >= 5
