"""A profile as the API shows it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import phonenumbers

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.domain.crud import render_columns
from omneo_server.domain.profiles.schemas import APPEARANCE_FIELDS, CHANNELS, TOPICS, VERIFIED

ZERO = Decimal("0.00")


def render_comms(profile: t.Profile) -> dict[str, Any]:
    stored = profile.comms or {}
    out: dict[str, Any] = {"profile_id": profile.id}
    for channel in CHANNELS:
        for topic in TOPICS:
            raw = stored.get(f"{channel}_{topic}")
            out[f"{channel}_{topic}"] = bool(raw)
            out[f"{channel}_{topic}_raw"] = None if raw is None else int(raw)
    for channel in VERIFIED:
        out[f"{channel}_verification"] = stored.get(f"{channel}_verification", "not_sent")
    for key in (
        "email_consent_updated_at",
        "sms_consent_updated_at",
        "terms_accepted_at",
        "terms_accepted_version",
    ):
        out[key] = stored.get(key)
    out["created_at"] = profile.created_at
    out["updated_at"] = profile.updated_at
    return out


#: Every appearance attribute is answered, unset ones as ``null`` (the shape clients read).
_NO_APPEARANCE = dict.fromkeys(APPEARANCE_FIELDS)


def render_appearance(profile: t.Profile) -> dict[str, Any]:
    return {
        "profile_id": profile.id,
        **_NO_APPEARANCE,
        **(profile.appearance or {}),
        "created_at": profile.created_at,
        "updated_at": profile.updated_at,
    }


def render_identity(identity: t.Identity) -> dict[str, Any]:
    return render_columns(identity)


def render_address(address: t.Address) -> dict[str, Any]:
    return {**render_columns(address), "iso": address.country}


def render_date(item: t.ProfileDate) -> dict[str, Any]:
    return {**render_columns(item), "links": []}


def render_custom(field: t.CustomField) -> dict[str, Any]:
    return {
        "id": field.id,
        "profile_id": field.owner_id,
        "namespace": field.namespace,
        "handle": field.handle,
        "type": field.type,
        "value": field.value,
        "created_at": field.created_at,
        "updated_at": field.updated_at,
    }


def render_region(link: t.ProfileRegion) -> dict[str, Any]:
    region = link.region
    return {
        "id": link.id,
        "region_id": region.id,
        "name": region.name,
        "handle": region.handle,
        "is_default": region.is_default,
        "countries": [{"iso_2": code} for code in region.countries or []],
        "country": link.country,
        "state": link.state,
        "is_active": link.is_active,
        "created_at": link.created_at,
        "updated_at": link.updated_at,
    }


def live_statuses(profile: t.Profile) -> list[t.ProfileStatus]:
    """Statuses still in force (time-limited ones lapse at their expiry)."""
    now = clock.now()
    return [s for s in profile.statuses if s.expires_at is None or s.expires_at > now]


def render_status(link: t.ProfileStatus) -> dict[str, Any]:
    status = link.status
    return {
        **render_columns(status),
        "is_active": True,
        "expires_at": link.expires_at,
        "period_type": "days" if status.period else None,
        "absolute_expiry": None,
        "timezone": None,
    }


def _phone_parts(number: str | None) -> dict[str, Any]:
    if not number:
        return {
            "mobile_phone_country": None,
            "mobile_phone_e164": None,
            "mobile_phone_national": None,
            "mobile_phone_national_prefix": None,
        }
    parsed = phonenumbers.parse(number)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(phonenumbers.region_code_for_number(parsed) or "")
    return {
        "mobile_phone_country": parsed.country_code,
        "mobile_phone_e164": number,
        "mobile_phone_national": phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL),
        "mobile_phone_national_prefix": metadata.national_prefix if metadata is not None else None,
    }


def _birthday(profile: t.Profile) -> dict[str, Any]:
    if not (profile.birth_day and profile.birth_month):
        return {"birth_date": None, "next_birthday": None, "birth_days": None, "birth_days_past": None}
    today = clock.now().date()
    birth_date = date(profile.birth_year, profile.birth_month, profile.birth_day) if profile.birth_year else None

    def on(year: int) -> date:
        try:
            return date(year, profile.birth_month or 1, profile.birth_day or 1)
        except ValueError:  # 29 February outside a leap year
            return date(year, 2, 28)

    upcoming = on(today.year) if on(today.year) >= today else on(today.year + 1)
    last = on(today.year) if on(today.year) <= today else on(today.year - 1)
    return {
        "birth_date": birth_date,
        "next_birthday": upcoming,
        "birth_days": (upcoming - today).days,
        "birth_days_past": (today - last).days,
    }


def profile_summary(profile: t.Profile, statuses: list[str]) -> dict[str, Any]:
    """The ProfileSummary ledger entries and redemptions embed, with the handles of the profile's
    statuses in force."""
    return {
        "id": profile.id,
        "email": profile.email,
        "first_name": profile.first_name,
        "last_name": profile.last_name,
        "full_name": " ".join(p for p in (profile.first_name, profile.last_name) if p) or None,
        "statuses": statuses,
    }


def render_profile(profile: t.Profile, custom: list[t.CustomField]) -> dict[str, Any]:
    out = render_columns(profile, exclude=("tenant_id", "comms", "appearance", "deleted_at"))
    primary = next((i for i in profile.identities if i.is_primary), None)
    default_address = next((a for a in profile.addresses if a.is_default), None)
    statuses = live_statuses(profile)
    regions = [render_region(r) for r in profile.regions]
    out.update(
        full_name=" ".join(p for p in (profile.first_name, profile.last_name) if p) or None,
        external_id=primary.identifier if primary else None,
        identities=[render_identity(i) for i in profile.identities],
        address=render_address(default_address) if default_address else None,
        addresses=[render_address(a) for a in profile.addresses],
        attributes={
            "comms": render_comms(profile),
            "appearance": render_appearance(profile),
            "dates": [render_date(d) for d in profile.dates],
        },
        custom_attributes=[render_custom(c) for c in custom],
        tags=[tag.handle for tag in profile.tags],
        statuses=[s.status.handle for s in statuses],
        statuses_original=[render_status(s) for s in statuses],
        region=next((r for r in regions if r["is_active"]), None),
        regions=regions,
        organisations=[],
        # Staff availability (appointments are not built): none.
        normal_hours=[],
        special_hours=[],
        tier_handle=None,
        tier=None,
        # Balances are derived from the incentive ledgers; a profile holds none until they exist.
        reward_balance=ZERO,
        point_balance=ZERO,
        point_balance_dollars=ZERO,
        credit_balance=ZERO,
        benefit_balance=ZERO,
        combined_balance_dollars=ZERO,
        **_phone_parts(profile.mobile_phone),
        **_birthday(profile),
    )
    return out
