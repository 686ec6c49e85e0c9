"""Batches (entities.md §6.5) and what the queue tells clients about a queued write.

A batch groups items with per-item outcomes. ``/profiles/batch`` makes one whose items the worker
settles (one queued job per item); an importer may also create one (``POST /batches``) and record
the items it processed itself (``POST /batches/{id}/items``). The counters move in one ``UPDATE``
whose expressions read the row as it was, so concurrent workers settling items of one batch never
lose a count, and the batch's ``status`` is derived in the same statement: ``pending`` until every
item it knows of is processed, then ``failed`` if any failed, else ``success``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator
from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.domain import crud
from omneo_server.domain.context import Ctx
from omneo_server.domain.crud import Resource, render_columns, standard_fields
from omneo_server.domain.errors import NotFound
from omneo_server.domain.inputs import Body, Name, Text

ItemStatus = Literal["pending", "success", "failed"]
#: Items one ``POST /batches/{id}/items`` may record.
MAX_ITEMS = 1000


class BatchIn(Body):
    entity_type: str = Field(min_length=1, max_length=50)
    import_job_id: int | None = None


class BatchItemIn(Body):
    status: ItemStatus
    error: Text | None = None
    entity_id: str | int | None = None
    external_id: Name | None = None


class BatchItemsIn(Body):
    """``{items: [...]}``; a single item sent bare (what the JS SDK's ``createItem`` types — QUIRK)
    is read as a list of one."""

    items: list[BatchItemIn] = Field(min_length=1, max_length=MAX_ITEMS)

    @model_validator(mode="before")
    @classmethod
    def _bare_item(cls, value: Any) -> Any:
        if isinstance(value, dict) and "items" not in value and "status" in value:
            return {"items": [value]}
        return value


def render_batch(batch: t.Batch, items: list[t.BatchItem] | None = None) -> dict[str, Any]:
    out = render_columns(batch)
    if items is not None:
        out["items"] = [render_item(item) for item in items]
    return out


def render_item(item: t.BatchItem) -> dict[str, Any]:
    return render_columns(item, exclude=("tenant_id",))


BATCHES = Resource(
    name="batches",
    event="batch",
    label="Batch",
    table=t.Batch,
    filters=standard_fields(t.Batch, "id", "entity_type", "import_job_id", "status"),
    sorts=standard_fields(t.Batch, "id", "status", "created_at", "updated_at"),
    render=render_batch,
)


async def create(session: AsyncSession, ctx: Ctx, entity_type: str, import_job_id: int | None = None) -> t.Batch:
    batch = t.Batch(
        tenant_id=ctx.tenant_id,
        entity_type=entity_type,
        import_job_id=import_job_id,
        status="pending",
        processed_count=0,
        success_count=0,
        failed_count=0,
    )
    session.add(batch)
    await session.flush()
    return batch


async def get(session: AsyncSession, ctx: Ctx, key: Any) -> t.Batch:
    batch: t.Batch = await crud.get_row(session, ctx, BATCHES, key)
    return batch


async def items_of(session: AsyncSession, batch_id: int) -> list[t.BatchItem]:
    stmt = select(t.BatchItem).where(t.BatchItem.batch_id == batch_id).order_by(t.BatchItem.id)
    return list((await session.execute(stmt)).scalars())


async def add_items(
    session: AsyncSession, ctx: Ctx, batch_id: int, items: list[BatchItemIn] | list[dict[str, Any]]
) -> list[t.BatchItem]:
    """Record items (each ``pending`` until settled, or already ``success``/``failed`` when an
    importer processed them itself) and count them into the batch."""
    rows = []
    for item in items:
        values = item.model_dump() if isinstance(item, BatchItemIn) else dict(item)
        entity_id = values.get("entity_id")
        rows.append(
            t.BatchItem(
                tenant_id=ctx.tenant_id,
                batch_id=batch_id,
                external_id=values.get("external_id"),
                entity_id=None if entity_id is None else str(entity_id),
                status=values.get("status", "pending"),
                error=values.get("error"),
            )
        )
    session.add_all(rows)
    await session.flush()
    settled = [row for row in rows if row.status != "pending"]
    await _tally(
        session,
        batch_id,
        added=len(rows),
        processed=len(settled),
        failed=sum(row.status == "failed" for row in settled),
    )
    return rows


async def settle_item(
    session: AsyncSession, item_id: int, status: Literal["success", "failed"], entity_id: Any, error: str | None
) -> None:
    """A queued item's outcome: recorded on the item and counted into its batch (once: an item
    already settled is left alone)."""
    stmt = (
        update(t.BatchItem)
        .where(t.BatchItem.id == item_id, t.BatchItem.status == "pending")
        .values(
            status=status,
            entity_id=None if entity_id is None else str(entity_id),
            error=error,
            updated_at=clock.now(),
        )
        .returning(t.BatchItem.batch_id)
        .execution_options(synchronize_session=False)
    )
    batch_id = (await session.execute(stmt)).scalar_one_or_none()
    if batch_id is not None:
        await _tally(session, batch_id, added=0, processed=1, failed=int(status == "failed"))


async def _tally(session: AsyncSession, batch_id: int, *, added: int, processed: int, failed: int) -> None:
    b = t.Batch
    total = func.coalesce(b.total_count, 0) + added
    done = b.processed_count + processed
    failures = b.failed_count + failed
    finished = case((failures > 0, "failed"), else_="success")
    await session.execute(
        update(b)
        .where(b.id == batch_id)
        .values(
            total_count=total,
            processed_count=done,
            success_count=b.success_count + (processed - failed),
            failed_count=failures,
            status=case(((total > 0) & (done >= total), finished), else_="pending"),
            updated_at=clock.now(),
        )
        .execution_options(synchronize_session=False)
    )


# --- queued writes ------------------------------------------------------------------------------


def render_job(job: t.QueuedJob) -> dict[str, Any]:
    """A queued write as ``GET /queue/{id}`` shows it: ``pending`` (maybe retrying: ``attempts``,
    ``available_at``, ``error``), ``done`` with its ``result``, ``failed`` (refused: the error the
    route would have answered) or ``dead`` (gave up retrying)."""
    result = job.result if isinstance(job.result, dict) else {}
    error: Any = None
    if job.status == "failed":
        error = result.get("error")
    elif job.last_error:
        error = {"message": job.last_error}
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "attempts": job.attempts,
        "available_at": job.available_at,
        "result": job.result if job.status == "done" else None,
        "error": error,
        "batch_item_id": job.batch_item_id,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
    }


async def get_job(session: AsyncSession, ctx: Ctx, job_id: str) -> t.QueuedJob:
    stmt = select(t.QueuedJob).where(t.QueuedJob.tenant_id == ctx.tenant_id, t.QueuedJob.id == job_id)
    job = (await session.execute(stmt)).scalar_one_or_none()
    if job is None:
        raise NotFound("Queued job")
    return job
