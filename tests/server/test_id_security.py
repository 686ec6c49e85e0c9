"""The ID API's security matrix: a profile token reaches its own profile and nothing else.

The profile routes are enumerated from the app itself (every ``/api/v3/profiles/{profile_id}...``
route and method), so a route added later is in the matrix without anyone editing this file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import select

from omneo_server.api.routes.id import allowed
from omneo_server.app import create_app
from omneo_server.db.tables import Tenant
from omneo_server.settings import Settings
from tests.conftest import Clock, TenantInfo
from tests.server.api import Api

ID_PATH = "/id/api/v1"
PROFILE_ROUTE = "/api/v3/profiles/{profile_id}"


def _profile_routes() -> list[tuple[str, str]]:
    """(method, sub-path template) for every admin route under one profile, e.g. ("GET",
    "addresses/{address_id}"), read from the app's own route table (as its OpenAPI document)."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    found: set[tuple[str, str]] = set()
    for path, operations in app.openapi()["paths"].items():
        if path == PROFILE_ROUTE or path.startswith(PROFILE_ROUTE + "/"):
            rest = path[len(PROFILE_ROUTE) :].lstrip("/")
            found.update((method.upper(), rest) for method in operations)
    # Destructive routes on the caller's own profile go last so the rest still run against it.
    return sorted(found, key=lambda mr: (mr[1] in ("", "purge") and mr[0] == "DELETE", mr[1], mr[0]))


PROFILE_ROUTES = _profile_routes()


def id_client(tenant: TenantInfo, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.Client(base_url=tenant.server.url + ID_PATH, headers=headers, timeout=30)


def mint(tenant: TenantInfo, admin_token: str | None = None, **body: Any) -> dict[str, Any]:
    with id_client(tenant, admin_token or tenant.token) as http:
        response = http.post("/auth/token", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def signing_key(tenant: TenantInfo) -> str:
    async def work() -> str:
        async with tenant.server.db.read() as session:
            return (await session.execute(select(Tenant.signing_key).where(Tenant.id == tenant.id))).scalar_one()

    return tenant.server.run(work())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], key: str | None) -> str:
    """A JWT built by hand (any ``alg`` header), HMAC-SHA256-signed with ``key`` or unsigned."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = "" if key is None else _b64(hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest())
    return f"{signing_input}.{signature}"


@pytest.fixture
def api(tenant: TenantInfo) -> Api:
    return Api(tenant)


@pytest.fixture
def people(api: Api) -> dict[str, Any]:
    """A (the attacker) and B (the victim, with a bit of everything)."""
    a = api.ok("POST", "/profiles", json={"email": "attacker@example.com", "first_name": "Mallory"})
    b = api.ok(
        "POST",
        "/profiles",
        json={
            "email": "victim@example.com",
            "first_name": "Victoria",
            "last_name": "Victim",
            "identities": [
                {"handle": "pos", "identifier": "VICTIM-POS"},
                # If /profiles/me honoured ?identity[handle]=shopify, it would resolve to B.
                {"handle": "shopify", "identifier": a["id"]},
            ],
            "addresses": [{"address_line_1": "1 Victim St", "city": "Melbourne", "postcode": "3000", "country": "AU"}],
            "custom_attributes": [{"namespace": "secret", "handle": "bonly", "value": "victim-secret"}],
            "dates_attributes": [{"handle": "anniversary", "date": "2020-02-02"}],
        },
    )
    tx = api.ok(
        "POST",
        "/transactions",
        json={
            "profile_id": b["id"],
            "transacted_at": "2025-06-15 14:32:00",
            "timezone": "Australia/Melbourne",
            "total": "10.00",
            "receipt_ref": "VICTIM-R1",
            "items": [{"name": "Shirt", "quantity": 1, "price_current": "10.00", "price_sell": "10.00"}],
        },
    )
    claim = api.ok("POST", f"/profiles/{b['id']}/transactions/claims", json={"transaction_receipt_ref": "VICTIM-R2"})
    interaction = api.ok(
        "POST",
        "/interactions",
        json={
            "profile_id": b["id"],
            "action": "visit",
            "channel": "location",
            "signal": "1",
            "namespace": "store",
            "name": "Walk-in",
        },
    )
    b = api.ok("GET", f"/profiles/{b['id']}")
    return {"a": a, "b": b, "tx": tx, "claim": claim, "interaction": interaction}


def victim_state(api: Api, b_id: str) -> list[Any]:
    return [
        api.ok("GET", f"/profiles/{b_id}"),
        api.ok("GET", f"/profiles/{b_id}/transactions"),
        api.ok("GET", f"/profiles/{b_id}/transactions/claims"),
        api.ok("GET", f"/profiles/{b_id}/interactions"),
        api.ok("GET", f"/profiles/{b_id}/aggregations"),
    ]


def _b_values(people: dict[str, Any]) -> dict[str, list[str]]:
    """B's record ids per path parameter name; a parameter not named here gets all of them."""
    b = people["b"]
    values = {
        "address_id": [str(b["addresses"][0]["id"])],
        "key": ["pos", str(b["identities"][0]["id"]), "secret:bonly", str(people["interaction"]["id"])],
        "date_id": [str(b["dates"][0]["id"]) if b.get("dates") else "1"],
        "tx_id": [str(people["tx"]["id"])],
        "claim_id": [str(people["claim"]["id"])],
        "handle": ["pos"],
    }
    values["*"] = sorted({v for vs in values.values() for v in vs} | {b["id"]})
    return values


