"""ID tokens: short-lived, profile-scoped JWTs for storefronts (domain-rules §1).

A token is HS256-signed with its tenant's ``signing_key`` and carries ``pid`` (the profile UUID,
or the string ``"null"`` for an anonymous token, as the hosted API does), ``tenant`` (the handle),
``iss``, ``iat``, ``exp`` and ``jti``. Verifying finds the tenant from the *unverified* ``tenant``
claim and then checks the signature with that tenant's key, so a token of tenant A never verifies
as tenant B. Only HS256 is accepted (no ``alg: none``, no RS/HS confusion). Expiry is checked
against the platform clock (``omneo_server.clock``), not the wall clock.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import jwt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db.tables import Tenant
from omneo_server.domain.errors import Unauthenticated

ISSUER = "omneo-id"
ALGORITHM = "HS256"
ANONYMOUS = "null"
#: The claim listing what the token may do (its minting token's share of the ID scopes).
SCOPES_CLAIM = "scp"


@dataclass(frozen=True)
class IdToken:
    """A verified ID token: whose it is, and for which profile (``None`` when anonymous)."""

    tenant_id: int
    tenant: str
    profile_id: str | None
    jti: str
    exp: int
    #: What the token may do; ``None`` for tokens minted before tokens carried their scopes.
    scopes: frozenset[str] | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.profile_id is None


@dataclass(frozen=True)
class _Key:
    tenant_id: int
    secret: str
    fetched: float


class KeyCache:
    """Tenant signing keys by handle, so verifying a token rarely costs a database round trip."""

    def __init__(self, ttl: float = 60.0, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[str, _Key] = {}

    async def get(self, session_factory: Any, handle: str) -> _Key | None:
        entry = self._entries.get(handle)
        if entry is not None and time.monotonic() - entry.fetched <= self.ttl:
            return entry
        async with session_factory() as session:
            row = (await session.execute(select(Tenant).where(Tenant.handle == handle))).scalar_one_or_none()
        if row is None:
            return None
        if len(self._entries) >= self.size:
            self._entries.clear()
        entry = _Key(row.id, row.signing_key, time.monotonic())
        self._entries[handle] = entry
        return entry


keys = KeyCache()


def mint(tenant: Tenant, profile_id: str | None, ttl_seconds: int, scopes: Iterable[str]) -> tuple[str, int]:
    """A signed token for ``profile_id`` (``None``: anonymous) carrying ``scopes`` (what it may
    do, never more than the minting token holds), and its expiry in unix seconds."""
    issued = now_unix()
    exp = issued + ttl_seconds
    claims = {
        "iss": ISSUER,
        "iat": issued,
        "exp": exp,
        "jti": uuid.uuid4().hex,
        "tenant": tenant.handle,
        "pid": profile_id or ANONYMOUS,
        SCOPES_CLAIM: sorted(scopes),
    }
    return jwt.encode(claims, tenant.signing_key, algorithm=ALGORITHM), exp


def now_unix() -> int:
    """The platform clock in unix seconds (``clock.now()`` is naive UTC)."""
    return int(clock.now().replace(tzinfo=UTC).timestamp())


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


async def verify(session_factory: Any, token: str) -> IdToken:
    """The verified token, or ``Unauthenticated`` for anything missing, expired, tampered, signed
    for another tenant or with another algorithm."""
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != ALGORITHM:
            raise Unauthenticated()
        unverified = jwt.decode(token, options={"verify_signature": False})
        handle = unverified.get("tenant")
        if not isinstance(handle, str) or not handle:
            raise Unauthenticated()
        key = await keys.get(session_factory, handle)
        if key is None:
            raise Unauthenticated()
        claims = jwt.decode(
            token,
            key.secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "pid", "tenant", "iss"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError:
        raise Unauthenticated() from None
    exp, pid = claims["exp"], claims["pid"]
    if not isinstance(exp, int) or isinstance(exp, bool) or exp <= now_unix():
        raise Unauthenticated()
    if claims["tenant"] != handle or not isinstance(pid, str):
        raise Unauthenticated()
    if pid != ANONYMOUS:
        try:
            pid = str(uuid.UUID(pid))
        except ValueError:
            raise Unauthenticated() from None
    scopes = claims.get(SCOPES_CLAIM)
    if scopes is not None and not (isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)):
        raise Unauthenticated()
    profile = None if pid == ANONYMOUS else pid
    granted = None if scopes is None else frozenset(scopes)
    return IdToken(key.tenant_id, handle, profile, str(claims.get("jti", "")), exp, granted)


async def tenant_row(session: AsyncSession, tenant_id: int) -> Tenant:
    row = (await session.execute(select(Tenant).where(Tenant.id == tenant_id))).scalar_one()
    tenant: Tenant = row
    return tenant
