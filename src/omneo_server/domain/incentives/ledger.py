"""The ledger: every movement of a profile's rewards, points and credits, appended and never edited.

Each reward, points issue and credit is a *lot*. Issuing one appends an ``issue`` entry; every later
movement (``spend``, ``expire``, ``void``, ``reversal``, ``return``, ``adjust``) appends an entry
naming the lot and the issue entry it draws from or gives back to (``allocated_from_id``: the
allocation). A lot's ``value_remaining`` is a cache of its entries' sum, kept in the same database
transaction, and :func:`verify` recomputes every one of them.

Balances follow the spec's formula: the sum of ``value_remaining`` over the profile's *live* lots
(not void, not expired, and for points already accrued). Money never goes negative: a movement that
would take a lot below zero, or spend more than a balance holds, is refused before anything is
written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.db.prepared import Insert, Prepared, adopt
from omneo_server.domain import events, locks, reference
from omneo_server.domain.context import Ctx
from omneo_server.domain.errors import Invalid, NotFound
from omneo_server.domain.profiles import commands as profiles
from omneo_server.domain.profiles import documents
from omneo_server.domain.profiles.render import live_statuses, profile_summary

ZERO = Decimal("0")
CENT = Decimal("0.01")
#: Dollars per point when the tenant has not set ``point_dollar_rate`` (100 points = $1).
DEFAULT_POINT_DOLLAR_RATE = Decimal("0.01")
RATE_SETTING = "point_dollar_rate"

Lot = t.Reward | t.Point | t.Credit


@dataclass(frozen=True)
class Kind:
    """One kind of spendable lot."""

    name: str
    table: Any  # type[Reward | Point | Credit]: mypy cannot select() from a union of classes
    label: str
    #: Whether balances count it in dollars (rewards, credits) or points.
    in_points: bool = False


REWARD = Kind("reward", t.Reward, "Reward")
POINT = Kind("point", t.Point, "Point", in_points=True)
CREDIT = Kind("credit", t.Credit, "Credit")
KINDS = {k.name: k for k in (REWARD, POINT, CREDIT)}


def kind_of(lot: Lot) -> Kind:
    return REWARD if isinstance(lot, t.Reward) else POINT if isinstance(lot, t.Point) else CREDIT


def q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def live(kind: Kind, now: Any) -> ColumnElement[bool]:
    """Lots that count toward a balance and may be spent at ``now`` (a moment, or a parameter)."""
    table = kind.table
    conditions = [
        table.is_void.is_(False),
        table.value_remaining > 0,
        table.issued_at <= now,
        or_(table.expires_at.is_(None), table.expires_at > now),
    ]
    if kind is POINT:
        conditions.append(t.Point.accrued_at <= now)
    return and_(*conditions)


def is_live(lot: Lot, now: datetime) -> bool:
    accrued = not isinstance(lot, t.Point) or lot.accrued_at <= now
    unexpired = lot.expires_at is None or lot.expires_at > now
    return not lot.is_void and lot.value_remaining > 0 and lot.issued_at <= now and unexpired and accrued


def _rate(value: Any) -> Decimal:
    try:
        rate = Decimal(str(value)) if value not in (None, "") else DEFAULT_POINT_DOLLAR_RATE
    except ArithmeticError:
        return DEFAULT_POINT_DOLLAR_RATE
    return rate if rate > 0 else DEFAULT_POINT_DOLLAR_RATE


async def point_dollar_rate(session: AsyncSession, ctx: Ctx) -> Decimal:
    """Dollars per point: the tenant's ``point_dollar_rate`` setting, else 0.01 (read once per
    transaction)."""
    if "point_dollar_rate" not in session.info:
        found = await reference.rows(session, ctx, t.Setting, lambda setting: setting.handle == RATE_SETTING)
        session.info["point_dollar_rate"] = _rate(found[0].value if found else None)
    rate: Decimal = session.info["point_dollar_rate"]
    return rate


async def balance(session: AsyncSession, profile_id: str, kind: Kind, now: datetime | None = None) -> Decimal:
    found = await _BALANCE[kind.name].one(session, profile=profile_id, now=now or clock.now())
    return Decimal(found[0] if found is not None else 0)


async def benefit_balance(session: AsyncSession, profile_id: str, now: datetime | None = None) -> int:
    """How many of the profile's benefits could be redeemed now."""
    now = now or clock.now()
    stmt = select(func.count()).where(t.Benefit.profile_id == profile_id, redeemable_benefit(now))
    return int((await session.execute(stmt)).scalar_one())


