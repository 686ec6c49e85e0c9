"""Tenants, admin API tokens and scopes.

Scopes (domain-rules §1): canonical ``{verb}-{resource}`` (``read-profiles``); ``*`` grants
everything; ``{resource}.*`` grants every verb on one resource.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db.tables import ApiToken, OAuthClient, Tenant, User
from omneo_server.domain.errors import Forbidden, Invalid, NotFound, Unauthenticated
from omneo_server.domain.inputs import Body, Handle, Name, Timestamp

TOKEN_PREFIX = "omn_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def scope_allows(granted: frozenset[str] | list[str], needed: str) -> bool:
    """Does a token with ``granted`` scopes hold ``needed`` (``{verb}-{resource}``)?"""
    if "*" in granted or needed in granted:
        return True
    _verb, _, resource = needed.partition("-")
    return f"{resource}.*" in granted


def ungrantable(granted: frozenset[str] | list[str], requested: list[str]) -> list[str]:
    """The ``requested`` scopes a holder of ``granted`` may not hand on: a token grants only what
    it holds itself (``*`` only from ``*``, ``{resource}.*`` only from ``*`` or itself)."""
    held = frozenset(granted)

    def grantable(scope: str) -> bool:
        if "*" in held or scope in held:
            return True
        return scope != "*" and not scope.endswith(".*") and scope_allows(held, scope)

    return [scope for scope in requested if not grantable(scope)]


def check_may_confer(granted: frozenset[str], conferred: list[str], what: str) -> None:
    """A caller may give (or take over) only what it holds itself: roles whose scopes it holds, a
    user who holds no more than it does. Otherwise ``create-users`` would be a way to ``*``."""
    refused = ungrantable(granted, conferred)
    if refused:
        message = f"{what} holds more than this token may grant ({', '.join(refused[:5])}…)."
        raise Forbidden(message, {"roles": [message]})


def check_grantable(granted: frozenset[str], requested: list[str]) -> None:
    refused = ungrantable(granted, requested)
    if refused:
        message = f"A token cannot grant scopes it does not hold: {', '.join(refused)}."
        raise Forbidden(message, {"scopes": [message]})


@dataclass(frozen=True)
class Credential:
    tenant_id: int
    token_id: str
    scopes: frozenset[str]
    #: The user a personal or login token acts for.
    user_id: int | None = None
    token_name: str | None = None


def effective_scopes(asked: list[str], held: list[str]) -> list[str]:
    """What a token acting for a user may do: the scopes it was given (``asked``), cut down to what
    the user's roles allow (``held``), never more."""
    if "*" in asked:
        return list(held)
    return [scope for scope in asked if scope_allows(held, scope)]


@dataclass(frozen=True)
class _Cached:
    credential: Credential
    expires_at: datetime | None
    fetched: float


