from __future__ import annotations

from .._resource import CRUD, M
from ..types import Currency

__all__ = ["Currencies"]


class Currencies(CRUD[M, Currency]):
    """``client.currencies``: exchange-rate rows, standard CRUD at ``/currencies``."""

    path = "/currencies"
    model = Currency