def redeemable_benefit(now: datetime) -> ColumnElement[bool]:
    return and_(
        t.Benefit.is_void.is_(False),
        t.Benefit.issued_at <= now,
        or_(t.Benefit.expires_at.is_(None), t.Benefit.expires_at > now),
        or_(t.Benefit.redemptions_remaining.is_(None), t.Benefit.redemptions_remaining > 0),
    )


def _balances_statement() -> Prepared:
    profile: Any = bindparam("profile")
    now: Any = bindparam("now")

    def total(kind: Kind) -> Any:
        table = kind.table
        summed = select(func.coalesce(func.sum(table.value_remaining), 0))
        return summed.where(table.profile_id == profile, live(kind, now)).scalar_subquery()

    benefits = select(func.count()).where(t.Benefit.profile_id == profile, redeemable_benefit(now))
    setting = select(t.Setting.value).where(
        t.Setting.tenant_id == bindparam("tenant"), t.Setting.handle == "point_dollar_rate"
    )
    return Prepared(
        select(
            total(REWARD).label("reward"),
            total(POINT).label("point"),
            total(CREDIT).label("credit"),
            benefits.scalar_subquery().label("benefits"),
            setting.limit(1).scalar_subquery().label("rate"),
        )
    )


_BALANCES = _balances_statement()


async def balances(session: AsyncSession, ctx: Ctx, profile_id: str) -> dict[str, Any]:
    """The Balances object (entities.md §1.9), read in one statement."""
    row = await _BALANCES.one(session, profile=profile_id, now=clock.now(), tenant=ctx.tenant_id)
    assert row is not None
    reward, points, credit = (Decimal(row[i]) for i in range(3))
    point_dollars = q(points * _rate(row[4]))
    combined = reward + point_dollars
    return {
        "reward_balance": reward,
        "point_balance": points,
        "point_balance_dollars": point_dollars,
        "credit_balance": credit,
        "benefit_balance": int(row[3]),
        "combined_balance_dollars": combined,
        "currency": None,
        "localised": {
            "reward_balance": reward,
            "point_balance_dollars": point_dollars,
            "combined_balance_dollars": combined,
        },
    }


async def _profile_balances(session: AsyncSession, ctx: Ctx, profile_id: str) -> dict[str, Any]:
    found = await balances(session, ctx, profile_id)
    return {k: v for k, v in found.items() if k.endswith("_balance") or k.endswith("_dollars")}


profiles.RENDER_HOOKS.append(_profile_balances)


def _changes_statement() -> Prepared:
    profile: Any = bindparam("profile")
    now: Any = bindparam("now")

    def first(table: Any, *columns: Any) -> Any:
        held = [table.profile_id == profile, table.is_void.is_(False)]
        if table is t.Benefit:
            held.append(or_(t.Benefit.redemptions_remaining.is_(None), t.Benefit.redemptions_remaining > 0))
        else:
            held.append(table.value_remaining > 0)
        return [
            select(func.min(column)).where(*held, column > now).scalar_subquery().label(f"{table.__tablename__}_{n}")
            for n, column in enumerate(columns)
        ]

    return Prepared(
        select(
            *first(t.Reward, t.Reward.issued_at, t.Reward.expires_at),
            *first(t.Credit, t.Credit.issued_at, t.Credit.expires_at),
            *first(t.Point, t.Point.issued_at, t.Point.accrued_at, t.Point.expires_at),
            *first(t.Benefit, t.Benefit.issued_at, t.Benefit.expires_at),
        )
    )


_CHANGES = _changes_statement()


async def _balances_change_at(session: AsyncSession, ctx: Ctx, profile_id: str, now: datetime) -> datetime | None:
    """When the profile's balances next change by time alone: a lot or benefit issued for later,
    points accruing, or one expiring (one statement)."""
    row = await _CHANGES.one(session, profile=profile_id, now=now)
    found = [moment for moment in row or () if moment is not None]
    return min(found) if found else None


documents.VALIDITY_HOOKS.append(_balances_change_at)


