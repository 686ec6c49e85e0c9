"""Per-profile aggregations, kept current by every write of a transaction (in that transaction).

Two stores, both maintained incrementally: ``aggregations`` (running totals and counts per location,
system and brand) and ``spend_days`` (net spend per local business day). Window facts (12-month
spend, shop days, dimensions) are read from the day rows — one per shopping day, never the history.
``rebuild`` recomputes both from the transactions; it must always agree with the running values.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.db.engine import dialect_insert
from omneo_server.db.prepared import Prepared, sync_held
from omneo_server.domain.catalogue import render_location
from omneo_server.domain.context import Ctx
from omneo_server.wire import money

ZERO = Decimal("0")
UTC = ZoneInfo("UTC")


def local_day(tx: t.Transaction) -> date:
    """The business date of a transaction, in its own timezone."""
    return tx.transacted_at.replace(tzinfo=UTC).astimezone(ZoneInfo(tx.timezone)).date()


async def _locked_row(session: AsyncSession, ctx: Ctx, profile_id: str) -> t.Aggregation:
    """The profile's aggregation row, created if missing, locked for this transaction."""
    await session.execute(
        dialect_insert(session)(t.Aggregation)
        .values(profile_id=profile_id, tenant_id=ctx.tenant_id, systems={}, locations={}, brands={})
        .on_conflict_do_nothing()
    )
    stmt = (
        select(t.Aggregation)
        .where(t.Aggregation.profile_id == profile_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one()


def _bump(counts: Mapping[str, Any], key: str, by: Any) -> dict[str, Any]:
    out = dict(counts)
    value = out.get(key, 0) + by
    if value:
        out[key] = value
    else:
        out.pop(key, None)
    return out


async def _brands(session: AsyncSession, tx: t.Transaction) -> dict[str, int]:
    """Units bought per brand, for the catalogue products the lines name."""
    product_ids = {i.product_id for i in tx.items if i.product_id and not i.is_void}
    if not product_ids:
        return {}
    rows = await session.execute(select(t.Product.id, t.Product.brand).where(t.Product.id.in_(product_ids)))
    brand_of: dict[int, str] = {row[0]: row[1] for row in rows.all()}
    out: dict[str, int] = {}
    for item in tx.items:
        if item.product_id in brand_of and not item.is_void:
            out[brand_of[item.product_id]] = out.get(brand_of[item.product_id], 0) + item.quantity
    return out


async def _edge(session: AsyncSession, profile_id: str, excluding: int, newest: bool) -> t.Transaction | None:
    order = t.Transaction.transacted_at.desc() if newest else t.Transaction.transacted_at.asc()
    stmt = (
        select(t.Transaction)
        .where(t.Transaction.profile_id == profile_id, t.Transaction.is_void.is_(False), t.Transaction.id != excluding)
        .order_by(order, t.Transaction.id.desc() if newest else t.Transaction.id.asc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def _spend_day(insert: Any) -> Any:
    day = t.SpendDay
    stmt = insert(day).values(
        {
            name: bindparam(name, type_=day.__table__.c[name].type)
            for name in ("profile_id", "day", "tenant_id", "net", "transactions", "sales")
        }
    )
    return stmt.on_conflict_do_update(
        index_elements=[day.profile_id, day.day],
        set_={name: getattr(day, name) + getattr(stmt.excluded, name) for name in ("net", "transactions", "sales")},
    )


def _put(insert: Any) -> Any:
    table = t.Aggregation.__table__
    stmt = insert(table).values({c.key: bindparam(c.key, type_=c.type) for c in table.columns})
    return stmt.on_conflict_do_update(
        index_elements=[table.c.profile_id],
        set_={c.key: getattr(stmt.excluded, c.key) for c in table.columns if c.key != "profile_id"},
    )


_SPEND_DAY = Prepared(per_dialect=_spend_day)
_EMPTY_DAY = Prepared(
    delete(t.SpendDay).where(
        t.SpendDay.profile_id == bindparam("profile"), t.SpendDay.day == bindparam("day"), t.SpendDay.transactions <= 0
    )
)
_ROW = Prepared(select(t.Aggregation).where(t.Aggregation.profile_id == bindparam("profile")).with_for_update())
_PUT = Prepared(per_dialect=_put)


def _empty(ctx: Ctx, profile_id: str) -> dict[str, Any]:
    return {
        **{c.key: None for c in t.Aggregation.__table__.columns},
        "profile_id": profile_id,
        "tenant_id": ctx.tenant_id,
        "spend_all": ZERO,
        "transaction_count": 0,
        "discount_total": ZERO,
        "systems": {},
        "locations": {},
        "brands": {},
    }


def _set_latest(agg: dict[str, Any], tx: t.Transaction | None) -> None:
    agg["latest_transaction_id"] = tx.id if tx else None
    agg["latest_transacted_at"] = tx.transacted_at if tx else None
    agg["latest_location_id"] = tx.location_id if tx else None
    agg["latest_shop_spend"] = tx.total if tx else None


async def apply(session: AsyncSession, ctx: Ctx, tx: t.Transaction, sign: int) -> None:
    """Add (``sign=1``) or take away (``-1``) a transaction's effect on its profile's aggregations:
    the day row in one upsert, the running row read (locked), worked out and written in one."""
    if tx.profile_id is None:
        return
    day = local_day(tx)
    sale = 1 if tx.total > 0 else 0
    await _SPEND_DAY.run(
        session,
        profile_id=tx.profile_id,
        day=day,
        tenant_id=ctx.tenant_id,
        net=sign * tx.total,
        transactions=sign,
        sales=sign * sale,
    )
    if sign < 0:
        await _EMPTY_DAY.run(session, profile=tx.profile_id, day=day)

    agg = await _ROW.record(session, profile=tx.profile_id) or _empty(ctx, tx.profile_id)
    agg["spend_all"] += sign * tx.total
    agg["transaction_count"] += sign
    if tx.total_original is not None:
        agg["discount_total"] += sign * (tx.total_original - tx.total)
    if tx.location_id is not None:
        visits = _bump(agg["locations"], f"{tx.location_id}:visits", sign)
        agg["locations"] = _bump(visits, f"{tx.location_id}:spend", sign * tx.total)
    for system in tx.systems or []:
        agg["systems"] = _bump(agg["systems"], system, sign)
    for brand, units in (await _brands(session, tx)).items():
        agg["brands"] = _bump(agg["brands"], brand, sign * units)
    if sign > 0:
        if agg["latest_transacted_at"] is None or tx.transacted_at >= agg["latest_transacted_at"]:
            _set_latest(agg, tx)
        if agg["first_transacted_at"] is None or tx.transacted_at < agg["first_transacted_at"]:
            agg["first_transacted_at"] = tx.transacted_at
    else:
        if agg["latest_transaction_id"] == tx.id:
            _set_latest(agg, await _edge(session, tx.profile_id, tx.id, newest=True))
        if agg["first_transacted_at"] == tx.transacted_at:
            first = await _edge(session, tx.profile_id, tx.id, newest=False)
            agg["first_transacted_at"] = first.transacted_at if first else None
    agg["updated_at"] = clock.now()
    await _PUT.run(session, **agg)
    sync_held(session, t.Aggregation, tx.profile_id, agg)


async def rebuild(session: AsyncSession, ctx: Ctx, profile_id: str) -> None:
    """Recompute a profile's aggregations from its transactions (``…/aggregations/calculate``)."""
    await session.execute(delete(t.SpendDay).where(t.SpendDay.profile_id == profile_id))
    await session.execute(delete(t.Aggregation).where(t.Aggregation.profile_id == profile_id))
    await _locked_row(session, ctx, profile_id)
    stmt = (
        select(t.Transaction)
        .where(t.Transaction.profile_id == profile_id, t.Transaction.is_void.is_(False))
        .order_by(t.Transaction.transacted_at, t.Transaction.id)
    )
    for tx in (await session.execute(stmt)).scalars().all():
        await apply(session, ctx, tx, 1)


# --- reading -------------------------------------------------------------------------------------


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month - (later.day < earlier.day)


def _minus_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _window(days: list[t.SpendDay], end: date) -> tuple[Decimal, int]:
    start = _minus_year(end)
    inside = [d for d in days if start < d.day <= end]
    return sum((d.net for d in inside), ZERO), sum(d.transactions for d in inside)


def _frequency(shop_days: list[date]) -> str:
    if len(shop_days) < 3:
        return ("F0", "F1", "F2")[len(shop_days)]
    average = (shop_days[-1] - shop_days[0]).days / (len(shop_days) - 1)
    return "FH" if average < 30 else "FL"


def _recency(last: date | None, today: date) -> str | None:
    if last is None:
        return None
    months = _months_between(last, today)
    for code, at_least in (("RR", 60), ("RL", 24), ("RI", 12), ("RA", 6), ("RS", 3)):
        if months >= at_least:
            return code
    return "RC"


def _join(joined: date, today: date) -> str:
    age = (today - joined).days
    if age <= 90:
        return "JN"
    if age <= 365:
        return "JC"
    return f"J{_months_between(joined, today) // 12}"


def _channel(systems: Mapping[str, Any]) -> str | None:
    pos, web = bool(systems.get("pos")), bool(systems.get("web"))
    if pos and web:
        return "CO"
    return "CM" if web else "CF" if pos else None


async def render(session: AsyncSession, ctx: Ctx, profile: t.Profile) -> dict[str, Any]:
    agg = await session.get(t.Aggregation, profile.id, populate_existing=True)
    days = list(
        (
            await session.execute(
                select(t.SpendDay).where(t.SpendDay.profile_id == profile.id).order_by(t.SpendDay.day)
            )
        ).scalars()
    )
    today = clock.now().date()
    shop_days = [d.day for d in days if d.net > 0]
    count = agg.transaction_count if agg else 0
    spend_all = agg.spend_all if agg else ZERO
    latest = days[-1].day if days else None
    spend_12m, count_12m = _window(days, latest) if latest else (ZERO, 0)
    spend_12m_now, _ = _window(days, today)
    average_days = (shop_days[-1] - shop_days[0]).days / len(shop_days) if len(shop_days) >= 3 else None
    locations = agg.locations if agg else {}
    visits = {k.split(":")[0]: v for k, v in locations.items() if k.endswith(":visits")}
    spend = {k.split(":")[0]: v for k, v in locations.items() if k.endswith(":spend")}
    wanted = {int(k) for k in visits} | ({agg.latest_location_id} if agg and agg.latest_location_id else set())
    rows = await session.execute(select(t.Location).where(t.Location.id.in_(wanted))) if wanted else None
    names = {loc.id: loc for loc in rows.scalars()} if rows is not None else {}

    def location(location_id: Any) -> dict[str, Any] | None:
        found = names.get(int(location_id)) if location_id is not None else None
        return render_location(found) if found is not None else None

    joined = (profile.joined_at or profile.created_at).date()
    return {
        "profile_id": profile.id,
        "shop_count": len(shop_days),
        "transaction_count": count,
        "spend_all": money(spend_all),
        "spend_12m": money(spend_12m),
        "spend_12m_now": money(spend_12m_now),
        "spend_atv_all": money(spend_all / count) if count else None,
        "spend_atv_12m": money(spend_12m / count_12m) if count_12m else None,
        "discount_avg": money(agg.discount_total / count) if agg and count else None,
        "spend_first_date": days[0].day if days else None,
        "spend_last_date": latest,
        "second_shop_date": shop_days[1] if len(shop_days) > 1 else None,
        "previous_shop_date": shop_days[-2] if len(shop_days) > 1 else None,
        "first_shop_days": max(0, (shop_days[0] - joined).days) if shop_days else None,
        "second_shop_days": (shop_days[1] - shop_days[0]).days if len(shop_days) > 1 else None,
        "latest_shop_days": (shop_days[-1] - shop_days[-2]).days if len(shop_days) > 1 else None,
        "total_shop_days": (shop_days[-1] - shop_days[0]).days if shop_days else None,
        "average_shop_days": round(average_days) if average_days is not None else None,
        "at_risk_date": shop_days[-1] + timedelta(days=round(3 * average_days)) if average_days is not None else None,
        "shop_days": len(shop_days),
        "dimension_frequency": _frequency(shop_days),
        "dimension_recency": _recency(shop_days[-1] if shop_days else None, today),
        "dimension_join": _join(joined, today),
        "channel": _channel(agg.systems if agg else {}),
        "latest_shop_spend": money(agg.latest_shop_spend) if agg and agg.latest_shop_spend is not None else None,
        "latest_transacted_location": location(agg.latest_location_id if agg else None),
        "most_transacted_location": location(max(visits, key=lambda k: (visits[k], k))) if visits else None,
        "most_spend_location": location(max(spend, key=lambda k: (spend[k], k))) if spend else None,
        "transacted_locations": sorted(n.name for n in names.values() if str(n.id) in visits),
        "purchased_brands": sorted(b for b, units in (agg.brands if agg else {}).items() if units > 0),
        "latest_transacted_at": agg.latest_transacted_at if agg else None,
        "first_transacted_at": agg.first_transacted_at if agg else None,
        **_NOT_INFERRED,
        "created_at": profile.created_at,
        "updated_at": agg.updated_at if agg else None,
    }


#: What the hosted aggregations infer and this platform does not (yet): answered as null.
_NOT_INFERRED = {
    "latest_shop_currency": None,
    "most_spend_12m_location": None,
    "store_join": None,
    "likely_country": None,
    "likely_country_iso": None,
    "likely_region": None,
    "likely_state_iso": None,
    "likely_country_score": None,
    "likely_country_iso_score": None,
    "likely_region_score": None,
    "likely_state_iso_score": None,
    "top_historic_status": None,
    "total_referred": None,
}
