"""``/transactions``, ``/orders`` and their profile-scoped routes, claims and aggregations."""

from __future__ import annotations

from typing import Any

from fastapi import Body, Depends, Request
from pydantic import BaseModel
from sqlalchemy import select
from starlette.responses import Response

from omneo_server.api import render, routing
from omneo_server.api.deps import database, requires
from omneo_server.api.resources import list_query
from omneo_server.api.routes.custom_fields import mount_owner_fields
from omneo_server.api.routes.profiles import _find as find_profile
from omneo_server.db import tables as t
from omneo_server.domain.commerce import aggregations, orders, sales
from omneo_server.domain.commerce import transactions as txs
from omneo_server.domain.commerce.schemas import (
    ClaimIn,
    EventTriggerIn,
    ItemIn,
    OrderIn,
    TransactionIn,
    TransactionUpdate,
    TransactionUpsert,
)
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import render_columns
from omneo_server.domain.errors import Invalid, NotFound
from omneo_server.domain.query import paginate
from omneo_server.jobs import queue

router = routing.router(tags=["commerce"])
READ_TX, CREATE_TX, UPDATE_TX, DELETE_TX = (
    requires(f"{v}-transactions") for v in ("read", "create", "update", "delete")
)
READ_ORDER, CREATE_ORDER, UPDATE_ORDER, DELETE_ORDER = (
    requires(f"{v}-orders") for v in ("read", "create", "update", "delete")
)
READ_PROFILE = requires("read-profiles")
Raw = dict[str, Any]


async def _queued(request: Request, ctx: Ctx, kind: str, body: BaseModel) -> Response:
    """Queue endpoints validate the body now (a malformed one is a 422), queue it for the worker and
    answer the job's id (``GET /queue/{id}`` tells what became of it)."""
    async with database(request).write() as session:
        job = await queue.enqueue(session, ctx, kind, queue.stored(body))
    return render.JSON({"data": job.id}, status_code=202)


# --- transactions ----------------------------------------------------------------------------------


@router.get("/transactions")
async def list_transactions(request: Request, ctx: Ctx = Depends(READ_TX)) -> Response:
    query = list_query(request, ctx)
    async with database(request).read() as session:
        result = await txs.list_transactions(session, ctx, query)
    return render.page(request, result, [txs.render(tx) for tx in result.rows])


@router.post("/transactions", status_code=201)
async def create_transaction(body: TransactionIn, request: Request, ctx: Ctx = Depends(CREATE_TX)) -> Response:
    async with database(request).write() as session:
        tx, created = await txs.create(session, ctx, body)
        return render.data(txs.render(tx), status_code=201 if created else 200)


@router.get("/transactions/claims")
async def list_claims(request: Request, ctx: Ctx = Depends(READ_TX)) -> Response:
    return await _claims(request, ctx, None)


@router.get("/transactions/external/{external_id}")
async def get_by_external_id(external_id: str, request: Request, ctx: Ctx = Depends(READ_TX)) -> Response:
    async with database(request).read() as session:
        return render.data(txs.render(await txs.get_by_external_id(session, ctx, external_id)))


@router.post("/transactions/update-create")
async def update_create(body: TransactionUpsert, request: Request, ctx: Ctx = Depends(UPDATE_TX)) -> Response:
    async with database(request).write() as session:
        tx, created = await txs.update_create(session, ctx, body)
        return render.data(txs.render(tx), status_code=201 if created else 200)


@router.post("/transactions/queue", status_code=202)
async def queue_transaction(body: TransactionUpsert, request: Request, ctx: Ctx = Depends(UPDATE_TX)) -> Response:
    return await _queued(request, ctx, "transaction.upsert", body)


@router.post("/transactions/queue/create", status_code=202)
async def queue_create_transaction(body: TransactionIn, request: Request, ctx: Ctx = Depends(CREATE_TX)) -> Response:
    return await _queued(request, ctx, "transaction.create", body)


mount_owner_fields(router, "transaction", "/transactions", "transactions")
mount_owner_fields(router, "order", "/orders", "orders")


@router.get("/transactions/{tx_id}")
async def get_transaction(tx_id: str, request: Request, ctx: Ctx = Depends(READ_TX)) -> Response:
    async with database(request).read() as session:
        return render.data(txs.render(await txs.get(session, ctx, tx_id)))


@router.put("/transactions/{tx_id}")
async def update_transaction(
    tx_id: str, body: TransactionUpdate, request: Request, ctx: Ctx = Depends(UPDATE_TX)
) -> Response:
    async with database(request).write() as session:
        return render.data(txs.render(await txs.update(session, ctx, await txs.get(session, ctx, tx_id), body)))


