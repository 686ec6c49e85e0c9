"""Roles people and machines hold (``GET /roles``): the presets every tenant has, each a set of
scopes from the permission catalogue.

The presets (domain-rules §12; docs/decisions.md, Access, has the mapping):

* **Admin** — everything, configuration included;
* **Manager** — reads everything; creates and updates profiles, their incentives and sales (issue,
  void, redeem, return), never configuration, never a delete;
* **Reporting** — reads everything, writes nothing;
* **Machine** — everything, for API tokens only: it never logs in.

A role's scopes are worked out from the catalogue when it is read, so a scope a new version checks
reaches the roles it belongs to at once; the rows (one per preset and tenant) are what users will
hold, so a change to a role reaches every holder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.db.engine import Database, dialect_insert
from omneo_server.domain import permissions
from omneo_server.domain.access import check_may_confer, scope_allows
from omneo_server.domain.context import Ctx
from omneo_server.domain.errors import Invalid
from omneo_server.domain.inputs import Body, Handle, Name

#: What a Manager may create and update: members, what they hold and what they bought.
MANAGED = frozenset(
    {
        "profiles",
        "identities",
        "interactions",
        "ratings",
        "transactions",
        "transaction-claims",
        "orders",
        "rewards",
        "points",
        "credits",
        "benefits",
        "tier-points",
        "achievements",
        "allocations",
        "redemptions",
        "product-lists",
        "product-list-reservations",
        "connections",
    }
)
#: What a Manager may do besides: spend and take back.
MANAGER_ACTIONS = frozenset({"redeem-strategy", "redeem-benefits", "return", "claim-benefits"})


def _manager(scope: str) -> bool:
    verb, resource = permissions.verb_and_resource(scope)
    return (
        verb in ("read", "view") or scope in MANAGER_ACTIONS or (verb in ("create", "update") and resource in MANAGED)
    )


def _reader(scope: str) -> bool:
    return permissions.verb_and_resource(scope)[0] in ("read", "view")


@dataclass(frozen=True)
class Preset:
    handle: str
    name: str
    weight: int
    can_login: bool
    #: Which catalogue scopes the role holds (``None``: all of them, ``*``).
    holds: Any = None


PRESETS = (
    Preset("admin", "Admin", 100, True),
    Preset("manager", "Manager", 50, True, _manager),
    Preset("reporting", "Reporting", 10, True, _reader),
    Preset("machine", "Machine", 0, False),
)
_BY_HANDLE = {preset.handle: preset for preset in PRESETS}


def scopes(role: t.Role) -> list[str]:
    """The scopes ``role`` grants: ``["*"]`` for all, else the catalogue's that it holds."""
    preset = _BY_HANDLE.get(role.handle)
    if preset is None:
        return list(role.scopes or [])
    if preset.holds is None:
        return ["*"]
    return [name for name in permissions.names() if preset.holds(name)]


async def ensure_presets(session: AsyncSession, tenant_id: int) -> None:
    """Give a tenant the preset roles it lacks (a new tenant, or one older than them)."""
    now = clock.now()
    rows = [
        {
            "tenant_id": tenant_id,
            "handle": preset.handle,
            "name": preset.name,
            "weight": preset.weight,
            "can_login": preset.can_login,
            "scopes": [],
            "created_at": now,
            "updated_at": now,
        }
        for preset in PRESETS
    ]
    insert = dialect_insert(session)(t.Role).values(rows)
    await session.execute(insert.on_conflict_do_nothing(index_elements=["tenant_id", "handle"]))


async def seed(db: Database) -> None:
    """Every tenant has the presets (at start-up: tenants made before roles existed)."""
    async with db.write() as session:
        for tenant_id in (await session.execute(select(t.Tenant.id))).scalars().all():
            await ensure_presets(session, tenant_id)


def render(role: t.Role, catalogue: dict[str, t.Permission]) -> dict[str, Any]:
    held = scopes(role)
    granted = [row for name, row in catalogue.items() if scope_allows(held, name)]
    return {
        "id": role.id,
        "name": role.name,
        "handle": role.handle,
        "weight": role.weight,
        "can_login": role.can_login,
        "permissions": [permissions.render(row) for row in granted],
        "created_at": role.created_at,
        "updated_at": role.updated_at,
    }


