"""All tables. Money is NUMERIC; timestamps are naive UTC."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omneo_server import clock
from omneo_server.db.base import Base, TenantScoped, Timestamps
from omneo_server.db.secretbox import EncryptedText


def new_uuid() -> str:
    return str(uuid.uuid4())


class Tenant(Timestamps, Base):
    __tablename__ = "tenants"
    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    #: Secret for signing this tenant's ID tokens (encrypted at rest).
    signing_key: Mapped[str] = mapped_column(EncryptedText)
    #: Bumped when configuration every profile renders changes (statuses, regions, tags, tiers,
    #: settings): profile documents of an older epoch are not served.
    profile_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Bumped when configuration hot commands cache changes (``domain/reference.py``).
    config_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Permission(Timestamps, Base):
    """A scope a token or a role can hold (``read-profiles``), one row for every tenant: the
    catalogue (``domain/permissions.py``), kept here so its ids never change."""

    __tablename__ = "permissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class Role(TenantScoped, Base):
    """A role users hold (``domain/roles.py``): a preset, whose scopes come from code, or a
    tenant's own, holding the scopes listed."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("tenant_id", "handle"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(255))
    weight: Mapped[int] = mapped_column(Integer, default=0)
    #: A Machine role is for API tokens only: no one logs in with it.
    can_login: Mapped[bool] = mapped_column(Boolean, default=True)
    scopes: Mapped[list[Any]] = mapped_column(JSON, default=list)


class User(TenantScoped, Base):
    """A person who logs in to the admin API (and the admin console): ``domain/users.py``."""

    __tablename__ = "users"
    __table_args__ = (
        Index(
            "uq_users_email_live",
            "tenant_id",
            "email",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(255))
    #: argon2id, never answered.
    password_hash: Mapped[str] = mapped_column(String(255))
    throttle: Mapped[int | None] = mapped_column(Integer)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    roles: Mapped[list[Role]] = relationship(secondary="user_roles", order_by="Role.id", lazy="selectin")


class UserRole(Base):
    __tablename__ = "user_roles"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True, index=True)


class Organisation(TenantScoped, Base):
    """A customer-side body (an employer, a club) whose members are profiles (``domain/organisations.py``)."""

    __tablename__ = "organisations"
    __table_args__ = (UniqueConstraint("tenant_id", "handle"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    handle: Mapped[str] = mapped_column(String(100))
    type: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str | None] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    domain: Mapped[str | None] = mapped_column(String(255))
    authorised_domains: Mapped[list[Any]] = mapped_column(JSON, default=list)
    address: Mapped[Any] = mapped_column(JSON, nullable=True)
    locations: Mapped[list[Any]] = mapped_column(JSON, default=list)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)


