"""Incentive definitions (rewards, benefits, points, credits, tiers, achievements) and rates, each
described once as a :class:`Definition`: its :class:`Resource` for the CRUD base, the checks that
need the database (references, the single floor tier, a rate's point definition), and the tables
whose rows are issued from it (a definition with issued instances cannot be deleted).

What every definition shares is declared once, in :class:`DefinitionIn` (naming, copy, publication,
region, tags), :class:`ValidityIn` (how long an issued instance lasts) and :class:`NotifyIn` (the
targets fired around it); each kind adds its own fields.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, StringConstraints, field_validator
from pydantic import Field as Pyd
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server.db import tables as t
from omneo_server.domain import crud, jsonlogic
from omneo_server.domain.catalogue import Int, Iso3, Price, Strings, Url
from omneo_server.domain.catalogue import _exists as exists
from omneo_server.domain.commerce.schemas import _zone
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import Resource, Row, render_columns, standard_fields
from omneo_server.domain.errors import Invalid, NotFound
from omneo_server.domain.incentives.periods import IssuePeriodType, PeriodType
from omneo_server.domain.inputs import Body, Country, Handle, Name, Text, Timestamp, partial
from omneo_server.domain.query import INT_MAX, ListQuery, Page

# --- input types ---------------------------------------------------------------------------------

Count = Annotated[int, Pyd(ge=0, le=INT_MAX)]
SIX_PLACES = Decimal("0.000001")


# The validators below also see ``None``: update bodies (``partial``) make every field nullable.


def _naive_utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC).replace(tzinfo=None) if value is not None and value.tzinfo is not None else value


def _six_places(value: Decimal | None) -> Decimal | None:
    return value.quantize(SIX_PLACES, rounding=ROUND_HALF_UP) if value is not None else None


def _timezone(value: str | None) -> str | None:
    return _zone(value) if value is not None else None


#: A timestamp, naive UTC like every stored one (``Timestamp`` lets epoch numbers through as aware).
When = Annotated[Timestamp, AfterValidator(_naive_utc)]
Timezone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_timezone)]
#: Tier thresholds: points, kept to cents like money.
Points = Price
#: A rate multiplier (``NUMERIC(18, 6)``): rounded half up to six places.
Multiplier = Annotated[
    Decimal,
    Pyd(ge=0, lt=Decimal("1e12"), allow_inf_nan=False),
    AfterValidator(_six_places),
]
#: A JSON Logic rule (checked when written, see :func:`_rules`).
Condition = Any

RewardType = Literal[
    "activation", "anniversary", "birthday", "bonus", "campaign", "customer-service", "reactivation", "spend",
    "staff", "system-adjustment", "tier", "achievement", "status", "points", "referral", "other",
]  # fmt: skip
BenefitType = Literal["discount", "value", "competition", "event", "gift", "voucher", "bonus", "other"]
#: Ours: ``reward`` points are redeemable for dollars, ``tier`` points count toward tiers only.
PointType = Literal["reward", "tier", "other"]
CreditType = Literal["gift_card", "store_credit", "refund", "allowance", "voucher", "other"]
CreditNumberRangeType = Literal["sequential", "random", "other"]
SecurityCodeType = Literal["pin4", "pin6", "alnum6", "other"]
DisplayOption = Literal["visible", "hidden", "mystery", "internal"]
AchievementPeriod = Literal["monthly", "weekly", "fortnightly", "daily", "yearly"]
RatePriority = Literal["product", "profile"]


# --- what every definition shares ----------------------------------------------------------------


class DefinitionIn(Body):
    name: Name
    handle: Handle
    description: Text | None = None
    short_description: Text | None = None
    long_description: Text | None = None
    terms_conditions: Text | None = None
    earn_instructions: Text | None = None
    internal_notes: Text | None = None
    icon: Url | None = None
    image_url: Url | None = None
    is_published: bool = True
    is_archived: bool = False
    currency: Iso3 | None = None
    region_id: Int | None = None
    tags: Strings = []
    meta: Any = None


class ValidityIn(Body):
    period: Count | None = None
    period_type: PeriodType = "days"
    absolute_expiry: When | None = None
    is_extendable: bool = False
    extend_days: Count | None = None
    is_assignable: bool = True
    is_reassignable: bool = False


class NotifyIn(Body):
    issue_target_id: Int | None = None
    expiry_target_id: Int | None = None
    extend_target_id: Int | None = None
    remind_target_id: Int | None = None
    notify_issue_offset: Int | None = None
    notify_expiry_offset: Int | None = None
    notify_schedule_offset: Int | None = None
    notify_issue_offset_days: Int | None = None
    notify_issue_offset_hour: Int | None = None
    notify_remind_offset_days: Int | None = None
    notify_remind_offset_hour: Int | None = None
    notify_extend_offset_days: Int | None = None
    notify_extend_offset_hour: Int | None = None


# --- each kind -----------------------------------------------------------------------------------


# The spec lists the "required-nullable" fields (``value``, ``period``, ``absolute_expiry``, the
# credit number range…) as required; the hosted API accepts a create without them, and clients send
# none: they default to null (docs/decisions.md, "As strict as the hosted API").
class RewardDefinitionIn(DefinitionIn, ValidityIn, NotifyIn):
    type: RewardType
    value: Price | None = None
    max_value: Price | None = None


class BenefitDefinitionIn(DefinitionIn, ValidityIn, NotifyIn):
    type: BenefitType | None = None
    value: Price | None = None
    campaign: Name | None = None
    end_at: When | None = None
    max_redemptions: Count | None = None
    max_global_redemptions: Count | None = None
    is_claimable: bool = False
    is_reclaimable: bool = False
    force_allocation: bool = False
    allow_user_redeem: bool = True
    claim_period_start_at: When | None = None
    claim_period_end_at: When | None = None
    claim_condition: Condition = None
    view_condition: Condition = None
    visibility_condition: Any = None
    claim_timeframe: Annotated[str, StringConstraints(max_length=50)] | None = None
    redeem_code_pos: Name | None = None
    redeem_code_online: Name | None = None
    redeem_instructions_store: Text | None = None
    redeem_instructions_online: Text | None = None
    external_id: Name | None = None


class PointDefinitionIn(DefinitionIn, ValidityIn):
    type: PointType = "reward"
    notes: Text | None = None
    issue_period: Count | None = None
    issue_period_type: IssuePeriodType | None = None
    issue_absolute_expiry: When | None = None


CreditNumber = Annotated[str, StringConstraints(max_length=64)]


class CreditDefinitionIn(DefinitionIn, ValidityIn, NotifyIn):
    type: CreditType
    credit_number_range_start: CreditNumber | None = None
    credit_number_range_end: CreditNumber | None = None
    release_period_absolute_expiry: When | None = None
    value: Price | None = None
    max_value: Price | None = None
    timezone: Timezone | None = None
    release_period: Count | None = None
    release_period_type: PeriodType = "days"
    release_target_id: Int | None = None
    is_releasable: bool = False
    require_creator: bool = False
    require_assigned: bool = False
    require_security_code: bool = False
    use_custom_numbers: bool = False
    credit_number_range_type: CreditNumberRangeType = "random"
    credit_number_length: Annotated[int, Pyd(ge=1, le=64)] | None = None
    security_code_type: SecurityCodeType = "pin4"
    primary_colour: Annotated[str, StringConstraints(max_length=50)] | None = None
    secondary_colour: Annotated[str, StringConstraints(max_length=50)] | None = None


class TierDefinitionIn(DefinitionIn):
    value_min: Points
    #: May be below ``value_min`` (keeping a tier can be easier than reaching it).
    value_maintain: Points | None = None
    is_floor: bool = False
    is_assignable: bool = True
    disable_credit: bool = False


class AchievementLevelIn(Body):
    #: Kept across updates when given (or when the trigger is unchanged); new levels get new ids.
    id: Annotated[int, Pyd(ge=1, le=INT_MAX)] | None = None
    name: Name | None = None
    #: The level's position among those sent (1, 2, …) when not sent.
    display_number: Count = None  # type: ignore[assignment]
    trigger: Annotated[int, Pyd(ge=1, le=INT_MAX)]
    #: Only meaningful with ``repeats``; clients leave it out otherwise.
    repeat_interval: Count | None = None
    repeats: bool = False
    description: Text | None = None
    allow_multiple_earn: bool = False
    meta: Any = None


class AchievementDefinitionIn(DefinitionIn):
    levels: list[AchievementLevelIn] = Pyd(min_length=1, max_length=1000)

    @field_validator("levels")
    @classmethod
    def _numbered(cls, levels: list[AchievementLevelIn] | None) -> list[AchievementLevelIn] | None:
        for position, level in enumerate(levels or [], start=1):
            if level.display_number is None:
                level.display_number = position
        return levels

    type: Annotated[str, StringConstraints(max_length=50)] | None = None
    display_level: bool = True
    display_option: DisplayOption | None = "visible"
    enable_annual_earn_cycle: bool = False
    period: AchievementPeriod | None = None
    timezone: Timezone | None = None
    starts_at: When | None = None
    ends_at: When | None = None


class RateIn(Body):
    #: One of ``point_definition_id`` / ``point_definition_handle`` is required on create.
    point_definition_id: Int | None = None
    point_definition_handle: Handle | None = None
    rate: Multiplier
    name: Name | None = None
    description: Text | None = None
    start_time: When | None = None
    end_time: When | None = None
    location_id: Int | None = None
    region_id: Int | None = None
    country_iso_2: Country | None = None
    code: Annotated[str, StringConstraints(max_length=100)] | None = None
    profile_conditions: Condition = None
    product_conditions: Condition = None
    rate_priority: RatePriority | None = None
    issue_period: Count | None = None
    issue_period_type: IssuePeriodType | None = None
    is_published: bool = True
    is_archived: bool = False
    meta: Any = None


class CloneIn(Body):
    handle: Handle
    name: Name | None = None


# --- rendering and preparing ---------------------------------------------------------------------


#: Fields every definition answers that no table of ours holds: ``region`` (filled in by
#: :func:`present` where the database is at hand), a release target and a currency id (only credit
#: definitions have their own release target).
_NOT_HELD = {"region": None, "release_target_id": None, "currency_id": None}


def _render(row: Row) -> dict[str, Any]:
    """Every column, and what every definition answers besides (:data:`_NOT_HELD`)."""
    return {**_NOT_HELD, **render_columns(row)}


def _render_credit(row: t.CreditDefinition) -> dict[str, Any]:
    return {**_render(row), "custom_fields": []}


def _render_benefit(row: t.BenefitDefinition) -> dict[str, Any]:
    out = _render(row)
    limit = row.max_global_redemptions
    out["total_global_redemptions_remaining"] = (
        None if limit is None else max(limit - (row.total_global_redemptions or 0), 0)
    )
    out["total_allocations"] = None
    out["total_allocations_remaining"] = None
    out["same_campaign_count"] = 0
    return out


def _render_achievement(row: t.AchievementDefinition) -> dict[str, Any]:
    out = _render(row)
    out["levels"] = [
        {
            **level,
            "achievement_definition_id": row.id,
            "computed_display_number": level.get("display_number"),
            "computed_trigger": level.get("trigger"),
        }
        for level in row.levels or []
    ]
    return out


Prepare = Callable[[dict[str, Any], Row], dict[str, Any]]


def _merged(data: dict[str, Any], row: Row, name: str) -> Any:
    """A field's value after the write: as sent, else as stored."""
    if name in data:
        return data[name]
    return getattr(row, name, None) if row is not None else None


