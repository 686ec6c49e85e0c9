"""Profile commands and queries. Each command runs inside the caller's one transaction and
appends the events it causes."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import ValidationError
from sqlalchemy import Select, String, bindparam, cast, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.db.engine import Database
from omneo_server.db.prepared import Insert, Prepared
from omneo_server.domain import events, locks
from omneo_server.domain.context import Ctx
from omneo_server.domain.custom_fields import set_custom
from omneo_server.domain.errors import Invalid, NotFound
from omneo_server.domain.inputs import Body
from omneo_server.domain.profiles import documents
from omneo_server.domain.profiles import schemas as s
from omneo_server.domain.profiles.render import render_profile
from omneo_server.domain.query import Field, ListQuery, Page, apply, paginate
from omneo_server.wire import dumps

PHONE_TAKEN = "The phone number exists"
#: Other domains move what they own from a merged-away profile to the winner: ``(session, ctx, loser, winner)``.
MERGE_HOOKS: list[Callable[[AsyncSession, Ctx, str, str], Awaitable[None]]] = []
#: What other domains add to a single profile's JSON (balances, tier), given its id.
RENDER_HOOKS: list[Callable[[AsyncSession, Ctx, str], Awaitable[dict[str, Any]]]] = []
SCALARS = [
    "title",
    "first_name",
    "last_name",
    "email",
    "gender",
    "currency",
    "joined_at",
    "mobile_phone",
    "secondary_phone",
    "birth_day",
    "birth_month",
    "birth_year",
    "company",
    "occupation",
    "avatar_url",
    "is_public",
    "profile_type",
    "joined_location_id",
    "preferred_location_id",
    "joined_staff_id",
    "preferred_staff_id",
]

FILTERS: dict[str, Field] = {
    **{
        name: Field(getattr(t.Profile, name), kind)
        for name, kind in {
            "id": str,
            "email": str,
            "first_name": str,
            "last_name": str,
            "mobile_phone": str,
            "gender": str,
            "currency": str,
            "profile_type": str,
            "birth_day": int,
            "birth_month": int,
            "birth_year": int,
            "joined_location_id": int,
            "preferred_location_id": int,
        }.items()
    },
    **{
        name: Field(getattr(t.Profile, name), t.Profile.__table__.c[name].type.python_type)
        for name in ("created_at", "updated_at", "joined_at")
    },
    "email": Field(t.Profile.email, normalise=str.lower),
    "tags.handle": Field(t.Tag.handle, str, via=(t.Profile.tags,)),
    "identities.handle": Field(t.Identity.handle, str, via=(t.Profile.identities,)),
    "identities.identifier": Field(t.Identity.identifier, str, via=(t.Profile.identities,)),
    "statuses.handle": Field(t.Status.handle, str, via=(t.Profile.statuses, t.ProfileStatus.status)),
}
SORTS = {name: FILTERS[name] for name in ("email", "first_name", "last_name", "created_at", "updated_at", "joined_at")}
SEARCH = (t.Profile.first_name, t.Profile.last_name, t.Profile.email, t.Profile.mobile_phone)


_PARTS = (
    t.Profile.identities,
    t.Profile.addresses,
    t.Profile.dates,
    t.Profile.tags,
    t.Profile.statuses,
    t.Profile.regions,
    t.Profile.custom_fields,
)


def _loaded(many: bool = False) -> Select[t.Profile]:
    """A profile with every part it renders: one joined query for a single profile (parts are few,
    so that is the cheapest), one query per part for a page of profiles. Tags come in a query of
    their own either way: joined, SQLite materialises ``profile_tags JOIN tags`` whole (every tag of
    every profile) for each profile read."""
    load = selectinload if many else joinedload
    return select(t.Profile).options(*(selectinload(p) if p is t.Profile.tags else load(p) for p in _PARTS))


def _live(ctx: Ctx, many: bool = False) -> Select[t.Profile]:
    return _loaded(many).where(t.Profile.tenant_id == ctx.tenant_id, t.Profile.deleted_at.is_(None))


# --- reading ---------------------------------------------------------------------------------


def render_loaded(profile: t.Profile) -> dict[str, Any]:
    """Render a profile whose parts were loaded with it (and not changed since)."""
    return render_profile(profile, profile.custom_fields)


async def render(session: AsyncSession, ctx: Ctx, profile: t.Profile, refresh: bool = True) -> dict[str, Any]:
    """Render one profile whole, with its balances and tier (after a change, custom attributes may
    have been written beside it: ``refresh``). Lists use :func:`render_loaded` alone. A second
    rendering in the same transaction with nothing changed between is the first one."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
    found = documents.remembered(session, profile.id)
    if found is not None:
        return found[1]
    seen_epoch = await documents.epoch(session, ctx.tenant_id)  # before rendering, as a reader does
    if refresh:
        await session.refresh(profile, ["custom_fields"])
    out = render_loaded(profile)
    for hook in RENDER_HOOKS:
        out.update(await hook(session, ctx, profile.id))
    documents.remember(session, profile.id, seen_epoch, out)
    return out


