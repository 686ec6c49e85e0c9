from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._resource import CRUD, ID, Body, M, NestedDeleteMixin, NestedListMixin, Request, data, endpoint
from ..types import Organisation, OrganisationMember, OrganisationProfile, RoleDefinition

if TYPE_CHECKING:
    from .._client import BaseClient

__all__ = ["OrganisationProfiles", "Organisations", "RoleDefinitions"]


class OrganisationProfiles(NestedListMixin[M, OrganisationMember], NestedDeleteMixin[M, OrganisationMember]):
    """``client.organisations.profiles``: ``list(organisation_id)`` (member profiles, each with its
    ``membership``), ``create`` and ``delete(organisation_id, profile_id)``."""

    path = "/organisations/{}/profiles"
    model = OrganisationMember

    @endpoint
    def create(self, organisation_id: ID, body: Body) -> Request[OrganisationProfile]:
        """POST ``{profile_id, role_definition_id?, is_active?, expires_at?}`` → the membership (made,
        or changed in place)."""
        return data("POST", self._at(organisation_id), OrganisationProfile, body=body)


class Organisations(CRUD[M, Organisation]):
    """``client.organisations``: standard CRUD at ``/organisations``, and ``profiles``."""

    path = "/organisations"
    model = Organisation

    def __init__(self, client: BaseClient[M, Any]) -> None:
        super().__init__(client)
        self.profiles: OrganisationProfiles[M] = OrganisationProfiles(client)


class RoleDefinitions(CRUD[M, RoleDefinition]):
    """``client.role_definitions``: the roles a profile can hold in an organisation, at
    ``/roles/definitions`` (not a user's roles: ``client.roles``)."""

    path = "/roles/definitions"
    model = RoleDefinition
