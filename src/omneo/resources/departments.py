from __future__ import annotations

from .._resource import CRUD, M
from ..types import Department

__all__ = ["Departments"]


class Departments(CRUD[M, Department]):
    """``client.departments``: standard CRUD at ``/departments`` (subdivisions of a location:
    ``{location_id, name, handle?, description?, external_id?, meta?}``)."""

    path = "/departments"
    model = Department
