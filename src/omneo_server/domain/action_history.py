"""Action history (``GET /action-history``): what reactions did, and to whom. Every trigger and
automation run is recorded with its effects (``ReactionRun``: once per event and reaction); the
history answers those records, with the profile each acted for, its status and what each action
did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server.db import tables as t
from omneo_server.domain.context import Ctx
from omneo_server.domain.errors import NotFound
from omneo_server.domain.query import Field, ListQuery, Page, apply, paginate

#: Runs of these are reactions acting (other records of the table mark notices sent once).
REACTIONS = ("trigger", "automation")
FILTERS: dict[str, Field] = {
    "id": Field(t.ReactionRun.id, int),
    "profile_id": Field(t.ReactionRun.profile_id),
    "reaction": Field(t.ReactionRun.reaction),
    "reaction_id": Field(t.ReactionRun.reaction_id, int),
    "event_type": Field(t.ReactionRun.event_type),
    "status": Field(t.ReactionRun.status),
    "created_at": Field(t.ReactionRun.created_at, datetime),
}


def render(row: t.ReactionRun) -> dict[str, Any]:
    detail = dict(row.detail or {})
    return {
        "id": row.id,
        "reaction": row.reaction,
        "reaction_id": row.reaction_id,
        "trigger_id": row.reaction_id if row.reaction == "trigger" else None,
        "automation_id": row.reaction_id if row.reaction == "automation" else None,
        "event_type": row.event_type,
        "event_key": row.event_key,
        "profile_id": row.profile_id,
        "status": row.status,
        "actions": detail.pop("actions", []),
        "detail": detail,
        "created_at": row.created_at,
        "updated_at": row.created_at,
    }


def _runs(ctx: Ctx) -> Any:
    return select(t.ReactionRun).where(t.ReactionRun.tenant_id == ctx.tenant_id, t.ReactionRun.reaction.in_(REACTIONS))


async def listed(session: AsyncSession, ctx: Ctx, query: ListQuery) -> Page:
    stmt = apply(_runs(ctx), query, FILTERS, FILTERS, default_sort=(t.ReactionRun.id.desc(),))
    return await paginate(session, stmt, query)


async def get(session: AsyncSession, ctx: Ctx, key: str) -> t.ReactionRun:
    if not (key.isascii() and key.isdigit()) or int(key) >= 2**31:
        raise NotFound("Action history")
    row = (await session.execute(_runs(ctx).where(t.ReactionRun.id == int(key)))).scalar_one_or_none()
    if row is None:
        raise NotFound("Action history")
    return row  # type: ignore[no-any-return]
