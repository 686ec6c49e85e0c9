"""Achievements: a profile's count on each achievement definition and the levels it reaches.

- A count (``POST /profiles/{id}/achievements``) writes an :class:`AchievementPoint` and refreshes
  the cached :class:`ProfileAchievement` count: the sum of the points not yet expired.
- Levels are thresholds on that count. The **last** level (by trigger) may repeat: with
  ``repeats`` and ``repeat_interval`` N it is reached again at ``trigger + k·N`` (k = 1, 2, …), each
  repetition a computed level numbered ``display_number + k``. (An earlier level cannot repeat: its
  repetitions would collide with the next level; its ``repeats`` is ignored.)
- ``level`` is the highest (computed) display number ever reached and is never lowered: counts that
  fall (negative counts, expiry) do not take a level away, and reaching a threshold again after a
  fall is not a new level-up.
- Each level reached records ``achievement.level_up`` and issues the level's ``meta.unlocks``
  benefit definitions; a repetition issues them again only when its level has
  ``allow_multiple_earn``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.domain import events
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import render_columns
from omneo_server.domain.errors import DomainError, Invalid, NotFound
from omneo_server.domain.incentives.tiers import lock_profile
from omneo_server.domain.inputs import Body, Handle, Timestamp
from omneo_server.domain.profiles import commands as profiles
from omneo_server.domain.query import INT_MAX, INT_MIN, ListQuery, Page, paginate

#: A single count may not cross more levels than this (each one issues its unlocks).
MAX_LEVEL_UPS = 100


@dataclass(frozen=True)
class Step:
    """One threshold: a level, or the ``repeat``-th repetition of the last level."""

    level: dict[str, Any]
    trigger: int
    number: int
    repeat: int

    def render(self, definition_id: int) -> dict[str, Any]:
        return {
            **self.level,
            "achievement_definition_id": definition_id,
            "computed_display_number": self.number,
            "computed_trigger": self.trigger,
        }


def _levels(definition: t.AchievementDefinition) -> list[dict[str, Any]]:
    levels = [level for level in definition.levels or [] if isinstance(level, dict)]
    return sorted(levels, key=lambda level: (int(level.get("trigger") or 0), int(level.get("display_number") or 0)))


def steps(definition: t.AchievementDefinition) -> Iterator[Step]:
    """Every threshold in trigger order (endless when the last level repeats)."""
    levels = _levels(definition)
    for index, level in enumerate(levels):
        trigger, number = int(level.get("trigger") or 0), int(level.get("display_number") or 0)
        yield Step(level, trigger, number, 0)
        interval = int(level.get("repeat_interval") or 0)
        if index == len(levels) - 1 and level.get("repeats") and interval > 0:
            k = 1
            while True:
                yield Step(level, trigger + k * interval, number + k, k)
                k += 1


def current_and_next(definition: t.AchievementDefinition, reached: int) -> tuple[Step | None, Step | None]:
    """The step numbered ``reached`` (the profile's level) and the first one above it."""
    current = None
    for step in steps(definition):
        if step.number > reached:
            return current, step
        if step.number == reached:
            current = step
    return current, None


def _newly_reached(
    definition: t.AchievementDefinition, reached: int, count: int, limit: int | None = MAX_LEVEL_UPS
) -> list[Step]:
    out: list[Step] = []
    for step in steps(definition):
        if step.trigger > count:
            break
        if step.number > reached:
            out.append(step)
            if limit is not None and len(out) > limit:
                raise Invalid.field("count", f"A count may reach at most {MAX_LEVEL_UPS} levels at once.")
    return out


def render_definition(definition: t.AchievementDefinition) -> dict[str, Any]:
    """As ``/achievements/definitions`` renders it (``region`` is not looked up here)."""
    out = {**render_columns(definition), "region": None}
    out["levels"] = [
        Step(level, int(level.get("trigger") or 0), int(level.get("display_number") or 0), 0).render(definition.id)
        for level in _levels(definition)
    ]
    return out


def render(row: t.ProfileAchievement, count: int | None = None) -> dict[str, Any]:
    """A profile's achievement: its definition, count, level and the level to reach next."""
    count = row.count if count is None else count
    current, upcoming = current_and_next(row.definition, row.level)
    return {
        "id": row.id,
        "profile_id": row.profile_id,
        "achievement_definition_id": row.achievement_definition_id,
        "definition_id": row.achievement_definition_id,
        "definition": render_definition(row.definition),
        "count": count,
        "level": row.level,
        "current_level": current.render(row.achievement_definition_id) if current else None,
        "next_level": upcoming.render(row.achievement_definition_id) if upcoming else None,
        "next_remain": max(0, upcoming.trigger - count) if upcoming else 0,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def render_point(row: t.AchievementPoint) -> dict[str, Any]:
    return render_columns(row)


# --- queries -------------------------------------------------------------------------------------


def _unexpired(now: datetime) -> Any:
    return or_(t.AchievementPoint.expires_at.is_(None), t.AchievementPoint.expires_at > now)


async def _counts(session: AsyncSession, ctx: Ctx, profile_id: str, definition_id: int | None = None) -> dict[int, int]:
    """Live counts (unexpired points) per definition."""
    stmt = (
        select(t.AchievementPoint.achievement_definition_id, func.coalesce(func.sum(t.AchievementPoint.count), 0))
        .where(
            t.AchievementPoint.tenant_id == ctx.tenant_id,
            t.AchievementPoint.profile_id == profile_id,
            _unexpired(clock.now()),
        )
        .group_by(t.AchievementPoint.achievement_definition_id)
    )
    if definition_id is not None:
        stmt = stmt.where(t.AchievementPoint.achievement_definition_id == definition_id)
    return {key: int(total) for key, total in (await session.execute(stmt)).all()}


async def list_for(session: AsyncSession, ctx: Ctx, profile_id: str) -> list[dict[str, Any]]:
    """The profile's achievements (those it has counted on), by definition id."""
    stmt = (
        select(t.ProfileAchievement)
        .where(t.ProfileAchievement.tenant_id == ctx.tenant_id, t.ProfileAchievement.profile_id == profile_id)
        .order_by(t.ProfileAchievement.achievement_definition_id)
    )
    rows = list((await session.execute(stmt)).scalars())
    counts = await _counts(session, ctx, profile_id)
    return [render(row, counts.get(row.achievement_definition_id, 0)) for row in rows]


async def definition_id(session: AsyncSession, ctx: Ctx, body: AchievementIn) -> int:
    """The definition a count names, by id or handle (422 on ``definition_id`` when neither fits)."""
    if body.definition_id is not None:
        return body.definition_id
    if body.definition_handle is None:
        raise Invalid.field("definition_id", "The definition id field is required when definition handle is absent.")
    stmt = select(t.AchievementDefinition.id).where(
        t.AchievementDefinition.tenant_id == ctx.tenant_id, t.AchievementDefinition.handle == body.definition_handle
    )
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise Invalid.field("definition_handle", "The selected definition handle is invalid.")
    return int(found)


async def _definition(session: AsyncSession, ctx: Ctx, key: Any) -> t.AchievementDefinition | None:
    try:
        definition_id = int(key)
    except (TypeError, ValueError):
        return None
    if not INT_MIN <= definition_id <= INT_MAX:
        return None
    stmt = select(t.AchievementDefinition).where(
        t.AchievementDefinition.tenant_id == ctx.tenant_id, t.AchievementDefinition.id == definition_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def points_of(session: AsyncSession, ctx: Ctx, profile_id: str, definition_key: str, query: ListQuery) -> Page:
    """The profile's achievement points on one definition, oldest first (404 for an unknown definition)."""
    definition = await _definition(session, ctx, definition_key)
    if definition is None:
        raise NotFound("Achievement definition")
    stmt = (
        select(t.AchievementPoint)
        .where(
            t.AchievementPoint.tenant_id == ctx.tenant_id,
            t.AchievementPoint.profile_id == profile_id,
            t.AchievementPoint.achievement_definition_id == definition.id,
        )
        .order_by(t.AchievementPoint.issued_at, t.AchievementPoint.id)
    )
    return await paginate(session, stmt, query)


# --- the command ---------------------------------------------------------------------------------


def _check_running(definition: t.AchievementDefinition, now: datetime) -> None:
    if not definition.is_published or definition.is_archived:
        raise Invalid.field("definition_id", "The achievement is not published.")
    if definition.starts_at is not None and now < definition.starts_at:
        raise Invalid.field("definition_id", "The achievement has not started.")
    if definition.ends_at is not None and now > definition.ends_at:
        raise Invalid.field("definition_id", "The achievement has ended.")


async def _locked_row(
    session: AsyncSession, ctx: Ctx, profile_id: str, definition: t.AchievementDefinition
) -> t.ProfileAchievement:
    stmt = (
        select(t.ProfileAchievement)
        .where(
            t.ProfileAchievement.tenant_id == ctx.tenant_id,
            t.ProfileAchievement.profile_id == profile_id,
            t.ProfileAchievement.achievement_definition_id == definition.id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is not None:
        return row
    row = t.ProfileAchievement(
        tenant_id=ctx.tenant_id, profile_id=profile_id, achievement_definition_id=definition.id, count=0, level=0
    )
    row.definition = definition
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:  # a concurrent first count created it
        existing = (await session.execute(stmt)).scalar_one_or_none()
        if existing is None:  # pragma: no cover - the clash was not ours
            raise
        return existing
    return row


async def _unlock(
    session: AsyncSession, ctx: Ctx, row: t.ProfileAchievement, step: Step
) -> tuple[list[int], list[dict[str, Any]]]:
    """Issue the step's ``meta.unlocks`` benefit definitions. An unlock naming no benefit definition
    of the tenant, or one that cannot be issued (unpublished, ended), is skipped and reported."""
    from omneo_server.domain.incentives import benefits

    meta = step.level.get("meta")
    unlocks = meta.get("unlocks") if isinstance(meta, dict) else None
    issued: list[int] = []
    skipped: list[dict[str, Any]] = []
    for unlock in unlocks if isinstance(unlocks, list) else []:
        if not isinstance(unlock, dict) or unlock.get("type", "benefit_definition") != "benefit_definition":
            skipped.append({"unlock": unlock, "reason": "Only benefit definitions can be unlocked."})
            continue
        key = unlock.get("id")
        column = t.BenefitDefinition.handle if unlock.get("id_type") == "handle" else t.BenefitDefinition.id
        if column is t.BenefitDefinition.id and not (isinstance(key, int) and INT_MIN <= key <= INT_MAX):
            skipped.append({"unlock": unlock, "reason": "Unknown benefit definition."})
            continue
        stmt = select(t.BenefitDefinition).where(t.BenefitDefinition.tenant_id == ctx.tenant_id, column == key)
        definition = (await session.execute(stmt)).scalar_one_or_none()
        if definition is None:
            skipped.append({"unlock": unlock, "reason": "Unknown benefit definition."})
            continue
        try:
            async with session.begin_nested():
                benefit = await benefits.issue(
                    session, ctx, row.profile_id, definition, source_type="achievement", source_id=row.id
                )
        except DomainError as error:
            skipped.append({"unlock": unlock, "reason": error.message})
            continue
        issued.append(benefit.id)
    return issued, skipped


def _about(row: t.ProfileAchievement) -> dict[str, Any]:
    return {
        "profile_id": row.profile_id,
        "definition_id": row.achievement_definition_id,
        "handle": row.definition.handle,
    }


async def _level_up(session: AsyncSession, ctx: Ctx, row: t.ProfileAchievement, reached: list[Step]) -> None:
    """Raise the level through ``reached`` (in order): an event and the unlocks for each."""
    for step in reached:
        row.level = step.number
        issued: list[int] = []
        skipped: list[dict[str, Any]] = []
        if step.repeat == 0 or step.level.get("allow_multiple_earn"):
            issued, skipped = await _unlock(session, ctx, row, step)
        payload = {
            **_about(row),
            "count": row.count,
            "level": step.render(row.achievement_definition_id),
            "benefits": issued,
        }
        if skipped:
            payload["skipped_unlocks"] = skipped
        await events.record(session, ctx, "achievement.level_up", row.profile_id, payload)
    await session.flush()


async def add(
    session: AsyncSession,
    ctx: Ctx,
    profile_id: str,
    definition_id: int,
    count: int,
    *,
    issued_at: datetime | None = None,
    expires_at: datetime | None = None,
    meta: Any = None,
) -> t.ProfileAchievement:
    """Count ``count`` toward an achievement: level up (and unlock) for every threshold newly reached."""
    now = clock.now()
    definition = await _definition(session, ctx, definition_id)
    if definition is None:
        raise Invalid.field("definition_id", "The selected definition id is invalid.")
    _check_running(definition, now)
    if count == 0:
        raise Invalid.field("count", "The count may not be zero.")
    issued_at = issued_at or now
    if expires_at is not None and expires_at <= issued_at:
        raise Invalid.field("expires_at", "The expires at must be a date after issued at.")
    await lock_profile(session, ctx, profile_id)
    row = await _locked_row(session, ctx, profile_id, definition)
    live = (await _counts(session, ctx, profile_id, definition.id)).get(definition.id, 0)
    counted = count if expires_at is None or expires_at > now else 0
    if live + counted < 0:
        raise Invalid.field("count", "The count would take the achievement below zero.")
    reached = _newly_reached(definition, row.level, live + counted)

    point = t.AchievementPoint(
        tenant_id=ctx.tenant_id,
        profile_id=profile_id,
        achievement_definition_id=definition.id,
        count=count,
        issued_at=issued_at,
        expires_at=expires_at,
        meta=meta,
    )
    session.add(point)
    row.count = live + counted
    await session.flush()
    await events.record(
        session,
        ctx,
        "achievement.progressed",
        profile_id,
        {
            **_about(row),
            "added": count,
            "count": row.count,
            "level": reached[-1].number if reached else row.level,
            "point": render_point(point),
        },
    )
    await _level_up(session, ctx, row, reached)
    await session.flush()
    return row


# --- merges --------------------------------------------------------------------------------------


async def move_to(session: AsyncSession, ctx: Ctx, loser: str, winner: str) -> None:
    """A merged-away profile's achievement points go to the winner; per definition the counts are
    recomputed and the winner keeps the higher level, then levels up (with unlocks) through what the
    combined count newly reaches."""
    points = select(t.AchievementPoint).where(
        t.AchievementPoint.tenant_id == ctx.tenant_id, t.AchievementPoint.profile_id == loser
    )
    for point in (await session.execute(points)).scalars():
        point.profile_id = winner
    rows = select(t.ProfileAchievement).where(
        t.ProfileAchievement.tenant_id == ctx.tenant_id, t.ProfileAchievement.profile_id.in_((loser, winner))
    )
    by_definition: dict[int, list[t.ProfileAchievement]] = {}
    for row in (await session.execute(rows.with_for_update())).scalars():
        by_definition.setdefault(row.achievement_definition_id, []).append(row)
    await session.flush()
    counts = await _counts(session, ctx, winner)
    for definition_id, pair in by_definition.items():
        keep = next((row for row in pair if row.profile_id == winner), pair[0])
        keep.level = max(row.level for row in pair)
        keep.count = counts.get(definition_id, 0)
        keep.profile_id = winner
        for row in pair:
            if row is not keep:
                await session.delete(row)
        await session.flush()
        await _level_up(session, ctx, keep, _newly_reached(keep.definition, keep.level, keep.count, limit=None))


profiles.MERGE_HOOKS.append(move_to)


class AchievementIn(Body):
    #: One of the two names the definition.
    definition_id: int | None = None
    definition_handle: Handle | None = None
    #: One more, when not sent (as the reaction action adds).
    count: int = 1
    issued_at: Timestamp | None = None
    expires_at: Timestamp | None = None
    meta: Any = None