#: The profile lock every command moving a profile's incentives takes first (``domain/locks.py``).
lock_profile = locks.lock_profile
lock_profiles = locks.lock_profiles


# The ledger's statements, prepared once (``db/prepared.py``): a movement is a handful of them.
_ISSUE_ENTRY = Prepared(
    select(t.LedgerEntry.id)
    .where(
        t.LedgerEntry.kind == bindparam("kind"),
        t.LedgerEntry.lot_id == bindparam("lot"),
        t.LedgerEntry.entry_type == "issue",
    )
    .limit(1)
)
_APPEND = Prepared(
    insert(t.LedgerEntry)
    .values(
        {
            name: bindparam(name)
            for name in (
                "tenant_id",
                "profile_id",
                "kind",
                "lot_id",
                "entry_type",
                "amount",
                "dollar_value",
                "balance_after",
                "allocated_from_id",
                "redemption_id",
                "transaction_id",
                "description",
                "expires_at",
                "created_at",
                "updated_at",
            )
        }
    )
    .returning(t.LedgerEntry.id)
)
_SET_REMAINING = {
    kind.name: Prepared(
        update(kind.table)
        .where(kind.table.id == bindparam("lot"))
        .values(value_remaining=bindparam("remaining"), updated_at=bindparam("at"))
    )
    for kind in KINDS.values()
}
_INSERT_LOT = {kind.name: Insert(kind.table) for kind in KINDS.values()}
_BALANCE = {
    kind.name: Prepared(
        select(func.coalesce(func.sum(kind.table.value_remaining), 0)).where(
            kind.table.profile_id == bindparam("profile"), live(kind, bindparam("now"))
        )
    )
    for kind in KINDS.values()
}


async def _issue_entry_id(session: AsyncSession, kind: str, lot_id: int) -> int | None:
    found = await _ISSUE_ENTRY.one(session, kind=kind, lot=lot_id)
    return None if found is None else int(found[0])


async def _append(
    session: AsyncSession,
    ctx: Ctx,
    *,
    profile_id: str,
    kind: str,
    lot_id: int,
    entry_type: str,
    amount: Decimal,
    dollar_value: Decimal,
    balance_after: Decimal,
    allocated_from_id: int | None = None,
    redemption_id: int | None = None,
    transaction_id: int | None = None,
    description: str | None = None,
    expires_at: datetime | None = None,
) -> int:
    """Append one entry (ledger rows are never changed); answer its id."""
    now = clock.now()
    written = await _APPEND.one(
        session,
        tenant_id=ctx.tenant_id,
        profile_id=profile_id,
        kind=kind,
        lot_id=lot_id,
        entry_type=entry_type,
        amount=amount,
        dollar_value=dollar_value,
        balance_after=balance_after,
        allocated_from_id=allocated_from_id,
        redemption_id=redemption_id,
        transaction_id=transaction_id,
        description=description,
        expires_at=expires_at,
        created_at=now,
        updated_at=now,
    )
    assert written is not None
    return int(written[0])


async def _dollars(session: AsyncSession, ctx: Ctx, kind: Kind, amount: Decimal) -> Decimal:
    return q(amount * await point_dollar_rate(session, ctx)) if kind.in_points else amount


async def open_lot(
    session: AsyncSession, ctx: Ctx, lot: Lot, *, description: str | None = None, transaction_id: int | None = None
) -> int:
    """Write a new lot with its ``issue`` entry (answered by id). The lot's ``value_remaining``
    starts at ``value_initial``; a smaller remaining is recorded as an ``adjust`` after the issue."""
    kind = kind_of(lot)
    if lot.value_initial < 0:
        raise Invalid.field("value_initial", "The value initial must be at least 0.")
    wanted = lot.value_remaining if lot.value_remaining is not None else lot.value_initial
    if not ZERO <= wanted <= lot.value_initial:
        raise Invalid.field("value_remaining", "The value remaining must be between 0 and the value initial.")
    lot.value_remaining = lot.value_initial
    await _INSERT_LOT[kind.name].write(session, lot)
    if isinstance(lot, t.Point):  # answered with its rate, from the cached programme (no statement)
        rates = await reference.rows(session, ctx, t.Rate, lambda row: row.id == lot.rate_id)
        set_committed_value(lot, "rate_record", rates[0] if rates else None)
    await documents.invalidate(session, lot.profile_id)
    entry = await _append(
        session,
        ctx,
        profile_id=lot.profile_id,
        kind=kind.name,
        lot_id=lot.id,
        entry_type="issue",
        amount=lot.value_initial,
        dollar_value=await _dollars(session, ctx, kind, lot.value_initial),
        balance_after=await balance(session, lot.profile_id, kind),
        transaction_id=transaction_id,
        description=description,
        expires_at=lot.expires_at,
    )
    if wanted != lot.value_initial:
        await move(session, ctx, lot, "adjust", wanted - lot.value_initial, description="Issued partly used.")
    return entry


