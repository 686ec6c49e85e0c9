"""Pieces shared by the commerce namespaces: queued writes and custom fields under a record."""

from __future__ import annotations

import builtins

from .._resource import (
    ID,
    Body,
    Collection,
    M,
    ModelT,
    NestedCreateMixin,
    NestedListMixin,
    Request,
    data,
    data_list,
    empty,
    endpoint,
    full,
)
from ..types import CustomField, Envelope

__all__ = ["CustomFieldsByKey", "QueueMixin"]


class QueueMixin(Collection[M, ModelT]):
    """``queue`` / ``queue_create``: the write is queued; the answer is ``{data: "<queued id>"}``."""

    @endpoint
    def queue(self, body: Body) -> Request[Envelope[str]]:
        """POST ``{path}/queue`` (upsert body) → ``{data: "<queued id>"}``."""
        return full("POST", self._at("queue"), Envelope[str], body=body)

    @endpoint
    def queue_create(self, body: Body) -> Request[Envelope[str]]:
        """POST ``{path}/queue/create`` (create body) → ``{data: "<queued id>"}``."""
        return full("POST", self._at("queue", "create"), Envelope[str], body=body)


class CustomFieldsByKey(NestedListMixin[M, CustomField], NestedCreateMixin[M, CustomField]):
    """Custom fields of one record, addressed ``namespace:handle``: ``list(parent_id, params)`` (a
    page), ``create(parent_id, body)``, and ``get`` / ``update`` / ``delete`` by
    ``(parent_id, namespace, handle)``."""

    model = CustomField

    def _key(self, parent_id: ID, namespace: str, handle: str) -> str:
        return self._at(parent_id, f"{namespace}:{handle}")

    @endpoint
    def get(self, parent_id: ID, namespace: str, handle: str) -> Request[CustomField]:
        return data("GET", self._key(parent_id, namespace, handle), CustomField)

    @endpoint
    def update(self, parent_id: ID, namespace: str, handle: str, body: Body) -> Request[CustomField]:
        return data("PUT", self._key(parent_id, namespace, handle), CustomField, body=body)

    @endpoint
    def delete(self, parent_id: ID, namespace: str, handle: str) -> Request[None]:
        return empty("DELETE", self._key(parent_id, namespace, handle))

    def _versions(self, path: str) -> Request[builtins.list[CustomField]]:
        return data_list("GET", path, CustomField)
