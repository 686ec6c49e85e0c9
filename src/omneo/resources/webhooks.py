from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import webhooks as _verify
from .._resource import CRUD, ID, M, PageRequest, Params, Request, data, endpoint, page
from ..types import Delivery, Webhook

__all__ = ["Webhooks"]


class Webhooks(CRUD[M, Webhook]):
    """``client.webhooks``: CRUD at ``/webhooks`` (``create`` answers the signing ``secret``, once),
    the delivery log, a test send, and ``verify`` for receivers."""

    path = "/webhooks"
    model = Webhook

    @endpoint
    def deliveries(self, webhook_id: ID, params: Params | None = None) -> PageRequest[Delivery]:
        """GET /webhooks/{id}/deliveries → a page of deliveries, newest first, with their attempts."""
        return page(self._at(webhook_id, "deliveries"), Delivery, params)

    @endpoint
    def test(self, webhook_id: ID) -> Request[Delivery]:
        """POST /webhooks/{id}/test → the queued ``webhook.test`` delivery."""
        return data("POST", self._at(webhook_id, "test"), Delivery)

    def verify(
        self,
        payload: bytes | str,
        headers: Mapping[str, str],
        secret: str,
        *,
        tolerance: int = _verify.DEFAULT_TOLERANCE,
    ) -> Any:
        """:func:`omneo.webhooks.verify`: check a delivery's signature, answer its parsed body (no
        request is made)."""
        return _verify.verify(payload, headers, secret, tolerance=tolerance)
