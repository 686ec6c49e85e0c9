"""Request-scoped dependencies: the database, and the caller's tenant and scopes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from omneo_server.db.engine import Database
from omneo_server.domain.access import authenticate, credentials, hash_token, scope_allows
from omneo_server.domain.context import Ctx
from omneo_server.domain.errors import Forbidden, Unauthenticated
from omneo_server.settings import Settings


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value


def bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated()
    return token.strip()


def requires(scope: str | None) -> Callable[[Request], Awaitable[Ctx]]:
    """A dependency that authenticates the admin token and checks it holds ``scope``."""

    async def dependency(request: Request) -> Ctx:
        token = bearer(request)
        credential = credentials.get(hash_token(token))
        if credential is None:
            async with database(request).read() as session:
                credential = await authenticate(session, token)
        if scope is not None and not scope_allows(credential.scopes, scope):
            raise Forbidden(f"This token lacks the {scope} scope.")
        return Ctx(credential.tenant_id, settings(request), credential.token_id, credential.scopes)

    dependency.__name__ = f"requires_{scope or 'token'}"
    return dependency