async def get(session: AsyncSession, ctx: Ctx, profile_id: str, include_deleted: bool = False) -> t.Profile:
    stmt = _loaded().where(t.Profile.tenant_id == ctx.tenant_id, t.Profile.id == profile_id)
    if not include_deleted:
        stmt = stmt.where(t.Profile.deleted_at.is_(None))
    profile = (await session.execute(stmt)).unique().scalar_one_or_none()
    if profile is None:
        raise NotFound("Profile")
    return profile


async def get_by_identity(session: AsyncSession, ctx: Ctx, handle: str, identifier: str) -> t.Profile:
    # One identity (unique per tenant, handle and identifier), then its profile by key: an ``IN``
    # here would be planned as a walk over the tenant's profiles (see :func:`_live_id`).
    owner = select(t.Identity.profile_id).where(
        t.Identity.tenant_id == ctx.tenant_id, t.Identity.handle == handle, t.Identity.identifier == identifier
    )
    stmt = _live(ctx).where(t.Profile.id == owner.scalar_subquery())
    profile = (await session.execute(stmt)).unique().scalar_one_or_none()
    if profile is None:
        raise NotFound("Profile")
    return profile


_INSERT = Insert(t.Profile)
_STATUSES_IN_FORCE = Prepared(
    select(t.Status.handle)
    .join(t.ProfileStatus, t.ProfileStatus.status_id == t.Status.id)
    .where(
        t.ProfileStatus.profile_id == bindparam("profile"),
        or_(t.ProfileStatus.expires_at.is_(None), t.ProfileStatus.expires_at > bindparam("now")),
    )
    .order_by(t.ProfileStatus.id)
)


async def statuses_in_force(session: AsyncSession, profile_id: str) -> list[str]:
    """The handles of the profile's statuses still in force (as ``live_statuses`` reads them)."""
    return [str(row[0]) for row in await _STATUSES_IN_FORCE.rows(session, profile=profile_id, now=clock.now())]


def _live_id(*where: Any, via_identity: bool = False) -> Prepared:
    profile = t.Profile
    live = (profile.tenant_id == bindparam("tenant"), profile.deleted_at.is_(None))
    stmt = select(profile.id)
    if via_identity:
        # A join from the identity's unique index, not ``id IN (subquery)``: SQLite plans that as a
        # walk over every profile of the tenant, probing the subquery's list for each.
        stmt = stmt.select_from(t.Identity).join(profile, profile.id == t.Identity.profile_id)
    return Prepared(stmt.where(*live, *where).limit(1))


_LIVE_ID = {
    "id": _live_id(t.Profile.id == bindparam("key")),
    "email": _live_id(t.Profile.email == bindparam("key")),
    "mobile_phone": _live_id(t.Profile.mobile_phone == bindparam("key")),
    "identity": _live_id(
        t.Identity.tenant_id == bindparam("tenant"),
        t.Identity.handle == bindparam("handle"),
        t.Identity.identifier == bindparam("key"),
        via_identity=True,
    ),
}


async def live_id(session: AsyncSession, ctx: Ctx, key: str, handle: str | None) -> str | None:
    """The id of a live profile named by UUID (no handle), email (``email``) or identity — without
    loading the profile."""
    if handle is None:
        try:
            profile_id = str(uuid.UUID(key))
        except ValueError:
            return None
        found = await _LIVE_ID["id"].one(session, tenant=ctx.tenant_id, key=profile_id)
    elif handle == "email":
        found = await _LIVE_ID["email"].one(session, tenant=ctx.tenant_id, key=normalise_email(key))
    else:
        found = await _LIVE_ID["identity"].one(session, tenant=ctx.tenant_id, handle=handle, key=key)
    return None if found is None else str(found[0])


async def search_id(session: AsyncSession, ctx: Ctx, body: s.SearchIdIn) -> t.Profile:
    """``POST /profiles/search-id``: ``type=profile_id`` looks up the UUID, any other type is an identity handle."""
    if body.type == "profile_id":
        return await get(session, ctx, body.id)
    return await get_by_identity(session, ctx, body.type, body.id)


_BY_EMAIL = "SELECT id FROM profiles WHERE tenant_id = ? AND email = ? AND deleted_at IS NULL"


