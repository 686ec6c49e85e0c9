"""Organisations (customer-side bodies: employers, clubs), the role definitions a profile can hold in
one, and the memberships joining the two (domain-rules §12: ``{profile, organisation,
role_definition_id, is_active, expires_at}``, updatable in place)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field as Pyd
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.domain import crud, events
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import Resource, render_columns, standard_fields
from omneo_server.domain.errors import Invalid, NotFound
from omneo_server.domain.inputs import Body, Handle, Name, Text, Timestamp, partial
from omneo_server.domain.profiles import commands as profiles
from omneo_server.domain.query import INT_MAX, ListQuery, Page, paginate


class OrganisationIn(Body):
    name: Name
    handle: Handle
    type: Name | None = None
    status: Name | None = None
    is_active: bool = True
    domain: Name | None = None
    authorised_domains: list[Name] = []
    address: dict[str, Any] | None = None
    #: Ids of the tenant's locations the organisation is tied to.
    locations: list[Annotated[int, Pyd(ge=1, le=INT_MAX)]] = []
    meta: Any = None


ORGANISATIONS = Resource(
    name="organisations",
    event="organisation",
    label="Organisation",
    table=t.Organisation,
    create=OrganisationIn,
    update=partial(OrganisationIn),
    filters=standard_fields(t.Organisation, "id", "name", "handle", "type", "status", "is_active", "domain"),
    sorts=standard_fields(t.Organisation, "id", "name", "handle", "created_at", "updated_at"),
    search=(t.Organisation.name, t.Organisation.handle, t.Organisation.domain),
    unique=(("handle",),),
    refs={"locations": t.Location},
)


class RoleDefinitionIn(Body):
    name: Name
    handle: Handle
    description: Text | None = None
    meta: Any = None


ROLE_DEFINITIONS = Resource(
    name="role-definitions",
    event="role_definition",
    label="Role definition",
    table=t.RoleDefinition,
    create=RoleDefinitionIn,
    update=partial(RoleDefinitionIn),
    filters=standard_fields(t.RoleDefinition, "id", "name", "handle"),
    sorts=standard_fields(t.RoleDefinition, "id", "name", "handle", "created_at"),
    search=(t.RoleDefinition.name, t.RoleDefinition.handle),
    unique=(("handle",),),
)


class MembershipIn(Body):
    profile_id: Name
    role_definition_id: int | None = None
    is_active: bool = True
    expires_at: Timestamp | None = None


#: A membership's own fields, answered beside the organisation's profile.
MEMBERSHIP = ("role_definition_id", "is_active", "expires_at")


async def organisation(session: AsyncSession, ctx: Ctx, key: Any) -> t.Organisation:
    row: t.Organisation = await crud.get_row(session, ctx, ORGANISATIONS, key)
    return row


async def attach(session: AsyncSession, ctx: Ctx, org: t.Organisation, body: MembershipIn) -> dict[str, Any]:
    """Make a profile a member (or change its membership in place: role, active, expiry)."""
    profile_id = await profiles.live_id(session, ctx, body.profile_id, None)
    if profile_id is None:
        raise Invalid.field("profile_id", "The selected profile is invalid.")
    if body.role_definition_id is not None:
        await crud.check_refs(session, ctx, {"role_definition_id": t.RoleDefinition}, body.model_dump())
    stmt = select(t.OrganisationProfile).where(
        t.OrganisationProfile.organisation_id == org.id, t.OrganisationProfile.profile_id == profile_id
    )
    member = (await session.execute(stmt)).scalar_one_or_none()
    if member is None:
        member = t.OrganisationProfile(tenant_id=ctx.tenant_id, organisation_id=org.id, profile_id=profile_id)
        session.add(member)
    for name in MEMBERSHIP:
        setattr(member, name, getattr(body, name))
    member.updated_at = clock.now()
    await session.flush()
    rendered = render_columns(member)
    await events.record(session, ctx, "organisation.profile_attached", org.id, rendered)
    return rendered


async def detach(session: AsyncSession, ctx: Ctx, org: t.Organisation, profile_id: str) -> None:
    stmt = select(t.OrganisationProfile).where(
        t.OrganisationProfile.organisation_id == org.id, t.OrganisationProfile.profile_id == profile_id
    )
    member = (await session.execute(stmt)).scalar_one_or_none()
    if member is None:
        raise NotFound("Profile")
    rendered = render_columns(member)
    await session.delete(member)
    await session.flush()
    await events.record(session, ctx, "organisation.profile_detached", org.id, rendered)


async def members(session: AsyncSession, org: t.Organisation, query: ListQuery) -> tuple[Page, dict[str, Any]]:
    """A page of the organisation's live member profiles (ids, oldest membership first), and each
    one's membership (role, active, expiry: whether it has lapsed is ``expires_at`` against now)."""
    stmt = (
        select(t.OrganisationProfile)
        .join(t.Profile, t.Profile.id == t.OrganisationProfile.profile_id)
        .where(t.OrganisationProfile.organisation_id == org.id, t.Profile.deleted_at.is_(None))
        .order_by(t.OrganisationProfile.id)
    )
    result = await paginate(session, stmt, query)
    now: datetime = clock.now()
    memberships = {
        row.profile_id: {
            **{name: getattr(row, name) for name in MEMBERSHIP},
            "is_current": row.is_active and (row.expires_at is None or row.expires_at > now),
        }
        for row in result.rows
    }
    return Page([row.profile_id for row in result.rows], result.total, result.page, result.size), memberships


async def of_profile(session: AsyncSession, ctx: Ctx, profile_id: str) -> list[dict[str, Any]]:
    """The profile's memberships as conditions read them (reactions' profile context, benefit
    eligibility): ``[{id, handle, name, role_definition_id, role_definition_handle, is_active,
    expires_at, is_current}]``, so a rule can ask "belongs to acme as a manager"."""
    stmt = (
        select(t.OrganisationProfile, t.Organisation, t.RoleDefinition)
        .join(t.Organisation, t.Organisation.id == t.OrganisationProfile.organisation_id)
        .outerjoin(t.RoleDefinition, t.RoleDefinition.id == t.OrganisationProfile.role_definition_id)
        .where(t.OrganisationProfile.tenant_id == ctx.tenant_id, t.OrganisationProfile.profile_id == profile_id)
        .order_by(t.OrganisationProfile.id)
    )
    now = clock.now()
    return [
        {
            "id": org.id,
            "handle": org.handle,
            "name": org.name,
            "role_definition_id": member.role_definition_id,
            "role_definition_handle": None if role is None else role.handle,
            "is_active": member.is_active,
            "expires_at": member.expires_at,
            "is_current": member.is_active and org.is_active and (member.expires_at is None or member.expires_at > now),
        }
        for member, org, role in (await session.execute(stmt)).all()
    ]