class RoleDefinition(TenantScoped, Base):
    """A role a profile holds in an organisation (not a user's role: ``Role``)."""

    __tablename__ = "role_definitions"
    __table_args__ = (UniqueConstraint("tenant_id", "handle"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    handle: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)


class OrganisationProfile(TenantScoped, Base):
    """A profile's membership of an organisation, with the role it holds there."""

    __tablename__ = "organisation_profiles"
    __table_args__ = (UniqueConstraint("organisation_id", "profile_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    role_definition_id: Mapped[int | None] = mapped_column(ForeignKey("role_definitions.id", ondelete="SET NULL"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)


class ApiToken(TenantScoped, Base):
    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(255))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: ``api`` (a machine's), ``personal`` (a user's own) or ``oauth`` (a login).
    type: Mapped[str] = mapped_column(String(20), default="api", server_default="api")
    #: The user a personal or login token acts for: it never holds more than the user may do now.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"))


class OAuthClient(TenantScoped, Base):
    """An application allowed to log users in with the OAuth password grant (``domain/oauth.py``)."""

    __tablename__ = "oauth_clients"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    #: SHA-256 of the secret (the secret is shown once, when the client is made).
    secret_hash: Mapped[str] = mapped_column(String(64))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class RefreshToken(TenantScoped, Base):
    """Trades for a new login once: used again, it ends the whole family of logins it came from."""

    __tablename__ = "refresh_tokens"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first login of the chain (every refresh of a login shares it).
    family: Mapped[str] = mapped_column(String(36), index=True)
    #: The login it came with (null once that token is deleted: the refresh token stays, so its
    #: reuse is still caught).
    access_token_id: Mapped[str | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"))
    scopes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class OutboxEvent(Base):
    """A domain event, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(100))
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(64))
    #: Who caused it (token id / namespace), so reactions can avoid echoing back to it.
    actor: Mapped[str | None] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    #: Dispatch attempts that failed, when the next may run, the last failure, and when it gave up.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    available_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    dead_at: Mapped[datetime | None] = mapped_column(DateTime)


# --- configuration -------------------------------------------------------------------------------


class Brand(TenantScoped, Base):
    __tablename__ = "brands"
    __table_args__ = (UniqueConstraint("tenant_id", "handle"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    handle: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str | None] = mapped_column(String(255))
    external_code: Mapped[str | None] = mapped_column(String(255))
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text)
    short_description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2048))
    image_url: Mapped[str | None] = mapped_column(String(2048))
    internal_note: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)


class Country(TenantScoped, Base):
    __tablename__ = "countries"
    __table_args__ = (UniqueConstraint("tenant_id", "iso_2"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    iso_2: Mapped[str] = mapped_column(String(2))
    iso_3: Mapped[str] = mapped_column(String(3))
    iso_numeric: Mapped[str] = mapped_column(String(3))
    sort_order: Mapped[int | None] = mapped_column(Integer)
    states: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Currency(TenantScoped, Base):
    """An exchange-rate row."""

    __tablename__ = "currencies"
    __table_args__ = (UniqueConstraint("tenant_id", "from", "to"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    from_: Mapped[str] = mapped_column("from", String(3))
    to: Mapped[str | None] = mapped_column(String(3))
    rate: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)


class Region(TenantScoped, Base):
    __tablename__ = "regions"
    __table_args__ = (UniqueConstraint("tenant_id", "handle"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    handle: Mapped[str] = mapped_column(String(100))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    #: ISO-3166 alpha-2 codes of the countries in the region.
    countries: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Status(TenantScoped, Base):
    __tablename__ = "statuses"
    __table_args__ = (UniqueConstraint("tenant_id", "handle"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    handle: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int | None] = mapped_column(Integer)
    code: Mapped[str | None] = mapped_column(String(100))
    colour: Mapped[str | None] = mapped_column(String(50))
    text_colour: Mapped[str | None] = mapped_column(String(50))
    icon: Mapped[str | None] = mapped_column(String(2048))
    image_url: Mapped[str | None] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(Text)
    short_description: Mapped[str | None] = mapped_column(Text)
    long_description: Mapped[str | None] = mapped_column(Text)
    terms_conditions: Mapped[str | None] = mapped_column(Text)
    earn_instructions: Mapped[str | None] = mapped_column(Text)
    internal_notes: Mapped[str | None] = mapped_column(Text)
    group_handle: Mapped[str | None] = mapped_column(String(100))
    group_name: Mapped[str | None] = mapped_column(String(255))
    #: Days a status lasts once given (None = until removed).
    period: Mapped[int | None] = mapped_column(Integer)


class Tag(TenantScoped, Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("tenant_id", "handle"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(255))


class System(TenantScoped, Base):
    __tablename__ = "systems"
    __table_args__ = (UniqueConstraint("tenant_id", "handle"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(100))


class Setting(TenantScoped, Base):
    __tablename__ = "settings"
    __table_args__ = (UniqueConstraint("tenant_id", "handle"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(20))
    value: Mapped[str | None] = mapped_column(Text)


class CustomField(TenantScoped, Base):
    """A ``namespace:handle`` value on any owner (profile custom attributes live here too)."""

    __tablename__ = "custom_fields"
    __table_args__ = (UniqueConstraint("tenant_id", "owner_type", "owner_id", "namespace", "handle"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(50))
    owner_id: Mapped[str] = mapped_column(String(64))
    namespace: Mapped[str] = mapped_column(String(100))
    handle: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(20))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_index: Mapped[bool] = mapped_column(Boolean, default=False)


class CustomFieldVersion(Base):
    """Earlier values of a custom field, kept for ``…/versions``."""

    __tablename__ = "custom_field_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    custom_field_id: Mapped[int] = mapped_column(ForeignKey("custom_fields.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


# --- profiles ------------------------------------------------------------------------------------

ACTIVE = text("deleted_at IS NULL")


class Profile(TenantScoped, Base):
    __tablename__ = "profiles"
    __table_args__ = (
        Index(
            "uq_profiles_email_live",
            "tenant_id",
            "email",
            unique=True,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        ),
        Index(
            "uq_profiles_mobile_live",
            "tenant_id",
            "mobile_phone",
            unique=True,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        ),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    title: Mapped[str | None] = mapped_column(String(50))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(255))
    gender: Mapped[str | None] = mapped_column(String(20))
    currency: Mapped[str | None] = mapped_column(String(3))
    joined_at: Mapped[datetime | None] = mapped_column(DateTime)
    mobile_phone: Mapped[str | None] = mapped_column(String(32))
    secondary_phone: Mapped[str | None] = mapped_column(String(32))
    birth_day: Mapped[int | None] = mapped_column(Integer)
    birth_month: Mapped[int | None] = mapped_column(Integer)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    company: Mapped[str | None] = mapped_column(String(255))
    occupation: Mapped[str | None] = mapped_column(String(255))
    avatar_url: Mapped[str | None] = mapped_column(String(2048))
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    profile_type: Mapped[str] = mapped_column(String(20), default="active", index=True)
    joined_location_id: Mapped[int | None] = mapped_column(Integer)
    preferred_location_id: Mapped[int | None] = mapped_column(Integer)
    joined_staff_id: Mapped[int | None] = mapped_column(Integer)
    preferred_staff_id: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(String(255))
    comms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    appearance: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Set on soft delete; the profile is then hidden from the API.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)

    identities: Mapped[list[Identity]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="Identity.id"
    )
    addresses: Mapped[list[Address]] = relationship(cascade="all, delete-orphan", order_by="Address.id")
    dates: Mapped[list[ProfileDate]] = relationship(cascade="all, delete-orphan", order_by="ProfileDate.id")
    tags: Mapped[list[Tag]] = relationship(secondary="profile_tags", order_by="Tag.handle")
    statuses: Mapped[list[ProfileStatus]] = relationship(cascade="all, delete-orphan", order_by="ProfileStatus.id")
    regions: Mapped[list[ProfileRegion]] = relationship(cascade="all, delete-orphan", order_by="ProfileRegion.id")
    #: Custom attributes live in the shared custom-field table, owned by ``profile``.
    custom_fields: Mapped[list[CustomField]] = relationship(
        primaryjoin="and_(CustomField.owner_type == 'profile', foreign(CustomField.owner_id) == Profile.id)",
        viewonly=True,
        order_by="(CustomField.namespace, CustomField.handle)",
    )


class Identity(TenantScoped, Base):
    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("tenant_id", "handle", "identifier"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    handle: Mapped[str] = mapped_column(String(100))
    identifier: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_from: Mapped[str | None] = mapped_column(String(36))
    profile: Mapped[Profile] = relationship(back_populates="identities")


class Address(TenantScoped, Base):
    __tablename__ = "addresses"
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    address_line_1: Mapped[str] = mapped_column(String(255))
    address_line_2: Mapped[str | None] = mapped_column(String(255))
    address_line_3: Mapped[str | None] = mapped_column(String(255))
    company: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str] = mapped_column(String(255))
    state: Mapped[str | None] = mapped_column(String(255))
    postcode: Mapped[str] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(2))
    iso_state: Mapped[str | None] = mapped_column(String(10))
    latitude: Mapped[str | None] = mapped_column(String(32))
    longitude: Mapped[str | None] = mapped_column(String(32))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(255))
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)


class ProfileDate(TenantScoped, Base):
    __tablename__ = "profile_dates"
    __table_args__ = (UniqueConstraint("profile_id", "handle"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    handle: Mapped[str] = mapped_column(String(100))
    date: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(Text)
    is_recurring: Mapped[bool] = mapped_column(Boolean, default=False)
    recurring_schedule: Mapped[str | None] = mapped_column(String(50))
    relationship: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(100), default="owner")
    note: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)


class ProfileTag(Base):
    __tablename__ = "profile_tags"
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)


class ProfileStatus(Base):
    __tablename__ = "profile_statuses"
    __table_args__ = (UniqueConstraint("profile_id", "status_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    status_id: Mapped[int] = mapped_column(ForeignKey("statuses.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    status: Mapped[Status] = relationship(lazy="joined")


class ProfileRegion(TenantScoped, Base):
    __tablename__ = "profile_regions"
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    country: Mapped[str | None] = mapped_column(String(2))
    state: Mapped[str | None] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    region: Mapped[Region] = relationship(lazy="joined")


# --- commerce ------------------------------------------------------------------------------------

Money = Numeric(14, 2)


class Location(TenantScoped, Base):
    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("tenant_id", "external_id"), UniqueConstraint("tenant_id", "handle"))
    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str | None] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(255))
    handle: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(255))
    external_code: Mapped[str | None] = mapped_column(String(255), index=True)
    country_iso_3: Mapped[str | None] = mapped_column(String(3))
    icon: Mapped[str | None] = mapped_column(String(2048))
    image_url: Mapped[str | None] = mapped_column(String(2048))
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    is_permanently_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    address: Mapped[Any] = mapped_column(JSON, nullable=True)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    normal_hours: Mapped[list[Any]] = mapped_column(JSON, default=list)
    special_hours: Mapped[list[Any]] = mapped_column(JSON, default=list)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)
    custom_fields: Mapped[list[CustomField]] = relationship(
        primaryjoin="and_(CustomField.owner_type == 'location', "
        "foreign(CustomField.owner_id) == cast(Location.id, String))",
        viewonly=True,
        lazy="selectin",
        order_by="(CustomField.namespace, CustomField.handle)",
    )
    departments: Mapped[list[Department]] = relationship(
        viewonly=True, lazy="selectin", order_by="(Department.name, Department.id)"
    )


class Department(TenantScoped, Base):
    """A subdivision of a location (womenswear, the café…)."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("location_id", "handle"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    handle: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(255))
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)


class Staff(TenantScoped, Base):
    """A profile working for the retailer: the id sales (``staff_id``) and profiles
    (``joined_staff_id``) name, its staff number, and where it works."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("tenant_id", "profile_id"), UniqueConstraint("tenant_id", "staff_number"))
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    staff_number: Mapped[str | None] = mapped_column(String(100))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    #: ``full_time``, ``part_time``, ``casual`` or ``other``.
    role_type: Mapped[str | None] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)


class Product(TenantScoped, Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("tenant_id", "handle"), UniqueConstraint("tenant_id", "external_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    handle: Mapped[str] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    type: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20), default="active")
    brand: Mapped[str] = mapped_column(String(255))
    department: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    web_url: Mapped[str | None] = mapped_column(String(2048))
    currency: Mapped[str | None] = mapped_column(String(3))
    position: Mapped[int] = mapped_column(Integer, default=0)
    images: Mapped[list[Any]] = mapped_column(JSON, default=list)
    channels: Mapped[list[Any]] = mapped_column(JSON, default=list)
    systems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)
    variants: Mapped[list[ProductVariant]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="(ProductVariant.position, ProductVariant.id)"
    )


class ProductVariant(TenantScoped, Base):
    __tablename__ = "product_variants"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sku"),
        UniqueConstraint("tenant_id", "barcode"),
        UniqueConstraint("tenant_id", "external_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(255))
    barcode: Mapped[str | None] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    handle: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    web_url: Mapped[str | None] = mapped_column(String(2048))
    position: Mapped[int] = mapped_column(Integer, default=0)
    price: Mapped[Decimal] = mapped_column(Money)
    price_discounted: Mapped[Decimal | None] = mapped_column(Money)
    price_comparison: Mapped[Decimal | None] = mapped_column(Money)
    price_cost: Mapped[Decimal | None] = mapped_column(Money)
    available_quantity: Mapped[int | None] = mapped_column(Integer)
    images: Mapped[list[Any]] = mapped_column(JSON, default=list)
    options: Mapped[list[Any]] = mapped_column(JSON, default=list)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)
    product: Mapped[Product] = relationship(back_populates="variants")


class CustomProduct(TenantScoped, Base):
    """A product sold outside the catalogue (made to order, services), kept for lists and history."""

    __tablename__ = "custom_products"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    sku: Mapped[str | None] = mapped_column(String(255))
    brand: Mapped[str | None] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(255))
    subcategory: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal | None] = mapped_column(Money)
    image_url: Mapped[str | None] = mapped_column(String(2048))
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)


class Interaction(TenantScoped, Base):
    __tablename__ = "interactions"
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    identity_id: Mapped[int | None] = mapped_column(ForeignKey("identities.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    signal: Mapped[str] = mapped_column(String(2))
    name: Mapped[str | None] = mapped_column(String(255))
    namespace: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2048))
    duration: Mapped[int | None] = mapped_column(Integer)
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(10, 7))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(10, 7))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    product_id: Mapped[int | None] = mapped_column(Integer)
    product_variant_id: Mapped[int | None] = mapped_column(Integer)
    staff_id: Mapped[str | None] = mapped_column(String(64))
    interacted_id: Mapped[int | None] = mapped_column(Integer)
    interacted_type: Mapped[str | None] = mapped_column(String(50))
    interacted_at: Mapped[datetime | None] = mapped_column(DateTime)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)


class Rating(TenantScoped, Base):
    __tablename__ = "ratings"
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str | None] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    rateable_type: Mapped[str] = mapped_column(String(50))
    rateable_id: Mapped[str] = mapped_column(String(64))
    rating: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(String(255))
    comment: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)


class _Sale:
    """Columns shared by orders and transactions."""

    external_id: Mapped[str | None] = mapped_column(String(255))
    external_order_id: Mapped[str | None] = mapped_column(String(255))
    order_number: Mapped[str | None] = mapped_column(String(255))
    receipt_ref: Mapped[str | None] = mapped_column(String(255), index=True)
    receipt_email: Mapped[str | None] = mapped_column(String(255))
    receipt_is_email: Mapped[bool] = mapped_column(Boolean, default=False)
    transacted_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    total: Mapped[Decimal] = mapped_column(Money)
    total_original: Mapped[Decimal | None] = mapped_column(Money)
    rounding: Mapped[Decimal | None] = mapped_column(Money)
    margin: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    currency_rate: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    is_void: Mapped[bool] = mapped_column(Boolean, default=False)
    type: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str | None] = mapped_column(String(50))
    systems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    payments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    fees: Mapped[list[Any]] = mapped_column(JSON, default=list)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)
    staff_id: Mapped[int | None] = mapped_column(Integer)
    redemption_id: Mapped[int | None] = mapped_column(Integer)


class _SaleItem:
    """Columns shared by order items and transaction items."""

    external_id: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    sku: Mapped[str | None] = mapped_column(String(255))
    variant_external_id: Mapped[str | None] = mapped_column(String(255))
    product_id: Mapped[int | None] = mapped_column(Integer)
    product_variant_id: Mapped[int | None] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    price_current: Mapped[Decimal] = mapped_column(Money)
    price_sell: Mapped[Decimal] = mapped_column(Money)
    price_original: Mapped[Decimal | None] = mapped_column(Money)
    price_margin: Mapped[Decimal | None] = mapped_column(Money)
    price_tax: Mapped[Decimal | None] = mapped_column(Money)
    discounts: Mapped[Any] = mapped_column(JSON, nullable=True)
    department: Mapped[str | None] = mapped_column(String(255))
    is_void: Mapped[bool] = mapped_column(Boolean, default=False)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)


class Order(_Sale, TenantScoped, Base):
    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str | None] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    due_date: Mapped[datetime | None] = mapped_column(DateTime)
    items: Mapped[list[OrderItem]] = relationship(
        cascade="all, delete-orphan", order_by="OrderItem.id", lazy="selectin"
    )
    location: Mapped[Location | None] = relationship(lazy="selectin")
    custom_fields: Mapped[list[CustomField]] = relationship(
        primaryjoin="and_(CustomField.owner_type == 'order', foreign(CustomField.owner_id) == cast(Order.id, String))",
        viewonly=True,
        lazy="selectin",
        order_by="(CustomField.namespace, CustomField.handle)",
    )


class OrderItem(_SaleItem, TenantScoped, Base):
    __tablename__ = "order_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)


class Transaction(_Sale, TenantScoped, Base):
    """A completed sale or return: commercial content is immutable once written."""

    __tablename__ = "transactions"
    #: The same external transaction from the same system is stored once.
    __table_args__ = (UniqueConstraint("tenant_id", "system", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str | None] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    #: The originating system (first of ``systems``), the scope of ``external_id``.
    system: Mapped[str] = mapped_column(String(100), default="")
    linked_receipt_ref: Mapped[str | None] = mapped_column(String(255))
    need_action: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    items: Mapped[list[TransactionItem]] = relationship(
        cascade="all, delete-orphan", order_by="TransactionItem.id", lazy="selectin"
    )
    location: Mapped[Location | None] = relationship(lazy="selectin")
    custom_fields: Mapped[list[CustomField]] = relationship(
        primaryjoin="and_(CustomField.owner_type == 'transaction', "
        "foreign(CustomField.owner_id) == cast(Transaction.id, String))",
        viewonly=True,
        lazy="selectin",
        order_by="(CustomField.namespace, CustomField.handle)",
    )
    #: The tier points the sale earned (or a return took back).
    tier_points: Mapped[list[TierPoint]] = relationship(
        primaryjoin="foreign(TierPoint.transaction_id) == Transaction.id",
        viewonly=True,
        lazy="selectin",
        order_by="TierPoint.id",
    )


class TransactionItem(_SaleItem, TenantScoped, Base):
    __tablename__ = "transaction_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id", ondelete="CASCADE"), index=True)
    is_return: Mapped[bool] = mapped_column(Boolean, default=False)


class TransactionClaim(TenantScoped, Base):
    __tablename__ = "transaction_claims"
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    transaction_receipt_ref: Mapped[str | None] = mapped_column(String(255))
    transaction_external_id: Mapped[str | None] = mapped_column(String(255))
    transaction_transacted_at: Mapped[datetime | None] = mapped_column(DateTime)
    transaction_timezone: Mapped[str | None] = mapped_column(String(64))
    transaction_total: Mapped[Decimal | None] = mapped_column(Money)
    transaction_location_external_code: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: A transaction is claimed at most once.
    claimed_transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("transactions.id", ondelete="SET NULL"), unique=True
    )
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime)


class SpendDay(Base):
    """A profile's net spend on one business day (in the transaction's own timezone), kept current by
    every transaction write; aggregations over windows read these, never the transaction history."""

    __tablename__ = "spend_days"
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    net: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    transactions: Mapped[int] = mapped_column(Integer, default=0)
    sales: Mapped[int] = mapped_column(Integer, default=0)


class ProfileDocument(Base):
    """The read model of a profile: its rendered JSON (balances and tier included), served by
    ``GET /profiles/{id}`` in one indexed lookup. ``generation`` is bumped (and ``body`` cleared) in
    the transaction of every change to what the profile renders; a reader stores what it rendered
    only if the generation it read first is still current. ``valid_until`` (unix seconds) is when the
    rendering changes by time alone (an expiry, an accrual, a birthday)."""

    __tablename__ = "profile_documents"
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    body: Mapped[str | None] = mapped_column(Text)
    valid_until: Mapped[int | None] = mapped_column(BigInteger)


class Aggregation(Base):
    """Running facts about a profile's transactions, updated in the writing transaction."""

    __tablename__ = "aggregations"
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    spend_all: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    transaction_count: Mapped[int] = mapped_column(Integer, default=0)
    discount_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    latest_transaction_id: Mapped[int | None] = mapped_column(Integer)
    latest_transacted_at: Mapped[datetime | None] = mapped_column(DateTime)
    latest_location_id: Mapped[int | None] = mapped_column(Integer)
    latest_shop_spend: Mapped[Decimal | None] = mapped_column(Money)
    first_transacted_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: Counts per system handle (``pos``, ``web``) for the channel dimension.
    systems: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Net spend and visits per location id, for most-transacted / most-spend locations.
    locations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Items bought per brand (a count, so returns can take a brand away again).
    brands: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now, onupdate=clock.now)


