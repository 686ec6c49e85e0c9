from __future__ import annotations

from typing import Any

from .._resource import ID, Body, M, PageRequest, Params, Request, Resource, data, empty, endpoint, full, page
from ..types import CustomField

__all__ = ["CustomFields"]


class CustomFields(Resource[M]):
    """``client.custom_fields``: custom fields on any model, ``/custom-fields/{model}/{id}``.

    ``model`` is a model-type slug (``profile``, ``location``, ``transaction``, ...).
    """

    @endpoint
    def list(self, model: str, id: ID, params: Params | None = None) -> PageRequest[CustomField]:
        return page(f"/custom-fields/{model}/{id}", CustomField, params)

    @endpoint
    def create(self, model: str, id: ID, body: Body) -> Request[CustomField]:
        return data("POST", f"/custom-fields/{model}/{id}", CustomField, body=body)

    @endpoint
    def search(self, params: Params | None = None) -> PageRequest[CustomField]:
        return page("/custom-fields/search", CustomField, params)

    @endpoint
    def delete(self, model: str, id: ID, custom_field: str) -> Request[None]:
        """DELETE one field; ``custom_field`` is ``namespace:handle``."""
        return empty("DELETE", f"/custom-fields/{model}/{id}/{custom_field}")

    @endpoint
    def delete_batch(self, model: str, id: ID, body: Body) -> Request[dict[str, Any]]:
        """DELETE with a body ``{custom_fields: [{namespace, handle}]}`` → ``{deleted: n}``."""
        return full("DELETE", f"/custom-fields/{model}/{id}/batchJsonDelete", dict[str, Any], body=body)
