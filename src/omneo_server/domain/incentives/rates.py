"""Earn rates: which rate applies to a point definition here and now (domain-rules §6.2), and how
many points a base amount earns under it.

Resolution, in order: (1) the definition's published, non-archived rates; (2) whose window holds
``now`` (a missing start or end is open); (3) whose place matches — ``location_id``, ``region_id``
and ``country_iso_2`` each either empty (a wildcard) or matching the location, and ``code`` either
empty or equal to the code given; (4) whose ``profile_conditions`` pass on the profile; (5) whose
``product_conditions`` pass on the item (a rate with product conditions never applies without an
item). Of those, (6) the most specific wins: +1 for each of ``location_id``, ``region_id``,
``country_iso_2`` and ``code`` it names; (7) ties go to a rate whose ``rate_priority`` names a
kind of condition it has (``product`` with product conditions, ``profile`` with profile
conditions), then to the oldest rate (lowest id).

A location's country is its address's ISO-2 ``country`` (or ``country_iso_2``) when that is a
two-letter code, else the tenant's country whose ``iso_3`` is the location's ``country_iso_3``. A
region matches when that country is among the region's countries. Without a location, rates that
name a location, region or country never apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from pydantic import Field as Pyd
from pydantic import StringConstraints
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.domain import jsonlogic, reference
from omneo_server.domain.catalogue import Int
from omneo_server.domain.catalogue import _exists as exists
from omneo_server.domain.context import Ctx
from omneo_server.domain.errors import Invalid, NotFound
from omneo_server.domain.incentives.definitions import When
from omneo_server.domain.inputs import Body, Handle
from omneo_server.domain.profiles import commands as profiles

#: Points are kept to two places, rounded half up (as money is): 100 * 0.125 = 12.50.
POINT_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Place:
    """Where a rate is being resolved: the location, its ISO-2 country and the tenant's regions
    holding that country."""

    location_id: int | None = None
    country_iso_2: str | None = None
    region_ids: frozenset[int] = frozenset()


def _has(rule: Any) -> bool:
    """Whether a stored condition says anything (``null``, ``{}``, ``[]`` and ``""`` do not)."""
    return rule not in (None, {}, [], "")


def _address_country(location: t.Location) -> str | None:
    address = location.address if isinstance(location.address, dict) else {}
    for key in ("country_iso_2", "country"):
        value = address.get(key)
        if isinstance(value, str) and len(value.strip()) == 2 and value.strip().isalpha():
            return value.strip().upper()
    return None


async def place_of(session: AsyncSession, ctx: Ctx, location: t.Location | None) -> Place:
    if location is None:
        return Place()
    country = _address_country(location)
    if country is None and location.country_iso_3:
        stmt = select(t.Country.iso_2).where(
            t.Country.tenant_id == ctx.tenant_id, t.Country.iso_3 == location.country_iso_3.upper()
        )
        found = (await session.execute(stmt.limit(1))).scalar_one_or_none()
        country = found.upper() if found else None
    regions: frozenset[int] = frozenset()
    if country is not None:
        rows = await session.execute(select(t.Region.id, t.Region.countries).where(t.Region.tenant_id == ctx.tenant_id))
        regions = frozenset(rid for rid, countries in rows if country in {str(c).upper() for c in countries or []})
    return Place(location.id, country, regions)


def specificity(rate: t.Rate, place: Place, code: str | None) -> int | None:
    """How many of the rate's place attributes (and code) match; ``None`` when one it names does not."""
    given = code.strip().lower() if code is not None else None
    checks: tuple[tuple[Any, bool], ...] = (
        (rate.location_id, rate.location_id == place.location_id),
        (rate.region_id, rate.region_id in place.region_ids),
        (rate.country_iso_2, (rate.country_iso_2 or "").upper() == place.country_iso_2),
        (rate.code, (rate.code or "").strip().lower() == given),
    )
    score = 0
    for named, matches in checks:
        if named is None or named == "":
            continue
        if not matches:
            return None
        score += 1
    return score


def _priority(rate: t.Rate) -> int:
    """The tie-break: 1 when the rate's ``rate_priority`` names a kind of condition it has."""
    if rate.rate_priority == "product" and _has(rate.product_conditions):
        return 1
    if rate.rate_priority == "profile" and _has(rate.profile_conditions):
        return 1
    return 0


