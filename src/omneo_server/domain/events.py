"""Domain events, appended to the outbox in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db.engine import dialect_insert
from omneo_server.db.prepared import Insert
from omneo_server.db.tables import OutboxEvent, ReactionRun
from omneo_server.domain.context import Ctx

#: Other names the documentation and older integrations use for the events we record: a trigger or
#: webhook written with any of them hears the event.
ALIASES: dict[str, tuple[str, ...]] = {
    "transaction.created": ("transaction.create",),
    "reward.issued": ("reward.created",),
    "benefit.issued": ("benefit.created",),
    "point.issued": ("points.awarded", "point.created"),
    "achievement.level_up": ("achievement.progressed",),
}


def names(event_type: str) -> tuple[str, ...]:
    """``event_type`` and its aliases."""
    return (event_type, *ALIASES.get(event_type, ()))


def subscriptions(event_type: str) -> tuple[str, ...]:
    """What a webhook may subscribe to to hear ``event_type``: its names, each with ``<prefix>.*``
    for its dotted prefixes (``profile.*`` hears ``profile.created``), and ``*``."""
    found: list[str] = []
    for name in names(event_type):
        parts = name.split(".")
        found += [name, *(".".join(parts[:end]) + ".*" for end in range(1, len(parts)))]
    return (*dict.fromkeys(found), "*")


_INSERT = Insert(OutboxEvent)


async def record(session: AsyncSession, ctx: Ctx, type_: str, subject_id: object, payload: dict[str, Any]) -> None:
    """Append ``type_`` (e.g. ``profile.created``) about ``subject_id`` to the outbox: one prepared
    insert, in the caller's transaction, in the order things happened."""
    await _INSERT.run(
        session,
        {
            "tenant_id": ctx.tenant_id,
            "type": type_,
            "subject_type": type_.split(".", 1)[0],
            "subject_id": str(subject_id),
            "actor": ctx.actor,
            "payload": payload,
        },
    )


async def once(session: AsyncSession, ctx: Ctx, reaction: str, reaction_id: int, key: str) -> bool:
    """Claim (``reaction``, ``reaction_id``, ``key``) for this tenant: True the first time only, so
    a notice or reaction written beside it happens once however often the job runs."""
    claim = dialect_insert(session)(ReactionRun).values(
        tenant_id=ctx.tenant_id,
        reaction=reaction,
        reaction_id=reaction_id,
        event_key=key,
        status="sent",
        created_at=clock.now(),
    )
    return bool(getattr(await session.execute(claim.on_conflict_do_nothing()), "rowcount", 0))
