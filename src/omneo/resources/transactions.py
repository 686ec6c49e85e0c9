from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from .._resource import (
    CRUD,
    ID,
    Body,
    M,
    NestedCreateMixin,
    NestedDeleteMixin,
    NestedGetMixin,
    NestedListMixin,
    Request,
    data,
    endpoint,
    full,
)
from .._utils import to_jsonable
from ..types import CustomField, Envelope, Transaction, TransactionItem
from ._commerce import CustomFieldsByKey, QueueMixin

if TYPE_CHECKING:
    from .._client import BaseClient

__all__ = ["TransactionCustomFields", "TransactionItems", "Transactions"]

#: ``update_create`` drops these keys when they are null: the API rejects null there.
_NOT_NULL_ON_UPSERT = ("receipt_is_email", "is_void")


class TransactionItems(
    NestedGetMixin[M, TransactionItem],
    NestedListMixin[M, TransactionItem],
    NestedCreateMixin[M, TransactionItem],
    NestedDeleteMixin[M, TransactionItem],
):
    """``client.transactions.items``: ``list(transaction_id, params)`` (a page),
    ``get(transaction_id, item_id)``, ``create(transaction_id, body)``, ``delete(transaction_id,
    item_id)``; ``recalculate``, ``resend`` and ``link_list_item`` address the item alone."""

    path = "/transactions/{}/items"
    model = TransactionItem

    @staticmethod
    def _item(item_id: ID, *parts: str) -> str:
        return "/".join(["/transactions/items", str(item_id), *parts])

    @endpoint
    def recalculate(self, transaction_item_id: ID) -> Request[TransactionItem]:
        """PUT /transactions/items/{id} (no body) → the recalculated item."""
        return data("PUT", self._item(transaction_item_id), TransactionItem)

    @endpoint
    def resend(self, item_id: ID) -> Request[Any]:
        """POST /transactions/items/{id}/resend: send the item's events again."""
        return data("POST", self._item(item_id, "resend"), Any)

    @endpoint
    def link_list_item(self, transaction_item_id: ID, body: Body) -> Request[TransactionItem]:
        """POST /transactions/items/{id}/list-item ``{product_list_item_id, type: "link"|"unlink"}``."""
        return data("POST", self._item(transaction_item_id, "list-item"), TransactionItem, body=body)


class TransactionCustomFields(CustomFieldsByKey[M]):
    """``client.transactions.custom_fields``: a transaction's custom fields, ``namespace:handle``."""

    path = "/transactions/{}/custom-fields"

    @endpoint
    def versions(self, namespace: str, handle: str) -> Request[builtins.list[CustomField]]:
        """GET /transactions/custom-fields/{namespace}:{handle}/versions → historic values."""
        return self._versions(f"/transactions/custom-fields/{namespace}:{handle}/versions")


class Transactions(CRUD[M, Transaction], QueueMixin[M, Transaction]):
    """``client.transactions``: CRUD at ``/transactions`` plus upsert, queued writes, resend,
    event triggers and incentive estimates; ``items`` and ``custom_fields`` below."""

    path = "/transactions"
    model = Transaction

    def __init__(self, client: BaseClient[M, Any]) -> None:
        super().__init__(client)
        self.items: TransactionItems[M] = TransactionItems(client)
        self.custom_fields: TransactionCustomFields[M] = TransactionCustomFields(client)

    @endpoint
    def get_by_external_id(self, external_id: str) -> Request[Transaction]:
        """GET /transactions/external/{external_id} → the transaction."""
        return data("GET", self._at("external", external_id), Transaction)

    @endpoint
    def update_create(self, body: Body) -> Request[Transaction]:
        """POST /transactions/update-create: upsert matched by ``id`` / ``external_id`` (with
        ``delete_existing_items?``) → the transaction. Null ``receipt_is_email`` / ``is_void`` keys
        are left out of the request."""
        payload = dict(to_jsonable(body))
        for key in _NOT_NULL_ON_UPSERT:
            if key in payload and payload[key] is None:
                del payload[key]
        return data("POST", self._at("update-create"), Transaction, body=payload)

    @endpoint
    def resend(self, id: ID) -> Request[Any]:
        """POST /transactions/{id}/resend: send the transaction's events again."""
        return data("POST", self._at(id, "resend"), Any)

    @endpoint
    def event_trigger(self, transaction_id: ID, body: Body) -> Request[Any]:
        """POST /transactions/{id}/event-trigger ``{event: "transaction.sync" |
        "transaction.recalculate"}``."""
        return data("POST", self._at(transaction_id, "event-trigger"), Any, body=body)

    @endpoint
    def incentive_estimate(self, body: Body) -> Request[Envelope[Any]]:
        """POST /transactions/incentive-estimate with a mock transaction ``{items, timezone, total,
        transacted_at, trigger_id, profile_id?, location_id?}`` → ``{data: object | object[]}``."""
        return full("POST", self._at("incentive-estimate"), Envelope[Any], body=body)
