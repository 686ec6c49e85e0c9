from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._resource import (
    CRUD,
    ID,
    Body,
    M,
    NestedCreateMixin,
    NestedListMixin,
    Request,
    data,
    empty,
    endpoint,
)
from ..types import CustomField, Location

if TYPE_CHECKING:
    from .._client import BaseClient

__all__ = ["LocationCustomFields", "Locations"]


class LocationCustomFields(NestedListMixin[M, CustomField], NestedCreateMixin[M, CustomField]):
    """``client.locations.custom_fields``: ``list(location_id, params)`` (a page), ``create``, and
    ``get`` / ``update`` / ``delete`` by ``(location_id, custom_field)`` with ``custom_field``
    ``namespace:handle``."""

    path = "/locations/{}/custom-fields"
    model = CustomField

    @endpoint
    def get(self, location_id: ID, custom_field: str) -> Request[CustomField]:
        return data("GET", self._at(location_id, custom_field), CustomField)

    @endpoint
    def update(self, location_id: ID, custom_field: str, body: Body) -> Request[CustomField]:
        return data("PUT", self._at(location_id, custom_field), CustomField, body=body)

    @endpoint
    def delete(self, location_id: ID, custom_field: str) -> Request[None]:
        return empty("DELETE", self._at(location_id, custom_field))


class Locations(CRUD[M, Location]):
    """``client.locations``: CRUD at ``/locations`` (create requires ``name, phone``),
    ``get_by_type``; ``custom_fields`` below."""

    path = "/locations"
    model = Location

    def __init__(self, client: BaseClient[M, Any]) -> None:
        super().__init__(client)
        self.custom_fields: LocationCustomFields[M] = LocationCustomFields(client)

    @endpoint
    def get_by_type(self, id_type: str, id: ID) -> Request[Location]:
        """GET /locations/{id_type}/{id}: look up by another identifier (e.g. ``external``)."""
        return data("GET", self._at(id_type, id), Location)
