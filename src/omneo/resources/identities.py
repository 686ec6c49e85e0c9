from __future__ import annotations

from .._resource import ListMixin, M, Request, endpoint, full
from ..types import Envelope, Identity, Profile

__all__ = ["Identities"]


class Identities(ListMixin[M, Identity]):
    """``client.identities``: identities across all profiles."""

    path = "/identities"
    model = Identity

    @endpoint
    def search_profile(self, identifier: str) -> Request[Envelope[list[Profile]]]:
        """GET /identities/search-profile/{identifier} → ``{data: [Profile]}``."""
        return full("GET", self._at("search-profile", identifier), Envelope[list[Profile]])
