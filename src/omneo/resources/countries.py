from __future__ import annotations

from .._resource import CRUD, M
from ..types import Country

__all__ = ["Countries"]


class Countries(CRUD[M, Country]):
    """``client.countries``: standard CRUD at ``/countries``."""

    path = "/countries"
    model = Country
