"""``/batches`` (list, get with its items, create, record items) and ``/queue/{id}`` (ours: what
became of a queued write)."""

from __future__ import annotations

from fastapi import Depends, Request
from starlette.responses import Response

from omneo_server.api import render, routing
from omneo_server.api.deps import database, requires
from omneo_server.api.resources import mount
from omneo_server.domain import batches
from omneo_server.domain.context import Ctx

router = routing.router(tags=["batches"])
READ, CREATE = requires("read-batches"), requires("create-batches")


@router.post("/batches", status_code=201, name="batches.create")
async def create_batch(body: batches.BatchIn, request: Request, ctx: Ctx = Depends(CREATE)) -> Response:
    """Open a batch an importer reports its items to → ``{batch_id, entity_type, import_job_id}``."""
    async with database(request).write() as session:
        batch = await batches.create(session, ctx, body.entity_type, body.import_job_id)
        answer = {"batch_id": batch.id, "entity_type": batch.entity_type, "import_job_id": batch.import_job_id}
    return render.data(answer, status_code=201)


@router.get("/batches/{key}", name="batches.get")
async def get_batch(key: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    """The batch, its counters and status, with its ``items`` in the order they were recorded."""
    async with database(request).read() as session:
        batch = await batches.get(session, ctx, key)
        return render.data(batches.render_batch(batch, await batches.items_of(session, batch.id)))


@router.post("/batches/{key}/items", status_code=201, name="batches.items.create")
async def create_batch_items(
    key: str, body: batches.BatchItemsIn, request: Request, ctx: Ctx = Depends(CREATE)
) -> Response:
    """Record items processed elsewhere (``{items: [{status, error, entity_id?, external_id?}]}``,
    or one item sent bare) and count them into the batch → the batch with its items."""
    async with database(request).write() as session:
        batch = await batches.get(session, ctx, key)
        await batches.add_items(session, ctx, batch.id, body.items)
        await session.refresh(batch)
        return render.data(batches.render_batch(batch, await batches.items_of(session, batch.id)), status_code=201)


@router.get("/queue/{job_id}", tags=["queue"], name="queue.get")
async def get_queued_job(job_id: str, request: Request, ctx: Ctx = Depends(READ)) -> Response:
    """A queued write (``/transactions/queue``, ``/products/queue``, a ``/profiles/batch`` record):
    ``pending``, ``done`` with its ``result``, ``failed`` with the ``error`` the route would have
    answered, or ``dead``."""
    async with database(request).read() as session:
        return render.data(batches.render_job(await batches.get_job(session, ctx, job_id)))


mount(router, batches.BATCHES, "/batches", ("list",))
