"""Triggers: actions run for each event of a type, exactly once per event, each trigger on its own.

``react`` is called by the worker inside the event's dispatch transaction. For every active trigger
of the tenant listening for the event's type (``transaction.create`` is the legacy name of
``transaction.created``), in id order, it first claims the pair (trigger, event) by inserting a
``ReactionRun`` (``ON CONFLICT DO NOTHING``: an event dispatched twice acts once), then runs the
actions in ``sort_order`` inside a SAVEPOINT: a filter that does not pass stops the chain
(``filtered``); an action that fails rolls back that trigger's effects only (``failed``, with the
error in ``detail``) and the other triggers still run. Only database failures that are not about the
data (a lost connection, a serialisation failure) escape, so the worker retries the whole event.

The CRUD here (with inline ``actions[]`` and the ``/{owner}/{id}/actions`` sub-resource) serves
automations too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import StringConstraints
from sqlalchemy import Select, select, update
from sqlalchemy.exc import InterfaceError, InternalError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.db.engine import dialect_insert
from omneo_server.domain import crud, events
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import Resource, render_columns, standard_fields
from omneo_server.domain.errors import Invalid, NotFound
from omneo_server.domain.inputs import Body, Name, Text, partial
from omneo_server.domain.query import ListQuery, Page, apply, paginate
from omneo_server.domain.reactions import actions

EventName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.*-]+$", min_length=1, max_length=100)]


# --- inputs ----------------------------------------------------------------------------------------


class ActionIn(Body):
    """``{name (the action type), arguments?, description?, notes?, sort_order?, uuid?}``."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    arguments: list[Any] | dict[str, Any] | None = None
    description: Text | None = None
    notes: Text | None = None
    sort_order: int | None = None
    uuid: Annotated[str, StringConstraints(max_length=36)] | None = None
    references_id: int | None = None


ActionUpdate = partial(ActionIn)


class TriggerIn(Body):
    name: Name
    trigger: EventName
    description: Text | None = None
    notes: Text | None = None
    is_active: bool = True
    actions: list[ActionIn] | None = None


TriggerUpdate = partial(TriggerIn)


# --- rendering -------------------------------------------------------------------------------------


def render_action(row: t.Action) -> dict[str, Any]:
    return render_columns(row)


def render_trigger(row: t.Trigger) -> dict[str, Any]:
    out = render_columns(row)
    out["actions"] = [render_action(a) for a in row.actions]
    return out


TRIGGERS = Resource(
    name="triggers",
    event="trigger",
    label="Trigger",
    table=t.Trigger,
    create=TriggerIn,
    update=TriggerUpdate,
    filters=standard_fields(t.Trigger, "id", "name", "trigger", "is_active"),
    sorts=standard_fields(t.Trigger, "id", "name", "trigger", "created_at", "updated_at"),
    search=(t.Trigger.name, t.Trigger.trigger),
    render=render_trigger,
)

ACTION_FIELDS = standard_fields(t.Action, "id", "name", "sort_order", "uuid")


# --- actions (shared by triggers and automations) --------------------------------------------------


def _action_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in data.items() if k in ("name", "description", "notes", "sort_order", "references_id")}
    if data.get("uuid"):
        values["uuid"] = data["uuid"]
    if "arguments" in data:
        values["arguments"] = [
            {"name": a["name"], "value": a.get("value"), "is_dynamic": a.get("is_dynamic")}
            for a in actions.argument_list(data["arguments"])
        ]
    return values


def check_actions(items: Sequence[dict[str, Any]], prefix: str = "actions") -> None:
    for index, item in enumerate(items):
        actions.check(item, f"{prefix}.{index}.")


def new_actions(ctx: Ctx, items: Sequence[dict[str, Any]]) -> list[t.Action]:
    """Action rows for a list of checked inputs; a missing ``sort_order`` follows the list."""
    rows = []
    for index, item in enumerate(items):
        values = _action_values(item)
        if values.get("sort_order") is None:
            values["sort_order"] = index + 1
        rows.append(t.Action(tenant_id=ctx.tenant_id, **values))
    return rows


