"""Request bodies are read once, as UTF-8 JSON, by checks and handlers alike.

The attack: a profile token sent ``PUT /id/api/v1/profiles/me`` with its JSON encoded as UTF-16;
the gateway could not parse it and waved it through, the handler could, and the customer gave
themselves the ``vip`` tag and ``profile_type: system``. Deep nesting answered 500.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import TenantInfo
from tests.server.api import Api
from tests.server.test_id_security import id_client, mint

ESCALATION = {"first_name": "Mallory", "tags": ["vip"], "statuses": ["vip"], "profile_type": "system"}

#: The same escalating body in every encoding a lenient decoder would accept, and a few broken ones.
UNREADABLE: dict[str, bytes] = {
    "utf-16": json.dumps(ESCALATION).encode("utf-16"),
    "utf-16-le": json.dumps(ESCALATION).encode("utf-16-le"),
    "utf-16-be": json.dumps(ESCALATION).encode("utf-16-be"),
    "utf-32": json.dumps(ESCALATION).encode("utf-32"),
    "latin-1": '{"first_name": "Zoë", "tags": ["vip"]}'.encode("latin-1"),
    "invalid-utf-8": b'{"first_name": "\xff\xfe", "tags": ["vip"]}',
    "lone-surrogate": b'{"first_name": "\\ud800", "tags": ["vip"]}',
    "malformed": b'{"first_name": ',
}


JSON_TYPE = {"Content-Type": "application/json"}


def _deep(levels: int) -> bytes:
    return ('{"meta": ' + "[" * levels + "]" * levels + "}").encode()


@pytest.fixture
def api(tenant: TenantInfo) -> Api:
    return Api(tenant)


def _assert_bad_body(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["message"] and body["errors"]["body"], body


@pytest.mark.parametrize("encoding", sorted(UNREADABLE))
def test_an_id_body_the_gateway_cannot_read_is_refused_and_changes_nothing(
    api: Api, tenant: TenantInfo, encoding: str
) -> None:
    me = api.ok("POST", "/profiles", json={"email": "mallory@example.com", "first_name": "Mal"})
    token = mint(tenant, id=me["id"])["token"]
    with id_client(tenant, token) as http:
        for content_type in ("application/json", "application/json; charset=utf-16", None):
            headers = {"Content-Type": content_type} if content_type else {}
            _assert_bad_body(http.put("/profiles/me", content=UNREADABLE[encoding], headers=headers))
    after = api.ok("GET", f"/profiles/{me['id']}")
    assert after["first_name"] == "Mal"
    assert after["tags"] == [] and after["statuses"] == [] and after["profile_type"] == "active"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_an_anonymous_sign_up_in_another_encoding_is_refused(api: Api, tenant: TenantInfo, encoding: str) -> None:
    token = mint(tenant)["token"]
    body = {"email": "new@example.com", "tags": ["vip"], "identities": [{"handle": "pos", "identifier": "X1"}]}
    with id_client(tenant, token) as http:
        _assert_bad_body(http.post("/profiles", content=json.dumps(body).encode(encoding)))
    assert api.ok("GET", "/profiles", params={"filter[email]": "new@example.com"}) == []


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "invalid-utf-8", "lone-surrogate", "malformed"])
def test_the_admin_api_refuses_the_same_bodies_with_errors_body(api: Api, encoding: str) -> None:
    me = api.ok("POST", "/profiles", json={"email": "x@example.com", "first_name": "Before"})
    for content_type in ("application/json", "application/json; charset=utf-16", "application/vnd.api+json"):
        headers = {"Content-Type": content_type}
        _assert_bad_body(api.put(f"/profiles/{me['id']}", content=UNREADABLE[encoding], headers=headers))
    # Without a JSON media type the admin API does not read the body as JSON at all.
    assert api.put(f"/profiles/{me['id']}", content=UNREADABLE[encoding]).status_code == 422
    assert api.ok("GET", f"/profiles/{me['id']}")["first_name"] == "Before"


def test_a_body_sent_as_another_media_type_is_not_decoded_leniently(api: Api, tenant: TenantInfo) -> None:
    me = api.ok("POST", "/profiles", json={"email": "t@example.com", "first_name": "Before"})
    token = mint(tenant, id=me["id"])["token"]
    with id_client(tenant, token) as http:
        answer = http.put("/profiles/me", content=UNREADABLE["utf-16"], headers={"Content-Type": "text/plain"})
    assert answer.status_code == 400
    answer = api.put(
        f"/profiles/{me['id']}", content=json.dumps({"first_name": "X"}), headers={"Content-Type": "text/plain"}
    )
    assert 400 <= answer.status_code < 500
    assert api.ok("GET", f"/profiles/{me['id']}")["first_name"] == "Before"


def test_utf8_with_a_byte_order_mark_and_non_ascii_text_is_read(api: Api, tenant: TenantInfo) -> None:
    me = api.ok("POST", "/profiles", json={"email": "bom@example.com"})
    body = "\ufeff" + json.dumps({"first_name": "Zoë 😀"}, ensure_ascii=False)
    headers = JSON_TYPE
    updated = api.ok("PUT", f"/profiles/{me['id']}", content=body.encode("utf-8"), headers=headers)
    assert updated["first_name"] == "Zoë 😀"
    token = mint(tenant, id=me["id"])["token"]
    with id_client(tenant, token) as http:
        answer = http.put("/profiles/me", content=json.dumps({"last_name": "Ünal 😀"}).encode(), headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["last_name"] == "Ünal 😀"  # sent as a surrogate-pair escape


@pytest.mark.parametrize("levels", [65, 2_000, 30_000])
def test_deeply_nested_bodies_are_a_400_on_both_apis(api: Api, tenant: TenantInfo, levels: int) -> None:
    me = api.ok("POST", "/profiles", json={"email": "deep@example.com"})
    _assert_bad_body(api.put(f"/profiles/{me['id']}", content=_deep(levels), headers=JSON_TYPE))
    token = mint(tenant, id=me["id"])["token"]
    with id_client(tenant, token) as http:
        _assert_bad_body(http.put("/profiles/me", content=_deep(levels)))
        _assert_bad_body(http.post("/profiles/me/addresses", content=_deep(levels)))
    anonymous = mint(tenant)["token"]
    with id_client(tenant, anonymous) as http:
        _assert_bad_body(http.post("/profiles", content=_deep(levels)))


def test_nesting_within_the_limit_is_accepted(api: Api) -> None:
    me = api.ok("POST", "/profiles", json={"email": "nest@example.com"})
    nested: Any = "leaf"
    for _ in range(60):
        nested = {"n": nested}
    body = {"profile_id": me["id"], "action": "visit", "channel": "website", "signal": "1", "namespace": "s"}
    assert api.ok("POST", "/interactions", json={**body, "meta": nested})["id"]


def test_a_405_names_the_methods_allowed(api: Api, tenant: TenantInfo) -> None:
    answer = api.request("PATCH", "/profiles")
    assert answer.status_code == 405
    assert {m.strip() for m in answer.headers["allow"].split(",")} >= {"GET", "POST"}
    me = api.ok("POST", "/profiles", json={"email": "allow@example.com"})
    token = mint(tenant, id=me["id"])["token"]
    with id_client(tenant, token) as http:
        answer = http.post("/profiles/me/balances")
        assert answer.status_code == 405 and answer.headers["allow"] == "GET"
        answer = http.delete("/profiles/me/addresses")
        assert answer.status_code == 405
        assert set(answer.headers["allow"].split(", ")) == {"GET", "POST"}
        answer = http.post("/locations")
        assert answer.status_code == 405 and answer.headers["allow"] == "GET"
