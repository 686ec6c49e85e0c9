from __future__ import annotations

from .._resource import ID, CreateMixin, DeleteMixin, M, PageRequest, Params, UpdateMixin, endpoint, page
from ..types import Staff

__all__ = ["Staffs"]


class Staffs(CreateMixin[M, Staff], UpdateMixin[M, Staff], DeleteMixin[M, Staff]):
    """``client.staffs``: the profiles working for the retailer, at ``/staff`` (``{profile_id,
    staff_number?, location_id?, department_id?, role_type?, is_active?, meta?}``); the ``id`` is what
    a sale's ``staff_id`` and a profile's ``joined_staff_id`` name."""

    path = "/staff"
    model = Staff

    @endpoint
    def list(self, handle: ID | None = None, params: Params | None = None) -> PageRequest[Staff]:
        """GET ``/staff/{handle}``: the staff member with that id, or the staff of the location with
        that handle; every staff member (``GET /staff``) without one."""
        return page(self.path if handle is None else self._at(handle), self.model, params)