def _owner_column(owner: Any) -> Any:
    return t.Action.trigger_id if isinstance(owner, t.Trigger) else t.Action.automation_id


def _actions_of(ctx: Ctx, owner: Any) -> Select[t.Action]:
    return select(t.Action).where(t.Action.tenant_id == ctx.tenant_id, _owner_column(owner) == owner.id)


async def list_actions(session: AsyncSession, ctx: Ctx, owner: Any, query: ListQuery) -> Page:
    stmt = apply(_actions_of(ctx, owner), query, ACTION_FIELDS, ACTION_FIELDS, (), (t.Action.sort_order, t.Action.id))
    return await paginate(session, stmt, query)


async def get_action(session: AsyncSession, ctx: Ctx, owner: Any, key: str) -> t.Action:
    if not (key.isascii() and key.isdigit()) or len(key) > 9:
        raise NotFound("Action")
    row = (await session.execute(_actions_of(ctx, owner).where(t.Action.id == int(key)))).scalar_one_or_none()
    if row is None:
        raise NotFound("Action")
    return row


async def _touched(session: AsyncSession, ctx: Ctx, owner: Any, render: Any) -> None:
    kind = "trigger" if isinstance(owner, t.Trigger) else "automation"
    await events.record(session, ctx, f"{kind}.updated", owner.id, render(owner))


async def create_action(session: AsyncSession, ctx: Ctx, owner: Any, body: ActionIn, render: Any) -> t.Action:
    data = body.model_dump(exclude_unset=True)
    actions.check(data)
    row = new_actions(ctx, [data])[0]
    if body.sort_order is None:
        row.sort_order = len(owner.actions) + 1
    owner.actions.append(row)
    await session.flush()
    await _touched(session, ctx, owner, render)
    return row


async def update_action(session: AsyncSession, ctx: Ctx, owner: Any, key: str, body: ActionIn, render: Any) -> t.Action:
    row = await get_action(session, ctx, owner, key)
    data = body.model_dump(exclude_unset=True)
    if data.get("name", "") is None:
        raise Invalid.field("name", "The name field cannot be null.")
    merged = {"name": row.name, "arguments": row.arguments, **data}
    actions.check(merged)
    for name, value in _action_values(data).items():
        setattr(row, name, value)
    await session.flush()
    await session.refresh(owner, ["actions"])
    await _touched(session, ctx, owner, render)
    return row


async def delete_action(session: AsyncSession, ctx: Ctx, owner: Any, key: str, render: Any) -> None:
    row = await get_action(session, ctx, owner, key)
    owner.actions.remove(row)
    await session.flush()
    await _touched(session, ctx, owner, render)


# --- trigger CRUD ----------------------------------------------------------------------------------


async def list_triggers(session: AsyncSession, ctx: Ctx, query: ListQuery) -> Page:
    return await crud.list_rows(session, ctx, TRIGGERS, query)


async def get(session: AsyncSession, ctx: Ctx, key: Any) -> t.Trigger:
    row: t.Trigger = await crud.get_row(session, ctx, TRIGGERS, key)
    return row


async def create(session: AsyncSession, ctx: Ctx, body: TriggerIn) -> t.Trigger:
    data = body.model_dump()
    items = [a.model_dump(exclude_unset=True) for a in body.actions or []]
    data.pop("actions", None)
    check_actions(items)
    row = t.Trigger(tenant_id=ctx.tenant_id, **data)
    row.actions = new_actions(ctx, items)
    session.add(row)
    await session.flush()
    await events.record(session, ctx, "trigger.created", row.id, render_trigger(row))
    return row


