"""The worker: dispatches outbox events to triggers and webhooks, delivers what is due, and runs
the scheduler. ``omneo-server serve`` runs one in-process; ``omneo-server worker`` runs it alone,
and any number may share one PostgreSQL.

Each event is dispatched in one write transaction: its context is built, the matching triggers act
(each records a ``ReactionRun`` beside its effects), webhook deliveries are queued, and the event is
marked processed. On PostgreSQL the event row is claimed ``FOR UPDATE SKIP LOCKED``, so two workers
never dispatch the same event, and a worker killed mid-way leaves nothing half done: its transaction
rolls back and the event is dispatched again. A dispatch that fails is retried with backoff and,
after :data:`MAX_ATTEMPTS`, parked as dead (``dead_at``, ``last_error``) rather than blocking the rest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import suppress
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, literal, or_, select, update

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.db.engine import Database
from omneo_server.domain import events
from omneo_server.domain.context import Ctx
from omneo_server.jobs import outbound, queue, scheduler
from omneo_server.settings import Settings

log = logging.getLogger("omneo_server.worker")
MAX_ATTEMPTS = 8
BATCH = 100
#: The pause after a pass that found some work but less than a batch of events.
BUSY_PAUSE_SECONDS = 0.05


def _backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s … capped at one hour."""
    return timedelta(seconds=min(3600, 10 * 2 ** (attempts - 1)))


async def _interested(session: Any, tenant_id: int, event_type: str) -> bool:
    """Whether any active trigger or webhook listens for ``event_type``: most events need no context."""
    names = events.names(event_type)
    triggers = select(literal(1)).where(
        t.Trigger.tenant_id == tenant_id, t.Trigger.is_active.is_(True), t.Trigger.trigger.in_(names)
    )
    hooks = select(literal(1)).where(
        t.Webhook.tenant_id == tenant_id,
        t.Webhook.is_active.is_(True),
        t.Webhook.trigger.in_(events.subscriptions(event_type)),
    )
    return bool((await session.execute(select(or_(triggers.exists(), hooks.exists())))).scalar_one())


async def _pending(db: Database, limit: int) -> tuple[list[int], list[int]]:
    """Up to ``limit`` due events, oldest first, split into those something may react to (dispatched
    one by one) and those nothing listens for (settled together: most events, such as a sale's)."""
    from omneo_server.domain.reactions import notifications

    now = clock.now()
    stmt = (
        select(t.OutboxEvent.id, t.OutboxEvent.tenant_id, t.OutboxEvent.type)
        .where(
            t.OutboxEvent.processed_at.is_(None),
            t.OutboxEvent.dead_at.is_(None),
            or_(t.OutboxEvent.available_at.is_(None), t.OutboxEvent.available_at <= now),
        )
        .order_by(t.OutboxEvent.id)
        .limit(limit)
    )
    listened: dict[tuple[int, str], bool] = {}
    react: list[int] = []
    settle: list[int] = []
    async with db.read() as session:
        for event_id, tenant_id, event_type in (await session.execute(stmt)).all():
            key = (tenant_id, event_type)
            if key not in listened:
                listened[key] = notifications.may_want(event_type) or await _interested(session, tenant_id, event_type)
            (react if listened[key] else settle).append(event_id)
    return react, settle


async def _settle(db: Database, event_ids: list[int]) -> int:
    """Mark events nothing listens for as processed, in one statement (one a concurrent worker has
    already dispatched keeps its own time)."""
    if not event_ids:
        return 0
    stmt = (
        update(t.OutboxEvent)
        .where(t.OutboxEvent.id.in_(event_ids), t.OutboxEvent.processed_at.is_(None))
        .values(processed_at=clock.now())
    )
    async with db.write() as session:
        return int(getattr(await session.execute(stmt), "rowcount", 0) or 0)


