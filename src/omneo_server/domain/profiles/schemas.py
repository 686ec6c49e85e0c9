"""Request bodies of the profile routes."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field, create_model, field_validator, model_validator

from omneo_server.domain.inputs import Body, Country, Handle, Name, Text, Timestamp, partial

Gender = Literal["male", "female", "withheld", "other"]
ProfileType = Literal["temporary", "dependant", "incomplete", "pending", "system", "active", "deleted"]
CHANNELS = ("email", "sms", "push", "phone", "post")
TOPICS = (
    "account",
    "benefits",
    "bookings",
    "bounced",
    "discover",
    "feedback",
    "location",
    "optout",
    "promo",
    "reminders",
    "service",
)
VERIFIED = ("email", "sms", "phone", "post")
Verification = Literal["not_sent", "sent", "delivered", "undelivered", "failed", "verified"]
APPEARANCE_FIELDS = (
    "brow_colour eye_colour hair_colour hair_length shape_body shape_face skin_type size_cup size_dress "
    "size_formal_jacket size_formal_jacket_length size_formal_shirt size_formal_shirt_fit size_formal_trouser "
    "size_formal_trouser_drop size_formal_trouser_leg size_gloves size_hat size_jacket size_pant size_shoe "
    "size_swimwear_bottom size_swimwear_cup size_swimwear_top size_top size_type_age size_type_region "
    "measurement_arm measurement_arm_inside measurement_bust measurement_chest measurement_foot_length "
    "measurement_head measurement_height measurement_hip measurement_leg_inside measurement_leg_outside "
    "measurement_neck measurement_neck_to_wrist measurement_shoulders measurement_waist measurement_weight "
    + " ".join(f"measurement_ear_{p}" for p in ("conch", "flat", "forward_helix", "helix", "lobe", "tragus"))
    + " "
    + " ".join(
        f"measurement_hand_{side}_{finger}"
        for side in ("left", "right")
        for finger in ("thumb", "index", "middle", "ring", "pinky")
    )
).split()


class IdentityIn(Body):
    handle: Handle
    identifier: str = Field(min_length=1, max_length=255)
    is_active: bool = True
    is_primary: bool = False


class IdentityUpdate(Body):
    is_update = True
    handle: Handle | None = None
    identifier: str | None = Field(None, min_length=1, max_length=255)
    is_active: bool | None = None
    is_primary: bool | None = None


class AddressIn(Body):
    address_line_1: Name
    address_line_2: Name | None = None
    address_line_3: Name | None = None
    company: Name | None = None
    city: Name
    state: Name | None = None
    #: Many countries have none (Hong Kong, the UAE…): stored empty when not sent.
    postcode: str = Field("", max_length=32)
    country: Country
    iso_state: str | None = Field(None, max_length=10)
    latitude: str | float | None = None
    longitude: str | float | None = None
    is_default: bool | None = None
    notes: Text | None = None
    external_id: Name | None = None
    meta: Any = None


AddressUpdate = partial(AddressIn)


class DateIn(Body):
    handle: Handle
    date: date
    name: Name | None = None
    description: Text | None = None
    is_recurring: bool = False
    recurring_schedule: str | None = None
    relationship: Name | None = None
    role: Name = "owner"
    note: Text | None = None
    meta: Any = None


class CustomAttributeIn(Body):
    namespace: Handle
    handle: Handle
    type: Literal["string", "integer", "float", "boolean", "json", "array"] = "string"
    value: Any = None


class CustomAttributeValue(Body):
    type: Literal["string", "integer", "float", "boolean", "json", "array"] = "string"
    value: Any = None


class ProfileRegionIn(Body):
    region_id: int
    country: Country | None = None
    state: Name | None = None
    is_active: bool = True


class ProfileRegionUpdate(Body):
    is_update = True
    region_id: int | None = None
    country: Country | None = None
    state: Name | None = None
    is_active: bool | None = None


class _CommsBase(Body):
    """Any subset of the comms flags, verification states and consent fields (what a GET answers
    besides them, ``profile_id``, the ``*_raw`` values and timestamps, is ignored when sent back)."""

    email_consent_updated_at: Timestamp | None = None
    sms_consent_updated_at: Timestamp | None = None
    terms_accepted_at: Timestamp | None = None
    terms_accepted_version: Name | None = None
    email_verification: Verification | None = None
    sms_verification: Verification | None = None
    phone_verification: Verification | None = None
    post_verification: Verification | None = None


# One optional bool per channel/topic flag, declared from the table rather than by hand.
CommsIn = create_model(
    "CommsIn",
    __base__=_CommsBase,
    **{f"{c}_{k}": (bool | None, None) for c in CHANNELS for k in TOPICS},  # type: ignore[call-overload]
)


class _AppearanceBase(Body):
    """The appearance fields; what a GET answers besides them is ignored when sent back."""


AppearanceIn = create_model(
    "AppearanceIn",
    __base__=_AppearanceBase,
    **{name: (str | None, Field(None, max_length=100)) for name in APPEARANCE_FIELDS},  # type: ignore[call-overload]
)


class ProfileFields(Body):
    """Fields shared by create and update (all optional here)."""

    title: Name | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    email: str | None = Field(None, max_length=255)
    gender: Gender | None = None
    currency: str | None = Field(None, pattern=r"^[A-Za-z]{3}$")
    joined_at: Timestamp | None = None
    mobile_phone: str | None = Field(None, max_length=32)
    secondary_phone: str | None = Field(None, max_length=32)
    birth_day: int | None = Field(None, ge=1, le=31)
    birth_month: int | None = Field(None, ge=1, le=12)
    birth_year: int | None = Field(None, ge=1900, le=2200)
    company: Name | None = None
    occupation: Name | None = None
    avatar_url: Text | None = None
    is_public: bool | None = None
    profile_type: ProfileType | None = None
    joined_location_id: int | None = None
    preferred_location_id: int | None = None
    joined_staff_id: int | None = None
    preferred_staff_id: int | None = None
    tags: list[str] | None = None
    statuses: list[Handle] | None = None
    identities: list[IdentityIn] | None = None
    addresses: list[AddressIn] | None = None
    comms_attributes: CommsIn | None = None
    attributes: dict[str, Any] | None = None
    custom_attributes: list[CustomAttributeIn] | None = None
    dates_attributes: list[DateIn] | None = None
    regions: list[ProfileRegionIn] | None = None
    region_id: int | None = None
    region_country: Country | None = None
    region_state: Name | None = None

    @field_validator("birth_day", "birth_month", "birth_year", mode="before")
    @classmethod
    def _unknown_part(cls, value: Any) -> Any:
        return None if value in (0, "0") else value  # forms send 0 for "not given"

    @model_validator(mode="after")
    def _birth_date(self) -> ProfileFields:
        if self.birth_day and self.birth_month:
            try:
                date(self.birth_year or 2000, self.birth_month, self.birth_day)
            except ValueError:
                raise ValueError("The birth day is not a valid date for the birth month.") from None
        return self


class ProfileIn(ProfileFields):
    email: str = Field(max_length=255)
    first_name: Name = "Unknown"
    last_name: Name = "Unknown"


class MergeIn(Body):
    source_profile_id: str
    destination_profile_id: str


class LoserIn(Body):
    loser_id: str


class TypeIn(Body):
    profile_type: ProfileType


class SearchIdIn(Body):
    type: str = Field(min_length=1, max_length=100)
    id: str = Field(min_length=1, max_length=255)


class AvailabilityIn(Body):
    email: str | None = None
    mobile_phone: str | None = None


class HandlesIn(Body):
    statuses: list[Handle] | None = None
    tags: list[str] | None = None


class BatchIn(Body):
    match_criteria: str = "email"
    profiles: list[dict[str, Any]] = Field(max_length=1000)


class SyncIn(Body):
    updated_at: Timestamp | None = None
    since: Timestamp | None = None
