"""Staff through the SDK: profiles working for the retailer, where they work, and the sales and
profiles that name them by their staff id."""

from __future__ import annotations

import httpx
import pytest

from omneo import NotFoundError, Omneo, PermissionDeniedError, ValidationError
from tests.conftest import TenantInfo
from tests.e2e.test_commerce import sale


def test_a_staff_member_works_at_a_location_and_is_named_by_sales(client: Omneo, tenant: TenantInfo) -> None:
    store = client.locations.create({"name": "Bourke St", "phone": "0390000000", "handle": "bourke"})
    menswear = client.departments.create({"location_id": store.id, "name": "Menswear", "handle": "menswear"})
    sam = client.profiles.create(
        {"email": "sam@shop.example", "first_name": "Sam", "last_name": "Lee",
         "identities": [{"handle": "staff-number", "identifier": "S-100"}]}
    )  # fmt: skip
    staff = client.staffs.create(
        {"profile_id": sam.id, "staff_number": "S-100", "location_id": store.id, "department_id": menswear.id,
         "role_type": "full_time"}
    )  # fmt: skip
    assert (staff.profile_id, staff.staff_number, staff.is_active) == (sam.id, "S-100", True)
    other = client.staffs.create({"profile_id": client.profiles.create({"email": "kim@shop.example"}).id})

    # GET /staff/{handle}: the staff of the location with that handle, or the one with that id.
    assert [s.id for s in client.staffs.list("bourke")] == [staff.id]
    assert [s.id for s in client.staffs.list(other.id)] == [other.id]
    assert {s.id for s in client.staffs.list()} == {staff.id, other.id}
    assert list(client.staffs.list("nowhere")) == []
    [with_profile] = client.staffs.list(staff.id, params={"include": "profile,location"})
    assert with_profile.profile is not None and with_profile.profile["email"] == "sam@shop.example"
    assert with_profile.location is not None and with_profile.location["handle"] == "bourke"

    # A sale and a profile name the staff member by id; asked for, they answer who it is.
    tx = client.transactions.create(sale("50.00", staff_id=staff.id))
    served = client.transactions.get(tx.id, params={"include": "staff"})
    assert served.staff is not None
    assert (served.staff.id, served.staff.full_name, served.staff.email) == (staff.id, "Sam Lee", "sam@shop.example")
    assert [i.identifier for i in served.staff.identities] == ["S-100"]
    joined = client.profiles.create({"email": "new@example.com", "joined_staff_id": staff.id})
    url = f"{tenant.server.api_url}/profiles/{joined.id}?include=joined_staff"
    answer = httpx.get(url, headers={"Authorization": f"Bearer {tenant.token}"}, timeout=30).json()["data"]
    assert answer["joined_staff"]["id"] == staff.id and answer["joined_staff"]["full_name"] == "Sam Lee"

    moved = client.staffs.update(staff.id, {"location_id": None, "is_active": False})
    assert (moved.location_id, moved.is_active, moved.staff_number) == (None, False, "S-100")
    client.staffs.delete(other.id)
    assert [s.id for s in client.staffs.list()] == [staff.id]
    with pytest.raises(NotFoundError):
        client.staffs.delete(other.id)


def test_staff_input_is_checked(client: Omneo, tenant: TenantInfo, other_tenant: TenantInfo) -> None:
    sam = client.profiles.create({"email": "sam@shop.example"})
    client.staffs.create({"profile_id": sam.id, "staff_number": "S-1"})
    theirs = Omneo(tenant=other_tenant.handle, token=other_tenant.token, base_url=other_tenant.server.api_url)
    foreign = theirs.profiles.create({"email": "x@example.com"})
    cases = [
        ({}, "profile_id"),
        ({"profile_id": sam.id}, "profile_id"),  # already staff
        ({"profile_id": client.profiles.create({"email": "a@example.com"}).id, "staff_number": "S-1"}, "staff_number"),
        ({"profile_id": foreign.id}, "profile_id"),  # another tenant's profile
        ({"profile_id": client.profiles.create({"email": "b@example.com"}).id, "location_id": 10**6}, "location_id"),
        ({"profile_id": client.profiles.create({"email": "c@example.com"}).id, "role_type": "boss"}, "role_type"),
    ]
    for body, field in cases:
        with pytest.raises(ValidationError) as refused:
            client.staffs.create(body)
        assert field in (refused.value.errors or {}), (body, refused.value.errors)
    assert list(theirs.staffs.list()) == []
    reader = Omneo(tenant=tenant.handle, token=tenant.mint("read-staff"), base_url=tenant.server.api_url)
    assert len(list(reader.staffs.list())) == 1
    with pytest.raises(PermissionDeniedError):
        reader.staffs.create({"profile_id": sam.id})
