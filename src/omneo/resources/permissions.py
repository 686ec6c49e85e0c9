from __future__ import annotations

from .._resource import GetMixin, ListMixin, M
from ..types import Permission

__all__ = ["Permissions"]


class Permissions(GetMixin[M, Permission], ListMixin[M, Permission]):
    """``client.permissions``: ``get``, ``list`` at ``/permissions`` (the catalogue of scopes; read-only)."""

    path = "/permissions"
    model = Permission
