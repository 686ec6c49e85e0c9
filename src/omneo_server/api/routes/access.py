"""Organisations and access: the permission catalogue, roles and users (OAuth arrives on them)."""

from __future__ import annotations

from fastapi import Depends, Request
from starlette.responses import Response

from omneo_server.api import render, routing
from omneo_server.api.deps import database, requires
from omneo_server.api.resources import list_query
from omneo_server.domain import permissions, roles, users
from omneo_server.domain.context import Ctx
from omneo_server.domain.errors import NotFound
from omneo_server.domain.query import Page

router = routing.router()
READ = requires("read-permissions")
READ_ROLES = requires("read-roles")


@router.get("/permissions", tags=["permissions"])
async def list_permissions(request: Request, ctx: Ctx = Depends(READ)) -> Response:
    result = await permissions.listed(database(request), list_query(request, ctx))
    return render.page(request, result, [permissions.render(row) for row in result.rows])


@router.get("/permissions/{key}", tags=["permissions"])
async def get_permission(key: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    row = await permissions.get(database(request), key)
    if row is None:
        raise NotFound("Permission")
    return render.data(permissions.render(row))


@router.get("/roles", tags=["roles"])
async def list_roles(request: Request, ctx: Ctx = Depends(READ_ROLES)) -> Response:
    """The tenant's roles, heaviest first, each with the permissions it grants (one page)."""
    async with database(request).read() as session:
        rows, catalogue = await roles.listed(session, ctx.tenant_id), await roles.catalogue(session)
    items = [roles.render(row, catalogue) for row in rows]
    return render.page(request, Page(rows, len(rows), 1, max(1, len(rows))), items)


@router.get("/roles/{key}", tags=["roles"])
async def get_role(key: str, request: Request, ctx: Ctx = Depends(READ_ROLES)) -> Response:
    async with database(request).read() as session:
        row = await roles.get(session, ctx.tenant_id, key)
        if row is None:
            raise NotFound("Role")
        return render.data(roles.render(row, await roles.catalogue(session)))


@router.get("/users", tags=["users"])
async def list_users(request: Request, ctx: Ctx = Depends(requires("read-users"))) -> Response:
    async with database(request).read() as session:
        result = await users.listed(session, ctx, list_query(request, ctx))
        catalogue = await roles.catalogue(session)
    return render.page(request, result, [users.render(row, catalogue) for row in result.rows])


@router.post("/users", tags=["users"], status_code=201)
async def create_user(body: users.UserIn, request: Request, ctx: Ctx = Depends(requires("create-users"))) -> Response:
    async with database(request).write() as session:
        row = await users.create(session, ctx, body)
        return render.data(users.render(row, await roles.catalogue(session)), status_code=201)


@router.get("/users/{key}", tags=["users"])
async def get_user(key: str, request: Request, ctx: Ctx = Depends(requires("read-users"))) -> Response:
    async with database(request).read() as session:
        row = await users.get(session, ctx, key)
        return render.data(users.render(row, await roles.catalogue(session)))


@router.put("/users/{key}", tags=["users"])
async def update_user(
    key: str, body: users.UserUpdate, request: Request, ctx: Ctx = Depends(requires("update-users"))
) -> Response:
    async with database(request).write() as session:
        row = await users.update(session, ctx, await users.get(session, ctx, key), body)
        return render.data(users.render(row, await roles.catalogue(session)))


@router.delete("/users/{key}", tags=["users"], status_code=204)
async def delete_user(key: str, request: Request, ctx: Ctx = Depends(requires("delete-users"))) -> Response:
    async with database(request).write() as session:
        await users.delete(session, ctx, await users.get(session, ctx, key))
    return render.no_content()
