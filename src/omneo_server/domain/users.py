"""Users: the people who log in to the admin API (and, later, the admin console), each holding
roles (``domain/roles.py``). A user's effective scopes are the union of their roles'.

Passwords are hashed with argon2id (argon2-cffi's defaults) and never answered; emails are unique
among a tenant's live users, compared in lower case. Deleting a user keeps the row (``deleted_at``)
and frees the email.
"""

from __future__ import annotations

import asyncio
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import Field, model_validator
from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.domain import events, permissions, roles
from omneo_server.domain.access import check_may_confer, credentials, scope_allows
from omneo_server.domain.context import Ctx
from omneo_server.domain.errors import Invalid, NotFound
from omneo_server.domain.inputs import Body, Name
from omneo_server.domain.profiles.commands import normalise_email
from omneo_server.domain.query import Field as Filter
from omneo_server.domain.query import ListQuery, Page, apply, paginate

HASHER = PasswordHasher()
PASSWORD_MIN = 8


class RoleRef(Body):
    id: int


class UserFields(Body):
    name: Name | None = None
    email: str | None = Field(None, max_length=255)
    password: str | None = Field(None, min_length=PASSWORD_MIN, max_length=1024)
    password_confirmation: str | None = None
    throttle: int | None = None
    roles: list[RoleRef] | None = None

    @model_validator(mode="after")
    def _confirmed(self) -> UserFields:
        if self.password is not None and self.password_confirmation != self.password:
            raise ValueError("The password confirmation does not match.")
        return self


class UserIn(UserFields):
    name: Name
    email: str = Field(max_length=255)
    password: str = Field(min_length=PASSWORD_MIN, max_length=1024)


class UserUpdate(UserFields):
    is_update = True


def hash_password(password: str) -> str:
    """argon2id (~0.15 s of work here): callers on the event loop run it in a thread."""
    return HASHER.hash(password)


def password_matches(user: t.User, password: str) -> bool:
    """Constant-time for a wrong password (argon2 verifies the whole hash either way)."""
    try:
        return HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def scopes(user: t.User, logging_in: bool = False) -> list[str]:
    """What the user's roles hold: all of them, or (``logging_in``) only those a person may log in
    with, which is all a login or personal token acting for them ever gets (a Machine role's ``*``
    never reaches a person's session)."""
    held: list[str] = []
    for role in user.roles:
        if role.can_login or not logging_in:
            held += roles.scopes(role)
    return list(dict.fromkeys(held))


def render(user: t.User, catalogue: dict[str, t.Permission]) -> dict[str, Any]:
    held = scopes(user)
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "throttle": user.throttle,
        "roles": [{"id": role.id, "name": role.name, "handle": role.handle} for role in user.roles],
        "permissions": [
            {"id": row.id, "name": name, "handle": permissions.verb_and_resource(name)[0]}
            for name, row in catalogue.items()
            if scope_allows(held, name)
        ],
        "deleted_at": user.deleted_at,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


async def _roles(session: AsyncSession, ctx: Ctx, refs: list[RoleRef]) -> list[t.Role]:
    wanted = sorted({ref.id for ref in refs})
    stmt = select(t.Role).where(t.Role.tenant_id == ctx.tenant_id, t.Role.id.in_(wanted))
    found = list((await session.execute(stmt)).scalars())
    if len(found) != len(wanted):
        raise Invalid.field("roles", "The selected roles are invalid.")
    return found


async def _email_free(session: AsyncSession, ctx: Ctx, email: str, own_id: int | None = None) -> None:
    stmt = select(t.User.id).where(
        t.User.tenant_id == ctx.tenant_id, t.User.email == email, t.User.deleted_at.is_(None)
    )
    other = (await session.execute(stmt)).scalar_one_or_none()
    if other is not None and other != own_id:
        raise Invalid.field("email", "The email has already been taken.")


def _conferred(given: list[t.Role]) -> list[str]:
    return [scope for role in given for scope in roles.scopes(role)]


