"""Profile and its embedded records (entities.md §1)."""

from __future__ import annotations

from typing import Any, Literal

from ._base import Date, Money, OmneoModel, Timestamp
from .platform import Country, Currency

__all__ = [
    "Address",
    "AppearanceAttribute",
    "Availability",
    "AvailabilityEntry",
    "Balances",
    "BatchQueued",
    "CommsAttribute",
    "CommsChannel",
    "CustomAttribute",
    "DateAttribute",
    "DateLink",
    "Gender",
    "Identity",
    "LocalisedBalances",
    "Message",
    "Profile",
    "ProfileAttributes",
    "ProfileRef",
    "ProfileRegion",
    "ProfileStatus",
    "ProfileType",
    "StaffSummary",
]

Gender = Literal["male", "female", "withheld", "other"]
ProfileType = Literal["temporary", "dependant", "incomplete", "pending", "system", "active", "deleted"]
CommsChannel = Literal["email", "sms", "push", "phone", "post"]
Verification = Literal["not_sent", "sent", "delivered", "undelivered", "failed", "verified"]


class _Stamped(OmneoModel):
    created_at: Timestamp = None
    updated_at: Timestamp = None


class Identity(_Stamped):
    """An external identifier of a profile: ``(handle, identifier)`` is unique across profiles."""

    id: int | None = None
    profile_id: str | None = None
    handle: str | None = None
    identifier: str | None = None
    is_active: bool | None = None
    is_primary: bool | None = None
    merged_from: str | None = None
    profile: Profile | None = None


class Address(_Stamped):
    id: str | int | None = None
    address_line_1: str | None = None
    address_line_2: str | None = None
    address_line_3: str | None = None
    company: str | None = None
    city: str | None = None
    state: str | None = None
    postcode: str | None = None
    country: str | None = None
    iso: str | None = None
    iso_state: str | None = None
    latitude: str | Money | None = None
    longitude: str | Money | None = None
    is_default: bool | None = None
    notes: str | None = None
    external_id: str | None = None
    meta: Any = None


class CommsAttribute(_Stamped):
    """Communication preferences: ``{channel}_{topic}`` flags for each channel (``_raw``: 0/1/null)."""

    profile_id: str | None = None
    email_verification: Verification | str | None = None
    sms_verification: Verification | str | None = None
    phone_verification: Verification | str | None = None
    post_verification: Verification | str | None = None
    email_consent_updated_at: Timestamp = None
    sms_consent_updated_at: Timestamp = None
    terms_accepted_at: Timestamp = None
    terms_accepted_version: str | None = None
    email_account: bool | None = None
    email_benefits: bool | None = None
    email_bookings: bool | None = None
    email_bounced: bool | None = None
    email_discover: bool | None = None
    email_feedback: bool | None = None
    email_location: bool | None = None
    email_optout: bool | None = None
    email_promo: bool | None = None
    email_reminders: bool | None = None
    email_service: bool | None = None
    email_account_raw: int | None = None
    email_benefits_raw: int | None = None
    email_bookings_raw: int | None = None
    email_bounced_raw: int | None = None
    email_discover_raw: int | None = None
    email_feedback_raw: int | None = None
    email_location_raw: int | None = None
    email_optout_raw: int | None = None
    email_promo_raw: int | None = None
    email_reminders_raw: int | None = None
    email_service_raw: int | None = None
    sms_account: bool | None = None
    sms_benefits: bool | None = None
    sms_bookings: bool | None = None
    sms_bounced: bool | None = None
    sms_discover: bool | None = None
    sms_feedback: bool | None = None
    sms_location: bool | None = None
    sms_optout: bool | None = None
    sms_promo: bool | None = None
    sms_reminders: bool | None = None
    sms_service: bool | None = None
    sms_account_raw: int | None = None
    sms_benefits_raw: int | None = None
    sms_bookings_raw: int | None = None
    sms_bounced_raw: int | None = None
    sms_discover_raw: int | None = None
    sms_feedback_raw: int | None = None
    sms_location_raw: int | None = None
    sms_optout_raw: int | None = None
    sms_promo_raw: int | None = None
    sms_reminders_raw: int | None = None
    sms_service_raw: int | None = None
    push_account: bool | None = None
    push_benefits: bool | None = None
    push_bookings: bool | None = None
    push_bounced: bool | None = None
    push_discover: bool | None = None
    push_feedback: bool | None = None
    push_location: bool | None = None
    push_optout: bool | None = None
    push_promo: bool | None = None
    push_reminders: bool | None = None
    push_service: bool | None = None
    push_account_raw: int | None = None
    push_benefits_raw: int | None = None
    push_bookings_raw: int | None = None
    push_bounced_raw: int | None = None
    push_discover_raw: int | None = None
    push_feedback_raw: int | None = None
    push_location_raw: int | None = None
    push_optout_raw: int | None = None
    push_promo_raw: int | None = None
    push_reminders_raw: int | None = None
    push_service_raw: int | None = None
    phone_account: bool | None = None
    phone_benefits: bool | None = None
    phone_bookings: bool | None = None
    phone_bounced: bool | None = None
    phone_discover: bool | None = None
    phone_feedback: bool | None = None
    phone_location: bool | None = None
    phone_optout: bool | None = None
    phone_promo: bool | None = None
    phone_reminders: bool | None = None
    phone_service: bool | None = None
    phone_account_raw: int | None = None
    phone_benefits_raw: int | None = None
    phone_bookings_raw: int | None = None
    phone_bounced_raw: int | None = None
    phone_discover_raw: int | None = None
    phone_feedback_raw: int | None = None
    phone_location_raw: int | None = None
    phone_optout_raw: int | None = None
    phone_promo_raw: int | None = None
    phone_reminders_raw: int | None = None
    phone_service_raw: int | None = None
    post_account: bool | None = None
    post_benefits: bool | None = None
    post_bookings: bool | None = None
    post_bounced: bool | None = None
    post_discover: bool | None = None
    post_feedback: bool | None = None
    post_location: bool | None = None
    post_optout: bool | None = None
    post_promo: bool | None = None
    post_reminders: bool | None = None
    post_service: bool | None = None
    post_account_raw: int | None = None
    post_benefits_raw: int | None = None
    post_bookings_raw: int | None = None
    post_bounced_raw: int | None = None
    post_discover_raw: int | None = None
    post_feedback_raw: int | None = None
    post_location_raw: int | None = None
    post_optout_raw: int | None = None
    post_promo_raw: int | None = None
    post_reminders_raw: int | None = None
    post_service_raw: int | None = None