async def update_trigger(session: AsyncSession, ctx: Ctx, key: Any, body: Body) -> t.Trigger:
    """A partial update; ``actions``, when given, replaces the whole list."""
    row = await get(session, ctx, key)
    data = body.model_dump(exclude_unset=True)
    for name in ("name", "trigger", "is_active"):
        if name in data and data[name] is None:
            raise Invalid.field(name, f"The {name} field cannot be null.")
    items = data.pop("actions", None)
    if items is not None:
        check_actions(items)
        row.actions = new_actions(ctx, items)
    for name, value in data.items():
        setattr(row, name, value)
    await session.flush()
    await events.record(session, ctx, "trigger.updated", row.id, render_trigger(row))
    return row


async def delete(session: AsyncSession, ctx: Ctx, key: Any) -> None:
    await crud.delete_row(session, ctx, TRIGGERS, key)


# --- running ---------------------------------------------------------------------------------------


def _recoverable(exc: Exception) -> bool:
    """Whether a failure belongs to this run (recorded) rather than to the database connection
    (raised, so the worker retries the event). Integrity and data errors are about the data."""
    return not isinstance(exc, OperationalError | InterfaceError | InternalError)


async def run_chain(
    session: AsyncSession,
    ctx: Ctx,
    reaction: str,
    reaction_id: int,
    event_key: str,
    chain: Sequence[t.Action],
    context: dict[str, Any],
    event: t.OutboxEvent | None = None,
) -> str | None:
    """Run ``chain`` once for ``event_key``: the status recorded (``done``, ``filtered``,
    ``failed``), or ``None`` when this reaction already ran for that key. The record names the
    profile it acted for: the profile's action history (``GET /action-history``)."""
    profile_id = context.get("profile_id")
    if profile_id is None and event is not None and event.subject_type == "profile":
        profile_id = event.subject_id
    claim = (
        dialect_insert(session)(t.ReactionRun)
        .values(
            tenant_id=ctx.tenant_id,
            reaction=reaction,
            reaction_id=reaction_id,
            event_key=event_key,
            status="running",
            profile_id=None if profile_id is None else str(profile_id)[:36],
            event_type=event.type if event is not None else f"{reaction}.run",
            created_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["reaction", "reaction_id", "event_key"])
        .returning(t.ReactionRun.id)
    )
    run_id = (await session.execute(claim)).scalar_one_or_none()
    if run_id is None:
        return None
    run = actions.Run(session, ctx, context, reaction, reaction_id, event)
    status = "done"
    detail: dict[str, Any] = {}
    current: t.Action | None = None
    try:
        async with session.begin_nested():
            for current in chain:
                if not await actions.execute(run, current):
                    status = "filtered"
                    detail = {"stopped_at": {"action_id": current.id, "sort_order": current.sort_order}}
                    break
    except Exception as exc:
        if not _recoverable(exc):
            raise
        status = "failed"
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        detail = {"error": str(message)[:2000]}
        if current is not None:
            detail["action"] = {"action_id": current.id, "name": current.name, "sort_order": current.sort_order}
        run.log.clear()  # what the actions did was rolled back
    if run.log:
        detail["actions"] = run.log
    await session.execute(update(t.ReactionRun).where(t.ReactionRun.id == run_id).values(status=status, detail=detail))
    return status


async def react(session: AsyncSession, ctx: Ctx, event: t.OutboxEvent, context: dict[str, Any]) -> None:
    """Run every active trigger of the tenant that listens for ``event`` (see the module's docstring)."""
    names = events.names(event.type)
    stmt = (
        select(t.Trigger)
        .where(t.Trigger.tenant_id == event.tenant_id, t.Trigger.is_active.is_(True), t.Trigger.trigger.in_(names))
        .order_by(t.Trigger.id)
    )
    for trigger in (await session.execute(stmt)).scalars().all():
        await run_chain(session, ctx, "trigger", trigger.id, str(event.id), trigger.actions, context, event)
