"""A token grants only what it holds: the escalation paths through token minting.

The attack: a token with only ``create-api-tokens`` created a token with scope ``*``, which then
read everything.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TenantInfo
from tests.server.api import Api
from tests.server.test_id_security import id_client, mint


def _create(tenant: TenantInfo, token: str, scopes: list[str]) -> Any:
    return Api(tenant, token).post("/auth/api-tokens", json={"name": "minted", "scopes": scopes})


@pytest.mark.parametrize(
    ("held", "asked"),
    [
        (["create-api-tokens"], ["*"]),
        (["create-api-tokens"], ["read-profiles"]),
        (["create-api-tokens"], ["profiles.*"]),
        (["create-api-tokens", "read-profiles"], ["read-profiles", "update-profiles"]),
        (["create-api-tokens", "profiles.*"], ["*"]),
        (["create-api-tokens", "profiles.*"], ["api-tokens.*"]),
        (["create-api-tokens", "read-profiles"], ["profiles.*"]),
        (["api-tokens.*"], ["read-transactions"]),
    ],
)
def test_a_token_cannot_grant_scopes_it_does_not_hold(tenant: TenantInfo, held: list[str], asked: list[str]) -> None:
    minter = tenant.mint(*held)
    before = Api(tenant).get("/auth/access-tokens").json()
    answer = _create(tenant, minter, asked)
    assert answer.status_code == 403, answer.text
    assert answer.json()["errors"]["scopes"]
    assert len(Api(tenant).get("/auth/access-tokens").json()) == len(before)  # nothing minted


@pytest.mark.parametrize(
    ("held", "asked"),
    [
        (["create-api-tokens", "read-profiles"], ["read-profiles"]),
        (["create-api-tokens", "profiles.*"], ["profiles.*", "read-profiles", "delete-profiles"]),
        (["api-tokens.*"], ["api-tokens.*", "read-api-tokens"]),
        (["*"], ["*"]),
    ],
)
def test_a_token_grants_what_it_holds(tenant: TenantInfo, held: list[str], asked: list[str]) -> None:
    answer = _create(tenant, tenant.mint(*held), asked)
    assert answer.status_code == 201, answer.text
    assert answer.json()["token"]["scopes"] == asked


def test_the_minted_narrow_token_cannot_read_what_it_was_not_given(tenant: TenantInfo) -> None:
    minter = tenant.mint("create-api-tokens", "read-brands")
    minted = _create(tenant, minter, ["read-brands"]).json()["accessToken"]
    Api(tenant, minted).ok("GET", "/brands")
    Api(tenant, minted).fails(403, "GET", "/profiles")


def test_a_delegate_token_needs_its_scopes_held(tenant: TenantInfo) -> None:
    narrow = Api(tenant, tenant.mint("create-delegations"))
    answer = narrow.fails(403, "POST", "/auth/delegate", json={"client_handle": "signup"})
    assert answer["errors"]["scopes"]
    wide = Api(tenant, tenant.mint("create-delegations", "read-profiles", "create-profiles"))
    assert wide.ok("POST", "/auth/delegate", json={"client_handle": "signup"})["token"]


def test_an_id_token_carries_only_the_profile_scopes_its_minter_holds(tenant: TenantInfo) -> None:
    admin = Api(tenant)
    me = admin.ok("POST", "/profiles", json={"email": "id@example.com", "first_name": "Before"})
    # create-id-tokens alone: the ID token can do nothing with the profile.
    bare = mint(tenant, tenant.mint("create-id-tokens"), id=me["id"])["token"]
    with id_client(tenant, bare) as http:
        answer = http.get("/profiles/me")
        assert answer.status_code == 403 and "read-profiles" in answer.json()["message"]
        assert http.put("/profiles/me", json={"first_name": "Mallory"}).status_code == 403
        assert http.post("/profiles/me/redeem", json={"amount": 1}).status_code == 403
        assert http.get("/locations").status_code == 403
    # A read-only storefront: its ID tokens read, never write.
    reader = mint(tenant, tenant.mint("create-id-tokens", "read-profiles", "read-locations"), id=me["id"])["token"]
    with id_client(tenant, reader) as http:
        assert http.get("/profiles/me").status_code == 200
        assert http.get("/locations").status_code == 200
        assert http.put("/profiles/me", json={"first_name": "Mallory"}).status_code == 403
        assert http.get("/profiles/me/balances").status_code == 403
    # Anonymous tokens likewise: sign-up only when the minter may create profiles.
    anonymous = mint(tenant, tenant.mint("create-id-tokens"))["token"]
    with id_client(tenant, anonymous) as http:
        assert http.post("/profiles", json={"email": "new@example.com"}).status_code == 403
    assert admin.ok("GET", "/profiles", params={"filter[email]": "new@example.com"}) == []
    assert admin.ok("GET", f"/profiles/{me['id']}")["first_name"] == "Before"
    # A full token mints a token with every profile scope.
    with id_client(tenant, mint(tenant, id=me["id"])["token"]) as http:
        assert http.put("/profiles/me", json={"first_name": "After"}).status_code == 200
