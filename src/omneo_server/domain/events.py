"""Domain events, appended to the outbox in the caller's transaction, and the audit trail of the
changes they tell of (``GET /audits``: who changed which record, from where, old and new values)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db.engine import dialect_insert
from omneo_server.db.prepared import Insert
from omneo_server.db.tables import Audit, OutboxEvent, ReactionRun
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
_AUDIT = Insert(Audit)
#: What events that change nothing say (``<subject>.<verb>``): they are not audited.
NOTICES = frozenset({"resync", "resent", "due", "expiring"})
#: Audits are the audit trail's own record: their creation is not audited again.
UNAUDITED = frozenset({"audit.created"})


async def record(
    session: AsyncSession,
    ctx: Ctx,
    type_: str,
    subject_id: object,
    payload: dict[str, Any],
    old: dict[str, Any] | None = None,
) -> None:
    """Append ``type_`` (e.g. ``profile.created``) about ``subject_id`` to the outbox, and its audit
    row (``old``: the record as it was, for an update's changed values): prepared inserts, in the
    caller's transaction, in the order things happened."""
    subject_type, _, verb = type_.partition(".")
    await _INSERT.run(
        session,
        {
            "tenant_id": ctx.tenant_id,
            "type": type_,
            "subject_type": subject_type,
            "subject_id": str(subject_id),
            "actor": ctx.actor,
            "payload": payload,
        },
    )
    if ctx.settings.audits and verb not in NOTICES and type_ not in UNAUDITED:
        await _AUDIT.run(session, audit_row(ctx, subject_type, verb, subject_id, payload, old))


def audit_row(
    ctx: Ctx, subject_type: str, verb: str, subject_id: object, payload: dict[str, Any], old: dict[str, Any] | None
) -> dict[str, Any]:
    """The audit of one change: a creation's new values, a deletion's old ones, an update's changed
    fields before and after (those ``old`` has; all of the record after, when ``old`` is not known)."""
    old_values: dict[str, Any] | None = None
    new_values: dict[str, Any] | None = payload
    if verb == "deleted":
        old_values, new_values = payload, None
    elif old is not None:
        changed = [key for key, value in payload.items() if key in old and key != "updated_at" and old[key] != value]
        old_values = {key: old[key] for key in changed}
        new_values = {key: payload[key] for key in changed}
    origin = ctx.origin
    staff = payload.get("staff")
    location_id = payload.get("location_id")
    return {
        "tenant_id": ctx.tenant_id,
        "event": verb[:50],
        "auditable_type": subject_type[:50],
        "auditable_id": None if subject_id is None else str(subject_id),
        "old_values": old_values,
        "new_values": new_values,
        "url": origin.url if origin else None,
        "ip_address": origin.ip_address if origin else None,
        "user_agent": origin.user_agent if origin else None,
        "token_name": (ctx.token_name or ctx.actor or "")[:255] or None,
        "user_id": ctx.user_id,
        "profile_id": str(subject_id) if subject_type == "profile" else _text(payload.get("profile_id")),
        "staff_id": _text(payload.get("staff_id") or (staff.get("id") if isinstance(staff, dict) else None)),
        "location_id": location_id if isinstance(location_id, int) and not isinstance(location_id, bool) else None,
    }


def _text(value: object) -> str | None:
    return str(value)[:36] if isinstance(value, str | int) and not isinstance(value, bool) and value != "" else None


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
