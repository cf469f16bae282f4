"""Backends from configuration, and the embedded defaults used when no configuration names any."""

from __future__ import annotations

import importlib.util
import logging
import os

from backends.contract import Backend, Capabilities, Price
from backends.openai_http import OpenAIBackend

from .settings import BackendConfig, CapabilitiesConfig, Settings

log = logging.getLogger(__name__)


def build_backend(cfg: BackendConfig) -> Backend:
    caps = Capabilities(**cfg.capabilities.model_dump())
    price = Price(**cfg.price.model_dump())
    if cfg.kind == "openai":
        assert cfg.base_url is not None  # the config validator requires it
        return OpenAIBackend.from_env(
            cfg.name,
            api_key_env=cfg.api_key_env,
            base_url=cfg.base_url,
            model=cfg.model,
            capabilities=caps,
            price=price,
            connect_timeout=cfg.timeouts.connect,
            first_byte_timeout=cfg.timeouts.first_byte,
            total_timeout=cfg.timeouts.total,
        )
    if cfg.kind == "litellm":
        from backends.litellm_backend import LiteLLMBackend

        return LiteLLMBackend(
            cfg.name,
            model=cfg.model,
            api_key_env=cfg.api_key_env,
            base_url=cfg.base_url,
            capabilities=caps,
            price=price,
            first_byte_timeout=cfg.timeouts.first_byte,
            total_timeout=cfg.timeouts.total,
        )
    from backends.local import create_local_backend

    return create_local_backend(cfg.name, cfg.model, dict(cfg.options))


def local_engine_installed() -> bool:
    return importlib.util.find_spec("torch") is not None and importlib.util.find_spec("backends.local") is not None


def with_embedded_defaults(settings: Settings) -> Settings:
    """With no backends configured: the local models that PyPI packages ship (when the `local` extra
    is installed) and cloud Gemini when GEMINI_API_KEY is set."""
    if settings.backends:
        return settings
    backends: list[BackendConfig] = []
    if local_engine_installed():
        backends += [
            BackendConfig(name="smollm2", kind="local", model="smollm2"),
            BackendConfig(name="gemma3", kind="local", model="gemma3"),
        ]
    else:
        log.warning("the local engine is not installed (pip install 'switchpoint[local]'): no local models")
    if os.environ.get("GEMINI_API_KEY"):
        backends.append(
            BackendConfig(
                name="gemini",
                kind="litellm",
                model="gemini/gemini-2.5-flash",
                api_key_env="GEMINI_API_KEY",
                capabilities=CapabilitiesConfig(vision=True, tools=True, context_window=1_000_000),
                price={"input_per_mtok": 0.30, "output_per_mtok": 2.50},  # type: ignore[arg-type]
            )
        )
    names = [b.name for b in backends]
    local = [n for n in ("smollm2", "gemma3") if n in names]
    cloud = [n for n in ("gemini",) if n in names]
    routes: dict[str, list[str]] = {}
    if names:
        routes = {
            "coding": local + cloud,
            "tool_calling": local + cloud,
            "prose": local + cloud,  # SmolLM2 (instruction-tuned) first: Gemma 3 270M is a base model
            "default": local + cloud,
        }
        if cloud:
            routes["vision"] = cloud
    return settings.model_copy(update={"backends": backends, "routes": routes})
