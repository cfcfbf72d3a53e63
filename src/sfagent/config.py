"""Settings: one object, read from SFAGENT_* environment variables and an optional .env file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from sfagent.errors import ConfigurationError
from sfagent.security.crypto import Keyring, KeyringError

TierName = Literal["free", "standard", "enterprise"]


class TierLimits(BaseModel):
    """Limits a tenant gets from its tier unless the organization overrides them."""

    requests_per_minute: int = Field(gt=0)
    end_user_requests_per_minute: int = Field(gt=0)
    concurrent_conversations: int = Field(gt=0)
    max_message_length: int = Field(gt=0)
    retention_days: int = Field(gt=0)
    inactivity_timeout_minutes: int = Field(gt=0)
    # Knowledge base: the tenant's own articles (defaults do not count) and one body's size.
    kb_max_articles: int = Field(default=10_000, gt=0)
    kb_max_article_chars: int = Field(default=200_000, gt=0)
    # LLM spending per calendar month (UTC) in US dollars; None is unlimited. When it is
    # spent, the grounded composer answers until the month ends.
    llm_monthly_budget_usd: float | None = Field(default=5.0, ge=0)


def _default_tiers() -> dict[str, TierLimits]:
    return {
        "free": TierLimits(
            requests_per_minute=120,
            end_user_requests_per_minute=30,
            concurrent_conversations=50,
            max_message_length=5000,
            retention_days=30,
            inactivity_timeout_minutes=30,
            kb_max_articles=1_000,
            llm_monthly_budget_usd=5.0,
        ),
        "standard": TierLimits(
            requests_per_minute=1200,
            end_user_requests_per_minute=60,
            concurrent_conversations=1000,
            max_message_length=5000,
            retention_days=365,
            inactivity_timeout_minutes=30,
            llm_monthly_budget_usd=200.0,
        ),
        "enterprise": TierLimits(
            requests_per_minute=12000,
            end_user_requests_per_minute=120,
            concurrent_conversations=20000,
            max_message_length=20000,
            retention_days=2555,
            inactivity_timeout_minutes=30,
            kb_max_articles=100_000,
            llm_monthly_budget_usd=None,
        ),
    }


class LlmProviderConfig(BaseModel):
    """One LLM backend of SFAGENT_LLM_PROVIDERS (mirrors responder.llm.ProviderSettings).

    "openai" covers every OpenAI-compatible server (OpenAI, Azure, vLLM, Ollama, llama.cpp)
    through base_url; "anthropic" is the Anthropic Messages API.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["openai", "anthropic"]
    model: str = Field(min_length=1)
    base_url: str | None = None
    api_key: SecretStr | None = None
    timeout: float = Field(default=20.0, gt=0)
    max_attempts: int = Field(default=3, gt=0)
    failure_threshold: int = Field(default=5, gt=0)
    cool_down: float = Field(default=30.0, ge=0)
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"


class LlmPriceConfig(BaseModel):
    """US dollars per million tokens of one model."""

    model_config = ConfigDict(extra="forbid")

    input_per_million: float = Field(ge=0)
    output_per_million: float = Field(ge=0)


DEV_SECRET_KEY = "dev-insecure-secret-key-change-me-0000000000"