async def move(
    session: AsyncSession,
    ctx: Ctx,
    lot: Lot,
    entry_type: str,
    amount: Decimal,
    *,
    redemption_id: int | None = None,
    transaction_id: int | None = None,
    description: str | None = None,
    balance_after: Decimal | None = None,
) -> int:
    """Change a lot by ``amount`` (negative takes value away) and append the entry that says so
    (answered by id). ``balance_after``, when the caller knows it, saves a query."""
    kind = kind_of(lot)
    remaining = lot.value_remaining + amount
    if remaining < 0:
        raise Invalid.field("amount", f"The {kind.name} {lot.id} holds only {lot.value_remaining}.")
    now = clock.now()
    await _SET_REMAINING[kind.name].run(session, lot=lot.id, remaining=remaining, at=now)
    # The row was written past the ORM: its loaded copy says what the database now holds.
    set_committed_value(lot, "value_remaining", remaining)
    set_committed_value(lot, "updated_at", now)
    await documents.invalidate(session, lot.profile_id)
    if balance_after is None:
        balance_after = await balance(session, lot.profile_id, kind)
    return await _append(
        session,
        ctx,
        profile_id=lot.profile_id,
        kind=kind.name,
        lot_id=lot.id,
        entry_type=entry_type,
        amount=amount,
        dollar_value=await _dollars(session, ctx, kind, amount),
        balance_after=balance_after,
        allocated_from_id=await _issue_entry_id(session, kind.name, lot.id),
        redemption_id=redemption_id,
        transaction_id=transaction_id,
        description=description,
        expires_at=lot.expires_at,
    )


def _live_lots_statement(kind: Kind) -> Prepared:
    table = kind.table
    return Prepared(
        select(table)
        .where(table.profile_id == bindparam("profile"), live(kind, bindparam("now")))
        .order_by(table.expires_at.is_(None), table.expires_at, table.issued_at, table.id)
        .with_for_update()
    )


_LIVE_LOTS = {kind.name: _live_lots_statement(kind) for kind in KINDS.values()}


async def live_lots(
    session: AsyncSession, ctx: Ctx, profile_id: str, kind: Kind, now: datetime, ids: Sequence[int] | None = None
) -> list[Any]:
    """The profile's spendable lots in consumption order: nearest expiry first (never-expiring
    last), then oldest, locked for this transaction (with their definitions, from the cache)."""
    table = kind.table
    if ids is not None:
        stmt = (
            select(table)
            .where(table.profile_id == profile_id, live(kind, now), table.id.in_(ids))
            .order_by(table.expires_at.is_(None), table.expires_at, table.issued_at, table.id)
            .with_for_update()
        )
        return list((await session.execute(stmt)).scalars())
    rows = await _LIVE_LOTS[kind.name].rows(session, profile=profile_id, now=now)
    if not rows:
        return []
    defined_by = _LIVE_LOTS[kind.name].columns().index(f"{kind.name}_definition_id")
    needed = {row[defined_by] for row in rows}
    cls = table.definition.property.mapper.class_
    definitions = {d.id: d for d in await reference.rows(session, ctx, cls, lambda d: d.id in needed)}
    return [adopt(session, table, row, definition=definitions[row[defined_by]]) for row in rows]


