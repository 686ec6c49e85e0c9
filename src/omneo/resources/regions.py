from __future__ import annotations

from .._resource import CRUD, M
from ..types import Region

__all__ = ["Regions"]


class Regions(CRUD[M, Region]):
    """``client.regions``: standard CRUD at ``/regions``."""

    path = "/regions"
    model = Region
