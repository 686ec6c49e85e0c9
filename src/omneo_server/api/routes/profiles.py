"""``/profiles``: the profile itself, its lookups and lifecycle, and its sub-resources."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, Request
from orjson import Fragment
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from omneo_server.api import render, routing
from omneo_server.api.deps import database, requires
from omneo_server.api.resources import list_query
from omneo_server.db import tables as t
from omneo_server.db.engine import Database
from omneo_server.domain import custom_fields as cf
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import render_columns
from omneo_server.domain.errors import Invalid, NotFound
from omneo_server.domain.inputs import is_uuid
from omneo_server.domain.profiles import commands as cmd
from omneo_server.domain.profiles import documents
from omneo_server.domain.profiles import schemas as s
from omneo_server.domain.profiles.render import (
    live_statuses,
    render_address,
    render_appearance,
    render_comms,
    render_custom,
    render_date,
    render_identity,
    render_region,
    render_status,
)
from omneo_server.domain.query import paginate
from omneo_server.jobs import queue
from omneo_server.wire import format_timestamp

router = routing.router(prefix="/profiles", tags=["profiles"])
READ, CREATE, UPDATE, DELETE = (requires(f"{v}-profiles") for v in ("read", "create", "update", "delete"))
P = "/{profile_id}"
_CUSTOM_FILTER = re.compile(r"^filter\[custom_field\]\[([^\]]+)\]\[([^\]]+)\]$")


async def _find(session: AsyncSession, ctx: Ctx, request: Request, profile_id: str) -> t.Profile:
    """A profile by UUID, or by identity with ``?identity[handle]=shopify``."""
    handle = request.query_params.get("identity[handle]")
    if handle:
        return await cmd.get_by_identity(session, ctx, handle, profile_id)
    try:
        uuid.UUID(profile_id)
    except ValueError:
        raise NotFound("Profile") from None
    return await cmd.get(session, ctx, profile_id)


@asynccontextmanager
async def _writing(request: Request, ctx: Ctx, profile_id: str) -> AsyncIterator[tuple[AsyncSession, t.Profile]]:
    async with database(request).write() as session:
        yield session, await _find(session, ctx, request, profile_id)


async def _rendered(session: AsyncSession, ctx: Ctx, profile: t.Profile, status: int = 200) -> Response:
    """The profile as the write left it, kept as its read model on the way out."""
    return render.data(await documents.rendered_by_write(session, ctx, profile, cmd.render), status_code=status)


# --- collection-level routes (declared before /{profile_id}) -----------------------------------


@router.get("")
async def list_profiles(request: Request, ctx: Ctx = Depends(READ)) -> Response:
    query = list_query(request, ctx, ignore=("search", "identity"))
    query.search = query.search or request.query_params.get("search")
    db = database(request)
    result = await cmd.list_profile_ids(db, ctx, query)
    return render.page(request, result, await _as_read(db, ctx, result.rows))


@router.post("", status_code=201)
async def create_profile(body: s.ProfileIn, request: Request, ctx: Ctx = Depends(CREATE)) -> Response:
    async with database(request).write() as session:
        return await _rendered(session, ctx, await cmd.create(session, ctx, body), 201)


@router.get("/attributes/custom")
async def find_by_custom_attribute(request: Request, ctx: Ctx = Depends(READ)) -> Response:
    wanted: dict[tuple[str, str], str] = {}
    for key, value in request.query_params.multi_items():
        if match := _CUSTOM_FILTER.match(key):
            wanted[(match.group(1), match.group(2))] = value
    query = list_query(request, ctx, ignore=("filter",))
    db = database(request)
    async with db.read() as session:
        result = await cmd.list_by_custom_attribute(session, ctx, query, wanted)
    return render.page(request, result, await _as_read(db, ctx, [p.id for p in result.rows]))


@router.post("/search-id")
async def search_id(body: s.SearchIdIn, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    async with database(request).read() as session:
        return await _rendered(session, ctx, await cmd.search_id(session, ctx, body))


@router.post("/exists")
async def exists(body: s.SearchIdIn, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    async with database(request).read() as session:
        profile = await cmd.search_id(session, ctx, body)
    return render.data({"id": profile.id})


@router.post("/availability")
async def availability(body: s.AvailabilityIn, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    async with database(request).read() as session:
        return render.data(await cmd.availability(session, ctx, body))


@router.post("/merge")
async def merge(body: s.MergeIn, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    async with database(request).write() as session:
        winner = await cmd.merge(session, ctx, body.destination_profile_id, body.source_profile_id)
        return await _rendered(session, ctx, winner)


@router.post("/sync")
async def sync(body: s.SyncIn, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    since = body.since or body.updated_at
    if since is None:
        raise Invalid.field("updated_at", "The updated at field is required.")
    async with database(request).write() as session:
        count = await cmd.mark_for_sync(session, ctx, since)
    return render.data({"message": f"{count} profiles updated since {format_timestamp(since)} queued for sync."})


async def _batch(body: s.BatchIn, request: Request, ctx: Ctx) -> Response:
    async with database(request).write() as session:
        batch = await queue.enqueue_profile_batch(session, ctx, body)
    message = f"{len(body.profiles)} profiles queued."
    return render.data({"message": message, "batch_id": batch.id}, status_code=202)


@router.post("/batch", status_code=202)
async def batch(body: s.BatchIn, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    return await _batch(body, request, ctx)


@router.post("/batch.json", status_code=202)
async def batch_json(body: s.BatchIn, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    return await _batch(body, request, ctx)


# --- one profile -------------------------------------------------------------------------------


@router.get(P)
async def get_profile(profile_id: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    """From the read model when it is current (one lookup); else rendered, answered and kept."""
    db = database(request)
    handle = request.query_params.get("identity[handle]")
    if handle is None and is_uuid(profile_id):
        body = await documents.cached(db, ctx.tenant_id, profile_id)
        if body is not None:
            return render.raw_data(body)
    async with db.read() as session:
        found = await cmd.live_id(session, ctx, profile_id, handle)
    if found is None:
        raise NotFound("Profile")
    body = (await cmd.read_models(db, ctx, [found])).get(found)
    if body is None:  # deleted meanwhile
        raise NotFound("Profile")
    return render.raw_data(body)


async def _as_read(db: Database, ctx: Ctx, profile_ids: Sequence[str]) -> list[Any]:
    """The profiles, in order, each exactly as ``GET /profiles/{id}`` answers it (balances and
    tier included), spliced in from the read model."""
    bodies = await cmd.read_models(db, ctx, profile_ids)
    return [Fragment(bodies[pid]) for pid in profile_ids if pid in bodies]


@router.put(P)
async def update_profile(
    profile_id: str, body: s.ProfileFields, request: Request, ctx: Ctx = Depends(UPDATE)
) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        return await _rendered(session, ctx, await cmd.update(session, ctx, profile, body))


@router.delete(P, status_code=204)
async def delete_profile(profile_id: str, request: Request, ctx: Ctx = Depends(DELETE)) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        await cmd.soft_delete(session, ctx, profile)
    return render.no_content()


@router.delete(f"{P}/purge", status_code=204)
async def purge_profile(profile_id: str, request: Request, ctx: Ctx = Depends(DELETE)) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        await cmd.purge(session, ctx, profile)
    return render.no_content()


@router.post(f"{P}/depersonalise")
async def depersonalise(profile_id: str, request: Request, ctx: Ctx = Depends(DELETE)) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        return await _rendered(session, ctx, await cmd.depersonalise(session, ctx, profile))


@router.get(f"{P}/resync")
async def resync(profile_id: str, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        await cmd.resync(session, ctx, profile)
        return await _rendered(session, ctx, profile)


@router.put(f"{P}/update-type")
async def update_type(profile_id: str, body: s.TypeIn, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    async with database(request).write() as session:
        return await _rendered(session, ctx, await cmd.update_type(session, ctx, profile_id, body.profile_type))


@router.post(f"{P}/merge")
async def merge_into(profile_id: str, body: s.LoserIn, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    async with database(request).write() as session:
        return await _rendered(session, ctx, await cmd.merge(session, ctx, profile_id, body.loser_id))


# --- identities --------------------------------------------------------------------------------


def _identity(profile: t.Profile, match: Callable[[t.Identity], bool]) -> t.Identity:
    found = next((i for i in profile.identities if match(i)), None)
    if found is None:
        raise NotFound("Identity")
    return found


def _by_handle(handle: str) -> Callable[[t.Identity], bool]:
    return lambda i: i.handle == handle


def _by_id(identity_id: str) -> Callable[[t.Identity], bool]:
    return lambda i: str(i.id) == identity_id


@router.get(f"{P}/identities")
async def list_identities(profile_id: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    async with database(request).read() as session:
        profile = await _find(session, ctx, request, profile_id)
    return render.data([render_identity(i) for i in profile.identities])


@router.post(f"{P}/identities", status_code=201)
async def create_identity(
    profile_id: str, body: s.IdentityIn, request: Request, ctx: Ctx = Depends(UPDATE)
) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        identity = await cmd.add_identity(session, ctx, profile, body)
        await cmd.changed(session, ctx, profile)
        return render.data(render_identity(identity), status_code=201)


def _identity_routes(suffix: str, matcher: Callable[[str], Callable[[t.Identity], bool]]) -> None:
    path = f"{P}/identities/{suffix}"

    async def get_identity(profile_id: str, key: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
        async with database(request).read() as session:
            profile = await _find(session, ctx, request, profile_id)
        return render.data(render_identity(_identity(profile, matcher(key))))

    async def update_identity(
        profile_id: str, key: str, body: s.IdentityUpdate, request: Request, ctx: Ctx = Depends(UPDATE)
    ) -> Response:
        async with _writing(request, ctx, profile_id) as (session, profile):
            identity = _identity(profile, matcher(key))
            await cmd.update_identity(session, ctx, profile, identity, body)
            await cmd.changed(session, ctx, profile)
            return render.data(render_identity(identity))

    async def delete_identity(profile_id: str, key: str, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
        async with _writing(request, ctx, profile_id) as (session, profile):
            profile.identities.remove(_identity(profile, matcher(key)))
            await cmd.changed(session, ctx, profile)
        return render.no_content()

    router.add_api_route(path, get_identity, methods=["GET"], name=f"identities.get.{suffix}")
    router.add_api_route(path, update_identity, methods=["PUT"], name=f"identities.update.{suffix}")
    router.add_api_route(path, delete_identity, methods=["DELETE"], status_code=204, name=f"identities.delete.{suffix}")


_identity_routes("id/{key}", _by_id)
_identity_routes("{key}", _by_handle)


# --- addresses -----------------------------------------------------------------------------------


def _address(profile: t.Profile, address_id: str) -> t.Address:
    found = next((a for a in profile.addresses if str(a.id) == address_id), None)
    if found is None:
        raise NotFound("Address")
    return found


@router.get(f"{P}/addresses")
async def list_addresses(profile_id: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    async with database(request).read() as session:
        profile = await _find(session, ctx, request, profile_id)
    return render.data([render_address(a) for a in profile.addresses])


@router.get(f"{P}/addresses/{{address_id}}")
async def get_address(profile_id: str, address_id: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    async with database(request).read() as session:
        profile = await _find(session, ctx, request, profile_id)
    return render.data(render_address(_address(profile, address_id)))


@router.post(f"{P}/addresses", status_code=201)
async def create_address(profile_id: str, body: s.AddressIn, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        address = cmd.add_address(ctx, profile, body)
        await cmd.changed(session, ctx, profile)
        return render.data(render_address(address), status_code=201)


@router.post(f"{P}/addresses/upsert")
async def upsert_address(profile_id: str, body: s.AddressIn, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        address = cmd.upsert_address(ctx, profile, body)
        await cmd.changed(session, ctx, profile)
        return render.data(render_address(address))


@router.put(f"{P}/addresses/{{address_id}}")
async def update_address(
    profile_id: str,
    address_id: str,
    body: s.AddressUpdate,  # type: ignore[valid-type]
    request: Request,
    ctx: Ctx = Depends(UPDATE),
) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        address = _address(profile, address_id)
        cmd.update_address(profile, address, body)
        await cmd.changed(session, ctx, profile)
        return render.data(render_address(address))


@router.delete(f"{P}/addresses/{{address_id}}", status_code=204)
async def delete_address(profile_id: str, address_id: str, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        profile.addresses.remove(_address(profile, address_id))
        cmd.set_default_address(profile, None)
        await cmd.changed(session, ctx, profile)
    return render.no_content()


# --- attributes --------------------------------------------------------------------------------


@router.get(f"{P}/attributes/comms")
async def get_comms(profile_id: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    async with database(request).read() as session:
        return render.data(render_comms(await _find(session, ctx, request, profile_id)))


async def _put_comms(profile_id: str, body: s.CommsIn, request: Request, ctx: Ctx) -> dict[str, Any]:
    async with _writing(request, ctx, profile_id) as (session, profile):
        cmd.update_comms(profile, body.model_dump(exclude_unset=True))
        await cmd.changed(session, ctx, profile)
        return render_comms(profile)


@router.put(f"{P}/attributes/comms")
async def update_comms(profile_id: str, body: s.CommsIn, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    return render.data(await _put_comms(profile_id, body, request, ctx))


@router.put(f"{P}/comms")
async def update_comms_list(profile_id: str, body: s.CommsIn, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    # The subscribe/unsubscribe route answers a one-element list (the SDK takes data[0]).
    return render.data([await _put_comms(profile_id, body, request, ctx)])


@router.get(f"{P}/attributes/appearance")
async def get_appearance(profile_id: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    async with database(request).read() as session:
        return render.data(render_appearance(await _find(session, ctx, request, profile_id)))


@router.put(f"{P}/attributes/appearance")
async def update_appearance(
    profile_id: str, body: s.AppearanceIn, request: Request, ctx: Ctx = Depends(UPDATE)
) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        profile.appearance = {**(profile.appearance or {}), **body.model_dump(exclude_unset=True)}
        await cmd.changed(session, ctx, profile)
        return render.data(render_appearance(profile))


def _custom_key(key: str) -> tuple[str, str]:
    namespace, sep, handle = key.partition(":")
    if not sep or not namespace or not handle:
        raise NotFound("Custom attribute")
    return namespace, handle


async def _custom(session: AsyncSession, ctx: Ctx, profile: t.Profile, key: str) -> t.CustomField:
    namespace, handle = _custom_key(key)
    found = next(
        (c for c in profile.custom_fields if (c.namespace, c.handle) == (namespace, handle)),
        None,
    )
    if found is None:
        raise NotFound("Custom attribute")
    return found


@router.get(f"{P}/attributes/custom")
async def list_custom(profile_id: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    async with database(request).read() as session:
        profile = await _find(session, ctx, request, profile_id)
    return render.data([render_custom(c) for c in profile.custom_fields])


@router.get(f"{P}/attributes/custom/{{key}}")
async def get_custom(profile_id: str, key: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    async with database(request).read() as session:
        profile = await _find(session, ctx, request, profile_id)
        return render.data(render_custom(await _custom(session, ctx, profile, key)))


@router.post(f"{P}/attributes/custom", status_code=201)
async def create_custom(
    profile_id: str, body: s.CustomAttributeIn, request: Request, ctx: Ctx = Depends(UPDATE)
) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        row = await cf.set_custom(
            session, ctx, "profile", profile.id, body.namespace, body.handle, body.type, body.value
        )
        await cmd.changed(session, ctx, profile)
        return render.data(render_custom(row), status_code=201)


@router.put(f"{P}/attributes/custom/{{key}}")
async def update_custom(
    profile_id: str, key: str, body: s.CustomAttributeValue, request: Request, ctx: Ctx = Depends(UPDATE)
) -> Response:
    namespace, handle = _custom_key(key)
    async with _writing(request, ctx, profile_id) as (session, profile):
        row = await cf.set_custom(session, ctx, "profile", profile.id, namespace, handle, body.type, body.value)
        await cmd.changed(session, ctx, profile)
        return render.data(render_custom(row))


@router.delete(f"{P}/attributes/custom/{{key}}", status_code=204)
async def delete_custom(profile_id: str, key: str, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        await session.delete(await _custom(session, ctx, profile, key))
        await cmd.changed(session, ctx, profile)
    return render.no_content()


@router.get(f"{P}/attributes/dates")
async def list_dates(profile_id: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    async with database(request).read() as session:
        profile = await _find(session, ctx, request, profile_id)
    return render.data([render_date(d) for d in profile.dates])


@router.put(f"{P}/attributes/dates")
async def upsert_date(profile_id: str, body: s.DateIn, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        item = cmd.upsert_date(ctx, profile, body)
        await cmd.changed(session, ctx, profile)
        return render.data(render_date(item))


@router.delete(f"{P}/attributes/dates/{{date_id}}")
async def delete_date(profile_id: str, date_id: str, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        item = next((d for d in profile.dates if str(d.id) == date_id), None)
        if item is None:
            raise NotFound("Date")
        profile.dates.remove(item)
        await cmd.changed(session, ctx, profile)
        return render.data([render_date(d) for d in profile.dates])


# --- regions, statuses, tags ------------------------------------------------------------------


def _region_link(profile: t.Profile, link_id: str) -> t.ProfileRegion:
    found = next((r for r in profile.regions if str(r.id) == link_id), None)
    if found is None:
        raise NotFound("Profile region")
    return found


@router.get(f"{P}/regions")
async def list_regions(profile_id: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    async with database(request).read() as session:
        profile = await _find(session, ctx, request, profile_id)
    return render.data([render_region(r) for r in profile.regions])


@router.post(f"{P}/regions", status_code=201)
async def create_region(
    profile_id: str, body: s.ProfileRegionIn, request: Request, ctx: Ctx = Depends(UPDATE)
) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        await cmd.add_region(session, ctx, profile, body)
        await cmd.changed(session, ctx, profile)
        return render.data([render_region(r) for r in profile.regions], status_code=201)


@router.put(f"{P}/regions/{{link_id}}")
async def update_region(
    profile_id: str, link_id: str, body: s.ProfileRegionUpdate, request: Request, ctx: Ctx = Depends(UPDATE)
) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        await cmd.update_region(session, ctx, _region_link(profile, link_id), body)
        await cmd.changed(session, ctx, profile)
        return render.data([render_region(r) for r in profile.regions])


@router.delete(f"{P}/regions/{{link_id}}", status_code=204)
async def delete_region(profile_id: str, link_id: str, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        profile.regions.remove(_region_link(profile, link_id))
        await cmd.changed(session, ctx, profile)
    return render.no_content()


@router.get(f"{P}/statuses")
async def list_statuses(profile_id: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    async with database(request).read() as session:
        profile = await _find(session, ctx, request, profile_id)
    return render.data([render_status(link) for link in live_statuses(profile)])


@router.post(f"{P}/statuses")
async def add_statuses(profile_id: str, body: s.HandlesIn, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        await cmd.add_statuses(session, ctx, profile, body.statuses or [])
        await cmd.changed(session, ctx, profile)
        return render.data([render_status(link) for link in live_statuses(profile)])


@router.delete(f"{P}/statuses/{{handle}}", status_code=204)
async def remove_status(profile_id: str, handle: str, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        link = next((x for x in profile.statuses if x.status.handle == handle), None)
        if link is None:
            raise NotFound("Status")
        profile.statuses.remove(link)
        await cmd.changed(session, ctx, profile)
    return render.no_content()


@router.get(f"{P}/tags")
async def list_tags(profile_id: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    async with database(request).read() as session:
        profile = await _find(session, ctx, request, profile_id)
    return render.data([render_columns(tag) for tag in profile.tags])


@router.post(f"{P}/tags")
async def add_tags(profile_id: str, body: s.HandlesIn, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        await cmd.add_tags(session, ctx, profile, body.tags or [])
        await cmd.changed(session, ctx, profile)
        return render.data([render_columns(tag) for tag in profile.tags])


@router.delete(f"{P}/tags/{{handle}}", status_code=204)
async def remove_tag(profile_id: str, handle: str, request: Request, ctx: Ctx = Depends(UPDATE)) -> Response:
    async with _writing(request, ctx, profile_id) as (session, profile):
        tag = next((x for x in profile.tags if x.handle == handle), None)
        if tag is None:
            raise NotFound("Tag")
        profile.tags.remove(tag)
        await cmd.changed(session, ctx, profile)
    return render.no_content()


# --- global identities -----------------------------------------------------------------------

identities = routing.router(prefix="/identities", tags=["identities"])


@identities.get("")
async def list_all_identities(request: Request, ctx: Ctx = Depends(requires("read-identities"))) -> Response:
    query = list_query(request, ctx)
    stmt = cmd.identities_query(ctx, query)
    async with database(request).read() as session:
        result = await paginate(session, stmt, query)
    return render.page(request, result, [render_identity(i) for i in result.rows])


@identities.get("/search-profile/{identifier}")
async def search_profile(identifier: str, request: Request, ctx: Ctx = Depends(requires("read-profiles"))) -> Response:
    db = database(request)
    async with db.read() as session:
        profiles = await cmd.profiles_with_identifier(session, ctx, identifier, request.query_params.get("handle"))
    return render.data(await _as_read(db, ctx, [p.id for p in profiles]))


@identities.get("/search")
async def search_identity(request: Request, ctx: Ctx = Depends(requires("read-profiles"))) -> Response:
    identifier = request.query_params.get("identifier")
    if not identifier:
        raise Invalid.field("identifier", "The identifier field is required.")
    db = database(request)
    async with db.read() as session:
        profiles = await cmd.profiles_with_identifier(session, ctx, identifier, request.query_params.get("handle"))
    return render.data(await _as_read(db, ctx, [p.id for p in profiles]))
