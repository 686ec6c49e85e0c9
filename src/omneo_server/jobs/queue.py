"""Queued writes: accepted by a route now, applied by the worker.

``/transactions/queue``, ``/orders/queue``, ``/products/queue`` and each record of
``/profiles/batch`` validate their body in the route (a malformed body is still an immediate 422),
then :func:`enqueue` stores it as a ``QueuedJob`` and the route answers the job's id. The worker's
:func:`run_due` applies each job in its own write transaction as the token that queued it, with
the domain command the synchronous route calls:

* success → ``done`` with its ``result`` (the record's id), its batch item ``success``;
* a :class:`DomainError` or a payload that no longer validates → ``failed`` at once (the data is
  wrong; retrying will not help), the error kept as the route would have answered it;
* anything else (the database away, a lost race) → rolled back and retried after 10 s, 20 s, 40 s …
  (at most an hour); after :data:`MAX_ATTEMPTS` the job is ``dead`` and its batch item failed.

On PostgreSQL the job row is claimed ``FOR UPDATE SKIP LOCKED`` for the length of its transaction,
so N workers never apply one job twice; a worker killed mid-way commits nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import or_, select, update
from sqlalchemy.exc import DataError
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.db.engine import Database
from omneo_server.domain import batches
from omneo_server.domain import catalogue as catalogue_domain
from omneo_server.domain.commerce import orders
from omneo_server.domain.commerce import transactions as txs
from omneo_server.domain.commerce.schemas import OrderIn, TransactionIn, TransactionUpsert
from omneo_server.domain.context import Ctx
from omneo_server.domain.errors import DomainError, Invalid
from omneo_server.domain.profiles import commands as profiles
from omneo_server.domain.profiles import schemas as profile_schemas
from omneo_server.settings import Settings

log = logging.getLogger("omneo_server.queue")
MAX_ATTEMPTS = 8
BATCH = 100


@dataclass(frozen=True)
class Outcome:
    """What a job did: the record's id (the batch item's ``entity_id``) and the job's ``result``."""

    entity_id: Any
    result: dict[str, Any]


Handler = Callable[[AsyncSession, Ctx, dict[str, Any]], Awaitable[Outcome]]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def stored(body: BaseModel) -> dict[str, Any]:
    """A validated body as the job keeps it: JSON, only the fields the client sent (upserts touch
    only those), re-validated into the same model when the job runs."""
    return body.model_dump(mode="json", exclude_unset=True)


