"""Redemptions: spending a profile's benefits, rewards, points and credits, in that order of the
hierarchy, and giving value back by reversal (within 10 minutes) or return.

One redemption is one database transaction under the profile's row lock: it expires what is due,
takes from each strategy's lots in consumption order (nearest expiry first), and either covers the
amount or, when ``strict``, is refused with nothing written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, StringConstraints, model_validator
from pydantic import Field as Pyd
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.db.prepared import Insert, Prepared
from omneo_server.domain import crud, events
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import Resource, render_columns, standard_fields
from omneo_server.domain.errors import Invalid, NotFound
from omneo_server.domain.incentives import benefits, ledger, lots
from omneo_server.domain.incentives.ledger import CREDIT, POINT, REWARD, ZERO, Kind, q
from omneo_server.domain.inputs import Body, Handle, Name
from omneo_server.domain.profiles import commands as profiles
from omneo_server.domain.profiles.render import profile_summary
from omneo_server.domain.query import INT_MAX

#: How long a redemption may be reversed (domain-rules §7).
REVERSAL_WINDOW = timedelta(minutes=10)
STRATEGY_KINDS: dict[str, tuple[Kind, ...]] = {
    "rewards": (REWARD,),
    "points": (POINT,),
    "credits": (CREDIT,),
    "rewards_points": (REWARD, POINT),
    "points_rewards": (POINT, REWARD),
}
#: Without ``strategies``: rewards, then points (the combined balance). Credits are a tender and
#: are only spent when asked for.
DEFAULT_STRATEGIES = ("rewards", "points")
Strategy = Literal["rewards", "points", "credits", "rewards_points", "points_rewards"]
Positive = lots.Positive


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class BenefitPick(Body):
    id: Annotated[int, Pyd(ge=1, le=INT_MAX)] | None = None
    handle: Handle | None = None
    quantity: benefits.Count = 1

    @model_validator(mode="after")
    def _named(self) -> BenefitPick:
        if self.id is None and self.handle is None:
            raise ValueError("Each benefit needs an id or a handle.")
        return self


class RedemptionIn(Body):
    amount: Positive | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$", to_upper=True)] | None = None
    strict: bool = True
    strategies: Annotated[list[Strategy], BeforeValidator(_listify), Pyd(max_length=5)] | None = None
    #: The legacy spelling: a handle or an ordered array.
    strategy: Annotated[list[Strategy], BeforeValidator(_listify), Pyd(max_length=5)] | None = None
    benefits: list[BenefitPick] = Pyd(default_factory=list, max_length=50)
    location_id: Annotated[int, Pyd(ge=1, le=INT_MAX)] | None = None
    transaction_external_id: Name | None = None
    transaction_receipt_ref: Name | None = None
    meta: Any = None

    @model_validator(mode="after")
    def _something(self) -> RedemptionIn:
        if self.amount is None and not self.benefits:
            raise ValueError("Give an amount to redeem, or benefits.")
        return self

    def order(self) -> list[Kind]:
        kinds: list[Kind] = []
        for handle in self.strategies or self.strategy or DEFAULT_STRATEGIES:
            kinds.extend(k for k in STRATEGY_KINDS[handle] if k not in kinds)
        return kinds


class RedeemIn(Body):
    """``POST /profiles/{id}/redeem``: an amount from the default strategies."""

    amount: Positive
    meta: Any = None


class ReturnIn(Body):
    amount: Positive | None = None
    strategies: Annotated[list[Strategy], BeforeValidator(_listify), Pyd(max_length=5)] | None = None
    benefits: list[BenefitPick] = Pyd(default_factory=list, max_length=50)
    meta: Any = None


class BenefitReturnIn(Body):
    count: benefits.Count | None = None


_FIELDS = standard_fields(
    t.Redemption,
    "id",
    "profile_id",
    "type",
    "parent_id",
    "total",
    "location_id",
    "transaction_id",
    "transaction_external_id",
    "transaction_receipt_ref",
    "redeem_at",
    "created_at",
    "updated_at",
)
REDEMPTIONS = Resource(
    name="redemptions", event="redemption", table=t.Redemption, filters=_FIELDS, sorts=_FIELDS, label="Redemption"
)
_ITEM_FIELDS = standard_fields(t.RedemptionItem, "id", "redemption_id", "type", "item_id", "value", "created_at")
REDEMPTION_ITEMS = Resource(
    name="redemptions",
    event="redemption_item",
    table=t.RedemptionItem,
    filters=_ITEM_FIELDS,
    sorts=_ITEM_FIELDS,
    label="Redemption item",
)
TABLES: dict[str, Any] = {"reward": t.Reward, "point": t.Point, "credit": t.Credit, "benefit": t.Benefit}
#: Session key for the lots this request's redemption spent, by (kind, id).
_SPENT = "redemption_spent_lots"


# --- rendering -----------------------------------------------------------------------------------


async def _held(session: AsyncSession, items: Sequence[t.RedemptionItem]) -> dict[tuple[str, int], Any]:
    """What the items drew on: from the session when it holds them (a redemption just made), else
    one query per kind."""
    loaded = session.sync_session.identity_map
    kept: dict[tuple[str, int], Any] = session.info.get(_SPENT, {})
    found: dict[tuple[str, int], Any] = {}
    wanted: dict[str, set[int]] = defaultdict(set)
    for item in items:
        row = kept.get((item.type, item.item_id)) or loaded.get(identity_key(TABLES[item.type], item.item_id))
        if row is not None:
            found[(item.type, item.item_id)] = row
        else:
            wanted[item.type].add(item.item_id)
    for kind, ids in wanted.items():
        table = TABLES[kind]
        for row in (await session.execute(select(table).where(table.id.in_(ids)))).scalars():
            found[(kind, row.id)] = row
    return found


def _render_held(kind: str, row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    return benefits.render(row) if kind == "benefit" else lots.render(lots.LOT_KINDS[kind], row)


async def render(
    session: AsyncSession, ctx: Ctx, redemption: t.Redemption, with_balances: bool = True, detail: bool = True
) -> dict[str, Any]:
    """A redemption with its items; ``detail`` adds what each item drew on and the profile summary
    (events carry the ids only: their context is built from them)."""
    held = await _held(session, redemption.items) if detail else {}
    items = []
    for item in redemption.items:
        rendered = render_columns(item)
        if detail:
            rendered["type_attributes"] = _render_held(item.type, held.get((item.type, item.item_id)))
        items.append(rendered)
    out = {**render_columns(redemption), "total_localised": redemption.total, "items": items}
    if detail:
        profile = await session.get(t.Profile, redemption.profile_id)  # held already when redeeming
        statuses = [] if profile is None else await profiles.statuses_in_force(session, profile.id)
        out["profile"] = None if profile is None else profile_summary(profile, statuses)
    if with_balances:
        out["balances"] = await ledger.balances(session, ctx, redemption.profile_id)
    return out


# --- redeeming -----------------------------------------------------------------------------------


async def _benefit_for(session: AsyncSession, ctx: Ctx, profile_id: str, pick: BenefitPick, index: int) -> t.Benefit:
    field = f"benefits.{index}.{'id' if pick.id is not None else 'handle'}"
    stmt = select(t.Benefit).where(t.Benefit.tenant_id == ctx.tenant_id, t.Benefit.profile_id == profile_id)
    if pick.id is not None:
        stmt = stmt.where(t.Benefit.id == pick.id)
    else:
        stmt = (
            stmt.join(t.BenefitDefinition, t.BenefitDefinition.id == t.Benefit.benefit_definition_id)
            .where(t.BenefitDefinition.handle == pick.handle, ledger.redeemable_benefit(clock.now()))
            .order_by(t.Benefit.expires_at.is_(None), t.Benefit.expires_at, t.Benefit.id)
        )
    locked = stmt.limit(1).with_for_update().execution_options(populate_existing=True)
    benefit = (await session.execute(locked)).scalars().first()
    if benefit is None:
        raise Invalid.field(field, "The profile holds no such redeemable benefit.")
    return benefit


_INSERT = Insert(t.Redemption)
_INSERT_ITEM = Insert(t.RedemptionItem)
_TOTAL = Prepared(
    update(t.Redemption)
    .where(t.Redemption.id == bindparam("redemption"))
    .values(total=bindparam("total"), updated_at=bindparam("at"))
)


async def _add_item(session: AsyncSession, redemption: t.Redemption, values: dict[str, Any]) -> None:
    """Write a line of the redemption and add it to its loaded lines (no flush, no read back)."""
    item = await _INSERT_ITEM.adopt(session, values)
    set_committed_value(redemption, "items", [*redemption.items, item])


async def _spend_kind(
    session: AsyncSession,
    ctx: Ctx,
    redemption: t.Redemption,
    kind: Kind,
    dollars: Decimal,
    only: dict[str, list[Any]],
) -> Decimal:
    """Spend up to ``dollars`` from one kind of lot; answer the dollars covered."""
    now = clock.now()
    first = only.get(kind.name, [])
    if kind.name in only and not first:
        return ZERO
    if kind is POINT:
        rate = await ledger.point_dollar_rate(session, ctx)
        wanted = (dollars / rate).quantize(ledger.CENT, rounding=ROUND_CEILING)
    else:
        rate, wanted = Decimal(1), dollars
    if first:
        # A named lot: spend that one only.
        taken = []
        for lot in first:
            if not ledger.is_live(lot, now):
                raise Invalid.field(f"{kind.name}_id", f"The {kind.name} {lot.id} cannot be redeemed.")
            part = min(lot.value_remaining, wanted)
            if part > 0:
                await ledger.move(session, ctx, lot, "spend", -part, redemption_id=redemption.id)
                taken.append((lot, part))
                wanted -= part
    else:
        taken = await ledger.take(
            session, ctx, redemption.profile_id, kind, wanted, "spend", now=now, redemption_id=redemption.id
        )
    covered = ZERO
    spent: dict[tuple[str, int], Any] = session.info.setdefault(_SPENT, {})
    for lot, part in taken:
        spent[(kind.name, lot.id)] = lot  # the answer renders it: keep the row (the session holds it weakly)
        value = min(dollars - covered, q(part * rate))
        covered += value
        await _add_item(
            session,
            redemption,
            {
                "tenant_id": ctx.tenant_id,
                "redemption_id": redemption.id,
                "type": kind.name,
                "item_id": lot.id,
                "value": value,
                "points": part if kind is POINT else None,
                "count": 1,
            },
        )
        await events.record(session, ctx, f"{kind.name}.redeemed", lot.id, {"id": lot.id, "redeemed": part})
    return covered


async def redeem(
    session: AsyncSession,
    ctx: Ctx,
    profile_id: str,
    body: RedemptionIn,
    only: dict[str, list[Any]] | None = None,
) -> t.Redemption:
    """Redeem benefits, then ``amount`` dollars through the strategies in order. ``only`` limits a
    kind to named lots (redeeming one credit)."""
    # Expired lots are already out of every balance; the scheduler writes their expire entries.
    await ledger.lock_profile(session, ctx, profile_id)
    now = clock.now()
    redemption = t.Redemption(
        tenant_id=ctx.tenant_id,
        profile_id=profile_id,
        type="redeem",
        total=ZERO,
        total_requested=body.amount,
        currency=body.currency,
        redeem_at=now,
        location_id=body.location_id,
        transaction_external_id=body.transaction_external_id,
        transaction_receipt_ref=body.transaction_receipt_ref,
        strategies=list(body.strategies or body.strategy or DEFAULT_STRATEGIES),
        meta=body.meta,
        items=[],
    )
    await _INSERT.write(session, redemption)
    for index, pick in enumerate(body.benefits):
        benefit = await _benefit_for(session, ctx, profile_id, pick, index)
        await benefits.spend(session, ctx, benefit, pick.quantity, redemption.id, field=f"benefits.{index}")
        await _add_item(
            session,
            redemption,
            {
                "tenant_id": ctx.tenant_id,
                "redemption_id": redemption.id,
                "type": "benefit",
                "item_id": benefit.id,
                "value": q((benefit.value or ZERO) * pick.quantity),
                "count": pick.quantity,
            },
        )
        await events.record(session, ctx, "benefit.redeemed", benefit.id, benefits.render(benefit))
    covered = ZERO
    if body.amount is not None:
        for kind in body.order():
            if covered >= body.amount:
                break
            covered += await _spend_kind(session, ctx, redemption, kind, body.amount - covered, only or {})
        if covered < body.amount and body.strict:
            raise Invalid.field(
                "amount", f"The amount {body.amount} exceeds the available balance of {covered} for these strategies."
            )
        if covered == 0 and not body.benefits:
            raise Invalid.field("amount", "There is no balance to redeem for these strategies.")
    await _TOTAL.run(session, redemption=redemption.id, total=covered, at=clock.now())
    set_committed_value(redemption, "total", covered)
    await events.record(
        session, ctx, "redemption.created", redemption.id, await render(session, ctx, redemption, False, False)
    )
    return redemption


async def claim_and_redeem(session: AsyncSession, ctx: Ctx, profile: t.Profile, body: benefits.ClaimIn) -> t.Redemption:
    """``claim-redeem``: claim a benefit and use it once, in one transaction (both or neither)."""
    benefit = await benefits.claim(session, ctx, profile, body)
    return await redeem(session, ctx, profile.id, RedemptionIn(benefits=[BenefitPick(id=benefit.id)]))


# --- giving back ---------------------------------------------------------------------------------


async def get(session: AsyncSession, ctx: Ctx, key: Any, profile_id: str | None = None) -> t.Redemption:
    where = () if profile_id is None else (t.Redemption.profile_id == profile_id,)
    row: t.Redemption = await crud.get_row(session, ctx, REDEMPTIONS, key, *where)
    return row


async def _given_back(session: AsyncSession, parent: t.Redemption) -> dict[tuple[str, int], tuple[Decimal, int]]:
    """What reversals and returns of ``parent`` already gave back, per (type, item id)."""
    stmt = (
        select(t.RedemptionItem)
        .join(t.Redemption, t.Redemption.id == t.RedemptionItem.redemption_id)
        .where(t.Redemption.parent_id == parent.id)
    )
    out: dict[tuple[str, int], tuple[Decimal, int]] = defaultdict(lambda: (ZERO, 0))
    for item in (await session.execute(stmt)).scalars():
        value, count = out[(item.type, item.item_id)]
        out[(item.type, item.item_id)] = (value + item.value, count + item.count)
    return out


async def _give_back(
    session: AsyncSession,
    ctx: Ctx,
    parent: t.Redemption,
    how: Literal["reversal", "return"],
    amount: Decimal | None,
    kinds: set[str] | None,
    benefit_counts: dict[int, int] | None,
    meta: Any = None,
) -> t.Redemption:
    await ledger.lock_profile(session, ctx, parent.profile_id)
    back = await _given_back(session, parent)
    child = t.Redemption(
        tenant_id=ctx.tenant_id,
        profile_id=parent.profile_id,
        type=how,
        parent_id=parent.id,
        total=ZERO,
        total_requested=amount,
        currency=parent.currency,
        redeem_at=clock.now(),
        location_id=parent.location_id,
        transaction_id=parent.transaction_id,
        transaction_external_id=parent.transaction_external_id,
        transaction_receipt_ref=parent.transaction_receipt_ref,
        strategies=parent.strategies,
        meta=meta,
        items=[],
    )
    session.add(child)
    await session.flush()
    left = amount
    total = ZERO
    # Give back in the reverse of the order things were taken.
    for item in reversed(parent.items):
        done_value, done_count = back[(item.type, item.item_id)]
        if item.type == "benefit":
            if benefit_counts is None or (benefit_counts and item.item_id not in benefit_counts):
                continue
            count = min(item.count - done_count, benefit_counts.get(item.item_id) or item.count - done_count)
            if count <= 0:
                continue
            benefit = await session.get(t.Benefit, item.item_id, with_for_update=True, populate_existing=True)
            assert benefit is not None
            await benefits.give_back(session, ctx, benefit, count, child.id, how)
            child.items.append(
                t.RedemptionItem(
                    tenant_id=ctx.tenant_id,
                    redemption_id=child.id,
                    type="benefit",
                    item_id=item.item_id,
                    value=ZERO,
                    count=count,
                )
            )
            continue
        if kinds is not None and item.type not in kinds:
            continue
        value = item.value - done_value
        if left is not None:
            value = min(value, left)
        if value <= 0:
            continue
        lot = await session.get(TABLES[item.type], item.item_id, with_for_update=True, populate_existing=True)
        assert lot is not None
        units = value if item.points is None else q(item.points * value / item.value)
        await ledger.move(session, ctx, lot, how, units, redemption_id=child.id, description=f"Redemption {how}.")
        child.items.append(
            t.RedemptionItem(
                tenant_id=ctx.tenant_id,
                redemption_id=child.id,
                type=item.type,
                item_id=item.item_id,
                value=value,
                points=None if item.points is None else units,
                count=1,
            )
        )
        total += value
        if left is not None:
            left -= value
    child.total = total
    await session.flush()
    if not child.items:
        raise Invalid.field("amount", f"Nothing of redemption {parent.id} is left to give back.")
    await events.record(session, ctx, f"redemption.{how}", child.id, await render(session, ctx, child, False, False))
    return child


async def reverse(session: AsyncSession, ctx: Ctx, parent: t.Redemption) -> t.Redemption:
    """Undo a redemption whole, within :data:`REVERSAL_WINDOW` of its creation."""
    await ledger.lock_profile(session, ctx, parent.profile_id)  # re-reads ``parent``
    if parent.type != "redeem":
        raise Invalid.field("redemption_id", "Only a redemption can be reversed, not a return or reversal.")
    if parent.reversed_at is not None:
        raise Invalid.field("redemption_id", f"The redemption {parent.id} has already been reversed.")
    if clock.now() - parent.created_at > REVERSAL_WINDOW:
        raise Invalid.field("redemption_id", "A redemption can only be reversed within 10 minutes of being made.")
    child = await _give_back(session, ctx, parent, "reversal", None, None, {})
    parent.reversed_at = clock.now()
    await session.flush()
    return child


async def give_back(session: AsyncSession, ctx: Ctx, parent: t.Redemption, body: ReturnIn) -> t.Redemption:
    """Return value of a redemption after a product return: up to ``amount`` (else all that is left)
    of the strategies' kinds, plus the benefits named."""
    await ledger.lock_profile(session, ctx, parent.profile_id)  # re-reads ``parent``
    if parent.type != "redeem" or parent.reversed_at is not None:
        raise Invalid.field("redemption_id", f"The redemption {parent.id} cannot be returned.")
    kinds = None if not body.strategies else {k.name for s in body.strategies for k in STRATEGY_KINDS[s]}
    counts: dict[int, int] = {}
    for index, pick in enumerate(body.benefits):
        if pick.id is None:
            raise Invalid.field(f"benefits.{index}.id", "Name returned benefits by id.")
        counts[pick.id] = pick.quantity
    return await _give_back(
        session, ctx, parent, "return", body.amount, kinds, counts if body.benefits else None, body.meta
    )


