"""Tier points, a profile's tier, and achievements."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import Depends, Request
from starlette.responses import Response

from omneo_server.api import render, routing
from omneo_server.api.deps import database, requires
from omneo_server.api.resources import list_query
from omneo_server.api.routes.profiles import _find as find_profile
from omneo_server.domain.context import Ctx
from omneo_server.domain.incentives import achievements as ach
from omneo_server.domain.incentives import tiers
from omneo_server.domain.inputs import Body

router = routing.router()


def _given(body: Body) -> dict[str, Any]:
    """The fields the client sent (an update touches only those)."""
    return body.model_dump(exclude_unset=True)


READ_TIERS, UPDATE_TIERS = requires("read-tiers"), requires("update-tiers")
READ_POINTS, CREATE_POINTS, UPDATE_POINTS, DELETE_POINTS = (
    requires(f"{verb}-tier-points") for verb in ("read", "create", "update", "delete")
)
READ_ACHIEVEMENTS, CREATE_ACHIEVEMENTS = requires("read-achievements"), requires("create-achievements")

PROFILE_TAGS: list[str | Enum] = ["profile tiers"]
POINT_TAGS: list[str | Enum] = ["tier points"]
ACHIEVEMENT_TAGS: list[str | Enum] = ["profile achievements"]
TIERS = "/profiles/{profile_id}/tiers"
ACHIEVEMENTS = "/profiles/{profile_id}/achievements"


# --- /profiles/{id}/tiers --------------------------------------------------------------------------


@router.get(TIERS, tags=PROFILE_TAGS)
async def get_profile_tier(profile_id: str, request: Request, ctx: Ctx = Depends(READ_TIERS)) -> Response:
    """TierProgress. Due anniversaries (and a first placement on the floor) are applied on the way."""
    db = database(request)
    async with db.read() as session:
        profile = await find_profile(session, ctx, request, profile_id)
        if not await tiers.needs_calculation(session, ctx, profile.id):
            return render.data(await tiers.progress(session, ctx, profile.id))
    async with db.write() as session:
        await tiers.calculate(session, ctx, profile.id)
        return render.data(await tiers.progress(session, ctx, profile.id))


@router.get(f"{TIERS}/calculate", tags=PROFILE_TAGS)
async def calculate_profile_tier(profile_id: str, request: Request, ctx: Ctx = Depends(READ_TIERS)) -> Response:
    async with database(request).write() as session:
        profile = await find_profile(session, ctx, request, profile_id)
        await tiers.calculate(session, ctx, profile.id)
        return render.data(await tiers.progress(session, ctx, profile.id))


@router.post(f"{TIERS}/assign", tags=PROFILE_TAGS)
async def assign_profile_tier(
    profile_id: str, body: tiers.AssignIn, request: Request, ctx: Ctx = Depends(UPDATE_TIERS)
) -> Response:
    async with database(request).write() as session:
        profile = await find_profile(session, ctx, request, profile_id)
        await tiers.assign(session, ctx, profile.id, body.tier)
        return render.data(await tiers.progress(session, ctx, profile.id))


@router.get(f"{TIERS}/points", tags=PROFILE_TAGS)
async def list_profile_tier_points(profile_id: str, request: Request, ctx: Ctx = Depends(READ_TIERS)) -> Response:
    query = list_query(request, ctx)
    async with database(request).read() as session:
        profile = await find_profile(session, ctx, request, profile_id)
        result = await tiers.list_points(session, ctx, query, profile.id)
    return render.page(request, result, [tiers.render_point(row) for row in result.rows])


@router.get(f"{TIERS}/points/by-source", tags=PROFILE_TAGS)
async def profile_tier_points_by_source(profile_id: str, request: Request, ctx: Ctx = Depends(READ_TIERS)) -> Response:
    async with database(request).read() as session:
        profile = await find_profile(session, ctx, request, profile_id)
        return render.data(await tiers.points_by_source(session, ctx, profile.id))


# --- /tiers/points -------------------------------------------------------------------------------


@router.get("/tiers/points", tags=POINT_TAGS)
async def list_tier_points(request: Request, ctx: Ctx = Depends(READ_POINTS)) -> Response:
    query = list_query(request, ctx)
    async with database(request).read() as session:
        result = await tiers.list_points(session, ctx, query)
    return render.page(request, result, [tiers.render_point(row) for row in result.rows])


@router.post("/tiers/points", tags=POINT_TAGS, status_code=201)
async def create_tier_point(body: tiers.TierPointIn, request: Request, ctx: Ctx = Depends(CREATE_POINTS)) -> Response:
    async with database(request).write() as session:
        row = await tiers.create_point(session, ctx, body.model_dump())
        return render.data(tiers.render_point(row), status_code=201)


@router.get("/tiers/points/{key}", tags=POINT_TAGS)
async def get_tier_point(key: str, request: Request, ctx: Ctx = Depends(READ_POINTS)) -> Response:
    async with database(request).read() as session:
        return render.data(tiers.render_point(await tiers.get_point(session, ctx, key)))


@router.put("/tiers/points/{key}", tags=POINT_TAGS)
async def update_tier_point(
    key: str,
    body: tiers.TierPointUpdate,  # type: ignore[valid-type]
    request: Request,
    ctx: Ctx = Depends(UPDATE_POINTS),
) -> Response:
    async with database(request).write() as session:
        row = await tiers.update_point(session, ctx, key, _given(body))
        return render.data(tiers.render_point(row))


@router.delete("/tiers/points/{key}", tags=POINT_TAGS, status_code=204)
async def delete_tier_point(key: str, request: Request, ctx: Ctx = Depends(DELETE_POINTS)) -> Response:
    async with database(request).write() as session:
        await tiers.delete_point(session, ctx, key)
    return render.no_content()


# --- /profiles/{id}/achievements -----------------------------------------------------------------


@router.get(ACHIEVEMENTS, tags=ACHIEVEMENT_TAGS)
async def list_profile_achievements(
    profile_id: str, request: Request, ctx: Ctx = Depends(READ_ACHIEVEMENTS)
) -> Response:
    async with database(request).read() as session:
        profile = await find_profile(session, ctx, request, profile_id)
        return render.data(await ach.list_for(session, ctx, profile.id))


@router.post(ACHIEVEMENTS, tags=ACHIEVEMENT_TAGS, status_code=201)
async def add_profile_achievement(
    profile_id: str, body: ach.AchievementIn, request: Request, ctx: Ctx = Depends(CREATE_ACHIEVEMENTS)
) -> Response:
    async with database(request).write() as session:
        profile = await find_profile(session, ctx, request, profile_id)
        row = await ach.add(
            session,
            ctx,
            profile.id,
            await ach.definition_id(session, ctx, body),
            body.count,
            issued_at=body.issued_at,
            expires_at=body.expires_at,
            meta=body.meta,
        )
        return render.data(ach.render(row), status_code=201)


@router.get(f"{ACHIEVEMENTS}/{{definition_id}}/achievement-points", tags=ACHIEVEMENT_TAGS)
async def list_profile_achievement_points(
    profile_id: str, definition_id: str, request: Request, ctx: Ctx = Depends(READ_ACHIEVEMENTS)
) -> Response:
    query = list_query(request, ctx)
    async with database(request).read() as session:
        profile = await find_profile(session, ctx, request, profile_id)
        result = await ach.points_of(session, ctx, profile.id, definition_id, query)
    return render.page(request, result, [ach.render_point(row) for row in result.rows])
