"""What real Omneo clients send, accepted as the hosted API accepts it, and answered in the shapes
they read (issue 12). Each test sends what a client written against the hosted API sends."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from omneo_server.domain import jsonlogic
from tests.conftest import TenantInfo
from tests.server.api import Api
from tests.server.test_id_security import id_client, mint


@pytest.fixture
def api(tenant: TenantInfo) -> Api:
    return Api(tenant)


def _sale(**fields: Any) -> dict[str, Any]:
    line = {"name": "Tee", "sku": "T1", "quantity": 2, "price_current": "30.00", "price_sell": "25.00"}
    return {"transacted_at": "2026-03-01 10:00:00", "timezone": "UTC", "total": "50.00", "items": [line], **fields}


def test_definitions_without_their_nullable_fields_are_created(api: Api) -> None:
    # Every client that creates a definition leaves these out.
    reward = api.ok("POST", "/rewards/definitions", json={"name": "Welcome", "handle": "welcome", "type": "bonus"})
    assert (reward["absolute_expiry"], reward["period"], reward["value"]) == (None, None, None)
    benefit = api.ok("POST", "/benefits/definitions", json={"name": "Coffee", "handle": "coffee"})
    assert (benefit["absolute_expiry"], benefit["period"]) == (None, None)
    credit = api.ok("POST", "/credits/definitions", json={"name": "Gift", "handle": "gift", "type": "gift_card"})
    assert credit["credit_number_range_start"] is None and credit["release_period_absolute_expiry"] is None
    levels = [
        {"name": "First", "display_number": 1, "trigger": 1},
        {"name": "Fifth", "display_number": 2, "trigger": 5},
    ]
    made = api.ok("POST", "/achievements/definitions", json={"name": "Visits", "handle": "visits", "levels": levels})
    assert [level["trigger"] for level in made["levels"]] == [1, 5]
    # A reward issued from a definition without a value needs one of its own.
    profile = api.ok("POST", "/profiles", json={"email": "def@example.com"})
    api.fails(422, "POST", "/rewards", json={"profile_id": profile["id"], "reward_definition_handle": "welcome"})
    issued = api.ok(
        "POST",
        "/rewards",
        json={"profile_id": profile["id"], "reward_definition_handle": "welcome", "value_initial": 5},
    )
    assert Decimal(str(issued["value_remaining"])) == 5 and issued["expires_at"] is None


def test_countries_in_any_iso_form_are_stored_as_alpha_2(api: Api) -> None:
    region = api.ok("POST", "/regions", json={"handle": "na", "countries": [{"iso_2": "USA"}, {"iso_2": "124"}]})
    assert [(c["iso_2"], c["iso_3"], c["name"]) for c in region["countries"]] == [
        ("US", "USA", "United States"),
        ("CA", "CAN", "Canada"),
    ]
    profile = api.ok("POST", "/profiles", json={"email": "iso@example.com"})
    [linked] = api.ok("POST", f"/profiles/{profile['id']}/regions", json={"region_id": region["id"], "country": "USA"})
    assert linked["country"] == "US"
    address = {"address_line_1": "1 Main St", "city": "Springfield", "postcode": "12345", "country": "usa"}
    assert api.ok("POST", f"/profiles/{profile['id']}/addresses", json=address)["country"] == "US"
    assert api.ok("POST", f"/profiles/{profile['id']}/addresses", json={**address, "country": "nz"})["country"] == "NZ"
    refused = api.fails(422, "POST", f"/profiles/{profile['id']}/addresses", json={**address, "country": "Atlantis"})
    assert refused["errors"]["country"] == ["The country must be an ISO 3166 country code."]


def test_a_claim_whose_receipt_number_is_a_number(api: Api) -> None:
    api.ok("POST", "/transactions", json=_sale(receipt_ref="100234"))
    profile = api.ok("POST", "/profiles", json={"email": "claim@example.com"})
    claim = api.ok("POST", f"/profiles/{profile['id']}/transactions/claims", json={"transaction_receipt_ref": 100234})
    assert claim["transaction_receipt_ref"] == "100234" and claim["status"] == "claimed"


def test_conditions_use_not_in_and_test(api: Api) -> None:
    condition = {
        "and": [
            {"not_in": [{"var": "profile.email"}, ["blocked@example.com"]]},
            {"test": [{"var": "profile.email"}, "/@example\\.COM$/i"]},
        ]
    }
    hook = {"trigger": "profile.created", "url": "https://example.com/in", "namespace": "crm", "condition": condition}
    assert api.ok("POST", "/webhooks", json=hook)["condition"] == condition
    assert jsonlogic.truthy(condition, {"profile": {"email": "ann@example.com"}})
    assert not jsonlogic.truthy(condition, {"profile": {"email": "blocked@example.com"}})
    assert not jsonlogic.truthy(condition, {"profile": {"email": "ann@example.org"}})
    # A pattern that backtracks forever is given a bounded time, then counts as no match.
    assert not jsonlogic.truthy({"test": [{"var": "s"}, "(a+)+$"]}, {"s": "a" * 64 + "!"})
    refused = api.fails(422, "POST", "/webhooks", json={**hook, "condition": {"frobnicate": [1]}})
    assert "condition" in refused["errors"]


def test_a_total_that_is_not_the_sum_of_its_lines_is_stored_as_sent(api: Api) -> None:
    profile = api.ok("POST", "/profiles", json={"email": "till@example.com"})
    # Two tees at 25.00 with a 5.00 discount and 4.95 shipping at the till: the total is 49.95.
    sale = api.ok("POST", "/transactions", json=_sale(profile_id=profile["id"], total="49.95", external_id="T-1"))
    assert Decimal(str(sale["total"])) == Decimal("49.95")
    assert [Decimal(str(i["price_sell"])) for i in sale["items"]] == [Decimal("25.00")]
    again = api.ok(
        "POST", "/transactions/update-create", json=_sale(profile_id=profile["id"], total="49.95", external_id="T-1")
    )
    assert again["id"] == sale["id"]
    order = api.ok("POST", "/orders", json=_sale(total="61.00"))
    assert Decimal(str(order["total"])) == Decimal("61.00")
    spent = api.ok("GET", f"/profiles/{profile['id']}/aggregations")
    assert Decimal(str(spent["spend_all"])) == Decimal("49.95")


def test_lines_take_the_defaults_tills_leave_out(api: Api) -> None:
    sale = api.ok(
        "POST",
        "/transactions",
        json={"transacted_at": "2026-03-01 10:00:00", "items": [{"sku": "S-9", "price_sell": "12.50"}]},
    )
    [line] = sale["items"]
    assert (line["name"], line["quantity"], Decimal(str(line["price_current"]))) == ("S-9", 1, Decimal("12.50"))
    assert sale["timezone"] == "UTC" and Decimal(str(sale["total"])) == Decimal("12.50")


def test_auth_answers_what_the_sdk_reads(api: Api, tenant: TenantInfo) -> None:
    made = api.http.post("/auth/api-tokens", json={"name": "pos", "scopes": ["read-profiles"]}).json()
    assert made["token"]["expires_at"] is not None and made["accessToken"]
    tokens = api.get("/auth/access-tokens").json()
    assert isinstance(tokens, list) and made["token"]["id"] in [t["id"] for t in tokens]
    assert {"id", "user_id", "client_id", "name", "scopes", "revoked", "expires_at", "usage"} <= set(tokens[0])
    assert api.get("/auth/access-tokens", params={"type": "api"}).json() == tokens
    assert api.get("/auth/access-tokens", params={"type": "personal"}).json() == []
    assert Api(tenant, made["accessToken"]).get("/auth/verify").json()["status"] == 200
    for bearer in ("BAD-TOKEN", None):
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        answer = httpx.get(f"{tenant.server.api_url}/auth/verify", headers=headers)
        assert (answer.status_code, answer.json()) == (401, {"message": "Unauthenticated."})


def test_a_doubled_slash_reaches_the_route_it_means(api: Api, tenant: TenantInfo) -> None:
    profile = api.ok("POST", "/profiles", json={"email": "slash@example.com"})
    api.ok("POST", f"/profiles/{profile['id']}/identities", json={"handle": "pos", "identifier": "P-1"})
    token = mint(tenant, id=profile["id"])["token"]
    with id_client(tenant, token) as http:
        answer = http.get(f"{http.base_url}/profiles/me/identities".replace("/profiles", "//profiles"))
    assert answer.status_code == 200, answer.text
    assert [i["identifier"] for i in answer.json()["data"]] == ["P-1"]
    assert api.get(f"{tenant.server.api_url}//profiles/{profile['id']}").json()["data"]["id"] == profile["id"]


def test_searches_answer_profiles_with_their_balances(api: Api) -> None:
    api.ok("POST", "/rewards/definitions", json={"name": "Ten", "handle": "ten", "type": "bonus", "value": 10})
    profile = api.ok("POST", "/profiles", json={"email": "held@example.com"})
    api.ok("POST", f"/profiles/{profile['id']}/identities", json={"handle": "pos", "identifier": "HELD-1"})
    api.ok("POST", "/rewards", json={"profile_id": profile["id"], "reward_definition_handle": "ten"})
    full = api.ok("GET", f"/profiles/{profile['id']}")
    assert full["reward_balance"] == 10
    assert api.ok("GET", "/profiles", params={"filter[email]": "held@example.com"}) == [full]
    assert api.ok("GET", "/identities/search", params={"identifier": "HELD-1"}) == [full]
    assert api.ok("GET", "/identities/search-profile/HELD-1") == [full]


def test_error_messages_read_like_omneo(api: Api) -> None:
    wrong_zone = api.fails(422, "POST", "/transactions", json=_sale(timezone="Mars/Olympus"))
    assert wrong_zone["errors"]["timezone"] == [
        "The timezone must be a valid IANA timezone (e.g. Australia/Melbourne)."
    ]
    wrong_type = api.fails(422, "POST", "/profiles", json={"email": "t@example.com", "first_name": ["Ann"]})
    assert wrong_type["errors"]["first_name"] == ["The first name must be a string."]
    as_form = api.fails(
        422, "POST", "/profiles", content=b'{"email": "f@example.com"}', headers={"Content-Type": "text/plain"}
    )
    assert as_form["message"] == "The request body must be JSON, sent with Content-Type: application/json."
    for body in (wrong_zone, wrong_type, as_form):
        for message in (body["message"], *(m for ms in body["errors"].values() for m in ms)):
            assert not message.startswith(("Value error", "Input should")), message


def test_tier_points_without_an_issue_time_are_issued_now(api: Api) -> None:
    definition = api.ok("POST", "/points/definitions", json={"name": "Tier", "handle": "tier", "type": "tier"})
    profile = api.ok("POST", "/profiles", json={"email": "tier@example.com"})
    point = api.ok(
        "POST", "/tiers/points", json={"profile_id": profile["id"], "point_definition_id": definition["id"], "value": 5}
    )
    assert point["issued_at"] == point["accrued_at"] and point["issued_at"] is not None


def test_a_setting_without_a_type_takes_its_values(api: Api) -> None:
    sent = {"flag": True, "per_dollar": 4, "rate": 0.5, "shape": {"a": 1}, "greeting": "Hi"}
    for handle, value in sent.items():
        api.ok("POST", "/settings", json={"handle": handle, "value": value})
    types = {s["handle"]: s["type"] for s in api.get("/settings").json()["data"]}
    assert types == {"flag": "boolean", "per_dollar": "integer", "rate": "float", "shape": "json", "greeting": "string"}
    assert {e["handle"]: e["value"] for e in api.ok("GET", "/settings/environment")} == sent


def test_a_country_named_by_its_code_alone(api: Api) -> None:
    country = api.ok("POST", "/countries", json={"iso_2": "nz"})
    assert (country["name"], country["iso_3"], country["iso_numeric"]) == ("New Zealand", "NZL", "554")
    api.fails(422, "POST", "/countries", json={"iso_2": "QQ"})  # ISO does not know it: say what it is
    assert api.ok("POST", "/countries", json={"iso_2": "QQ", "name": "Q", "iso_3": "QQQ", "iso_numeric": "999"})


def test_a_total_left_out_must_fit_like_a_sent_one(api: Api) -> None:
    line = {"sku": "BIG", "quantity": 100000, "price_sell": "9999999999.99"}
    before = api.get("/transactions").json()["meta"]["total"]
    refused = api.fails(422, "POST", "/transactions", json={"transacted_at": "2026-03-01 10:00:00", "items": [line]})
    assert "too large" in refused["message"]
    assert api.get("/transactions").json()["meta"]["total"] == before


def test_redemptions_and_ledger_entries_name_the_profile_with_its_statuses(api: Api) -> None:
    api.ok("POST", "/statuses", json={"handle": "gold", "name": "Gold"})
    api.ok("POST", "/rewards/definitions", json={"name": "Ten", "handle": "ten", "type": "bonus", "value": 10})
    profile = api.ok("POST", "/profiles", json={"email": "vip@example.com", "first_name": "Vi", "statuses": ["gold"]})
    api.ok("POST", "/rewards", json={"profile_id": profile["id"], "reward_definition_handle": "ten"})
    redeemed = api.ok("POST", f"/profiles/{profile['id']}/redeem", json={"amount": "1"})
    assert redeemed["profile"]["statuses"] == ["gold"] and redeemed["profile"]["full_name"] == "Vi Unknown"
    entries = api.ok("GET", f"/profiles/{profile['id']}/ledgers")
    assert {e["profile"]["statuses"] == ["gold"] for e in entries} == {True}


# --- read-modify-write and Laravel's reading of input (the second survey) ----------------------------


def test_what_a_get_answered_can_be_put_back(api: Api, tenant: TenantInfo) -> None:
    """Clients read a record, change one thing and send the whole record back."""
    profile = api.ok("POST", "/profiles", json={"email": "roundtrip@example.com"})
    pid = profile["id"]
    comms = api.ok("GET", f"/profiles/{pid}/attributes/comms")
    assert "profile_id" in comms  # what a GET answers besides the flags is ignored when sent back
    changed = api.ok("PUT", f"/profiles/{pid}/attributes/comms", json={**comms, "email_promo": True})
    assert changed["email_promo"] is True
    assert api.ok("PUT", f"/profiles/{pid}/comms", json={"email_promo": False, "profile_id": pid})
    setting = api.ok("POST", "/settings", json={"handle": "rate", "type": "float", "value": 0.01})
    again = api.ok("PUT", "/settings/rate", json={"type": setting["type"], "value": "0.01"})
    assert (again["type"], again["value"]) == ("float", setting["value"])
    tx = api.ok("POST", "/transactions", json=_sale(external_id="rt-1"))
    read = api.ok("GET", f"/transactions/{tx['id']}")
    updated = api.ok("PUT", f"/transactions/{tx['id']}", json={**read, "status": "checked"})
    assert updated["status"] == "checked"
    # What was sold still cannot change.
    other_lines = [{**read["items"][0], "quantity": 3}]
    body = api.fails(422, "PUT", f"/transactions/{tx['id']}", json={**read, "items": other_lines})
    assert list(body["errors"]) == ["items"]


def test_sale_amounts_are_rounded_to_cents_not_refused(api: Api) -> None:
    line = {"sku": "R1", "quantity": 1, "price_sell": "2.499", "price_tax": "0.181818"}
    tx = api.ok(
        "POST", "/transactions", json=_sale(external_id="cents", total="10.005", rounding="0.001", items=[line])
    )
    assert (Decimal(str(tx["total"])), Decimal(str(tx["rounding"]))) == (Decimal("10.01"), Decimal("0.00"))
    assert [(Decimal(str(i["price_sell"])), Decimal(str(i["price_tax"]))) for i in tx["items"]] == [
        (Decimal("2.50"), Decimal("0.18"))
    ]


def test_empty_text_is_null_and_null_is_not_sent(api: Api) -> None:
    """Laravel's ConvertEmptyStringsToNull: ``""`` reads as null, and null where a field cannot be
    null takes the field's default (or says it is required)."""
    profile = api.ok(
        "POST",
        "/profiles",
        json={"email": "nulls@example.com", "first_name": None, "gender": "", "birth_day": "", "joined_at": ""},
    )
    assert (profile["first_name"], profile["gender"], profile["birth_day"]) == ("Unknown", None, None)
    line = {"sku": "N1", "quantity": None, "name": None, "price_sell": 5}
    tx = api.ok("POST", "/transactions", json=_sale(external_id="nulls", timezone=None, systems=None, items=[line]))
    assert (tx["timezone"], tx["items"][0]["quantity"], tx["items"][0]["name"]) == ("UTC", 1, "N1")
    body = api.fails(422, "POST", "/profiles", json={"email": ""})
    assert body["errors"]["email"] == ["The email field is required."]


