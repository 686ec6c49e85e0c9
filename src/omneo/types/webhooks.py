"""Webhooks and their delivery log (entities.md §6.1; the delivery log is this server's own)."""

from __future__ import annotations

from typing import Any

from ._base import OmneoModel, Timestamp

__all__ = ["Delivery", "DeliveryAttempt", "Webhook"]


class Webhook(OmneoModel):
    id: int | None = None
    trigger: str | None = None
    url: str | None = None
    namespace: str | None = None
    user_id: int | None = None
    is_active: bool | None = None
    retry_daily: bool | None = None
    retry_hourly: bool | None = None
    queue: str | None = None
    condition: Any = None
    extra_data_template: str | None = None
    #: Only in the answer to ``create``: the signing secret (``whsec_…``), never shown again.
    secret: str | None = None
    #: Failed attempts in a row; the webhook is disabled (``disabled_at``) when it reaches the limit.
    failure_count: int | None = None
    disabled_at: Timestamp = None
    created_at: Timestamp = None
    updated_at: Timestamp = None


class DeliveryAttempt(OmneoModel):
    id: int | None = None
    attempt: int | None = None
    status_code: int | None = None
    error: str | None = None
    duration_ms: int | None = None
    #: The start of the receiver's answer.
    response: str | None = None
    created_at: Timestamp = None


class Delivery(OmneoModel):
    """One event on its way to one webhook: ``pending``, ``delivered``, ``failed`` (retried later)
    or ``dead``."""

    id: int | None = None
    webhook_id: int | None = None
    target_id: int | None = None
    #: The id receivers dedupe on (the ``webhook-id`` header; the event's id).
    message_id: str | None = None
    event_type: str | None = None
    url: str | None = None
    #: The exact body sent (and signed) on every attempt.
    body: str | None = None
    status: str | None = None
    attempt_count: int | None = None
    next_attempt_at: Timestamp = None
    locked_until: Timestamp = None
    last_status: int | None = None
    last_error: str | None = None
    delivered_at: Timestamp = None
    attempts: list[DeliveryAttempt] = []
    created_at: Timestamp = None
    updated_at: Timestamp = None
