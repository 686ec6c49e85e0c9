from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..._resource import ID, Body, M, NestedCreateMixin, NestedListAllMixin, Request, data, empty, endpoint
from ...types import Identity, Profile

__all__ = ["ProfileIdentities"]


class ProfileIdentities(NestedListAllMixin[M, Identity], NestedCreateMixin[M, Identity]):
    """``client.profiles.identities``: a profile's identities, addressed by ``handle`` or by ``id``."""

    path = "/profiles/{}/identities"
    model = Identity

    @endpoint
    def get(self, profile_id: ID, handle: str) -> Request[Identity]:
        return data("GET", self._at(profile_id, handle), Identity)

    @endpoint
    def update(self, profile_id: ID, handle: str, body: Body) -> Request[Identity]:
        return data("PUT", self._at(profile_id, handle), Identity, body=body)

    @endpoint
    def delete(self, profile_id: ID, handle: str) -> Request[None]:
        return empty("DELETE", self._at(profile_id, handle))

    @endpoint
    def get_by_id(self, profile_id: ID, id: ID) -> Request[Identity]:
        return data("GET", self._at(profile_id, "id", id), Identity)

    @endpoint
    def update_by_id(self, profile_id: ID, id: ID, body: Body) -> Request[Identity]:
        return data("PUT", self._at(profile_id, "id", id), Identity, body=body)

    @endpoint
    def delete_by_id(self, profile_id: ID, id: ID) -> Request[None]:
        return empty("DELETE", self._at(profile_id, "id", id))

    @staticmethod
    def find_in_profile(
        profile: Profile | Mapping[str, Any],
        handle: str | None = None,
        identifier: str | None = None,
        find_latest: bool = False,
    ) -> Identity | None:
        """Pure: the profile's identity matching ``handle`` and/or ``identifier`` — the first match,
        or with ``find_latest`` the newest by ``created_at``. No request is made."""
        if isinstance(profile, Profile):
            identities = profile.identities
        else:
            identities = [Identity.model_validate(i) for i in profile.get("identities") or []]
        matches = [
            i
            for i in identities
            if (handle is None or i.handle == handle) and (identifier is None or i.identifier == identifier)
        ]
        if not matches:
            return None
        if find_latest:
            return max(matches, key=lambda i: i.created_at.timestamp() if i.created_at else float("-inf"))
        return matches[0]
