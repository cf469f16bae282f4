"""Backends from configuration, and the embedded defaults used when no configuration names any."""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Callable
from pathlib import Path

from backends.contract import Backend, Capabilities, Price
from backends.errors import ConfigError
from backends.openai_http import OpenAIBackend

from .settings import BackendConfig, CapabilitiesConfig, Settings

log = logging.getLogger(__name__)


BackendFactory = Callable[[BackendConfig, Path], Backend]  # (its configuration, Switchpoint's home)


class BackendRegistry:
    """The extension point for backends: a factory per `kind`, the built-in kinds included.

    registry = builtin_backends()
    registry.register_backend("mine", lambda cfg, home: MyBackend(cfg.name, cfg.model))
    app = create_app(settings, backend_kinds=registry)
    """

    def __init__(self) -> None:
        self._factories: dict[str, BackendFactory] = {}

    def register_backend(self, kind: str, factory: BackendFactory, replace: bool = False) -> None:
        if kind in self._factories and not replace:
            raise ValueError(f"backend kind '{kind}' is already registered")
        self._factories[kind] = factory

    def create_backend(self, cfg: BackendConfig, home: Path) -> Backend:
        try:
            factory = self._factories[cfg.kind]
        except KeyError:
            known = ", ".join(sorted(self._factories)) or "none"
            raise ConfigError([f"backends.{cfg.name}.kind: unknown kind '{cfg.kind}' (registered: {known})"]) from None
        return factory(cfg, home)

    def kinds(self) -> list[str]:
        return sorted(self._factories)


def _openai(cfg: BackendConfig, home: Path) -> Backend:
    assert cfg.base_url is not None  # the config validator requires it
    return OpenAIBackend.from_env(
        cfg.name,
        api_key_env=cfg.api_key_env,
        base_url=cfg.base_url,
        model=cfg.model,
        capabilities=Capabilities(**cfg.capabilities.model_dump()),
        price=Price(**cfg.price.model_dump(exclude_none=True)),
        connect_timeout=cfg.timeouts.connect,
        first_byte_timeout=cfg.timeouts.first_byte,
        total_timeout=cfg.timeouts.total,
    )


def _litellm(cfg: BackendConfig, home: Path) -> Backend:
    from backends.litellm_backend import LiteLLMBackend

    return LiteLLMBackend(
        cfg.name,
        model=cfg.model,
        api_key_env=cfg.api_key_env,
        base_url=cfg.base_url,
        capabilities=Capabilities(**cfg.capabilities.model_dump()),
        price_overrides=cfg.price.model_dump(exclude_unset=True),  # the rest from litellm's price map
        first_byte_timeout=cfg.timeouts.first_byte,
        total_timeout=cfg.timeouts.total,
    )


def _local(cfg: BackendConfig, home: Path) -> Backend:
    from backends.local import create_local_backend

    return create_local_backend(cfg.name, cfg.model, dict(cfg.options), home=home)


def builtin_backends() -> BackendRegistry:
    """A registry holding the built-in backend kinds, registered the way a user's would be."""
    registry = BackendRegistry()
    registry.register_backend("openai", _openai)
    registry.register_backend("litellm", _litellm)
    registry.register_backend("local", _local)
    return registry


def build_backend(cfg: BackendConfig, home: Path) -> Backend:
    """One backend of a built-in kind (`home`: where the local engine keeps converted models)."""
    return builtin_backends().create_backend(cfg, home)


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
