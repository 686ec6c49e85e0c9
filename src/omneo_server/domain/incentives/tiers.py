"""Tiers: tier points, the rolling 12-month window, attain, anniversary maintenance, manual
assignment, and the TierProgress a profile reads. The one home of the tier rules.

- The **window** at a moment ``at`` holds the tier points issued in ``(at - 12 months, at]`` that
  have accrued by ``at``; its total is never below zero.
- **Attain** (rolling) only moves up: the highest published, non-archived tier whose ``value_min``
  the window reaches, when it is above the current one.
- **Maintain** (anniversary): at each anniversary ``A`` the cycle's points (the window at ``A``)
  plus the carried credit must reach ``value_maintain`` (``value_min`` when null) to keep the tier;
  otherwise the highest lower tier that total qualifies for is given (the floor at worst).
- The **credit** is the cycle's points above the tier's ``value_min`` (none with ``disable_credit``)
  and counts toward the next anniversary only.

Every change of tier records ``tier.changed``; a tier reached by attaining or by assignment also
records ``tier.achieved``.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field as PydanticField
from pydantic import StringConstraints
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.db.prepared import Insert, Prepared, adopt
from omneo_server.domain import events, reference
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import render_columns
from omneo_server.domain.errors import Invalid, NotFound
from omneo_server.domain.incentives.periods import add_months
from omneo_server.domain.inputs import Body, Timestamp, partial
from omneo_server.domain.profiles import commands as profiles
from omneo_server.domain.query import INT_MAX, INT_MIN, Field, ListQuery, Page, apply, paginate
from omneo_server.wire import money

ZERO = Decimal("0")
CYCLE_MONTHS = 12


# --- definitions and the window ------------------------------------------------------------------


def render_definition(tier: t.TierDefinition) -> dict[str, Any]:
    """As ``/tiers/definitions`` renders it (``region`` is not looked up here)."""
    return {**render_columns(tier), "region": None}


def _rank(tier: t.TierDefinition) -> tuple[Decimal, int]:
    """Tiers are ordered by ``value_min`` (ties by id)."""
    return (tier.value_min, tier.id)


async def active_tiers(session: AsyncSession, ctx: Ctx) -> list[t.TierDefinition]:
    """The tenant's tier programme: published, non-archived tiers, lowest first."""
    tiers = await reference.rows(session, ctx, t.TierDefinition, lambda d: d.is_published and not d.is_archived)
    return sorted(tiers, key=_rank)


def _floor(tiers: list[t.TierDefinition]) -> t.TierDefinition | None:
    return next((tier for tier in tiers if tier.is_floor), None)


def _qualifying(tiers: list[t.TierDefinition], total: Decimal) -> t.TierDefinition | None:
    """The highest tier ``total`` reaches (the floor always qualifies)."""
    best = None
    for tier in tiers:
        if tier.is_floor or tier.value_min <= total:
            best = tier
    return best


def _credit(tier: t.TierDefinition, cycle_points: Decimal) -> Decimal:
    return ZERO if tier.disable_credit else max(ZERO, cycle_points - tier.value_min)


def _maintain_threshold(tier: t.TierDefinition) -> Decimal:
    return tier.value_maintain if tier.value_maintain is not None else tier.value_min


def _window_filter(ctx: Ctx, profile_id: str, at: datetime, since: datetime | None = None) -> list[Any]:
    start = since if since is not None else add_months(at, -CYCLE_MONTHS)
    return [
        t.TierPoint.tenant_id == ctx.tenant_id,
        t.TierPoint.profile_id == profile_id,
        t.TierPoint.issued_at > start,
        t.TierPoint.issued_at <= at,
        t.TierPoint.accrued_at <= at,
    ]


_WINDOW_TOTAL = Prepared(
    select(func.coalesce(func.sum(t.TierPoint.value), 0)).where(
        t.TierPoint.tenant_id == bindparam("tenant"),
        t.TierPoint.profile_id == bindparam("profile"),
        t.TierPoint.issued_at > bindparam("start"),
        t.TierPoint.issued_at <= bindparam("at"),
        t.TierPoint.accrued_at <= bindparam("at"),
    )
)


