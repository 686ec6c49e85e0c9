"""Orders: unfinished sales (web orders, lay-bys). Mutable, no effect on incentives or
aggregations; an order is fulfilled by zero, one or many transactions that name it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.domain import custom_fields, events
from omneo_server.domain.commerce import sales
from omneo_server.domain.commerce.schemas import ItemIn, OrderIn
from omneo_server.domain.commerce.transactions import render as render_transaction
from omneo_server.domain.context import Ctx
from omneo_server.domain.errors import Invalid, NotFound
from omneo_server.domain.query import Field, ListQuery, Page, apply, paginate

LABEL = "Order"
FILTERS: dict[str, Field] = {
    "id": Field(t.Order.id, int),
    "profile_id": Field(t.Order.profile_id),
    "external_id": Field(t.Order.external_id),
    "order_number": Field(t.Order.order_number),
    "status": Field(t.Order.status),
    "type": Field(t.Order.type),
    "total": Field(t.Order.total, Decimal),
    "transacted_at": Field(t.Order.transacted_at, datetime),
    "created_at": Field(t.Order.created_at, datetime),
}
SORTS = {k: FILTERS[k] for k in ("id", "total", "transacted_at", "created_at")}


async def render(session: AsyncSession, order: t.Order) -> dict[str, Any]:
    out = sales.render_sale(order)
    fulfilled = await session.execute(
        select(t.Transaction).where(t.Transaction.order_id == order.id).order_by(t.Transaction.id)
    )
    out["transactions"] = [render_transaction(tx) for tx in fulfilled.scalars()]
    out["claimed_at"] = None  # an order is never claimed; its transactions are
    return out


async def _values(session: AsyncSession, ctx: Ctx, body: OrderIn) -> dict[str, Any]:
    sales.check_lines(body)
    values = body.model_dump(exclude={"items", "custom_fields", "profile_id_handle", "location_id", "profile_id"})
    values["profile_id"] = await sales.resolve_profile(session, ctx, body)
    location = await sales.resolve_location(session, ctx, body.location_id)
    values["location_id"] = None if location is None else location.id
    return values


async def _unique_external(session: AsyncSession, ctx: Ctx, external_id: str | None, own: int | None) -> None:
    if not external_id:
        return
    stmt = select(t.Order.id).where(t.Order.tenant_id == ctx.tenant_id, t.Order.external_id == external_id)
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is not None and found != own:
        raise Invalid.field("external_id", "The external id has already been taken.")


async def create(session: AsyncSession, ctx: Ctx, body: OrderIn) -> t.Order:
    values = await _values(session, ctx, body)
    await _unique_external(session, ctx, body.external_id, None)
    order = t.Order(tenant_id=ctx.tenant_id, **values)
    lines = await sales.item_values(session, ctx, body.items, sales.is_return(body))
    order.items = [t.OrderItem(tenant_id=ctx.tenant_id, **_order_line(line)) for line in lines]
    session.add(order)
    await session.flush()
    for field in body.custom_fields:
        await custom_fields.set_custom(
            session, ctx, "order", str(order.id), field.namespace, field.handle, field.type, field.value, field.name
        )
    await session.refresh(order, ["items", "location", "custom_fields"])
    await events.record(session, ctx, "order.created", order.id, await render(session, order))
    return order


def _order_line(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != "is_return"}


async def update(session: AsyncSession, ctx: Ctx, order: t.Order, raw: dict[str, Any]) -> t.Order:
    """Orders are mutable: the body merges onto the order; ``items``, when sent, replace them."""
    merged = OrderIn.model_validate({**_as_input(order), **raw})
    values = await _values(session, ctx, merged)
    await _unique_external(session, ctx, merged.external_id, order.id)
    for key, value in values.items():
        setattr(order, key, value)
    if "items" in raw:
        lines = await sales.item_values(session, ctx, merged.items, sales.is_return(merged))
        order.items = [t.OrderItem(tenant_id=ctx.tenant_id, **_order_line(line)) for line in lines]
    order.updated_at = clock.now()
    await session.flush()
    await session.refresh(order, ["items", "location"])
    await events.record(session, ctx, "order.updated", order.id, await render(session, order))
    return order


def _as_input(order: t.Order) -> dict[str, Any]:
    """The stored order as a create body (so a partial update is validated as a whole)."""
    out = {k: v for k, v in sales.render_sale(order).items() if k in OrderIn.model_fields}
    out["items"] = [{k: v for k, v in i.items() if k in ItemIn.model_fields} for i in out.get("items", [])]
    out.pop("custom_fields", None)
    return out


async def add_item(session: AsyncSession, ctx: Ctx, order: t.Order, item: ItemIn) -> t.OrderItem:
    (line,) = await sales.item_values(session, ctx, [item], False)
    row = t.OrderItem(tenant_id=ctx.tenant_id, **_order_line(line))
    order.items.append(row)
    await session.flush()
    await events.record(session, ctx, "order.updated", order.id, await render(session, order))
    return row


def find_item(order: t.Order, item_id: str) -> t.OrderItem:
    found = next((i for i in order.items if str(i.id) == item_id), None)
    if found is None:
        raise NotFound("Order item")
    return found


async def update_item(session: AsyncSession, ctx: Ctx, order: t.Order, item: t.OrderItem, raw: dict[str, Any]) -> None:
    current = {k: getattr(item, k) for k in ItemIn.model_fields if hasattr(item, k)}
    merged = ItemIn.model_validate({**current, **raw})
    (line,) = await sales.item_values(session, ctx, [merged], False)
    for key, value in _order_line(line).items():
        setattr(item, key, value)
    await session.flush()
    await events.record(session, ctx, "order.updated", order.id, await render(session, order))


async def delete(session: AsyncSession, ctx: Ctx, order: t.Order) -> None:
    payload = await render(session, order)
    await session.delete(order)
    await session.flush()
    await events.record(session, ctx, "order.deleted", order.id, payload)


async def get(session: AsyncSession, ctx: Ctx, order_id: Any) -> t.Order:
    order: t.Order = await sales.get_sale(session, ctx, t.Order, order_id, LABEL)
    return order


async def list_orders(session: AsyncSession, ctx: Ctx, query: ListQuery, profile_id: str | None = None) -> Page:
    stmt = select(t.Order).where(t.Order.tenant_id == ctx.tenant_id)
    if profile_id is not None:
        stmt = stmt.where(t.Order.profile_id == profile_id)
    stmt = apply(
        stmt, query, FILTERS, SORTS, (t.Order.order_number, t.Order.external_id), default_sort=(t.Order.id.desc(),)
    )
    return await paginate(session, stmt, query)


async def resend(session: AsyncSession, ctx: Ctx, order: t.Order) -> None:
    """Fire the order's event again (``order.resent``) for downstream systems."""
    await events.record(session, ctx, "order.resent", order.id, await render(session, order))
