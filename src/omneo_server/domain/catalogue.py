"""The catalogue and what customers do with it: locations, products (with their variants), custom
products, ratings and interactions, each described once as a :class:`Resource`.

Products carry their variants: a product is created with ``variants[]`` inline (or gets a default
one), and the upserts (``create-update``, ``update-create``, ``queue``) match the product by
``external_id`` and each variant by ``external_id``, else ``sku``. Ratings and interactions name a
profile (interactions by id or by identity) and optionally a location; those are resolved within
the tenant before the row is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BeforeValidator, StringConstraints, model_validator
from pydantic import Field as Pyd
from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.domain import crud, custom_fields, events
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import Resource, Row, render_columns, standard_fields
from omneo_server.domain.errors import Invalid, NotFound
from omneo_server.domain.inputs import Alpha3, Body, Handle, Name, Text, Timestamp, partial
from omneo_server.domain.profiles import commands as profiles
from omneo_server.domain.query import INT_MAX, INT_MIN, Field, ListQuery, Page
from omneo_server.wire import money

# --- input types ---------------------------------------------------------------------------------

#: Ids and codes some clients send as numbers are kept as text.
AsText = BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v)

Int = Annotated[int, Pyd(ge=INT_MIN, le=INT_MAX)]
#: Money: rounded to cents (half up) on the way in, so what is stored is what is answered.
Price = Annotated[Decimal, Pyd(ge=0, lt=Decimal("1e12"), allow_inf_nan=False), AfterValidator(money)]
Url = Annotated[str, StringConstraints(max_length=2048)]
Short = Annotated[str, StringConstraints(max_length=50)]
Iso3 = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$", to_upper=True)]
Strings = list[Annotated[str, StringConstraints(max_length=255)]]
ProductStatus = Literal["new", "active", "rundown", "discontinued", "ranged", "deleted", "archived", "draft"]
ProductType = Literal[
    "simple", "configurable", "bundle", "gift", "voucher", "service", "subscription", "downloadable", "appointment"
]
Action = Literal["broadcast", "disclose", "feedback", "product", "reach", "refer", "service", "visit", "view"]
Channel = Literal["app", "email", "location", "push", "sms", "social", "support", "website"]
#: Sent as a string by the newest SDK and as a number by 1.37; stored as the string.
Signal = Annotated[Literal["-1", "0", "1"], AsText]
SEVEN_PLACES = Decimal("0.0000001")
Latitude = Annotated[
    Decimal, Pyd(ge=-90, le=90, allow_inf_nan=False), AfterValidator(lambda d: d.quantize(SEVEN_PLACES))
]
Longitude = Annotated[
    Decimal, Pyd(ge=-180, le=180, allow_inf_nan=False), AfterValidator(lambda d: d.quantize(SEVEN_PLACES))
]


class Image(Body):
    url: Url
    sort_order: Int | None = None

    @model_validator(mode="before")
    @classmethod
    def _url_alone(cls, value: Any) -> Any:
        return {"url": value} if isinstance(value, str) else value  # ["https://…"]: a list of URLs


class VariantOption(Body):
    name: Name | None = None
    sort_order: Int | None = None
    value: Name


def _fields(table: Any, names: str) -> dict[str, Field]:
    return standard_fields(table, *names.split())


def _nulls_refused(model: type[Body]) -> Callable[[dict[str, Any], Row], dict[str, Any]]:
    """A ``prepare`` answering 422 when an update blanks a field the create body does not let be null."""
    strict = [
        n for n, f in model.model_fields.items() if f.annotation is not Any and type(None) not in get_args(f.annotation)
    ]

    def prepare(data: dict[str, Any], _row: Row) -> dict[str, Any]:
        for name in (n for n in strict if n in data and data[n] is None):
            raise Invalid.field(name, f"The {name} field cannot be null.")
        return data

    return prepare


# --- locations -----------------------------------------------------------------------------------


class LocationIn(Body):
    name: Name
    phone: Short | None = None
    type: Short | None = None
    handle: Handle | None = None
    description: Text | None = None
    email: Name | None = None
    timezone: Annotated[str, StringConstraints(max_length=64)] | None = None
    external_id: Name | None = None
    external_code: Name | None = None
    country_iso_3: Alpha3 | None = None
    icon: Url | None = None
    image_url: Url | None = None
    is_published: bool = True
    is_permanently_closed: bool = False
    address: dict[str, Any] | None = None
    tags: Strings = []
    normal_hours: list[dict[str, Any]] = []
    special_hours: list[dict[str, Any]] = []
    meta: Any = None


def render_location(location: Any) -> dict[str, Any]:
    """A location with its custom fields and departments."""
    # Both are loaded with every location read (and a sale's); only a location created by this
    # command has them unloaded, and a new location has neither.
    loaded = location.__dict__
    fields = [custom_fields.render(field) for field in loaded.get("custom_fields", [])]
    departments = [render_columns(department) for department in loaded.get("departments", [])]
    return {**render_columns(location), "custom_fields": fields, "departments": departments}


LOCATIONS = Resource(
    name="locations",
    event="location",
    label="Location",
    table=t.Location,
    create=LocationIn,
    update=partial(LocationIn),
    filters=_fields(
        t.Location,
        "id type name handle email external_id external_code country_iso_3 is_published is_permanently_closed "
        "created_at updated_at",
    ),
    sorts=_fields(t.Location, "id name handle type created_at updated_at"),
    search=(t.Location.name, t.Location.handle, t.Location.external_code),
    unique=(("external_id",), ("handle",)),
    prepare=_nulls_refused(LocationIn),
    render=render_location,
)


class DepartmentIn(Body):
    location_id: Int
    name: Name
    handle: Handle | None = None
    description: Text | None = None
    external_id: Name | None = None
    meta: Any = None


DEPARTMENTS = Resource(
    name="departments",
    event="department",
    label="Department",
    table=t.Department,
    create=DepartmentIn,
    update=partial(DepartmentIn),
    filters=_fields(t.Department, "id location_id name handle external_id created_at updated_at"),
    sorts=_fields(t.Department, "id location_id name handle created_at updated_at"),
    search=(t.Department.name, t.Department.handle),
    unique=(("location_id", "handle"),),
    refs={"location_id": t.Location},
    prepare=_nulls_refused(DepartmentIn),
)
#: ``GET /locations/{idType}/{id}``: the alternative keys a location can be read by.
LOCATION_KEYS = {
    "external_id": t.Location.external_id,
    "external_code": t.Location.external_code,
    "handle": t.Location.handle,
}


async def location_by(session: AsyncSession, ctx: Ctx, id_type: str, value: str) -> t.Location:
    column = LOCATION_KEYS.get(id_type)
    if column is None:
        raise NotFound("Location")
    stmt = select(t.Location).where(t.Location.tenant_id == ctx.tenant_id, column == value).order_by(t.Location.id)
    row = (await session.execute(stmt.limit(1))).scalar_one_or_none()
    if row is None:
        raise NotFound("Location")
    return row


async def delete_location(session: AsyncSession, ctx: Ctx, key: str) -> None:
    """Delete a location and the custom fields it owns."""
    row = await crud.get_row(session, ctx, LOCATIONS, key)
    owned = (t.CustomField.tenant_id == ctx.tenant_id, t.CustomField.owner_type == "location")
    owned_ids = select(t.CustomField.id).where(*owned, t.CustomField.owner_id == str(row.id))
    await session.execute(delete(t.CustomFieldVersion).where(t.CustomFieldVersion.custom_field_id.in_(owned_ids)))
    await session.execute(delete(t.CustomField).where(*owned, t.CustomField.owner_id == str(row.id)))
    await crud.delete_row(session, ctx, LOCATIONS, row.id)


# --- staff ---------------------------------------------------------------------------------------


class StaffIn(Body):
    profile_id: Annotated[str, StringConstraints(max_length=36)]
    staff_number: Annotated[str, StringConstraints(max_length=100)] | None = None
    location_id: Int | None = None
    department_id: Int | None = None
    role_type: Literal["full_time", "part_time", "casual", "other"] | None = None
    is_active: bool = True
    meta: Any = None


STAFF = Resource(
    name="staff",
    event="staff",
    label="Staff",
    table=t.Staff,
    create=StaffIn,
    update=partial(StaffIn),
    filters=_fields(t.Staff, "id profile_id staff_number location_id department_id role_type is_active created_at"),
    sorts=_fields(t.Staff, "id staff_number location_id created_at updated_at"),
    search=(t.Staff.staff_number,),
    unique=(("profile_id",), ("staff_number",)),
    refs={"profile_id": t.Profile, "location_id": t.Location, "department_id": t.Department},
    prepare=_nulls_refused(StaffIn),
)


async def staff_by(session: AsyncSession, ctx: Ctx, key: str, query: ListQuery) -> Page:
    """``GET /staff/{key}``: the staff member with the id ``key``, else the staff of the location
    whose handle is ``key`` (the hosted API's catalogue reads this route as a get by id, its SDKs as
    a list by handle: a page answers both)."""
    if key.isascii() and key.isdigit() and int(key) <= INT_MAX:
        return await crud.list_rows(session, ctx, STAFF, query, t.Staff.id == int(key))
    at = select(t.Location.id).where(t.Location.tenant_id == ctx.tenant_id, t.Location.handle == key)
    return await crud.list_rows(session, ctx, STAFF, query, t.Staff.location_id.in_(at.scalar_subquery()))


# --- products and variants -----------------------------------------------------------------------


class VariantIn(Body):
    sku: Name = Pyd(min_length=1)
    price: Price
    title: Name
    barcode: Name | None = Pyd(None, min_length=1)
    external_id: Name | None = Pyd(None, min_length=1)
    handle: Name | None = None
    description: Text | None = None
    web_url: Url | None = None
    position: Int = 0
    price_discounted: Price | None = None
    price_comparison: Price | None = None
    price_cost: Price | None = None
    available_quantity: Int | None = None
    images: list[Image] = []
    options: list[VariantOption] = []
    tags: Strings = []
    meta: Any = None


VariantUpdate = partial(VariantIn)


class ProductIn(Body):
    title: Name
    handle: Handle
    brand: Name
    external_id: Name | None = Pyd(None, min_length=1)
    type: ProductType | None = None
    status: ProductStatus = "active"
    department: Name | None = None
    description: Text | None = None
    web_url: Url | None = None
    currency: Iso3 | None = None
    position: Int = 0
    images: list[Image] = []
    channels: Strings = []
    systems: Strings = []
    tags: Strings = []
    options: dict[str, Strings] = {}
    meta: Any = None
    #: None given: one default variant is made from the product (see :func:`default_variant`).
    variants: list[VariantIn] = []


ProductUpdate = partial(ProductIn)


class ProductUpsertIn(ProductIn):
    """``POST /products/create-update`` (and ``update-create``): matched on ``external_id``."""

    external_id: Name = Pyd(min_length=1)
    variants: list[VariantIn]


class ProductQueueIn(ProductUpdate):  # type: ignore[valid-type,misc]
    """``POST /products/queue``: only ``external_id`` is required; a new product still needs the rest."""

    external_id: Name = Pyd(min_length=1)
    #: Variants the payload does not name are removed (variants have no archived state).
    archive_existing_variants: bool = False


def render_product(row: t.Product) -> dict[str, Any]:
    return {**render_columns(row), "variants": [render_columns(v) for v in row.variants]}


PRODUCTS = Resource(
    name="products",
    event="product",
    label="Product",
    table=t.Product,
    create=ProductIn,
    update=ProductUpdate,
    filters=_fields(
        t.Product,
        "id title handle external_id type status brand department currency created_at updated_at",
    ),
    sorts=_fields(t.Product, "id title handle position created_at updated_at"),
    search=(t.Product.title, t.Product.handle, t.Product.brand),
    unique=(("handle",), ("external_id",)),
    render=render_product,
    prepare=_nulls_refused(ProductIn),
)
VARIANTS = Resource(
    name="products",  # variants are read and written with the products scopes
    event="product_variant",
    label="Product variant",
    table=t.ProductVariant,
    create=VariantIn,
    update=VariantUpdate,
    filters=_fields(
        t.ProductVariant,
        "id product_id sku barcode external_id handle title price available_quantity created_at updated_at",
    ),
    sorts=_fields(t.ProductVariant, "id product_id sku title price position created_at"),
    search=(t.ProductVariant.sku, t.ProductVariant.title, t.ProductVariant.barcode),
    unique=(("sku",), ("barcode",), ("external_id",)),
    prepare=_nulls_refused(VariantIn),
)


async def with_variants(session: AsyncSession, rows: list[t.Product]) -> list[t.Product]:
    """Load the variants of ``rows`` in one query (the renderer reads them)."""
    by_product: dict[int, list[t.ProductVariant]] = defaultdict(list)
    if rows:
        stmt = (
            select(t.ProductVariant)
            .where(t.ProductVariant.product_id.in_([r.id for r in rows]))
            .order_by(t.ProductVariant.position, t.ProductVariant.id)
        )
        for variant in (await session.execute(stmt)).scalars():
            by_product[variant.product_id].append(variant)
    for row in rows:
        set_committed_value(row, "variants", by_product[row.id])
    return rows


async def list_products(session: AsyncSession, ctx: Ctx, query: ListQuery) -> Page:
    page = await crud.list_rows(session, ctx, PRODUCTS, query)
    await with_variants(session, page.rows)
    return page


async def get_product(session: AsyncSession, ctx: Ctx, key: Any) -> t.Product:
    row: t.Product = await crud.get_row(session, ctx, PRODUCTS, key)
    return (await with_variants(session, [row]))[0]


def default_variant(product: dict[str, Any]) -> dict[str, Any]:
    """The variant a product gets when it is created with none: its handle as sku, its title, price 0."""
    return {"sku": product["handle"], "title": product["title"], "price": Decimal("0.00")}


def _renamed(exc: Invalid, prefix: str) -> Invalid:
    return Invalid({f"{prefix}{name}": messages for name, messages in exc.errors.items()})


async def _upsert_variants(
    session: AsyncSession, ctx: Ctx, product: t.Product, items: list[dict[str, Any]], prune: bool
) -> None:
    """Match each item to one of the product's variants (``external_id``, else ``sku``), update or
    add it; with ``prune``, variants the items do not name are removed. Clashes name ``variants.N.x``
    (the check's query flushes the items before it, so two items with one sku clash too)."""
    kept: list[t.ProductVariant] = []
    for index, item in enumerate(items):
        by = "external_id" if item.get("external_id") else "sku"
        match = next((v for v in product.variants if v not in kept and getattr(v, by) == item[by]), None)
        try:
            await crud.check_unique(session, ctx, VARIANTS, {**(render_columns(match) if match else {}), **item}, match)
        except Invalid as exc:
            raise _renamed(exc, f"variants.{index}.") from None
        variant = match or t.ProductVariant(tenant_id=ctx.tenant_id)
        for name, value in item.items():
            setattr(variant, name, value)
        if match is None:
            product.variants.append(variant)
        kept.append(variant)
    if prune:
        for variant in [v for v in product.variants if v not in kept]:
            product.variants.remove(variant)


async def create_product(session: AsyncSession, ctx: Ctx, data: dict[str, Any]) -> t.Product:
    """A new product with its variants (or the default one); fields not given take their defaults."""
    fields = ProductIn.model_fields
    data = {n: f.get_default(call_default_factory=True) for n, f in fields.items() if not f.is_required()} | {
        n: v for n, v in data.items() if v is not None
    }
    missing = [name for name, info in fields.items() if info.is_required() and name not in data]
    if missing:
        raise Invalid({name: [f"The {name} field is required."] for name in missing})
    items = data.pop("variants") or [default_variant(data)]
    await crud.check_unique(session, ctx, PRODUCTS, data)
    row = t.Product(tenant_id=ctx.tenant_id, variants=[], **data)
    session.add(row)
    await _upsert_variants(session, ctx, row, items, prune=False)
    await session.flush()
    await events.record(session, ctx, "product.created", row.id, render_product(row))
    return row


async def update_product(
    session: AsyncSession, ctx: Ctx, key: Any, data: dict[str, Any], prune: bool = False
) -> t.Product:
    """Change a product's fields and upsert the variants given (``variants`` absent: left alone)."""
    row = await get_product(session, ctx, key)
    items = data.pop("variants", None)
    if items is not None:
        await _upsert_variants(session, ctx, row, items, prune)
    updated: t.Product = await crud.update_row(session, ctx, PRODUCTS, row.id, data)
    return updated


async def upsert_product(session: AsyncSession, ctx: Ctx, data: dict[str, Any]) -> t.Product:
    """Create or update the product with this ``external_id`` (create-update, update-create, queue)."""
    prune = bool(data.pop("archive_existing_variants", False))
    stmt = select(t.Product.id).where(
        t.Product.tenant_id == ctx.tenant_id, t.Product.external_id == data["external_id"]
    )
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        return await create_product(session, ctx, data)
    return await update_product(session, ctx, found, data, prune)


async def delete_product(session: AsyncSession, ctx: Ctx, key: Any) -> None:
    row = await get_product(session, ctx, key)  # held: the event renders its variants
    await crud.delete_row(session, ctx, PRODUCTS, row.id)


async def variant_of(session: AsyncSession, ctx: Ctx, product_key: Any, key: Any) -> t.ProductVariant:
    """One variant of one product (a variant of another product is not found)."""
    product = await crud.get_row(session, ctx, PRODUCTS, product_key)
    variant: t.ProductVariant = await crud.get_row(session, ctx, VARIANTS, key)
    if variant.product_id != product.id:
        raise NotFound(VARIANTS.label)
    return variant


async def variants_of(session: AsyncSession, ctx: Ctx, product_key: Any) -> list[t.ProductVariant]:
    return list((await get_product(session, ctx, product_key)).variants)


# --- custom products -----------------------------------------------------------------------------


class CustomProductIn(Body):
    title: Name
    sku: Name | None = None
    brand: Name | None = None
    category: Name | None = None
    subcategory: Name | None = None
    description: Text | None = None
    price: Price | None = None
    image_url: Url | None = None
    meta: Any = None


CUSTOM_PRODUCTS = Resource(
    name="custom-products",
    event="custom_product",
    label="Custom product",
    table=t.CustomProduct,
    create=CustomProductIn,
    update=partial(CustomProductIn),
    filters=_fields(t.CustomProduct, "id title sku brand category subcategory price"),
    sorts=_fields(t.CustomProduct, "id title sku price created_at updated_at"),
    search=(t.CustomProduct.title, t.CustomProduct.sku, t.CustomProduct.brand),
    prepare=_nulls_refused(CustomProductIn),
)


# --- ratings and interactions: rows that name a profile ------------------------------------------


async def _exists(session: AsyncSession, ctx: Ctx, field: str, table: Any, condition: ColumnElement[bool]) -> Any:
    """The id of the tenant's row matching ``condition``, or a 422 naming ``field``."""
    stmt = select(table.id).where(table.tenant_id == ctx.tenant_id, condition)
    if table is t.Profile:
        stmt = stmt.where(t.Profile.deleted_at.is_(None))
    found = (await session.execute(stmt.limit(1))).scalar_one_or_none()
    if found is None:
        raise Invalid.field(field, f"The selected {field} is invalid.")
    return found


async def resolve_refs(session: AsyncSession, ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    """Check the profile (by ``profile_id`` or ``identifier: {id, handle}``) and location a body
    names belong to the tenant; an identifier becomes ``profile_id`` + ``identity_id``."""
    identifier = data.pop("identifier", None)
    if identifier is not None:
        try:
            profile = await profiles.get_by_identity(session, ctx, identifier["handle"], identifier["id"])
        except NotFound:
            raise Invalid.field("identifier", "No profile has this identity.") from None
        data["profile_id"] = profile.id
        data["identity_id"] = next(
            i.id for i in profile.identities if (i.handle, i.identifier) == (identifier["handle"], identifier["id"])
        )
    elif data.get("profile_id") is not None:
        data["profile_id"] = await _exists(session, ctx, "profile_id", t.Profile, t.Profile.id == data["profile_id"])
        data["identity_id"] = None
    if data.get("location_id") is not None:
        await _exists(session, ctx, "location_id", t.Location, t.Location.id == data["location_id"])
    return data


class RatingIn(Body):
    rateable_type: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    rateable_id: Annotated[str, StringConstraints(min_length=1, max_length=64), AsText]
    rating: int = Pyd(ge=1, le=5)
    profile_id: Annotated[str, StringConstraints(max_length=36)] | None = None
    title: Name | None = None
    comment: Text | None = None
    meta: Any = None


RATINGS = Resource(
    name="ratings",
    event="rating",
    label="Rating",
    table=t.Rating,
    create=RatingIn,
    update=partial(RatingIn),
    filters=_fields(t.Rating, "id profile_id rateable_type rateable_id rating created_at"),
    sorts=_fields(t.Rating, "id rating created_at updated_at"),
    search=(t.Rating.title, t.Rating.comment),
    prepare=_nulls_refused(RatingIn),
)


class Identifier(Body):
    id: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    handle: Handle


class InteractionIn(Body):
    action: Action
    channel: Channel
    signal: Signal
    namespace: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    name: Name | None = None
    profile_id: Annotated[str, StringConstraints(max_length=36)] | None = None
    identifier: Identifier | None = None
    description: Text | None = None
    url: Url | None = None
    duration: Int | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    location_id: Int | None = None
    product_id: Int | None = None
    product_variant_id: Int | None = None
    staff_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    interacted_id: Int | None = None
    interacted_type: Short | None = None
    interacted_at: Timestamp | None = None
    tags: Strings = []
    meta: Any = None


_interaction_nulls = _nulls_refused(InteractionIn)


def _interaction_defaults(data: dict[str, Any], row: Row) -> dict[str, Any]:
    data = _interaction_nulls(data, row)
    if data.get("profile_id") is None and (row is None or "profile_id" in data):
        raise Invalid.field("profile_id", "The profile_id field is required when identifier is not present.")
    if row is None:
        data["interacted_at"] = data.get("interacted_at") or clock.now()
    return data


INTERACTIONS = Resource(
    name="interactions",
    event="interaction",
    label="Interaction",
    table=t.Interaction,
    create=InteractionIn,
    update=partial(InteractionIn),
    filters=_fields(
        t.Interaction,
        "id profile_id action channel signal namespace name location_id product_id product_variant_id interacted_id "
        "interacted_type interacted_at created_at",
    ),
    sorts=_fields(t.Interaction, "id interacted_at created_at updated_at"),
    search=(t.Interaction.name, t.Interaction.namespace, t.Interaction.description),
    prepare=_interaction_defaults,
)


async def profile_interaction(session: AsyncSession, ctx: Ctx, profile_id: str, key: Any) -> t.Interaction:
    """One interaction of one profile (another profile's is not found)."""
    row: t.Interaction = await crud.get_row(session, ctx, INTERACTIONS, key)
    if row.profile_id != profile_id:
        raise NotFound(INTERACTIONS.label)
    return row


def for_profile(query: ListQuery, profile_id: str) -> ListQuery:
    return replace(query, filters=[*query.filters, ("profile_id", "eq", profile_id)])
