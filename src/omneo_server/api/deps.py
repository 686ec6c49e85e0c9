"""Request-scoped dependencies: the database, and the caller's tenant and scopes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request

from omneo_server.api.throttle import Throttle, client_address
from omneo_server.db.engine import Database
from omneo_server.domain.access import Credential, authenticate, credentials, hash_token, scope_allows
from omneo_server.domain.context import Ctx, Origin
from omneo_server.domain.errors import Forbidden, Unauthenticated
from omneo_server.settings import Settings


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value


def throttle(request: Request) -> Throttle:
    value: Throttle = request.app.state.throttle
    return value


def origin(request: Request) -> Origin:
    """Where the request came from, for the audit trail."""
    agent = request.headers.get("user-agent")
    return Origin(client_address(request.scope)[:45], agent[:1023] if agent else None, str(request.url))


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticated(request: Request) -> Credential:
    """The admin token's credential. A token verified lately is answered from the cache; any other
    attempt counts against the caller's address, which is refused (429) once it has failed too often."""
    token = bearer(request)
    credential = credentials.get(hash_token(token)) if token is not None else None
    if credential is not None:
        return credential
    limits, address = throttle(request), client_address(request.scope)
    await limits.check_auth(address)
    try:
        if token is None:
            raise Unauthenticated()
        async with database(request).read() as session:
            return await authenticate(session, token)
    except Unauthenticated:
        await limits.auth_failed(address)
        raise


#: Request-scope key under which the ID gateway (``api/routes/id.py``) puts a verified ID token's
#: principal. Only the gateway sets it; a client cannot, so an ID token alone is never an admin token.
ID_PRINCIPAL = "omneo.id_principal"


@dataclass(frozen=True)
class IdPrincipal:
    """Who an ID request acts as: one profile (``None`` when anonymous) of one tenant, with only
    the profile scopes the ID API grants."""

    tenant_id: int
    profile_id: str | None
    scopes: frozenset[str]

    @property
    def actor(self) -> str:
        return f"id:{self.profile_id or 'anonymous'}"


def id_principal(request: Request) -> IdPrincipal | None:
    value = request.scope.get(ID_PRINCIPAL)
    return value if isinstance(value, IdPrincipal) else None


def requires(scope: str | None) -> Callable[[Request], Awaitable[Ctx]]:
    """A dependency that authenticates the admin token and checks it holds ``scope``.

    A request re-dispatched by the ID gateway carries an ``IdPrincipal`` instead: it is served with
    that principal's tenant and scopes, and never by a route that accepts any token (``scope=None``).
    """

    async def dependency(request: Request) -> Ctx:
        principal = id_principal(request)
        if principal is not None:
            if scope is None:
                raise Forbidden("This route is not available to ID tokens.")
            if not scope_allows(principal.scopes, scope):
                raise Forbidden(f"This ID token does not carry the {scope} scope.")
            ctx = Ctx(
                principal.tenant_id,
                settings(request),
                principal.actor,
                principal.scopes,
                token_name=principal.actor,
                origin=origin(request),
            )
        else:
            credential = await authenticated(request)
            if scope is not None and not scope_allows(credential.scopes, scope):
                raise Forbidden(f"This token lacks the {scope} scope.")
            ctx = Ctx(
                credential.tenant_id,
                settings(request),
                credential.token_id,
                credential.scopes,
                credential.user_id,
                token_name=credential.token_name,
                origin=origin(request),
            )
        request.state.ctx = ctx  # what ``?include=`` reads with, after the route answers
        return ctx

    dependency.__name__ = f"requires_{scope or 'token'}"
    dependency.scope = scope  # type: ignore[attr-defined]  # what the permission catalogue reads
    return dependency