def _ordered(*pairs: tuple[str, str]) -> Prepare:
    """A ``prepare`` refusing an end before its start (either sent now or already stored)."""

    def prepare(data: dict[str, Any], row: Row) -> dict[str, Any]:
        for start, end in pairs:
            begins, ends = _merged(data, row, start), _merged(data, row, end)
            if begins is not None and ends is not None and ends <= begins:
                raise Invalid.field(end, f"The {end} must be a date after {start}.")
        return data

    return prepare


def _rules(*names: str) -> Prepare:
    """A ``prepare`` checking the JSON Logic rules among ``names`` that are being written."""

    def prepare(data: dict[str, Any], _row: Row) -> dict[str, Any]:
        for name in names:
            if name in data:
                jsonlogic.validate(data[name], name)
        return data

    return prepare


def _all(*steps: Prepare) -> Prepare:
    def prepare(data: dict[str, Any], row: Row) -> dict[str, Any]:
        for step in steps:
            data = step(data, row)
        return data

    return prepare


def _levels(data: dict[str, Any], row: t.AchievementDefinition | None) -> dict[str, Any]:
    """Levels sorted by trigger, each trigger once, each level with an id that stays: the id sent
    (if it names an existing level), else the id of the existing level with the same trigger, else
    the next unused one."""
    if "levels" not in data:
        return data
    levels = sorted(data["levels"], key=lambda level: level["trigger"])
    triggers = [level["trigger"] for level in levels]
    duplicate = next((a for a, b in pairwise(triggers) if a == b), None)
    if duplicate is not None:
        raise Invalid.field("levels", f"Each level needs its own trigger; {duplicate} is used twice.")
    old = list(row.levels or []) if row is not None else []
    old_ids = {level.get("id") for level in old}
    by_trigger = {level.get("trigger"): level.get("id") for level in old}
    taken: set[int] = set()
    for level in levels:  # ids the client named and that exist are kept first
        wanted = level.get("id")
        if wanted in old_ids and wanted not in taken:
            taken.add(wanted)
        else:
            level["id"] = None
    for level in levels:
        if level["id"] is None:
            same = by_trigger.get(level["trigger"])
            if same is not None and same not in taken:
                level["id"] = same
                taken.add(same)
    next_id = max([0, *(i for i in old_ids if isinstance(i, int)), *taken]) + 1
    for level in levels:
        if level["id"] is None:
            level["id"] = next_id
            taken.add(next_id)
            next_id += 1
    data["levels"] = levels
    return data