async def list_profile_ids(db: Database, ctx: Ctx, query: ListQuery) -> Page:
    """A page of the live profiles ``query`` selects, as ids (their renderings come from the read
    model)."""
    if (
        query.page == 1
        and not query.search
        and not query.sort
        and [(n, op) for n, op, _v in query.filters] == [("email", "eq")]
    ):
        # A storefront's findByEmail, on the fast path: emails are unique among live profiles, so
        # the one row (or none) is the page.
        found = await db.fast.fetchrow(_BY_EMAIL, (ctx.tenant_id, query.filters[0][2].lower()))
        rows = [] if found is None else [str(found[0])]
        return Page(rows, len(rows), query.page, query.size)
    newest_last = (t.Profile.created_at, t.Profile.id)
    live = select(t.Profile.id).where(t.Profile.tenant_id == ctx.tenant_id, t.Profile.deleted_at.is_(None))
    async with db.read() as session:
        return await paginate(session, apply(live, query, FILTERS, SORTS, SEARCH, default_sort=newest_last), query)


async def read_models(db: Database, ctx: Ctx, profile_ids: Sequence[str]) -> dict[str, str]:
    """The renderings (JSON text) of those of ``profile_ids`` that are live profiles: from the read
    model where current, else rendered (their versions read before anything is) and kept."""
    bodies = await documents.cached_many(db, ctx.tenant_id, profile_ids)
    missing = [pid for pid in profile_ids if pid not in bodies]
    if not missing:
        return bodies
    kept = []
    async with db.read() as session:
        seen = await documents.versions(session, ctx.tenant_id, missing)
        for profile in await get_many(session, ctx, missing):
            body = dumps(await render(session, ctx, profile, False))
            kept.append((profile.id, seen[profile.id], body, await documents.valid_until(session, ctx, profile)))
            bodies[profile.id] = body
    await documents.store_many(db, ctx.tenant_id, kept)
    return bodies


async def get_many(session: AsyncSession, ctx: Ctx, profile_ids: Sequence[str]) -> list[t.Profile]:
    """Live profiles with every part they render (in no particular order)."""
    stmt = _live(ctx, many=len(profile_ids) > 1).where(t.Profile.id.in_(profile_ids))
    return list((await session.execute(stmt)).unique().scalars())


async def list_by_custom_attribute(
    session: AsyncSession, ctx: Ctx, query: ListQuery, wanted: dict[tuple[str, str], str]
) -> Page:
    """Profiles whose custom attributes ``namespace:handle`` equal the given values."""
    stmt = _live(ctx, many=True)
    for (namespace, handle), value in wanted.items():
        stmt = stmt.where(
            select(t.CustomField.id)
            .where(
                t.CustomField.tenant_id == ctx.tenant_id,
                t.CustomField.owner_type == "profile",
                t.CustomField.owner_id == t.Profile.id,
                t.CustomField.namespace == namespace,
                t.CustomField.handle == handle,
                # The value is stored as JSON: match its text as a string or as a bare number/boolean.
                cast(t.CustomField.value, String).in_([value, dumps(value)]),
            )
            .exists()
        )
    stmt = apply(stmt, query, FILTERS, SORTS, SEARCH, default_sort=(t.Profile.created_at, t.Profile.id))
    return await paginate(session, stmt, query)


# --- validation --------------------------------------------------------------------------------


def normalise_email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise Invalid.field("email", "The email must be a valid email address.") from None


