"""Models keep unknown fields, money as Decimal and accept both timestamp forms."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from omneo._utils import loads
from omneo.types import Balances, Currency, Identity, Profile


def test_extra_fields_are_kept() -> None:
    profile = Profile.model_validate({"id": "p1", "flattened_tags": ["vip"], "attributes": {"comms": {"new": 1}}})
    assert profile.model_extra == {"flattened_tags": ["vip"]}
    assert profile.attributes is not None and profile.attributes.comms is not None
    assert profile.attributes.comms.model_extra == {"new": 1}
    assert profile.model_dump(exclude_unset=True)["flattened_tags"] == ["vip"]


def test_money_stays_decimal_from_json() -> None:
    body = loads(b'{"reward_balance": 10.10, "point_balance": 250, "combined_balance_dollars": 0.30}')
    balances = Balances.model_validate(body)
    assert balances.reward_balance == Decimal("10.10") and str(balances.reward_balance) == "10.10"
    assert balances.point_balance == Decimal(250)
    assert balances.combined_balance_dollars == Decimal("0.30")


def test_timestamps_accept_api_and_iso_forms() -> None:
    a = Identity.model_validate({"created_at": "2024-05-06 07:08:09", "updated_at": "2024-05-06T07:08:09Z"})
    assert a.created_at == datetime(2024, 5, 6, 7, 8, 9)
    assert a.updated_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    p = Profile.model_validate({"joined_at": "", "birth_date": "1989-01-01", "next_birthday": None})
    assert p.joined_at is None and p.birth_date == date(1989, 1, 1)


def test_aliases_and_embedding() -> None:
    currency = Currency.model_validate({"from": "AUD", "to": "USD", "rate": "0.65"})
    assert currency.from_ == "AUD" and currency.rate == Decimal("0.65")
    assert currency.model_dump(by_alias=True, exclude_unset=True) == {
        "from": "AUD",
        "to": "USD",
        "rate": Decimal("0.65"),
    }
    identity = Identity.model_validate({"id": 1, "profile": {"id": "p1", "email": "a@b.co"}})
    assert identity.profile is not None and identity.profile.email == "a@b.co"
