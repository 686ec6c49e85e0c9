"""Profile rules at the wire: uniqueness, validation, atomicity, lifecycle, events."""

from __future__ import annotations

import pytest

from tests.conftest import TenantInfo
from tests.server.api import Api


@pytest.fixture
def api(tenant: TenantInfo) -> Api:
    return Api(tenant)


def test_contact_uniqueness_is_normalised(api: Api) -> None:
    first = api.ok("POST", "/profiles", json={"email": "Jane@Example.com", "mobile_phone": "0404 123 123"})
    assert (first["email"], first["mobile_phone"]) == ("jane@example.com", "+61404123123")
    assert first["mobile_phone_country"] == 61 and first["first_name"] == "Unknown"
    body = api.fails(422, "POST", "/profiles", json={"email": "JANE@example.com"})
    assert body["errors"] == {"email": ["The email has already been taken."]}
    body = api.fails(422, "POST", "/profiles", json={"email": "other@example.com", "mobile_phone": "+61 404 123 123"})
    assert body["errors"] == {"mobile_phone": ["The phone number exists"]}
    second = api.ok("POST", "/profiles", json={"email": "two@example.com"})
    api.fails(422, "PUT", f"/profiles/{second['id']}", json={"email": "jane@example.com"})
    api.ok("PUT", f"/profiles/{first['id']}", json={"email": "jane@example.com", "first_name": "Jane"})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b.co", "mobile_phone": "12"}, "mobile_phone"),
        ({"email": "a@b.co", "gender": "robot"}, "gender"),
        ({"email": "a@b.co", "birth_month": 13}, "birth_month"),
        ({"email": "a@b.co", "birth_day": 31, "birth_month": 2}, "body"),
        ({"email": "a@b.co", "profile_type": "deleted"}, "profile_type"),
        ({"email": "a@b.co", "tags": {"vip": True}}, "tags"),
        ({"email": "a@b.co", "statuses": ["no-such-status"]}, "statuses"),
        ({"email": "a@b.co", "identities": [{"handle": "shopify"}]}, "identities.0.identifier"),
        (
            {"email": "a@b.co", "addresses": [{"address_line_1": "1 St", "city": "X", "postcode": "1"}]},
            "addresses.0.country",
        ),
        ({"email": "a@b.co", "comms_attributes": {"email_promo": "sometimes"}}, "comms_attributes.email_promo"),
        (
            {
                "email": "a@b.co",
                "custom_attributes": [{"namespace": "n", "handle": "h", "type": "integer", "value": "x"}],
            },
            "value",
        ),
        ({"email": "a@b.co", "regions": [{"region_id": 999999}]}, "region_id"),
        ({"email": "a@b.co", "joined_at": "yesterday-ish"}, "joined_at"),
    ],
)
def test_bad_profiles_are_422_and_write_nothing(api: Api, tenant: TenantInfo, body: dict, field: str) -> None:
    before = tenant.row_counts()
    errors = api.fails(422, "POST", "/profiles", json=body)["errors"]
    assert field in errors, errors
    assert tenant.row_counts() == before


def test_identity_is_unique_across_profiles(api: Api, tenant: TenantInfo) -> None:
    one = api.ok(
        "POST", "/profiles", json={"email": "1@x.io", "identities": [{"handle": "shopify", "identifier": "7"}]}
    )
    before = tenant.row_counts()
    api.fails(
        422, "POST", "/profiles", json={"email": "2@x.io", "identities": [{"handle": "shopify", "identifier": "7"}]}
    )
    assert tenant.row_counts() == before
    two = api.ok("POST", "/profiles", json={"email": "2@x.io"})
    api.fails(422, "POST", f"/profiles/{two['id']}/identities", json={"handle": "shopify", "identifier": "7"})
    api.ok("POST", f"/profiles/{two['id']}/identities", json={"handle": "pos", "identifier": "7"})
    found = api.ok("POST", "/profiles/search-id", json={"type": "shopify", "id": "7"})
    assert found["id"] == one["id"]
    assert api.ok("GET", "/profiles/7", params={"identity[handle]": "pos"})["id"] == two["id"]


