"""Prompt token counts for the pipeline: the count_tokens endpoint, the context-window gate and usage
an upstream did not report. Each backend counts with its own tokenizer (docs/usage.md); the counts of
one request are kept in its trace, so a backend counts a request once."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from backends.contract import Backend, CanonicalRequest, TokenCount
from backends.errors import SwitchpointError
from backends.tokencount import MAX_BYTES_PER_TOKEN, prompt_bytes
from backends.tokens import estimate_request_tokens
from policies.routing import Needs, RoutingTable
from policies.routing import decide as route_of

log = logging.getLogger(__name__)


def _estimate(req: CanonicalRequest) -> TokenCount:
    return TokenCount(estimate_request_tokens(req), "estimate")


async def count_for_route(
    backends: Mapping[str, Backend], table: RoutingTable, req: CanonicalRequest, category: str
) -> TokenCount:
    """The prompt's tokens on the backend a completion would go to first (routes and aliases; no rules,
    pins or exploration, which have side effects); the estimate where no backend applies."""
    try:
        chain = route_of(req.model, category, Needs(), table).chain
    except SwitchpointError:
        chain = []
    backend = backends.get(chain[0]) if chain else None
    if backend is not None:
        try:
            return await backend.count_tokens(req)
        except Exception:  # a counter's bug must not fail the endpoint: the estimate answers instead
            log.exception("counting tokens with %s failed; answering with the estimate", chain[0])
    return _estimate(req)


async def window_counts(
    backends: Mapping[str, Backend], req: CanonicalRequest, counted: dict[str, TokenCount], request_id: str
) -> dict[str, int]:
    """For the context-window gate: each backend's own count of the prompt, counted only where the
    prompt's byte bound does not already prove it fits (almost always it does, at no cost) and it is
    not hopelessly over (a 100 KB agent prompt against an 8k local model is not tokenised). Counts
    made go into `counted`; a backend that cannot count is gated on the classifier's estimate."""
    size, framing = prompt_bytes(req)
    out: dict[str, int] = {}
    for name, backend in backends.items():
        window = backend.capabilities.context_window
        if size + framing <= window:
            out[name] = size + framing
        elif size // MAX_BYTES_PER_TOKEN > window:
            out[name] = size // MAX_BYTES_PER_TOKEN + framing
        else:
            try:
                counted[name] = await backend.count_tokens(req)
            except SwitchpointError as exc:
                log.warning("request %s: %s could not count tokens: %s", request_id, name, exc.message)
                continue
            out[name] = counted[name].tokens
    return out


async def prompt_count(
    backends: Mapping[str, Backend],
    name: str | None,
    req: CanonicalRequest | None,
    counted: dict[str, TokenCount],
    request_id: str,
) -> TokenCount:
    """The prompt's tokens on backend `name`, counted once per request (the estimate if it cannot)."""
    assert req is not None
    backend = backends.get(name or "")
    if name is None or backend is None:
        return _estimate(req)
    if name not in counted:
        try:
            counted[name] = await backend.count_tokens(req)
        except SwitchpointError as exc:
            log.warning("request %s: %s could not count tokens: %s", request_id, name, exc.message)
            return _estimate(req)
    return counted[name]
