"""``?include=a,b``: relations the hosted API answers only when asked for (a transaction's
``profile``, an identity's ``profile``, a line's ``product``…), added to what a route answered.

No SDK sends ``include`` (spec: admin-api.md), so the routes render without it, at no cost; a
request that names relations has its answer read back and each named relation filled for every
record of it, one query per relation (not per record). Relations of things this platform does not
keep yet (a sale's organisation; list items until lists exist) are answered ``null`` (``[]`` for
lists), as the hosted API answers a relation that is not set. Unknown names are ignored, as
Laravel ignores them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from omneo_server.api.deps import database
from omneo_server.db import tables as t
from omneo_server.domain import catalogue
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import render_columns
from omneo_server.domain.incentives import ledger
from omneo_server.domain.profiles import commands as profiles
from omneo_server.wire import dumps, loads

Record = dict[str, Any]
#: Fills one relation on every record (they are all of one kind).
Filler = Callable[[Request, Ctx, list[Record], str], Awaitable[None]]


def _absent(empty: Any) -> Filler:
    async def fill(_request: Request, _ctx: Ctx, records: list[Record], name: str) -> None:
        for record in records:
            record[name] = empty() if callable(empty) else empty

    return fill


NOT_KEPT = _absent(None)  # what no record here links to yet: a sale's organisation or redemption
NO_LIST_ITEMS = _absent(list)


def _profiles(key: str) -> Filler:
    """The profile each record's ``key`` names, as ``GET /profiles/{id}`` answers it."""

    async def fill(request: Request, ctx: Ctx, records: list[Record], name: str) -> None:
        ids = sorted({str(record[key]) for record in records if record.get(key)})
        found = await profiles.read_models(database(request), ctx, ids) if ids else {}
        for record in records:
            body = found.get(str(record.get(key)))
            record[name] = None if body is None else loads(body)

    return fill


#: Renders rows (of one table) read in a session, by id.
Renderer = Callable[[AsyncSession, list[Any]], Awaitable[dict[int, Record]]]


def _each(render: Callable[[Any], Record]) -> Renderer:
    async def rendered(_session: AsyncSession, rows: list[Any]) -> dict[int, Record]:
        return {row.id: render(row) for row in rows}

    return rendered


async def _products(session: AsyncSession, rows: list[t.Product]) -> dict[int, Record]:
    return {row.id: catalogue.render_product(row) for row in await catalogue.with_variants(session, rows)}


async def _orders(session: AsyncSession, rows: list[t.Order]) -> dict[int, Record]:
    from omneo_server.domain.commerce import orders

    return {row.id: await orders.render(session, row) for row in rows}


def _transaction(row: t.Transaction) -> Record:
    from omneo_server.domain.commerce import transactions

    return transactions.render(row)


def _rows(table: Any, key: str, render: Renderer) -> Filler:
    """The row of ``table`` (of the tenant) each record's ``key`` names, rendered."""

    async def fill(request: Request, ctx: Ctx, records: list[Record], name: str) -> None:
        ids = sorted({int(record[key]) for record in records if isinstance(record.get(key), int)})
        rendered: dict[int, Record] = {}
        if ids:
            async with database(request).read() as session:
                stmt = select(table).where(table.tenant_id == ctx.tenant_id, table.id.in_(ids))
                rendered = await render(session, list((await session.execute(stmt)).scalars()))
        for record in records:
            found = record.get(key)
            record[name] = rendered.get(found) if isinstance(found, int) else None

    return fill


def _staff(key: str) -> Filler:
    """The staff member each record's ``key`` names, as sales embed one: ``{id, full_name, email,
    identities}`` (from its profile), with its ``profile_id`` and ``staff_number``."""

    async def fill(request: Request, ctx: Ctx, records: list[Record], name: str) -> None:
        ids = sorted({int(record[key]) for record in records if isinstance(record.get(key), int)})
        staff: dict[int, t.Staff] = {}
        if ids:
            async with database(request).read() as session:
                stmt = select(t.Staff).where(t.Staff.tenant_id == ctx.tenant_id, t.Staff.id.in_(ids))
                staff = {row.id: row for row in (await session.execute(stmt)).scalars()}
        people = sorted({row.profile_id for row in staff.values()})
        found = await profiles.read_models(database(request), ctx, people) if people else {}
        for record in records:
            row = staff.get(record.get(key))  # type: ignore[arg-type]
            person = loads(found[row.profile_id]) if row is not None and row.profile_id in found else None
            record[name] = (
                None
                if row is None or person is None
                else {
                    "id": row.id,
                    "full_name": person.get("full_name"),
                    "email": person.get("email"),
                    "identities": person.get("identities", []),
                    "profile_id": row.profile_id,
                    "staff_number": row.staff_number,
                }
            )

    return fill


