"""Prices for litellm backends from litellm's own model price map (the copy shipped inside litellm:
LITELLM_LOCAL_MODEL_COST_MAP=True, nothing fetched at run time), with the operator's overrides on top.

Not modelled: long-context tiers (`*_above_200k_tokens`), batch and priority rates, and Anthropic's
1-hour cache writes; a request billed at those rates is priced at the standard ones.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .contract import Price

logger = logging.getLogger(__name__)

_FIELDS = {
    "input_per_mtok": "input_cost_per_token",
    "output_per_mtok": "output_cost_per_token",
    "cache_read_per_mtok": "cache_read_input_token_cost",
    "cache_write_per_mtok": "cache_creation_input_token_cost",
}


def map_entry(model_cost: Mapping[str, Any], model: str) -> Mapping[str, Any] | None:
    """The price map's entry for a litellm model name: as given ("gemini/gemini-2.5-flash"), else
    without its provider prefix ("anthropic/claude-sonnet-4-5" is listed as "claude-sonnet-4-5")."""
    for key in (model, model.split("/", 1)[-1]):
        entry = model_cost.get(key)
        if isinstance(entry, Mapping) and entry.get("input_cost_per_token") is not None:
            return entry
    return None


def litellm_price(model_cost: Mapping[str, Any], model: str, overrides: Mapping[str, float] | None = None) -> Price:
    """`model`'s price from the map (zero where it is not listed), then each override the operator set."""
    entry = map_entry(model_cost, model)
    price = Price()
    if entry is None:
        logger.warning("litellm's price map does not list %s: its requests cost 0 unless priced in config", model)
    else:
        values = {ours: float(entry[theirs]) * 1e6 for ours, theirs in _FIELDS.items() if entry.get(theirs) is not None}
        price = replace(price, **values)
    return replace(price, **dict(overrides or {}))