def test_batch_is_all_or_nothing(api: Api, tenant: TenantInfo) -> None:
    api.ok("POST", "/profiles", json={"email": "kept@x.io", "first_name": "Old"})
    before = tenant.row_counts()
    body = api.fails(
        422,
        "POST",
        "/profiles/batch",
        json={"match_criteria": "email", "profiles": [{"email": "new@x.io"}, {"email": "bad", "first_name": "Z"}]},
    )
    assert "profiles.1.email" in body["errors"]
    assert tenant.row_counts() == before
    result = api.ok(
        "POST",
        "/profiles/batch",
        json={
            "match_criteria": "email",
            "profiles": [{"email": "new@x.io"}, {"email": "KEPT@x.io", "first_name": "New"}],
        },
    )
    assert result["batch_id"]
    tenant.work()  # the records are queued; the worker applies them
    listed = api.get("/profiles", params={"sort": "email"}).json()["data"]
    assert [(p["email"], p["first_name"]) for p in listed] == [("kept@x.io", "New"), ("new@x.io", "Unknown")]


def test_addresses_keep_exactly_one_default(api: Api) -> None:
    pid = api.ok("POST", "/profiles", json={"email": "a@x.io"})["id"]
    addr = {"address_line_1": "1 St", "city": "Sydney", "postcode": "2000", "country": "AU"}
    first = api.ok("POST", f"/profiles/{pid}/addresses", json=addr)
    assert first["is_default"] is True  # the first address becomes the default
    second = api.ok("POST", f"/profiles/{pid}/addresses", json={**addr, "is_default": True})
    defaults = [a["id"] for a in api.ok("GET", f"/profiles/{pid}/addresses") if a["is_default"]]
    assert defaults == [second["id"]]
    assert api.ok("GET", f"/profiles/{pid}")["address"]["id"] == second["id"]
    api.ok("DELETE", f"/profiles/{pid}/addresses/{second['id']}")
    assert [a["is_default"] for a in api.ok("GET", f"/profiles/{pid}/addresses")] == [True]


def test_delete_restore_purge_and_depersonalise(api: Api, tenant: TenantInfo) -> None:
    pid = api.ok("POST", "/profiles", json={"email": "gone@x.io", "mobile_phone": "+61404000001"})["id"]
    api.ok("DELETE", f"/profiles/{pid}")
    api.fails(404, "GET", f"/profiles/{pid}")
    assert api.get("/profiles").json()["meta"]["total"] == 0
    restored = api.ok("PUT", f"/profiles/{pid}/update-type", json={"profile_type": "active"})
    assert restored["profile_type"] == "active"
    kept = api.ok("POST", f"/profiles/{pid}/depersonalise")
    assert kept["email"] != "gone@x.io" and kept["mobile_phone"] is None and kept["first_name"] == "Depersonalised"
    api.ok("DELETE", f"/profiles/{pid}/purge")
    api.fails(404, "PUT", f"/profiles/{pid}/update-type", json={"profile_type": "active"})
    assert tenant.row_counts()["profiles"] == 0


def test_every_command_appends_its_event(api: Api, tenant: TenantInfo) -> None:
    start = tenant.row_counts()["outbox_events"]
    pid = api.ok("POST", "/profiles", json={"email": "e@x.io"})["id"]
    api.ok("PUT", f"/profiles/{pid}", json={"first_name": "E"})
    assert api.ok("GET", f"/profiles/{pid}/resync")["id"] == pid
    api.ok("DELETE", f"/profiles/{pid}")
    assert tenant.row_counts()["outbox_events"] == start + 4
    api.fails(422, "POST", "/profiles", json={"email": "bad"})
    assert tenant.row_counts()["outbox_events"] == start + 4
