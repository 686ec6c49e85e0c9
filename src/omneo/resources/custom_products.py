from __future__ import annotations

from .._resource import CRUD, M
from ..types import CustomProduct

__all__ = ["CustomProducts"]


class CustomProducts(CRUD[M, CustomProduct]):
    """``client.custom_products``: standard CRUD at ``/customProducts`` (camelCase path)."""

    path = "/customProducts"
    model = CustomProduct