# --- incentives: definitions ---------------------------------------------------------------------


class _Definition:
    """What every incentive definition carries: naming, copy, publication, region, tags."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    handle: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    short_description: Mapped[str | None] = mapped_column(Text)
    long_description: Mapped[str | None] = mapped_column(Text)
    terms_conditions: Mapped[str | None] = mapped_column(Text)
    earn_instructions: Mapped[str | None] = mapped_column(Text)
    internal_notes: Mapped[str | None] = mapped_column(Text)
    icon: Mapped[str | None] = mapped_column(String(2048))
    image_url: Mapped[str | None] = mapped_column(String(2048))
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    currency: Mapped[str | None] = mapped_column(String(3))
    region_id: Mapped[int | None] = mapped_column(Integer)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)


class _Validity:
    """How long an issued instance lasts and whether it may be extended or moved."""

    period: Mapped[int | None] = mapped_column(Integer)
    period_type: Mapped[str] = mapped_column(String(20), default="days")
    absolute_expiry: Mapped[datetime | None] = mapped_column(DateTime)
    is_extendable: Mapped[bool] = mapped_column(Boolean, default=False)
    extend_days: Mapped[int | None] = mapped_column(Integer)
    is_assignable: Mapped[bool] = mapped_column(Boolean, default=True)
    is_reassignable: Mapped[bool] = mapped_column(Boolean, default=False)


class _Notify:
    """Targets fired around an instance's life, and when."""

    issue_target_id: Mapped[int | None] = mapped_column(Integer)
    expiry_target_id: Mapped[int | None] = mapped_column(Integer)
    extend_target_id: Mapped[int | None] = mapped_column(Integer)
    remind_target_id: Mapped[int | None] = mapped_column(Integer)
    notify_issue_offset: Mapped[int | None] = mapped_column(Integer)
    notify_expiry_offset: Mapped[int | None] = mapped_column(Integer)
    notify_schedule_offset: Mapped[int | None] = mapped_column(Integer)
    notify_issue_offset_days: Mapped[int | None] = mapped_column(Integer)
    notify_issue_offset_hour: Mapped[int | None] = mapped_column(Integer)
    notify_remind_offset_days: Mapped[int | None] = mapped_column(Integer)
    notify_remind_offset_hour: Mapped[int | None] = mapped_column(Integer)
    notify_extend_offset_days: Mapped[int | None] = mapped_column(Integer)
    notify_extend_offset_hour: Mapped[int | None] = mapped_column(Integer)