async def window_total(
    session: AsyncSession, ctx: Ctx, profile_id: str, at: datetime, *, since: datetime | None = None
) -> Decimal:
    """Σ tier points issued in ``(since, at]`` (``since`` defaults to 12 months before ``at``) and
    accrued by ``at``; never below zero."""
    start = since if since is not None else add_months(at, -CYCLE_MONTHS)
    found = await _WINDOW_TOTAL.one(session, tenant=ctx.tenant_id, profile=profile_id, start=start, at=at)
    total = Decimal(found[0] if found is not None else 0)
    return max(ZERO, money(total) or ZERO)


# --- the profile's tier row ----------------------------------------------------------------------


async def lock_profile(session: AsyncSession, ctx: Ctx, profile_id: str) -> None:
    """Row-lock the profile first, as every command moving a profile's incentives does (one lock
    order, so they queue rather than deadlock); a no-op on SQLite, whose single writer serialises."""
    from omneo_server.domain.incentives import ledger

    with suppress(NotFound):  # a profile that is gone has nothing to lock
        await ledger.lock_profile(session, ctx, profile_id, live=False)


def _tier_row(lock: bool) -> Prepared:
    stmt = select(t.ProfileTier).where(
        t.ProfileTier.tenant_id == bindparam("tenant"), t.ProfileTier.profile_id == bindparam("profile")
    )
    return Prepared(stmt.with_for_update() if lock else stmt)


_ROW = {lock: _tier_row(lock) for lock in (False, True)}


async def _row(session: AsyncSession, ctx: Ctx, profile_id: str, *, lock: bool) -> t.ProfileTier | None:
    """The profile's tier row (locked, second in the lock order, when ``lock``), with its definition."""
    found = await _ROW[lock].one(session, tenant=ctx.tenant_id, profile=profile_id)
    if found is None:
        return None
    tier_definition_id = found[_ROW[lock].columns().index("tier_definition_id")]
    (definition,) = await reference.rows(session, ctx, t.TierDefinition, lambda d: d.id == tier_definition_id)
    return adopt(session, t.ProfileTier, found, definition=definition)


async def _changed(
    session: AsyncSession,
    ctx: Ctx,
    profile_id: str,
    before: t.TierDefinition | None,
    after: t.TierDefinition | None,
    reason: str,
    at: datetime,
) -> None:
    payload = {
        "profile_id": profile_id,
        "from": before.handle if before else None,
        "to": after.handle if after else None,
        "reason": reason,
        "at": at,
        "definition": render_definition(after) if after else None,
    }
    await events.record(session, ctx, "tier.changed", profile_id, payload)
    if after is not None and reason in ("attain", "assign"):
        await events.record(session, ctx, "tier.achieved", profile_id, payload)


def _place(
    row: t.ProfileTier,
    tier: t.TierDefinition,
    at: datetime,
    *,
    credit: Decimal = ZERO,
    assigned: bool = False,
) -> None:
    """Put the profile on ``tier`` from ``at``: a new cycle (none on the floor: nothing to maintain)."""
    row.definition = tier
    row.tier_definition_id = tier.id
    row.achieved_at = at
    row.anniversary_at = None if tier.is_floor else add_months(at, CYCLE_MONTHS)
    row.maintained_at = None
    row.assigned_at = at if assigned else None
    row.credit = credit


async def _new_row(
    session: AsyncSession, ctx: Ctx, profile_id: str, tier: t.TierDefinition, at: datetime, **place: Any
) -> tuple[t.ProfileTier, bool]:
    """Create the profile's tier row on ``tier``. A concurrent creator may win the unique index: we
    then lock and answer its row. Returns ``(row, created)``."""
    row = t.ProfileTier(tenant_id=ctx.tenant_id, profile_id=profile_id)
    _place(row, tier, at, **place)
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = await _row(session, ctx, profile_id, lock=True)
        if existing is None:  # pragma: no cover - the clash was not ours
            raise
        return existing, False
    return row, True


