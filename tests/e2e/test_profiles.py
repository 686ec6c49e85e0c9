"""The SDK driving the real server: profiles and everything hanging off them."""

from __future__ import annotations

import pytest

from omneo import AsyncOmneo, NotFoundError, Omneo, ValidationError
from tests.conftest import TenantInfo


def test_profile_with_identities_attributes_and_addresses(client: Omneo) -> None:
    region = client.regions.create({"handle": "anz", "name": "ANZ", "countries": [{"iso_2": "AU"}, {"iso_2": "NZ"}]})
    client.statuses.create({"name": "VIP", "handle": "vip", "sort_order": 1})
    profile = client.profiles.create(
        {
            "email": "jane@example.com",
            "first_name": "Jane",
            "last_name": "Citizen",
            "mobile_phone": "+61 404 123 123",
            "birth_day": 14,
            "birth_month": 2,
            "birth_year": 1990,
            "identities": [{"handle": "shopify", "identifier": "1001", "is_primary": True}],
            "addresses": [{"address_line_1": "1 George St", "city": "Sydney", "postcode": "2000", "country": "AU"}],
            "comms_attributes": {"email_promo": True},
            "custom_attributes": [{"namespace": "prefs", "handle": "colour", "type": "string", "value": "teal"}],
            "dates_attributes": [{"handle": "anniversary", "date": "2015-06-01", "relationship": "partner"}],
            "tags": ["newsletter"],
            "statuses": ["vip"],
            "regions": [{"region_id": region.id, "country": "AU", "state": "NSW"}],
        }
    )
    assert profile.full_name == "Jane Citizen"
    assert profile.mobile_phone == "+61404123123"
    assert profile.external_id == "1001"
    assert str(profile.birth_date) == "1990-02-14"
    assert profile.tags == ["newsletter"] and profile.statuses == ["vip"]
    assert profile.address is not None and profile.address.city == "Sydney"
    assert profile.attributes is not None

    again = client.profiles.get(profile.id)
    assert again.email == "jane@example.com" and again.region is not None
    assert client.profiles.find_by_identity("1001", "shopify").id == profile.id
    found = client.profiles.find_by_email("JANE@example.com")
    assert found is not None and found.id == profile.id
    assert client.profiles.find_by_email("nobody@example.com") is None
    assert client.profiles.exists({"id": "1001", "type": "shopify"}).id == profile.id

    # identities, by handle and by id
    pos = client.profiles.identities.create(profile.id, {"handle": "pos", "identifier": "C-77"})
    assert client.profiles.identities.get(profile.id, "pos").identifier == "C-77"
    assert client.profiles.identities.get_by_id(profile.id, pos.id).handle == "pos"
    client.profiles.identities.update(profile.id, "pos", {"identifier": "C-78"})
    assert [i.identifier for i in client.profiles.identities.list(profile.id)] == ["1001", "C-78"]
    client.profiles.identities.delete_by_id(profile.id, pos.id)
    with pytest.raises(NotFoundError):
        client.profiles.identities.get(profile.id, "pos")

    # comms: subscribe / unsubscribe and the pure helpers
    comms = client.profiles.attributes.comms.get(profile.id)
    assert client.profiles.is_subscribed(comms, "email") and not client.profiles.is_subscribed(comms, "sms")
    client.profiles.subscribe(profile.id, "sms")
    client.profiles.unsubscribe(profile.id, "email", toggle_opt_out=True)
    comms = client.profiles.attributes.comms.get(profile.id)
    assert client.profiles.is_subscribed(comms, "sms") and client.profiles.is_unsubscribed(comms, "email")
    assert comms.email_optout is True

    # appearance, custom attributes (with versions kept), dates
    client.profiles.attributes.appearance.update(profile.id, {"size_shoe": "8", "eye_colour": "green"})
    assert client.profiles.attributes.appearance.get(profile.id).size_shoe == "8"
    client.profiles.attributes.custom.update(profile.id, "prefs", "colour", {"type": "string", "value": "navy"})
    assert client.profiles.attributes.custom.get(profile.id, "prefs", "colour").value == "navy"
    client.profiles.attributes.custom.update(profile.id, "prefs", "size", {"type": "integer", "value": 10})
    assert sorted(c.handle for c in client.profiles.attributes.custom.list(profile.id)) == ["colour", "size"]
    client.profiles.attributes.custom.delete(profile.id, "prefs", "size")
    with pytest.raises(ValidationError) as bad:
        client.profiles.attributes.custom.update(profile.id, "prefs", "size", {"type": "integer", "value": "ten"})
    assert "value" in bad.value.errors
    dates = client.profiles.attributes.dates.list(profile.id)
    assert [d.handle for d in dates] == ["anniversary"]
    client.profiles.attributes.dates.update(
        profile.id, {"handle": "anniversary", "date": "2016-06-01", "relationship": "partner"}
    )
    remaining = client.profiles.attributes.dates.delete(profile.id, dates[0].id)
    assert remaining == []

    # addresses keep one default; regions; statuses and tags
    second = client.profiles.addresses.create(
        profile.id,
        {"address_line_1": "2 Pitt St", "city": "Sydney", "postcode": "2000", "country": "AU", "is_default": True},
    )
    assert [a.is_default for a in client.profiles.addresses.list(profile.id)] == [False, True]
    client.profiles.addresses.update(profile.id, second.id, {"city": "Parramatta"})
    assert client.profiles.addresses.get(profile.id, second.id).city == "Parramatta"
    links = client.profiles.regions.list(profile.id)
    assert len(links) == 1
    client.profiles.regions.delete(profile.id, links[0].id)
    assert client.profiles.regions.list(profile.id) == []
    client.profiles.tags.add(profile.id, ["winter", "newsletter"])
    assert sorted(t.handle for t in client.profiles.tags.list(profile.id)) == ["newsletter", "winter"]
    client.profiles.tags.remove(profile.id, "winter")
    client.profiles.statuses.remove(profile.id, "vip")
    final = client.profiles.get(profile.id)
    assert final.tags == ["newsletter"] and final.statuses == []