class RewardDefinition(_Definition, _Validity, _Notify, TenantScoped, Base):
    __tablename__ = "reward_definitions"
    __table_args__ = (UniqueConstraint("tenant_id", "handle"),)
    type: Mapped[str] = mapped_column(String(50), default="other")
    value: Mapped[Decimal | None] = mapped_column(Money)
    max_value: Mapped[Decimal | None] = mapped_column(Money)


class BenefitDefinition(_Definition, _Validity, _Notify, TenantScoped, Base):
    __tablename__ = "benefit_definitions"
    __table_args__ = (UniqueConstraint("tenant_id", "handle"),)
    type: Mapped[str | None] = mapped_column(String(50))
    value: Mapped[Decimal | None] = mapped_column(Money)
    campaign: Mapped[str | None] = mapped_column(String(255))
    end_at: Mapped[datetime | None] = mapped_column(DateTime)
    max_redemptions: Mapped[int | None] = mapped_column(Integer)
    max_global_redemptions: Mapped[int | None] = mapped_column(Integer)
    #: Running counters, kept by the issuing and redeeming commands.
    total_global_redemptions: Mapped[int] = mapped_column(Integer, default=0)
    total_global_created: Mapped[int] = mapped_column(Integer, default=0)
    is_claimable: Mapped[bool] = mapped_column(Boolean, default=False)
    is_reclaimable: Mapped[bool] = mapped_column(Boolean, default=False)
    force_allocation: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_user_redeem: Mapped[bool] = mapped_column(Boolean, default=True)
    claim_period_start_at: Mapped[datetime | None] = mapped_column(DateTime)
    claim_period_end_at: Mapped[datetime | None] = mapped_column(DateTime)
    claim_condition: Mapped[Any] = mapped_column(JSON, nullable=True)
    view_condition: Mapped[Any] = mapped_column(JSON, nullable=True)
    visibility_condition: Mapped[Any] = mapped_column(JSON, nullable=True)
    claim_timeframe: Mapped[str | None] = mapped_column(String(50))
    redeem_code_pos: Mapped[str | None] = mapped_column(String(255))
    redeem_code_online: Mapped[str | None] = mapped_column(String(255))
    redeem_instructions_store: Mapped[str | None] = mapped_column(Text)
    redeem_instructions_online: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(255))


