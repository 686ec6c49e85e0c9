"""Who is acting: the tenant and the credential, passed to every domain command."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from omneo_server.settings import Settings


@dataclass(frozen=True)
class Origin:
    """Where a request came from, as the audit trail records it."""

    ip_address: str | None = None
    user_agent: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Ctx:
    tenant_id: int
    settings: Settings
    #: The API token id (or ``cli``, ``worker``, ``scheduler``, ``id:<profile>``), recorded on events.
    actor: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    #: The user a personal or login token acts for.
    user_id: int | None = None
    #: The API token's name, and the request's origin (both ``None`` off a request).
    token_name: str | None = None
    origin: Origin | None = None

    def attribution(self) -> dict[str, Any]:
        """Who acted and from where, as a queued job keeps it to act later as the same caller."""
        return {"token_name": self.token_name, "user_id": self.user_id, **asdict(self.origin or Origin())}

    @staticmethod
    def attributed(kept: dict[str, Any] | None) -> dict[str, Any]:
        """The ``Ctx`` keyword arguments for what :meth:`attribution` kept."""
        kept = kept or {}
        origin = Origin(kept.get("ip_address"), kept.get("user_agent"), kept.get("url"))
        return {"token_name": kept.get("token_name"), "user_id": kept.get("user_id"), "origin": origin}
