from __future__ import annotations

from .._resource import CRUD, M, Request, endpoint, full
from ..types import Envelope, User

__all__ = ["Users"]


class Users(CRUD[M, User]):
    """``client.users``: standard CRUD at ``/users`` (create: ``{name, email, password,
    password_confirmation, throttle?, roles?: [{id}]}``; passwords are never answered), and ``me``."""

    path = "/users"
    model = User

    @endpoint
    def me(self) -> Request[Envelope[User]]:
        """GET /users/me → the whole body ``{data: User}`` (as the official SDK answers it): the user
        a login or personal token acts for (an API token acts for no one: ``NotFoundError``)."""
        return full("GET", f"{self.path}/me", Envelope[User])
