from __future__ import annotations

from .._resource import CRUD, M
from ..types import Rating

__all__ = ["Ratings"]


class Ratings(CRUD[M, Rating]):
    """``client.ratings``: standard CRUD at ``/ratings``."""

    path = "/ratings"
    model = Rating
