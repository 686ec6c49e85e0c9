"""Tenants, admin API tokens and scopes.

Scopes (domain-rules §1): canonical ``{verb}-{resource}`` (``read-profiles``); ``*`` grants
everything; ``{resource}.*`` grants every verb on one resource.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db.tables import ApiToken, Tenant
from omneo_server.domain.errors import Invalid, NotFound, Unauthenticated
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


@dataclass(frozen=True)
class Credential:
    tenant_id: int
    token_id: str
    scopes: frozenset[str]


async def authenticate(session: AsyncSession, token: str) -> Credential:
    """Resolve a bearer token; revoked, expired or unknown tokens are all simply unauthenticated."""
    row = (await session.execute(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))).scalar_one_or_none()
    if row is None or row.revoked or (row.expires_at is not None and row.expires_at <= clock.now()):
        raise Unauthenticated()
    return Credential(row.tenant_id, row.id, frozenset(row.scopes))


async def create_tenant(session: AsyncSession, handle: str, name: str | None = None) -> Tenant:
    exists = (await session.execute(select(Tenant).where(Tenant.handle == handle))).scalar_one_or_none()
    if exists is not None:
        raise Invalid.field("handle", f"The tenant {handle} already exists.")
    tenant = Tenant(handle=handle, name=name or handle, signing_key=secrets.token_hex(32))
    session.add(tenant)
    await session.flush()
    return tenant


async def find_tenant(session: AsyncSession, handle: str) -> Tenant:
    tenant = (await session.execute(select(Tenant).where(Tenant.handle == handle))).scalar_one_or_none()
    if tenant is None:
        raise NotFound("Tenant")
    return tenant


class TokenIn(Body):
    name: Name
    scopes: list[str] = ["*"]
    expires_at: Timestamp | None = None


async def create_token(
    session: AsyncSession, tenant_id: int, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Mint a token; the plaintext is returned once and only its hash is stored."""
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
    )
    session.add(row)
    await session.flush()
    return row, plaintext


DELEGATE_SCOPES = ["read-profiles", "create-profiles"]
DELEGATE_TTL = timedelta(minutes=10)


class DelegateIn(Body):
    client_handle: Handle


async def create_delegate_token(session: AsyncSession, tenant_id: int, client_handle: str) -> str:
    """A short-lived token a delegate profile-creation service uses to create the profile."""
    _row, plaintext = await create_token(
        session, tenant_id, f"delegate:{client_handle}", DELEGATE_SCOPES, clock.now() + DELEGATE_TTL
    )
    return plaintext


def render_token(row: ApiToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "scopes": row.scopes,
        "revoked": row.revoked,
        "expires_at": row.expires_at,
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
