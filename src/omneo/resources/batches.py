"""``client.batches`` (entities.md §6.5) and ``client.queue`` (what became of a queued write)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel

from .._resource import ID, Body, GetMixin, ListMixin, M, Request, Resource, data, endpoint
from ..types.batches import Batch, BatchCreated, QueuedJob

__all__ = ["Batches", "Queue"]


class Batches(GetMixin[M, Batch], ListMixin[M, Batch]):
    """``client.batches``: ``list``, ``get`` (with its ``items``), ``create``, ``create_item``."""

    path = "/batches"
    model = Batch

    @endpoint
    def create(self, body: Body) -> Request[BatchCreated]:
        """POST /batches ``{entity_type, import_job_id?}`` → ``{batch_id, entity_type, import_job_id}``."""
        return data("POST", self.path, BatchCreated, body=body)

    @endpoint
    def create_item(self, batch_id: ID, items: Body | Sequence[Body]) -> Request[Batch]:
        """POST /batches/{id}/items ``{items: [{status, error, entity_id?, external_id?}]}`` → the batch
        with its counters and items. One item or a list of them may be passed; the body is always
        ``{items: [...]}`` (the JS SDK sends a single bare item — a QUIRK the server also accepts)."""
        listed = [items] if isinstance(items, Mapping | BaseModel) else list(items)
        body = {"items": [i.model_dump(exclude_unset=True) if isinstance(i, BaseModel) else dict(i) for i in listed]}
        return data("POST", self._at(batch_id, "items"), Batch, body=body)


class Queue(Resource[M]):
    """``client.queue`` (this server's own): follow a queued write by the id its queue call answered."""

    @endpoint
    def get(self, job_id: str) -> Request[QueuedJob]:
        """GET /queue/{id} → the job: ``pending``, ``done`` with its ``result``, ``failed`` with the
        ``error`` the synchronous route would have answered, or ``dead``."""
        return data("GET", f"/queue/{job_id}", QueuedJob)
