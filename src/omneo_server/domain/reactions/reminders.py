"""Reminders relative to profile dates, and statuses that run out.

A reminder names a date type (``birthday``, ``joined_at``, or the handle of a profile date such as
``anniversary``) and ``offset_days``, how many days ahead of the date it is due (0: on the day, 7: a
week before). The scheduler records ``reminder.due`` for each live profile whose date, in any
year, falls ``offset_days`` from today, once per (reminder, profile, year); triggers react to it
like any event.

Time-limited statuses (a status with a ``period``) are removed once their ``expires_at`` passes,
with a ``profile.status_expired`` event.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import Field as Pyd
from sqlalchemy import delete, extract, select
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server.db import tables as t
from omneo_server.domain import events
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import Resource, standard_fields
from omneo_server.domain.inputs import Body, Handle, Name, Text, partial

BUILT_IN = ("birthday", "joined_at")


class ReminderIn(Body):
    name: Name
    handle: Handle
    #: ``birthday``, ``joined_at`` or a profile date handle.
    date_type: Handle
    #: Days before the date the reminder is due (0: on the day).
    offset_days: Annotated[int, Pyd(ge=-366, le=366)] = 0
    is_active: bool = True
    description: Text | None = None
    meta: Any = None


_FIELDS = standard_fields(t.Reminder, "id", "handle", "name", "date_type", "is_active", "created_at", "updated_at")
REMINDERS = Resource(
    name="reminders",
    event="reminder",
    label="Reminder",
    table=t.Reminder,
    create=ReminderIn,
    update=partial(ReminderIn),
    filters=_FIELDS,
    sorts=_FIELDS,
    search=(t.Reminder.name, t.Reminder.handle),
    unique=(("handle",),),
)


async def _profiles_on(session: AsyncSession, ctx: Ctx, date_type: str, month: int, day: int) -> list[str]:
    """Live profiles whose ``date_type`` date falls on ``month``/``day`` (any year)."""
    live = (t.Profile.tenant_id == ctx.tenant_id, t.Profile.deleted_at.is_(None))
    if date_type == "birthday":
        stmt = select(t.Profile.id).where(*live, t.Profile.birth_month == month, t.Profile.birth_day == day)
    elif date_type == "joined_at":
        stmt = select(t.Profile.id).where(
            *live, extract("month", t.Profile.joined_at) == month, extract("day", t.Profile.joined_at) == day
        )
    else:
        stmt = (
            select(t.ProfileDate.profile_id)
            .join(t.Profile, t.Profile.id == t.ProfileDate.profile_id)
            .where(
                *live,
                t.ProfileDate.handle == date_type,
                extract("month", t.ProfileDate.date) == month,
                extract("day", t.ProfileDate.date) == day,
            )
        )
    return list((await session.execute(stmt.order_by(t.Profile.id))).scalars())


async def run_due(session: AsyncSession, ctx: Ctx, now: datetime) -> int:
    """Announce today's reminders (once per reminder, profile and year); answer how many."""
    reminders = (
        await session.execute(
            select(t.Reminder).where(t.Reminder.tenant_id == ctx.tenant_id, t.Reminder.is_active.is_(True))
        )
    ).scalars()
    count = 0
    for reminder in reminders:
        occurs = (now + timedelta(days=reminder.offset_days)).date()
        for profile_id in await _profiles_on(session, ctx, reminder.date_type, occurs.month, occurs.day):
            if await events.once(session, ctx, "reminder", reminder.id, f"{occurs.year}:{profile_id}"):
                payload = {
                    "reminder": {"id": reminder.id, "handle": reminder.handle, "name": reminder.name},
                    "profile_id": profile_id,
                    "date_type": reminder.date_type,
                    "occurs_on": occurs.isoformat(),
                    "offset_days": reminder.offset_days,
                }
                await events.record(session, ctx, "reminder.due", profile_id, payload)
                count += 1
    return count


async def expire_statuses(session: AsyncSession, ctx: Ctx, now: datetime) -> int:
    """Take off the statuses whose time is up, each with a ``profile.status_expired`` event."""
    stmt = (
        select(t.ProfileStatus)
        .join(t.Profile, t.Profile.id == t.ProfileStatus.profile_id)
        .where(
            t.Profile.tenant_id == ctx.tenant_id,
            t.ProfileStatus.expires_at.is_not(None),
            t.ProfileStatus.expires_at <= now,
        )
    )
    expired = list((await session.execute(stmt)).scalars())
    for row in expired:
        payload = {"profile_id": row.profile_id, "status": row.status.handle, "expired_at": row.expires_at}
        await events.record(session, ctx, "profile.status_expired", row.profile_id, payload)
    if expired:
        await session.execute(delete(t.ProfileStatus).where(t.ProfileStatus.id.in_([row.id for row in expired])))
    return len(expired)
