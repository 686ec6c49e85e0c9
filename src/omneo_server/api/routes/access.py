"""Organisations and access: the permission catalogue (users, roles and OAuth arrive on it)."""

from __future__ import annotations

from fastapi import Depends, Request
from starlette.responses import Response

from omneo_server.api import render, routing
from omneo_server.api.deps import database, requires
from omneo_server.api.resources import list_query
from omneo_server.domain import permissions
from omneo_server.domain.context import Ctx
from omneo_server.domain.errors import NotFound

router = routing.router(tags=["permissions"])
READ = requires("read-permissions")


@router.get("/permissions")
async def list_permissions(request: Request, ctx: Ctx = Depends(READ)) -> Response:
    result = await permissions.listed(database(request), list_query(request, ctx))
    return render.page(request, result, [permissions.render(row) for row in result.rows])


@router.get("/permissions/{key}")
async def get_permission(key: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    row = await permissions.get(database(request), key)
    if row is None:
        raise NotFound("Permission")
    return render.data(permissions.render(row))