def _fill(template: str, values: dict[str, list[str]]) -> Iterator[str]:
    """The template with its ``{params}`` filled with B's ids (each candidate once)."""
    names = re.findall(r"\{([^}]+)\}", template)
    if not names:
        yield template
        return
    for value in values.get(names[-1], values["*"]):
        yield re.sub(r"\{[^}]+\}", value, template)


def _leaks(response: httpx.Response, people: dict[str, Any]) -> bool:
    """Does the answer show any of B's data? (Page links echo the query, so only data is read.)"""
    b = people["b"]
    text = json.dumps(response.json().get("data")) if response.content else ""
    return any(s in text for s in (b["id"], b["email"], "Victoria", "VICTIM-POS", "victim-secret", "Victim St"))


def test_a_profile_token_reaches_only_its_own_profile(api: Api, tenant: TenantInfo, people: dict[str, Any]) -> None:
    a, b = people["a"], people["b"]
    before = victim_state(api, b["id"])
    token = mint(tenant, id=a["id"])["token"]
    values = _b_values(people)
    seen_allowed = 0
    with id_client(tenant, token) as http:
        for method, template in PROFILE_ROUTES:
            for rest in _fill(template, values):
                url = "/profiles/me" + (f"/{rest}" if rest else "")
                smuggle = {"profile_id": b["id"], "loser_id": b["id"], "destination_profile_id": b["id"]}
                queries = [{}, {"identity[handle]": "shopify"}]
                if method == "GET":
                    queries.append({"filter[profile_id]": b["id"]})
                for params in queries:
                    response = http.request(method, url, params=params)
                    assert response.status_code < 500, (method, url, response.text)
                    assert not _leaks(response, people), (method, url, params, response.text)
                    if not allowed(method, rest):
                        assert response.status_code in (404, 405), (method, url, response.status_code)
                    else:
                        seen_allowed += 1
                if method in ("POST", "PUT", "DELETE"):
                    response = http.request(method, url, json=smuggle)
                    expected = 422 if allowed(method, rest) else (404, 405)
                    assert response.status_code in ((expected,) if isinstance(expected, int) else expected), (
                        method,
                        url,
                        response.text,
                    )
                    response = http.request(method, url, json={"id": b["id"]})
                    assert response.status_code in (404, 405, 422)
    assert seen_allowed > 20  # the allowlist really lets the profile's own routes through
    assert victim_state(api, b["id"]) == before
    # the attacker's own profile was reachable (and the DELETE at the end removed it)
    api.fails(404, "GET", f"/profiles/{a['id']}")


