"""Logins: the OAuth 2.0 password grant (domain-rules §1) and refresh tokens.

``POST /oauth/token`` with ``grant_type=password``, a client's id and secret, a user's email and
password, and the scopes wanted (``*`` or a space-separated list) answers
``{token_type: "Bearer", expires_in, access_token, refresh_token}``. The access token is an API
token of type ``oauth`` that acts for the user: what it may do is the scopes asked for, cut down at
every authentication to what the user's roles allow at that moment (``access.effective_scopes``), so
a role change or a deleted user reaches it within the credential cache's 10 s.

``grant_type=refresh_token`` trades a refresh token (with the same client) for a new pair, once:
the old pair is revoked, and a refresh token used a second time revokes every login of its family
(a stolen token and its thief's refreshes end together). Wrong credentials of any kind are the same
401, after the same argon2 work whether or not the user exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.domain import access, users
from omneo_server.domain.errors import DomainError

ACCESS_LIFETIME = timedelta(hours=1)
REFRESH_LIFETIME = timedelta(days=30)


@cache
def _nobody() -> str:
    """A hash no password matches, made on first need (argon2 takes ~0.15 s here: not at import),
    so an unknown email costs the same work as a wrong password."""
    return users.hash_password(secrets.token_urlsafe(16))


class OAuthError(DomainError):
    """An OAuth refusal: 400 for a malformed request, 401 for credentials (RFC 6749 §5.2 names)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error

    def render(self) -> dict[str, Any]:
        """Passport's body (``error``, ``error_description``) with the API's ``message``."""
        return {"error": self.error, "error_description": self.message, "message": self.message, "errors": {}}


class RefreshReused(Exception):
    """A refresh token used a second time: its family ends (in a transaction of its own, as the
    refusal rolls back the request's)."""

    def __init__(self, family: str) -> None:
        super().__init__(family)
        self.family = family


def invalid_credentials() -> OAuthError:
    return OAuthError(401, "invalid_grant", "The user credentials were incorrect.")


def invalid_refresh() -> OAuthError:
    return OAuthError(401, "invalid_grant", "The refresh token is invalid.")


@dataclass(frozen=True)
class Grant:
    access_token: str
    refresh_token: str
    expires_in: int

    def render(self) -> dict[str, Any]:
        return {
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
        }


async def create_client(session: AsyncSession, tenant_id: int, name: str) -> tuple[t.OAuthClient, str]:
    """A client allowed to log users in; its secret is answered once, only its hash is kept."""
    secret = secrets.token_urlsafe(32)
    client = t.OAuthClient(tenant_id=tenant_id, name=name, secret_hash=access.hash_token(secret), revoked=False)
    session.add(client)
    await session.flush()
    return client, secret


def text(form: dict[str, Any], name: str) -> str:
    """A field of the token request as text ("" when absent). Anything but short text (a number, an
    object, a NUL character) is a 400 before anything is looked up or converted."""
    value = form.get(name)
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool) and name == "client_id" and 0 < value < 2**31:
        return str(value)  # a JSON client sends its numeric id as a number
    if not isinstance(value, str) or len(value) > 4096 or "\x00" in value:
        raise OAuthError(400, "invalid_request", f"The {name} must be text.")
    return value


async def _client(session: AsyncSession, form: dict[str, Any]) -> t.OAuthClient:
    client_id, secret = text(form, "client_id"), text(form, "client_secret")
    key = int(client_id) if client_id.isascii() and client_id.isdigit() and len(client_id) <= 10 else 0
    client = await session.get(t.OAuthClient, key) if 0 < key < 2**31 else None
    given = access.hash_token(secret)
    if client is None or client.revoked or not hmac.compare_digest(client.secret_hash, given):
        raise OAuthError(401, "invalid_client", "Client authentication failed.")
    return client


def _scopes(requested: str) -> list[str]:
    names = (requested or "*").replace(",", " ").split()
    return list(dict.fromkeys(names)) or ["*"]


