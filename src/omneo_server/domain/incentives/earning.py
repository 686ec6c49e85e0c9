"""Earning from transactions: reward points and tier points through rates.

When a transaction lands on a profile, every published point definition of type ``reward`` or
``tier`` is considered with the transaction's net total as the base:

* reward points are earned only where a rate matches (the rate *is* the earn rule), as
  ``base * rate``, spendable from the rate's (else the definition's) issue period;
* tier points are ``base * rate``, or the raw base when no rate matches (tier points are net spend
  unless a rate says otherwise).

A return (negative total) takes points back: proportionally to what the linked original
(``linked_receipt_ref``) earned when there is one, else through the rate; from the original's lots
first, then nearest expiry, never below zero. Voiding, deleting or detaching a transaction undoes
every point movement it caused, and restoring it earns again.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.domain import reference
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import render_columns
from omneo_server.domain.incentives import ledger, lots, rates, tiers
from omneo_server.domain.incentives.ledger import POINT, ZERO, q


async def _definitions(session: AsyncSession, ctx: Ctx) -> list[t.PointDefinition]:
    """The published point definitions that earn (reward and tier points), in id order."""
    return await reference.rows(
        session,
        ctx,
        t.PointDefinition,
        lambda d: d.is_published and not d.is_archived and d.type in ("reward", "tier"),
    )


def _transaction_data(tx: t.Transaction) -> dict[str, Any]:
    """What product conditions see: the transaction's fields and its items."""
    return {
        **render_columns(tx, exclude=("tenant_id",)),
        "items": [render_columns(item) for item in tx.items],
    }


async def _original(session: AsyncSession, tx: t.Transaction) -> t.Transaction | None:
    if not tx.linked_receipt_ref:
        return None
    stmt = select(t.Transaction).where(
        t.Transaction.tenant_id == tx.tenant_id,
        t.Transaction.profile_id == tx.profile_id,
        t.Transaction.receipt_ref == tx.linked_receipt_ref,
        t.Transaction.id != tx.id,
        t.Transaction.total > 0,
        t.Transaction.is_void.is_(False),
    )
    return (await session.execute(stmt.order_by(t.Transaction.id).limit(1))).scalar_one_or_none()


async def _earned_points(session: AsyncSession, transaction_id: int, definition_id: int) -> list[t.Point]:
    stmt = select(t.Point).where(
        t.Point.transaction_id == transaction_id,
        t.Point.point_definition_id == definition_id,
        t.Point.source_type == "transaction",
    )
    return list((await session.execute(stmt.order_by(t.Point.id))).scalars())


async def _tier_total(session: AsyncSession, transaction_id: int, definition_id: int) -> Decimal:
    stmt = select(func.coalesce(func.sum(t.TierPoint.value), 0)).where(
        t.TierPoint.transaction_id == transaction_id, t.TierPoint.point_definition_id == definition_id
    )
    return Decimal((await session.execute(stmt)).scalar_one())


async def earn(session: AsyncSession, ctx: Ctx, tx: t.Transaction) -> None:
    """Apply a (non-void, profile-linked) transaction's earning."""
    if tx.profile_id is None or tx.is_void or tx.total == 0:
        return
    definitions = await _definitions(session, ctx)
    if not definitions:
        return
    profile = await ledger.lock_profile(session, ctx, tx.profile_id, live=False)
    if profile.deleted_at is not None:
        return  # a deleted profile earns nothing more
    profile_data = render_columns(profile)
    item_data = _transaction_data(tx)
    when = min(tx.transacted_at, clock.now())
    original = await _original(session, tx) if tx.total < 0 else None
    for definition in definitions:
        rate = await rates.resolve(
            session,
            ctx,
            definition.id,
            now=tx.transacted_at,
            location=tx.location,
            profile_data=profile_data,
            item_data=item_data,
        )
        if definition.type == "tier":
            await _earn_tier(session, ctx, tx, definition, rate, original, when)
        else:
            await _earn_reward(session, ctx, tx, definition, rate, original, when)


async def _earn_tier(
    session: AsyncSession,
    ctx: Ctx,
    tx: t.Transaction,
    definition: t.PointDefinition,
    rate: t.Rate | None,
    original: t.Transaction | None,
    when: datetime,
) -> None:
    assert tx.profile_id is not None
    if original is not None:
        share = min(Decimal(1), -tx.total / original.total)
        value = -q(await _tier_total(session, original.id, definition.id) * share)
    else:
        value = rates.points_for(tx.total, rate, Decimal(1))
    if value == 0:
        return
    point = await tiers.add_points(
        session,
        ctx,
        tx.profile_id,
        definition,
        value,
        issued_at=when,
        rate_id=None if rate is None else rate.id,
        transaction_id=tx.id,
        source_type="transaction",
        source_id=tx.id,
    )
    if "tier_points" in tx.__dict__:  # the sale answers what it earned
        set_committed_value(tx, "tier_points", [*tx.tier_points, point])


