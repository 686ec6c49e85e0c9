from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..._resource import (
    ID,
    Body,
    M,
    NestedListAllMixin,
    NestedSingleton,
    PageRequest,
    Params,
    Request,
    Resource,
    data,
    data_list,
    empty,
    endpoint,
    page,
)
from ...types import AppearanceAttribute, CommsAttribute, CustomAttribute, DateAttribute, Profile

if TYPE_CHECKING:
    from ..._client import BaseClient

__all__ = [
    "ProfileAppearance",
    "ProfileAttributes",
    "ProfileComms",
    "ProfileCustomAttributes",
    "ProfileDates",
]


class ProfileComms(NestedSingleton[M, CommsAttribute]):
    """``client.profiles.attributes.comms``: ``get(profile_id)``, ``update(profile_id, flags)``."""

    path = "/profiles/{}/attributes/comms"
    model = CommsAttribute


class ProfileAppearance(NestedSingleton[M, AppearanceAttribute]):
    """``client.profiles.attributes.appearance``: ``get(profile_id)``, ``update(profile_id, body)``."""

    path = "/profiles/{}/attributes/appearance"
    model = AppearanceAttribute


class ProfileCustomAttributes(NestedListAllMixin[M, CustomAttribute]):
    """``client.profiles.attributes.custom``: values addressed ``namespace:handle``."""

    path = "/profiles/{}/attributes/custom"
    model = CustomAttribute

    def _key(self, profile_id: ID, namespace: str, handle: str) -> str:
        return self._at(profile_id, f"{namespace}:{handle}")

    @endpoint
    def get(self, profile_id: ID, namespace: str, handle: str) -> Request[CustomAttribute]:
        return data("GET", self._key(profile_id, namespace, handle), CustomAttribute)

    @endpoint
    def update(self, profile_id: ID, namespace: str, handle: str, body: Body) -> Request[CustomAttribute]:
        """PUT ``{type, value?}`` (upsert) → the attribute."""
        return data("PUT", self._key(profile_id, namespace, handle), CustomAttribute, body=body)

    @endpoint
    def delete(self, profile_id: ID, namespace: str, handle: str) -> Request[None]:
        return empty("DELETE", self._key(profile_id, namespace, handle))

    @endpoint
    def find(self, params: Params | None = None) -> PageRequest[Profile]:
        """GET /profiles/attributes/custom, e.g. ``{"filter": {"custom_field": {ns: {handle: v}}}}``
        → a page of profiles."""
        return page("/profiles/attributes/custom", Profile, params)


class ProfileDates(NestedListAllMixin[M, DateAttribute]):
    """``client.profiles.attributes.dates``: a profile's significant dates, upserted by ``handle``."""

    path = "/profiles/{}/attributes/dates"
    model = DateAttribute

    @endpoint
    def update(self, profile_id: ID, payload: Body) -> Request[DateAttribute]:
        """PUT one date ``{date, handle, relationship, name?, ...}`` (upsert by handle)."""
        return data("PUT", self._at(profile_id), DateAttribute, body=payload)

    @endpoint
    def delete(self, profile_id: ID, date_id: ID) -> Request[list[DateAttribute]]:
        """DELETE one date → the remaining dates."""
        return data_list("DELETE", self._at(profile_id, date_id), DateAttribute)


class ProfileAttributes(Resource[M]):
    """``client.profiles.attributes``: ``comms``, ``appearance``, ``custom``, ``dates``."""

    def __init__(self, client: BaseClient[M, Any]) -> None:
        super().__init__(client)
        self.comms: ProfileComms[M] = ProfileComms(client)
        self.appearance: ProfileAppearance[M] = ProfileAppearance(client)
        self.custom: ProfileCustomAttributes[M] = ProfileCustomAttributes(client)
        self.dates: ProfileDates[M] = ProfileDates(client)