def choose(
    rates: list[t.Rate],
    place: Place,
    *,
    profile_data: dict[str, Any],
    item_data: dict[str, Any] | None,
    code: str | None = None,
) -> t.Rate | None:
    """Steps 3 to 7 over rates already known to be live now for the definition."""
    best: tuple[int, int, int] | None = None
    chosen: t.Rate | None = None
    for rate in rates:
        score = specificity(rate, place, code)
        if score is None:
            continue
        if _has(rate.profile_conditions) and not jsonlogic.truthy(rate.profile_conditions, profile_data):
            continue
        if _has(rate.product_conditions) and (
            item_data is None or not jsonlogic.truthy(rate.product_conditions, item_data)
        ):
            continue
        key = (score, _priority(rate), -rate.id)
        if best is None or key > best:
            best, chosen = key, rate
    return chosen


async def live_rates(session: AsyncSession, ctx: Ctx, point_definition_id: int, now: datetime) -> list[t.Rate]:
    """Steps 1 and 2: the definition's published, non-archived rates whose window holds ``now``."""

    def live(rate: Any) -> bool:
        return (
            rate.point_definition_id == point_definition_id
            and rate.is_published
            and not rate.is_archived
            and (rate.start_time is None or rate.start_time <= now)
            and (rate.end_time is None or rate.end_time >= now)
        )

    return await reference.rows(session, ctx, t.Rate, live)


async def resolve(
    session: AsyncSession,
    ctx: Ctx,
    point_definition_id: int,
    *,
    now: datetime,
    location: t.Location | None,
    profile_data: dict[str, Any],
    item_data: dict[str, Any] | None,
    code: str | None = None,
) -> t.Rate | None:
    """The rate that applies (see the module's docstring), or ``None``."""
    rates = await live_rates(session, ctx, point_definition_id, now)
    if not rates:
        return None
    place = await place_of(session, ctx, location)
    return choose(rates, place, profile_data=profile_data, item_data=item_data, code=code)


def points_for(base: Decimal, rate: t.Rate | None, default: Decimal | None) -> Decimal:
    """Points earned on ``base``: base times the rate's multiplier, or times ``default`` when no rate
    applies (``None``: no rate, no points), rounded half up to two places."""
    multiplier = rate.rate if rate is not None else default
    if multiplier is None:
        return Decimal("0.00")
    return (Decimal(base) * Decimal(multiplier)).quantize(POINT_PLACES, rounding=ROUND_HALF_UP)


# --- POST /rates/calculate -----------------------------------------------------------------------


class CalculateIn(Body):
    """What a base amount earns: ``{point_definition_id | point_definition_handle, amount,
    location_id?, profile_id?, code?, item?}``. ``item`` (ours) is the transaction item product
    conditions are checked on; ``at`` (ours) resolves as of another moment than now."""

    point_definition_id: Int | None = None
    point_definition_handle: Handle | None = None
    amount: Annotated[Decimal, Pyd(gt=Decimal("-1e12"), lt=Decimal("1e12"), allow_inf_nan=False)]
    location_id: Int | None = None
    profile_id: Annotated[str, StringConstraints(max_length=255)] | None = None
    code: Annotated[str, StringConstraints(max_length=100)] | None = None
    item: dict[str, Any] | None = None
    at: When | None = None


async def calculate(session: AsyncSession, ctx: Ctx, body: CalculateIn) -> Decimal:
    """The points ``amount`` earns for the definition, where and for whom the body says, now. With
    no rate, the base earns one point per unit (as Create Point does)."""
    table = t.PointDefinition
    if body.point_definition_id is not None:
        definition_id = await exists(session, ctx, "point_definition_id", table, table.id == body.point_definition_id)
    elif body.point_definition_handle is not None:
        condition = table.handle == body.point_definition_handle
        definition_id = await exists(session, ctx, "point_definition_handle", table, condition)
    else:
        raise Invalid.field(
            "point_definition_id", "The point_definition_id field is required when point_definition_handle is absent."
        )
    location = None
    if body.location_id is not None:
        await exists(session, ctx, "location_id", t.Location, t.Location.id == body.location_id)
        location = await session.get(t.Location, body.location_id)
    profile_data: dict[str, Any] = {}
    if body.profile_id is not None:
        try:
            profile_data = profiles.render_loaded(await profiles.get(session, ctx, body.profile_id))
        except NotFound:
            raise Invalid.field("profile_id", "The selected profile_id is invalid.") from None
    rate = await resolve(
        session,
        ctx,
        definition_id,
        now=body.at or clock.now(),
        location=location,
        profile_data=profile_data,
        item_data=body.item,
        code=body.code,
    )
    return points_for(body.amount, rate, Decimal(1))
