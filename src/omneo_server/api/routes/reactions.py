"""Reactions: triggers and automations (with their actions), targets, and custom events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from omneo_server.api import render
from omneo_server.api.deps import database, requires
from omneo_server.api.resources import list_query, mount
from omneo_server.domain import crud
from omneo_server.domain.context import Ctx
from omneo_server.domain.reactions import actions, automations, context, reminders, triggers
from omneo_server.domain.reactions.triggers import ActionIn, ActionUpdate

router = APIRouter()

TRIGGER_TAGS: list[str | Enum] = ["triggers"]
AUTOMATION_TAGS: list[str | Enum] = ["automations"]


def _scopes(name: str) -> tuple[Any, Any, Any, Any]:
    return tuple(requires(f"{verb}-{name}") for verb in ("read", "create", "update", "delete"))  # type: ignore[return-value]


READ_T, CREATE_T, UPDATE_T, DELETE_T = _scopes("triggers")
READ_A, CREATE_A, UPDATE_A, DELETE_A = _scopes("automations")


# --- /triggers -------------------------------------------------------------------------------------


@router.get("/triggers", tags=TRIGGER_TAGS)
async def list_triggers(request: Request, ctx: Ctx = Depends(READ_T)) -> Response:
    query = list_query(request, ctx)
    async with database(request).read() as session:
        result = await triggers.list_triggers(session, ctx, query)
    return render.page(request, result, [triggers.render_trigger(r) for r in result.rows])


@router.get("/triggers/{key}", tags=TRIGGER_TAGS)
async def get_trigger(key: str, request: Request, ctx: Ctx = Depends(READ_T)) -> Response:
    async with database(request).read() as session:
        return render.data(triggers.render_trigger(await triggers.get(session, ctx, key)))


@router.post("/triggers", tags=TRIGGER_TAGS, status_code=201)
async def create_trigger(body: triggers.TriggerIn, request: Request, ctx: Ctx = Depends(CREATE_T)) -> Response:
    async with database(request).write() as session:
        row = await triggers.create(session, ctx, body)
        return render.data(triggers.render_trigger(row), status_code=201)


@router.put("/triggers/{key}", tags=TRIGGER_TAGS)
async def update_trigger(
    key: str,
    body: triggers.TriggerUpdate,  # type: ignore[valid-type]
    request: Request,
    ctx: Ctx = Depends(UPDATE_T),
) -> Response:
    async with database(request).write() as session:
        row = await triggers.update_trigger(session, ctx, key, body)
        return render.data(triggers.render_trigger(row))


@router.delete("/triggers/{key}", tags=TRIGGER_TAGS, status_code=204)
async def delete_trigger(key: str, request: Request, ctx: Ctx = Depends(DELETE_T)) -> Response:
    async with database(request).write() as session:
        await triggers.delete(session, ctx, key)
    return render.no_content()


# --- /automations ----------------------------------------------------------------------------------


@router.get("/automations", tags=AUTOMATION_TAGS)
async def list_automations(request: Request, ctx: Ctx = Depends(READ_A)) -> Response:
    query = list_query(request, ctx)
    async with database(request).read() as session:
        result = await automations.list_automations(session, ctx, query)
    return render.page(request, result, [automations.render_automation(r) for r in result.rows])


@router.get("/automations/{key}", tags=AUTOMATION_TAGS)
async def get_automation(key: str, request: Request, ctx: Ctx = Depends(READ_A)) -> Response:
    async with database(request).read() as session:
        return render.data(automations.render_automation(await automations.get(session, ctx, key)))


@router.post("/automations", tags=AUTOMATION_TAGS, status_code=201)
async def create_automation(body: automations.AutomationIn, request: Request, ctx: Ctx = Depends(CREATE_A)) -> Response:
    async with database(request).write() as session:
        row = await automations.create(session, ctx, body)
        return render.data(automations.render_automation(row), status_code=201)


@router.put("/automations/{key}", tags=AUTOMATION_TAGS)
async def update_automation(
    key: str,
    body: automations.AutomationUpdate,  # type: ignore[valid-type]
    request: Request,
    ctx: Ctx = Depends(UPDATE_A),
) -> Response:
    async with database(request).write() as session:
        row = await automations.update_automation(session, ctx, key, body)
        return render.data(automations.render_automation(row))


@router.delete("/automations/{key}", tags=AUTOMATION_TAGS, status_code=204)
async def delete_automation(key: str, request: Request, ctx: Ctx = Depends(DELETE_A)) -> Response:
    async with database(request).write() as session:
        await automations.delete(session, ctx, key)
    return render.no_content()


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


_mount_actions("/triggers", triggers.get, triggers.render_trigger, (READ_T, CREATE_T, UPDATE_T, DELETE_T), "triggers")
_mount_actions(
    "/automations",
    automations.get,
    automations.render_automation,
    (READ_A, CREATE_A, UPDATE_A, DELETE_A),
    "automations",
)


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
