from __future__ import annotations

from .._resource import GetMixin, ListMixin, M
from ..types import Role

__all__ = ["Roles"]


class Roles(GetMixin[M, Role], ListMixin[M, Role]):
    """``client.roles``: ``get``, ``list`` at ``/roles`` (the tenant's roles and what they grant)."""

    path = "/roles"
    model = Role