class PointDefinition(_Definition, _Validity, TenantScoped, Base):
    """``type`` says what the points are for: ``reward`` (redeemable for dollars), ``tier`` (tier
    attain/maintain only) or ``other``."""

    __tablename__ = "point_definitions"
    __table_args__ = (UniqueConstraint("tenant_id", "handle"),)
    type: Mapped[str] = mapped_column(String(20), default="reward")
    notes: Mapped[str | None] = mapped_column(Text)
    issue_period: Mapped[int | None] = mapped_column(Integer)
    issue_period_type: Mapped[str | None] = mapped_column(String(20))
    issue_absolute_expiry: Mapped[datetime | None] = mapped_column(DateTime)


class CreditDefinition(_Definition, _Validity, _Notify, TenantScoped, Base):
    __tablename__ = "credit_definitions"
    __table_args__ = (UniqueConstraint("tenant_id", "handle"),)
    type: Mapped[str] = mapped_column(String(50), default="store_credit")
    value: Mapped[Decimal | None] = mapped_column(Money)
    max_value: Mapped[Decimal | None] = mapped_column(Money)
    timezone: Mapped[str | None] = mapped_column(String(64))
    release_period: Mapped[int | None] = mapped_column(Integer)
    release_period_type: Mapped[str] = mapped_column(String(20), default="days")
    release_period_absolute_expiry: Mapped[datetime | None] = mapped_column(DateTime)
    release_target_id: Mapped[int | None] = mapped_column(Integer)
    is_releasable: Mapped[bool] = mapped_column(Boolean, default=False)
    require_creator: Mapped[bool] = mapped_column(Boolean, default=False)
    require_assigned: Mapped[bool] = mapped_column(Boolean, default=False)
    require_security_code: Mapped[bool] = mapped_column(Boolean, default=False)
    use_custom_numbers: Mapped[bool] = mapped_column(Boolean, default=False)
    credit_number_range_type: Mapped[str] = mapped_column(String(20), default="random")
    credit_number_range_start: Mapped[str | None] = mapped_column(String(64))
    credit_number_range_end: Mapped[str | None] = mapped_column(String(64))
    credit_number_length: Mapped[int | None] = mapped_column(Integer)
    security_code_type: Mapped[str] = mapped_column(String(20), default="pin4")
    primary_colour: Mapped[str | None] = mapped_column(String(50))
    secondary_colour: Mapped[str | None] = mapped_column(String(50))


class TierDefinition(_Definition, TenantScoped, Base):
    __tablename__ = "tier_definitions"
    __table_args__ = (UniqueConstraint("tenant_id", "handle"),)
    value_min: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    value_maintain: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    is_floor: Mapped[bool] = mapped_column(Boolean, default=False)
    is_assignable: Mapped[bool] = mapped_column(Boolean, default=True)
    disable_credit: Mapped[bool] = mapped_column(Boolean, default=False)


class AchievementDefinition(_Definition, TenantScoped, Base):
    __tablename__ = "achievement_definitions"
    __table_args__ = (UniqueConstraint("tenant_id", "handle"),)
    type: Mapped[str | None] = mapped_column(String(50))
    display_level: Mapped[bool] = mapped_column(Boolean, default=True)
    display_option: Mapped[str | None] = mapped_column(String(20), default="visible")
    enable_annual_earn_cycle: Mapped[bool] = mapped_column(Boolean, default=False)
    period: Mapped[str | None] = mapped_column(String(20))
    timezone: Mapped[str | None] = mapped_column(String(64))
    starts_at: Mapped[datetime | None] = mapped_column(DateTime)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: The levels, in threshold order, each with its own ``id``.
    levels: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Rate(TenantScoped, Base):
    """An earn rule: points per unit of base for one point definition, where and when it applies."""

    __tablename__ = "rates"
    id: Mapped[int] = mapped_column(primary_key=True)
    point_definition_id: Mapped[int] = mapped_column(ForeignKey("point_definitions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    start_time: Mapped[datetime | None] = mapped_column(DateTime)
    end_time: Mapped[datetime | None] = mapped_column(DateTime)
    location_id: Mapped[int | None] = mapped_column(Integer)
    region_id: Mapped[int | None] = mapped_column(Integer)
    country_iso_2: Mapped[str | None] = mapped_column(String(2))
    code: Mapped[str | None] = mapped_column(String(100))
    profile_conditions: Mapped[Any] = mapped_column(JSON, nullable=True)
    product_conditions: Mapped[Any] = mapped_column(JSON, nullable=True)
    rate_priority: Mapped[str | None] = mapped_column(String(20))
    issue_period: Mapped[int | None] = mapped_column(Integer)
    issue_period_type: Mapped[str | None] = mapped_column(String(20))
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)


# --- incentives: what profiles hold --------------------------------------------------------------


class _Lot:
    """A spendable amount held by a profile (a reward, points, a credit). ``value_remaining`` is a
    cache of ``value_initial`` plus the lot's ledger movements, and never below zero."""

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    value_initial: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    value_remaining: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    extended_at: Mapped[datetime | None] = mapped_column(DateTime)
    timezone: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(255))
    source_type: Mapped[str | None] = mapped_column(String(50))
    source_id: Mapped[int | None] = mapped_column(Integer)
    is_void: Mapped[bool] = mapped_column(Boolean, default=False)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)


