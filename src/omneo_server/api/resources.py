"""Routes for declaratively described resources: one call mounts list/get/create/update/delete."""

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from starlette.responses import Response

from omneo_server.api import render
from omneo_server.api.deps import database, requires
from omneo_server.domain import crud
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import Resource
from omneo_server.domain.query import parse_list_query

CRUD = ("list", "get", "create", "update", "delete")


def list_query(request: Request, ctx: Ctx, ignore: Sequence[str] = ()) -> Any:
    return parse_list_query(
        request.query_params.multi_items(),
        ctx.settings.default_page_size,
        ctx.settings.max_page_size,
        ignore,
    )


def _typed(handler: Callable[..., Any], body: type[BaseModel] | None) -> Callable[..., Any]:
    """Give the handler its resource's body model so FastAPI validates and documents it."""
    if body is not None:
        handler.__annotations__["body"] = body
    return handler


def mount(router: APIRouter, res: Resource, path: str, verbs: Sequence[str] = CRUD, paginated: bool = True) -> None:
    tag: list[str | Enum] = [res.name]
    item = f"{path}/{{key}}"

    async def list_(request: Request, ctx: Ctx = Depends(requires(f"read-{res.name}"))) -> Response:
        query = list_query(request, ctx)
        async with database(request).read() as session:
            result = await crud.list_rows(session, ctx, res, query)
        items = [res.render(row) for row in result.rows]
        return render.page(request, result, items) if paginated else render.data(items)

    async def get(key: str, request: Request, ctx: Ctx = Depends(requires(f"read-{res.name}"))) -> Response:
        async with database(request).read() as session:
            return render.data(res.render(await crud.get_row(session, ctx, res, key)))

    async def create(body: BaseModel, request: Request, ctx: Ctx = Depends(requires(f"create-{res.name}"))) -> Response:
        async with database(request).write() as session:
            row = await crud.create_row(session, ctx, res, body.model_dump(by_alias=True))
            return render.data(res.render(row), status_code=201)

    async def update(
        key: str, body: BaseModel, request: Request, ctx: Ctx = Depends(requires(f"update-{res.name}"))
    ) -> Response:
        async with database(request).write() as session:
            row = await crud.update_row(session, ctx, res, key, body.model_dump(by_alias=True, exclude_unset=True))
            return render.data(res.render(row))

    async def delete(key: str, request: Request, ctx: Ctx = Depends(requires(f"delete-{res.name}"))) -> Response:
        async with database(request).write() as session:
            await crud.delete_row(session, ctx, res, key)
        return render.no_content()

    routes: dict[str, tuple[str, str, Callable[..., Any]]] = {
        "list": ("GET", path, list_),
        "get": ("GET", item, get),
        "create": ("POST", path, _typed(create, res.create)),
        "update": ("PUT", item, _typed(update, res.update or res.create)),
        "delete": ("DELETE", item, delete),
    }
    for verb in verbs:
        method, route_path, handler = routes[verb]
        router.add_api_route(
            route_path,
            handler,
            methods=[method],
            name=f"{res.name}.{verb}",
            summary=f"{verb.capitalize()} {res.name}",
            tags=tag,
            status_code=201 if verb == "create" else 204 if verb == "delete" else 200,
        )
