from __future__ import annotations

from ..._resource import ID, Body, M, NestedDeleteMixin, NestedListAllMixin, Request, data_list, endpoint
from ...types import ProfileRegion

__all__ = ["ProfileRegions"]


class ProfileRegions(NestedListAllMixin[M, ProfileRegion], NestedDeleteMixin[M, ProfileRegion]):
    """``client.profiles.regions``: a profile's regions; create and update answer the whole list."""

    path = "/profiles/{}/regions"
    model = ProfileRegion

    @endpoint
    def create(self, profile_id: ID, body: Body) -> Request[list[ProfileRegion]]:
        """POST ``{region_id, country, state, is_active?}`` → the profile's regions."""
        return data_list("POST", self._at(profile_id), ProfileRegion, body=body)

    @endpoint
    def update(self, profile_id: ID, region_id: ID, body: Body) -> Request[list[ProfileRegion]]:
        """PUT a partial body → the profile's regions."""
        return data_list("PUT", self._at(profile_id, region_id), ProfileRegion, body=body)