async def _maintain_row(
    session: AsyncSession, ctx: Ctx, row: t.ProfileTier, tiers: list[t.TierDefinition], now: datetime
) -> t.ProfileTier | None:
    """Apply every anniversary up to ``now``, oldest first. Returns ``None`` when the profile has
    lost its tier and the programme has no floor to drop to."""
    while row.anniversary_at is not None and row.anniversary_at <= now:
        at = row.anniversary_at
        current = row.definition
        if current.is_floor:
            row.anniversary_at = None
            break
        cycle = await window_total(session, ctx, row.profile_id, at)
        total = cycle + row.credit
        if total >= _maintain_threshold(current):
            row.maintained_at = at
            row.anniversary_at = add_months(at, CYCLE_MONTHS)
            row.credit = _credit(current, cycle)
            continue
        lower = [tier for tier in tiers if _rank(tier) < _rank(current) and (tier.is_floor or tier.value_min <= total)]
        if not lower:
            await _changed(session, ctx, row.profile_id, current, None, "maintain", at)
            await session.delete(row)
            await session.flush()
            return None
        target = lower[-1]
        _place(row, target, at, credit=_credit(target, cycle))
        await _changed(session, ctx, row.profile_id, current, target, "maintain", at)
    await session.flush()
    return row


async def _evaluate(session: AsyncSession, ctx: Ctx, profile_id: str, now: datetime) -> t.ProfileTier | None:
    """Lock the profile's tier, apply due anniversaries, then move it up as far as the window
    allows; a profile without a tier is placed on what it qualifies for (the floor at least)."""
    await lock_profile(session, ctx, profile_id)
    tiers = await active_tiers(session, ctx)
    row = await _row(session, ctx, profile_id, lock=True)
    if row is not None:
        row = await _maintain_row(session, ctx, row, tiers, now)
    total = await window_total(session, ctx, profile_id, now)
    best = _qualifying(tiers, total)
    if best is None:
        return row
    if row is None:
        row, created = await _new_row(session, ctx, profile_id, best, now, credit=_credit(best, total))
        if created:
            await _changed(session, ctx, profile_id, None, best, "floor" if best.is_floor else "attain", now)
            await session.flush()
            return row
    if best.value_min > row.definition.value_min and not best.is_floor:
        before = row.definition
        _place(row, best, now, credit=_credit(best, total))
        await _changed(session, ctx, profile_id, before, best, "attain", now)
    await session.flush()
    return row


async def calculate(session: AsyncSession, ctx: Ctx, profile_id: str) -> t.ProfileTier | None:
    """Bring the profile's tier up to date: due anniversaries, then attain."""
    return await _evaluate(session, ctx, profile_id, clock.now())


async def maintain(session: AsyncSession, ctx: Ctx, profile_id: str, *, now: datetime | None = None) -> None:
    """Apply every anniversary of the profile's tier that is due (``anniversary_at ≤ now``), in order."""
    at = now or clock.now()
    await lock_profile(session, ctx, profile_id)
    row = await _row(session, ctx, profile_id, lock=True)
    if row is not None:
        await _maintain_row(session, ctx, row, await active_tiers(session, ctx), at)


async def maintain_due(session: AsyncSession, ctx: Ctx, now: datetime) -> int:
    """The scheduler's daily pass: maintain every live profile of the tenant whose anniversary is
    due. Returns how many profiles were assessed."""
    stmt = (
        select(t.ProfileTier.profile_id)
        .join(t.Profile, t.Profile.id == t.ProfileTier.profile_id)
        .where(
            t.ProfileTier.tenant_id == ctx.tenant_id,
            t.ProfileTier.anniversary_at <= now,
            t.Profile.deleted_at.is_(None),
        )
        .order_by(t.ProfileTier.profile_id)
    )
    due = list((await session.execute(stmt)).scalars())
    for profile_id in due:
        await maintain(session, ctx, profile_id, now=now)
    return len(due)