def test_merge_moves_everything_to_the_winner(client: Omneo) -> None:
    winner = client.profiles.create({"email": "w@example.com", "first_name": "Win"})
    loser = client.profiles.create(
        {
            "email": "l@example.com",
            "last_name": "Loser",
            "company": "ACME",
            "identities": [{"handle": "pos", "identifier": "L1"}],
            "tags": ["from-loser"],
        }
    )
    merged = client.profiles.merge(loser.id, winner.id)
    assert merged.id == winner.id
    assert merged.first_name == "Win" and merged.company == "ACME"
    assert merged.tags == ["from-loser"]
    assert [(i.identifier, i.merged_from) for i in merged.identities] == [("L1", loser.id)]
    with pytest.raises(NotFoundError):
        client.profiles.get(loser.id)
    assert client.profiles.find_by_identity("L1", "pos").id == winner.id
    # the loser's email is free again; the route form that names the winner in the path
    third = client.profiles.create({"email": "l@example.com"})
    assert client.profiles.merge_into(winner.id, third.id).id == winner.id
    with pytest.raises(ValidationError):
        client.profiles.merge(winner.id, winner.id)


def test_purge_erases_the_profile(client: Omneo) -> None:
    profile = client.profiles.create(
        {"email": "erase@example.com", "identities": [{"handle": "pos", "identifier": "E"}]}
    )
    client.profiles.purge(profile.id)
    with pytest.raises(NotFoundError):
        client.profiles.get(profile.id)
    with pytest.raises(NotFoundError):
        client.profiles.find_by_identity("E", "pos")
    assert client.profiles.create({"email": "erase@example.com", "identities": [{"handle": "pos", "identifier": "E"}]})


def test_pagination_across_pages_with_filters_and_sort(client: Omneo) -> None:
    for n in range(23):
        client.profiles.create({"email": f"p{n:02d}@example.com", "tags": ["odd"] if n % 2 else []})
    page = client.profiles.list({"filter": {"tags": {"handle": "odd"}}, "sort": "-email", "page": {"size": 4}})
    assert page.meta is not None and page.meta.total == 11 and page.meta.last_page == 3
    assert len(page.data) == 4
    emails = [p.email for p in page]
    assert emails == [f"p{n:02d}@example.com" for n in range(21, 0, -2)]
    assert [p.email for p in client.profiles.list({"filter": {"email": "p07@example.com"}})] == ["p07@example.com"]
    born = client.profiles.list({"filter": {"created_at": {"gte": "2000-01-01T00:00:00Z"}}, "page": {"size": 100}})
    assert len(born.data) == 23


def test_availability_update_type_and_retry_mobile_secondary(client: Omneo) -> None:
    taken = client.profiles.create({"email": "t@example.com", "mobile_phone": "+61404555666"})
    result = client.profiles.check_availability({"email": "t@example.com", "mobile_phone": "+61400000000"})
    assert result.email is not None and result.email.available is False
    assert result.mobile_phone is not None and result.mobile_phone.available is True
    second = client.profiles.create(
        {"email": "s@example.com", "mobile_phone": "+61404555666"}, retry_mobile_secondary=True
    )
    assert second.mobile_phone is None and second.secondary_phone == "+61404555666"
    assert client.profiles.update_type(taken.id, "pending").profile_type == "pending"


async def test_async_client_end_to_end(aclient: AsyncOmneo) -> None:
    for n in range(7):
        await aclient.profiles.create({"email": f"a{n}@example.com"})
    page = await aclient.profiles.list({"page": {"size": 3}, "sort": "email"})
    emails = [p.email async for p in page]
    assert emails == [f"a{n}@example.com" for n in range(7)]
    profile = await aclient.profiles.find_by_email("a3@example.com")
    assert profile is not None
    updated = await aclient.profiles.update(profile.id, {"first_name": "Async"})
    assert updated.full_name == "Async Unknown"
    with pytest.raises(ValidationError) as exc:
        await aclient.profiles.create({"email": "a3@example.com"})
    assert exc.value.errors == {"email": ["The email has already been taken."]}
    await aclient.profiles.delete(profile.id)
    with pytest.raises(NotFoundError):
        await aclient.profiles.get(profile.id)


def test_create_by_delegation(client: Omneo, tenant: TenantInfo) -> None:
    # The delegate service here is the platform's own profile route, reached with the delegate token.
    delegation = {"type": "signup-service", "url": f"{tenant.server.api_url}/profiles", "enabled": True}
    created = client.profiles.create_by_delegation({"email": "delegated@example.com"}, delegation)
    assert created["data"]["email"] == "delegated@example.com"
    assert client.profiles.find_by_email("delegated@example.com") is not None
    with pytest.raises(ValueError):
        client.profiles.create_by_delegation({"email": "x@example.com"}, {**delegation, "enabled": False})