async def _issue(
    session: AsyncSession, client: t.OAuthClient, user: t.User, scopes: list[str], family: str | None = None
) -> Grant:
    allowed = access.effective_scopes(scopes, users.scopes(user, logging_in=True))
    if not allowed:
        raise OAuthError(400, "invalid_scope", "The user holds none of the scopes asked for.")
    row, access_token = await access.create_token(
        session,
        client.tenant_id,
        f"login:{user.id}",
        scopes,
        clock.now() + ACCESS_LIFETIME,
        token_type="oauth",
        user_id=user.id,
        client_id=client.id,
    )
    refresh = secrets.token_urlsafe(32)
    session.add(
        t.RefreshToken(
            tenant_id=client.tenant_id,
            token_hash=access.hash_token(refresh),
            family=family or row.id,
            access_token_id=row.id,
            user_id=user.id,
            client_id=client.id,
            scopes=scopes,
            revoked=False,
            expires_at=clock.now() + REFRESH_LIFETIME,
        )
    )
    await session.flush()
    return Grant(access_token, refresh, int(ACCESS_LIFETIME.total_seconds()))


async def password_grant(session: AsyncSession, form: dict[str, Any]) -> Grant:
    client = await _client(session, form)
    email, password, scope = text(form, "username").strip().lower(), text(form, "password"), text(form, "scope")
    stmt = select(t.User).where(
        t.User.tenant_id == client.tenant_id, t.User.email == email, t.User.deleted_at.is_(None)
    )
    user = (await session.execute(stmt)).scalar_one_or_none()
    # argon2 runs in a thread: a login's ~0.15 s of hashing never stalls the other requests.
    if user is None:
        await asyncio.to_thread(_burn, password)
        raise invalid_credentials()
    if not await asyncio.to_thread(users.password_matches, user, password):
        raise invalid_credentials()
    if not users.scopes(user, logging_in=True):
        raise OAuthError(401, "invalid_grant", "This user may not log in (a Machine role is for API tokens).")
    return await _issue(session, client, user, _scopes(scope))


def _burn(password: str) -> None:
    """The argon2 work of checking a password, for an email no user has (no timing tells them apart)."""
    with contextlib.suppress(VerificationError, InvalidHashError):  # the same 401 whatever happens
        users.HASHER.verify(_nobody(), password)


async def refresh_grant(session: AsyncSession, form: dict[str, Any]) -> Grant:
    client = await _client(session, form)
    digest = access.hash_token(text(form, "refresh_token"))
    stmt = select(t.RefreshToken).where(t.RefreshToken.token_hash == digest).with_for_update()
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None or found.client_id != client.id:
        raise invalid_refresh()
    if found.revoked:  # used before: whoever holds the family's tokens loses them all
        raise RefreshReused(found.family)
    user = await session.get(t.User, found.user_id)
    if found.expires_at <= clock.now() or user is None or user.deleted_at is not None:
        raise invalid_refresh()
    if not users.scopes(user, logging_in=True):  # their roles no longer let them log in
        raise invalid_refresh()
    found.revoked = True
    if found.access_token_id is not None:
        await session.execute(update(t.ApiToken).where(t.ApiToken.id == found.access_token_id).values(revoked=True))
        access.credentials.forget(found.access_token_id)
    return await _issue(session, client, user, list(found.scopes), family=found.family)


async def end_family(session: AsyncSession, family: str) -> None:
    """Revoke every login and refresh token of ``family``."""
    tokens = select(t.RefreshToken.access_token_id).where(t.RefreshToken.family == family)
    ended = [token_id for token_id in (await session.execute(tokens)).scalars() if token_id is not None]
    await session.execute(update(t.RefreshToken).where(t.RefreshToken.family == family).values(revoked=True))
    await session.execute(update(t.ApiToken).where(t.ApiToken.id.in_(ended)).values(revoked=True))
    for token_id in ended:
        access.credentials.forget(token_id)


async def grant(session: AsyncSession, form: dict[str, Any]) -> Grant:
    kind = text(form, "grant_type")
    if kind == "password":
        return await password_grant(session, form)
    if kind == "refresh_token":
        return await refresh_grant(session, form)
    raise OAuthError(400, "unsupported_grant_type", "The grant_type must be password or refresh_token.")
