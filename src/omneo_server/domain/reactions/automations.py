"""Automations: the same actions as triggers, fired by a schedule over the profiles a query selects.

**Schedule.** ``schedule`` is a five-field cron expression in UTC (``0 9 * * 1``), checked when
written. Without one, the Omneo fields derive it: ``frequency`` ``daily`` / ``weekly`` (Mondays) /
``fortnightly`` (every other Monday, counted from the last run) / ``monthly`` (the 1st) at hour
``run_at`` (default 0). ``next_run_at`` is the next tick after the write (or after the last run).
An automation with neither runs only when triggered by hand.

**Query.** ``query_type`` ``filter`` (or none) with ``query`` a JSON Logic rule evaluated on each
live profile's context (profile fields, tags, statuses, tier, balances, ``aggregations{…}``); an
empty query selects every live profile. Other query types are refused when written.

**Running.** :func:`run_due` (the scheduler's, per tenant) runs every active automation whose
``next_run_at`` has come: the actions once per selected profile, each profile's chain in its own
SAVEPOINT with a ``ReactionRun`` keyed ``"{tick}:{profile id}"`` (``tick`` = the scheduled time),
so running the same tick again acts once per profile; then ``last_run_at`` = now and
``next_run_at`` = the next tick after now. One run looks at no more than
:data:`MAX_PROFILES_PER_RUN` profiles (in id order); the rest wait for the next tick.
``POST /automations/{id}/trigger`` runs one now (its tick is now, or the body's ``now``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from croniter import croniter
from pydantic import BeforeValidator, StringConstraints
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.domain import crud, events, jsonlogic
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import Resource, render_columns, standard_fields
from omneo_server.domain.errors import Invalid
from omneo_server.domain.inputs import Body, Name, Text, Timestamp, partial
from omneo_server.domain.query import ListQuery, Page
from omneo_server.domain.reactions import context as contexts
from omneo_server.domain.reactions import triggers
from omneo_server.domain.reactions.triggers import ActionIn
from omneo_server.wire import dumps, format_timestamp

#: Profiles one run of one automation looks at, at most (a documented cap, not a page size).
MAX_PROFILES_PER_RUN = 5_000
_PAGE = 200
QUERY_TYPES = ("filter",)


def _json_text(value: Any) -> Any:
    """A query sent as JSON is stored as its JSON text (the column is text, as Omneo's is)."""
    return dumps(value) if isinstance(value, dict | list) else value


class AutomationIn(Body):
    name: Name
    type: Literal["date", "scheduled"] = "scheduled"
    query: Annotated[Annotated[str, StringConstraints(max_length=65535)] | None, BeforeValidator(_json_text)] = None
    query_type: Annotated[str, StringConstraints(max_length=50)] | None = None
    arguments: list[dict[str, Any]] = []
    slot: Annotated[str, StringConstraints(max_length=50)] | None = None
    date: Annotated[str, StringConstraints(max_length=50)] | None = None
    frequency: Literal["monthly", "weekly", "fortnightly", "daily"] | None = None
    run_at: Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) else v)] | None = None
    schedule: Annotated[str, StringConstraints(max_length=100)] | None = None
    is_active: bool = True
    description: Text | None = None
    notes: Text | None = None
    actions: list[ActionIn] | None = None


AutomationUpdate = partial(AutomationIn)


class TriggerNowIn(Body):
    """``POST /automations/{id}/trigger``: ``force`` runs an inactive automation; ``now`` (ours)
    the tick to run as."""

    force: bool = False
    now: Timestamp | None = None


def render_automation(row: t.Automation) -> dict[str, Any]:
    out = render_columns(row)
    out["actions"] = [triggers.render_action(a) for a in row.actions]
    return out


AUTOMATIONS = Resource(
    name="automations",
    event="automation",
    label="Automation",
    table=t.Automation,
    create=AutomationIn,
    update=AutomationUpdate,
    filters=standard_fields(t.Automation, "id", "name", "type", "is_active", "frequency"),
    sorts=standard_fields(t.Automation, "id", "name", "created_at", "updated_at", "next_run_at", "last_run_at"),
    search=(t.Automation.name,),
    render=render_automation,
)


# --- schedule --------------------------------------------------------------------------------------


def check_schedule(expression: str, field: str = "schedule") -> None:
    if len(expression.split()) != 5 or not croniter.is_valid(expression):
        message = f"{expression!r} is not a five-field cron expression (minute hour day month weekday)."
        raise Invalid.field(field, message)


def _hour(run_at: str | None) -> int:
    if run_at is None or run_at == "":
        return 0
    text = run_at.strip().split(":", 1)[0]
    if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= 23:
        raise Invalid.field("run_at", "The run at must be an hour from 0 to 23.")
    return int(text)


def cron_of(row: t.Automation) -> str | None:
    """The automation's cron expression: its ``schedule``, else derived from ``frequency``/``run_at``."""
    if row.schedule:
        return row.schedule
    if row.frequency is None:
        return None
    hour = _hour(row.run_at)
    return {
        "daily": f"0 {hour} * * *",
        "weekly": f"0 {hour} * * 1",
        "fortnightly": f"0 {hour} * * 1",
        "monthly": f"0 {hour} 1 * *",
    }[row.frequency]


def next_tick(row: t.Automation, after: datetime) -> datetime | None:
    expression = cron_of(row)
    if expression is None:
        return None
    if row.frequency == "fortnightly" and not row.schedule and row.last_run_at is not None:
        after = max(after, row.last_run_at + timedelta(days=13))
    found: datetime = croniter(expression, after).get_next(datetime)
    return found