def test_one_value_for_a_list_and_choices_in_any_case(api: Api) -> None:
    profile = api.ok("POST", "/profiles", json={"email": "shapes@example.com", "tags": "vip", "gender": "Male"})
    assert (profile["tags"], profile["gender"]) == (["vip"], "male")
    tx = api.ok("POST", "/transactions", json=_sale(external_id="one-system", systems="pos"))
    assert tx["systems"] == ["pos"]
    # A line sold nothing (a free bag, a note at the till): the spec sets no rule against it.
    free = {"sku": "BAG", "quantity": 0, "price_sell": 0}
    assert (
        api.ok("POST", "/transactions", json=_sale(external_id="free-line", items=[free]))["items"][0]["quantity"] == 0
    )


def test_what_the_spec_lists_as_required_but_a_request_does_without(api: Api) -> None:
    store = api.ok("POST", "/locations", json={"name": "Pop-up", "country_iso_3": "AU"})
    assert (store["phone"], store["country_iso_3"]) == (None, "AUS")
    region = api.ok("POST", "/regions", json={"name": "Asia Pacific"})
    assert region["handle"] == "asia-pacific"
    assert "handle" in api.fails(422, "POST", "/regions", json={"is_default": False})["errors"]
    country = api.ok("POST", "/countries", json={"iso_2": "AU", "iso_numeric": 36})
    assert country["iso_numeric"] == "036"
    profile = api.ok("POST", "/profiles", json={"email": "nopostcode@example.com"})
    address = api.ok(
        "POST",
        f"/profiles/{profile['id']}/addresses",
        json={"address_line_1": "1 Queen's Road", "city": "Hong Kong", "country": "HK"},
    )
    assert (address["postcode"], address["country"]) == ("", "HK")
    field = api.ok(
        "POST", f"/custom-fields/profile/{profile['id']}", json={"namespace": "pos", "handle": "lane", "value": 3}
    )
    assert (field["type"], field["value"]) == ("integer", 3)