# --- the resources -------------------------------------------------------------------------------

_COMMON = "id handle name is_published is_archived currency region_id created_at updated_at"
_SORTS = "id handle name created_at updated_at"


def _fields(table: Any, names: str) -> dict[str, Any]:
    return standard_fields(table, *names.split())


def _resource(
    name: str,
    event: str,
    label: str,
    table: Any,
    create: type[Body],
    *,
    filters: str = "",
    render: Callable[[Any], dict[str, Any]] = _render,
    prepare: Prepare = lambda data, _row: data,
    search: Sequence[Any] = (),
) -> Resource:
    return Resource(
        name=name,
        event=event,
        label=label,
        table=table,
        create=create,
        update=partial(create),
        filters=_fields(table, f"{_COMMON} {filters}"),
        sorts=_fields(table, f"{_SORTS} {filters}"),
        search=search or (table.name, table.handle),
        unique=(("handle",),),
        render=render,
        prepare=prepare,
    )


REWARD_DEFINITIONS = _resource(
    "reward-definitions", "reward_definition", "Reward definition", t.RewardDefinition, RewardDefinitionIn,
    filters="type value period_type",
)  # fmt: skip
BENEFIT_DEFINITIONS = _resource(
    "benefit-definitions", "benefit_definition", "Benefit definition", t.BenefitDefinition, BenefitDefinitionIn,
    filters="type campaign external_id is_claimable end_at",
    render=_render_benefit,
    prepare=_all(
        _rules("claim_condition", "view_condition"), _ordered(("claim_period_start_at", "claim_period_end_at"))
    ),
)  # fmt: skip
POINT_DEFINITIONS = _resource(
    "point-definitions", "point_definition", "Point definition", t.PointDefinition, PointDefinitionIn,
    filters="type",
)  # fmt: skip
CREDIT_DEFINITIONS = _resource(
    "credit-definitions", "credit_definition", "Credit definition", t.CreditDefinition, CreditDefinitionIn,
    filters="type",
    render=_render_credit,
)  # fmt: skip
TIER_DEFINITIONS = _resource(
    "tier-definitions", "tier_definition", "Tier definition", t.TierDefinition, TierDefinitionIn,
    filters="is_floor value_min",
)  # fmt: skip
ACHIEVEMENT_DEFINITIONS = _resource(
    "achievement-definitions", "achievement_definition", "Achievement definition", t.AchievementDefinition,
    AchievementDefinitionIn,
    filters="type display_option",
    render=_render_achievement,
    prepare=_all(_levels, _ordered(("starts_at", "ends_at"))),
)  # fmt: skip
RATES = Resource(
    name="rates",
    event="rate",
    label="Rate",
    table=t.Rate,
    create=RateIn,
    update=partial(RateIn),
    filters=_fields(
        t.Rate,
        "id name point_definition_id location_id region_id country_iso_2 code rate_priority is_published "
        "is_archived start_time end_time created_at updated_at",
    ),
    sorts=_fields(t.Rate, "id name rate start_time end_time created_at updated_at"),
    search=(t.Rate.name, t.Rate.code),
    prepare=_all(_rules("profile_conditions", "product_conditions"), _ordered(("start_time", "end_time"))),
)