class Reward(_Lot, TenantScoped, Base):
    __tablename__ = "rewards"
    reward_definition_id: Mapped[int] = mapped_column(ForeignKey("reward_definitions.id"), index=True)
    definition: Mapped[RewardDefinition] = relationship(lazy="selectin")


class Point(_Lot, TenantScoped, Base):
    """Reward or other points; spendable from ``accrued_at``."""

    __tablename__ = "points"
    point_definition_id: Mapped[int] = mapped_column(ForeignKey("point_definitions.id"), index=True)
    accrued_at: Mapped[datetime] = mapped_column(DateTime)
    rate_id: Mapped[int | None] = mapped_column(Integer)
    rate: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    transaction_id: Mapped[int | None] = mapped_column(Integer, index=True)
    linked_profile_id: Mapped[str | None] = mapped_column(String(36))
    description: Mapped[str | None] = mapped_column(Text)
    definition: Mapped[PointDefinition] = relationship(lazy="selectin")
    #: The rate the points were earned at (``rate`` is its value then; the rate may change since).
    rate_record: Mapped[Rate | None] = relationship(
        primaryjoin="foreign(Point.rate_id) == Rate.id", viewonly=True, lazy="selectin"
    )


class Credit(_Lot, TenantScoped, Base):
    __tablename__ = "credits"
    __table_args__ = (UniqueConstraint("tenant_id", "credit_number"),)
    credit_definition_id: Mapped[int] = mapped_column(ForeignKey("credit_definitions.id"), index=True)
    creator_profile_id: Mapped[str | None] = mapped_column(String(36))
    staff_id: Mapped[str | None] = mapped_column(String(64))
    location_id: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(255))
    credit_number: Mapped[str | None] = mapped_column(String(64))
    security_code: Mapped[str | None] = mapped_column(String(16))
    released_at: Mapped[datetime | None] = mapped_column(DateTime)
    recipient_first_name: Mapped[str | None] = mapped_column(String(255))
    recipient_email: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[str | None] = mapped_column(Text)
    external_namespace: Mapped[str | None] = mapped_column(String(100))
    is_imported: Mapped[bool] = mapped_column(Boolean, default=False)
    is_system_generated: Mapped[bool] = mapped_column(Boolean, default=False)
    definition: Mapped[CreditDefinition] = relationship(lazy="selectin")


class Benefit(TenantScoped, Base):
    __tablename__ = "benefits"
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    benefit_definition_id: Mapped[int] = mapped_column(ForeignKey("benefit_definitions.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(255))
    value: Mapped[Decimal | None] = mapped_column(Money)
    timezone: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    extended_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: None: as many times as the definition's global limit allows.
    redemptions_remaining: Mapped[int | None] = mapped_column(Integer)
    redeem_code_pos: Mapped[str | None] = mapped_column(String(255))
    redeem_code_online: Mapped[str | None] = mapped_column(String(255))
    source_type: Mapped[str | None] = mapped_column(String(50))
    source_id: Mapped[int | None] = mapped_column(Integer)
    is_void: Mapped[bool] = mapped_column(Boolean, default=False)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)
    definition: Mapped[BenefitDefinition] = relationship(lazy="selectin")


class TierPoint(TenantScoped, Base):
    """Tier points: count toward tiers over a rolling 12 months, never spendable. Returns write
    negative rows."""

    __tablename__ = "tier_points"
    __table_args__ = (Index("ix_tier_points_profile_issued", "profile_id", "issued_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    point_definition_id: Mapped[int] = mapped_column(ForeignKey("point_definitions.id"), index=True)
    value: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    accrued_at: Mapped[datetime] = mapped_column(DateTime)
    rate_id: Mapped[int | None] = mapped_column(Integer)
    transaction_id: Mapped[int | None] = mapped_column(Integer, index=True)
    source_type: Mapped[str | None] = mapped_column(String(50))
    source_id: Mapped[int | None] = mapped_column(Integer)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)


class ProfileTier(TenantScoped, Base):
    """A profile's current tier (one programme per tenant)."""

    __tablename__ = "profile_tiers"
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), unique=True)
    tier_definition_id: Mapped[int] = mapped_column(ForeignKey("tier_definitions.id"))
    achieved_at: Mapped[datetime] = mapped_column(DateTime)
    anniversary_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    maintained_at: Mapped[datetime | None] = mapped_column(DateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: Points above the tier's minimum in the cycle it was achieved, counted toward the next cycle.
    credit: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=Decimal("0"))
    definition: Mapped[TierDefinition] = relationship(lazy="selectin")


class ProfileAchievement(TenantScoped, Base):
    """A profile's running count on one achievement and the highest level it has reached."""

    __tablename__ = "profile_achievements"
    __table_args__ = (UniqueConstraint("profile_id", "achievement_definition_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    achievement_definition_id: Mapped[int] = mapped_column(ForeignKey("achievement_definitions.id", ondelete="CASCADE"))
    count: Mapped[int] = mapped_column(Integer, default=0)
    #: The ``display_number`` of the highest level reached; never lowered.
    level: Mapped[int] = mapped_column(Integer, default=0)
    definition: Mapped[AchievementDefinition] = relationship(lazy="selectin")


class AchievementPoint(TenantScoped, Base):
    """One count added to a profile's achievement."""

    __tablename__ = "achievement_points"
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    achievement_definition_id: Mapped[int] = mapped_column(ForeignKey("achievement_definitions.id", ondelete="CASCADE"))
    count: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)


# --- redemptions and the ledger ------------------------------------------------------------------


class Redemption(TenantScoped, Base):
    """A redeem, or the reversal / return that gives (part of) one back (``parent_id``)."""

    __tablename__ = "redemptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(20), default="redeem")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("redemptions.id"), index=True)
    total: Mapped[Decimal] = mapped_column(Money)
    total_requested: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    redeem_at: Mapped[datetime] = mapped_column(DateTime)
    location_id: Mapped[int | None] = mapped_column(Integer)
    transaction_id: Mapped[int | None] = mapped_column(Integer)
    transaction_external_id: Mapped[str | None] = mapped_column(String(255))
    transaction_receipt_ref: Mapped[str | None] = mapped_column(String(255))
    strategies: Mapped[list[Any]] = mapped_column(JSON, default=list)
    reversed_at: Mapped[datetime | None] = mapped_column(DateTime)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)
    items: Mapped[list[RedemptionItem]] = relationship(order_by="RedemptionItem.id", lazy="selectin")