def normalise_phone(ctx: Ctx, value: str, field: str = "mobile_phone") -> str:
    """Store phones in E.164; national numbers are read in the configured region."""
    try:
        parsed = phonenumbers.parse(value, None if value.startswith("+") else ctx.settings.phone_region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise Invalid.field(field, f"The {field.replace('_', ' ')} must be a valid phone number.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


async def _find_live(session: AsyncSession, ctx: Ctx, column: Any, value: str) -> t.Profile | None:
    stmt = select(t.Profile).where(
        t.Profile.tenant_id == ctx.tenant_id, t.Profile.deleted_at.is_(None), column == value
    )
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def _check_contact_unique(session: AsyncSession, ctx: Ctx, data: dict[str, Any], own_id: str | None) -> None:
    for name, message in (("email", "The email has already been taken."), ("mobile_phone", PHONE_TAKEN)):
        if data.get(name):
            other = await _LIVE_ID[name].one(session, tenant=ctx.tenant_id, key=data[name])
            if other is not None and other[0] != own_id:
                raise Invalid.field(name, message)


async def _check_identity_free(
    session: AsyncSession, ctx: Ctx, handle: str, identifier: str, own_id: str | None
) -> None:
    stmt = select(t.Identity).where(
        t.Identity.tenant_id == ctx.tenant_id,
        t.Identity.handle == handle,
        t.Identity.identifier == identifier,
    )
    other = (await session.execute(stmt)).scalar_one_or_none()
    if other is not None and other.profile_id != own_id:
        raise Invalid.field("identities", f"The identity {handle}:{identifier} already belongs to another profile.")


def _scalars(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    values = {k: data[k] for k in SCALARS if k in data}
    if values.get("email") is not None:
        values["email"] = normalise_email(values["email"])
    elif "email" in values:
        raise Invalid.field("email", "The email field is required.")
    for phone in ("mobile_phone", "secondary_phone"):
        if values.get(phone):
            values[phone] = normalise_phone(ctx, values[phone], phone)
    for name in ("first_name", "last_name"):
        if name in values and not values[name]:
            values[name] = "Unknown"
    return values


# --- nested parts --------------------------------------------------------------------------------


async def _status_rows(session: AsyncSession, ctx: Ctx, handles: Sequence[str]) -> list[t.Status]:
    rows = (
        (
            await session.execute(
                select(t.Status).where(t.Status.tenant_id == ctx.tenant_id, t.Status.handle.in_(handles))
            )
        )
        .scalars()
        .all()
    )
    missing = set(handles) - {r.handle for r in rows}
    if missing:
        raise Invalid.field("statuses", f"Unknown status: {', '.join(sorted(missing))}.")
    return list(rows)


async def _tag_rows(session: AsyncSession, ctx: Ctx, handles: Sequence[str]) -> list[t.Tag]:
    """Tags are free strings: unknown ones are created on first use."""
    wanted = list(dict.fromkeys(h for h in handles if h))
    rows = {
        r.handle: r
        for r in (
            await session.execute(select(t.Tag).where(t.Tag.tenant_id == ctx.tenant_id, t.Tag.handle.in_(wanted)))
        ).scalars()
    }
    for handle in wanted:
        if handle not in rows:
            rows[handle] = t.Tag(tenant_id=ctx.tenant_id, handle=handle)
            session.add(rows[handle])
    return [rows[h] for h in wanted]


async def add_statuses(session: AsyncSession, ctx: Ctx, profile: t.Profile, handles: Sequence[str]) -> None:
    have = {link.status_id: link for link in profile.statuses}
    for status in await _status_rows(session, ctx, handles):
        expires = clock.now() + timedelta(days=status.period) if status.period else None
        if status.id in have:
            have[status.id].expires_at = expires  # giving a time-limited status again renews it
        else:
            profile.statuses.append(t.ProfileStatus(status=status, status_id=status.id, expires_at=expires))


async def add_tags(session: AsyncSession, ctx: Ctx, profile: t.Profile, handles: Sequence[str]) -> None:
    for tag in await _tag_rows(session, ctx, handles):
        if tag not in profile.tags:
            profile.tags.append(tag)


async def add_identity(session: AsyncSession, ctx: Ctx, profile: t.Profile, body: s.IdentityIn) -> t.Identity:
    if any(i.handle == body.handle and i.identifier == body.identifier for i in profile.identities):
        raise Invalid.field("identifier", "The profile already has this identity.")
    await _check_identity_free(session, ctx, body.handle, body.identifier, profile.id)
    if body.is_primary:
        for other in profile.identities:
            other.is_primary = False
    identity = t.Identity(tenant_id=ctx.tenant_id, **body.model_dump())
    profile.identities.append(identity)
    return identity


def add_address(ctx: Ctx, profile: t.Profile, body: s.AddressIn) -> t.Address:
    values = body.model_dump()
    values["latitude"] = None if values["latitude"] is None else str(values["latitude"])
    values["longitude"] = None if values["longitude"] is None else str(values["longitude"])
    address = t.Address(tenant_id=ctx.tenant_id, **values)
    profile.addresses.append(address)
    set_default_address(profile, address if body.is_default or len(profile.addresses) == 1 else None)
    return address


def set_default_address(profile: t.Profile, chosen: t.Address | None) -> None:
    """Exactly one default: the chosen one, else the current one, else the oldest."""
    if chosen is None:
        chosen = next((a for a in profile.addresses if a.is_default), None)
    if chosen is None and profile.addresses:
        chosen = profile.addresses[0]
    for address in profile.addresses:
        address.is_default = address is chosen


def upsert_date(ctx: Ctx, profile: t.Profile, body: s.DateIn) -> t.ProfileDate:
    item = next((d for d in profile.dates if d.handle == body.handle), None)
    if item is None:
        item = t.ProfileDate(tenant_id=ctx.tenant_id, profile_id=profile.id, handle=body.handle)
        profile.dates.append(item)
    for key, value in body.model_dump(exclude_unset=True).items():
        setattr(item, key, value)
    return item


async def _region(session: AsyncSession, ctx: Ctx, region_id: int) -> t.Region:
    region = (
        await session.execute(select(t.Region).where(t.Region.tenant_id == ctx.tenant_id, t.Region.id == region_id))
    ).scalar_one_or_none()
    if region is None:
        raise Invalid.field("region_id", "The selected region is invalid.")
    return region


async def add_region(session: AsyncSession, ctx: Ctx, profile: t.Profile, body: s.ProfileRegionIn) -> t.ProfileRegion:
    region = await _region(session, ctx, body.region_id)
    link = t.ProfileRegion(tenant_id=ctx.tenant_id, region=region, **body.model_dump())
    profile.regions.append(link)
    return link


def update_comms(profile: t.Profile, values: dict[str, Any]) -> None:
    profile.comms = {**(profile.comms or {}), **values}


async def _apply(session: AsyncSession, ctx: Ctx, profile: t.Profile, body: s.ProfileFields) -> None:
    """Write the nested parts of a create/update body onto ``profile``."""
    given = body.model_dump(exclude_unset=True)
    if body.tags is not None:
        await add_tags(session, ctx, profile, body.tags)
    if body.statuses is not None:
        await add_statuses(session, ctx, profile, body.statuses)
    for identity in body.identities or []:
        if not any(i.handle == identity.handle and i.identifier == identity.identifier for i in profile.identities):
            await add_identity(session, ctx, profile, identity)
    for address in body.addresses or []:
        add_address(ctx, profile, address)
    comms = sent_comms(body)
    if comms:
        update_comms(profile, comms)
    attributes = given.get("attributes") or {}
    if isinstance(attributes.get("appearance"), dict):
        appearance = _validated(s.AppearanceIn, attributes["appearance"], "attributes.appearance")
        profile.appearance = {**(profile.appearance or {}), **appearance}
    dates = list(body.dates_attributes or [])
    dates += [s.DateIn.model_validate(d) for d in attributes.get("dates") or []]
    for item in dates:
        upsert_date(ctx, profile, item)
    for region in body.regions or []:
        await add_region(session, ctx, profile, region)
    if body.region_id is not None:
        await add_region(
            session,
            ctx,
            profile,
            s.ProfileRegionIn(region_id=body.region_id, country=body.region_country, state=body.region_state),
        )
    await session.flush()
    for attr in body.custom_attributes or []:
        await set_custom(session, ctx, "profile", profile.id, attr.namespace, attr.handle, attr.type, attr.value)


def sent_comms(body: s.ProfileFields) -> dict[str, Any]:
    """The comms values a body sends, as ``comms_attributes`` and/or ``attributes.comms``."""
    given = body.model_dump(exclude_unset=True)
    comms = dict(given.get("comms_attributes") or {})
    attributes = given.get("attributes") or {}
    if isinstance(attributes.get("comms"), dict):
        comms.update(_validated(s.CommsIn, attributes["comms"], "attributes.comms"))
    return comms


#: What an anonymous sign-up may fill in on a profile that exists: the flags and consent records
#: the owner has never set. Never the verification states (proven, not claimed).
SIGN_UP_FILLABLE = frozenset(
    [f"{channel}_{topic}" for channel in s.CHANNELS for topic in s.TOPICS]
    + ["email_consent_updated_at", "sms_consent_updated_at", "terms_accepted_at", "terms_accepted_version"]
)


async def sign_up(session: AsyncSession, ctx: Ctx, body: s.ProfileFields) -> t.Profile | None:
    """An anonymous sign-up: a new profile (returned), or, when a live profile already has this email
    or mobile, only the comms its owner never set are filled in (``None``: the caller learns nothing
    stored). Either way ``profile.signed_up`` records what was asked for."""
    sent = sent_comms(body)
    existing = await find_contact(session, ctx, body.email, body.mobile_phone)
    if existing is None:
        if not body.email:
            raise Invalid.field("email", "The email field is required.")
        profile = await create(session, ctx, body)
        filled = sorted(sent)
    else:
        stored = existing.comms or {}
        fill = {k: v for k, v in sent.items() if k in SIGN_UP_FILLABLE and v is not None and stored.get(k) is None}
        if fill:
            await update(session, ctx, existing, s.ProfileFields.model_validate({"comms_attributes": fill}))
        profile, filled = existing, sorted(fill)
    payload = {"profile_id": profile.id, "existing": existing is not None, "comms": sent, "filled": filled}
    await events.record(session, ctx, "profile.signed_up", profile.id, payload)
    return profile if existing is None else None


def _validated(model: Any, raw: dict[str, Any], prefix: str) -> dict[str, Any]:
    try:
        result: dict[str, Any] = model.model_validate(raw).model_dump(exclude_unset=True)
        return result
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for problem in exc.errors():
            name = ".".join([*filter(None, [prefix]), *(str(p) for p in problem["loc"])])
            errors.setdefault(name, []).append(problem["msg"])
        raise Invalid(errors) from None


# --- commands ----------------------------------------------------------------------------------


async def create(session: AsyncSession, ctx: Ctx, body: s.ProfileFields, created_by: str | None = None) -> t.Profile:
    values = _scalars(ctx, body.model_dump(exclude_unset=True) | {"email": body.email})
    values.setdefault("first_name", "Unknown")
    values.setdefault("last_name", "Unknown")
    await _check_contact_unique(session, ctx, values, None)
    if values.get("profile_type") == "deleted":
        raise Invalid.field("profile_type", "A profile cannot be created deleted.")
    profile = t.Profile(tenant_id=ctx.tenant_id, created_by=created_by or ctx.actor, comms={}, appearance={}, **values)
    profile.identities, profile.addresses, profile.dates = [], [], []
    profile.tags, profile.statuses, profile.regions = [], [], []
    profile.custom_fields = []
    await _INSERT.write(session, profile)
    await documents.invalidate(session, profile.id)
    await _apply(session, ctx, profile, body)
    await session.flush()
    # A new profile's custom attributes are the ones the body set (none: nothing to read back).
    rendered = await render(session, ctx, profile, refresh=bool(body.custom_attributes))
    await events.record(session, ctx, "profile.created", profile.id, rendered)
    return profile


async def update(session: AsyncSession, ctx: Ctx, profile: t.Profile, body: s.ProfileFields) -> t.Profile:
    values = _scalars(ctx, body.model_dump(exclude_unset=True))
    if "profile_type" in values and values["profile_type"] == "deleted":
        raise Invalid.field("profile_type", "Delete the profile instead.")
    await _check_contact_unique(session, ctx, values, profile.id)
    before = render_loaded(profile)
    for key, value in values.items():
        setattr(profile, key, value)
    await _apply(session, ctx, profile, body)
    await _touch(session, profile)
    rendered = await render(session, ctx, profile)
    await events.record(session, ctx, "profile.updated", profile.id, rendered, old=before)
    return profile


async def _touch(session: AsyncSession, profile: t.Profile) -> None:
    profile.updated_at = clock.now()
    await session.flush()


async def changed(session: AsyncSession, ctx: Ctx, profile: t.Profile) -> t.Profile:
    """Mark a sub-resource change on the profile and emit ``profile.updated``."""
    await _touch(session, profile)
    await events.record(session, ctx, "profile.updated", profile.id, await render(session, ctx, profile))
    return profile


async def soft_delete(session: AsyncSession, ctx: Ctx, profile: t.Profile) -> None:
    profile.profile_type = "deleted"
    profile.deleted_at = clock.now()
    await _touch(session, profile)
    await events.record(session, ctx, "profile.deleted", profile.id, {"id": profile.id, "email": profile.email})


async def purge(session: AsyncSession, ctx: Ctx, profile: t.Profile) -> None:
    """Hard delete: the profile and everything hanging off it (GDPR erasure)."""
    await session.execute(
        delete(t.CustomField).where(
            t.CustomField.tenant_id == ctx.tenant_id,
            t.CustomField.owner_type == "profile",
            t.CustomField.owner_id == profile.id,
        )
    )
    await session.delete(profile)
    await session.flush()
    await events.record(session, ctx, "profile.purged", profile.id, {"id": profile.id})


async def depersonalise(session: AsyncSession, ctx: Ctx, profile: t.Profile) -> t.Profile:
    """Replace personal data with placeholders; the record (and its history) stays for reporting."""
    profile.title = profile.company = profile.occupation = profile.avatar_url = None
    profile.first_name = profile.last_name = "Depersonalised"
    profile.email = f"depersonalised+{profile.id}@invalid.invalid"
    profile.mobile_phone = profile.secondary_phone = None
    profile.birth_day = profile.birth_month = profile.birth_year = None
    profile.gender = None
    profile.appearance = {}
    profile.addresses.clear()
    profile.dates.clear()
    for identity in profile.identities:
        identity.is_active = False
        identity.identifier = f"depersonalised-{identity.id}"
    await session.execute(
        delete(t.CustomField).where(
            t.CustomField.tenant_id == ctx.tenant_id,
            t.CustomField.owner_type == "profile",
            t.CustomField.owner_id == profile.id,
        )
    )
    await _touch(session, profile)
    await events.record(session, ctx, "profile.depersonalised", profile.id, {"id": profile.id})
    return profile


async def update_type(session: AsyncSession, ctx: Ctx, profile_id: str, profile_type: str) -> t.Profile:
    """Change the type; ``deleted`` soft-deletes, and any other type restores a deleted profile."""
    profile = await get(session, ctx, profile_id, include_deleted=True)
    if profile_type == "deleted":
        await soft_delete(session, ctx, profile)
        return profile
    if profile.deleted_at is not None:
        await _check_contact_unique(
            session, ctx, {"email": profile.email, "mobile_phone": profile.mobile_phone}, profile.id
        )
        profile.deleted_at = None
    profile.profile_type = profile_type
    return await changed(session, ctx, profile)


async def merge(session: AsyncSession, ctx: Ctx, winner_id: str, loser_id: str) -> t.Profile:
    """Move the loser's identities, addresses, tags, statuses, regions, dates and custom attributes to
    the winner; the winner's scalar fields win and the loser fills the gaps; the loser is deleted."""
    if winner_id == loser_id:
        raise Invalid.field("source_profile_id", "A profile cannot be merged into itself.")
    with suppress(NotFound):  # an unknown one is answered by ``get`` below, naming which
        # Both, in id order, before anything of them is read: their incentives move.
        await locks.lock_profiles(session, ctx, winner_id, loser_id, live=False)
    winner = await get(session, ctx, winner_id)
    loser = await get(session, ctx, loser_id)
    for name in SCALARS:
        if name not in ("email", "mobile_phone", "profile_type") and getattr(winner, name) is None:
            setattr(winner, name, getattr(loser, name))
    if winner.mobile_phone is None and loser.mobile_phone:
        winner.secondary_phone = winner.secondary_phone or loser.mobile_phone
    for identity in list(loser.identities):
        loser.identities.remove(identity)
        identity.is_primary = identity.is_primary and not any(i.is_primary for i in winner.identities)
        identity.merged_from = loser.id
        winner.identities.append(identity)
    for address in list(loser.addresses):
        loser.addresses.remove(address)
        address.is_default = False
        winner.addresses.append(address)
    set_default_address(winner, None)
    for tag in loser.tags:
        if tag not in winner.tags:
            winner.tags.append(tag)
    have = {link.status_id for link in winner.statuses}
    for link in loser.statuses:
        if link.status_id not in have:
            winner.statuses.append(
                t.ProfileStatus(status=link.status, status_id=link.status_id, expires_at=link.expires_at)
            )
    for region in list(loser.regions):
        loser.regions.remove(region)
        winner.regions.append(region)
    handles = {d.handle for d in winner.dates}
    for item in list(loser.dates):
        if item.handle not in handles:
            loser.dates.remove(item)
            winner.dates.append(item)
    winner.comms = {**(loser.comms or {}), **(winner.comms or {})}
    winner.appearance = {**(loser.appearance or {}), **(winner.appearance or {})}
    await session.flush()
    kept = {(c.namespace, c.handle) for c in winner.custom_fields}
    for field in loser.custom_fields:
        if (field.namespace, field.handle) in kept:
            await session.delete(field)
        else:
            field.owner_id = winner.id
    for hook in MERGE_HOOKS:
        await hook(session, ctx, loser.id, winner.id)
    loser.profile_type = "deleted"
    loser.deleted_at = clock.now()
    await _touch(session, loser)
    await events.record(session, ctx, "profile.merged", winner.id, {"winner_id": winner.id, "loser_id": loser.id})
    return await changed(session, ctx, winner)


async def availability(session: AsyncSession, ctx: Ctx, body: s.AvailabilityIn) -> dict[str, Any]:
    out: dict[str, Any] = {"email": None, "mobile_phone": None}
    if body.email:
        found = await _find_live(session, ctx, t.Profile.email, normalise_email(body.email))
        out["email"] = {"available": found is None, "profile": {"id": found.id} if found else None}
    if body.mobile_phone:
        found = await _find_live(session, ctx, t.Profile.mobile_phone, normalise_phone(ctx, body.mobile_phone))
        out["mobile_phone"] = {"available": found is None, "profile": {"id": found.id} if found else None}
    return out


async def upsert(session: AsyncSession, ctx: Ctx, raw: dict[str, Any], match: str) -> t.Profile:
    """Create or update by ``match`` (``email``, ``mobile_phone`` or an identity handle)."""
    body = s.ProfileFields.model_validate(_validated(s.ProfileFields, raw, ""))
    existing: t.Profile | None = None
    if match == "email" and body.email:
        existing = await _find_live(session, ctx, t.Profile.email, normalise_email(body.email))
    elif match == "mobile_phone" and body.mobile_phone:
        existing = await _find_live(session, ctx, t.Profile.mobile_phone, normalise_phone(ctx, body.mobile_phone))
    else:
        for identity in body.identities or []:
            if identity.handle == match:
                try:
                    existing = await get_by_identity(session, ctx, identity.handle, identity.identifier)
                except NotFound:
                    existing = None
                break
    if existing is not None:
        return await update(session, ctx, await get(session, ctx, existing.id), body)
    if not body.email:
        raise Invalid.field("email", "The email field is required.")
    return await create(session, ctx, body)


async def resync(session: AsyncSession, ctx: Ctx, profile: t.Profile) -> None:
    """Emit ``profile.resync`` so downstream systems fetch the profile again."""
    await events.record(session, ctx, "profile.resync", profile.id, {"id": profile.id})


async def mark_for_sync(session: AsyncSession, ctx: Ctx, since: Any) -> int:
    """Emit ``profile.resync`` for each live profile changed since ``since`` (for downstream systems)."""
    stmt = select(t.Profile.id).where(
        t.Profile.tenant_id == ctx.tenant_id, t.Profile.deleted_at.is_(None), t.Profile.updated_at >= since
    )
    ids = list((await session.execute(stmt)).scalars())
    for profile_id in ids:
        await events.record(session, ctx, "profile.resync", profile_id, {"id": profile_id})
    return len(ids)


async def find_contact(session: AsyncSession, ctx: Ctx, email: str | None, mobile: str | None) -> t.Profile | None:
    """A live profile with this email or mobile (used by anonymous sign-up)."""
    conditions = []
    if email:
        conditions.append(t.Profile.email == normalise_email(email))
    if mobile:
        conditions.append(t.Profile.mobile_phone == normalise_phone(ctx, mobile))
    if not conditions:
        return None
    stmt = _live(ctx).where(or_(*conditions)).limit(1)
    return (await session.execute(stmt)).unique().scalar_one_or_none()


# --- sub-resource edits --------------------------------------------------------------------------


async def update_identity(
    session: AsyncSession, ctx: Ctx, profile: t.Profile, identity: t.Identity, body: s.IdentityUpdate
) -> None:
    values = body.model_dump(exclude_unset=True, exclude_none=True)
    handle = values.get("handle", identity.handle)
    identifier = values.get("identifier", identity.identifier)
    if (handle, identifier) != (identity.handle, identity.identifier):
        await _check_identity_free(session, ctx, handle, identifier, profile.id)
        if any(i is not identity and (i.handle, i.identifier) == (handle, identifier) for i in profile.identities):
            raise Invalid.field("identifier", "The profile already has this identity.")
    if values.get("is_primary"):
        for other in profile.identities:
            other.is_primary = False
    for key, value in values.items():
        setattr(identity, key, value)


def update_address(profile: t.Profile, address: t.Address, body: Body) -> None:
    values = body.model_dump(exclude_unset=True)
    for coordinate in ("latitude", "longitude"):
        if values.get(coordinate) is not None:
            values[coordinate] = str(values[coordinate])
    for key, value in values.items():
        if key != "is_default" and (value is not None or key not in ("address_line_1", "city", "postcode", "country")):
            setattr(address, key, value)
    if values.get("is_default"):
        set_default_address(profile, address)
    elif values.get("is_default") is False and address.is_default:
        # Giving up the default passes it to the oldest other address.
        address.is_default = False
        others = [a for a in profile.addresses if a is not address]
        set_default_address(profile, others[0] if others else address)


def upsert_address(ctx: Ctx, profile: t.Profile, body: s.AddressIn) -> t.Address:
    """Addresses are upserted by ``external_id`` (a create when there is none or no match)."""
    existing = next((a for a in profile.addresses if body.external_id and a.external_id == body.external_id), None)
    if existing is None:
        return add_address(ctx, profile, body)
    update_address(profile, existing, s.AddressUpdate.model_validate(body.model_dump(exclude_unset=True)))
    return existing


async def update_region(session: AsyncSession, ctx: Ctx, link: t.ProfileRegion, body: s.ProfileRegionUpdate) -> None:
    values = body.model_dump(exclude_unset=True)
    if values.get("region_id") is not None:
        link.region = await _region(session, ctx, values["region_id"])
    for key in ("country", "state", "is_active"):
        if key in values and values[key] is not None:
            setattr(link, key, values[key])


def identities_query(ctx: Ctx, query: ListQuery) -> Select[t.Identity]:
    fields = {
        "handle": Field(t.Identity.handle),
        "identifier": Field(t.Identity.identifier),
        "profile_id": Field(t.Identity.profile_id),
        "is_active": Field(t.Identity.is_active, bool),
        "is_primary": Field(t.Identity.is_primary, bool),
        "created_at": Field(t.Identity.created_at, datetime),
    }
    stmt = (
        select(t.Identity).join(t.Profile).where(t.Identity.tenant_id == ctx.tenant_id, t.Profile.deleted_at.is_(None))
    )
    return apply(stmt, query, fields, fields, (t.Identity.identifier,), default_sort=(t.Identity.id,))


async def profiles_with_identifier(
    session: AsyncSession, ctx: Ctx, identifier: str, handle: str | None = None
) -> list[t.Profile]:
    # From the identities with that identifier (indexed), not an EXISTS tried on every profile.
    named = select(t.Identity.profile_id).where(
        t.Identity.identifier == identifier, t.Identity.tenant_id == ctx.tenant_id
    )
    if handle:
        named = named.where(t.Identity.handle == handle)
    stmt = _live(ctx, many=True).join(named.subquery("named")).order_by(t.Profile.created_at)
    return list((await session.execute(stmt)).unique().scalars())