async def _balances(request: Request, ctx: Ctx, records: list[Record], name: str) -> None:
    """The balances of each record's profile (a redemption's, after it)."""
    ids = sorted({str(record["profile_id"]) for record in records if record.get("profile_id")})
    async with database(request).read() as session:
        found = {profile_id: await ledger.balances(session, ctx, profile_id) for profile_id in ids}
    for record in records:
        record[name] = found.get(str(record.get("profile_id")))


_SALE: dict[str, Filler] = {
    "profile": _profiles("profile_id"),
    "organisation": NOT_KEPT,
    "staff": _staff("staff_id"),
    "redemption": NOT_KEPT,
}
_LINE: dict[str, Filler] = {
    "product": _rows(t.Product, "product_id", _products),
    "product_variant": _rows(t.ProductVariant, "product_variant_id", _each(render_columns)),
}
_LOCATION = _rows(t.Location, "location_id", _each(catalogue.render_location))
#: What each kind of record may include, by name.
RELATIONS: dict[str, dict[str, Filler]] = {
    "transaction": _SALE,
    "order": _SALE,
    "transaction_item": {
        **_LINE,
        "transaction": _rows(t.Transaction, "transaction_id", _each(_transaction)),
        "list_items": NO_LIST_ITEMS,
    },
    "order_item": {**_LINE, "order": _rows(t.Order, "order_id", _orders)},
    "identity": {"profile": _profiles("profile_id")},
    "profile": {
        "joined_location": _rows(t.Location, "joined_location_id", _each(catalogue.render_location)),
        "preferred_location": _rows(t.Location, "preferred_location_id", _each(catalogue.render_location)),
        "joined_staff": _staff("joined_staff_id"),
        "preferred_staff": _staff("preferred_staff_id"),
    },
    "staff": {"profile": _profiles("profile_id"), "location": _LOCATION},
    "redemption": {
        "balances": _balances,
        "location": _LOCATION,
        "transaction": _rows(t.Transaction, "transaction_id", _each(_transaction)),
    },
}


_PROFILE = "/profiles/{profile_id}"
#: The kind of record each ``GET`` route answers, by its path.
KINDS: dict[str, str] = {
    **dict.fromkeys(
        (
            "/transactions",
            "/transactions/{tx_id}",
            "/transactions/external/{external_id}",
            f"{_PROFILE}/transactions",
            f"{_PROFILE}/transactions/{{tx_id}}",
            f"{_PROFILE}/find-transactions",
        ),
        "transaction",
    ),
    **dict.fromkeys(
        ("/orders", "/orders/{order_id}", f"{_PROFILE}/orders", f"{_PROFILE}/orders/{{order_id}}"), "order"
    ),
    **dict.fromkeys(("/transactions/{tx_id}/items", "/transactions/{tx_id}/items/{item_id}"), "transaction_item"),
    **dict.fromkeys(("/orders/{order_id}/items", "/orders/{order_id}/items/{item_id}"), "order_item"),
    **dict.fromkeys(
        (
            "/identities",
            f"{_PROFILE}/identities",
            f"{_PROFILE}/identities/id/{{key}}",
            f"{_PROFILE}/identities/{{key}}",
        ),
        "identity",
    ),
    **dict.fromkeys(("/staff", "/staff/{key}"), "staff"),
    **dict.fromkeys(("/profiles", _PROFILE, "/identities/search-profile/{identifier}"), "profile"),
    **dict.fromkeys(
        ("/redemptions", "/redemptions/{key}", f"{_PROFILE}/redemptions", f"{_PROFILE}/redemptions/{{key}}"),
        "redemption",
    ),
}


def asked(request: Request) -> list[str]:
    """The relations ``?include=`` names (comma-separated, repeatable)."""
    names = [part.strip() for value in request.query_params.getlist("include") for part in value.split(",")]
    return [name for name in names if name]


async def expand(request: Request, ctx: Ctx, kind: str, response: Response) -> Response:
    """``response`` (a ``{"data": …}`` answer of records of ``kind``) with the relations asked for."""
    relations = RELATIONS.get(kind, {})
    wanted = [name for name in dict.fromkeys(asked(request)) if name in relations]
    if not wanted or response.status_code >= 300:
        return response
    body = loads(bytes(response.body))
    data = body.get("data")
    records: Sequence[Any] = data if isinstance(data, list) else [data]
    plain = [record for record in records if isinstance(record, dict)]
    for name in wanted:
        await relations[name](request, ctx, plain, name)
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return Response(dumps(body).encode(), status_code=response.status_code, headers=headers)