async def enqueue(
    session: AsyncSession, ctx: Ctx, kind: str, payload: dict[str, Any], batch_item_id: int | None = None
) -> t.QueuedJob:
    """Queue a write to run as ``ctx`` (its token and scopes); validate the body before this."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler for queued jobs of kind {kind!r}")
    job = t.QueuedJob(
        tenant_id=ctx.tenant_id,
        kind=kind,
        payload=payload,
        actor=ctx.actor,
        scopes=sorted(ctx.scopes),
        origin=ctx.attribution(),
        batch_item_id=batch_item_id,
        status="pending",
        attempts=0,
        available_at=clock.now(),
    )
    session.add(job)
    await session.flush()
    return job


# --- handlers: each calls the domain exactly as the synchronous route does --------------------------


@handler("transaction.upsert")
async def _transaction_upsert(session: AsyncSession, ctx: Ctx, payload: dict[str, Any]) -> Outcome:
    tx, created = await txs.update_create(session, ctx, TransactionUpsert.model_validate(payload))
    return Outcome(tx.id, {"id": tx.id, "created": created})


@handler("transaction.create")
async def _transaction_create(session: AsyncSession, ctx: Ctx, payload: dict[str, Any]) -> Outcome:
    tx, created = await txs.create(session, ctx, TransactionIn.model_validate(payload))
    return Outcome(tx.id, {"id": tx.id, "created": created})


@handler("order.create")
async def _order_create(session: AsyncSession, ctx: Ctx, payload: dict[str, Any]) -> Outcome:
    order = await orders.create(session, ctx, OrderIn.model_validate(payload))
    return Outcome(order.id, {"id": order.id, "created": True})


@handler("order.upsert")
async def _order_upsert(session: AsyncSession, ctx: Ctx, payload: dict[str, Any]) -> Outcome:
    """The order with this ``external_id`` is updated (the body merges onto it, as ``PUT`` does);
    otherwise one is created."""
    body = OrderIn.model_validate(payload)
    if body.external_id:
        stmt = select(t.Order.id).where(t.Order.tenant_id == ctx.tenant_id, t.Order.external_id == body.external_id)
        found = (await session.execute(stmt)).scalar_one_or_none()
        if found is not None:
            order = await orders.update(session, ctx, await orders.get(session, ctx, found), payload)
            return Outcome(order.id, {"id": order.id, "created": False})
    order = await orders.create(session, ctx, body)
    return Outcome(order.id, {"id": order.id, "created": True})


@handler("product.upsert")
async def _product_upsert(session: AsyncSession, ctx: Ctx, payload: dict[str, Any]) -> Outcome:
    body = catalogue_domain.ProductQueueIn.model_validate(payload)
    product = await catalogue_domain.upsert_product(session, ctx, body.model_dump(exclude_unset=True))
    return Outcome(product.id, {"id": product.id})


@handler("profile.upsert")
async def _profile_upsert(session: AsyncSession, ctx: Ctx, payload: dict[str, Any]) -> Outcome:
    """One record of ``/profiles/batch``: ``{match_criteria, profile}``."""
    profile = await profiles.upsert(session, ctx, payload["profile"], payload["match_criteria"])
    return Outcome(profile.id, {"id": profile.id})


# --- profile batches ------------------------------------------------------------------------------


def _check_record(ctx: Ctx, record: dict[str, Any], index: int) -> None:
    """What can be checked without the database: the record's shape, email and mobile syntax."""
    prefix = f"profiles.{index}"
    values = profiles._validated(profile_schemas.ProfileFields, record, prefix)
    try:
        if values.get("email"):
            profiles.normalise_email(values["email"])
        if values.get("mobile_phone"):
            profiles.normalise_phone(ctx, values["mobile_phone"])
    except Invalid as exc:
        raise Invalid({f"{prefix}.{k}": v for k, v in exc.errors.items()}) from None


def _match_key(record: dict[str, Any], match: str) -> str | None:
    """The value a record is matched on (its batch item's ``external_id``)."""
    if match in ("email", "mobile_phone"):
        value = record.get(match)
        return str(value) if value else None
    for identity in record.get("identities") or []:
        if isinstance(identity, dict) and identity.get("handle") == match and identity.get("identifier"):
            return str(identity["identifier"])
    return None


async def enqueue_profile_batch(session: AsyncSession, ctx: Ctx, body: profile_schemas.BatchIn) -> t.Batch:
    """``/profiles/batch``: every record is checked first (a bad one is a 422 naming
    ``profiles.{index}.{field}`` and nothing is queued), then one batch with an item and a queued
    job per record."""
    for index, record in enumerate(body.profiles):
        _check_record(ctx, record, index)
    batch = await batches.create(session, ctx, "profile")
    items = await batches.add_items(
        session,
        ctx,
        batch.id,
        [{"status": "pending", "external_id": _match_key(r, body.match_criteria)} for r in body.profiles],
    )
    for item, record in zip(items, body.profiles, strict=True):
        payload = {"match_criteria": body.match_criteria, "profile": record}
        await enqueue(session, ctx, "profile.upsert", payload, batch_item_id=item.id)
    return batch


# --- running -------------------------------------------------------------------------------------