@router.delete("/transactions/{tx_id}", status_code=204)
async def delete_transaction(tx_id: str, request: Request, ctx: Ctx = Depends(DELETE_TX)) -> Response:
    async with database(request).write() as session:
        await txs.delete(session, ctx, await txs.get(session, ctx, tx_id))
    return render.no_content()


@router.post("/transactions/{tx_id}/resend")
async def resend_transaction(tx_id: str, request: Request, ctx: Ctx = Depends(UPDATE_TX)) -> Response:
    async with database(request).write() as session:
        return render.data(txs.render(await txs.resend(session, ctx, await txs.get(session, ctx, tx_id))))


@router.post("/transactions/{tx_id}/event-trigger")
async def event_trigger(tx_id: str, body: EventTriggerIn, request: Request, ctx: Ctx = Depends(UPDATE_TX)) -> Response:
    async with database(request).write() as session:
        tx = await txs.event_trigger(session, ctx, await txs.get(session, ctx, tx_id), body.event)
        return render.data(txs.render(tx))


@router.get("/transactions/{tx_id}/items")
async def list_transaction_items(tx_id: str, request: Request, ctx: Ctx = Depends(READ_TX)) -> Response:
    query = list_query(request, ctx)
    stmt = select(t.TransactionItem).where(t.TransactionItem.tenant_id == ctx.tenant_id)
    async with database(request).read() as session:
        tx = await txs.get(session, ctx, tx_id)
        result = await paginate(
            session, stmt.where(t.TransactionItem.transaction_id == tx.id).order_by(t.TransactionItem.id), query
        )
    return render.page(request, result, [sales.render_item(i) for i in result.rows])


@router.get("/transactions/{tx_id}/items/{item_id}")
async def get_transaction_item(tx_id: str, item_id: str, request: Request, ctx: Ctx = Depends(READ_TX)) -> Response:
    async with database(request).read() as session:
        tx = await txs.get(session, ctx, tx_id)
    item = next((i for i in tx.items if str(i.id) == item_id), None)
    if item is None:
        raise NotFound("Transaction item")
    return render.data(sales.render_item(item))


# --- orders ------------------------------------------------------------------------------------------


@router.get("/orders")
async def list_orders(request: Request, ctx: Ctx = Depends(READ_ORDER)) -> Response:
    query = list_query(request, ctx)
    async with database(request).read() as session:
        result = await orders.list_orders(session, ctx, query)
        items = [await orders.render(session, o) for o in result.rows]
    return render.page(request, result, items)


@router.post("/orders", status_code=201)
async def create_order(body: OrderIn, request: Request, ctx: Ctx = Depends(CREATE_ORDER)) -> Response:
    async with database(request).write() as session:
        order = await orders.create(session, ctx, body)
        return render.data(await orders.render(session, order), status_code=201)


@router.post("/orders/queue", status_code=202)
async def queue_order(body: OrderIn, request: Request, ctx: Ctx = Depends(CREATE_ORDER)) -> Response:
    return await _queued(request, ctx, "order.upsert", body)


@router.post("/orders/queue/create", status_code=202)
async def queue_create_order(body: OrderIn, request: Request, ctx: Ctx = Depends(CREATE_ORDER)) -> Response:
    return await _queued(request, ctx, "order.create", body)


@router.get("/orders/{order_id}")
async def get_order(order_id: str, request: Request, ctx: Ctx = Depends(READ_ORDER)) -> Response:
    async with database(request).read() as session:
        return render.data(await orders.render(session, await orders.get(session, ctx, order_id)))


@router.put("/orders/{order_id}")
async def update_order(
    order_id: str, request: Request, body: Raw = Body(...), ctx: Ctx = Depends(UPDATE_ORDER)
) -> Response:
    async with database(request).write() as session:
        order = await orders.update(session, ctx, await orders.get(session, ctx, order_id), body)
        return render.data(await orders.render(session, order))


@router.delete("/orders/{order_id}", status_code=204)
async def delete_order(order_id: str, request: Request, ctx: Ctx = Depends(DELETE_ORDER)) -> Response:
    async with database(request).write() as session:
        await orders.delete(session, ctx, await orders.get(session, ctx, order_id))
    return render.no_content()


@router.post("/orders/{order_id}/resend", status_code=204)
async def resend_order(order_id: str, request: Request, ctx: Ctx = Depends(UPDATE_ORDER)) -> Response:
    async with database(request).write() as session:
        order = await orders.get(session, ctx, order_id)
        await orders.resend(session, ctx, order)
    return render.no_content()


