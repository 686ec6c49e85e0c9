"""Locations (and their custom fields), products and variants, custom products, ratings and
interactions, and the profile-scoped ``/profiles/{id}/interactions``."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import Depends, Request
from starlette.responses import Response

from omneo_server.api import render, routing
from omneo_server.api.deps import database, requires
from omneo_server.api.resources import list_query, mount
from omneo_server.api.routes.custom_fields import mount_owner_fields
from omneo_server.api.routes.profiles import _find as find_profile
from omneo_server.domain import catalogue as c
from omneo_server.domain import crud
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import Resource
from omneo_server.domain.inputs import Body
from omneo_server.jobs import queue

router = routing.router()
profile_interactions = routing.router(prefix="/profiles", tags=["interactions"])


def _given(body: Body) -> dict[str, Any]:
    """The fields the client sent (updates and upserts touch only those)."""
    return body.model_dump(exclude_unset=True)


def _scopes(resource: str) -> tuple[Any, ...]:
    return tuple(requires(f"{verb}-{resource}") for verb in ("read", "create", "update", "delete"))


# --- locations: custom fields and get-by-type first (three segments, like /locations/{idType}/{id}) ---

LOCATION_TAGS: list[str | Enum] = ["locations"]
READ_LOCATIONS, _, UPDATE_LOCATIONS, _ = _scopes("locations")


mount_owner_fields(router, "location", "/locations", "locations")


@router.get("/locations/{id_type}/{key}", tags=LOCATION_TAGS)
async def get_location_by_type(
    id_type: str, key: str, request: Request, ctx: Ctx = Depends(READ_LOCATIONS)
) -> Response:
    async with database(request).read() as session:
        return render.data(c.LOCATIONS.render(await c.location_by(session, ctx, id_type, key)))


@router.delete("/locations/{key}", tags=LOCATION_TAGS, status_code=204)
async def delete_location(key: str, request: Request, ctx: Ctx = Depends(requires("delete-locations"))) -> Response:
    async with database(request).write() as session:
        await c.delete_location(session, ctx, key)
    return render.no_content()


mount(router, c.LOCATIONS, "/locations", ("list", "get", "create", "update"))
mount(router, c.DEPARTMENTS, "/departments")
mount(router, c.STAFF, "/staff", ("list", "create", "update", "delete"))


@router.get("/staff/{key}", tags=["staff"])
async def staff_by(key: str, request: Request, ctx: Ctx = Depends(requires("read-staff"))) -> Response:
    """The staff member with this id, or the staff of the location with this handle (a page)."""
    async with database(request).read() as session:
        result = await c.staff_by(session, ctx, key, list_query(request, ctx))
    return render.page(request, result, [c.STAFF.render(row) for row in result.rows])


# --- products: the collection-level routes before /products/{id} ---------------------------------

PRODUCT_TAGS: list[str | Enum] = ["products"]
READ_PRODUCTS, CREATE_PRODUCTS, UPDATE_PRODUCTS, DELETE_PRODUCTS = _scopes("products")
PRODUCT = "/products/{product_id}"
VARIANTS = f"{PRODUCT}/variants"

mount(router, c.VARIANTS, "/products/variants", ("list",))


async def _upsert(body: c.ProductUpsertIn, request: Request, ctx: Ctx = Depends(UPDATE_PRODUCTS)) -> Response:
    async with database(request).write() as session:
        row = await c.upsert_product(session, ctx, _given(body))
        return render.data(c.render_product(row))


for upsert_path in ("/products/create-update", "/products/update-create"):
    router.add_api_route(upsert_path, _upsert, methods=["POST"], tags=PRODUCT_TAGS, name=f"products.{upsert_path[10:]}")


@router.post("/products/queue", tags=PRODUCT_TAGS, status_code=202)
async def queue_product(body: c.ProductQueueIn, request: Request, ctx: Ctx = Depends(UPDATE_PRODUCTS)) -> Response:
    """Validated now, applied by the worker; answers the queued job's id as the hosted API does."""
    async with database(request).write() as session:
        job = await queue.enqueue(session, ctx, "product.upsert", queue.stored(body))
    return render.data(job.id, status_code=202)


@router.get("/products", tags=PRODUCT_TAGS)
async def list_products(request: Request, ctx: Ctx = Depends(READ_PRODUCTS)) -> Response:
    query = list_query(request, ctx)
    async with database(request).read() as session:
        result = await c.list_products(session, ctx, query)
    return render.page(request, result, [c.render_product(r) for r in result.rows])


@router.post("/products", tags=PRODUCT_TAGS, status_code=201)
async def create_product(body: c.ProductIn, request: Request, ctx: Ctx = Depends(CREATE_PRODUCTS)) -> Response:
    async with database(request).write() as session:
        row = await c.create_product(session, ctx, body.model_dump())
        return render.data(c.render_product(row), status_code=201)


@router.get(PRODUCT, tags=PRODUCT_TAGS)
async def get_product(product_id: str, request: Request, ctx: Ctx = Depends(READ_PRODUCTS)) -> Response:
    async with database(request).read() as session:
        return render.data(c.render_product(await c.get_product(session, ctx, product_id)))


@router.put(PRODUCT, tags=PRODUCT_TAGS)
async def update_product(
    product_id: str,
    body: c.ProductUpdate,  # type: ignore[valid-type]
    request: Request,
    ctx: Ctx = Depends(UPDATE_PRODUCTS),
) -> Response:
    async with database(request).write() as session:
        row = await c.update_product(session, ctx, product_id, _given(body))
        return render.data(c.render_product(row))


@router.delete(PRODUCT, tags=PRODUCT_TAGS, status_code=204)
async def delete_product(product_id: str, request: Request, ctx: Ctx = Depends(DELETE_PRODUCTS)) -> Response:
    async with database(request).write() as session:
        await c.delete_product(session, ctx, product_id)
    return render.no_content()