class AppearanceAttribute(_Stamped):
    """Sizes and measurements (all free strings)."""

    profile_id: str | None = None
    brow_colour: str | None = None
    eye_colour: str | None = None
    hair_colour: str | None = None
    hair_length: str | None = None
    shape_body: str | None = None
    shape_face: str | None = None
    skin_type: str | None = None
    size_cup: str | None = None
    size_dress: str | None = None
    size_formal_jacket: str | None = None
    size_formal_jacket_length: str | None = None
    size_formal_shirt: str | None = None
    size_formal_shirt_fit: str | None = None
    size_formal_trouser: str | None = None
    size_formal_trouser_drop: str | None = None
    size_formal_trouser_leg: str | None = None
    size_gloves: str | None = None
    size_hat: str | None = None
    size_jacket: str | None = None
    size_pant: str | None = None
    size_shoe: str | None = None
    size_swimwear_bottom: str | None = None
    size_swimwear_cup: str | None = None
    size_swimwear_top: str | None = None
    size_top: str | None = None
    size_type_age: str | None = None
    size_type_region: str | None = None
    measurement_arm: str | None = None
    measurement_arm_inside: str | None = None
    measurement_bust: str | None = None
    measurement_chest: str | None = None
    measurement_foot_length: str | None = None
    measurement_head: str | None = None
    measurement_height: str | None = None
    measurement_hip: str | None = None
    measurement_leg_inside: str | None = None
    measurement_leg_outside: str | None = None
    measurement_neck: str | None = None
    measurement_neck_to_wrist: str | None = None
    measurement_shoulders: str | None = None
    measurement_waist: str | None = None
    measurement_weight: str | None = None
    measurement_ear_conch: str | None = None
    measurement_ear_flat: str | None = None
    measurement_ear_forward_helix: str | None = None
    measurement_ear_helix: str | None = None
    measurement_ear_lobe: str | None = None
    measurement_ear_tragus: str | None = None
    measurement_hand_left_thumb: str | None = None
    measurement_hand_left_index: str | None = None
    measurement_hand_left_middle: str | None = None
    measurement_hand_left_ring: str | None = None
    measurement_hand_left_pinky: str | None = None
    measurement_hand_right_thumb: str | None = None
    measurement_hand_right_index: str | None = None
    measurement_hand_right_middle: str | None = None
    measurement_hand_right_ring: str | None = None
    measurement_hand_right_pinky: str | None = None


class CustomAttribute(_Stamped):
    """A profile custom attribute, addressed ``namespace:handle``; ``value`` is serialised."""

    id: int | None = None
    profile_id: str | None = None
    namespace: str | None = None
    handle: str | None = None
    type: str | None = None
    value: Any = None
    profile: Profile | None = None


class DateLink(_Stamped):
    id: int | None = None
    attributes_date_id: int | None = None
    profile_id: str | None = None
    relationship: str | None = None
    role: str | None = None


class DateAttribute(_Stamped):
    """A significant date (birthday of a partner, anniversary...), upserted by ``handle``."""

    id: int | None = None
    profile_id: str | None = None
    name: str | None = None
    handle: str | None = None
    date: Date = None
    description: str | None = None
    is_recurring: bool | None = None
    recurring_schedule: str | None = None
    relationship: str | None = None
    role: str | None = None
    note: str | None = None
    meta: Any = None
    links: list[DateLink] = []