async def needs_calculation(session: AsyncSession, ctx: Ctx, profile_id: str) -> bool:
    """Would :func:`calculate` change anything now? (So reads take a write transaction only then.)"""
    now = clock.now()
    tiers = await active_tiers(session, ctx)
    row = await _row(session, ctx, profile_id, lock=False)
    if row is not None and row.anniversary_at is not None and row.anniversary_at <= now:
        return True
    best = _qualifying(tiers, await window_total(session, ctx, profile_id, now))
    if best is None:
        return False
    return row is None or (best.value_min > row.definition.value_min and not best.is_floor)


async def assign(session: AsyncSession, ctx: Ctx, profile_id: str, handle: str) -> t.ProfileTier:
    """Manual assignment of an assignable tier: a new cycle from now, no credit."""
    stmt = select(t.TierDefinition).where(
        t.TierDefinition.tenant_id == ctx.tenant_id, t.TierDefinition.handle == handle
    )
    tier = (await session.execute(stmt)).scalar_one_or_none()
    if tier is None or not tier.is_published or tier.is_archived:
        raise Invalid.field("tier", "The selected tier is invalid.")
    if not tier.is_assignable:
        raise Invalid.field("tier", "The selected tier cannot be assigned.")
    now = clock.now()
    await lock_profile(session, ctx, profile_id)
    row = await _row(session, ctx, profile_id, lock=True)
    if row is not None:
        row = await _maintain_row(session, ctx, row, await active_tiers(session, ctx), now)
    before = row.definition if row is not None else None
    if row is None:
        row, created = await _new_row(session, ctx, profile_id, tier, now, assigned=True)
        if not created:  # a concurrent command created it first
            before = row.definition
            _place(row, tier, now, assigned=True)
    else:
        _place(row, tier, now, assigned=True)
    await _changed(session, ctx, profile_id, before, tier, "assign", now)
    await session.flush()
    return row


# --- tier points ---------------------------------------------------------------------------------


def render_point(row: t.TierPoint) -> dict[str, Any]:
    out = render_columns(row)
    out["status"] = "pending" if row.accrued_at > clock.now() else "active"
    out["source"] = None
    return out


async def add_points(
    session: AsyncSession,
    ctx: Ctx,
    profile_id: str,
    definition: t.PointDefinition,
    value: Decimal,
    *,
    issued_at: datetime,
    accrued_at: datetime | None = None,
    rate_id: int | None = None,
    transaction_id: int | None = None,
    source_type: str | None = None,
    source_id: int | None = None,
    meta: Any = None,
) -> t.TierPoint:
    """Write a tier point (negative for returns), then bring the profile's tier up to date."""
    await lock_profile(session, ctx, profile_id)  # before the insert's key-share lock on it
    row: t.TierPoint = await _INSERT_POINT.adopt(
        session,
        dict(
            tenant_id=ctx.tenant_id,
            profile_id=profile_id,
            point_definition_id=definition.id,
            value=money(value),
            issued_at=issued_at,
            accrued_at=accrued_at or issued_at,
            rate_id=rate_id,
            transaction_id=transaction_id,
            source_type=source_type,
            source_id=source_id,
            meta=meta,
        ),
    )
    await events.record(session, ctx, "tier_point.created", row.id, render_point(row))
    await calculate(session, ctx, profile_id)
    return row


_INSERT_POINT = Insert(t.TierPoint)
POINT_FILTERS: dict[str, Field] = {
    "id": Field(t.TierPoint.id, int),
    "profile_id": Field(t.TierPoint.profile_id),
    "point_definition_id": Field(t.TierPoint.point_definition_id, int),
    "value": Field(t.TierPoint.value, Decimal),
    "issued_at": Field(t.TierPoint.issued_at, datetime),
    "accrued_at": Field(t.TierPoint.accrued_at, datetime),
    "source_type": Field(t.TierPoint.source_type),
    "source_id": Field(t.TierPoint.source_id, int),
    "transaction_id": Field(t.TierPoint.transaction_id, int),
    "rate_id": Field(t.TierPoint.rate_id, int),
    "created_at": Field(t.TierPoint.created_at, datetime),
    "updated_at": Field(t.TierPoint.updated_at, datetime),
}