@router.get("/orders/{order_id}/items")
async def list_order_items(order_id: str, request: Request, ctx: Ctx = Depends(READ_ORDER)) -> Response:
    query = list_query(request, ctx)
    async with database(request).read() as session:
        order = await orders.get(session, ctx, order_id)
        stmt = select(t.OrderItem).where(t.OrderItem.order_id == order.id).order_by(t.OrderItem.id)
        result = await paginate(session, stmt, query)
    return render.page(request, result, [sales.render_item(i) for i in result.rows])


@router.post("/orders/{order_id}/items", status_code=201)
async def create_order_item(
    order_id: str, body: ItemIn, request: Request, ctx: Ctx = Depends(UPDATE_ORDER)
) -> Response:
    async with database(request).write() as session:
        order = await orders.get(session, ctx, order_id)
        return render.data(sales.render_item(await orders.add_item(session, ctx, order, body)), status_code=201)


@router.get("/orders/{order_id}/items/{item_id}")
async def get_order_item(order_id: str, item_id: str, request: Request, ctx: Ctx = Depends(READ_ORDER)) -> Response:
    async with database(request).read() as session:
        order = await orders.get(session, ctx, order_id)
    return render.data(sales.render_item(orders.find_item(order, item_id)))


@router.put("/orders/{order_id}/items/{item_id}")
async def update_order_item(
    order_id: str, item_id: str, request: Request, body: Raw = Body(...), ctx: Ctx = Depends(UPDATE_ORDER)
) -> Response:
    async with database(request).write() as session:
        order = await orders.get(session, ctx, order_id)
        item = orders.find_item(order, item_id)
        await orders.update_item(session, ctx, order, item, body)
        return render.data(sales.render_item(item))


@router.delete("/orders/{order_id}/items/{item_id}", status_code=204)
async def delete_order_item(
    order_id: str, item_id: str, request: Request, ctx: Ctx = Depends(UPDATE_ORDER)
) -> Response:
    async with database(request).write() as session:
        order = await orders.get(session, ctx, order_id)
        order.items.remove(orders.find_item(order, item_id))
        await session.flush()
    return render.no_content()


# --- profile-scoped ----------------------------------------------------------------------------------

P = "/profiles/{profile_id}"


async def _claims(request: Request, ctx: Ctx, profile_id: str | None) -> Response:
    query = list_query(request, ctx)
    stmt = select(t.TransactionClaim).where(t.TransactionClaim.tenant_id == ctx.tenant_id)
    async with database(request).read() as session:
        if profile_id is not None:
            profile = await find_profile(session, ctx, request, profile_id)
            stmt = stmt.where(t.TransactionClaim.profile_id == profile.id)
        result = await paginate(session, stmt.order_by(t.TransactionClaim.id.desc()), query)
    return render.page(request, result, [txs.render_claim(c) for c in result.rows])


@router.get(f"{P}/transactions/claims")
async def list_profile_claims(profile_id: str, request: Request, ctx: Ctx = Depends(READ_TX)) -> Response:
    return await _claims(request, ctx, profile_id)


@router.post(f"{P}/transactions/claims", status_code=201)
async def create_claim(profile_id: str, body: ClaimIn, request: Request, ctx: Ctx = Depends(UPDATE_TX)) -> Response:
    async with database(request).write() as session:
        profile = await find_profile(session, ctx, request, profile_id)
        return render.data(txs.render_claim(await txs.claim(session, ctx, profile, body)), status_code=201)


