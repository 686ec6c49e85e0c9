from __future__ import annotations

from .._resource import CRUD, M
from ..types import Status

__all__ = ["Statuses"]


class Statuses(CRUD[M, Status]):
    """``client.statuses``: status definitions, standard CRUD at ``/statuses``."""

    path = "/statuses"
    model = Status
