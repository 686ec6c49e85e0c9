"""Event contexts: what trigger filters, action arguments, target templates and webhooks read.

Richer than the REST payload, so receivers need no call-backs (domain-rules §10):

* the event's record (its payload) at the root: a transaction's ``id, profile_id, total, items…``;
* when the event concerns a profile (its subject is a profile, or the payload names a
  ``profile_id``), the **profile context** too: the profile as the API renders it (with
  ``tier_handle``, ``tier{handle, name…}``, balances, ``attributes{comms, appearance, dates}``)
  plus ``flattened_tags``, ``flattened_statuses`` (lists of handles), ``aggregations{…}`` and
  ``organisations`` (its memberships: ``organisations.of_profile``). Its
  fields are merged at the root under the record (the record wins a clash: a transaction's ``id``
  stays the transaction's), and, when the record is not the profile itself, the whole profile
  context is also under ``profile``. So ``tier.achieved`` reads as the profile with the tier
  ``definition`` beside it, and a transaction trigger may filter on ``total`` and on
  ``profile.aggregations.spend_12m`` (or ``aggregations.spend_12m``) alike;
* ``event{id, type, occurred_at}`` (``id`` is the event's UUID).

The context is plain JSON data (timestamps as ``YYYY-MM-DD HH:MM:SS`` text, money as Decimals):
what a webhook receives is exactly what a filter saw. A profile that no longer exists leaves the
payload alone; a deleted (not purged) profile still renders.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server.db import tables as t
from omneo_server.domain import organisations
from omneo_server.domain.commerce import aggregations
from omneo_server.domain.context import Ctx
from omneo_server.domain.errors import Invalid, NotFound
from omneo_server.domain.inputs import Body
from omneo_server.domain.profiles import commands as profiles
from omneo_server.wire import dumps, format_timestamp, loads


def _profile_id(event: t.OutboxEvent, payload: dict[str, Any]) -> str | None:
    if event.subject_type == "profile" and event.type not in ("profile.purged",):
        return str(event.subject_id)
    found = payload.get("profile_id")
    return str(found) if isinstance(found, str) and found else None


async def profile_context(session: AsyncSession, ctx: Ctx, profile: t.Profile) -> dict[str, Any]:
    """A profile's context: the rendered profile with its tags and statuses flattened and its
    aggregations (JSON data)."""
    out = await profiles.render(session, ctx, profile, refresh=False)
    out["flattened_tags"] = list(out.get("tags") or [])
    out["flattened_statuses"] = list(out.get("statuses") or [])
    out["aggregations"] = await aggregations.render(session, ctx, profile)
    out["organisations"] = await organisations.of_profile(session, ctx, profile.id)
    plain: dict[str, Any] = loads(dumps(out))
    return plain


async def profile_context_by_id(session: AsyncSession, ctx: Ctx, profile_id: str) -> dict[str, Any] | None:
    """The context of the profile with this id (deleted ones too), or ``None`` when there is none."""
    try:
        profile = await profiles.get(session, ctx, profile_id, include_deleted=True)
    except NotFound:
        return None
    return await profile_context(session, ctx, profile)


async def event_context(session: AsyncSession, ctx: Ctx, event: t.OutboxEvent) -> dict[str, Any]:
    """The context of ``event`` (see the module's docstring)."""
    payload: dict[str, Any] = loads(dumps(event.payload)) if isinstance(event.payload, dict) else {}
    out: dict[str, Any] = {}
    profile_id = _profile_id(event, payload)
    if profile_id is not None:
        found = await profile_context_by_id(session, ctx, profile_id)
        if found is not None:
            out.update(found)
            out.update(payload)
            if payload.get("id") != profile_id and "profile" not in payload:
                out["profile"] = found
            out.setdefault("profile_id", profile_id)
    if not out:
        out.update(payload)
    out["event"] = {"id": event.event_id, "type": event.type, "occurred_at": format_timestamp(event.occurred_at)}
    return out


# --- custom events ---------------------------------------------------------------------------------

#: Namespaces the platform's own events use: a custom event may not pose as one of them.
RESERVED = frozenset(
    {
        "profile", "transaction", "reward", "point", "points", "credit", "benefit", "tier", "tier_point",
        "achievement", "redemption", "order", "trigger", "automation", "target", "webhook", "list",
    }
)  # fmt: skip
EVENT_NAME = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_.-]+$")


class EventIn(Body):
    """``POST /events``: ``{event: "namespace.event_name", profile_id?, data?}``."""

    event: Annotated[str, StringConstraints(min_length=3, max_length=100)]
    profile_id: Annotated[str, StringConstraints(max_length=36)] | None = None
    data: dict[str, Any] = {}


async def record_custom(session: AsyncSession, ctx: Ctx, body: EventIn) -> dict[str, Any]:
    """Record a custom event; its ``data`` is reachable as ``data.*`` in the context, and the
    profile it names (which must be live) makes it a profile context."""
    if not EVENT_NAME.match(body.event):
        raise Invalid.field("event", "The event must be namespace.event_name (letters, digits, _ and -).")
    if body.event.split(".", 1)[0].lower() in RESERVED:
        raise Invalid.field("event", "The event's namespace is one of the platform's own; choose another.")
    if body.profile_id is not None:
        try:
            await profiles.get(session, ctx, body.profile_id)
        except NotFound:
            raise Invalid.field("profile_id", "The selected profile id is invalid.") from None
    payload = {"event": body.event, "profile_id": body.profile_id, "data": body.data}
    row = t.OutboxEvent(
        tenant_id=ctx.tenant_id,
        type=body.event,
        subject_type="profile" if body.profile_id is not None else "event",
        subject_id=body.profile_id or str(ctx.tenant_id),
        actor=ctx.actor,
        payload=payload,
    )
    session.add(row)
    await session.flush()
    return {"id": row.event_id, **payload}