async def _claim(request: Request, ctx: Ctx, profile_id: str, claim_id: str, session: Any) -> t.TransactionClaim:
    profile = await find_profile(session, ctx, request, profile_id)
    found = (
        await session.execute(
            select(t.TransactionClaim).where(
                t.TransactionClaim.profile_id == profile.id, t.TransactionClaim.id == _int(claim_id, "Claim")
            )
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("Claim")
    claim: t.TransactionClaim = found
    return claim


def _int(value: str, label: str) -> int:
    if not (value.isascii() and value.isdigit()) or int(value) >= 2**31:
        raise NotFound(label)
    return int(value)


@router.get(f"{P}/transactions/claims/{{claim_id}}")
async def get_claim(profile_id: str, claim_id: str, request: Request, ctx: Ctx = Depends(READ_TX)) -> Response:
    async with database(request).read() as session:
        return render.data(txs.render_claim(await _claim(request, ctx, profile_id, claim_id, session)))


@router.delete(f"{P}/transactions/claims/{{claim_id}}", status_code=204)
async def delete_claim(profile_id: str, claim_id: str, request: Request, ctx: Ctx = Depends(UPDATE_TX)) -> Response:
    async with database(request).write() as session:
        claim = await _claim(request, ctx, profile_id, claim_id, session)
        if claim.status == "claimed":
            raise Invalid.field("claim", "A matched claim cannot be withdrawn; unattach the transaction instead.")
        await session.delete(claim)
    return render.no_content()


@router.get(f"{P}/transactions")
async def list_profile_transactions(profile_id: str, request: Request, ctx: Ctx = Depends(READ_TX)) -> Response:
    query = list_query(request, ctx)
    async with database(request).read() as session:
        profile = await find_profile(session, ctx, request, profile_id)
        result = await txs.list_transactions(session, ctx, query, profile.id)
    return render.page(request, result, [txs.render(tx) for tx in result.rows])


@router.get(f"{P}/find-transactions")
async def find_transactions(profile_id: str, request: Request, ctx: Ctx = Depends(READ_TX)) -> Response:
    query = list_query(request, ctx)
    async with database(request).read() as session:
        profile = await find_profile(session, ctx, request, profile_id)
        result = await txs.list_transactions(session, ctx, query, profile.id)
    return render.data([txs.render(tx) for tx in result.rows])


async def _profile_tx(request: Request, ctx: Ctx, profile_id: str, tx_id: str, session: Any) -> t.Transaction:
    profile = await find_profile(session, ctx, request, profile_id)
    tx = await txs.get(session, ctx, tx_id)
    if tx.profile_id != profile.id:
        raise NotFound(txs.LABEL)
    return tx


@router.get(f"{P}/transactions/{{tx_id}}")
async def get_profile_transaction(
    profile_id: str, tx_id: str, request: Request, ctx: Ctx = Depends(READ_TX)
) -> Response:
    async with database(request).read() as session:
        return render.data(txs.render(await _profile_tx(request, ctx, profile_id, tx_id, session)))


@router.get(f"{P}/transactions/{{tx_id}}/unattach")
async def unattach(profile_id: str, tx_id: str, request: Request, ctx: Ctx = Depends(UPDATE_TX)) -> Response:
    async with database(request).write() as session:
        tx = await _profile_tx(request, ctx, profile_id, tx_id, session)
        return render.data(txs.render(await txs.detach(session, ctx, tx)))


@router.get(f"{P}/orders")
async def list_profile_orders(profile_id: str, request: Request, ctx: Ctx = Depends(READ_ORDER)) -> Response:
    query = list_query(request, ctx)
    async with database(request).read() as session:
        profile = await find_profile(session, ctx, request, profile_id)
        result = await orders.list_orders(session, ctx, query, profile.id)
        items = [await orders.render(session, o) for o in result.rows]
    return render.page(request, result, items)


@router.get(f"{P}/orders/{{order_id}}")
async def get_profile_order(
    profile_id: str, order_id: str, request: Request, ctx: Ctx = Depends(READ_ORDER)
) -> Response:
    async with database(request).read() as session:
        profile = await find_profile(session, ctx, request, profile_id)
        order = await orders.get(session, ctx, order_id)
        if order.profile_id != profile.id:
            raise NotFound(orders.LABEL)
        return render.data(await orders.render(session, order))


@router.get(f"{P}/aggregations")
async def get_aggregations(profile_id: str, request: Request, ctx: Ctx = Depends(READ_PROFILE)) -> Response:
    async with database(request).read() as session:
        profile = await find_profile(session, ctx, request, profile_id)
        return render.data(await aggregations.render(session, ctx, profile))


@router.get(f"{P}/aggregations/calculate")
async def calculate_aggregations(profile_id: str, request: Request, ctx: Ctx = Depends(READ_PROFILE)) -> Response:
    async with database(request).write() as session:
        profile = await find_profile(session, ctx, request, profile_id)
        await aggregations.rebuild(session, ctx, profile.id)
        return render.data(await aggregations.render(session, ctx, profile))


@router.get(f"{P}/transaction-products")
async def transaction_products(profile_id: str, request: Request, ctx: Ctx = Depends(READ_TX)) -> Response:
    """The catalogue variants a profile has bought, with purchase and refund counts."""
    query = list_query(request, ctx)
    async with database(request).read() as session:
        profile = await find_profile(session, ctx, request, profile_id)
        result, counts = await txs.purchased_variants(session, ctx, profile.id, query)
    return render.page(request, result, [{**render_columns(v), **counts[v.id]} for v in result.rows])