async def take(
    session: AsyncSession,
    ctx: Ctx,
    profile_id: str,
    kind: Kind,
    wanted: Decimal,
    entry_type: str,
    *,
    now: datetime,
    redemption_id: int | None = None,
    transaction_id: int | None = None,
    description: str | None = None,
    first: Sequence[Lot] = (),
) -> list[tuple[Lot, Decimal]]:
    """Take up to ``wanted`` from the profile's live lots (``first`` before the usual order) and
    say what came from where; never more than the lots hold."""
    taken: list[tuple[Lot, Decimal]] = []
    seen: set[int] = set()
    spendable = await live_lots(session, ctx, profile_id, kind, now)
    left = sum((lot.value_remaining for lot in spendable), ZERO)  # the balance, as the entries record it
    for lot in [*first, *spendable]:
        if wanted <= 0:
            break
        if lot.id in seen or lot.value_remaining <= 0:
            continue
        seen.add(lot.id)
        part = min(lot.value_remaining, wanted)
        left -= part
        await move(
            session,
            ctx,
            lot,
            entry_type,
            -part,
            redemption_id=redemption_id,
            transaction_id=transaction_id,
            description=description,
            balance_after=left,
        )
        taken.append((lot, part))
        wanted -= part
    return taken


async def expire_due(session: AsyncSession, ctx: Ctx, profile_id: str | None = None) -> int:
    """Write ``expire`` entries for lots past their expiry that still hold value (one profile, or the
    whole tenant for the scheduler). Balances already leave expired lots out; this closes them."""
    now = clock.now()

    def due(kind: Kind) -> Any:
        table = kind.table
        return (
            table.tenant_id == ctx.tenant_id,
            table.is_void.is_(False),
            table.value_remaining > 0,
            table.expires_at.is_not(None),
            table.expires_at <= now,
        )

    if profile_id is not None:
        owners = [profile_id]
    else:
        found: set[str] = set()
        for kind in KINDS.values():
            found.update((await session.execute(select(kind.table.profile_id).where(*due(kind)).distinct())).scalars())
        owners = sorted(found)
    count = 0
    for owner in owners:
        # The one lock order: the profile, then its lots (a redemption may be spending them now).
        await lock_profile(session, ctx, owner, live=False)
        count += await _expire_lots(session, ctx, owner, due)
    return count


async def _expire_lots(session: AsyncSession, ctx: Ctx, profile_id: str, due: Any) -> int:
    count = 0
    for kind in KINDS.values():
        table = kind.table
        stmt = select(table).where(table.profile_id == profile_id, *due(kind)).order_by(table.id).with_for_update()
        for lot in (await session.execute(stmt.execution_options(populate_existing=True))).scalars():
            expired = lot.value_remaining
            await move(session, ctx, lot, "expire", -expired, description="Expired.")
            await events.record(
                session,
                ctx,
                f"{kind.name}.expired",
                lot.id,
                {"id": lot.id, "profile_id": lot.profile_id, "value": expired},
            )
            count += 1
    return count


#: How far ahead "expiring soon" events are sent.
EXPIRING_NOTICE = timedelta(days=7)


async def announce_expiring(session: AsyncSession, ctx: Ctx, now: datetime) -> int:
    """Record ``{kind}.expiring`` once for each lot that will expire within :data:`EXPIRING_NOTICE`
    with value left (an extension announces again: the notice is per expiry date)."""
    count = 0
    for kind in KINDS.values():
        table = kind.table
        stmt = select(table).where(
            table.tenant_id == ctx.tenant_id,
            table.is_void.is_(False),
            table.value_remaining > 0,
            table.expires_at > now,
            table.expires_at <= now + EXPIRING_NOTICE,
        )
        for lot in (await session.execute(stmt.order_by(table.id))).scalars():
            if await events.once(session, ctx, "expiring", lot.id, f"{kind.name}:{lot.expires_at:%Y%m%d%H%M%S}"):
                payload = {
                    "id": lot.id,
                    "profile_id": lot.profile_id,
                    "value_remaining": lot.value_remaining,
                    "expires_at": lot.expires_at,
                }
                await events.record(session, ctx, f"{kind.name}.expiring", lot.id, payload)
                count += 1
    return count


async def void(session: AsyncSession, ctx: Ctx, lot: Lot, description: str = "Voided.") -> None:
    """Void a lot: its remaining value leaves the balance through a ``void`` entry; the row stays."""
    if lot.is_void:
        return
    if lot.value_remaining > 0:
        await move(session, ctx, lot, "void", -lot.value_remaining, description=description)
    lot.is_void = True
    await session.flush()


# --- reading the ledger --------------------------------------------------------------------------