# --- the checks that need the database -----------------------------------------------------------

Check = Callable[[AsyncSession, Ctx, dict[str, Any], Row], Awaitable[None]]


async def _refs(session: AsyncSession, ctx: Ctx, data: dict[str, Any], _row: Row) -> None:
    """A region or location named by id must be the tenant's."""
    for name, table in (("region_id", t.Region), ("location_id", t.Location)):
        if data.get(name) is not None:
            await exists(session, ctx, name, table, table.id == data[name])


async def _one_floor(session: AsyncSession, ctx: Ctx, data: dict[str, Any], row: Row) -> None:
    """At most one floor tier per tenant, and a floor starts at zero."""
    if not _merged(data, row, "is_floor"):
        return
    value_min = _merged(data, row, "value_min")
    if value_min is not None and value_min != 0:
        raise Invalid.field("value_min", "The floor tier's value_min must be 0.")
    stmt = select(t.TierDefinition.id).where(
        t.TierDefinition.tenant_id == ctx.tenant_id, t.TierDefinition.is_floor.is_(True)
    )
    if row is not None:
        stmt = stmt.where(t.TierDefinition.id != row.id)
    if (await session.execute(stmt.limit(1))).first() is not None:
        raise Invalid.field("is_floor", "There is already a floor tier; only one tier may be the floor.")