async def _earn_reward(
    session: AsyncSession,
    ctx: Ctx,
    tx: t.Transaction,
    definition: t.PointDefinition,
    rate: t.Rate | None,
    original: t.Transaction | None,
    when: datetime,
) -> None:
    assert tx.profile_id is not None
    if tx.total > 0:
        points = rates.points_for(tx.total, rate, None) if rate is not None else ZERO
        if points <= 0:
            return
        await lots.issue(
            session,
            ctx,
            lots.POINTS,
            tx.profile_id,
            lots.PointIn(value_initial=points, issued_at=when, description=f"Earned on transaction {tx.id}."),
            source_type="transaction",
            source_id=tx.id,
            transaction_id=tx.id,
            rate=rate,
            definition=definition,
        )
        return
    first: list[t.Point] = []
    if original is not None:
        first = await _earned_points(session, original.id, definition.id)
        share = min(Decimal(1), -tx.total / original.total)
        points = q(sum((lot.value_initial for lot in first), ZERO) * share)
    else:
        points = rates.points_for(-tx.total, rate, None) if rate is not None else ZERO
    if points > 0:
        await ledger.take(
            session,
            ctx,
            tx.profile_id,
            POINT,
            points,
            "return",
            now=clock.now(),
            transaction_id=tx.id,
            description=f"Taken back for return transaction {tx.id}.",
            first=[lot for lot in first if ledger.is_live(lot, clock.now())],
        )


async def undo(session: AsyncSession, ctx: Ctx, tx: t.Transaction) -> None:
    """Bring the net effect of ``tx`` on the profile's points and tier points back to zero (void,
    delete, detach). Working from the net makes undo → redo → undo come out right."""
    if tx.profile_id is None:
        return
    net_stmt = select(func.coalesce(func.sum(t.LedgerEntry.amount), 0)).where(
        t.LedgerEntry.tenant_id == ctx.tenant_id, t.LedgerEntry.transaction_id == tx.id, t.LedgerEntry.kind == "point"
    )
    net = Decimal((await session.execute(net_stmt)).scalar_one())
    tier_stmt = (
        select(t.TierPoint.point_definition_id, func.sum(t.TierPoint.value))
        .where(t.TierPoint.transaction_id == tx.id)
        .group_by(t.TierPoint.point_definition_id)
    )
    tier_totals = [(d, Decimal(v)) for d, v in (await session.execute(tier_stmt)).all() if v]
    if not net and not tier_totals:
        return
    await ledger.lock_profile(session, ctx, tx.profile_id, live=False)
    now = clock.now()
    if net > 0:
        earned = select(t.Point).where(t.Point.transaction_id == tx.id, t.Point.source_type == "transaction")
        first = [lot for lot in (await session.execute(earned)).scalars() if ledger.is_live(lot, now)]
        await ledger.take(
            session,
            ctx,
            tx.profile_id,
            POINT,
            net,
            "reversal",
            now=now,
            transaction_id=tx.id,
            description=f"Transaction {tx.id} undone.",
            first=first,
        )
    elif net < 0:
        returns = select(t.LedgerEntry).where(
            t.LedgerEntry.transaction_id == tx.id, t.LedgerEntry.kind == "point", t.LedgerEntry.entry_type == "return"
        )
        left = -net
        for entry in (await session.execute(returns.order_by(t.LedgerEntry.id.desc()))).scalars():
            if left <= 0:
                break
            lot = await session.get(t.Point, entry.lot_id, with_for_update=True, populate_existing=True)
            assert lot is not None
            part = min(-entry.amount, left)
            await ledger.move(
                session, ctx, lot, "reversal", part, transaction_id=tx.id, description=f"Return {tx.id} undone."
            )
            left -= part
    for definition_id, total in tier_totals:
        definition = await session.get(t.PointDefinition, definition_id)
        assert definition is not None
        await tiers.add_points(
            session,
            ctx,
            tx.profile_id,
            definition,
            -total,
            issued_at=min(tx.transacted_at, now),
            transaction_id=tx.id,
            source_type="transaction",
            source_id=tx.id,
        )
