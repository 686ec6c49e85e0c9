"""Who is acting: the tenant and the credential, passed to every domain command."""

from __future__ import annotations

from dataclasses import dataclass, field

from omneo_server.settings import Settings


@dataclass(frozen=True)
class Ctx:
    tenant_id: int
    settings: Settings
    #: The API token id (or ``cli``), recorded on events.
    actor: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    #: The user a personal or login token acts for.
    user_id: int | None = None