def test_achievement_and_profile_details_left_out(api: Api) -> None:
    levels = [{"trigger": 1}, {"trigger": 5, "name": None}]
    made = api.ok("POST", "/achievements/definitions", json={"name": "Steps", "handle": "steps", "levels": levels})
    assert [(level["display_number"], level["name"]) for level in made["levels"]] == [(1, None), (2, None)]
    profile = api.ok("POST", "/profiles", json={"email": "zero@example.com", "birth_day": 0, "birth_month": "0"})
    assert (profile["birth_day"], profile["birth_month"]) == (None, None)
    earned = api.ok("POST", f"/profiles/{profile['id']}/achievements", json={"definition_id": made["id"]})
    assert earned["count"] == 1
    by_handle = api.ok("POST", f"/profiles/{profile['id']}/achievements", json={"definition_handle": "steps"})
    assert by_handle["count"] == 2
    api.ok("POST", "/points/definitions", json={"name": "Tier", "handle": "tier", "type": "tier"})
    tier_point = {"profile_id": profile["id"], "point_definition_handle": "tier", "value": 10}
    assert Decimal(str(api.ok("POST", "/tiers/points", json=tier_point)["value"])) == 10
    body = api.fails(422, "POST", "/tiers/points", json={"profile_id": profile["id"], "value": 10})
    assert list(body["errors"]) == ["point_definition_id"]