class RedemptionItem(TenantScoped, Base):
    __tablename__ = "redemption_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    redemption_id: Mapped[int] = mapped_column(ForeignKey("redemptions.id", ondelete="CASCADE"), index=True)
    #: ``reward``, ``point``, ``benefit`` or ``credit``; ``item_id`` is that record's id.
    type: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[int] = mapped_column(Integer)
    #: Dollars for rewards, points and credits (points also keep their count in ``points``).
    value: Mapped[Decimal] = mapped_column(Money)
    points: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    count: Mapped[int] = mapped_column(Integer, default=1)


class LedgerEntry(TenantScoped, Base):
    """One movement of a profile's rewards, points, credits or benefits; rows are only appended.

    Earns (``issue``) open a lot; every later movement of that lot (``spend``, ``expire``,
    ``void``, ``reversal``, ``return``, ``adjust``) names the lot and, through ``allocated_from_id``,
    the earn it draws from or gives back to: the allocation.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_lot", "kind", "lot_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    lot_id: Mapped[int] = mapped_column(Integer)
    entry_type: Mapped[str] = mapped_column(String(20))
    #: Signed, in the lot's unit (dollars, points, or a benefit's redemption count).
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    dollar_value: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    #: The profile's available balance of this kind right after the entry.
    balance_after: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    allocated_from_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    redemption_id: Mapped[int | None] = mapped_column(Integer, index=True)
    transaction_id: Mapped[int | None] = mapped_column(Integer, index=True)
    description: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)


# --- reactions -----------------------------------------------------------------------------------


class Trigger(TenantScoped, Base):
    """Actions run, in ``sort_order``, for each event of type ``trigger``."""

    __tablename__ = "triggers"
    __table_args__ = (Index("ix_triggers_tenant_event", "tenant_id", "trigger"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    trigger: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    actions: Mapped[list[Action]] = relationship(
        order_by="(Action.sort_order, Action.id)", lazy="selectin", cascade="all, delete-orphan"
    )


class Automation(TenantScoped, Base):
    """Actions run on a schedule over the profiles a saved query selects."""

    __tablename__ = "automations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(20), default="scheduled")
    query: Mapped[str | None] = mapped_column(Text)
    query_type: Mapped[str | None] = mapped_column(String(50))
    arguments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    slot: Mapped[str | None] = mapped_column(String(50))
    date: Mapped[str | None] = mapped_column(String(50))
    frequency: Mapped[str | None] = mapped_column(String(20))
    run_at: Mapped[str | None] = mapped_column(String(20))
    #: Our schedule: a cron expression (five fields), checked when written.
    schedule: Mapped[str | None] = mapped_column(String(100))
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime)
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    actions: Mapped[list[Action]] = relationship(
        order_by="(Action.sort_order, Action.id)", lazy="selectin", cascade="all, delete-orphan"
    )


class Action(TenantScoped, Base):
    """One step of a trigger or an automation (``name`` is the action type, e.g. ``reward.create``)."""

    __tablename__ = "actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    trigger_id: Mapped[int | None] = mapped_column(ForeignKey("triggers.id", ondelete="CASCADE"), index=True)
    automation_id: Mapped[int | None] = mapped_column(ForeignKey("automations.id", ondelete="CASCADE"), index=True)
    uuid: Mapped[str] = mapped_column(String(36), default=new_uuid)
    name: Mapped[str] = mapped_column(String(100))
    references_id: Mapped[int | None] = mapped_column(Integer)
    sort_order: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    arguments: Mapped[list[Any]] = mapped_column(JSON, default=list)


class ReactionRun(Base):
    """That a trigger (or automation) acted on an event: written with the effects, so an event
    delivered twice acts once."""

    __tablename__ = "reaction_runs"
    __table_args__ = (UniqueConstraint("reaction", "reaction_id", "event_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    #: ``trigger`` or ``automation``.
    reaction: Mapped[str] = mapped_column(String(20))
    reaction_id: Mapped[int] = mapped_column(Integer)
    #: The outbox event id, or ``<run>:<profile id>`` for an automation run.
    event_key: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20))
    detail: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    #: The profile the run acted for, and the event type it answered (its action history).
    profile_id: Mapped[str | None] = mapped_column(String(36), index=True)
    event_type: Mapped[str | None] = mapped_column(String(100))


class Audit(TenantScoped, Base):
    """Who changed what (``GET /audits``): written by ``domain/audits.py`` in the transaction of
    the change, one row per recorded change of a record."""

    __tablename__ = "audits"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``created``, ``updated``, ``deleted`` or what else happened (``issued``, ``redeemed``…).
    event: Mapped[str] = mapped_column(String(50))
    auditable_type: Mapped[str] = mapped_column(String(50))
    auditable_id: Mapped[str | None] = mapped_column(String(64))
    old_values: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_values: Mapped[Any] = mapped_column(JSON, nullable=True)
    url: Mapped[str | None] = mapped_column(Text)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(1023))
    #: The API token's name, or who acted without one (``worker``, ``scheduler``, ``cli``, ``id:…``).
    token_name: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[int | None] = mapped_column(Integer)
    profile_id: Mapped[str | None] = mapped_column(String(36))
    staff_id: Mapped[str | None] = mapped_column(String(36))
    location_id: Mapped[int | None] = mapped_column(Integer)


class Target(TenantScoped, Base):
    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("tenant_id", "handle"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    handle: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2048))
    template: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    condition: Mapped[Any] = mapped_column(JSON, nullable=True)


class Webhook(TenantScoped, Base):
    __tablename__ = "webhooks"
    __table_args__ = (UniqueConstraint("tenant_id", "trigger", "url"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    trigger: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2048))
    namespace: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int | None] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    retry_daily: Mapped[bool] = mapped_column(Boolean, default=True)
    retry_hourly: Mapped[bool] = mapped_column(Boolean, default=True)
    queue: Mapped[str | None] = mapped_column(String(10), default="default")
    condition: Mapped[Any] = mapped_column(JSON, nullable=True)
    extra_data_template: Mapped[str | None] = mapped_column(Text)
    #: Signing secret (Standard Webhooks ``whsec_…``); the hosted-style HMAC uses it too. Encrypted at rest.
    secret: Mapped[str | None] = mapped_column(EncryptedText)
    #: Deliveries that failed in a row; reaching the limit disables the webhook.
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime)


class Delivery(TenantScoped, Base):
    """One event on its way to one webhook or target: at least once, retried with backoff."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_events.id", ondelete="SET NULL"))
    #: The stable id receivers dedupe on (the event's ``event_id``, or a target send's own).
    message_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2048))
    #: The exact bytes sent (and signed) on every attempt.
    body: Mapped[str] = mapped_column(Text)
    #: ``pending``, ``delivered``, ``failed`` (will retry) or ``dead``.
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: A worker holds the delivery until then; a killed worker's lease simply runs out.
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
    response: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)


