"""Configuration: one YAML file plus SWITCHPOINT_* environment variables, validated into one typed
object, built once by the CLI or the app factory, never at import."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from backends.errors import ConfigError
from policies.classify.types import CATEGORIES
from policies.safe_yaml import load_yaml

DEFAULT_PORT = 4141
MIN_ADMIN_KEY_CHARS = 32


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CapabilitiesConfig(_Strict):
    vision: bool = False
    tools: bool = True
    fim: bool = False
    context_window: int = Field(default=32768, ge=256)


class TimeoutsConfig(_Strict):
    connect: float = Field(default=5.0, gt=0)
    first_byte: float = Field(default=120.0, gt=0)  # also the longest silence between chunks
    total: float = Field(default=600.0, gt=0)


class PriceConfig(_Strict):
    input_per_mtok: float = Field(default=0.0, ge=0)
    output_per_mtok: float = Field(default=0.0, ge=0)
    # None: cache reads and writes cost the input price. litellm backends take every price they are not
    # given here from litellm's model price map.
    cache_read_per_mtok: float | None = Field(default=None, ge=0)
    cache_write_per_mtok: float | None = Field(default=None, ge=0)


class BackendConfig(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["openai", "litellm", "local"]
    model: str
    base_url: str | None = None
    api_key_env: str | None = None  # the NAME of the environment variable holding the key
    capabilities: CapabilitiesConfig = Field(default_factory=CapabilitiesConfig)
    timeouts: TimeoutsConfig = Field(default_factory=TimeoutsConfig)
    price: PriceConfig = Field(default_factory=PriceConfig)
    options: dict[str, Any] = Field(default_factory=dict)  # kind-specific (local: drafter, queue)

    @model_validator(mode="after")
    def _check_kind(self) -> BackendConfig:
        if self.kind == "openai" and not self.base_url:
            raise ValueError("an openai backend needs base_url")
        if self.base_url and not self.base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return self


class LogConfig(_Strict):
    batch_size: int = Field(default=256, ge=1)
    flush_interval: float = Field(default=0.5, gt=0)
    max_buffered: int = Field(default=50_000, ge=1)  # rows held in memory while the database is away


class OtelConfig(_Strict):
    """OpenTelemetry export of one span per request over OTLP/HTTP (needs the `otel` extra)."""

    enabled: bool = False
    endpoint: str = "http://127.0.0.1:4318/v1/traces"
    service_name: str = "switchpoint"
    headers: dict[str, str] = Field(default_factory=dict)  # e.g. a collector's auth header


class RoutingConfig(_Strict):
    """Cooldowns, stickiness, rule reloads, exploration and the tuning objective (docs/policies.md)."""

    cooldown_failures: int = Field(default=3, ge=0)  # 0: never cool down
    cooldown_window_s: float = Field(default=30.0, gt=0)
    cooldown_s: float = Field(default=30.0, gt=0)
    sticky_ttl_s: float = Field(default=3600.0, ge=0)  # 0: no stickiness
    rules_poll_s: float = Field(default=1.0, gt=0)
    explore_share: float = Field(default=0.0, ge=0, le=0.5)
    explore_boost: float = Field(default=0.5, ge=0, le=1)  # the share where a better backend needs evidence
    weight_quality: float = Field(default=1.0, ge=0)
    weight_latency: float = Field(default=0.05, ge=0)  # per second of total latency
    weight_cost: float = Field(default=0.1, ge=0)  # per US cent
    min_quality: float = Field(default=0.0, ge=0, le=1)
    max_p95_latency_ms: float | None = Field(default=None, gt=0)
    judge_backend: str | None = None  # a backend that grades a sampled share of answers
    judge_share: float = Field(default=0.05, ge=0, le=1)
    shadow_backend: str | None = None  # also sends a sampled share of requests here, unseen by clients
    shadow_share: float = Field(default=0.0, ge=0, le=1)


class ConnectionsConfig(_Strict):
    """Client connections under `switchpoint serve` (router/http_server.py)."""

    max_header_bytes: int = Field(default=64 * 1024, ge=4096)  # request line and headers; over it: 431
    header_timeout_s: float = Field(default=30.0, gt=0)  # from connect (or a request's first byte) to its headers' end
    body_timeout_s: float = Field(default=60.0, gt=0)  # from the headers' end to the body's end
    keep_alive_s: int = Field(default=75, ge=1)  # idle between requests; longer than clients' idle pools


class Settings(BaseSettings):
    """Everything Switchpoint reads at start. Environment (SWITCHPOINT_*) overrides the YAML file."""

    model_config = SettingsConfigDict(env_prefix="SWITCHPOINT_", env_nested_delimiter="__", extra="forbid")

    home: Path = Field(default_factory=lambda: Path.home() / ".switchpoint")
    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    database_url: str | None = None  # default: SQLite under home
    redis_url: str | None = None
    admin_key: SecretStr | None = None  # SWITCHPOINT_ADMIN_KEY; else generated once into HOME/admin_key
    max_body_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    unknown_models: Literal["route", "reject"] = "route"
    backends: list[BackendConfig] = Field(default_factory=list)
    aliases: dict[str, str] = Field(default_factory=dict)
    routes: dict[str, list[str]] = Field(default_factory=dict)
    rules: list[dict[str, Any]] = Field(default_factory=list)  # policies/rules.py; tried before routes
    classifier: str = "default"  # a name in the classifier registry (policies/classify/registry.py)
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    log: LogConfig = Field(default_factory=LogConfig)
    connections: ConnectionsConfig = Field(default_factory=ConnectionsConfig)
    otel: OtelConfig = Field(default_factory=OtelConfig)
    max_attempts: int = Field(default=3, ge=1)
    graceful_shutdown_s: float = Field(default=30.0, ge=0)
    require_keys: bool = False  # the public API needs a virtual key even before any key exists
    key_reserve_tokens: int = Field(default=4096, ge=1)  # the output reserved for a request without max tokens
    log_bodies: bool = False  # store request bodies (secrets redacted) in the request_bodies table

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (env_settings, init_settings)

    @field_validator("admin_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_ADMIN_KEY_CHARS:
            raise ValueError(
                f"SWITCHPOINT_ADMIN_KEY is shorter than {MIN_ADMIN_KEY_CHARS} characters, too easy to guess; "
                "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))' "
                "(or leave it unset to use the key generated into HOME/admin_key)"
            )
        return value

    @model_validator(mode="after")
    def _check_references(self) -> Settings:
        names = [b.name for b in self.backends]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"backend names must be unique: {', '.join(dupes)}")
        known = set(names)
        for alias, target in self.aliases.items():
            if target != "auto" and target not in known:
                raise ValueError(f"aliases.{alias}: unknown backend '{target}'")
        for category, chain in self.routes.items():
            if category not in (*CATEGORIES, "default", "fast"):
                raise ValueError(f"routes.{category}: unknown category (use {', '.join(CATEGORIES)} or default)")
            for b in chain:
                if b not in known:
                    raise ValueError(f"routes.{category}: unknown backend '{b}'")
        from policies.rules import parse_rules

        if self.routing.judge_backend and self.routing.judge_backend not in known:
            raise ValueError(f"routing.judge_backend: unknown backend '{self.routing.judge_backend}'")
        if self.routing.shadow_backend and self.routing.shadow_backend not in known:
            raise ValueError(f"routing.shadow_backend: unknown backend '{self.routing.shadow_backend}'")
        _, errors = parse_rules(self.rules, names)
        if errors:
            raise ValueError("\n  ".join(errors))  # one line each, under ConfigError's own indent
        return self

    @property
    def sqlite_path(self) -> Path:
        return self.home / "switchpoint.db"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"


def _format_errors(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        out.append(f"{path}: {msg}" if path else msg)
    return out


def load_settings(path: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Read the YAML file (if any), apply SWITCHPOINT_* environment overrides, validate.

    Raises ConfigError listing every problem with its field path.
    """
    data: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = load_yaml(Path(path).read_text())
        except OSError as exc:
            raise ConfigError([f"{path}: {exc.strerror}"]) from None
        except yaml.YAMLError as exc:
            raise ConfigError([f"{path}: not valid YAML: {exc}"]) from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError([f"{path}: the top level must be a mapping"])
        data = loaded or {}
    data.update(overrides)
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc)) from None