def test_an_unreadable_date_is_worded_as_laravel_words_it(api: Api) -> None:
    body = api.fails(422, "POST", "/transactions", json=_sale(transacted_at="next tuesday"))
    assert body["errors"]["transacted_at"] == ["The transacted at is not a valid date."]


def test_subscriptions_lists_and_templates_in_the_forms_clients_write(api: Api, tenant: TenantInfo) -> None:
    hook = api.ok(
        "POST", "/webhooks", json={"trigger": "profile.*", "url": "https://example.com/hook", "namespace": "crm"}
    )
    api.ok("POST", "/profiles", json={"email": "prefix@example.com"})
    tenant.work()
    assert [d["event_type"] for d in api.ok("GET", f"/webhooks/{hook['id']}/deliveries")] == ["profile.created"]
    assert "trigger" in api.fails(422, "POST", "/webhooks", json={**hook, "trigger": "profile"})["errors"]
    region = api.ok("POST", "/regions", json={"handle": "anz", "countries": ["AU", "NZL"]})
    assert [c["iso_2"] for c in region["countries"]] == ["AU", "NZ"]
    product = api.ok(
        "POST",
        "/products",
        json={"title": "Tee", "handle": "tee", "brand": "B", "images": ["https://example.com/tee.png"]},
    )
    assert [image["url"] for image in product["images"]] == ["https://example.com/tee.png"]
    target = api.ok(
        "POST",
        "/targets",
        json={"name": "CRM", "handle": "crm", "url": "https://example.com/t", "template": {"id": "{{ profile.id }}"}},
    )
    assert target["template"] == '{"id":"{{ profile.id }}"}'


