from __future__ import annotations

from .._resource import CRUD, M
from ..types import Brand

__all__ = ["Brands"]


class Brands(CRUD[M, Brand]):
    """``client.brands``: standard CRUD at ``/brands``."""

    path = "/brands"
    model = Brand