async def list_points(session: AsyncSession, ctx: Ctx, query: ListQuery, profile_id: str | None = None) -> Page:
    stmt = select(t.TierPoint).where(t.TierPoint.tenant_id == ctx.tenant_id)
    if profile_id is not None:
        stmt = stmt.where(t.TierPoint.profile_id == profile_id)
    stmt = apply(stmt, query, POINT_FILTERS, POINT_FILTERS, default_sort=(t.TierPoint.id,))
    return await paginate(session, stmt, query)


async def get_point(session: AsyncSession, ctx: Ctx, key: str | int) -> t.TierPoint:
    try:
        point_id = int(key)
    except (TypeError, ValueError):
        raise NotFound("Tier point") from None
    if not INT_MIN <= point_id <= INT_MAX:
        raise NotFound("Tier point")
    stmt = select(t.TierPoint).where(t.TierPoint.tenant_id == ctx.tenant_id, t.TierPoint.id == point_id)
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        raise NotFound("Tier point")
    return row


async def tier_point_definition(
    session: AsyncSession, ctx: Ctx, definition_id: int | None, handle: str | None = None
) -> t.PointDefinition:
    """A point definition of the tenant, by id or handle, that is for tiers (422 on
    ``point_definition_id`` otherwise)."""
    if definition_id is None and handle is None:
        raise Invalid.field(
            "point_definition_id", "The point definition id field is required when point definition handle is absent."
        )
    named = t.PointDefinition.id == definition_id if definition_id is not None else t.PointDefinition.handle == handle
    stmt = select(t.PointDefinition).where(t.PointDefinition.tenant_id == ctx.tenant_id, named)
    definition = (await session.execute(stmt)).scalar_one_or_none()
    if definition is None:
        raise Invalid.field("point_definition_id", "The selected point definition id is invalid.")
    if definition.type != "tier":
        raise Invalid.field("point_definition_id", "The point definition must be a tier point definition.")
    return definition


async def live_profile_id(session: AsyncSession, ctx: Ctx, profile_id: str, field: str = "profile_id") -> str:
    """``profile_id`` when it names a live profile of the tenant (422 on ``field`` otherwise)."""
    stmt = select(t.Profile.id).where(
        t.Profile.tenant_id == ctx.tenant_id, t.Profile.id == profile_id, t.Profile.deleted_at.is_(None)
    )
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise Invalid.field(field, f"The selected {field.replace('_', ' ')} is invalid.")
    return found


def _accrual_order(issued_at: datetime, accrued_at: datetime) -> None:
    if accrued_at < issued_at:
        raise Invalid.field("accrued_at", "The accrued at must be a date after or equal to issued at.")


async def create_point(session: AsyncSession, ctx: Ctx, data: dict[str, Any]) -> t.TierPoint:
    """``POST /tiers/points``: ``{profile_id, point_definition_id, value, issued_at, accrued_at?, meta?}``."""
    profile_id = await live_profile_id(session, ctx, data["profile_id"])
    definition = await tier_point_definition(
        session, ctx, data.get("point_definition_id"), data.get("point_definition_handle")
    )
    accrued_at = data.get("accrued_at") or data["issued_at"]
    _accrual_order(data["issued_at"], accrued_at)
    return await add_points(
        session,
        ctx,
        profile_id,
        definition,
        data["value"],
        issued_at=data["issued_at"],
        accrued_at=accrued_at,
        source_type=data.get("source_type"),
        source_id=data.get("source_id"),
        meta=data.get("meta"),
    )


_NOT_NULL = ("point_definition_id", "value", "issued_at", "accrued_at", "profile_id")