class Settings(BaseSettings):
    """Every setting sfagent reads. Construct once at start-up and pass values down."""

    model_config = SettingsConfigDict(
        env_prefix="SFAGENT_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        extra="ignore",
    )

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite+aiosqlite:///./var/sfagent.db"
    # Migrations may run as the schema owner while the server runs as a role without
    # BYPASSRLS, so that row-level security binds the server. Unset: database_url.
    migration_database_url: str | None = None
    # Optional PostgreSQL schema (search_path); tests use a private one per run.
    database_schema: str | None = None
    database_pool_size: int = Field(default=10, gt=0)
    # FULL: a commit is on disk before the 2xx, even across power loss. NORMAL is faster
    # and still survives a crashed process, but may lose the last commits on power loss.
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    database_timeout_seconds: float = Field(default=5.0, gt=0)
    redis_url: str | None = None
    redis_prefix: str = "sfagent:"
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    # Encryption at rest (AES-256-GCM) of message content, attachments, analyses, escalation
    # summaries and stored credentials: comma-separated keys, "<id>:<base64 of 32 bytes>" or
    # just the base64; the first encrypts, all decrypt (rotation). Unset: stored unencrypted.
    encryption_key: SecretStr | None = None
    # The same, one key per line, from a file a key manager (Vault agent, KMS sidecar) writes.
    encryption_key_file: Path | None = None

    host: str = "127.0.0.1"
    port: int = Field(default=8000, gt=0, lt=65536)
    public_url: str | None = None

    jwt_audience: str = "sfagent"
    staff_jwt_audience: str = "sfagent-staff"
    staff_token_ttl_minutes: int = Field(default=60, gt=0)
    jwt_leeway_seconds: int = Field(default=30, ge=0)

    rate_limit_disabled: bool = False
    auth_ip_requests_per_minute: int = Field(default=30, gt=0)
    # Failed sign-ins (bad API key, token or password) within the window lock the address,
    # or the credential tried, out for auth_lockout_seconds; a correct secret waits too.
    auth_lockout_disabled: bool = False
    auth_failures_per_address: int = Field(default=50, gt=0)
    auth_failures_per_credential: int = Field(default=10, gt=0)
    auth_failure_window_seconds: int = Field(default=300, gt=0)
    auth_lockout_seconds: int = Field(default=900, gt=0)
    rate_limit_window_seconds: int = Field(default=60, gt=0)
    default_tier: TierName = "free"
    tiers: dict[str, TierLimits] = Field(default_factory=_default_tiers)

    max_body_bytes: int = Field(default=1_048_576, gt=0)
    # Hard ceiling on any message, whatever a tenant's tier allows; protects memory.
    max_message_length_ceiling: int = Field(default=100_000, gt=0)
    idempotency_ttl_hours: int = Field(default=24, gt=0)

    # Diagnostics (`/api/v1/analyze/*`, `sfagent analyze`, the pipeline's diagnose stage).
    analyze_max_code_bytes: int = Field(default=2 * 1024 * 1024, gt=0)
    analyze_max_text_bytes: int = Field(default=512 * 1024, gt=0)
    # Debug logs may be uploaded whole: this raises the body cap for /api/v1/analyze/log only.
    analyze_max_log_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    # CPU-bound analyses running at once per process; more wait rather than starve the loop.
    analyze_concurrency: int = Field(default=2, gt=0)

    # Understanding (intents, category, entities, sentiment, language) in the pipeline.
    nlu_enabled: bool = True
    # A model directory from `sfagent nlu train`; unset, the shipped Salesforce model is used.
    nlu_model_dir: Path | None = None
    # Where the shipped model is cached after its first training (default ~/.cache/sfagent/nlu).
    nlu_cache: Path | None = None
    # Train the shipped model with static embeddings distilled from MiniLM: more accurate,
    # about 1 ms slower. Building the table once needs the `semantic` extra.
    nlu_semantic: bool = False
    # How long a message waits for the model at start-up before it is handled without it.
    nlu_load_timeout_seconds: float = Field(default=120.0, gt=0)

    # Knowledge base search: tenant indexes kept in memory per process (least recently used
    # are dropped), the most results one search returns, and the longest query read.
    kb_index_cache_tenants: int = Field(default=64, gt=0)
    kb_search_max_results: int = Field(default=20, gt=0)
    kb_query_max_chars: int = Field(default=2_000, gt=0)
    # Dense ranking fused into search: off (BM25 and exact matches only), static (the table
    # distilled from MiniLM, numpy) or minilm (MiniLM itself, numpy; the `semantic` extra).
    # Chunk vectors are shared by the process's indexes, at most kb_dense_shared_vectors.
    kb_dense_encoder: Literal["off", "static", "minilm"] = "off"
    kb_dense_shared_vectors: int = Field(default=100_000, gt=0)
    # The most articles one POST /api/v1/kb/ingest may carry (the CLI sends batches of it).
    kb_ingest_max_articles: int = Field(default=500, gt=0)
    # Business rules a tenant may keep (every stored rule runs on every message).
    rules_max_per_tenant: int = Field(default=200, gt=0)
    # Notifications: email through this SMTP server; webhooks and Slack over HTTPS.
    notification_channels_max_per_tenant: int = Field(default=50, gt=0)
    notification_timeout_seconds: float = Field(default=10.0, gt=0)
    # Webhook and Slack URLs on loopback, private or link-local addresses are refused unless
    # this is set (a tenant must not reach the deployment's internal network through them).
    notification_private_targets: bool = False
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, gt=0, lt=65536)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_sender: str = "sfagent@localhost"
    # Screenshots a customer may attach (PNG, JPEG, GIF, WebP), bytes each; the request body
    # cap (SFAGENT_MAX_BODY_BYTES) applies too.
    attachment_max_bytes: int = Field(default=1_000_000, gt=0)
    # Salesforce Case sync: after REQUEST_LIMIT_EXCEEDED, how long an organization's syncs wait.
    salesforce_limit_cooldown_seconds: float = Field(default=900.0, gt=0)
    # How often closed Cases are read back to resolve their conversations.
    salesforce_poll_seconds: float = Field(default=120.0, gt=0)

    # LLM answers. SFAGENT_LLM_PROVIDERS is a JSON list tried in order (primary first), e.g.
    # [{"kind": "openai", "model": "gpt-4o-mini", "api_key": "sk-..."}]; empty means no LLM:
    # the grounded composer answers. SFAGENT_LLM_PRICES maps "kind:model" (or a bare model
    # name) to {"input_per_million": 0.15, "output_per_million": 0.6}; no price, no cost.
    llm_providers: Annotated[list[LlmProviderConfig], NoDecode] = Field(default_factory=list)
    llm_prices: Annotated[dict[str, LlmPriceConfig], NoDecode] = Field(default_factory=dict)

    worker_enabled: bool = True
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    worker_batch_size: int = Field(default=20, gt=0)
    outbox_max_attempts: int = Field(default=8, gt=0)
    sweeper_interval_seconds: float = Field(default=60.0, gt=0)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    metrics_enabled: bool = True

    @field_validator("database_url", "migration_database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
                f"(got {value.split('://')[0]}://)"
            )
        return value

    @field_validator("tiers", mode="before")
    @classmethod
    def _merge_tier_defaults(cls, value: Any) -> Any:
        """Let SFAGENT_TIERS__FREE__REQUESTS_PER_MINUTE=7 change one limit, not the tier."""
        if not isinstance(value, dict):
            return value
        merged: dict[str, Any] = {
            name: limits.model_dump() for name, limits in _default_tiers().items()
        }
        for name, given in value.items():
            if isinstance(given, dict):
                merged[name] = {**merged.get(name, merged["free"]), **given}
            else:
                merged[name] = given
        return merged

    @field_validator("llm_providers", "llm_prices", mode="before")
    @classmethod
    def _parse_llm_json(cls, value: Any, info: ValidationInfo) -> Any:
        """Read the JSON of SFAGENT_LLM_PROVIDERS / SFAGENT_LLM_PRICES with a clear error."""
        if not isinstance(value, str):
            return value
        if not value.strip():
            return [] if info.field_name == "llm_providers" else {}
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"must be JSON ({exc.msg} at character {exc.pos})") from exc

    @field_validator("redis_url")
    @classmethod
    def _known_redis(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @model_validator(mode="after")
    def _production_needs_real_secret(self) -> Settings:
        secret = self.secret_key.get_secret_value()
        if self.environment == "production" and secret == DEV_SECRET_KEY:
            raise ValueError("SFAGENT_SECRET_KEY must be set in production")
        if len(secret) < 32:
            raise ValueError("SFAGENT_SECRET_KEY must be at least 32 characters")
        self.keyring()  # a malformed key fails at start-up, naming what to fix
        if self.default_tier not in self.tiers:
            raise ValueError(f"SFAGENT_DEFAULT_TIER {self.default_tier!r} is not a known tier")
        return self

    def keyring(self) -> Keyring | None:
        """The encryption keys; None when none are configured."""
        inline = self.encryption_key.get_secret_value() if self.encryption_key else None
        try:
            return Keyring.load(inline, self.encryption_key_file)
        except KeyringError as error:
            raise ValueError(f"SFAGENT_ENCRYPTION_KEY: {error}") from None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The SQLite file path, or None for PostgreSQL or an in-memory database."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split(":///", 1)[1] if ":///" in self.database_url else ""
        if path in ("", ":memory:"):
            return None
        return Path(path)

    def tier(self, name: str) -> TierLimits:
        return self.tiers.get(name) or self.tiers[self.default_tier]

    def masked(self) -> dict[str, Any]:
        """Settings as a dict with secrets and credentials in URLs masked."""
        shown: dict[str, Any] = {}
        for name, value in self.model_dump().items():
            if isinstance(getattr(self, name), SecretStr):
                shown[name] = "********"
            elif name.endswith("_url") and isinstance(value, str):
                shown[name] = _mask_url_password(value)
            elif name == "llm_providers":
                shown[name] = [_mask_nested(provider) for provider in value]
            else:
                shown[name] = value
        return shown


def _mask_nested(values: dict[str, Any]) -> dict[str, Any]:
    """One nested model's dump with its secrets and URL passwords masked."""
    shown: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, SecretStr):
            shown[name] = "********"
        elif name.endswith("_url") and isinstance(value, str):
            shown[name] = _mask_url_password(value)
        else:
            shown[name] = value
    return shown


def _mask_url_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    masked = f"{user}:********" if ":" in credentials else user
    return f"{scheme}://{masked}@{host}"


def load_settings(**overrides: Any) -> Settings:
    """Build Settings, turning a validation failure into one line naming the bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        location = "__".join(str(part) for part in first["loc"]).upper()
        name = f"SFAGENT_{location}" if location else "settings"
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigurationError(f"invalid setting {name}: {message}") from exc
