from __future__ import annotations

from .._resource import CRUD, M
from ..types import Role

__all__ = ["Roles"]


class Roles(CRUD[M, Role]):
    """``client.roles``: the tenant's roles and what they grant at ``/roles``: the presets (read
    only) and its own (``create({name, handle, weight?, can_login?, permissions: [scope | {id}]})``,
    ``update``, ``delete``)."""

    path = "/roles"
    model = Role