async def benefit_return(session: AsyncSession, ctx: Ctx, parent: t.Redemption, count: int | None) -> t.Redemption:
    await ledger.lock_profile(session, ctx, parent.profile_id)  # re-reads ``parent``
    if parent.type != "redeem" or parent.reversed_at is not None:
        raise Invalid.field("redemption_id", f"The redemption {parent.id} cannot be returned.")
    benefit_ids = [item.item_id for item in parent.items if item.type == "benefit"]
    if not benefit_ids:
        raise Invalid.field("redemption_id", f"The redemption {parent.id} redeemed no benefit.")
    counts = {benefit_id: count or 0 for benefit_id in benefit_ids}
    return await _give_back(session, ctx, parent, "return", ZERO, set(), counts)


async def count_for(session: AsyncSession, ctx: Ctx, profile_id: str, kind: str, item_id: int) -> int:
    """How many times a profile's reward / point / benefit / credit was redeemed (net of reversals)."""
    if kind not in TABLES:
        raise NotFound("Redemption")
    stmt = (
        select(t.Redemption.type, func.coalesce(func.sum(t.RedemptionItem.count), 0))
        .join(t.Redemption, t.Redemption.id == t.RedemptionItem.redemption_id)
        .where(
            t.Redemption.tenant_id == ctx.tenant_id,
            t.Redemption.profile_id == profile_id,
            t.RedemptionItem.type == kind,
            t.RedemptionItem.item_id == item_id,
        )
        .group_by(t.Redemption.type)
    )
    totals = {kind: total for kind, total in (await session.execute(stmt)).all()}
    return int(totals.get("redeem", 0)) - int(totals.get("reversal", 0))


GROUPABLE = {
    "type": t.Redemption.type,
    "location_id": t.Redemption.location_id,
    "profile_id": t.Redemption.profile_id,
    "transaction_external_id": t.Redemption.transaction_external_id,
    "currency": t.Redemption.currency,
}


async def group_by(session: AsyncSession, ctx: Ctx, attribute: str) -> list[dict[str, Any]]:
    column = GROUPABLE.get(attribute)
    if column is None:
        raise Invalid.field("attribute", f"Redemptions can be grouped by {', '.join(GROUPABLE)}.")
    stmt = select(t.Redemption).where(t.Redemption.tenant_id == ctx.tenant_id).order_by(column, t.Redemption.id)
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in (await session.execute(stmt)).scalars():
        groups[getattr(row, column.key)].append(await render(session, ctx, row, False))
    return [
        {
            attribute: key,
            "count": len(rows),
            "total": sum((r["total"] for r in rows), ZERO),
            "redemptions": {"data": rows},
        }
        for key, rows in groups.items()
    ]