def _backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s … capped at one hour."""
    return timedelta(seconds=min(3600, 10 * 2 ** (attempts - 1)))


def _due(now: Any) -> Any:
    return (t.QueuedJob.status == "pending", or_(t.QueuedJob.available_at.is_(None), t.QueuedJob.available_at <= now))


async def _due_ids(db: Database, tenants: Sequence[int] | None, limit: int) -> list[str]:
    stmt = select(t.QueuedJob.id).where(*_due(clock.now()))
    if tenants is not None:
        stmt = stmt.where(t.QueuedJob.tenant_id.in_(list(tenants)))
    async with db.read() as session:
        rows = await session.execute(stmt.order_by(t.QueuedJob.created_at, t.QueuedJob.id).limit(limit))
        return list(rows.scalars())


def _refusal(exc: Exception) -> dict[str, Any]:
    """The error a refused job keeps: what the synchronous route would have answered."""
    if isinstance(exc, DomainError):
        return {"status": exc.status, "message": exc.message, "errors": exc.errors}
    if isinstance(exc, ValidationError):
        errors: dict[str, list[str]] = {}
        for problem in exc.errors():
            errors.setdefault(".".join(str(p) for p in problem["loc"]) or "body", []).append(problem["msg"])
        return {"status": 422, "message": next(iter(errors.values()))[0], "errors": errors}
    message = "A value is out of range or too long."
    return {"status": 422, "message": message, "errors": {"body": [message]}}


async def _finish(
    session: AsyncSession, job_id: str, item_id: int | None, status: str, outcome: Outcome | None, error: Any
) -> None:
    values: dict[str, Any] = {"status": status, "updated_at": clock.now(), "attempts": t.QueuedJob.attempts + 1}
    if outcome is not None:
        values |= {"result": outcome.result, "last_error": None}
    else:
        values |= {"result": {"error": error}, "last_error": error["message"]}
    stmt = update(t.QueuedJob).where(t.QueuedJob.id == job_id).values(**values)
    await session.execute(stmt.execution_options(synchronize_session=False))
    if item_id is not None:
        if outcome is not None:
            await batches.settle_item(session, item_id, "success", outcome.entity_id, None)
        else:
            await batches.settle_item(session, item_id, "failed", None, error["message"])


async def _run_one(db: Database, settings: Settings, job_id: str) -> bool:
    """Apply one job in one write transaction; False when another worker has it or it is settled."""
    async with db.write() as session:
        stmt = select(t.QueuedJob).where(t.QueuedJob.id == job_id, *_due(clock.now()))
        job = (await session.execute(stmt.with_for_update(skip_locked=True))).scalar_one_or_none()
        if job is None:
            return False
        kind, payload, item_id = job.kind, job.payload, job.batch_item_id
        ctx = Ctx(
            job.tenant_id, settings, actor=job.actor, scopes=frozenset(job.scopes or ()), **Ctx.attributed(job.origin)
        )
        run = HANDLERS.get(kind)
        try:
            if run is None:
                raise Invalid.field("kind", f"Unknown queued job kind {kind}.")
            async with session.begin_nested():
                outcome = await run(session, ctx, dict(payload or {}))
        except (DomainError, ValidationError, DataError) as exc:
            await _finish(session, job_id, item_id, "failed", None, _refusal(exc))
            return True
        await _finish(session, job_id, item_id, "done", outcome, None)
        return True


async def _retry_later(db: Database, job_id: str, error: BaseException) -> None:
    async with db.write() as session:
        stmt = select(t.QueuedJob).where(t.QueuedJob.id == job_id, t.QueuedJob.status == "pending")
        job = (await session.execute(stmt.with_for_update())).scalar_one_or_none()
        if job is None:
            return
        job.attempts += 1
        job.last_error = f"{type(error).__name__}: {error}"[:2000]
        if job.attempts >= MAX_ATTEMPTS:
            job.status = "dead"
            if job.batch_item_id is not None:
                await batches.settle_item(session, job.batch_item_id, "failed", None, job.last_error)
        else:
            job.available_at = clock.now() + _backoff(job.attempts)
    log.warning("queued job %s failed (%s)", job_id, error)


async def run_due(db: Database, settings: Settings, tenants: Sequence[int] | None = None, limit: int = BATCH) -> int:
    """Apply up to ``limit`` due jobs (for ``tenants``, default all), oldest first; answer how many
    were attempted. Never raises: one bad job must not stop the others, nor the worker."""
    try:
        ids = await _due_ids(db, tenants, limit)
    except Exception:
        log.exception("reading the job queue failed")
        return 0
    ran = 0
    for job_id in ids:
        try:
            ran += await _run_one(db, settings, job_id)
        except Exception as exc:
            ran += 1
            try:
                await _retry_later(db, job_id, exc)
            except Exception:
                log.exception("recording the failure of queued job %s failed", job_id)
    return ran