def test_admin_only_profile_routes_are_unreachable(tenant: TenantInfo, people: dict[str, Any]) -> None:
    token = mint(tenant, id=people["a"]["id"])["token"]
    with id_client(tenant, token) as http:
        for method, url in [
            ("POST", "/profiles/me/merge"),
            ("POST", "/profiles/me/depersonalise"),
            ("POST", "/profiles/me/custom-event"),
            ("GET", "/profiles/me/statuses"),
            ("POST", "/profiles/me/tags"),
            ("GET", "/profiles/me/transactions/1/unattach"),
            ("POST", "/profiles/merge"),
            ("POST", "/profiles/batch"),
            ("POST", "/profiles/sync"),
            ("POST", "/profiles/exists"),
            ("GET", "/profiles"),
            ("GET", f"/profiles/{people['b']['id']}"),
            ("GET", "/transactions"),
            ("GET", "/identities"),
            ("GET", "/auth/verify"),
        ]:
            response = http.request(method, url, json={})
            assert response.status_code in (403, 404, 405), (method, url, response.status_code)
            assert set(response.json()) == {"message", "errors"}
        # privileges are the brand's to grant: no self-service statuses or tags in bodies
        response = http.put("/profiles/me", json={"statuses": ["vip"]})
        assert response.status_code == 422 and "statuses" in response.json()["errors"]


def test_the_profile_token_does_its_own_work(api: Api, tenant: TenantInfo, people: dict[str, Any]) -> None:
    a = people["a"]
    token = mint(tenant, id=a["id"])["token"]
    with id_client(tenant, token) as http:
        me = http.get("/profiles/me").json()["data"]
        assert me["id"] == a["id"]
        updated = http.put("/profiles/me", json={"first_name": "Mal"}).json()["data"]
        assert updated["first_name"] == "Mal"
        # a customer cannot make themselves a system (or temporary, or dependant) profile
        for path, body in (
            ("/profiles/me", {"profile_type": "system"}),
            ("/profiles/me/update-type", {"profile_type": "system"}),
        ):
            refused = http.put(path, json=body)
            assert refused.status_code == 422 and "profile_type" in refused.json()["errors"]
        assert http.put("/profiles/me/update-type", json={"profile_type": "pending"}).status_code == 200
        comms = http.put("/profiles/me/comms", json={"email_promo": True}).json()["data"]
        assert comms[0]["email_promo"] is True
        created = http.post(
            "/profiles/me/addresses",
            json={"address_line_1": "2 Own St", "city": "Sydney", "postcode": "2000", "country": "AU"},
        )
        assert created.status_code == 201
        listed = http.get("/profiles/me/transactions", params={"page[size]": 1})
        assert listed.status_code == 200 and listed.json()["data"] == []
        assert listed.json()["links"]["first"].startswith(f"{tenant.server.url}{ID_PATH}/profiles/me/transactions")
        assert a["id"] not in listed.text
        # incentives: the token's own, read-only except for redeeming and claiming
        for path in ("/profiles/me/rewards", "/profiles/me/balances", "/profiles/me/tiers", "/profiles/me/ledgers"):
            response = http.get(path)
            assert response.status_code == 200, (path, response.text)
        assert http.post("/profiles/me/redeem", json={"amount": 1}).status_code == 422  # nothing to redeem
        assert http.post("/profiles/me/tiers/assign", json={"tier": "gold"}).status_code == 403
        store = api.ok("POST", "/locations", json={"name": "Flagship", "phone": "+61390000000"})
        listed = http.get("/locations").json()
        assert [x["id"] for x in listed["data"]] == [store["id"]]
        assert listed["links"]["first"].startswith(f"{tenant.server.url}{ID_PATH}/locations")
        assert http.get(f"/locations/{store['id']}").json()["data"]["name"] == "Flagship"
        assert http.post("/locations", json={"name": "x"}).status_code == 405
        assert http.put(f"/locations/{store['id']}", json={"name": "x"}).status_code == 405
        assert http.get(f"/locations/{store['id']}/custom-fields").status_code == 404
    assert api.ok("GET", f"/profiles/{a['id']}")["first_name"] == "Mal"