async def create(session: AsyncSession, ctx: Ctx, body: UserIn) -> t.User:
    email = normalise_email(body.email)
    await _email_free(session, ctx, email)
    given = await _roles(session, ctx, body.roles or [])
    check_may_confer(ctx.scopes, _conferred(given), "A role given")
    user = t.User(
        tenant_id=ctx.tenant_id,
        name=body.name,
        email=email,
        password_hash=await asyncio.to_thread(hash_password, body.password),
        throttle=body.throttle,
        roles=given,
    )
    session.add(user)
    await session.flush()
    await events.record(session, ctx, "user.created", user.id, {"id": user.id, "email": user.email})
    return user


async def update(session: AsyncSession, ctx: Ctx, user: t.User, body: UserUpdate) -> t.User:
    """Change a user. Their password, email or roles only by a caller holding all they hold (and
    all the roles given); a new password or email ends every session and token acting for them."""
    sent = body.model_dump(exclude_unset=True)
    credentials_change = body.password is not None or sent.get("email") is not None
    if credentials_change or body.roles is not None:
        check_may_confer(ctx.scopes, scopes(user), "This user")
    if sent.get("email") is not None:
        email = normalise_email(sent["email"])
        credentials_change = email != user.email
        user.email = email
        await _email_free(session, ctx, user.email, user.id)
    if sent.get("name") is not None:
        user.name = sent["name"]
    if "throttle" in sent:
        user.throttle = sent["throttle"]
    if body.password is not None:
        user.password_hash = await asyncio.to_thread(hash_password, body.password)
        credentials_change = True
    if body.roles is not None:
        given = await _roles(session, ctx, body.roles)
        check_may_confer(ctx.scopes, _conferred(given), "A role given")
        user.roles = given
    if credentials_change:
        await end_sessions(session, user)
    user.updated_at = clock.now()
    await session.flush()
    await events.record(session, ctx, "user.updated", user.id, {"id": user.id, "email": user.email})
    return user


async def end_sessions(session: AsyncSession, user: t.User) -> None:
    """Revoke every token acting for ``user`` (logins, personal tokens) and their refresh tokens."""
    revoked = await session.execute(
        sql_update(t.ApiToken).where(t.ApiToken.user_id == user.id).values(revoked=True).returning(t.ApiToken.id)
    )
    for token_id in revoked.scalars():
        credentials.forget(token_id)
    await session.execute(sql_update(t.RefreshToken).where(t.RefreshToken.user_id == user.id).values(revoked=True))


async def delete(session: AsyncSession, ctx: Ctx, user: t.User) -> None:
    """Delete a user (only by a caller holding all they hold); every token acting for them ends."""
    check_may_confer(ctx.scopes, scopes(user), "This user")
    user.deleted_at = clock.now()
    await session.flush()
    await end_sessions(session, user)
    await events.record(session, ctx, "user.deleted", user.id, {"id": user.id, "email": user.email})


async def get(session: AsyncSession, ctx: Ctx, key: str) -> t.User:
    if not (key.isascii() and key.isdigit()) or int(key) >= 2**31:
        raise NotFound("User")
    stmt = select(t.User).where(t.User.tenant_id == ctx.tenant_id, t.User.id == int(key), t.User.deleted_at.is_(None))
    user = (await session.execute(stmt)).scalar_one_or_none()
    if user is None:
        raise NotFound("User")
    return user


FILTERS: dict[str, Filter] = {
    "id": Filter(t.User.id, int),
    "email": Filter(t.User.email),
    "name": Filter(t.User.name),
}


async def listed(session: AsyncSession, ctx: Ctx, query: ListQuery) -> Page:
    stmt = select(t.User).where(t.User.tenant_id == ctx.tenant_id, t.User.deleted_at.is_(None))
    stmt = apply(stmt, query, FILTERS, FILTERS, (t.User.name, t.User.email), default_sort=(t.User.id,))
    return await paginate(session, stmt, query)