def test_a_sale_answers_the_tier_points_it_earned_and_its_stores_custom_fields(api: Api) -> None:
    api.ok("POST", "/tiers/definitions", json={"name": "Base", "handle": "base", "value_min": 0, "is_floor": True})
    api.ok("POST", "/points/definitions", json={"name": "Tier", "handle": "tier", "type": "tier"})
    api.ok("POST", "/rates", json={"point_definition_handle": "tier", "rate": "1"})
    store = api.ok("POST", "/locations", json={"name": "Store", "external_code": "S9"})
    assert store["custom_fields"] == []
    api.ok("POST", f"/locations/{store['id']}/custom-fields", json={"namespace": "ops", "handle": "zone", "value": "N"})
    profile = api.ok("POST", "/profiles", json={"email": "tiered@example.com"})
    tx = api.ok("POST", "/transactions", json=_sale(external_id="tiered", profile_id=profile["id"], location_id="S9"))
    assert [(Decimal(str(p["value"])), p["transaction_id"]) for p in tx["tier_points"]] == [(Decimal("50"), tx["id"])]
    assert [(f["handle"], f["value"]) for f in tx["location"]["custom_fields"]] == [("zone", "N")]
    read = api.ok("GET", f"/transactions/{tx['id']}")
    assert (read["tier_points"], read["location"]["custom_fields"]) == (
        tx["tier_points"],
        tx["location"]["custom_fields"],
    )
    assert api.ok("GET", f"/locations/{store['id']}")["custom_fields"] == tx["location"]["custom_fields"]
