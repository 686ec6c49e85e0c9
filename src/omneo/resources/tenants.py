from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from .._resource import (
    Body,
    M,
    PageRequest,
    Params,
    Request,
    Resource,
    data,
    data_list,
    empty,
    endpoint,
    full,
    page,
)
from ..types import CustomField

if TYPE_CHECKING:
    from .._client import BaseClient

__all__ = ["TenantCustomFields", "Tenants"]


class TenantCustomFields(Resource[M]):
    """``client.tenants.custom_fields``: tenant-wide custom fields, addressed ``namespace:handle``."""

    path = "/tenants/custom-fields"

    @endpoint
    def list(self, params: Params | None = None) -> PageRequest[CustomField]:
        return page(self.path, CustomField, params)

    @endpoint
    def get(self, namespace: str, handle: str) -> Request[CustomField]:
        return data("GET", f"{self.path}/{namespace}:{handle}", CustomField)

    @endpoint
    def create(self, body: Body) -> Request[CustomField]:
        """POST ``{name, namespace, handle, type, value}``."""
        return data("POST", self.path, CustomField, body=body)

    @endpoint
    def update(self, namespace: str, handle: str, body: Body) -> Request[CustomField]:
        return data("PUT", f"{self.path}/{namespace}:{handle}", CustomField, body=body)

    @endpoint
    def delete(self, namespace: str, handle: str) -> Request[None]:
        return empty("DELETE", f"{self.path}/{namespace}:{handle}")

    @endpoint
    def versions(self, namespace: str, handle: str) -> Request[builtins.list[CustomField]]:
        """GET ``…/{namespace}:{handle}/versions`` → historic values."""
        return data_list("GET", f"{self.path}/{namespace}:{handle}/versions", CustomField)


class Tenants(Resource[M]):
    """``client.tenants``: the tenant's custom events and custom fields."""

    def __init__(self, client: BaseClient[M, Any]) -> None:
        super().__init__(client)
        self.custom_fields: TenantCustomFields[M] = TenantCustomFields(client)

    @endpoint
    def custom_event(self, body: Body) -> Request[dict[str, Any]]:
        """POST /tenants/custom-event ``{event, context?}`` → ``{data: <context>}``."""
        return full("POST", "/tenants/custom-event", dict[str, Any], body=body)