async def _point_definition(session: AsyncSession, ctx: Ctx, data: dict[str, Any], row: Row) -> None:
    """A rate names its point definition by id or handle (one is required on create)."""
    handle = data.pop("point_definition_handle", None)
    table = t.PointDefinition
    if data.get("point_definition_id") is not None:
        await exists(session, ctx, "point_definition_id", table, table.id == data["point_definition_id"])
    elif handle is not None:
        by_handle = table.handle == handle
        data["point_definition_id"] = await exists(session, ctx, "point_definition_handle", table, by_handle)
    elif row is None or "point_definition_id" in data:
        data.pop("point_definition_id", None)
        raise Invalid.field(
            "point_definition_id", "The point_definition_id field is required when point_definition_handle is absent."
        )


@dataclass(frozen=True)
class Definition:
    """One kind of incentive definition (or rates): its resource, the tables whose rows are issued
    from it (by the column naming it), its database checks, and whether it can be cloned."""

    kind: str
    resource: Resource
    instances: Sequence[Any] = ()
    checks: Sequence[Check] = (_refs,)
    cloneable: bool = False
    #: Counters a clone starts again from.
    counters: Sequence[str] = ()


REWARD = Definition("reward", REWARD_DEFINITIONS, (t.Reward.reward_definition_id,), cloneable=True)
BENEFIT = Definition(
    "benefit",
    BENEFIT_DEFINITIONS,
    (t.Benefit.benefit_definition_id,),
    cloneable=True,
    counters=("total_global_redemptions", "total_global_created"),
)
POINT = Definition("point", POINT_DEFINITIONS, (t.Point.point_definition_id, t.TierPoint.point_definition_id))
CREDIT = Definition("credit", CREDIT_DEFINITIONS, (t.Credit.credit_definition_id,))
TIER = Definition("tier", TIER_DEFINITIONS, (t.ProfileTier.tier_definition_id,), checks=(_refs, _one_floor))
ACHIEVEMENT = Definition(
    "achievement",
    ACHIEVEMENT_DEFINITIONS,
    (t.ProfileAchievement.achievement_definition_id, t.AchievementPoint.achievement_definition_id),
)
RATE = Definition("rate", RATES, checks=(_point_definition, _refs))
DEFINITIONS = (REWARD, BENEFIT, POINT, CREDIT, TIER, ACHIEVEMENT)
_RENDER_BY_TABLE = {kind.resource.table: kind.resource.render for kind in DEFINITIONS}


def render_definition(row: Row) -> dict[str, Any]:
    """A definition as its own routes answer it (``region`` unresolved), for embedding in what was
    issued from it."""
    return _RENDER_BY_TABLE[type(row)](row)


# --- commands ------------------------------------------------------------------------------------


async def present(session: AsyncSession, ctx: Ctx, kind: Definition, rows: Iterable[Row]) -> list[dict[str, Any]]:
    """Render rows with their region (``{id, name, handle}``), one query for all of them."""
    out = [kind.resource.render(row) for row in rows]
    ids = {item["region_id"] for item in out if item.get("region_id") is not None}
    if ids and "region" in out[0]:
        stmt = select(t.Region).where(t.Region.tenant_id == ctx.tenant_id, t.Region.id.in_(ids))
        regions = {r.id: {"id": r.id, "name": r.name, "handle": r.handle} for r in (await session.scalars(stmt))}
        for item in out:
            item["region"] = regions.get(item["region_id"]) if item.get("region_id") is not None else None
    if kind is RATE and out:  # a rate names its point definition by handle too
        wanted = {item["point_definition_id"] for item in out}
        named = select(t.PointDefinition.id, t.PointDefinition.handle).where(
            t.PointDefinition.tenant_id == ctx.tenant_id, t.PointDefinition.id.in_(wanted)
        )
        handles: dict[int, str] = {row[0]: row[1] for row in (await session.execute(named)).all()}
        for item in out:
            item["point_definition_handle"] = handles.get(item["point_definition_id"])
    return out