# --- one product's variants (written with update-products: they change the product) -------------


@router.get(VARIANTS, tags=PRODUCT_TAGS)
async def list_variants(product_id: str, request: Request, ctx: Ctx = Depends(READ_PRODUCTS)) -> Response:
    async with database(request).read() as session:
        return render.data([c.VARIANTS.render(v) for v in await c.variants_of(session, ctx, product_id)])


@router.post(VARIANTS, tags=PRODUCT_TAGS, status_code=201)
async def create_variant(
    product_id: str, body: c.VariantIn, request: Request, ctx: Ctx = Depends(UPDATE_PRODUCTS)
) -> Response:
    async with database(request).write() as session:
        product = await crud.get_row(session, ctx, c.PRODUCTS, product_id)
        row = await crud.create_row(session, ctx, c.VARIANTS, {**body.model_dump(), "product_id": product.id})
        return render.data(c.VARIANTS.render(row), status_code=201)


@router.get(f"{VARIANTS}/{{variant_id}}", tags=PRODUCT_TAGS)
async def get_variant(
    product_id: str, variant_id: str, request: Request, ctx: Ctx = Depends(READ_PRODUCTS)
) -> Response:
    async with database(request).read() as session:
        return render.data(c.VARIANTS.render(await c.variant_of(session, ctx, product_id, variant_id)))


@router.put(f"{VARIANTS}/{{variant_id}}", tags=PRODUCT_TAGS)
async def update_variant(
    product_id: str,
    variant_id: str,
    body: c.VariantUpdate,  # type: ignore[valid-type]
    request: Request,
    ctx: Ctx = Depends(UPDATE_PRODUCTS),
) -> Response:
    async with database(request).write() as session:
        row = await c.variant_of(session, ctx, product_id, variant_id)
        row = await crud.update_row(session, ctx, c.VARIANTS, row.id, _given(body))
        return render.data(c.VARIANTS.render(row))


@router.delete(f"{VARIANTS}/{{variant_id}}", tags=PRODUCT_TAGS, status_code=204)
async def delete_variant(
    product_id: str, variant_id: str, request: Request, ctx: Ctx = Depends(UPDATE_PRODUCTS)
) -> Response:
    async with database(request).write() as session:
        row = await c.variant_of(session, ctx, product_id, variant_id)
        await crud.delete_row(session, ctx, c.VARIANTS, row.id)
    return render.no_content()


# --- custom products, ratings, interactions ------------------------------------------------------

mount(router, c.CUSTOM_PRODUCTS, "/customProducts")


def mount_referencing(res: Resource, path: str) -> None:
    """CRUD for rows naming a profile / location: create and update resolve those within the tenant."""
    mount(router, res, path, ("list", "get", "delete"))
    _read, create_scope, update_scope, _delete = _scopes(res.name)

    async def create(body: Any, request: Request, ctx: Ctx = Depends(create_scope)) -> Response:
        async with database(request).write() as session:
            data = await c.resolve_refs(session, ctx, body.model_dump())
            return render.data(res.render(await crud.create_row(session, ctx, res, data)), status_code=201)

    async def update(key: str, body: Any, request: Request, ctx: Ctx = Depends(update_scope)) -> Response:
        async with database(request).write() as session:
            data = await c.resolve_refs(session, ctx, _given(body))
            return render.data(res.render(await crud.update_row(session, ctx, res, key, data)))

    create.__annotations__["body"], update.__annotations__["body"] = res.create, res.update
    tags: list[str | Enum] = [res.name]
    router.add_api_route(path, create, methods=["POST"], status_code=201, tags=tags, name=f"{res.name}.create")
    router.add_api_route(f"{path}/{{key}}", update, methods=["PUT"], tags=tags, name=f"{res.name}.update")


mount_referencing(c.RATINGS, "/ratings")
mount_referencing(c.INTERACTIONS, "/interactions")


# --- /profiles/{id}/interactions: only that profile's --------------------------------------------

READ_INTERACTIONS, _, _, DELETE_INTERACTIONS = _scopes("interactions")
PROFILE_INTERACTIONS = "/{profile_id}/interactions"


@profile_interactions.get(PROFILE_INTERACTIONS)
async def list_profile_interactions(
    profile_id: str, request: Request, ctx: Ctx = Depends(READ_INTERACTIONS)
) -> Response:
    query = list_query(request, ctx)
    async with database(request).read() as session:
        profile = await find_profile(session, ctx, request, profile_id)
        result = await crud.list_rows(session, ctx, c.INTERACTIONS, c.for_profile(query, profile.id))
    return render.page(request, result, [c.INTERACTIONS.render(r) for r in result.rows])


@profile_interactions.get(f"{PROFILE_INTERACTIONS}/{{key}}")
async def get_profile_interaction(
    profile_id: str, key: str, request: Request, ctx: Ctx = Depends(READ_INTERACTIONS)
) -> Response:
    async with database(request).read() as session:
        profile = await find_profile(session, ctx, request, profile_id)
        return render.data(c.INTERACTIONS.render(await c.profile_interaction(session, ctx, profile.id, key)))


@profile_interactions.delete(f"{PROFILE_INTERACTIONS}/{{key}}", status_code=204)
async def delete_profile_interaction(
    profile_id: str, key: str, request: Request, ctx: Ctx = Depends(DELETE_INTERACTIONS)
) -> Response:
    async with database(request).write() as session:
        profile = await find_profile(session, ctx, request, profile_id)
        row = await c.profile_interaction(session, ctx, profile.id, key)
        await crud.delete_row(session, ctx, c.INTERACTIONS, row.id)
    return render.no_content()
