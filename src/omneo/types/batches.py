"""Batches (entities.md §6.5) and queued writes (``GET /queue/{id}``, this server's own)."""

from __future__ import annotations

from typing import Any

from ._base import OmneoModel, Timestamp

__all__ = ["Batch", "BatchCreated", "BatchItem", "QueuedJob", "QueuedJobError"]


class BatchItem(OmneoModel):
    id: int | None = None
    batch_id: int | None = None
    external_id: str | None = None
    entity_id: str | None = None
    #: ``pending``, ``success`` or ``failed``.
    status: str | None = None
    error: str | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None


class Batch(OmneoModel):
    id: int | None = None
    entity_type: str | None = None
    import_job_id: int | None = None
    #: ``pending`` until every item is processed, then ``success``, or ``failed`` if any item failed.
    status: str | None = None
    total_count: int | None = None
    processed_count: int | None = None
    success_count: int | None = None
    failed_count: int | None = None
    #: Only on ``get`` (and ``create_item``).
    items: list[BatchItem] | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None


class BatchCreated(OmneoModel):
    """What ``batches.create`` answers."""

    batch_id: int | None = None
    entity_type: str | None = None
    import_job_id: int | None = None


class QueuedJobError(OmneoModel):
    """Why a queued write failed: the ``status``, ``message`` and ``errors`` the synchronous route
    would have answered (only ``message`` while a job is being retried or once it is dead)."""

    status: int | None = None
    message: str | None = None
    errors: dict[str, list[str]] | None = None


class QueuedJob(OmneoModel):
    """A queued write (``transactions.queue``, ``products.queue``, a ``profiles.batch`` record):
    ``pending``, ``done`` (``result``), ``failed`` (refused; ``error``) or ``dead`` (gave up retrying)."""

    id: str | None = None
    kind: str | None = None
    status: str | None = None
    attempts: int | None = None
    available_at: Timestamp = None
    result: dict[str, Any] | None = None
    error: QueuedJobError | None = None
    batch_item_id: int | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None
