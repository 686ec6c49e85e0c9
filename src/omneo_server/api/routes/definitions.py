"""Incentive definitions and rates: list/get/create/update/delete for every kind, lookup by handle,
clones of reward and benefit definitions, and the rate calculator.

Mounted before the routers of issued incentives, so ``/rewards/definitions`` is never read as
``/rewards/{id}``.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from fastapi import Depends, Request
from pydantic import BaseModel
from starlette.responses import Response

from omneo_server.api import render, routing
from omneo_server.api.deps import database, requires
from omneo_server.api.resources import _typed, list_query
from omneo_server.domain.context import Ctx
from omneo_server.domain.incentives import definitions as d
from omneo_server.domain.incentives import rates

router = routing.router()


def mount_definition(kind: d.Definition, path: str, handles: bool = True) -> None:
    """Every route of one kind of definition under ``path``."""
    res = kind.resource
    tags: list[str | Enum] = [res.name]
    read, create, update, delete = (requires(f"{verb}-{res.name}") for verb in ("read", "create", "update", "delete"))
    item = f"{path}/{{key}}"

    async def list_(request: Request, ctx: Ctx = Depends(read)) -> Response:
        query = list_query(request, ctx)
        async with database(request).read() as session:
            result = await d.list_rows(session, ctx, kind, query)
            items = await d.present(session, ctx, kind, result.rows)
        return render.page(request, result, items)

    async def get(key: str, request: Request, ctx: Ctx = Depends(read)) -> Response:
        async with database(request).read() as session:
            return render.data(await d.present_one(session, ctx, kind, await d.get(session, ctx, kind, key)))

    async def by_handle(handle: str, request: Request, ctx: Ctx = Depends(read)) -> Response:
        async with database(request).read() as session:
            row = await d.get_by_handle(session, ctx, kind, handle)
            return render.data(await d.present_one(session, ctx, kind, row))

    async def create_(body: BaseModel, request: Request, ctx: Ctx = Depends(create)) -> Response:
        async with database(request).write() as session:
            row = await d.create(session, ctx, kind, body.model_dump(by_alias=True))
            return render.data(await d.present_one(session, ctx, kind, row), status_code=201)

    async def update_(key: str, body: BaseModel, request: Request, ctx: Ctx = Depends(update)) -> Response:
        async with database(request).write() as session:
            row = await d.update(session, ctx, kind, key, body.model_dump(by_alias=True, exclude_unset=True))
            return render.data(await d.present_one(session, ctx, kind, row))

    async def delete_(key: str, request: Request, ctx: Ctx = Depends(delete)) -> Response:
        async with database(request).write() as session:
            await d.delete(session, ctx, kind, key)
        return render.no_content()

    async def clone(key: str, body: d.CloneIn, request: Request, ctx: Ctx = Depends(create)) -> Response:
        async with database(request).write() as session:
            row = await d.clone(session, ctx, kind, key, body)
            return render.data(await d.present_one(session, ctx, kind, row), status_code=201)

    routes: list[tuple[str, str, str, Callable[..., Any]]] = [("list", "GET", path, list_)]
    if handles:
        routes.append(("get_by_handle", "GET", f"{path}/handle/{{handle}}", by_handle))
    if kind.cloneable:
        routes.append(("clone", "POST", f"{item}/clone", clone))
    routes += [
        ("get", "GET", item, get),
        ("create", "POST", path, _typed(create_, res.create)),
        ("update", "PUT", item, _typed(update_, res.update)),
        ("delete", "DELETE", item, delete_),
    ]
    for verb, method, route_path, handler in routes:
        router.add_api_route(
            route_path,
            handler,
            methods=[method],
            name=f"{res.name}.{verb}",
            summary=f"{verb.replace('_', ' ').capitalize()} {res.name}",
            tags=tags,
            status_code=201 if verb in ("create", "clone") else 204 if verb == "delete" else 200,
        )


# --- rates: the calculator and attribute search before /rates/{id} --------------------------------

RATE_TAGS: list[str | Enum] = ["rates"]


@router.post("/rates/calculate", tags=RATE_TAGS)
async def calculate_rate(
    body: rates.CalculateIn, request: Request, ctx: Ctx = Depends(requires("read-rates"))
) -> Response:
    """``{"total": <points>}``, the full body (not wrapped in ``data``)."""
    async with database(request).read() as session:
        total = await rates.calculate(session, ctx, body)
    return render.JSON({"total": total})


@router.get("/rates/searchAttributes/{attribute}", tags=RATE_TAGS)
async def search_rate_attributes(
    attribute: str, request: Request, ctx: Ctx = Depends(requires("read-rates"))
) -> Response:
    """The distinct values of a rate attribute, as a plain JSON array."""
    async with database(request).read() as session:
        return render.JSON(await d.rate_attribute_values(session, ctx, attribute))


MOUNTS: tuple[tuple[d.Definition, tuple[str, ...]], ...] = (
    (d.REWARD, ("/rewards/definitions", "/reward-definitions")),
    (d.BENEFIT, ("/benefits/definitions",)),
    (d.POINT, ("/points/definitions",)),
    (d.CREDIT, ("/credits/definitions",)),
    (d.TIER, ("/tiers/definitions",)),
    (d.ACHIEVEMENT, ("/achievements/definitions",)),
)
for definition, paths in MOUNTS:
    for definition_path in paths:
        mount_definition(definition, definition_path)
mount_definition(d.RATE, "/rates", handles=False)
