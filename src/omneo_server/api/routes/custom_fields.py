"""``/custom-fields/{model}/{id}`` (custom fields on any owner), ``/tenants/custom-fields`` and
``/tenants/custom-event``."""

from __future__ import annotations

from enum import Enum

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from omneo_server.api import render, routing
from omneo_server.api.deps import database, requires
from omneo_server.api.resources import list_query
from omneo_server.domain import custom_fields as cf
from omneo_server.domain.context import Ctx

router = routing.router()
READ, CREATE, UPDATE, DELETE = (requires(f"{v}-custom-fields") for v in ("read", "create", "update", "delete"))
GENERIC: list[str | Enum] = ["custom-fields"]
TENANT: list[str | Enum] = ["tenants"]
OWNER = "/custom-fields/{model}/{owner_id}"
TENANT_FIELDS = "/tenants/custom-fields"


# --- any owner (search first: it must not be read as a model) -----------------------------------


@router.get("/custom-fields/search", tags=GENERIC)
async def search(request: Request, ctx: Ctx = Depends(READ)) -> Response:
    query = list_query(request, ctx)
    async with database(request).read() as session:
        result = await cf.search(session, ctx, query)
    return render.page(request, result, [cf.render(r) for r in result.rows])


@router.get(OWNER, tags=GENERIC)
async def list_fields(model: str, owner_id: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    query = list_query(request, ctx)
    async with database(request).read() as session:
        owner = await cf.owner(session, ctx, model, owner_id)
        result = await cf.list_fields(session, ctx, owner, query)
    return render.page(request, result, [cf.render(r) for r in result.rows])


@router.post(OWNER, tags=GENERIC, status_code=201)
async def create_field(
    model: str, owner_id: str, body: cf.CustomFieldIn, request: Request, ctx: Ctx = Depends(CREATE)
) -> Response:
    async with database(request).write() as session:
        owner = await cf.owner(session, ctx, model, owner_id)
        row = await cf.create(session, ctx, owner, body)
        return render.data(cf.render(row), status_code=201)


@router.delete(f"{OWNER}/batchJsonDelete", tags=GENERIC)
async def delete_batch(
    model: str, owner_id: str, body: cf.BatchDeleteIn, request: Request, ctx: Ctx = Depends(DELETE)
) -> Response:
    async with database(request).write() as session:
        owner = await cf.owner(session, ctx, model, owner_id)
        deleted = await cf.remove_many(session, ctx, owner, body.custom_fields)
    return render.JSON({"deleted": deleted})


@router.delete(f"{OWNER}/{{key}}", tags=GENERIC, status_code=204)
async def delete_field(model: str, owner_id: str, key: str, request: Request, ctx: Ctx = Depends(DELETE)) -> Response:
    async with database(request).write() as session:
        owner = await cf.owner(session, ctx, model, owner_id)
        await cf.remove(session, ctx, owner, key)
    return render.no_content()


# --- the tenant's own ----------------------------------------------------------------------------


@router.post("/tenants/custom-event", tags=TENANT)
async def custom_event(
    body: cf.CustomEventIn, request: Request, ctx: Ctx = Depends(requires("create-custom-events"))
) -> Response:
    async with database(request).write() as session:
        context = await cf.custom_event(session, ctx, body)
    return render.data(context)


@router.get(TENANT_FIELDS, tags=TENANT)
async def list_tenant_fields(request: Request, ctx: Ctx = Depends(READ)) -> Response:
    query = list_query(request, ctx)
    async with database(request).read() as session:
        result = await cf.list_fields(session, ctx, cf.tenant_owner(ctx), query)
    return render.page(request, result, [cf.render(r) for r in result.rows])


@router.post(TENANT_FIELDS, tags=TENANT, status_code=201)
async def create_tenant_field(body: cf.CustomFieldIn, request: Request, ctx: Ctx = Depends(CREATE)) -> Response:
    async with database(request).write() as session:
        row = await cf.create(session, ctx, cf.tenant_owner(ctx), body)
        return render.data(cf.render(row), status_code=201)


@router.get(f"{TENANT_FIELDS}/{{key}}", tags=TENANT)
async def get_tenant_field(key: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    async with database(request).read() as session:
        return render.data(cf.render(await cf.get(session, ctx, cf.tenant_owner(ctx), key)))


@router.put(f"{TENANT_FIELDS}/{{key}}", tags=TENANT)
async def update_tenant_field(
    key: str, body: cf.CustomFieldUpdate, request: Request, ctx: Ctx = Depends(UPDATE)
) -> Response:
    async with database(request).write() as session:
        row = await cf.update(session, ctx, cf.tenant_owner(ctx), key, body)
        return render.data(cf.render(row))


@router.delete(f"{TENANT_FIELDS}/{{key}}", tags=TENANT, status_code=204)
async def delete_tenant_field(key: str, request: Request, ctx: Ctx = Depends(DELETE)) -> Response:
    async with database(request).write() as session:
        await cf.remove(session, ctx, cf.tenant_owner(ctx), key)
    return render.no_content()


@router.get(f"{TENANT_FIELDS}/{{key}}/versions", tags=TENANT)
async def tenant_field_versions(key: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    async with database(request).read() as session:
        return render.data(await cf.versions(session, ctx, cf.tenant_owner(ctx), key))


def mount_owner_fields(target: APIRouter, model: str, base: str, resource: str) -> None:
    """``{base}/{owner_id}/custom-fields[/{namespace}:{handle}]`` for one kind of owner (locations,
    transactions, orders…), guarded by that resource's read/update scopes."""
    read, update = requires(f"read-{resource}"), requires(f"update-{resource}")
    path = f"{base}/{{owner_id}}/custom-fields"
    tags: list[str | Enum] = [resource]

    async def list_owned(owner_id: str, request: Request, ctx: Ctx = Depends(read)) -> Response:
        query = list_query(request, ctx)
        async with database(request).read() as session:
            result = await cf.list_fields(session, ctx, await cf.owner(session, ctx, model, owner_id), query)
        return render.page(request, result, [cf.render(r) for r in result.rows])

    async def create_owned(
        owner_id: str, body: cf.CustomFieldIn, request: Request, ctx: Ctx = Depends(update)
    ) -> Response:
        async with database(request).write() as session:
            row = await cf.create(session, ctx, await cf.owner(session, ctx, model, owner_id), body)
            return render.data(cf.render(row), status_code=201)

    async def get_owned(owner_id: str, key: str, request: Request, ctx: Ctx = Depends(read)) -> Response:
        async with database(request).read() as session:
            owner = await cf.owner(session, ctx, model, owner_id)
            return render.data(cf.render(await cf.get(session, ctx, owner, key)))

    async def update_owned(
        owner_id: str, key: str, body: cf.CustomFieldUpdate, request: Request, ctx: Ctx = Depends(update)
    ) -> Response:
        async with database(request).write() as session:
            row = await cf.update(session, ctx, await cf.owner(session, ctx, model, owner_id), key, body)
            return render.data(cf.render(row))

    async def delete_owned(owner_id: str, key: str, request: Request, ctx: Ctx = Depends(update)) -> Response:
        async with database(request).write() as session:
            await cf.remove(session, ctx, await cf.owner(session, ctx, model, owner_id), key)
        return render.no_content()

    for method, route, handler, status in (
        ("GET", path, list_owned, 200),
        ("POST", path, create_owned, 201),
        ("GET", f"{path}/{{key}}", get_owned, 200),
        ("PUT", f"{path}/{{key}}", update_owned, 200),
        ("DELETE", f"{path}/{{key}}", delete_owned, 204),
    ):
        target.add_api_route(
            route, handler, methods=[method], tags=tags, status_code=status, name=f"{model}.custom_fields.{method}"
        )
