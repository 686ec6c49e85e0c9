"""Transactions: completed sales and returns. What was sold is immutable once written; a correction
is a void or a return. Every write keeps the profile's aggregations current in the same
transaction and appends its event."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, case, func, select
from sqlalchemy import update as sa_update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.db.prepared import Insert, Prepared
from omneo_server.domain import custom_fields, events
from omneo_server.domain.commerce import aggregations, sales
from omneo_server.domain.commerce.schemas import ClaimIn, ItemIn, TransactionIn, TransactionUpdate, TransactionUpsert
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import render_columns
from omneo_server.domain.errors import Conflict, Invalid, NotFound
from omneo_server.domain.incentives import earning, ledger, tiers
from omneo_server.domain.profiles import commands as profiles
from omneo_server.domain.query import Field, ListQuery, Page, apply, paginate
from omneo_server.wire import dumps, parse_timestamp

LABEL = "Transaction"
#: What describes a sale and may change after it is written.
DESCRIBING = (
    "status",
    "tags",
    "meta",
    "need_action",
    "receipt_email",
    "receipt_is_email",
    "order_id",
    "order_number",
    "linked_receipt_ref",
)
#: What was sold: these never change once a transaction is written.
COMMERCIAL = ("profile_id", "transacted_at", "timezone", "total", "location_id", "items")

FILTERS: dict[str, Field] = {
    "id": Field(t.Transaction.id, int),
    "profile_id": Field(t.Transaction.profile_id),
    "external_id": Field(t.Transaction.external_id),
    "receipt_ref": Field(t.Transaction.receipt_ref),
    "location_id": Field(t.Transaction.location_id, int),
    "order_id": Field(t.Transaction.order_id, int),
    "order_number": Field(t.Transaction.order_number),
    "total": Field(t.Transaction.total, Decimal),
    "transacted_at": Field(t.Transaction.transacted_at, datetime),
    "created_at": Field(t.Transaction.created_at, datetime),
    "timezone": Field(t.Transaction.timezone),
    "type": Field(t.Transaction.type),
    "status": Field(t.Transaction.status),
    "is_void": Field(t.Transaction.is_void, bool),
    "need_action": Field(t.Transaction.need_action, bool),
    "system": Field(t.Transaction.system),
    "location.external_id": Field(t.Location.external_id, via=(t.Transaction.location,)),
    "location.name": Field(t.Location.name, via=(t.Transaction.location,)),
    "items.sku": Field(t.TransactionItem.sku, via=(t.Transaction.items,)),
}
SORTS = {k: FILTERS[k] for k in ("id", "total", "transacted_at", "created_at", "external_id")}


def render(tx: t.Transaction) -> dict[str, Any]:
    out = sales.render_sale(tx)
    out["tags"] = tx.tags or []
    out["reversed_redemptions"] = []  # a sale here reverses no redemption (a reversal is its own command)
    out["tier_points"] = [tiers.render_point(point) for point in tx.tier_points]
    return out


def _lines(items: list[dict[str, Any]]) -> list[tuple[str, int, str]]:
    """The lines sold, canonically (in any order; void lines sold nothing)."""
    return sorted(
        (str(i.get("sku") or i.get("name")), i["quantity"], str(Decimal(i["price_sell"]).quantize(sales.CENT)))
        for i in items
        if not i.get("is_void")
    )


def _fingerprint(values: dict[str, Any], items: list[dict[str, Any]]) -> str:
    """What was sold, canonically: two writes of the same sale have the same fingerprint."""
    lines = _lines(items)
    content = [
        values.get("profile_id"),
        str(values["transacted_at"]),
        values["timezone"],
        str(Decimal(values["total"]).quantize(sales.CENT)),
        values.get("location_id"),
        lines,
    ]
    return hashlib.sha256(dumps(content).encode()).hexdigest()


def _stored_items(tx: t.Transaction) -> list[dict[str, Any]]:
    return [
        {"sku": i.sku, "name": i.name, "quantity": i.quantity, "price_sell": i.price_sell, "is_void": i.is_void}
        for i in tx.items
    ]


def _stored_fingerprint(tx: t.Transaction) -> str:
    values = {k: getattr(tx, k) for k in ("profile_id", "transacted_at", "timezone", "total", "location_id")}
    return _fingerprint(values, _stored_items(tx))


def _same_lines(tx: t.Transaction, sent: Any) -> bool:
    """Are the lines sent (a GET's, PUT back) the ones sold?"""
    if not isinstance(sent, list):
        return False
    try:
        lines = [ItemIn.model_validate(item).model_dump() for item in sent]
    except ValidationError:
        return False
    return _lines(lines) == _lines(_stored_items(tx))


async def _prepare(
    session: AsyncSession, ctx: Ctx, body: TransactionIn
) -> tuple[dict[str, Any], list[dict[str, Any]], t.Location | None]:
    """Validated column values, lines and location for a new transaction (nothing written yet)."""
    sales.check_lines(body)
    values = body.model_dump(
        exclude={
            "items",
            "custom_fields",
            "profile_id_handle",
            "id",
            "delete_existing_items",
            "location_id",
            "profile_id",
        }
    )
    values["profile_id"] = await sales.resolve_profile(session, ctx, body)
    location = await sales.resolve_location(session, ctx, body.location_id)
    values["location_id"] = None if location is None else location.id
    values["system"] = body.systems[0] if body.systems else ""
    if body.order_id is not None:
        await sales.get_sale(session, ctx, t.Order, body.order_id, "Order")
    items = await sales.item_values(session, ctx, body.items, sales.is_return(body))
    return values, items, location


_EXISTING = Prepared(
    select(t.Transaction.id).where(
        t.Transaction.tenant_id == bindparam("tenant"),
        t.Transaction.system == bindparam("system"),
        t.Transaction.external_id == bindparam("external_id"),
    )
)
_INSERT = Insert(t.Transaction)
_INSERT_ITEM = Insert(t.TransactionItem)


async def _existing(session: AsyncSession, ctx: Ctx, system: str, external_id: str | None) -> t.Transaction | None:
    if not external_id:
        return None
    found = await _EXISTING.one(session, tenant=ctx.tenant_id, system=system, external_id=external_id)
    return None if found is None else await session.get(t.Transaction, found[0])


async def create(session: AsyncSession, ctx: Ctx, body: TransactionIn) -> tuple[t.Transaction, bool]:
    """Write a transaction; the same sale sent again answers the stored one (``created`` is False),
    a different sale under a used ``external_id`` is a conflict."""
    values, items, location = await _prepare(session, ctx, body)
    existing = await _existing(session, ctx, values["system"], body.external_id)
    if existing is not None:
        if _stored_fingerprint(existing) == _fingerprint(values, items):
            return existing, False
        raise Conflict(
            f"A different transaction with external_id {body.external_id} from this system already exists.",
            {"external_id": ["The external id has already been taken by a different transaction."]},
        )
    # Written by prepared statements and adopted (``db/prepared.py``): the hot path of ingest.
    tx: t.Transaction = await _INSERT.adopt(
        session, {**values, "tenant_id": ctx.tenant_id}, location=location, custom_fields=[], tier_points=[]
    )
    lines = await _INSERT_ITEM.adopt_many(
        session, [{**item, "tenant_id": ctx.tenant_id, "transaction_id": tx.id} for item in items]
    )
    set_committed_value(tx, "items", lines)
    for field in body.custom_fields:
        await custom_fields.set_custom(
            session, ctx, "transaction", str(tx.id), field.namespace, field.handle, field.type, field.value, field.name
        )
    if body.custom_fields:
        await session.refresh(tx, ["custom_fields"])
    if tx.profile_id is None:
        await _match_open_claims(session, ctx, tx)
    if not tx.is_void:
        await _effects(session, ctx, tx, 1)
    await events.record(session, ctx, "transaction.created", tx.id, render(tx))
    return tx, True


async def _effects(session: AsyncSession, ctx: Ctx, tx: t.Transaction, sign: int) -> None:
    """Add (``sign=1``) or take away (``-1``) what a transaction does to its profile: aggregations,
    then points and tier points earned. The profile is locked first, the one lock order every
    incentive command follows (profile, then aggregations, then lots), so two sales cannot deadlock."""
    if tx.profile_id is not None:
        await ledger.lock_profile(session, ctx, tx.profile_id, live=False)
    await aggregations.apply(session, ctx, tx, sign)
    await (earning.earn if sign > 0 else earning.undo)(session, ctx, tx)


def _changed_commercial(tx: t.Transaction, values: dict[str, Any], items: list[dict[str, Any]]) -> list[str]:
    if _stored_fingerprint(tx) == _fingerprint(values, items):
        return []
    return [name for name in COMMERCIAL if name == "items" or values.get(name) != getattr(tx, name)] or ["items"]


async def update(session: AsyncSession, ctx: Ctx, tx: t.Transaction, body: TransactionUpdate) -> t.Transaction:
    """Change what describes a sale (status, tags, meta, void, order link…), never what was sold."""
    sent = body.model_dump(exclude_unset=True)
    frozen = [name for name in sorted(set(sent) & FROZEN) if not _same(tx, name, sent[name])]
    if frozen:
        raise Invalid(
            {name: [f"The {name} of a transaction cannot be changed; void it or record a return."] for name in frozen}
        )
    if "order_id" in sent and sent["order_id"] is not None:
        await sales.get_sale(session, ctx, t.Order, sent["order_id"], "Order")
    was_void = tx.is_void
    for name in DESCRIBING:
        if name in sent:
            setattr(tx, name, sent[name])
    if sent.get("is_void") is not None and sent["is_void"] != was_void:
        tx.is_void = sent["is_void"]
        await _effects(session, ctx, tx, -1 if tx.is_void else 1)
        await events.record(
            session, ctx, "transaction.voided" if tx.is_void else "transaction.unvoided", tx.id, render(tx)
        )
    for field in body.custom_fields or []:
        await custom_fields.set_custom(
            session, ctx, "transaction", str(tx.id), field.namespace, field.handle, field.type, field.value, field.name
        )
    await session.flush()
    await session.refresh(tx, ["custom_fields"])
    tx.updated_at = clock.now()
    await session.flush()
    await events.record(session, ctx, "transaction.updated", tx.id, render(tx))
    return tx


FROZEN = {*COMMERCIAL, "external_id", "systems", "payments"}


def _same(tx: t.Transaction, name: str, sent: Any) -> bool:
    """Is a value sent for a frozen field the one already stored (clients often PUT a record back)?"""
    if name == "items":
        return _same_lines(tx, sent)
    current = getattr(tx, name)
    try:
        if name == "total":
            return bool(Decimal(str(sent)) == current)
        if name == "transacted_at":
            return bool(parse_timestamp(sent) == current)
    except (ArithmeticError, ValueError, TypeError):
        return False
    return bool(sent == current)


async def update_create(session: AsyncSession, ctx: Ctx, body: TransactionUpsert) -> tuple[t.Transaction, bool]:
    """Upsert on ``id`` or ``external_id``: a new sale is created; an existing one may only change
    what describes it (the lines and amounts must be those already stored)."""
    existing: t.Transaction | None = None
    if body.id is not None:
        existing = await get(session, ctx, body.id)
    else:
        existing = await _existing(session, ctx, body.systems[0] if body.systems else "", body.external_id)
    if existing is None:
        return await create(session, ctx, body)
    values, items, _location = await _prepare(session, ctx, body)
    changed = _changed_commercial(existing, values, items)
    if changed:
        raise Invalid(
            {name: ["What was sold cannot be changed; void the transaction or record a return."] for name in changed}
        )
    describing = body.model_dump(include={*DESCRIBING, "is_void"})
    update_body = TransactionUpdate.model_validate({**describing, "custom_fields": body.model_dump()["custom_fields"]})
    return await update(session, ctx, existing, update_body), False


async def get(session: AsyncSession, ctx: Ctx, tx_id: Any) -> t.Transaction:
    tx: t.Transaction = await sales.get_sale(session, ctx, t.Transaction, tx_id, LABEL)
    return tx


async def get_by_external_id(session: AsyncSession, ctx: Ctx, external_id: str) -> t.Transaction:
    stmt = (
        select(t.Transaction)
        .where(t.Transaction.tenant_id == ctx.tenant_id, t.Transaction.external_id == external_id)
        .order_by(t.Transaction.id)
        .limit(1)
    )
    tx = (await session.execute(stmt)).scalar_one_or_none()
    if tx is None:
        raise NotFound(LABEL)
    return tx


async def delete(session: AsyncSession, ctx: Ctx, tx: t.Transaction) -> None:
    if not tx.is_void:
        await _effects(session, ctx, tx, -1)
    payload = render(tx)
    await session.delete(tx)
    await session.flush()
    await events.record(session, ctx, "transaction.deleted", payload["id"], payload)


async def list_transactions(session: AsyncSession, ctx: Ctx, query: ListQuery, profile_id: str | None = None) -> Page:
    stmt = select(t.Transaction).where(t.Transaction.tenant_id == ctx.tenant_id)
    if profile_id is not None:
        stmt = stmt.where(t.Transaction.profile_id == profile_id)
    stmt = apply(
        stmt,
        query,
        FILTERS,
        SORTS,
        (t.Transaction.receipt_ref, t.Transaction.external_id),
        default_sort=(t.Transaction.transacted_at.desc(), t.Transaction.id.desc()),
    )
    return await paginate(session, stmt, query)


async def resend(session: AsyncSession, ctx: Ctx, tx: t.Transaction) -> t.Transaction:
    await events.record(session, ctx, "transaction.resent", tx.id, render(tx))
    return tx


async def event_trigger(session: AsyncSession, ctx: Ctx, tx: t.Transaction, event: str) -> t.Transaction:
    """``transaction.recalculate`` rebuilds the profile's aggregations; both record the event."""
    if event == "transaction.recalculate" and tx.profile_id is not None:
        await aggregations.rebuild(session, ctx, tx.profile_id)
    await events.record(session, ctx, event, tx.id, render(tx))
    return tx


# --- claims ----------------------------------------------------------------------------------------


async def detach(session: AsyncSession, ctx: Ctx, tx: t.Transaction) -> t.Transaction:
    """``unattach``: the transaction becomes anonymous again (and leaves the profile's aggregations)."""
    if not tx.is_void:
        await _effects(session, ctx, tx, -1)
    tx.profile_id, tx.claimed_at = None, None
    await session.flush()
    await events.record(session, ctx, "transaction.updated", tx.id, render(tx))
    return tx


async def _attach(session: AsyncSession, ctx: Ctx, tx: t.Transaction, claim: t.TransactionClaim) -> None:
    tx.profile_id, tx.claimed_at = claim.profile_id, clock.now()
    claim.status, claim.claimed_transaction_id, claim.claimed_at = "claimed", tx.id, tx.claimed_at
    await session.flush()
    if not tx.is_void:
        await _effects(session, ctx, tx, 1)
    await events.record(session, ctx, "transaction.claimed", tx.id, render(tx))


def _claim_matches(claim: ClaimIn | t.TransactionClaim) -> Callable[[t.Transaction], bool]:
    """Optional details on a claim (total, date, store) must agree with the transaction."""

    def check(tx: t.Transaction) -> bool:
        if claim.transaction_total is not None and Decimal(claim.transaction_total) != tx.total:
            return False
        if (
            claim.transaction_transacted_at is not None
            and abs(claim.transaction_transacted_at - tx.transacted_at).days > 1
        ):
            return False
        code = claim.transaction_location_external_code
        return code is None or (
            tx.location is not None and code in (tx.location.external_code, tx.location.external_id)
        )

    return check


async def claim(session: AsyncSession, ctx: Ctx, profile: t.Profile, body: ClaimIn) -> t.TransactionClaim:
    """Claim a guest transaction by receipt or external id. Matched now if it exists; otherwise kept
    open and matched when the transaction arrives. A transaction is claimed once."""
    if not (body.transaction_receipt_ref or body.transaction_external_id):
        raise Invalid.field("transaction_receipt_ref", "A receipt reference or external id is required.")
    claim_row = t.TransactionClaim(
        tenant_id=ctx.tenant_id, profile_id=profile.id, attempts=1, last_checked_at=clock.now(), **body.model_dump()
    )
    candidates = await _candidates(session, ctx, body.transaction_receipt_ref, body.transaction_external_id)
    matching = [tx for tx in candidates if _claim_matches(body)(tx)]
    if matching:
        tx = matching[0]
        if tx.profile_id == profile.id:
            raise Conflict(
                "This transaction has already been claimed by this profile.",
                {"transaction_receipt_ref": ["The transaction has already been claimed."]},
            )
        if tx.profile_id is not None:
            raise Invalid.field("transaction_receipt_ref", "The transaction belongs to another profile.")
        session.add(claim_row)
        await _attach(session, ctx, tx, claim_row)
    else:
        session.add(claim_row)
        await session.flush()
    await events.record(session, ctx, "transaction_claim.created", claim_row.id, render_claim(claim_row))
    return claim_row


async def _candidates(
    session: AsyncSession, ctx: Ctx, receipt_ref: str | None, external_id: str | None
) -> list[t.Transaction]:
    stmt = select(t.Transaction).where(t.Transaction.tenant_id == ctx.tenant_id)
    if external_id:
        stmt = stmt.where(t.Transaction.external_id == external_id)
    if receipt_ref:
        stmt = stmt.where(t.Transaction.receipt_ref == receipt_ref)
    return list((await session.execute(stmt.order_by(t.Transaction.id))).scalars())


async def _match_open_claims(session: AsyncSession, ctx: Ctx, tx: t.Transaction) -> None:
    """A guest transaction arriving after a claim for it is attached to the claimant."""
    if not (tx.receipt_ref or tx.external_id):
        return
    stmt = (
        select(t.TransactionClaim)
        .where(t.TransactionClaim.tenant_id == ctx.tenant_id, t.TransactionClaim.status == "pending")
        .order_by(t.TransactionClaim.id)
    )
    for open_claim in (await session.execute(stmt)).scalars():
        refs_match = (open_claim.transaction_receipt_ref in (None, tx.receipt_ref)) and (
            open_claim.transaction_external_id in (None, tx.external_id)
        )
        if refs_match and _claim_matches(open_claim)(tx):
            open_claim.attempts += 1
            open_claim.last_checked_at = clock.now()
            tx.profile_id, tx.claimed_at = open_claim.profile_id, clock.now()
            open_claim.status, open_claim.claimed_at = "claimed", tx.claimed_at
            await session.flush()
            open_claim.claimed_transaction_id = tx.id
            return


def render_claim(claim_row: t.TransactionClaim) -> dict[str, Any]:
    return render_columns(claim_row)


async def purchased_variants(
    session: AsyncSession, ctx: Ctx, profile_id: str, query: ListQuery
) -> tuple[Page, dict[int, dict[str, Any]]]:
    """Catalogue variants a profile bought (newest purchase first) with units bought and returned."""
    quantity = t.TransactionItem.quantity
    stats = (
        select(
            t.TransactionItem.product_variant_id.label("variant_id"),
            func.sum(case((quantity > 0, quantity), else_=0)).label("purchase_qty"),
            func.sum(case((quantity < 0, -quantity), else_=0)).label("refund_qty"),
            func.count().label("lines"),
            func.max(t.Transaction.transacted_at).label("latest_transacted_at"),
        )
        .join(t.Transaction, t.Transaction.id == t.TransactionItem.transaction_id)
        .where(
            t.Transaction.tenant_id == ctx.tenant_id,
            t.Transaction.profile_id == profile_id,
            t.Transaction.is_void.is_(False),
            t.TransactionItem.product_variant_id.is_not(None),
        )
        .group_by(t.TransactionItem.product_variant_id)
        .subquery()
    )
    stmt = (
        select(t.ProductVariant)
        .join(stats, t.ProductVariant.id == stats.c.variant_id)
        .order_by(stats.c.latest_transacted_at.desc(), t.ProductVariant.id)
    )
    result = await paginate(session, stmt, query)
    rows = await session.execute(select(stats).where(stats.c.variant_id.in_([v.id for v in result.rows])))
    counts = {
        row.variant_id: {
            "purchase_qty": int(row.purchase_qty),
            "refund_qty": int(row.refund_qty),
            "count": int(row.lines),
            "latest_transacted_at": row.latest_transacted_at,
        }
        for row in rows
    }
    return result, counts


async def move_to(session: AsyncSession, ctx: Ctx, loser_id: str, winner_id: str) -> None:
    """On a profile merge: the loser's transactions, orders and claims become the winner's, and the
    winner's aggregations are rebuilt from the combined history."""
    owned: tuple[Any, ...] = (t.Transaction, t.Order, t.TransactionClaim, t.Interaction)
    for table in owned:
        await session.execute(
            sa_update(table)
            .where(table.tenant_id == ctx.tenant_id, table.profile_id == loser_id)
            .values(profile_id=winner_id)
        )
    await aggregations.rebuild(session, ctx, loser_id)
    await aggregations.rebuild(session, ctx, winner_id)


profiles.MERGE_HOOKS.append(move_to)
