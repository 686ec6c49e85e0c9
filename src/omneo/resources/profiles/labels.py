"""A profile's statuses and tags: the same list / add / remove shape, keyed by handle."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import ClassVar, Generic, TypeVar

from ..._resource import ID, M, NestedCollection, Request, data_list, empty, endpoint
from ...types import ProfileStatus, Tag

__all__ = ["ProfileStatuses", "ProfileTags"]

LabelT = TypeVar("LabelT")


class _ProfileLabels(NestedCollection[M, LabelT], Generic[M, LabelT]):
    key: ClassVar[str]

    @endpoint
    def list(self, profile_id: ID) -> Request[builtins.list[LabelT]]:
        """GET ``/profiles/{id}/{key}`` → the profile's records."""
        return data_list("GET", self._at(profile_id), self.model)

    @endpoint
    def add(self, profile_id: ID, handles: Sequence[str]) -> Request[builtins.list[LabelT]]:
        """POST ``{<key>: [handles]}`` → the profile's records after adding."""
        return data_list("POST", self._at(profile_id), self.model, body={self.key: list(handles)})

    @endpoint
    def remove(self, profile_id: ID, handle: str) -> Request[None]:
        """DELETE ``/profiles/{id}/{key}/{handle}``."""
        return empty("DELETE", self._at(profile_id, handle))


class ProfileStatuses(_ProfileLabels[M, ProfileStatus]):
    """``client.profiles.statuses``: ``list(profile_id)``, ``add(profile_id, handles)``, ``remove``."""

    key = "statuses"
    path = "/profiles/{}/statuses"
    model = ProfileStatus


class ProfileTags(_ProfileLabels[M, Tag]):
    """``client.profiles.tags``: ``list(profile_id)``, ``add(profile_id, handles)``, ``remove``."""

    key = "tags"
    path = "/profiles/{}/tags"
    model = Tag
