"""Settings, read from ``MICROCRED_*`` environment variables (or passed in by tests).

The embedded default needs nothing: a SQLite file and a job queue in the data directory, e-mail
written to an outbox folder. At scale the same code runs with ``MICROCRED_DATABASE_URL``
(PostgreSQL), ``MICROCRED_QUEUE_URL`` (Redis) and ``MICROCRED_SMTP_HOST`` set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from microcred.errors import InputError

DEVELOPMENT_SECRET = "development-only-master-secret-do-not-use"  # noqa: S105 (named as such)
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MICROCRED_", extra="forbid")

    mode: Literal["development", "production"] = "development"
    data_dir: Path = Path("microcred-data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file in data_dir"
    )
    master_secret: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL under which credentials, profiles and status lists are public",
    )
    queue_url: str | None = Field(
        default=None, description="redis://... for shared workers; default: SQLite in data_dir"
    )
    queue_immediate: bool = Field(
        default=False, description="Run jobs synchronously in the caller (tests, scripts)"
    )
    workers: int = 2
    verify_lanes: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Verifications one web process runs at once (Python work: more than one per "
        "process only contends for the interpreter lock; run more processes instead)",
    )
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "microcred <no-reply@localhost>"
    status_list_length: int = Field(
        default=131_072, ge=131_072, description="Entries per status list (herd privacy)"
    )
    status_list_max_age_seconds: int = 300
    fetch_allow_networks: list[str] = Field(
        default_factory=list,
        description="CIDR ranges the URL verifier may fetch from although they are private",
    )
    webhook_allow_networks: list[str] = Field(
        default_factory=list,
        description="CIDR ranges webhook targets may lie in although they are private (tests)",
    )
    demo_issuer: str | None = Field(
        default=None, description="Slug of the issuer that signs VC-API requests"
    )
    vcapi_did_key: bool = Field(
        default=False,
        description="VC-API issue also signs as the issuer's did:key when a credential names it",
    )
    # The log's outside witness (docs/design/transparency.md): off unless asked for.
    anchor_enabled: bool = False
    anchor_rpc_url: str | None = Field(
        default=None, description="JSON-RPC URL of an Ethereum-compatible node"
    )
    anchor_key: SecretStr | None = Field(
        default=None, description="Hex private key of the account that sends anchors"
    )
    anchor_timeout_seconds: float = Field(default=120.0, gt=0, le=3600)
    anchor_interval_minutes: int = Field(
        default=0, ge=0, le=10_080, description="Anchor the newest checkpoint this often; 0: never"
    )

    # Operations (docs/design/operations.md).
    log_format: Literal["json", "text"] = Field(
        default="text", description="json: one JSON object per line (for a log collector)"
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token /metrics asks for; without one it answers loopback only",
    )

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> Settings:
        secret = self.master_secret.get_secret_value()
        if self.mode == "production" and (
            secret == DEVELOPMENT_SECRET or len(secret) < MIN_SECRET_LENGTH
        ):
            raise InputError(
                "refusing to run in production mode without a master secret",
                expected=f"MICROCRED_MASTER_SECRET of at least {MIN_SECRET_LENGTH} characters",
                found="the development default"
                if secret == DEVELOPMENT_SECRET
                else f"{len(secret)} characters",
            )
        return self

    @model_validator(mode="after")
    def _anchors_need_a_node_and_a_key(self) -> Settings:
        if self.anchor_enabled and (not self.anchor_rpc_url or self.anchor_key is None):
            missing = [
                name
                for name, value in (
                    ("MICROCRED_ANCHOR_RPC_URL", self.anchor_rpc_url),
                    ("MICROCRED_ANCHOR_KEY", self.anchor_key),
                )
                if not value
            ]
            raise InputError(
                "anchoring is on without a node or a key",
                expected="MICROCRED_ANCHOR_RPC_URL and MICROCRED_ANCHOR_KEY",
                found=f"no {' and no '.join(missing)}",
            )
        if self.anchor_rpc_url and not self.anchor_rpc_url.startswith(("http://", "https://")):
            raise InputError(
                "MICROCRED_ANCHOR_RPC_URL is not an HTTP URL",
                expected="http://... or https://...",
                # Only the scheme: the rest of a node URL often carries an API key.
                found=urlsplit(self.anchor_rpc_url).scheme or "no scheme",
            )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'microcred.db').resolve()}"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def queue_path(self) -> Path:
        return self.data_dir / "queue.db"

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/")