def _check(data: dict[str, Any], row: t.Automation | None) -> None:
    if data.get("schedule"):
        check_schedule(data["schedule"])
    if "run_at" in data:
        _hour(data["run_at"])
    query_type = data.get("query_type", row.query_type if row is not None else None)
    if query_type not in (None, "", *QUERY_TYPES):
        raise Invalid.field("query_type", f"The query type {query_type} is not supported (supported: filter).")
    if data.get("query"):
        jsonlogic.validate(data["query"], "query")


# --- CRUD ------------------------------------------------------------------------------------------


async def list_automations(session: AsyncSession, ctx: Ctx, query: ListQuery) -> Page:
    return await crud.list_rows(session, ctx, AUTOMATIONS, query)


async def get(session: AsyncSession, ctx: Ctx, key: Any) -> t.Automation:
    row: t.Automation = await crud.get_row(session, ctx, AUTOMATIONS, key)
    return row


async def create(session: AsyncSession, ctx: Ctx, body: AutomationIn) -> t.Automation:
    data = body.model_dump()
    items = data.pop("actions", None) or []
    _check(data, None)
    triggers.check_actions(items)
    row = t.Automation(tenant_id=ctx.tenant_id, **data)
    row.actions = triggers.new_actions(ctx, items)
    row.next_run_at = next_tick(row, clock.now())
    session.add(row)
    await session.flush()
    await events.record(session, ctx, "automation.created", row.id, render_automation(row))
    return row


async def update_automation(session: AsyncSession, ctx: Ctx, key: Any, body: Body) -> t.Automation:
    """A partial update; ``actions``, when given, replaces the whole list; a schedule change
    recomputes ``next_run_at``."""
    row = await get(session, ctx, key)
    data = body.model_dump(exclude_unset=True)
    for name in ("name", "type", "is_active", "arguments"):
        if name in data and data[name] is None:
            raise Invalid.field(name, f"The {name} field cannot be null.")
    items = data.pop("actions", None)
    _check(data, row)
    if items is not None:
        triggers.check_actions(items)
        row.actions = triggers.new_actions(ctx, items)
    for name, value in data.items():
        setattr(row, name, value)
    if {"schedule", "frequency", "run_at"} & data.keys():
        row.next_run_at = next_tick(row, clock.now())
    await session.flush()
    await events.record(session, ctx, "automation.updated", row.id, render_automation(row))
    return row


async def delete(session: AsyncSession, ctx: Ctx, key: Any) -> None:
    await crud.delete_row(session, ctx, AUTOMATIONS, key)


# --- running ---------------------------------------------------------------------------------------


async def run(session: AsyncSession, ctx: Ctx, row: t.Automation, tick: datetime) -> dict[str, int]:
    """Run the automation's actions once per selected profile for ``tick``; counts by status."""
    rule = row.query if row.query not in (None, "") else None
    counts: dict[str, int] = {"selected": 0}
    after = ""
    seen = 0
    key_prefix = format_timestamp(tick)
    while seen < MAX_PROFILES_PER_RUN:
        stmt = (
            select(t.Profile)
            .where(t.Profile.tenant_id == ctx.tenant_id, t.Profile.deleted_at.is_(None), t.Profile.id > after)
            .order_by(t.Profile.id)
            .limit(min(_PAGE, MAX_PROFILES_PER_RUN - seen))
        )
        page = list((await session.execute(stmt)).scalars().all())
        if not page:
            break
        seen += len(page)
        after = page[-1].id
        for profile in page:
            context = await contexts.profile_context_by_id(session, ctx, profile.id)
            if context is None:
                continue
            context["profile_id"] = profile.id
            context["automation"] = {"id": row.id, "name": row.name, "run_at": key_prefix}
            if rule is not None and not jsonlogic.truthy(rule, context):
                continue
            counts["selected"] += 1
            status = await triggers.run_chain(
                session, ctx, "automation", row.id, f"{key_prefix}:{profile.id}", row.actions, context
            )
            name = status or "already_ran"
            counts[name] = counts.get(name, 0) + 1
        if len(page) < _PAGE:
            break
    return counts


async def trigger_now(session: AsyncSession, ctx: Ctx, key: Any, body: TriggerNowIn) -> dict[str, Any]:
    row = await get(session, ctx, key)
    if not row.is_active and not body.force:
        raise Invalid.field("force", "The automation is not active (send force: true to run it anyway).")
    tick = body.now or clock.now()
    counts = await run(session, ctx, row, tick)
    row.last_run_at = clock.now()
    return {"automation_id": row.id, "run_at": format_timestamp(tick), **counts}


async def run_due(session: AsyncSession, ctx: Ctx, now: datetime) -> int:
    """Run the tenant's active automations whose ``next_run_at`` ≤ ``now``; how many ran."""
    stmt = (
        select(t.Automation)
        .where(
            t.Automation.tenant_id == ctx.tenant_id,
            t.Automation.is_active.is_(True),
            t.Automation.next_run_at.is_not(None),
            t.Automation.next_run_at <= now,
        )
        .order_by(t.Automation.next_run_at, t.Automation.id)
    )
    ran = 0
    for row in (await session.execute(stmt)).scalars().all():
        assert row.next_run_at is not None
        await run(session, ctx, row, row.next_run_at)
        row.last_run_at = now
        row.next_run_at = next_tick(row, now)
        ran += 1
    await session.flush()
    return ran
