"""The wire contract every endpoint inherits: envelopes, pages, filters, sorting, errors."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tests.conftest import Clock, TenantInfo
from tests.server.api import Api


@pytest.fixture
def api(tenant: TenantInfo) -> Api:
    return Api(tenant)


def _brands(api: Api, count: int) -> None:
    for n in range(count):
        api.ok("POST", "/brands", json={"handle": f"brand-{n:02d}", "name": f"Brand {n:02d}", "is_system": n % 2 == 0})


def test_pages_are_laravel_shaped_with_default_size_15(api: Api) -> None:
    _brands(api, 17)
    body = api.get("/brands").json()
    assert len(body["data"]) == 15
    meta = body["meta"]
    assert (meta["current_page"], meta["from"], meta["to"], meta["last_page"], meta["per_page"], meta["total"]) == (
        1,
        1,
        15,
        2,
        15,
        17,
    )
    assert meta["path"].endswith("/api/v3/brands")
    assert body["links"]["prev"] is None and "page%5Bnumber%5D=2" in body["links"]["next"]
    second = httpx.get(body["links"]["next"], headers=api.http.headers).json()
    assert [b["handle"] for b in second["data"]] == ["brand-15", "brand-16"]
    assert second["links"]["next"] is None and second["meta"]["from"] == 16


def test_page_params_in_every_spelling_and_the_size_cap(api: Api) -> None:
    _brands(api, 5)
    assert api.get("/brands", params={"page[size]": 2, "page[number]": 3}).json()["meta"]["to"] == 5
    assert api.get("/brands", params={"per_page": 2, "page": 2}).json()["meta"]["from"] == 3
    assert api.get("/brands", params={"limit": 2, "offset": 2}).json()["meta"]["current_page"] == 2
    assert api.get("/brands", params={"page[size]": 5000}).json()["meta"]["per_page"] == 100
    api.fails(422, "GET", "/brands", params={"page[size]": "lots"})
    api.fails(422, "GET", "/brands", params={"page[number]": 0})


def test_filters_operators_search_and_sort(api: Api) -> None:
    _brands(api, 6)
    ids = [b["id"] for b in api.get("/brands", params={"sort": "id"}).json()["data"]]

    def handles(**params: object) -> list[str]:
        return [b["handle"] for b in api.get("/brands", params=params).json()["data"]]

    assert handles(**{"filter[handle]": "brand-03"}) == ["brand-03"]
    assert handles(**{"filter[id][gt]": ids[3]}) == ["brand-04", "brand-05"]
    assert handles(**{"filter[id][lte]": ids[1]}) == ["brand-00", "brand-01"]
    assert handles(**{"filter[handle][in]": "brand-01,brand-04"}) == ["brand-01", "brand-04"]
    assert handles(**{"filter[handle][ne]": "brand-00", "filter[is_system]": "1"}) == ["brand-02", "brand-04"]
    assert handles(**{"filter[external_id][nullable]": "0"}) == []
    assert len(handles(**{"filter[external_id][nullable]": "1"})) == 6
    assert handles(**{"filter[search]": "AND 05"}) == ["brand-05"]
    assert handles(sort="-handle")[:2] == ["brand-05", "brand-04"]
    assert handles(sort="-name,id")[0] == "brand-05"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"filter[secret]": "x"}, "filter[secret]"),
        ({"filter[handle][like]": "x"}, "filter[handle.like]"),
        ({"filter[id]": "not-a-number"}, "filter[id]"),
        ({"filter[is_system]": "maybe"}, "filter[is_system]"),
        ({"sort": "password"}, "sort"),
        ({"sort": "-id;drop table brands"}, "sort"),
    ],
)
def test_bad_filters_and_sorts_are_422_never_sql_errors(api: Api, params: dict[str, str], field: str) -> None:
    body = api.fails(422, "GET", "/brands", params=params)
    assert field in body["errors"]


def test_errors_have_the_omneo_shape(api: Api, tenant: TenantInfo) -> None:
    base = tenant.server.api_url
    assert httpx.get(f"{base}/brands").status_code == 401
    assert httpx.get(f"{base}/brands", headers={"Authorization": "Bearer nope"}).json()["message"] == "Unauthenticated."
    assert httpx.get(f"{base}/brands", headers={"Authorization": "Basic abc"}).status_code == 401
    api.fails(404, "GET", "/brands/999999")
    api.fails(404, "GET", "/brands/not-an-id")
    api.fails(404, "GET", "/no/such/path")
    api.fails(405, "PATCH", "/brands")
    api.fails(405, "PUT", "/tags/1")
    body = api.fails(400, "POST", "/brands", content=b'{"handle": ', headers={"Content-Type": "application/json"})
    assert "JSON" in body["message"]
    body = api.fails(422, "POST", "/brands", json={"name": "no handle"})
    assert body["errors"] == {"handle": ["The handle field is required."]}
    body = api.fails(422, "POST", "/brands", json={"handle": "ok", "is_system": "perhaps"})
    assert "is_system" in body["errors"]
    api.fails(422, "POST", "/brands", json=["not", "an", "object"])


def test_oversize_bodies_are_413_and_write_nothing(api: Api, tenant: TenantInfo) -> None:
    before = tenant.row_counts()
    api.fails(413, "POST", "/brands", json={"handle": "big", "description": "x" * 100_000})

    def chunks():  # no Content-Length: the limit is enforced while streaming
        for _ in range(100):
            yield b" " * 1024

    response = api.post("/brands", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert tenant.row_counts() == before


def test_scopes(tenant: TenantInfo) -> None:
    reader = Api(tenant, tenant.mint("read-brands"))
    reader.ok("GET", "/brands")
    assert reader.fails(403, "POST", "/brands", json={"handle": "x"})["message"].endswith("scope.")
    reader.fails(403, "GET", "/profiles")
    wildcard = Api(tenant, tenant.mint("brands.*"))
    created = wildcard.ok("POST", "/brands", json={"handle": "mine"})
    wildcard.ok("DELETE", f"/brands/{created['id']}")
    wildcard.fails(403, "GET", "/statuses")


def test_expired_and_revoked_tokens(tenant: TenantInfo, time_machine: Clock) -> None:
    expiring = Api(tenant, tenant.mint("*", expires_in=60))
    expiring.ok("GET", "/brands")
    time_machine.travel(timedelta(seconds=61))
    expiring.fails(401, "GET", "/brands")
    admin = Api(tenant)
    minted = admin.http.post("/auth/api-tokens", json={"name": "ci", "scopes": ["read-brands"]}).json()
    assert minted["token"]["scopes"] == ["read-brands"] and minted["accessToken"].startswith("omn_")
    short = Api(tenant, minted["accessToken"])
    verified = short.get("/auth/verify").json()
    assert verified["status"] == 200 and verified["data"]["token"]["id"] == minted["token"]["id"]
    assert minted["token"]["expires_at"] is not None  # a year unless the request names an expiry
    listed = admin.get("/auth/access-tokens").json()  # an array, as the SDK's getAPITokens reads it
    assert minted["token"]["id"] in [t["id"] for t in listed]
    assert "token_hash" not in listed[0] and {t["type"] for t in listed} == {"api"}
    assert admin.get("/auth/access-tokens", params={"type": "user"}).json() == []
    admin.ok("DELETE", f"/auth/api-tokens/{minted['token']['id']}")
    short.fails(401, "GET", "/brands")
    admin.fails(404, "DELETE", f"/auth/api-tokens/{minted['token']['id']}")


def test_tenants_never_see_each_other(tenant: TenantInfo, other_tenant: TenantInfo) -> None:
    mine, theirs = Api(tenant), Api(other_tenant)
    brand = mine.ok("POST", "/brands", json={"handle": "shared-handle"})
    theirs.ok("POST", "/brands", json={"handle": "shared-handle"})  # handles are unique per tenant only
    theirs.fails(404, "GET", f"/brands/{brand['id']}")
    theirs.fails(404, "PUT", f"/brands/{brand['id']}", json={"name": "hijack"})
    theirs.fails(404, "DELETE", f"/brands/{brand['id']}")
    assert [b["handle"] for b in theirs.get("/brands").json()["data"]] == ["shared-handle"]
    assert mine.ok("GET", f"/brands/{brand['id']}")["name"] is None
    profile = mine.ok("POST", "/profiles", json={"email": "p@example.com"})
    theirs.fails(404, "GET", f"/profiles/{profile['id']}")
    theirs.fails(404, "DELETE", f"/profiles/{profile['id']}/purge")
    theirs.ok("POST", "/profiles", json={"email": "p@example.com"})  # emails are unique per tenant


def test_health_and_openapi(tenant: TenantInfo) -> None:
    assert httpx.get(f"{tenant.server.url}/api/health").json() == {"status": "ok"}
    schema = httpx.get(f"{tenant.server.api_url}/openapi.json").json()
    assert "/api/v3/profiles/{profile_id}" in schema["paths"]
    assert httpx.get(f"{tenant.server.url}/docs").status_code == 200


def test_delegate_tokens_can_only_create_and_read_profiles_briefly(tenant: TenantInfo, time_machine: Clock) -> None:
    admin = Api(tenant)
    token = admin.ok("POST", "/auth/delegate", json={"client_handle": "signup-service"})["token"]
    delegate = Api(tenant, token)
    created = delegate.ok("POST", "/profiles", json={"email": "delegated@example.com"})
    delegate.fails(403, "DELETE", f"/profiles/{created['id']}")
    delegate.fails(403, "GET", "/brands")
    time_machine.travel(timedelta(minutes=11))
    delegate.fails(401, "GET", f"/profiles/{created['id']}")
    admin.fails(422, "POST", "/auth/delegate", json={"client_handle": "not a handle"})


def test_numbers_no_column_can_hold_are_422(api: Api, tenant: TenantInfo) -> None:
    before = tenant.row_counts()
    for number in (2**31, 2**63, -(2**70)):
        api.fails(422, "POST", "/statuses", json={"name": "Gold", "handle": "gold", "sort_order": number})
    assert tenant.row_counts() == before


def test_null_for_a_field_that_cannot_be_null_is_422(api: Api) -> None:
    region = api.ok("POST", "/regions", json={"handle": "anz", "countries": [{"iso_2": "AU"}]})
    for body in ({"countries": None}, {"handle": None}, {"is_default": None}):
        assert list(api.fails(422, "PUT", f"/regions/{region['id']}", json=body)["errors"]) == list(body)
    assert api.ok("PUT", f"/regions/{region['id']}", json={"name": None})["name"] is None
