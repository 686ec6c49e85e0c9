"""A profile's commerce: transactions, orders, interactions, transaction claims, aggregations."""

from __future__ import annotations

import builtins
from dataclasses import replace
from typing import Any

from ..._resource import (
    ID,
    M,
    NestedCollection,
    NestedCreateMixin,
    NestedDeleteMixin,
    NestedGetMixin,
    NestedListMixin,
    PageRequest,
    Params,
    Request,
    answer,
    data,
    data_list,
    endpoint,
    full,
    page,
)
from ...errors import APIStatusError, NotFoundError
from ...types import Aggregations, Interaction, Order, Transaction, TransactionClaim, TransactionItem

__all__ = [
    "ProfileAggregations",
    "ProfileInteractions",
    "ProfileOrders",
    "ProfileTransactionClaims",
    "ProfileTransactions",
]


def _profile(profile_id: ID, *parts: str) -> str:
    return "/".join(["/profiles", str(profile_id), *parts])


def _paging(params: Params | None, size: int | None, number: int | None) -> dict[str, Any]:
    return {**(params or {}), "page[size]": size, "page[number]": number}


class ProfileTransactions(NestedGetMixin[M, Transaction], NestedListMixin[M, Transaction]):
    """``client.profiles.transactions``: ``get(profile_id, transaction_id)`` → the transaction,
    ``list(profile_id, params)`` → a page, plus lookups, grouping and list-item links."""

    path = "/profiles/{}/transactions"
    model = Transaction

    @endpoint
    def find(
        self, profile_id: ID, field: str, value: Any, params: Params | None = None
    ) -> Request[builtins.list[Transaction]]:
        """GET /profiles/{id}/find-transactions?filter[<field>]=<value> → the matches; a 404
        answers an empty list."""
        request = data_list(
            "GET",
            _profile(profile_id, "find-transactions"),
            Transaction,
            params={**(params or {}), f"filter[{field}]": value},
        )

        def recover(exc: APIStatusError) -> Request[builtins.list[Transaction]] | None:
            return answer([]) if isinstance(exc, NotFoundError) else None

        return replace(request, recover=recover)

    @endpoint
    def get_grouped(
        self,
        profile_id: ID,
        page_size: int | None = None,
        page_number: int | None = None,
        params: Params | None = None,
    ) -> Request[dict[str, Any]]:
        """GET /profiles/{id}/group_transactions with ``page[size]`` / ``page[number]`` → the whole
        Laravel paginator body (``current_page, data, per_page, total, ...``)."""
        path = _profile(profile_id, "group_transactions")
        return full("GET", path, dict[str, Any], params=_paging(params, page_size, page_number))

    def _items(
        self, profile_id: ID, which: str, include_list_item: bool | None, params: Params | None
    ) -> PageRequest[TransactionItem]:
        query = {**(params or {}), "include_list_item": include_list_item}
        return page(_profile(profile_id, "transactionitems", "list", which), TransactionItem, query)

    @endpoint
    def get_unassigned_items(
        self, profile_id: ID, include_list_item: bool | None = None, params: Params | None = None
    ) -> PageRequest[TransactionItem]:
        """GET /profiles/{id}/transactionitems/list/unassigned (``include_list_item=0|1``): items
        not linked to a list item."""
        return self._items(profile_id, "unassigned", include_list_item, params)

    @endpoint
    def get_assigned_items(
        self, profile_id: ID, include_list_item: bool | None = None, params: Params | None = None
    ) -> PageRequest[TransactionItem]:
        """GET /profiles/{id}/transactionitems/list/assigned (``include_list_item=0|1``): items
        linked to a list item."""
        return self._items(profile_id, "assigned", include_list_item, params)

    def _link(self, profile_id: ID, transaction_item_id: ID, list_item_id: ID, type: str) -> Request[TransactionItem]:
        path = _profile(profile_id, "transactions", "items", str(transaction_item_id), "list-item")
        body = {"product_list_item_id": list_item_id, "type": type}
        return data("POST", path, TransactionItem, body=body)

    @endpoint
    def link_list_item(self, profile_id: ID, transaction_item_id: ID, list_item_id: ID) -> Request[TransactionItem]:
        """POST …/transactions/items/{item_id}/list-item ``{product_list_item_id, type: "link"}``."""
        return self._link(profile_id, transaction_item_id, list_item_id, "link")

    @endpoint
    def unlink_list_item(self, profile_id: ID, transaction_item_id: ID, list_item_id: ID) -> Request[TransactionItem]:
        """POST …/transactions/items/{item_id}/list-item ``{product_list_item_id, type: "unlink"}``."""
        return self._link(profile_id, transaction_item_id, list_item_id, "unlink")

    @endpoint
    def unattach(self, profile_id: ID, transaction_id: ID) -> Request[Transaction]:
        """GET /profiles/{id}/transactions/{transaction_id}/unattach: detach the transaction from
        the profile → the transaction."""
        return data("GET", self._at(profile_id, transaction_id, "unattach"), Transaction)


class ProfileOrders(NestedGetMixin[M, Order], NestedListMixin[M, Order]):
    """``client.profiles.orders``: ``get(profile_id, order_id)``, ``list(profile_id, params)`` (a
    page), ``list_group``."""

    path = "/profiles/{}/orders"
    model = Order

    @endpoint
    def list_group(self, profile_id: ID, params: Params | None = None) -> Request[dict[str, Any]]:
        """GET /profiles/{id}/group_orders → the whole grouped index body."""
        return full("GET", _profile(profile_id, "group_orders"), dict[str, Any], params=params)


class ProfileInteractions(
    NestedGetMixin[M, Interaction], NestedListMixin[M, Interaction], NestedDeleteMixin[M, Interaction]
):
    """``client.profiles.interactions``: ``get(profile_id, interaction_id)``, ``list(profile_id,
    params)`` (a page), ``delete(profile_id, interaction_id)``."""

    path = "/profiles/{}/interactions"
    model = Interaction


class ProfileTransactionClaims(
    NestedGetMixin[M, TransactionClaim],
    NestedListMixin[M, TransactionClaim],
    NestedCreateMixin[M, TransactionClaim],
    NestedDeleteMixin[M, TransactionClaim],
):
    """``client.profiles.transaction_claims``: ``get``, ``list`` (a page), ``create(profile_id,
    {transaction_receipt_ref, transaction_transacted_at, transaction_timezone, transaction_total,
    transaction_location_external_code})``, ``delete``."""

    path = "/profiles/{}/transactions/claims"
    model = TransactionClaim


class ProfileAggregations(NestedCollection[M, Aggregations]):
    """``client.profiles.aggregations``: the profile's shopping aggregates (one object)."""

    path = "/profiles/{}/aggregations"
    model = Aggregations

    @endpoint
    def list(self, profile_id: ID, params: Params | None = None) -> Request[Aggregations]:
        """GET /profiles/{id}/aggregations → the stored aggregates."""
        return data("GET", self._at(profile_id), Aggregations, params=params)

    @endpoint
    def calculate(self, profile_id: ID, params: Params | None = None) -> Request[Aggregations]:
        """GET /profiles/{id}/aggregations/calculate → freshly calculated aggregates."""
        return data("GET", self._at(profile_id, "calculate"), Aggregations, params=params)
