"""The audit trail (``/audits``): who changed which record, when, from where, and its values before
and after. Every change told by an event writes its row with it (``events.record``), so an audit is
in the transaction of its change: there is none for a change that did not happen. ``POST`` records
what happened elsewhere (by default as the caller, from where it called); ``PUT`` and ``DELETE``
exist as the hosted API has them, and are themselves audited."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server.db import tables as t
from omneo_server.domain import crud
from omneo_server.domain.context import Ctx, Origin
from omneo_server.domain.crud import Resource, Row
from omneo_server.domain.inputs import Body, Name, Text, partial
from omneo_server.domain.query import INT_MAX, INT_MIN

Short = Annotated[str, StringConstraints(max_length=50)]
Id = Annotated[str, StringConstraints(max_length=36)]
Int = Annotated[int, Field(ge=INT_MIN, le=INT_MAX)]


class AuditIn(Body):
    event: Short
    auditable_type: Short
    auditable_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    old_values: Any = None
    new_values: Any = None
    url: Text | None = None
    ip_address: Annotated[str, StringConstraints(max_length=45)] | None = None
    user_agent: Annotated[str, StringConstraints(max_length=1023)] | None = None
    token_name: Name | None = None
    user_id: Int | None = None
    profile_id: Id | None = None
    staff_id: Id | None = None
    location_id: Int | None = None


def _id(value: str | None) -> int | str | None:
    """Record ids are numbers on the wire where they are numbers (a profile's is text)."""
    if value is not None and value.isascii() and value.isdigit() and INT_MIN <= int(value) <= INT_MAX:
        return int(value)
    return value


def render(row: Row) -> dict[str, Any]:
    return {
        "id": row.id,
        "event": row.event,
        "auditable_type": row.auditable_type,
        "auditable_id": _id(row.auditable_id),
        "old_values": row.old_values,
        "new_values": row.new_values,
        "url": row.url,
        "ip_address": row.ip_address,
        "user_agent": row.user_agent,
        "token_name": row.token_name,
        "user_id": row.user_id,
        "profile_id": row.profile_id,
        "staff_id": row.staff_id,
        "staff": None,
        "location_id": row.location_id,
        "location": None,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


_FIELDS = crud.standard_fields(
    t.Audit,
    *("id", "event", "auditable_type", "auditable_id", "user_id", "token_name", "profile_id"),
    *("staff_id", "location_id", "ip_address", "created_at", "updated_at"),
)
AUDITS = Resource(
    name="audits",
    event="audit",
    label="Audit",
    table=t.Audit,
    create=AuditIn,
    update=partial(AuditIn),
    filters=_FIELDS,
    sorts=_FIELDS,
    render=render,
)


async def create(session: AsyncSession, ctx: Ctx, data: dict[str, Any]) -> Row:
    """Record an audit; who and where default to the caller and its request."""
    origin = ctx.origin or Origin()
    caller = {
        "url": origin.url,
        "ip_address": origin.ip_address,
        "user_agent": origin.user_agent,
        "token_name": ctx.token_name or ctx.actor,
        "user_id": ctx.user_id,
    }
    given = {key: value for key, value in data.items() if value is not None}
    return await crud.create_row(session, ctx, AUDITS, caller | given)
