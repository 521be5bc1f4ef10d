"""Settings: one typed object, read from ``CARNET_*`` environment variables or ``.env``.

There is no module-level settings instance: call :func:`get_settings` (cached)
at an entry point and pass the object down. Tests build ``Settings(...)``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]

_DEV_KEY_PASSPHRASE = "carnet-local-development-only"  # noqa: S105 - refused outside "local"


class Settings(BaseSettings):
    """Carnet's configuration. Every field maps to ``CARNET_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="CARNET_", env_file=".env", extra="ignore")

    environment: Literal["local", "test", "production"] = "local"
    database_url: str = "sqlite:///var/carnet.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    token_lifetime_minutes: int = Field(default=15, ge=1, le=24 * 60)
    key_dir: str = "var/keys"
    key_passphrase: SecretStr = SecretStr(_DEV_KEY_PASSPHRASE)
    import_batch_size: int = Field(default=5000, ge=1, le=100_000)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # The transparency log: its origin line (also the note key name), how often the
    # worker signs a checkpoint (every leaf is covered within a minute), and
    # whether reading a resident record without a stated reason is refused.
    log_origin: str = Field(default="carnet.example/log", min_length=1, max_length=200)
    checkpoint_interval_seconds: int = Field(default=30, ge=1, le=60)
    read_reason_required: bool = False
    notify_backend: Literal["console", "file", "smtp"] = "console"
    notify_file: str = "var/outbox.jsonl"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "carnet@example.org"
    export_dir: str = "var/exports"
    issuer_dir: str = "var/issuer"
    # Documents: the document-type catalogue (default: the built-in one), the base
    # URI status lists are published under (inside every QR: keep it short), and
    # how often the server escalates overdue applications and sweeps documents.
    document_types_file: str | None = None
    status_base_uri: str = Field(default="https://s.example", min_length=8, max_length=40)
    sweep_interval_seconds: int = Field(default=300, ge=5, le=86_400)
    # Where ``carnet login`` keeps the signed-in official's bearer token (mode 0600).
    cli_session_file: str = "var/cli-session"
    pkcs11_module: str | None = None
    pkcs11_token: str = "carnet"  # noqa: S105 - a token label, not a secret
    pkcs11_pin: SecretStr = SecretStr("")

    @model_validator(mode="after")
    def _refuse_dev_secrets(self) -> Self:
        """Development secrets are allowed only in the ``local`` and ``test`` environments."""
        if (
            self.environment == "production"
            and self.key_passphrase.get_secret_value() == _DEV_KEY_PASSPHRASE
        ):
            msg = "set CARNET_KEY_PASSPHRASE: the development passphrase is refused in production"
            raise ValueError(msg)
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process's settings, read once from the environment."""
    return Settings()
