"""Platform records: statuses, tags, systems, brands, regions, countries, currencies, settings,
custom fields and API tokens (entities.md §2.8, §6.8-6.13)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ._base import Money, OmneoModel, Timestamp

__all__ = [
    "APIToken",
    "APITokenClient",
    "Brand",
    "Country",
    "CountryState",
    "Currency",
    "CustomField",
    "CustomFieldType",
    "EnvironmentSetting",
    "NewAPIToken",
    "Region",
    "Setting",
    "Status",
    "System",
    "Tag",
    "User",
]

CustomFieldType = Literal["string", "integer", "float", "boolean", "json", "array"]


class _Record(OmneoModel):
    id: int | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None


class _Handled(_Record):
    handle: str | None = None


class Tag(_Handled):
    """A tag definition (profiles carry tag handles)."""


class System(_Handled):
    """A source system, e.g. ``pos`` or ``web``."""


class Status(_Handled):
    name: str | None = None
    sort_order: int | None = None
    description: str | None = None
    short_description: str | None = None
    long_description: str | None = None
    terms_conditions: str | None = None
    icon: str | None = None
    image_url: str | None = None
    earn_instructions: str | None = None
    colour: str | None = None
    text_colour: str | None = None
    code: str | None = None
    internal_notes: str | None = None


class Brand(_Handled):
    name: str | None = None
    external_id: str | None = None
    external_code: str | None = None
    is_system: bool | None = None
    description: str | None = None
    short_description: str | None = None
    url: str | None = None
    image_url: str | None = None
    internal_note: str | None = None
    meta: Any = None
    departments: list[Any] = []


class CountryState(OmneoModel):
    id: str | None = None
    name: str | None = None
    type: str | None = None
    iso: str | None = None
    iso_2_country: str | None = None
    iso_2_country_state_code: str | None = None
    sort_order: int | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None


class Country(_Record):
    name: str | None = None
    iso_2: str | None = None
    iso_3: str | None = None
    iso_numeric: str | None = None
    sort_order: int | None = None
    states: list[CountryState] = []


class Region(_Handled):
    name: str | None = None
    countries: list[Country] = []
    is_default: bool | None = None


class Currency(_Record):
    """An exchange-rate row ``from`` → ``to`` (``from`` is ``from_`` in Python)."""

    from_: str | None = Field(default=None, alias="from")
    to: str | None = None
    rate: Money | None = None
    is_system: bool | None = None


class Setting(_Handled):
    type: str | None = None
    """One of string, boolean, integer, float, json."""
    value: Any = None


class EnvironmentSetting(OmneoModel):
    handle: str | None = None
    value: Any = None


class CustomField(OmneoModel):
    """A custom field on a tenant, location, transaction, list or any other model."""

    namespace: str | None = None
    handle: str | None = None
    name: str | None = None
    type: CustomFieldType | str | None = None
    value: Any = None
    version: int | str | None = None
    is_index: bool | None = None
    custom_fieldable_type: str | None = None
    custom_fieldable_id: int | str | None = None
    custom_fieldable: Any = None
    created_at: Timestamp = None
    updated_at: Timestamp = None


class Department(_Record):
    """A subdivision of a location."""

    location_id: int | None = None
    name: str | None = None
    handle: str | None = None
    description: str | None = None
    external_id: str | None = None
    meta: Any = None


class ActionHistory(_Record):
    """One run of a trigger or automation: whom it acted for, how it ended, what each action did."""

    reaction: str | None = None
    reaction_id: int | None = None
    trigger_id: int | None = None
    automation_id: int | None = None
    event_type: str | None = None
    event_key: str | None = None
    profile_id: str | None = None
    #: ``done``, ``filtered`` (a filter stopped it) or ``failed``.
    status: str | None = None
    actions: list[dict[str, Any]] = []
    detail: dict[str, Any] = {}


class Staff(_Record):
    """A profile working for the retailer (its ``id`` is what sales' ``staff_id`` names)."""

    profile_id: str | None = None
    staff_number: str | None = None
    location_id: int | None = None
    department_id: int | None = None
    #: ``full_time``, ``part_time``, ``casual`` or ``other``.
    role_type: str | None = None
    is_active: bool | None = None
    meta: Any = None
    profile: dict[str, Any] | None = None
    location: dict[str, Any] | None = None


class Audit(_Record):
    """Who changed which record (``auditable_type`` + ``auditable_id``), how (``event``: ``created``,
    ``updated``, ``deleted``, ``issued``…), from where, and its values before and after."""

    event: str | None = None
    auditable_type: str | None = None
    auditable_id: int | str | None = None
    old_values: Any = None
    new_values: Any = None
    url: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None
    #: The API token's name, or ``worker`` / ``scheduler`` / ``cli`` / ``id:<profile>``.
    token_name: str | None = None
    user_id: int | None = None
    profile_id: str | None = None
    staff_id: str | None = None
    staff: dict[str, Any] | None = None
    location_id: int | None = None
    location: dict[str, Any] | None = None


class Organisation(_Record):
    """A customer-side body (an employer, a club) whose members are profiles."""

    name: str | None = None
    handle: str | None = None
    type: str | None = None
    status: str | None = None
    is_active: bool | None = None
    domain: str | None = None
    authorised_domains: list[str] = []
    address: dict[str, Any] | None = None
    locations: list[int] = []
    meta: Any = None


class RoleDefinition(_Record):
    """A role a profile can hold in an organisation."""

    name: str | None = None
    handle: str | None = None
    description: str | None = None
    meta: Any = None


class OrganisationProfile(_Record):
    """A profile's membership of an organisation."""

    organisation_id: int | None = None
    profile_id: str | None = None
    role_definition_id: int | None = None
    is_active: bool | None = None
    expires_at: Timestamp = None


class Permission(_Record):
    """A scope a token or a role can hold: ``name`` is the scope (``read-profiles``), ``handle``
    its verb; ``checked`` whether a route of the server enforces it (self-hosted servers say)."""

    name: str | None = None
    handle: str | None = None
    resource: str | None = None
    checked: bool | None = None


class Role(_Record):
    """A role users hold, with the permissions it grants (``can_login``: false for Machine)."""

    name: str | None = None
    handle: str | None = None
    weight: int | None = None
    can_login: bool | None = None
    permissions: list[Permission] = []


class User(_Record):
    name: str | None = None
    email: str | None = None
    throttle: int | None = None
    roles: list[dict[str, Any]] = []
    #: What the user may do: the union of their roles' permissions (``{id, name, handle}``).
    permissions: list[dict[str, Any]] = []
    deleted_at: Timestamp = None


class APITokenClient(OmneoModel):
    id: int | str | None = None
    user_id: int | None = None
    name: str | None = None
    provider: str | None = None
    redirect: str | None = None
    personal_access_client: bool | None = None
    password_client: bool | None = None
    revoked: bool | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None


class APIToken(OmneoModel):
    id: str | None = None
    user_id: int | None = None
    #: ``api`` (a machine's), ``personal`` (a user's own) or ``oauth`` (a login).
    type: str | None = None
    client_id: int | str | None = None
    name: str | None = None
    scopes: list[str] = []
    revoked: bool | None = None
    expires_at: Timestamp = None
    usage: list[Any] = []
    client: APITokenClient | None = None
    user: User | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None


class NewAPIToken(OmneoModel):
    """``auth.create_api_token``: the plaintext ``access_token`` (shown once) and its record."""

    access_token: str | None = Field(default=None, alias="accessToken")
    token: APIToken | None = None