async def update_point(session: AsyncSession, ctx: Ctx, key: str, data: dict[str, Any]) -> t.TierPoint:
    """Change a tier point's value, dates, definition or description; its profile stays."""
    row = await get_point(session, ctx, key)
    await lock_profile(session, ctx, row.profile_id)
    for name in _NOT_NULL:
        if name in data and data[name] is None:
            raise Invalid.field(name, f"The {name} field cannot be null.")
    if "profile_id" in data and data["profile_id"] != row.profile_id:
        raise Invalid.field("profile_id", "The profile of a tier point cannot be changed.")
    if "point_definition_id" in data:
        row.point_definition_id = (await tier_point_definition(session, ctx, data["point_definition_id"])).id
    _accrual_order(data.get("issued_at", row.issued_at), data.get("accrued_at", row.accrued_at))
    if "value" in data:
        row.value = money(data["value"]) or ZERO
    for name in ("issued_at", "accrued_at", "meta", "source_type", "source_id"):
        if name in data:
            setattr(row, name, data[name])
    await session.flush()
    await events.record(session, ctx, "tier_point.updated", row.id, render_point(row))
    await calculate(session, ctx, row.profile_id)
    return row


async def delete_point(session: AsyncSession, ctx: Ctx, key: str) -> None:
    row = await get_point(session, ctx, key)
    await lock_profile(session, ctx, row.profile_id)
    payload, profile_id = render_point(row), row.profile_id
    await session.delete(row)
    await session.flush()
    await events.record(session, ctx, "tier_point.deleted", payload["id"], payload)
    await calculate(session, ctx, profile_id)


async def points_by_source(session: AsyncSession, ctx: Ctx, profile_id: str) -> list[dict[str, Any]]:
    """The profile's tier points grouped by ``source_type``: all-time and 12-month totals."""
    now = clock.now()
    in_window = _window_filter(ctx, profile_id, now)[2:]
    window_value = func.sum(t.TierPoint.value).filter(*in_window)
    stmt = (
        select(
            t.TierPoint.source_type,
            func.count(),
            func.coalesce(func.sum(t.TierPoint.value), 0),
            func.coalesce(window_value, 0),
        )
        .where(t.TierPoint.tenant_id == ctx.tenant_id, t.TierPoint.profile_id == profile_id)
        .group_by(t.TierPoint.source_type)
        .order_by(t.TierPoint.source_type.asc().nulls_first())
    )
    return [
        {"source_type": source, "count": count, "total": money(total), "total_12m": money(total_12m)}
        for source, count, total, total_12m in (await session.execute(stmt)).all()
    ]


# --- what a profile reads ------------------------------------------------------------------------


def _tier_render(row: t.ProfileTier) -> dict[str, Any]:
    return {
        "id": row.id,
        "profile_id": row.profile_id,
        "tier_definition_id": row.tier_definition_id,
        "name": row.definition.name,
        "handle": row.definition.handle,
        "achieved_at": row.achieved_at,
        "anniversary_at": row.anniversary_at,
        "maintained_at": row.maintained_at,
        "assigned_at": row.assigned_at,
    }


async def current_for(session: AsyncSession, ctx: Ctx, profile_id: str) -> dict[str, Any] | None:
    """The profile's tier as embedded in the profile (entities §3.10), or ``None``; its ``handle``
    is the profile's ``tier_handle``. Reads the stored state (no maintenance is applied)."""
    row = await _row(session, ctx, profile_id, lock=False)
    return _tier_render(row) if row is not None else None


