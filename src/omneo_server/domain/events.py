"""Domain events, appended to the outbox in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server.db.tables import OutboxEvent
from omneo_server.domain.context import Ctx


def record(session: AsyncSession, ctx: Ctx, type_: str, subject_id: object, payload: dict[str, Any]) -> None:
    """Append ``type_`` (e.g. ``profile.created``) about ``subject_id`` to the outbox."""
    session.add(
        OutboxEvent(
            tenant_id=ctx.tenant_id,
            type=type_,
            subject_type=type_.split(".", 1)[0],
            subject_id=str(subject_id),
            actor=ctx.actor,
            payload=payload,
        )
    )