def test_anonymous_tokens_only_create_or_upsert(api: Api, tenant: TenantInfo, people: dict[str, Any]) -> None:
    minted = mint(tenant)
    assert jwt.decode(minted["token"], options={"verify_signature": False})["pid"] == "null"
    assert mint(tenant, id="")["token"]
    b = people["b"]
    with id_client(tenant, minted["token"]) as http:
        for method, template in PROFILE_ROUTES:
            rest = next(_fill(template, _b_values(people)))
            response = http.request(method, "/profiles/me" + (f"/{rest}" if rest else ""), json={})
            assert response.status_code == 404, (method, template, response.status_code)
        for method, url in [("GET", "/profiles"), ("GET", f"/profiles/{b['id']}"), ("PUT", "/profiles")]:
            assert http.request(method, url, json={}).status_code in (404, 405)
        # an upsert on a known email fills unset comms only and answers only what was sent
        response = http.post(
            "/profiles",
            json={"email": "victim@example.com", "first_name": "Changed", "comms_attributes": {"email_promo": True}},
        )
        assert response.status_code == 200, response.text
        assert set(response.json()["data"]) == {"email", "mobile_phone", "attributes"}
        assert "Victoria" not in response.text and b["id"] not in response.text
        for smuggled in ({"identities": [{"handle": "pos", "identifier": "NEW"}]}, {"statuses": ["vip"]}):
            response = http.post("/profiles", json={"email": "new@example.com", **smuggled})
            assert response.status_code == 422
        created = http.post("/profiles", json={"email": "new@example.com", "first_name": "New"})
        assert created.status_code == 201 and created.json()["data"]["first_name"] == "New"
    after = victim_state(api, b["id"])
    assert after[0]["first_name"] == "Victoria" and after[0]["attributes"]["comms"]["email_promo"] is True
    # a profile token may not use the sign-up route
    with id_client(tenant, mint(tenant, id=people["a"]["id"])["token"]) as http:
        assert http.post("/profiles", json={"email": "x@example.com"}).status_code == 403


def test_an_anonymous_upsert_reveals_nothing_and_overwrites_nothing(api: Api, tenant: TenantInfo) -> None:
    """The attack: ``POST /id/api/v1/profiles {"email": <someone else's>}`` answered that person's id
    and comms record, and overwrote their comms (so a stranger could unsubscribe them)."""
    owner = api.ok(
        "POST",
        "/profiles",
        json={
            "email": "owner@example.com",
            "first_name": "Olive",
            "comms_attributes": {"email_promo": False, "sms_promo": True, "email_verification": "sent"},
        },
    )
    before = api.ok("GET", f"/profiles/{owner['id']}/attributes/comms")
    sent = {
        "email_promo": True,  # the owner opted out: stays out
        "sms_promo": False,  # the owner opted in: no stranger unsubscribes them
        "push_promo": True,  # never set: a sign-up may fill it
        "email_verification": "verified",  # proven, never claimed
    }
    with id_client(tenant, mint(tenant)["token"]) as http:
        answer = http.post(
            "/profiles", json={"email": "OWNER@example.com", "first_name": "X", "comms_attributes": sent}
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"] == {"email": "OWNER@example.com", "mobile_phone": None, "attributes": {"comms": sent}}
    after = api.ok("GET", f"/profiles/{owner['id']}/attributes/comms")
    assert (after["email_promo"], after["sms_promo"], after["push_promo"]) == (False, True, True)
    assert after["email_verification"] == before["email_verification"] == "sent"
    assert api.ok("GET", f"/profiles/{owner['id']}")["first_name"] == "Olive"
    assert tenant.events("profile.signed_up") == ["profile.signed_up"]


def test_bad_tokens_are_401(
    api: Api, tenant: TenantInfo, other_tenant: TenantInfo, people: dict[str, Any], time_machine: Clock
) -> None:
    a_id = people["a"]["id"]
    good = mint(tenant, id=a_id)
    key = signing_key(tenant)
    claims = jwt.decode(good["token"], options={"verify_signature": False})
    header, payload, signature = good["token"].split(".")
    now = int(time.time())
    bad = {
        "missing": None,
        "empty": "",  # sent as a bare "Bearer"
        "garbage": "not-a-jwt",
        "admin token": tenant.token,
        "tampered pid": forge({"alg": "HS256", "typ": "JWT"}, {**claims, "pid": people["b"]["id"]}, None)[:-1]
        + signature,
        "tampered signature": f"{header}.{payload}.{signature[:-2]}AA",
        "alg none": forge({"alg": "none", "typ": "JWT"}, claims, None),
        "alg None": forge({"alg": "None"}, claims, None),
        "RS256 signed with the HMAC key": forge({"alg": "RS256", "typ": "JWT"}, claims, key),
        "HS512": jwt.encode(claims, key, algorithm="HS512"),
        "wrong tenant claim": jwt.encode({**claims, "tenant": other_tenant.handle}, key, algorithm="HS256"),
        "signed by the other tenant": jwt.encode(claims, signing_key(other_tenant), algorithm="HS256"),
        "unknown tenant": jwt.encode({**claims, "tenant": "nope"}, key, algorithm="HS256"),
        "no exp": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, key, algorithm="HS256"),
        "no pid": jwt.encode({k: v for k, v in claims.items() if k != "pid"}, key, algorithm="HS256"),
        "expired": jwt.encode({**claims, "exp": now - 5}, key, algorithm="HS256"),
        "pid not a uuid": jwt.encode({**claims, "pid": "../x"}, key, algorithm="HS256"),
    }
    with id_client(tenant, None) as http:
        assert http.get("/profiles/me").status_code == 401
        for name, token in bad.items():
            headers = {} if token is None else {"Authorization": f"Bearer {token}".strip()}
            for method, url in (("GET", "/profiles/me"), ("POST", "/profiles"), ("GET", "/locations")):
                response = http.request(method, url, headers=headers, json={"email": "z@example.com"})
                assert response.status_code == 401, (name, url, response.text)
                assert response.json() == {"message": "Unauthenticated."}  # exactly what the hosted API answers
        # a genuine token of another tenant for A's id finds nothing there
        foreign = jwt.encode({**claims, "tenant": other_tenant.handle}, signing_key(other_tenant), algorithm="HS256")
        response = http.get("/profiles/me", headers={"Authorization": f"Bearer {foreign}"})
        assert response.status_code == 404
        # the token itself works until it expires, on the platform clock
        ok = {"Authorization": f"Bearer {good['token']}"}
        assert http.get("/profiles/me", headers=ok).status_code == 200
        assert good["exp"] - now == pytest.approx(3600, abs=5)
        time_machine.travel(timedelta(seconds=3601))
        assert http.get("/profiles/me", headers=ok).status_code == 401


