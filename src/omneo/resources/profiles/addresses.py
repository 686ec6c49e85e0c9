from __future__ import annotations

from ..._resource import M, NestedCRUD
from ...types import Address

__all__ = ["ProfileAddresses"]


class ProfileAddresses(NestedCRUD[M, Address]):
    """``client.profiles.addresses``: ``get(profile_id, address_id)``, ``list(profile_id)`` (a list),
    ``create(profile_id, body)``, ``update(profile_id, address_id, body)``, ``delete(...)``."""

    path = "/profiles/{}/addresses"
    model = Address
