from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._resource import (
    CRUD,
    ID,
    M,
    NestedCreateMixin,
    NestedDeleteMixin,
    NestedGetMixin,
    NestedListMixin,
    NestedUpdateMixin,
    Request,
    empty,
    endpoint,
)
from ..types import Order, OrderItem
from ._commerce import QueueMixin

if TYPE_CHECKING:
    from .._client import BaseClient

__all__ = ["OrderItems", "Orders"]


class OrderItems(
    NestedGetMixin[M, OrderItem],
    NestedListMixin[M, OrderItem],
    NestedCreateMixin[M, OrderItem],
    NestedUpdateMixin[M, OrderItem],
    NestedDeleteMixin[M, OrderItem],
):
    """``client.orders.items``: ``list(order_id, params)`` (a page), ``get(order_id, item_id)``,
    ``create(order_id, body)``, ``update(order_id, item_id, body)``, ``delete(order_id, item_id)``."""

    path = "/orders/{}/items"
    model = OrderItem


class Orders(CRUD[M, Order], QueueMixin[M, Order]):
    """``client.orders``: CRUD at ``/orders``, queued writes, ``resend``; ``items`` below."""

    path = "/orders"
    model = Order

    def __init__(self, client: BaseClient[M, Any]) -> None:
        super().__init__(client)
        self.items: OrderItems[M] = OrderItems(client)

    @endpoint
    def resend(self, order_id: ID) -> Request[None]:
        """POST /orders/{id}/resend: send the order's events again."""
        return empty("POST", self._at(order_id, "resend"))