async def catalogue(session: AsyncSession) -> dict[str, t.Permission]:
    rows = (await session.execute(select(t.Permission).order_by(t.Permission.name))).scalars()
    return {row.name: row for row in rows}


async def listed(session: AsyncSession, tenant_id: int) -> list[t.Role]:
    stmt = select(t.Role).where(t.Role.tenant_id == tenant_id).order_by(t.Role.weight.desc(), t.Role.id)
    return list((await session.execute(stmt)).scalars())


async def get(session: AsyncSession, tenant_id: int, key: str) -> t.Role | None:
    if not (key.isascii() and key.isdigit()) or int(key) >= 2**31:
        return None
    stmt = select(t.Role).where(t.Role.tenant_id == tenant_id, t.Role.id == int(key))
    return (await session.execute(stmt)).scalar_one_or_none()


# --- a tenant's own roles ----------------------------------------------------------------------------


class PermissionRef(Body):
    id: int


class RoleIn(Body):
    name: Name
    handle: Handle
    weight: int = Field(0, ge=0, le=1000)
    can_login: bool = True
    #: The scopes it grants, by name (``read-profiles``) or as ``{id}`` of the catalogue.
    permissions: list[str | PermissionRef] = []


class RoleUpdate(Body):
    is_update = True
    name: Name | None = None
    weight: int | None = Field(None, ge=0, le=1000)
    can_login: bool | None = None
    permissions: list[str | PermissionRef] | None = None


async def _scopes_named(session: AsyncSession, refs: list[str | PermissionRef]) -> list[str]:
    """The catalogue's scopes ``refs`` name (422 on ``permissions`` for any it does not have)."""
    known = await catalogue(session)
    by_id = {row.id: name for name, row in known.items()}
    wanted = [by_id.get(ref.id, "") if isinstance(ref, PermissionRef) else ref for ref in refs]
    unknown = [str(ref) for ref, name in zip(refs, wanted, strict=True) if name not in known]
    if unknown:
        raise Invalid.field("permissions", f"These are no permissions: {', '.join(unknown[:5])}.")
    return list(dict.fromkeys(wanted))


def _custom(role: t.Role) -> t.Role:
    if role.handle in _BY_HANDLE:
        raise Invalid.field("handle", "A preset role cannot be changed or deleted.")
    return role


async def create(session: AsyncSession, ctx: Ctx, body: RoleIn) -> t.Role:
    """A role of the tenant's own, granting the permissions chosen (never more than the caller holds)."""
    scopes = await _scopes_named(session, body.permissions)
    check_may_confer(ctx.scopes, scopes, "This role")
    taken = select(t.Role.id).where(t.Role.tenant_id == ctx.tenant_id, t.Role.handle == body.handle)
    if body.handle in _BY_HANDLE or (await session.execute(taken)).scalar_one_or_none() is not None:
        raise Invalid.field("handle", "The handle has already been taken.")
    role = t.Role(
        tenant_id=ctx.tenant_id,
        handle=body.handle,
        name=body.name,
        weight=body.weight,
        can_login=body.can_login,
        scopes=scopes,
    )
    session.add(role)
    await session.flush()
    return role


async def update(session: AsyncSession, ctx: Ctx, role: t.Role, body: RoleUpdate) -> t.Role:
    """Change a role of the tenant's own: every holder has the change at once (within the 10 s a
    credential is cached)."""
    _custom(role)
    check_may_confer(ctx.scopes, scopes(role), "This role")  # taking a role over needs what it grants
    if body.permissions is not None:
        role.scopes = await _scopes_named(session, body.permissions)
        check_may_confer(ctx.scopes, role.scopes, "This role")
    for name in ("name", "weight", "can_login"):
        if getattr(body, name) is not None:
            setattr(role, name, getattr(body, name))
    role.updated_at = clock.now()
    await session.flush()
    return role


async def delete(session: AsyncSession, ctx: Ctx, role: t.Role) -> None:
    """Delete a role of the tenant's own; its holders lose what it granted."""
    _custom(role)
    check_may_confer(ctx.scopes, scopes(role), "This role")
    await session.delete(role)
    await session.flush()