async def present_one(session: AsyncSession, ctx: Ctx, kind: Definition, row: Row) -> dict[str, Any]:
    return (await present(session, ctx, kind, [row]))[0]


async def list_rows(session: AsyncSession, ctx: Ctx, kind: Definition, query: ListQuery) -> Page:
    return await crud.list_rows(session, ctx, kind.resource, query)


async def get(session: AsyncSession, ctx: Ctx, kind: Definition, key: Any) -> Row:
    return await crud.get_row(session, ctx, kind.resource, key)


async def get_by_handle(session: AsyncSession, ctx: Ctx, kind: Definition, handle: str) -> Row:
    table: Any = kind.resource.table
    stmt = select(table).where(table.tenant_id == ctx.tenant_id, table.handle == handle)
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        raise NotFound(kind.resource.label)
    return row


async def _checked(session: AsyncSession, ctx: Ctx, kind: Definition, data: dict[str, Any], row: Row) -> None:
    for check in kind.checks:
        await check(session, ctx, data, row)


async def create(session: AsyncSession, ctx: Ctx, kind: Definition, data: dict[str, Any]) -> Row:
    await _checked(session, ctx, kind, data, None)
    return await crud.create_row(session, ctx, kind.resource, data)


async def update(session: AsyncSession, ctx: Ctx, kind: Definition, key: Any, data: dict[str, Any]) -> Row:
    row = await get(session, ctx, kind, key)
    await _checked(session, ctx, kind, data, row)
    return await crud.update_row(session, ctx, kind.resource, row.id, data)


async def delete(session: AsyncSession, ctx: Ctx, kind: Definition, key: Any) -> None:
    """Delete a definition nothing has been issued from; one that has issued instances is kept (a
    422 suggesting archiving), since they refer to it."""
    row = await get(session, ctx, kind, key)
    for column in kind.instances:
        stmt = select(func.count()).select_from(column.class_).where(column == row.id)
        if (await session.execute(stmt)).scalar_one():
            noun = column.class_.__tablename__.replace("_", " ")
            raise Invalid.field(
                "id",
                f"This {kind.kind} definition has issued {noun} and cannot be deleted; "
                "archive it instead (is_archived: true).",
            )
    await crud.delete_row(session, ctx, kind.resource, row.id)


async def clone(session: AsyncSession, ctx: Ctx, kind: Definition, key: Any, body: CloneIn) -> Row:
    """A copy of a definition under a new handle (and optionally name), its counters reset."""
    if not kind.cloneable:
        raise NotFound(kind.resource.label)
    source = await get(session, ctx, kind, key)
    data = {k: v for k, v in render_columns(source).items() if k not in ("id", "created_at", "updated_at")}
    data.update({"handle": body.handle, **({"name": body.name} if body.name is not None else {})})
    data.update(dict.fromkeys(kind.counters, 0))
    return await crud.create_row(session, ctx, kind.resource, data)


# --- rate helpers the routes need ----------------------------------------------------------------

#: ``GET /rates/searchAttributes/{attribute}``: the attributes whose distinct values can be listed.
SEARCHABLE = {
    name: getattr(t.Rate, name)
    for name in (
        "code", "country_iso_2", "location_id", "region_id", "point_definition_id", "rate_priority", "name",
        "issue_period_type",
    )
}  # fmt: skip
SEARCH_LIMIT = 1000


async def rate_attribute_values(session: AsyncSession, ctx: Ctx, attribute: str) -> list[Any]:
    """The distinct non-null values of a rate attribute across the tenant's rates, in order."""
    column = SEARCHABLE.get(attribute)
    if column is None:
        allowed = ", ".join(sorted(SEARCHABLE))
        raise Invalid.field("attribute", f"The attribute must be one of: {allowed}.")
    stmt = (
        select(column)
        .where(t.Rate.tenant_id == ctx.tenant_id, column.is_not(None))
        .distinct()
        .order_by(column)
        .limit(SEARCH_LIMIT)
    )
    return list((await session.scalars(stmt)).all())
