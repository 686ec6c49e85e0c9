from __future__ import annotations

from .._resource import CRUD, M
from ..types import User

__all__ = ["Users"]


class Users(CRUD[M, User]):
    """``client.users``: standard CRUD at ``/users`` (create: ``{name, email, password,
    password_confirmation, throttle?, roles?: [{id}]}``; passwords are never answered)."""

    path = "/users"
    model = User