def test_id_tokens_are_not_admin_tokens(tenant: TenantInfo, people: dict[str, Any]) -> None:
    token = mint(tenant, id=people["a"]["id"])["token"]
    anonymous = mint(tenant)["token"]
    a_id = people["a"]["id"]
    for bearer in (token, anonymous):
        admin = Api(tenant, bearer)
        for method, path in [
            ("GET", f"/profiles/{a_id}"),
            ("PUT", f"/profiles/{a_id}"),
            ("GET", "/profiles"),
            ("POST", "/profiles"),
            ("GET", "/auth/verify"),
            ("GET", "/locations"),
        ]:
            admin.fails(401, method, path, json={"email": "q@example.com"})
        # nor can an ID token mint more ID tokens
        with id_client(tenant, bearer) as http:
            assert http.post("/auth/token", json={"id": a_id}).status_code == 401


def test_minting_needs_the_scope_and_a_real_profile(tenant: TenantInfo, people: dict[str, Any]) -> None:
    a_id = people["a"]["id"]
    for scopes in (["read-profiles"], ["create-profiles", "update-profiles"]):
        with id_client(tenant, tenant.mint(*scopes)) as http:
            response = http.post("/auth/token", json={"id": a_id})
            assert response.status_code == 403 and set(response.json()) == {"message", "errors"}
    assert mint(tenant, tenant.mint("create-id-tokens"), id=a_id)["token"]
    assert mint(tenant, tenant.mint("id-tokens.*"), id=a_id)["token"]
    with id_client(tenant, tenant.token) as http:
        for body in ({"id": "00000000-0000-0000-0000-000000000000"}, {"id": "nope"}, {"id": "X", "id_handle": "pos"}):
            assert http.post("/auth/token", json=body).status_code == 404
    by_identity = mint(tenant, id="VICTIM-POS", id_handle="pos")
    claims = jwt.decode(by_identity["token"], signing_key(tenant), algorithms=["HS256"])
    assert claims["pid"] == people["b"]["id"] and claims["tenant"] == tenant.handle
    assert {"iss", "iat", "exp", "jti"} <= set(claims) and claims["exp"] == by_identity["exp"]
