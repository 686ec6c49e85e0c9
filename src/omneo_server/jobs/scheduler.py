"""Recurring work under the one clock tests can move: expiry of rewards, points and credits (with
their "expiring soon" events), tier anniversaries, automations, reminders relative to profile dates
and time-limited statuses.

Each job runs per tenant at most once per period. On PostgreSQL a transaction-level advisory lock
per (tenant, job) makes exactly one scheduler act even when several workers tick at once; the
``schedule_runs`` row (read under that lock) says when the job last ran.
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.db.engine import Database
from omneo_server.domain.context import Ctx
from omneo_server.settings import Settings

Job = Callable[[AsyncSession, Ctx, datetime], Awaitable[int]]


async def _expire(session: AsyncSession, ctx: Ctx, _now: datetime) -> int:
    from omneo_server.domain.incentives import ledger

    return await ledger.expire_due(session, ctx)


async def _expiring(session: AsyncSession, ctx: Ctx, now: datetime) -> int:
    from omneo_server.domain.incentives import ledger

    return await ledger.announce_expiring(session, ctx, now)


async def _tiers(session: AsyncSession, ctx: Ctx, now: datetime) -> int:
    from omneo_server.domain.incentives import tiers

    return await tiers.maintain_due(session, ctx, now)


async def _automations(session: AsyncSession, ctx: Ctx, now: datetime) -> int:
    from omneo_server.domain.reactions import automations

    return int(await automations.run_due(session, ctx, now))


async def _reminders(session: AsyncSession, ctx: Ctx, now: datetime) -> int:
    from omneo_server.domain.reactions import reminders

    return await reminders.run_due(session, ctx, now)


async def _statuses(session: AsyncSession, ctx: Ctx, now: datetime) -> int:
    from omneo_server.domain.reactions import reminders

    return await reminders.expire_statuses(session, ctx, now)


@dataclass(frozen=True)
class Schedule:
    name: str
    every: timedelta
    job: Job


SCHEDULES = (
    Schedule("expiry", timedelta(minutes=1), _expire),
    Schedule("expiring", timedelta(hours=1), _expiring),
    Schedule("tiers", timedelta(hours=1), _tiers),
    Schedule("automations", timedelta(minutes=1), _automations),
    Schedule("reminders", timedelta(hours=1), _reminders),
    Schedule("statuses", timedelta(minutes=5), _statuses),
)


async def _claim(session: AsyncSession, key: str) -> bool:
    """On PostgreSQL, the (tenant, job) advisory lock for this transaction, if free."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    lock = zlib.crc32(key.encode())
    return bool((await session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": lock})).scalar_one())


async def _run(db: Database, settings: Settings, tenant_id: int, schedule: Schedule) -> int:
    key = f"{tenant_id}:{schedule.name}"
    now = clock.now()
    async with db.write() as session:
        if not await _claim(session, key):
            return 0
        row = await session.get(t.ScheduleRun, key, with_for_update=True)
        if row is not None and row.last_run_at + schedule.every > now:
            return 0
        done = await schedule.job(session, Ctx(tenant_id, settings, actor="scheduler"), now)
        if row is None:
            session.add(t.ScheduleRun(name=key, last_run_at=now))
        else:
            row.last_run_at = now
        return done


async def tick(db: Database, settings: Settings, tenants: Sequence[int] | None = None) -> int:
    """Run every job that is due, for every tenant (or those given); answer how much they did.
    What is due is read first, so an idle tick writes nothing."""
    now = clock.now()
    async with db.read() as session:
        if tenants is None:
            tenants = list((await session.execute(select(t.Tenant.id).order_by(t.Tenant.id))).scalars())
        rows = await session.execute(select(t.ScheduleRun.name, t.ScheduleRun.last_run_at))
        last = {name: at for name, at in rows.all()}
    done = 0
    for tenant_id in tenants:
        for schedule in SCHEDULES:
            previous = last.get(f"{tenant_id}:{schedule.name}")
            if previous is None or previous + schedule.every <= now:
                done += await _run(db, settings, tenant_id, schedule)
    return done
