"""Incentive notifications: a reward, benefit or credit definition may name targets for its
instances' moments (``issue_target_id``, ``expiry_target_id``, ``extend_target_id``,
``remind_target_id``). When the moment's event is dispatched, the target is rendered with the
event's context and queued for delivery like any target send; ``…/trigger-target/{type}`` sends
one on demand."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server.db import tables as t
from omneo_server.domain.context import Ctx
from omneo_server.domain.errors import Invalid
from omneo_server.domain.reactions import actions, templates

#: Instance table by kind, and the definition's target column by moment.
KINDS: dict[str, Any] = {"reward": t.Reward, "benefit": t.Benefit, "credit": t.Credit}
MOMENTS = {
    "issue": "issue_target_id",
    "expiry": "expiry_target_id",
    "extend": "extend_target_id",
    "remind": "remind_target_id",
}
#: The event of each moment.
EVENTS = {
    "issued": "issue",
    "claimed": "issue",
    "expiring": "expiry",
    "extended": "extend",
}


def _moment(event_type: str) -> tuple[str, str] | None:
    kind, _, what = event_type.partition(".")
    moment = EVENTS.get(what)
    return (kind, moment) if kind in KINDS and moment is not None else None


async def _target(session: AsyncSession, ctx: Ctx, kind: str, instance_id: Any, moment: str) -> t.Target | None:
    instance = (
        await session.get(KINDS[kind], int(instance_id))
        if str(instance_id).isascii() and str(instance_id).isdigit()
        else None
    )
    if instance is None or instance.tenant_id != ctx.tenant_id:
        return None
    target_id = getattr(instance.definition, MOMENTS[moment], None)
    target = await session.get(t.Target, target_id) if target_id else None
    return target if target is not None and target.tenant_id == ctx.tenant_id else None


def may_want(event_type: str) -> bool:
    """Whether an event of this type can have a notification at all (an incentive's moment)."""
    return _moment(event_type) is not None


async def wanted(session: AsyncSession, ctx: Ctx, event: t.OutboxEvent) -> bool:
    """Whether ``event`` is an incentive moment whose definition names a target."""
    found = _moment(event.type)
    return found is not None and await _target(session, ctx, found[0], event.subject_id, found[1]) is not None


async def notify(session: AsyncSession, ctx: Ctx, event: t.OutboxEvent, context: dict[str, Any]) -> int:
    """Queue the definition's target for this moment, if it names one (and its condition holds)."""
    found = _moment(event.type)
    if found is None:
        return 0
    target = await _target(session, ctx, found[0], event.subject_id, found[1])
    if target is None:
        return 0
    try:
        delivery = await actions.queue_target(session, ctx, target, context, event_id=event.id, event_type=event.type)
    except templates.TemplateProblem as problem:
        # Recorded where deliveries are, not retried: the template needs fixing, not the event.
        session.add(
            t.Delivery(
                tenant_id=ctx.tenant_id,
                target_id=target.id,
                event_id=event.id,
                message_id=event.event_id,
                event_type=event.type,
                url=target.url,
                body="",
                status="dead",
                last_error=f"template: {problem.message}",
            )
        )
        return 0
    return 0 if delivery is None else 1


async def send_now(
    session: AsyncSession, ctx: Ctx, kind: str, instance: Any, moment: str, context: dict[str, Any]
) -> dict[str, Any]:
    """``GET /{kind}s/{id}/trigger-target/{moment}``: send the moment's target for one instance now."""
    if moment not in MOMENTS:
        raise Invalid.field("type", f"The type must be one of {', '.join(MOMENTS)}.")
    target = await _target(session, ctx, kind, instance.id, moment)
    if target is None:
        raise Invalid.field("type", f"The {kind} definition names no {moment} target.")
    delivery = await actions.queue_target(session, ctx, target, context, event_id=None, event_type=f"{kind}.{moment}")
    return {
        "target": target.handle,
        "delivery_id": None if delivery is None else delivery.id,
        "body": None if delivery is None else delivery.body,
        "sent": delivery is not None,
    }
