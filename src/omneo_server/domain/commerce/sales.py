"""What orders and transactions share: resolving the profile, location and products a sale names,
checking its lines add up, and rendering it."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server.db import tables as t
from omneo_server.db.prepared import Prepared, adopt
from omneo_server.domain import custom_fields
from omneo_server.domain.catalogue import render_location
from omneo_server.domain.commerce.schemas import ItemIn, SaleIn
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import render_columns
from omneo_server.domain.errors import Invalid, NotFound
from omneo_server.domain.profiles import commands as profiles

CENT = Decimal("0.01")
RETURN_TYPES = ("return", "exchange")


async def resolve_profile(session: AsyncSession, ctx: Ctx, body: SaleIn) -> str | None:
    """``profile_id`` is a UUID, an email (``profile_id_handle=email``) or an identity identifier."""
    if body.profile_id is None:
        return None
    try:
        found = await profiles.live_id(session, ctx, body.profile_id, body.profile_id_handle)
    except Invalid:
        found = None
    if found is None:
        raise Invalid.field("profile_id", "The selected profile is invalid.")
    return found


def _tenants(table: Any, *named: Any) -> Any:
    """``(tenant AND a) OR (tenant AND b) …``: with the tenant in each branch SQLite looks each one up
    on its own index (``tenant AND (a OR b)`` walks every row of the tenant)."""
    return or_(*(and_(table.tenant_id == bindparam("tenant"), condition) for condition in named))


_LOCATIONS = Prepared(
    select(t.Location).where(
        _tenants(
            t.Location,
            t.Location.id == bindparam("id"),
            t.Location.external_id == bindparam("text"),
            t.Location.external_code == bindparam("text"),
        )
    )
)


#: A location's custom fields (answered with it), as its relationship orders them.
_LOCATION_FIELDS = Prepared(
    select(t.CustomField)
    .where(
        t.CustomField.tenant_id == bindparam("tenant"),
        t.CustomField.owner_type == "location",
        t.CustomField.owner_id == bindparam("owner"),
    )
    .order_by(t.CustomField.namespace, t.CustomField.handle)
)


#: A location's departments (answered with it), as its relationship orders them.
_DEPARTMENTS = Prepared(
    select(t.Department)
    .where(t.Department.location_id == bindparam("location"))
    .order_by(t.Department.name, t.Department.id)
)


async def resolve_location(session: AsyncSession, ctx: Ctx, key: int | str | None) -> t.Location | None:
    """A location by Omneo id, then by ``external_id``, then by ``external_code``."""
    if key is None:
        return None
    text = str(key)
    by_id = int(text) if text.isascii() and text.isdigit() and int(text) < 2**31 else -1
    rows = await _LOCATIONS.rows(session, tenant=ctx.tenant_id, id=by_id, text=text)
    if rows:
        names = _LOCATIONS.columns()

        def precedence(row: Sequence[Any]) -> int:  # Omneo id, then external_id, then external_code
            found = dict(zip(names, row, strict=True))
            return 0 if found["id"] == by_id else 1 if found["external_id"] == text else 2

        row = min(rows, key=precedence)
        found = await _LOCATION_FIELDS.rows(session, tenant=ctx.tenant_id, owner=str(row[0]))
        fields = [adopt(session, t.CustomField, field) for field in found]
        parts = [adopt(session, t.Department, part) for part in await _DEPARTMENTS.rows(session, location=row[0])]
        return adopt(session, t.Location, row, custom_fields=fields, departments=parts)
    raise Invalid.field("location_id", "The selected location is invalid.")


def is_return(body: SaleIn) -> bool:
    return (body.type or "").lower() in RETURN_TYPES or body.total < 0


def check_lines(body: SaleIn) -> None:
    """Negative lines only on returns. The total need not be the sum of the lines: discounts,
    fees, shipping and rounding at the till make them differ, and both are stored as sent."""
    returning = is_return(body)
    errors = {
        f"items.{index}.quantity": ["A negative quantity is only allowed on a return."]
        for index, item in enumerate(body.items)
        if item.quantity < 0 and not (returning or item.is_return)
    }
    if errors:
        raise Invalid(errors)


class _Variant(NamedTuple):
    id: int
    product_id: int
    sku: str
    external_id: str | None


@lru_cache(maxsize=64)
def _variants(skus: int, ids: int, externals: int) -> Prepared:
    """The catalogue variants named by so many SKUs, ids and external ids (one statement per shape)."""
    v = t.ProductVariant
    named = [
        column.in_([bindparam(f"{prefix}{n}") for n in range(count)])
        for column, prefix, count in ((v.sku, "sku", skus), (v.id, "id", ids), (v.external_id, "external", externals))
        if count
    ]
    return Prepared(select(v.id, v.product_id, v.sku, v.external_id).where(_tenants(v, *named)))


async def item_values(
    session: AsyncSession, ctx: Ctx, items: Sequence[ItemIn], returning: bool
) -> list[dict[str, Any]]:
    """Column values per line, with catalogue variants resolved (an unknown variant id is a 422;
    a SKU the catalogue doesn't know is kept as sent)."""
    skus = sorted({key for i in items if (key := i.product_variant_sku or i.sku)})
    ids = sorted({i.product_variant_id for i in items if i.product_variant_id})
    externals = sorted({i.variant_external_id for i in items if i.variant_external_id})
    variants: list[Any] = []
    if skus or ids or externals:
        named: dict[str, Any] = {f"sku{n}": v for n, v in enumerate(skus)}
        named |= {f"id{n}": v for n, v in enumerate(ids)}
        named |= {f"external{n}": v for n, v in enumerate(externals)}
        variants = [
            _Variant(*row)
            for row in await _variants(len(skus), len(ids), len(externals)).rows(session, tenant=ctx.tenant_id, **named)
        ]
    by_id = {v.id: v for v in variants}
    by_sku = {v.sku: v for v in variants}
    by_external = {v.external_id: v for v in variants if v.external_id}
    out: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if item.product_variant_id is not None and item.product_variant_id not in by_id:
            raise Invalid.field(f"items.{index}.product_variant_id", "The selected product variant is invalid.")
        if item.product_variant_sku is not None and item.product_variant_sku not in by_sku:
            raise Invalid.field(f"items.{index}.product_variant_sku", "The selected product variant is invalid.")
        variant = (
            by_id.get(item.product_variant_id or -1)
            or by_sku.get(item.product_variant_sku or item.sku or "")
            or by_external.get(item.variant_external_id or "")
        )
        values = item.model_dump(exclude={"product_variant_sku", "is_return"})
        values["is_return"] = bool(item.is_return) or (returning and item.quantity < 0)
        if variant is not None:
            values.update(product_variant_id=variant.id, product_id=variant.product_id, sku=item.sku or variant.sku)
        out.append(values)
    return out


def render_item(item: Any) -> dict[str, Any]:
    # ``pivot`` and ``product_images`` are what Omneo's item resource carries besides its columns
    # (no list links or product images are kept with a line here).
    return {"order_id": None, **render_columns(item), "pivot": [], "product_images": None}


def render_sale(sale: Any) -> dict[str, Any]:
    out = render_columns(sale)
    out["items"] = [render_item(i) for i in sale.items]
    out["location"] = render_location(sale.location) if sale.location is not None else None
    # Multi-currency is not built: amounts are in the tenant's currency, with no conversion record.
    out.update(currency_id=None, currency_values=[], total_converted=None)
    out["custom_fields"] = [custom_fields.render(field) for field in sale.custom_fields]
    return out


async def get_sale(session: AsyncSession, ctx: Ctx, table: Any, sale_id: Any, label: str) -> Any:
    try:
        key = int(sale_id)
    except (TypeError, ValueError):
        raise NotFound(label) from None
    if not 0 < key < 2**31:
        raise NotFound(label)
    row = (
        await session.execute(select(table).where(table.tenant_id == ctx.tenant_id, table.id == key))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(label)
    return row