class ProfileAttributes(OmneoModel):
    comms: CommsAttribute | None = None
    appearance: AppearanceAttribute | None = None
    dates: list[DateAttribute] = []


class ProfileStatus(_Stamped):
    """A status held by a profile (elements of ``statuses_original``)."""

    id: int | None = None
    name: str | None = None
    handle: str | None = None
    code: str | None = None
    colour: str | None = None
    text_colour: str | None = None
    primary_colour: str | None = None
    secondary_colour: str | None = None
    icon: str | None = None
    image_url: str | None = None
    description: str | None = None
    short_description: str | None = None
    long_description: str | None = None
    terms_conditions: str | None = None
    earn_instructions: str | None = None
    internal_notes: str | None = None
    group_handle: str | None = None
    group_name: str | None = None
    is_active: bool | None = None
    period: int | None = None
    period_type: str | None = None
    absolute_expiry: Timestamp = None
    expires_at: Timestamp = None
    timezone: str | None = None
    sort_order: int | None = None


class ProfileRegion(_Stamped):
    """A region as attached to a profile (adds ``is_active``, ``country``, ``state``)."""

    id: int | None = None
    region_id: int | None = None
    name: str | None = None
    handle: str | None = None
    countries: list[Country] = []
    is_default: bool | None = None
    is_active: bool | None = None
    country: str | None = None
    state: str | None = None


class StaffSummary(OmneoModel):
    id: int | None = None
    full_name: str | None = None
    email: str | None = None
    identities: list[Identity] = []


class LocalisedBalances(OmneoModel):
    reward_balance: Money | None = None
    point_balance_dollars: Money | None = None
    combined_balance_dollars: Money | None = None


class _BalanceFields(OmneoModel):
    reward_balance: Money | None = None
    point_balance: Money | None = None
    point_balance_dollars: Money | None = None
    credit_balance: Money | None = None
    benefit_balance: Money | None = None
    combined_balance_dollars: Money | None = None


class Balances(_BalanceFields):
    currency: Currency | None = None
    localised: LocalisedBalances | None = None


class Profile(_Stamped, _BalanceFields):
    """A customer profile. Every field is optional so a model can also serve as a partial body."""

    id: str | None = None
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    email: str | None = None
    external_id: str | None = None
    gender: Gender | None = None
    currency: str | None = None
    joined_at: Timestamp = None
    mobile_phone: str | None = None
    mobile_phone_country: int | str | None = None
    mobile_phone_e164: str | None = None
    mobile_phone_national: str | None = None
    mobile_phone_national_prefix: str | None = None
    secondary_phone: str | None = None
    birth_day: int | None = None
    birth_month: int | None = None
    birth_year: int | None = None
    birth_date: Date = None
    birth_days: int | None = None
    birth_days_past: int | None = None
    next_birthday: Date = None
    company: str | None = None
    occupation: str | None = None
    avatar_url: str | None = None
    is_public: bool | None = None
    profile_type: ProfileType | None = None
    joined_location_id: int | None = None
    joined_location: dict[str, Any] | None = None
    preferred_location_id: int | None = None
    preferred_location: dict[str, Any] | None = None
    joined_staff_id: int | None = None
    preferred_staff_id: int | None = None
    joined_staff: StaffSummary | None = None
    preferred_staff: StaffSummary | None = None
    identities: list[Identity] = []
    address: Address | None = None
    addresses: list[Address] = []
    attributes: ProfileAttributes | None = None
    custom_attributes: list[CustomAttribute] = []
    tags: list[str] = []
    statuses: list[str] = []
    statuses_original: list[ProfileStatus] = []
    tier_handle: str | None = None
    tier: dict[str, Any] | None = None
    region: ProfileRegion | None = None
    regions: list[ProfileRegion] = []
    organisations: list[dict[str, Any]] = []
    normal_hours: list[dict[str, Any]] = []
    special_hours: list[dict[str, Any]] = []
    created_by: str | None = None


class ProfileRef(OmneoModel):
    """``{id}``: the answer of ``profiles.exists`` and of availability checks."""

    id: str | None = None


class AvailabilityEntry(OmneoModel):
    available: bool | None = None
    profile: ProfileRef | None = None


class Availability(OmneoModel):
    """``profiles.check_availability``: per checked field, whether it is free and who holds it."""

    email: AvailabilityEntry | None = None
    mobile_phone: AvailabilityEntry | None = None


class Message(OmneoModel):
    message: str | None = None


class BatchQueued(OmneoModel):
    message: str | None = None
    batch_id: str | int | None = None


class OrganisationMembership(OmneoModel):
    role_definition_id: int | None = None
    is_active: bool | None = None
    expires_at: Timestamp = None
    #: Active and not expired now.
    is_current: bool | None = None


class OrganisationMember(Profile):
    """A member profile of an organisation, as ``GET /profiles`` answers it, with its membership."""

    membership: OrganisationMembership | None = None