async def _dispatch_one(db: Database, settings: Settings, event_id: int) -> bool:
    """Dispatch one event in one transaction; False when another worker has it or it is done."""
    from omneo_server.domain.reactions import context as contexts
    from omneo_server.domain.reactions import notifications, triggers, webhooks

    async with db.write() as session:
        stmt = select(t.OutboxEvent).where(t.OutboxEvent.id == event_id, t.OutboxEvent.processed_at.is_(None))
        event = (await session.execute(stmt.with_for_update(skip_locked=True))).scalar_one_or_none()
        if event is None:
            return False
        ctx = Ctx(event.tenant_id, settings, actor="worker")
        if await _interested(session, event.tenant_id, event.type) or await notifications.wanted(session, ctx, event):
            context = await contexts.event_context(session, ctx, event)
            await triggers.react(session, ctx, event, context)
            await notifications.notify(session, ctx, event, context)
            await webhooks.enqueue(session, ctx, event, context)
        event.processed_at = clock.now()
        return True


async def _failed(db: Database, event_id: int, error: BaseException) -> None:
    async with db.write() as session:
        event = await session.get(t.OutboxEvent, event_id)
        if event is None:
            return
        event.attempts += 1
        event.last_error = f"{type(error).__name__}: {error}"[:2000]
        if event.attempts >= MAX_ATTEMPTS:
            event.dead_at = clock.now()
        else:
            event.available_at = clock.now() + _backoff(event.attempts)
    log.warning("dispatching event %s failed (%s)", event_id, error)


async def dispatch(db: Database, settings: Settings, limit: int = BATCH) -> int:
    """Dispatch up to ``limit`` pending events, oldest first; answer how many were dispatched."""
    react, settle = await _pending(db, limit)
    done = await _settle(db, settle)
    for event_id in react:
        try:
            done += await _dispatch_one(db, settings, event_id)
        except Exception as exc:  # one bad event must not stop the others
            await _failed(db, event_id, exc)
    return done


async def run_once(
    db: Database, settings: Settings, client: httpx.AsyncClient, tenants: Sequence[int] | None = None
) -> dict[str, int]:
    """One pass of everything: run the scheduler's due jobs (for ``tenants``, default all), apply
    queued writes, dispatch events until none are left (so effects that cause events are followed
    through), then deliver what is due."""
    from omneo_server.domain.reactions import webhooks

    counts = {"dispatched": 0, "delivered": 0, "scheduled": 0, "queued": 0}
    counts["scheduled"] += await scheduler.tick(db, settings, tenants)
    for _ in range(50):
        ran = await queue.run_due(db, settings, tenants)
        counts["queued"] += ran
        if ran < queue.BATCH:
            break
    for _ in range(50):
        dispatched = await dispatch(db, settings)
        counts["dispatched"] += dispatched
        if dispatched < BATCH:
            break
    counts["delivered"] += await webhooks.deliver_due(
        db,
        client=client,
        timeout=settings.delivery_timeout_seconds,
        tenants=tenants,
        lease_seconds=settings.delivery_lease_seconds,
    )
    return counts


async def run(db: Database, settings: Settings, stop: asyncio.Event, tenants: Sequence[int] | None = None) -> None:
    """Loop until ``stop`` is set, sleeping ``worker_idle_seconds`` when a pass found nothing, and
    :data:`BUSY_PAUSE_SECONDS` after a pass that did not fill a batch (so a steady trickle of events
    is taken a batch at a time, not a pass each). Deliveries go through the guarded outbound client
    (a wrong ``OMNEO_WEBHOOK_ALLOW_NETWORKS`` raises here, before the loop starts)."""
    async with outbound.client(settings) as client:
        while not stop.is_set():
            try:
                counts = await run_once(db, settings, client, tenants)
            except Exception:  # the database may be briefly away: keep the worker alive
                log.exception("worker pass failed")
                counts = {}
            if not any(counts.values()):
                pause = settings.worker_idle_seconds
            elif counts.get("dispatched", 0) < BATCH:
                pause = min(BUSY_PAUSE_SECONDS, settings.worker_idle_seconds)
            else:
                continue
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)


async def backlog(db: Database) -> int:
    """Events not yet dispatched (for health and tests)."""
    stmt = select(func.count()).where(t.OutboxEvent.processed_at.is_(None), t.OutboxEvent.dead_at.is_(None))
    async with db.read() as session:
        return int((await session.execute(stmt)).scalar_one())


async def requeue_dead(db: Database) -> int:
    """Give dead events another go (after fixing what made them fail)."""
    async with db.write() as session:
        result = await session.execute(
            update(t.OutboxEvent)
            .where(t.OutboxEvent.dead_at.is_not(None))
            .values(dead_at=None, attempts=0, available_at=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)
