"""Reactions: triggers and automations (with their actions), targets, and custom events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from omneo_server.api import render, routing
from omneo_server.api.deps import database, requires
from omneo_server.api.resources import list_query, mount
from omneo_server.domain import crud
from omneo_server.domain.context import Ctx
from omneo_server.domain.reactions import actions, automations, context, reminders, triggers
from omneo_server.domain.reactions.triggers import ActionIn, ActionUpdate

router = routing.router()

AUTOMATION_TAGS: list[str | Enum] = ["automations"]


def _scopes(name: str) -> tuple[Any, Any, Any, Any]:
    return tuple(requires(f"{verb}-{name}") for verb in ("read", "create", "update", "delete"))  # type: ignore[return-value]


# --- /triggers and /automations: the same five routes over their own domain functions ----------


@dataclass(frozen=True)
class Chains:
    """A kind of action chain (triggers, automations) as its routes see it."""

    path: str
    scopes: tuple[Any, Any, Any, Any]
    create: type[Any]
    update: type[Any]
    list_rows: Callable[[AsyncSession, Ctx, Any], Awaitable[Any]]
    get: Callable[[AsyncSession, Ctx, Any], Awaitable[Any]]
    create_row: Callable[[AsyncSession, Ctx, Any], Awaitable[Any]]
    update_row: Callable[[AsyncSession, Ctx, Any, Any], Awaitable[Any]]
    delete_row: Callable[[AsyncSession, Ctx, Any], Awaitable[None]]
    render: Callable[[Any], dict[str, Any]]


def _mount_chains(chains: Chains) -> None:
    read, create, update, delete = chains.scopes
    tag = chains.path.strip("/")
    tags: list[str | Enum] = [tag]
    item = f"{chains.path}/{{key}}"

    async def list_(request: Request, ctx: Ctx = Depends(read)) -> Response:
        query = list_query(request, ctx)
        async with database(request).read() as session:
            result = await chains.list_rows(session, ctx, query)
        return render.page(request, result, [chains.render(r) for r in result.rows])

    async def get(key: str, request: Request, ctx: Ctx = Depends(read)) -> Response:
        async with database(request).read() as session:
            return render.data(chains.render(await chains.get(session, ctx, key)))

    async def create_(body: Any, request: Request, ctx: Ctx = Depends(create)) -> Response:
        async with database(request).write() as session:
            return render.data(chains.render(await chains.create_row(session, ctx, body)), status_code=201)

    async def update_(key: str, body: Any, request: Request, ctx: Ctx = Depends(update)) -> Response:
        async with database(request).write() as session:
            return render.data(chains.render(await chains.update_row(session, ctx, key, body)))

    async def delete_(key: str, request: Request, ctx: Ctx = Depends(delete)) -> Response:
        async with database(request).write() as session:
            await chains.delete_row(session, ctx, key)
        return render.no_content()

    # FastAPI validates and documents the body from the annotation.
    create_.__annotations__["body"] = chains.create
    update_.__annotations__["body"] = chains.update
    name = tag.rstrip("s")
    for method, path, handler, status in (
        ("GET", chains.path, list_, 200),
        ("GET", item, get, 200),
        ("POST", chains.path, create_, 201),
        ("PUT", item, update_, 200),
        ("DELETE", item, delete_, 204),
    ):
        verb = handler.__name__.strip("_")
        router.add_api_route(path, handler, methods=[method], tags=tags, status_code=status, name=f"{name}.{verb}")


TRIGGERS = Chains(
    "/triggers",
    _scopes("triggers"),
    triggers.TriggerIn,
    triggers.TriggerUpdate,
    triggers.list_triggers,
    triggers.get,
    triggers.create,
    triggers.update_trigger,
    triggers.delete,
    triggers.render_trigger,
)
AUTOMATIONS = Chains(
    "/automations",
    _scopes("automations"),
    automations.AutomationIn,
    automations.AutomationUpdate,
    automations.list_automations,
    automations.get,
    automations.create,
    automations.update_automation,
    automations.delete,
    automations.render_automation,
)
_mount_chains(TRIGGERS)
_mount_chains(AUTOMATIONS)
UPDATE_A = AUTOMATIONS.scopes[2]


@router.post("/automations/{key}/trigger", tags=AUTOMATION_TAGS)
async def trigger_automation(
    key: str, request: Request, body: automations.TriggerNowIn | None = None, ctx: Ctx = Depends(UPDATE_A)
) -> Response:
    """Run the automation now (ours: answers what it did, by status)."""
    async with database(request).write() as session:
        return render.data(await automations.trigger_now(session, ctx, key, body or automations.TriggerNowIn()))


# --- /{triggers|automations}/{id}/actions ------------------------------------------------------------

Owner = Callable[[AsyncSession, Ctx, Any], Awaitable[Any]]


def _mount_actions(path: str, owner: Owner, render_owner: Any, scopes: tuple[Any, Any, Any, Any], tag: str) -> None:
    read, create, update, delete = scopes
    tags: list[str | Enum] = [tag]
    item = f"{path}/{{owner_id}}/actions/{{key}}"
    collection = f"{path}/{{owner_id}}/actions"

    async def list_(owner_id: str, request: Request, ctx: Ctx = Depends(read)) -> Response:
        query = list_query(request, ctx)
        async with database(request).read() as session:
            result = await triggers.list_actions(session, ctx, await owner(session, ctx, owner_id), query)
        return render.page(request, result, [triggers.render_action(r) for r in result.rows])

    async def get(owner_id: str, key: str, request: Request, ctx: Ctx = Depends(read)) -> Response:
        async with database(request).read() as session:
            row = await triggers.get_action(session, ctx, await owner(session, ctx, owner_id), key)
            return render.data(triggers.render_action(row))

    async def create_(owner_id: str, body: ActionIn, request: Request, ctx: Ctx = Depends(create)) -> Response:
        async with database(request).write() as session:
            parent = await owner(session, ctx, owner_id)
            row = await triggers.create_action(session, ctx, parent, body, render_owner)
            return render.data(triggers.render_action(row), status_code=201)

    async def update_(
        owner_id: str,
        key: str,
        body: ActionUpdate,  # type: ignore[valid-type]
        request: Request,
        ctx: Ctx = Depends(update),
    ) -> Response:
        async with database(request).write() as session:
            parent = await owner(session, ctx, owner_id)
            row = await triggers.update_action(session, ctx, parent, key, body, render_owner)
            return render.data(triggers.render_action(row))

    async def delete_(owner_id: str, key: str, request: Request, ctx: Ctx = Depends(delete)) -> Response:
        async with database(request).write() as session:
            await triggers.delete_action(session, ctx, await owner(session, ctx, owner_id), key, render_owner)
        return render.no_content()

    name = tag.rstrip("s")
    router.add_api_route(collection, list_, methods=["GET"], tags=tags, name=f"{name}.actions.list")
    router.add_api_route(item, get, methods=["GET"], tags=tags, name=f"{name}.actions.get")
    router.add_api_route(
        collection, create_, methods=["POST"], tags=tags, status_code=201, name=f"{name}.actions.create"
    )
    router.add_api_route(item, update_, methods=["PUT"], tags=tags, name=f"{name}.actions.update")
    router.add_api_route(item, delete_, methods=["DELETE"], tags=tags, status_code=204, name=f"{name}.actions.delete")


for chains in (TRIGGERS, AUTOMATIONS):
    _mount_actions(chains.path, chains.get, chains.render, chains.scopes, chains.path.strip("/"))


# --- /targets --------------------------------------------------------------------------------------


@router.post("/targets/{key}/test", tags=["targets"])
async def test_target(
    key: str, body: actions.TargetTestIn, request: Request, ctx: Ctx = Depends(requires("read-targets"))
) -> Response:
    """Ours: render the target's template on ``context`` → ``{rendered, condition}``; a template
    problem is a 422 on ``template``."""
    async with database(request).read() as session:
        target = await crud.get_row(session, ctx, actions.TARGETS, key)
    return render.data(actions.try_target(target, body.context))


mount(router, actions.TARGETS, "/targets")


# --- /events ---------------------------------------------------------------------------------------


@router.post("/events", tags=["events"], status_code=201)
async def create_event(
    body: context.EventIn, request: Request, ctx: Ctx = Depends(requires("create-events"))
) -> Response:
    """A custom event ``namespace.event_name`` for triggers and webhooks; ``data`` is ``data.*``
    in its context."""
    async with database(request).write() as session:
        return render.data(await context.record_custom(session, ctx, body), status_code=201)


mount(router, reminders.REMINDERS, "/reminders")
