from __future__ import annotations

from .._resource import CRUD, M
from ..types import Interaction

__all__ = ["Interactions"]


class Interactions(CRUD[M, Interaction]):
    """``client.interactions``: what profiles did; standard CRUD at ``/interactions``."""

    path = "/interactions"
    model = Interaction
