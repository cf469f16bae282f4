"""A documented token estimate for when no tokenizer or upstream count is available.

Rule: one token per 4 characters of text (rounded up), plus 4 tokens of framing per message and
256 per image. English and code average 3.5-4.5 characters per token on current tokenizers; rows
counted this way are flagged `tokens_estimated` in the request log.
"""

from __future__ import annotations

import orjson

from .contract import CanonicalRequest, ImagePart, TextPart

CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4
TOKENS_PER_IMAGE = 256


def estimate_text_tokens(text: str) -> int:
    return -(-len(text) // CHARS_PER_TOKEN)


def estimate_request_tokens(request: CanonicalRequest) -> int:
    chars = len(request.prompt or "") + len(request.suffix or "")
    n = 0
    for m in request.messages:
        n += TOKENS_PER_MESSAGE
        for p in m.content:
            if isinstance(p, TextPart):
                chars += len(p.text)
            elif isinstance(p, ImagePart):
                n += TOKENS_PER_IMAGE
        for t in m.tool_calls:
            chars += len(t.name) + len(t.arguments)
    for tool in request.tools:
        chars += len(tool.name) + len(tool.description) + len(orjson.dumps(tool.parameters))
    return n + -(-chars // CHARS_PER_TOKEN)


def reservation_tokens(request: CanonicalRequest, default_output: int) -> int:
    """What a request may spend at most, by this estimate: its prompt plus its max output tokens
    (`default_output` when it states none). A key's budget reserves this much while it runs."""
    return estimate_request_tokens(request) + (request.max_tokens or default_output)
