"""One settings object, read from the environment (``OMNEO_*``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(f"OMNEO_{name}", default)


@dataclass(frozen=True)
class Settings:
    database_url: str = field(
        default_factory=lambda: _env("DATABASE_URL", f"sqlite+aiosqlite:///{Path.cwd() / 'omneo.db'}")
    )
    tenant: str = field(default_factory=lambda: _env("TENANT", "default"))
    #: Largest request body accepted, in bytes; larger bodies get a 413.
    max_body_bytes: int = field(default_factory=lambda: int(_env("MAX_BODY_BYTES", str(1024 * 1024))))
    default_page_size: int = 15
    max_page_size: int = field(default_factory=lambda: int(_env("MAX_PAGE_SIZE", "100")))
    #: Region used to read national-format mobile numbers into E.164.
    phone_region: str = field(default_factory=lambda: _env("PHONE_REGION", "AU"))
    id_token_ttl_seconds: int = field(default_factory=lambda: int(_env("ID_TOKEN_TTL", "3600")))
    #: Run the background worker (outbox, deliveries, scheduler) inside the API process.
    worker: bool = field(default_factory=lambda: _env("WORKER", "1") not in ("0", "false", "no"))
    #: Write the audit trail (``GET /audits``): one row per change, in the change's transaction.
    audits: bool = field(default_factory=lambda: _env("AUDITS", "1") not in ("0", "false", "no"))
    #: Seconds the worker sleeps when it found nothing to do.
    worker_idle_seconds: float = field(default_factory=lambda: float(_env("WORKER_IDLE_SECONDS", "1")))
    #: Seconds a webhook or target receiver has to answer.
    delivery_timeout_seconds: float = field(default_factory=lambda: float(_env("DELIVERY_TIMEOUT", "5")))
    #: How long a worker holds a delivery it is sending; a killed worker's deliveries are retried after.
    delivery_lease_seconds: float = field(default_factory=lambda: float(_env("DELIVERY_LEASE_SECONDS", "60")))
    #: Networks (comma-separated CIDRs) that webhook and target URLs may reach besides public
    #: addresses, e.g. ``127.0.0.0/8,10.1.0.0/16``. Unset: public addresses only.
    webhook_allow_networks: str = field(default_factory=lambda: _env("WEBHOOK_ALLOW_NETWORKS", ""))
    #: Where the server keeps what it generates for itself (the secret key file when
    #: ``OMNEO_SECRET_KEY`` is not set).
    data_dir: Path = field(default_factory=lambda: Path(_env("DATA_DIR", str(Path.cwd()))))
    #: Keys that encrypt signing secrets at rest (comma-separated Fernet keys; the first encrypts,
    #: all decrypt). Unset: one is generated into ``data_dir`` on first use.
    secret_key: str = field(default_factory=lambda: _env("SECRET_KEY", ""))
    #: Rate limits (``limits`` notation, e.g. ``60/minute``; empty turns one off).
    #: Failed authentications per client address, admin and ID tokens alike.
    rate_limit_auth_failures: str = field(default_factory=lambda: _env("RATE_LIMIT_AUTH_FAILURES", "100/minute"))
    #: ID tokens minted per admin token.
    rate_limit_token_minting: str = field(default_factory=lambda: _env("RATE_LIMIT_TOKEN_MINTING", "1200/minute"))
    #: Requests made with an anonymous ID token, per client address.
    rate_limit_anonymous: str = field(default_factory=lambda: _env("RATE_LIMIT_ANONYMOUS", "300/minute"))
    #: Where limits are counted: ``memory://`` (this process) or a shared store such as
    #: ``async+redis://127.0.0.1:6379`` for several API processes.
    rate_limit_storage: str = field(default_factory=lambda: _env("RATE_LIMIT_STORAGE", "memory://"))
    #: Browser origins (comma-separated) allowed to call the ID API; none by default.
    id_cors_origins: str = field(default_factory=lambda: _env("ID_CORS_ORIGINS", ""))

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    return Settings()