async def progress(session: AsyncSession, ctx: Ctx, profile_id: str) -> dict[str, Any]:
    """TierProgress (entities §3.11) from the stored tier and the tier points as they stand now."""
    now = clock.now()
    tiers = await active_tiers(session, ctx)
    row = await _row(session, ctx, profile_id, lock=False)
    current = row.definition if row is not None else None
    window = await window_total(session, ctx, profile_id, now)
    if current is None:
        next_tier = tiers[0] if tiers else None
        prev_tier = None
    else:
        next_tier = next((tier for tier in tiers if tier.value_min > current.value_min), None)
        prev_tier = next((tier for tier in reversed(tiers) if tier.value_min < current.value_min), None)

    current_progress: Decimal | None = None
    current_remain: Decimal | None = None
    credit = row.credit if row is not None else ZERO
    if row is not None and current is not None:
        if row.anniversary_at is not None:
            cycle_start = add_months(row.anniversary_at, -CYCLE_MONTHS)
            current_progress = await window_total(session, ctx, profile_id, now, since=cycle_start) + credit
            current_remain = max(ZERO, _maintain_threshold(current) - current_progress)
        else:  # the floor: nothing to maintain
            current_progress, current_remain = window, ZERO

    oldest = (
        await session.execute(select(func.min(t.TierPoint.issued_at)).where(*_window_filter(ctx, profile_id, now)))
    ).scalar_one_or_none()
    return {
        "id": row.id if row is not None else None,
        "profile_id": profile_id,
        "current_tier": render_definition(current) if current is not None else None,
        "next_tier": render_definition(next_tier) if next_tier is not None else None,
        "prev_tier": render_definition(prev_tier) if prev_tier is not None else None,
        "is_floor": bool(current is not None and current.is_floor),
        "current_credit": money(credit),
        "current_progress": money(current_progress),
        "current_remain": money(current_remain),
        "next_progress": window,
        "next_remain": money(max(ZERO, next_tier.value_min - window)) if next_tier is not None else ZERO,
        "total_points_12m": window,
        "total_points_achievement": (
            await window_total(session, ctx, profile_id, row.achieved_at) if row is not None else None
        ),
        "next_progress_change_at": add_months(oldest, CYCLE_MONTHS) if oldest is not None else None,
        "anniversary_at": row.anniversary_at if row is not None else None,
        "maintained_at": row.maintained_at if row is not None else None,
        "assigned_at": row.assigned_at if row is not None else None,
        "achieved_at": row.achieved_at if row is not None else None,
        "created_at": row.created_at if row is not None else None,
        "updated_at": row.updated_at if row is not None else None,
    }


# --- merges --------------------------------------------------------------------------------------


async def move_to(session: AsyncSession, ctx: Ctx, loser: str, winner: str) -> None:
    """A merged-away profile's tier points go to the winner, whose tier is then recalculated; the
    loser's tier row is dropped (the winner keeps its own and may attain more)."""
    points = select(t.TierPoint).where(t.TierPoint.tenant_id == ctx.tenant_id, t.TierPoint.profile_id == loser)
    for point in (await session.execute(points)).scalars():
        point.profile_id = winner
    old = await _row(session, ctx, loser, lock=True)
    if old is not None:
        await session.delete(old)
    await session.flush()
    await calculate(session, ctx, winner)


profiles.MERGE_HOOKS.append(move_to)


# --- request bodies ------------------------------------------------------------------------------

#: Tier point values fit NUMERIC(16, 2).
VALUE_LIMIT = Decimal("1e14")


class TierPointIn(Body):
    profile_id: Annotated[str, StringConstraints(max_length=36)]
    #: One of the two names the (tier) point definition, as rates and rewards take either.
    point_definition_id: int | None = None
    point_definition_handle: Annotated[str, StringConstraints(max_length=100)] | None = None
    value: Annotated[Decimal, PydanticField(gt=-VALUE_LIMIT, lt=VALUE_LIMIT)]
    #: Now, when not sent.
    issued_at: Timestamp = PydanticField(default_factory=clock.now)
    #: Defaults to ``issued_at`` (spendable at once).
    accrued_at: Timestamp | None = None
    source_type: Annotated[str, StringConstraints(max_length=50)] | None = None
    source_id: int | None = None
    meta: Any = None


TierPointUpdate = partial(TierPointIn)


class AssignIn(Body):
    tier: Annotated[str, StringConstraints(min_length=1, max_length=100)]


async def _profile_tier(session: AsyncSession, ctx: Ctx, profile_id: str) -> dict[str, Any]:
    current = await current_for(session, ctx, profile_id)
    return {"tier": current, "tier_handle": None if current is None else current["handle"]}


profiles.RENDER_HOOKS.append(_profile_tier)