def render_entry(entry: t.LedgerEntry, profile: t.Profile) -> dict[str, Any]:
    """The ledger entry shape (entities.md §5.2, with the legacy dollar/point columns); ``profile``
    loaded with its statuses."""
    in_points = entry.kind == "point"
    return {
        "id": entry.id,
        "profile_id": profile.id,
        "profile": profile_summary(profile, [status.status.handle for status in live_statuses(profile)]),
        "type": entry.kind,
        "type_attributes": None,
        "ledgerable_type": entry.kind,
        "ledgerable_id": entry.lot_id,
        "entry_type": entry.entry_type,
        "description": entry.description,
        "amount": entry.amount,
        "dollar_value": None if in_points else entry.dollar_value,
        "dollar_balance": None if in_points else entry.balance_after,
        "point_value": entry.amount if in_points else None,
        "point_balance": entry.balance_after if in_points else None,
        "point_dollar_value": entry.dollar_value if in_points else None,
        "allocated_from_id": entry.allocated_from_id,
        "redemption_id": entry.redemption_id,
        "transaction_id": entry.transaction_id,
        "expires_at": entry.expires_at,
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
    }


async def entries(session: AsyncSession, ctx: Ctx, profile_id: str) -> list[t.LedgerEntry]:
    stmt = (
        select(t.LedgerEntry)
        .where(t.LedgerEntry.tenant_id == ctx.tenant_id, t.LedgerEntry.profile_id == profile_id)
        .order_by(t.LedgerEntry.id.desc())
    )
    return list((await session.execute(stmt)).scalars())


async def entry(session: AsyncSession, ctx: Ctx, profile_id: str, entry_id: int) -> t.LedgerEntry:
    stmt = select(t.LedgerEntry).where(
        t.LedgerEntry.tenant_id == ctx.tenant_id,
        t.LedgerEntry.profile_id == profile_id,
        t.LedgerEntry.id == entry_id,
    )
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        raise NotFound("Ledger")
    return row


# --- verification --------------------------------------------------------------------------------


async def verify(session: AsyncSession, tenant_id: int | None = None) -> list[str]:
    """Recompute every lot's remaining value (and every limited benefit's remaining redemptions)
    from the ledger; answer one line per difference, or nothing when all agree."""
    problems: list[str] = []
    for kind in KINDS.values():
        table = kind.table
        sums = (
            select(t.LedgerEntry.lot_id, func.sum(t.LedgerEntry.amount).label("total"))
            .where(t.LedgerEntry.kind == kind.name)
            .group_by(t.LedgerEntry.lot_id)
            .subquery()
        )
        stmt = select(table.id, table.tenant_id, table.profile_id, table.value_remaining, sums.c.total).outerjoin(
            sums, sums.c.lot_id == table.id
        )
        if tenant_id is not None:
            stmt = stmt.where(table.tenant_id == tenant_id)
        for lot_id, tenant, profile_id, remaining, total in await session.execute(stmt):
            derived = Decimal(total if total is not None else 0)
            if remaining != derived:
                problems.append(
                    f"tenant {tenant} profile {profile_id} {kind.name} {lot_id}: "
                    f"value_remaining {remaining} but the ledger sums to {derived}"
                )
            if remaining < 0:
                problems.append(f"tenant {tenant} profile {profile_id} {kind.name} {lot_id}: negative {remaining}")
    sums = (
        select(t.LedgerEntry.lot_id, func.sum(t.LedgerEntry.amount).label("total"))
        .where(t.LedgerEntry.kind == "benefit")
        .group_by(t.LedgerEntry.lot_id)
        .subquery()
    )
    limited = (
        select(t.Benefit.id, t.Benefit.tenant_id, t.Benefit.redemptions_remaining, sums.c.total)
        .outerjoin(sums, sums.c.lot_id == t.Benefit.id)
        .where(t.Benefit.redemptions_remaining.is_not(None))
    )
    if tenant_id is not None:
        limited = limited.where(t.Benefit.tenant_id == tenant_id)
    for benefit_id, tenant, remaining, total in await session.execute(limited):
        derived = Decimal(total if total is not None else 0)
        if Decimal(remaining) != derived or remaining < 0:
            problems.append(
                f"tenant {tenant} benefit {benefit_id}: redemptions_remaining {remaining} "
                f"but the ledger sums to {derived}"
            )
    return problems