class ScheduleRun(Base):
    """When a recurring job last ran (per tenant): with the advisory lock, one run per period."""

    __tablename__ = "schedule_runs"
    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(DateTime)


# --- batches, queued work and reminders ------------------------------------------------------------


class Batch(TenantScoped, Base):
    """A group of items processed in the background, with per-item outcomes."""

    __tablename__ = "batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str | None] = mapped_column(String(50))
    import_job_id: Mapped[int | None] = mapped_column(Integer)
    #: ``pending``, ``success`` or ``failed`` (at least one item failed).
    status: Mapped[str] = mapped_column(String(20), default="pending")
    total_count: Mapped[int | None] = mapped_column(Integer)
    processed_count: Mapped[int] = mapped_column(Integer, default=0)
    success_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)


class BatchItem(TenantScoped, Base):
    __tablename__ = "batch_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(255))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    error: Mapped[str | None] = mapped_column(Text)


class QueuedJob(TenantScoped, Base):
    """A write accepted now and applied by the worker (``/transactions/queue``, ``/products/queue``,
    ``/profiles/batch`` items): attempts, backoff and a dead state like outbox events."""

    __tablename__ = "queued_jobs"
    __table_args__ = (Index("ix_queued_jobs_due", "status", "available_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    kind: Mapped[str] = mapped_column(String(50))
    payload: Mapped[Any] = mapped_column(JSON)
    #: The token that queued it (what the job runs as), and the batch item it reports to.
    actor: Mapped[str | None] = mapped_column(String(100))
    scopes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: Who queued it and from where (``Ctx.attribution``), for the audit trail of what it writes.
    origin: Mapped[Any] = mapped_column(JSON, nullable=True)
    batch_item_id: Mapped[int | None] = mapped_column(ForeignKey("batch_items.id", ondelete="SET NULL"))
    #: ``pending``, ``done``, ``failed`` (a 4xx-style refusal: not retried) or ``dead``.
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime | None] = mapped_column(DateTime)
    result: Mapped[Any] = mapped_column(JSON, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text)


class Reminder(TenantScoped, Base):
    """``reminder.due`` for each profile whose date (a profile date type, or ``birthday`` /
    ``joined_at``) falls ``offset_days`` from today; triggers react to it."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("tenant_id", "handle"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    handle: Mapped[str] = mapped_column(String(100))
    date_type: Mapped[str] = mapped_column(String(100))
    offset_days: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)


# --- lookup indexes ----------------------------------------------------------------------------------

#: Indexes that lead with the tenant and go on to what a request names (a profile, an external id,
#: an expiry): ``(name, columns, live profiles only)``. Without planner statistics SQLite breaks a
#: tie between two one-column indexes towards ``ix_<table>_tenant_id`` and walks every row the
#: tenant has; an index that matches more of the ``WHERE`` wins outright, on both databases.
#: (docs/decisions.md, "Indexes"; migration 0009 creates them.)
LOOKUP_INDEXES: tuple[tuple[type[Base], str, tuple[str, ...], bool], ...] = (
    (Transaction, "ix_transactions_tenant_profile", ("tenant_id", "profile_id", "transacted_at"), False),
    (Transaction, "ix_transactions_tenant_external", ("tenant_id", "external_id"), False),
    (Transaction, "ix_transactions_tenant_receipt", ("tenant_id", "receipt_ref"), False),
    (Transaction, "ix_transactions_tenant_transacted", ("tenant_id", "transacted_at"), False),
    (Order, "ix_orders_tenant_profile", ("tenant_id", "profile_id"), False),
    (TransactionClaim, "ix_transaction_claims_tenant_profile", ("tenant_id", "profile_id"), False),
    (TransactionClaim, "ix_transaction_claims_tenant_status", ("tenant_id", "status"), False),
    (Interaction, "ix_interactions_tenant_profile", ("tenant_id", "profile_id"), False),
    (Interaction, "ix_interactions_identity", ("identity_id",), False),
    (Audit, "ix_audits_tenant_record", ("tenant_id", "auditable_type", "auditable_id"), False),
    (Audit, "ix_audits_tenant_profile", ("tenant_id", "profile_id"), False),
    (Reward, "ix_rewards_tenant_profile", ("tenant_id", "profile_id"), False),
    (Reward, "ix_rewards_tenant_expires", ("tenant_id", "expires_at"), False),
    (Point, "ix_points_tenant_profile", ("tenant_id", "profile_id"), False),
    (Point, "ix_points_tenant_expires", ("tenant_id", "expires_at"), False),
    (Credit, "ix_credits_tenant_profile", ("tenant_id", "profile_id"), False),
    (Credit, "ix_credits_tenant_expires", ("tenant_id", "expires_at"), False),
    (Benefit, "ix_benefits_tenant_profile", ("tenant_id", "profile_id"), False),
    (Benefit, "ix_benefits_definition", ("benefit_definition_id", "is_void"), False),
    (Redemption, "ix_redemptions_tenant_profile", ("tenant_id", "profile_id"), False),
    (LedgerEntry, "ix_ledger_entries_tenant_profile", ("tenant_id", "profile_id"), False),
    (TierPoint, "ix_tier_points_tenant_profile", ("tenant_id", "profile_id"), False),
    (
        AchievementPoint,
        "ix_achievement_points_tenant_profile",
        ("tenant_id", "profile_id", "achievement_definition_id"),
        False,
    ),
    (AchievementPoint, "ix_achievement_points_definition", ("achievement_definition_id",), False),
    (ProfileAchievement, "ix_profile_achievements_tenant_profile", ("tenant_id", "profile_id"), False),
    (ProfileAchievement, "ix_profile_achievements_definition", ("achievement_definition_id",), False),
    (ProfileTier, "ix_profile_tiers_tenant_anniversary", ("tenant_id", "anniversary_at"), False),
    (ProfileTier, "ix_profile_tiers_definition", ("tier_definition_id",), False),
    (ProfileStatus, "ix_profile_statuses_expires", ("expires_at",), False),
    (Identity, "ix_identities_tenant_identifier", ("tenant_id", "identifier"), False),
    (Profile, "ix_profiles_tenant_created_live", ("tenant_id", "created_at", "id"), True),
    (Profile, "ix_profiles_tenant_id_live", ("tenant_id", "id"), True),
    (Location, "ix_locations_tenant_code", ("tenant_id", "external_code"), False),
    (CustomField, "ix_custom_fields_owner", ("owner_type", "owner_id"), False),
    (QueuedJob, "ix_queued_jobs_tenant_status", ("tenant_id", "status", "created_at"), False),
)

for _model, _name, _columns, _live in LOOKUP_INDEXES:
    _table: Any = _model.__table__
    _where = {f"{dialect}_where": _table.c.deleted_at.is_(None) for dialect in ("sqlite", "postgresql") if _live}
    Index(_name, *(_table.c[column] for column in _columns), **_where)
