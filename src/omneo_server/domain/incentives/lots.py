"""Rewards, points and credits as issued to profiles: one description per kind (:class:`LotKind`),
one set of commands for all three. Every value change goes through the ledger."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, StringConstraints, model_validator
from pydantic import Field as Pyd
from sqlalchemy import select
from sqlalchemy import update as sa_update
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.domain import crud, events
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import Resource, render_columns, standard_fields
from omneo_server.domain.errors import Invalid, NotFound
from omneo_server.domain.incentives import definitions, ledger, periods
from omneo_server.domain.incentives.ledger import CREDIT, POINT, REWARD, Kind
from omneo_server.domain.inputs import Body, Handle, Name, Text, Timestamp
from omneo_server.domain.profiles import commands as profiles
from omneo_server.domain.query import INT_MAX
from omneo_server.wire import money

# --- input types ---------------------------------------------------------------------------------

#: Dollars or points: non-negative, rounded to cents half up on the way in.
Amount = Annotated[Decimal, Pyd(ge=0, lt=Decimal("1e12"), allow_inf_nan=False), AfterValidator(money)]


def _above_zero(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError("Input should be at least 0.01.")
    return value


#: Strictly positive amounts (what is redeemed), checked after rounding to cents.
Positive = Annotated[
    Decimal, Pyd(gt=0, lt=Decimal("1e12"), allow_inf_nan=False), AfterValidator(money), AfterValidator(_above_zero)
]
DefinitionId = Annotated[int, Pyd(ge=1, le=INT_MAX)]
ProfileId = Annotated[str, StringConstraints(max_length=36)]


def _zone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value} is not a known timezone.") from None
    return value


Timezone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_zone)]
#: Credit numbers some clients send as numbers.
Code = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) else v), StringConstraints(max_length=64)]


class _LotIn(Body):
    profile_id: ProfileId | None = None
    timezone: Timezone | None = None
    issued_at: Timestamp | None = None
    expires_at: Timestamp | None = None
    external_id: Name | None = None
    meta: Any = None

    @model_validator(mode="after")
    def _expiry_after_issue(self) -> _LotIn:
        if self.issued_at and self.expires_at and self.expires_at <= self.issued_at:
            raise ValueError("The expires at must be a date after issued at.")
        return self


class RewardIn(_LotIn):
    reward_definition_id: DefinitionId | None = None
    reward_definition_handle: Handle | None = None
    value_initial: Amount | None = None
    value_remaining: Amount | None = None


class PointIn(_LotIn):
    point_definition_id: DefinitionId | None = None
    point_definition_handle: Handle | None = None
    value_initial: Amount
    value_remaining: Amount | None = None
    accrued_at: Timestamp | None = None
    description: Text | None = None


class CreditIn(_LotIn):
    credit_definition_id: DefinitionId | None = None
    credit_definition_handle: Handle | None = None
    value_initial: Amount | None = None
    value_remaining: Amount | None = None
    name: Name | None = None
    credit_number: Code | None = None
    security_code: Annotated[str, StringConstraints(max_length=16)] | None = None
    creator_profile_id: ProfileId | None = None
    staff_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    location_id: DefinitionId | None = None
    recipient_first_name: Name | None = None
    recipient_email: Name | None = None
    message: Text | None = None
    external_namespace: Annotated[str, StringConstraints(max_length=100)] | None = None
    is_imported: bool = False


class LotUpdate(Body):
    """What may change on an issued lot. Value changes are ledger adjustments; ``is_void`` voids."""

    is_update = True

    value_initial: Amount | None = None
    value_remaining: Amount | None = None
    expires_at: Timestamp | None = None
    description: Text | None = None
    name: Name | None = None
    recipient_first_name: Name | None = None
    recipient_email: Name | None = None
    message: Text | None = None
    profile_id: ProfileId | None = None
    is_void: bool | None = None
    meta: Any = None


class ExtendIn(Body):
    ids: list[DefinitionId] = Pyd(min_length=1, max_length=1000)
    profile_id: ProfileId
    extend_date: Timestamp | None = None
    extend_days: Annotated[int, Pyd(ge=1, le=36500)] | None = None


# --- kinds ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LotKind:
    ledger: Kind
    definition: type[t.RewardDefinition] | type[t.PointDefinition] | type[t.CreditDefinition]
    #: The body field naming the definition by id (``…_id``) and by handle (``…_handle``).
    definition_field: str
    create: type[_LotIn]
    resource: Resource
    extras: Callable[[Any, datetime], dict[str, Any]]

    @property
    def name(self) -> str:
        return self.ledger.name

    @property
    def label(self) -> str:
        return self.ledger.label


def _local(moment: datetime | None, zone: str | None) -> datetime | None:
    if moment is None or zone is None:
        return moment
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _common(lot: Any, now: datetime) -> dict[str, Any]:
    expired = lot.expires_at is not None and lot.expires_at <= now
    return {
        **render_columns(lot),
        "definition": definitions.render_definition(lot.definition),
        "is_expired": expired,
        "is_active": ledger.is_live(lot, now),
        "issued_local_at": _local(lot.issued_at, lot.timezone),
        "expires_local_at": _local(lot.expires_at, lot.timezone),
    }


_NOT_NOTIFIED = {"has_notified_issue": False, "has_notified_expiry": False, "has_notified_extend": False}


def _reward_extras(lot: t.Reward, _now: datetime) -> dict[str, Any]:
    return {"notify_issue_at": None, "notify_expiry_at": None, **_NOT_NOTIFIED}


def _rate(lot: t.Point) -> dict[str, Any] | None:
    """The rate the points were earned at, as ``GET /rates`` answers it (the point's own ``rate``
    column keeps the value it was earned at)."""
    record = lot.__dict__.get("rate_record")  # loaded with every point read or written
    if record is None:
        return None if lot.rate_id is None else {"id": lot.rate_id, "rate": lot.rate}  # a rate deleted since
    definition = lot.__dict__.get("definition")
    handle = definition.handle if definition is not None and definition.id == record.point_definition_id else None
    return {**render_columns(record), "point_definition_handle": handle}


def _point_extras(lot: t.Point, now: datetime) -> dict[str, Any]:
    status = (
        "void"
        if lot.is_void
        else "pending"
        if lot.accrued_at > now
        else "expired"
        if lot.expires_at is not None and lot.expires_at <= now
        else "active"
    )
    return {
        "status": status,
        "rate": _rate(lot),
        # Multi-currency is not built: no value in another currency is kept.
        "value_initial_currency": None,
        "value_remaining_currency": None,
        "source": None if lot.transaction_id is None else {"type": "transaction", "id": lot.transaction_id},
    }


def _credit_extras(lot: t.Credit, _now: datetime) -> dict[str, Any]:
    notified = {**_NOT_NOTIFIED, "has_notified_release": False, "has_notified_remind": False}
    return {"locked": False, "lock_expires_at": None, **notified}


def _lot_resource(name: str, table: Any, label: str, definition_column: str) -> Resource:
    """List/get description of one kind (rendered through :func:`render`)."""
    fields = standard_fields(
        table,
        "id",
        "profile_id",
        definition_column,
        "external_id",
        "source_type",
        "value_initial",
        "value_remaining",
        "issued_at",
        "expires_at",
        "is_void",
        "created_at",
        "updated_at",
    )
    return Resource(
        name=name,
        event=name[:-1],
        table=table,
        filters=fields,
        sorts=fields,
        label=label,
        render=lambda row: render(LOT_KINDS[name[:-1]], row),
    )


REWARDS = LotKind(
    REWARD,
    t.RewardDefinition,
    "reward_definition",
    RewardIn,
    _lot_resource("rewards", t.Reward, "Reward", "reward_definition_id"),
    _reward_extras,
)
POINTS = LotKind(
    POINT,
    t.PointDefinition,
    "point_definition",
    PointIn,
    _lot_resource("points", t.Point, "Point", "point_definition_id"),
    _point_extras,
)
CREDITS = LotKind(
    CREDIT,
    t.CreditDefinition,
    "credit_definition",
    CreditIn,
    _lot_resource("credits", t.Credit, "Credit", "credit_definition_id"),
    _credit_extras,
)
LOT_KINDS = {k.name: k for k in (REWARDS, POINTS, CREDITS)}


def render(kind: LotKind, lot: Any) -> dict[str, Any]:
    now = clock.now()
    return {**_common(lot, now), **kind.extras(lot, now)}


# --- definitions ---------------------------------------------------------------------------------


async def definition_for(
    session: AsyncSession, ctx: Ctx, table: Any, field: str, key: int | None, handle: str | None
) -> Any:
    """The definition a body names by ``{field}_id`` or ``{field}_handle``, ready to issue from:
    published, not archived, assignable."""
    if key is None and handle is None:
        raise Invalid.field(f"{field}_id", f"The {field.replace('_', ' ')} id field is required.")
    stmt = select(table).where(table.tenant_id == ctx.tenant_id)
    stmt = stmt.where(table.id == key) if key is not None else stmt.where(table.handle == handle)
    definition = (await session.execute(stmt)).scalar_one_or_none()
    wire = f"{field}_id" if key is not None else f"{field}_handle"
    label = field.replace("_", " ")
    if definition is None:
        raise Invalid.field(wire, f"The selected {label} is invalid.")
    if not definition.is_published or definition.is_archived:
        raise Invalid.field(wire, f"The {label} {definition.handle} is not published.")
    if not getattr(definition, "is_assignable", True):
        raise Invalid.field(wire, f"The {label} {definition.handle} is not assignable.")
    return definition


def default_expiry(definition: Any, start: datetime) -> datetime | None:
    return periods.after(start, definition.period, definition.period_type, definition.absolute_expiry)


async def _credit_number(session: AsyncSession, ctx: Ctx, definition: t.CreditDefinition) -> str:
    length = definition.credit_number_length or 16
    for _ in range(20):
        number = "".join(secrets.choice(string.digits) for _ in range(length))
        stmt = select(t.Credit.id).where(t.Credit.tenant_id == ctx.tenant_id, t.Credit.credit_number == number)
        if (await session.execute(stmt)).first() is None:
            return number
    raise Invalid.field("credit_number", "Could not allocate a free credit number; widen credit_number_length.")


def _security_code(kind: str) -> str:
    if kind == "pin6":
        return "".join(secrets.choice(string.digits) for _ in range(6))
    if kind == "alnum6":
        return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(6))
    return "".join(secrets.choice(string.digits) for _ in range(4))


# --- commands ------------------------------------------------------------------------------------


async def issue(
    session: AsyncSession,
    ctx: Ctx,
    kind: LotKind,
    profile_id: str,
    body: _LotIn,
    *,
    source_type: str | None = None,
    source_id: int | None = None,
    transaction_id: int | None = None,
    rate: t.Rate | None = None,
    definition: Any = None,
) -> Any:
    """Issue a reward, points or a credit to a profile, with its ``issue`` ledger entry."""
    await ledger.lock_profile(session, ctx, profile_id)
    data = body.model_dump()
    if definition is None:
        definition = await definition_for(
            session,
            ctx,
            kind.definition,
            kind.definition_field,
            data.get(f"{kind.definition_field}_id"),
            data.get(f"{kind.definition_field}_handle"),
        )
    if kind is POINTS and definition.type == "tier":
        raise Invalid.field("point_definition_id", "Tier points are issued at /tiers/points, not /points.")
    now = clock.now()
    value = data.get("value_initial")
    if value is None:
        value = getattr(definition, "value", None)
    if value is None:
        raise Invalid.field("value_initial", "The value initial field is required (the definition has no value).")
    cap = getattr(definition, "max_value", None)
    if cap is not None and value > cap:
        raise Invalid.field("value_initial", f"The value initial may not be greater than {cap}.")
    issued_at = data.get("issued_at") or now
    columns: dict[str, Any] = {
        "tenant_id": ctx.tenant_id,
        "profile_id": profile_id,
        f"{kind.definition_field}_id": definition.id,
        "value_initial": value,
        "value_remaining": data.get("value_remaining"),
        "issued_at": issued_at,
        "timezone": data.get("timezone") or getattr(definition, "timezone", None),
        "external_id": data.get("external_id"),
        "source_type": source_type,
        "source_id": source_id,
        "meta": data.get("meta"),
    }
    start = issued_at
    if kind is POINTS:
        accrued_at = data.get("accrued_at")
        if accrued_at is None:
            period = rate.issue_period if rate is not None and rate.issue_period else definition.issue_period
            period_type = (
                rate.issue_period_type if rate is not None and rate.issue_period else definition.issue_period_type
            )
            accrued_at = periods.after(issued_at, period, period_type or "days") if period else issued_at
        assert accrued_at is not None
        start = accrued_at
        columns.update(
            accrued_at=accrued_at,
            description=data.get("description"),
            transaction_id=transaction_id,
            rate_id=None if rate is None else rate.id,
            rate=None if rate is None else rate.rate,
        )
    if kind is CREDITS:
        columns.update(
            {
                name: data.get(name)
                for name in (
                    "name",
                    "creator_profile_id",
                    "staff_id",
                    "location_id",
                    "recipient_first_name",
                    "recipient_email",
                    "message",
                    "external_namespace",
                    "is_imported",
                )
            }
        )
        columns["credit_number"] = data.get("credit_number") or await _credit_number(session, ctx, definition)
        columns["security_code"] = data.get("security_code") or _security_code(definition.security_code_type)
        taken = select(t.Credit.id).where(
            t.Credit.tenant_id == ctx.tenant_id, t.Credit.credit_number == columns["credit_number"]
        )
        if (await session.execute(taken)).first() is not None:
            raise Invalid.field("credit_number", "The credit number has already been taken.")
    columns["expires_at"] = data.get("expires_at") or default_expiry(definition, start)
    if columns["expires_at"] is not None and columns["expires_at"] <= issued_at:
        raise Invalid.field("expires_at", "The expires at must be a date after issued at.")
    lot = kind.ledger.table(**columns)
    lot.definition = definition
    await ledger.open_lot(session, ctx, lot, description=f"{kind.label} issued.", transaction_id=transaction_id)
    await events.record(session, ctx, f"{kind.name}.issued", lot.id, render(kind, lot))
    return lot


async def get(session: AsyncSession, ctx: Ctx, kind: LotKind, key: Any, profile_id: str | None = None) -> Any:
    where = () if profile_id is None else (kind.ledger.table.profile_id == profile_id,)
    return await crud.get_row(session, ctx, kind.resource, key, *where)


async def update(session: AsyncSession, ctx: Ctx, kind: LotKind, lot: Any, body: LotUpdate) -> Any:
    """Edit an issued lot: value changes become ``adjust`` entries, ``is_void`` voids it, a new
    ``profile_id`` reassigns it (when its definition allows)."""
    given = body.model_dump(exclude_unset=True)
    new_owner = given.get("profile_id")
    if new_owner and new_owner != lot.profile_id:
        # Both owners, in id order, before anything is read (``lot`` is re-read by the lock).
        try:
            await ledger.lock_profiles(session, ctx, lot.profile_id, new_owner, live=False)
        except NotFound:
            raise Invalid.field("profile_id", "The selected profile id is invalid.") from None
    await ledger.lock_profile(session, ctx, lot.profile_id)
    if given.get("is_void"):
        await ledger.void(session, ctx, lot)
        await events.record(session, ctx, f"{kind.name}.voided", lot.id, render(kind, lot))
        return lot
    if lot.is_void and given:
        raise Invalid.field("is_void", f"The {kind.name} is void.")
    if "value_initial" in given and given["value_initial"] is not None and "value_remaining" not in given:
        # A new initial value moves what remains by the same amount.
        given["value_remaining"] = max(Decimal(0), lot.value_remaining + given["value_initial"] - lot.value_initial)
    if given.get("value_remaining") is not None and given["value_remaining"] != lot.value_remaining:
        if given.get("value_initial") is not None:
            lot.value_initial = given["value_initial"]
        if given["value_remaining"] > lot.value_initial:
            raise Invalid.field("value_remaining", "The value remaining may not be greater than the value initial.")
        await ledger.move(session, ctx, lot, "adjust", given["value_remaining"] - lot.value_remaining)
    elif given.get("value_initial") is not None:
        lot.value_initial = given["value_initial"]
    if "expires_at" in given:
        if given["expires_at"] is not None and given["expires_at"] <= lot.issued_at:
            raise Invalid.field("expires_at", "The expires at must be a date after issued at.")
        lot.expires_at = given["expires_at"]
    if new_owner and new_owner != lot.profile_id:
        await _reassign(session, ctx, kind, lot, new_owner)
    for name in ("description", "name", "recipient_first_name", "recipient_email", "message", "meta"):
        if name in given and hasattr(lot, name):
            setattr(lot, name, given[name])
    await session.flush()
    await events.record(session, ctx, f"{kind.name}.updated", lot.id, render(kind, lot))
    return lot


async def _reassign(session: AsyncSession, ctx: Ctx, kind: LotKind, lot: Any, profile_id: str) -> None:
    """Move what remains of a lot to another profile: a ``void`` on the old owner, a fresh lot on the
    new one (each profile's ledger stays its own)."""
    if not lot.definition.is_reassignable:
        raise Invalid.field("profile_id", f"The {kind.label.lower()} definition does not allow reassignment.")
    try:
        await ledger.lock_profile(session, ctx, profile_id)  # locked already, in order, by ``update``
    except NotFound:
        raise Invalid.field("profile_id", "The selected profile id is invalid.") from None
    remaining = lot.value_remaining
    await ledger.void(session, ctx, lot, description=f"Reassigned to {profile_id}.")
    columns = {
        c.key: getattr(lot, c.key) for c in kind.ledger.table.__mapper__.column_attrs if c.key not in ("id", "is_void")
    }
    columns.update(profile_id=profile_id, value_initial=remaining, value_remaining=remaining, source_type=kind.name)
    columns.update(source_id=lot.id, created_at=clock.now(), updated_at=clock.now())
    if kind is CREDITS:
        columns["credit_number"] = None  # numbers are unique: the new lot is found through source_id
    fresh = kind.ledger.table(**columns)
    await ledger.open_lot(session, ctx, fresh, description=f"Reassigned from {lot.profile_id}.")


async def delete(session: AsyncSession, ctx: Ctx, kind: LotKind, lot: Any) -> None:
    """Deleting an issued lot voids it: the row and its ledger stay."""
    await ledger.lock_profile(session, ctx, lot.profile_id)
    await ledger.void(session, ctx, lot, description="Deleted.")
    await events.record(session, ctx, f"{kind.name}.voided", lot.id, render(kind, lot))


def extended_expiry(
    body: ExtendIn, expires_at: datetime | None, definition_days: int | None, now: datetime
) -> datetime:
    """The new expiry an extension gives: ``extend_date``, else ``extend_days`` (or the
    definition's) added to the later of the current expiry and now, to the end of that day."""
    days = body.extend_days or definition_days
    if body.extend_date is not None:
        new_expiry = body.extend_date
    elif days:
        new_expiry = periods.end_of_day(max(expires_at or now, now) + timedelta(days=days))
    else:
        raise Invalid.field("extend_days", "Give extend_date or extend_days (the definition has no extend_days).")
    if new_expiry <= now:
        raise Invalid.field("extend_date", "The extend date must be in the future.")
    return new_expiry


async def extend(session: AsyncSession, ctx: Ctx, kind: LotKind, body: ExtendIn) -> list[Any]:
    """Push the expiry of a profile's lots: to ``extend_date``, or by ``extend_days`` (else the
    definition's ``extend_days``), only where the definition is extendable."""
    await ledger.lock_profile(session, ctx, body.profile_id)
    table = kind.ledger.table
    stmt = select(table).where(
        table.tenant_id == ctx.tenant_id, table.profile_id == body.profile_id, table.id.in_(body.ids)
    )
    lots = list((await session.execute(stmt.order_by(table.id))).scalars())
    missing = sorted(set(body.ids) - {lot.id for lot in lots})
    if missing:
        raise Invalid.field("ids", f"Unknown {kind.name} ids for this profile: {missing}.")
    now = clock.now()
    for lot in lots:
        if not lot.definition.is_extendable:
            raise Invalid.field("ids", f"The {kind.name} {lot.id} is not extendable.")
        if lot.is_void:
            raise Invalid.field("ids", f"The {kind.name} {lot.id} is void.")
        lot.expires_at = extended_expiry(body, lot.expires_at, lot.definition.extend_days, now)
        lot.extended_at = now
        await events.record(session, ctx, f"{kind.name}.extended", lot.id, render(kind, lot))
    await session.flush()
    return lots


async def move_to(session: AsyncSession, ctx: Ctx, loser_id: str, winner_id: str) -> None:
    """On a profile merge the loser's incentives, redemptions and ledger become the winner's: the
    rows keep their history (the customer is one person), only the owner changes. The merge has
    locked both profiles."""
    for table in (t.Reward, t.Point, t.Credit, t.Benefit, t.Redemption, t.LedgerEntry):
        await session.execute(
            sa_update(table)
            .where(table.tenant_id == ctx.tenant_id, table.profile_id == loser_id)
            .values(profile_id=winner_id)
        )


profiles.MERGE_HOOKS.append(move_to)