class CredentialCache:
    """Recently verified tokens, so a request does not pay a database round trip to authenticate.

    A token deleted in this process is forgotten at once; one deleted through another process stops
    working here within ``ttl`` seconds. Expiry is checked on every use.
    """

    def __init__(self, ttl: float = 10.0, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[str, _Cached] = {}

    def get(self, digest: str) -> Credential | None:
        entry = self._entries.get(digest)
        if entry is None or time.monotonic() - entry.fetched > self.ttl:
            return None
        if entry.expires_at is not None and entry.expires_at <= clock.now():
            raise Unauthenticated()
        return entry.credential

    def put(self, digest: str, credential: Credential, expires_at: datetime | None) -> None:
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[digest] = _Cached(credential, expires_at, time.monotonic())

    def clear(self) -> None:
        """Forget every token: what the passing of ``ttl`` does (tests use it to skip the wait)."""
        self._entries.clear()

    def forget(self, token_id: str) -> None:
        for digest in [d for d, e in self._entries.items() if e.credential.token_id == token_id]:
            del self._entries[digest]


credentials = CredentialCache()


async def authenticate(session: AsyncSession, token: str) -> Credential:
    """Resolve a bearer token; revoked, expired or unknown tokens are all simply unauthenticated."""
    digest = hash_token(token)
    row = (await session.execute(select(ApiToken).where(ApiToken.token_hash == digest))).scalar_one_or_none()
    if row is None or row.revoked or (row.expires_at is not None and row.expires_at <= clock.now()):
        raise Unauthenticated()
    scopes = list(row.scopes)
    if row.user_id is not None:  # acts for a user: never more than their roles allow now
        from omneo_server.domain import users

        user = await session.get(User, row.user_id)
        held = [] if user is None or user.deleted_at is not None else users.scopes(user, logging_in=True)
        if not held:  # deleted, or left with no role a person may log in with
            raise Unauthenticated()
        if row.client_id is not None:  # a login ends with the client it was made through
            client = await session.get(OAuthClient, row.client_id)
            if client is None or client.revoked:
                raise Unauthenticated()
        scopes = effective_scopes(scopes, held)
    credential = Credential(row.tenant_id, row.id, frozenset(scopes), row.user_id, row.name)
    credentials.put(digest, credential, row.expires_at)
    return credential


async def create_tenant(session: AsyncSession, handle: str, name: str | None = None) -> Tenant:
    exists = (await session.execute(select(Tenant).where(Tenant.handle == handle))).scalar_one_or_none()
    if exists is not None:
        raise Invalid.field("handle", f"The tenant {handle} already exists.")
    tenant = Tenant(handle=handle, name=name or handle, signing_key=secrets.token_hex(32))
    session.add(tenant)
    await session.flush()
    from omneo_server.domain import roles  # roles read the scope rules defined here

    await roles.ensure_presets(session, tenant.id)
    return tenant


async def find_tenant(session: AsyncSession, handle: str) -> Tenant:
    tenant = (await session.execute(select(Tenant).where(Tenant.handle == handle))).scalar_one_or_none()
    if tenant is None:
        raise NotFound("Tenant")
    return tenant


#: How long a token made through the API lasts when the request names no expiry: a year, like a
#: Passport personal access token (the hosted API reports an ``expires_at`` on every token).
API_TOKEN_LIFETIME = timedelta(days=365)


class TokenIn(Body):
    name: Name
    scopes: list[str] = ["*"]
    expires_at: Timestamp | None = Field(default_factory=lambda: clock.now() + API_TOKEN_LIFETIME)


async def create_token(
    session: AsyncSession,
    tenant_id: int,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    *,
    token_type: str = "api",
    user_id: int | None = None,
    client_id: int | None = None,
) -> tuple[ApiToken, str]:
    """Mint a token (``api``; a user's ``personal`` one; an ``oauth`` login); the plaintext is
    returned once and only its hash is stored."""
    if not scopes:
        raise Invalid.field("scopes", "At least one scope is required.")
    for scope in scopes:
        if not scope or any(ch.isspace() for ch in scope):
            raise Invalid.field("scopes", f"The scope {scope!r} is not valid.")
    if expires_at is not None and expires_at <= clock.now():
        raise Invalid.field("expires_at", "The expiry must be in the future.")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        tenant_id=tenant_id,
        name=name,
        token_hash=hash_token(plaintext),
        scopes=list(dict.fromkeys(scopes)),
        expires_at=expires_at,
        type=token_type,
        user_id=user_id,
        client_id=client_id,
    )
    session.add(row)
    await session.flush()
    return row, plaintext


DELEGATE_SCOPES = ["read-profiles", "create-profiles"]
DELEGATE_TTL = timedelta(minutes=10)


class DelegateIn(Body):
    client_handle: Handle


async def create_delegate_token(
    session: AsyncSession, tenant_id: int, client_handle: str, granted: frozenset[str], user_id: int | None = None
) -> str:
    """A short-lived token a delegate profile-creation service uses to create the profile (only
    for a caller that holds its scopes itself; made with a user's login, it acts for that user and
    ends with them)."""
    check_grantable(granted, DELEGATE_SCOPES)
    _row, plaintext = await create_token(
        session,
        tenant_id,
        f"delegate:{client_handle}",
        DELEGATE_SCOPES,
        clock.now() + DELEGATE_TTL,
        token_type="api" if user_id is None else "personal",
        user_id=user_id,
    )
    return plaintext


def render_token(row: ApiToken) -> dict[str, Any]:
    """The APIToken the SDK types describe (``type``: ``api``, ``personal`` or ``oauth``); the
    embedded client and user records are not answered (``null``), their ids are."""
    return {
        "id": row.id,
        "user_id": row.user_id,
        "client_id": row.client_id,
        "name": row.name,
        "type": row.type,
        "scopes": row.scopes,
        "revoked": row.revoked,
        "expires_at": row.expires_at,
        "usage": [],
        "client": None,
        "user": None,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


async def revoke_token(session: AsyncSession, tenant_id: int, token_id: str) -> None:
    row = (
        await session.execute(select(ApiToken).where(ApiToken.id == token_id, ApiToken.tenant_id == tenant_id))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("API token")
    await session.delete(row)
    credentials.forget(token_id)
