"""Client behaviour: URLs, headers, call(), health, context managers, resource plumbing."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

import omneo
from omneo import AsyncOmneo, Omneo
from omneo.types import CommsAttribute, Profile

from .conftest import Recorded, Reply, ScriptedServer


def test_default_base_url_from_tenant(http: httpx.Client) -> None:
    client = Omneo(tenant="acme", token="t", http_client=http)
    assert client.base_url == "https://api.acme.getomneo.com/api/v3"
    assert client.health_url == "https://api.acme.getomneo.com/api/health"
    override = Omneo(tenant="acme", base_url="http://127.0.0.1:9/api/v3/", http_client=http)
    assert override.base_url == "http://127.0.0.1:9/api/v3"


def test_needs_tenant_or_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMNEO_TENANT", raising=False)
    monkeypatch.delenv("OMNEO_BASE_URL", raising=False)
    with pytest.raises(omneo.OmneoError):
        Omneo(token="t")


def test_headers_and_call_escape_hatch(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [Reply(200, {"data": {"ok": True, "amount": 1.25}})]
    body = client.call(
        "post",
        "/things/1",
        params={"filter": {"email": {"eq": "a@b.co"}}, "page": {"size": 10}, "none": None},
        body={"amount": Decimal("1.10"), "on": date(2024, 1, 2)},
        headers={"X-Extra": "1"},
    )
    assert body == {"data": {"ok": True, "amount": Decimal("1.25")}}
    (request,) = stub.requests
    assert request.method == "POST"
    assert request.path == "/api/v3/things/1"
    assert request.query == {"filter[email][eq]": "a@b.co", "page[size]": "10"}
    assert request.body == b'{"amount":1.10,"on":"2024-01-02"}'
    assert request.headers["authorization"] == "Bearer tok"
    assert request.headers["accept"] == "application/json"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("omneo-python/")
    assert request.headers["x-extra"] == "1"


def test_no_content_returns_none_and_no_body_sent(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [Reply(204)]
    assert client.profiles.delete("p1") is None
    assert stub.requests[0].body == b""
    assert stub.requests[0].path == "/api/v3/profiles/p1"


def test_health_never_raises_on_non_2xx(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [Reply(200, {"status": "ok"}), Reply(503)]
    assert client.health() == {"status": 200, "status_text": "OK"}
    assert client.health() == {"status": 503, "status_text": "Service Unavailable"}
    assert [r.path for r in stub.requests] == ["/api/health", "/api/health"]
    assert stub.requests[0].headers["authorization"] == "Bearer tok"


async def test_async_health_and_context_manager(stub: ScriptedServer) -> None:
    stub.script = [Reply(500)]
    async with AsyncOmneo(base_url=stub.base_url) as client:
        assert await client.health() == {"status": 500, "status_text": "Internal Server Error"}
    assert client._http.is_closed


def test_context_manager_closes_only_its_own_http_client(stub: ScriptedServer, http: httpx.Client) -> None:
    with Omneo(base_url=stub.base_url) as own:
        pass
    assert own._http.is_closed
    with Omneo(base_url=stub.base_url, http_client=http):
        pass
    assert not http.is_closed


def test_model_body_is_dumped_with_exclude_unset(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [Reply(200, {"data": {"id": "p1", "email": "a@b.co", "reward_balance": 12.50}})]
    profile = client.profiles.create(Profile(email="a@b.co", first_name="A", last_name="B"))
    assert stub.requests[0].json() == {"email": "a@b.co", "first_name": "A", "last_name": "B"}
    assert profile.reward_balance == Decimal("12.50")


def _phone_clash(request: Recorded) -> Reply:
    if "mobile_phone" in request.json():
        return Reply(422, {"message": "invalid", "errors": {"mobile_phone": ["The phone number exists"]}})
    return Reply(200, {"data": {"id": "p1", **request.json()}})


def test_retry_mobile_secondary_moves_the_number(stub: ScriptedServer, client: Omneo) -> None:
    stub.handler = _phone_clash
    body = {"email": "a@b.co", "first_name": "A", "last_name": "B", "mobile_phone": "+61400000000"}
    profile = client.profiles.create(body, retry_mobile_secondary=True)
    assert profile.secondary_phone == "+61400000000"
    assert profile.mobile_phone is None
    assert [r.json().get("secondary_phone") for r in stub.requests] == [None, "+61400000000"]
    assert body["mobile_phone"] == "+61400000000"  # the caller's dict is untouched


async def test_retry_mobile_secondary_async_update(stub: ScriptedServer, aclient: AsyncOmneo) -> None:
    stub.handler = _phone_clash
    profile = await aclient.profiles.update("p1", {"mobile_phone": "+61400000000"}, retry_mobile_secondary=True)
    assert profile.secondary_phone == "+61400000000"
    assert [r.method for r in stub.requests] == ["PUT", "PUT"]


def test_without_retry_mobile_secondary_the_error_propagates(stub: ScriptedServer, client: Omneo) -> None:
    stub.handler = _phone_clash
    with pytest.raises(omneo.ValidationError) as info:
        client.profiles.create({"email": "a@b.co", "mobile_phone": "+61400000000"})
    assert info.value.errors["mobile_phone"] == ["The phone number exists"]
    assert len(stub.requests) == 1


def test_sync_rejects_future_dates_without_a_request(stub: ScriptedServer, client: Omneo) -> None:
    with pytest.raises(ValueError):
        client.profiles.sync(date.today() + timedelta(days=1))
    with pytest.raises(ValueError):
        client.profiles.sync("not a date")
    assert stub.requests == []
    stub.script = [Reply(200, {"data": {"message": "queued"}})]
    assert client.profiles.sync("2024-01-02 03:04:05").message == "queued"
    assert stub.requests[0].json() == {"updated_at": "2024-01-02 03:04:05"}


def test_profile_paths_and_bodies(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [Reply(200, {"data": [{"profile_id": "p1", "email_promo": True}]})]
    comms = client.profiles.subscribe("p1", "email")
    assert isinstance(comms, CommsAttribute) and comms.email_promo is True
    client.profiles.unsubscribe("p1", "sms", toggle_opt_out=True)
    stub.script = [Reply(200, {"data": {"id": "w"}})]
    client.profiles.merge_into("w", "l")
    client.profiles.find_by_identity("123", "shopify")
    stub.script = [Reply(200, {"data": [], "links": {}, "meta": {}})]
    assert client.profiles.find_by_email("a@b.co") is None
    sent = [(r.method, r.path, r.body and r.json(), r.query) for r in stub.requests]
    assert sent == [
        ("PUT", "/api/v3/profiles/p1/comms", {"email_optout": False, "email_promo": True}, {}),
        ("PUT", "/api/v3/profiles/p1/comms", {"sms_promo": False, "sms_optout": True}, {}),
        ("POST", "/api/v3/profiles/w/merge", {"loser_id": "l"}, {}),
        ("POST", "/api/v3/profiles/search-id", {"type": "shopify", "id": "123"}, {}),
        ("GET", "/api/v3/profiles", b"", {"filter[email]": "a@b.co"}),
    ]
    with pytest.raises(ValueError):
        client.profiles.subscribe("p1", "fax")  # type: ignore[arg-type]


def test_nested_resources(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [Reply(200, {"data": [{"id": 1, "handle": "vip"}]})]
    assert [s.handle for s in client.profiles.statuses.add("p1", ["vip"])] == ["vip"]
    stub.script = [Reply(204)]
    client.profiles.tags.remove("p1", "gold")
    client.profiles.attributes.custom.delete("p1", "crm", "score")
    client.profiles.identities.delete_by_id("p1", 7)
    client.tenants.custom_fields.delete("app", "theme")
    sent = [(r.method, r.path, r.body and r.json()) for r in stub.requests]
    assert sent == [
        ("POST", "/api/v3/profiles/p1/statuses", {"statuses": ["vip"]}),
        ("DELETE", "/api/v3/profiles/p1/tags/gold", b""),
        ("DELETE", "/api/v3/profiles/p1/attributes/custom/crm:score", b""),
        ("DELETE", "/api/v3/profiles/p1/identities/id/7", b""),
        ("DELETE", "/api/v3/tenants/custom-fields/app:theme", b""),
    ]


def test_full_and_list_data_shapes(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [Reply(200, {"data": [{"id": 1, "handle": "a", "type": "string", "value": "x"}]})]
    settings = client.settings.list()
    assert settings.data[0].handle == "a"
    addresses = client.profiles.addresses.list("p1")
    assert isinstance(addresses, list)
    stub.script = [Reply(200, {"accessToken": "secret", "token": {"id": "t1", "scopes": ["read-profiles"]}})]
    created = client.auth.create_api_token({"name": "ci", "scopes": ["read-profiles"]})
    assert created.access_token == "secret"
    assert created.token is not None and created.token.scopes == ["read-profiles"]


def test_pure_helpers_make_no_request(stub: ScriptedServer, client: Omneo) -> None:
    assert client.profiles.is_subscribed({"email_promo": True}, "email")
    assert client.profiles.is_unsubscribed({"email_promo": True, "email_bounced": True}, "email")
    assert client.profiles.is_unsubscribed(CommsAttribute(sms_optout=True), "sms")
    with pytest.raises(ValueError):
        client.profiles.is_subscribed({}, "carrier-pigeon")
    profile = Profile.model_validate(
        {
            "identities": [
                {"id": 1, "handle": "shopify", "identifier": "1", "created_at": "2024-01-01 00:00:00"},
                {"id": 2, "handle": "shopify", "identifier": "2", "created_at": "2024-06-01 00:00:00"},
                {"id": 3, "handle": "klaviyo", "identifier": "1", "created_at": "2024-03-01 00:00:00"},
            ]
        }
    )
    find = client.profiles.identities.find_in_profile
    assert find(profile, handle="shopify").id == 1  # type: ignore[union-attr]
    assert find(profile, handle="shopify", find_latest=True).id == 2  # type: ignore[union-attr]
    assert find(profile.model_dump(), identifier="1", handle="klaviyo").id == 3  # type: ignore[union-attr]
    assert find(profile, handle="none") is None
    assert stub.requests == []


def test_body_decimal_reaches_the_wire_exactly(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [Reply(200, raw=b'{"data": {"id": 1, "from": "AUD", "rate": 1.0712345678901234567}}')]
    currency = client.currencies.create({"from": "AUD", "to": "NZD", "rate": Decimal("1.0712345678901234567")})
    assert json.loads(stub.requests[0].body, parse_float=Decimal)["rate"] == Decimal("1.0712345678901234567")
    assert b'"rate":1.0712345678901234567' in stub.requests[0].body
    assert currency.rate == Decimal("1.0712345678901234567")
    assert currency.from_ == "AUD"
