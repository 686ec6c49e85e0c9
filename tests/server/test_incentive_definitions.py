"""Incentive definitions and rates over HTTP: CRUD of every kind, lookup by handle, clones, the
checks that refuse bad definitions (writing nothing), rate resolution through ``POST
/rates/calculate``, and the JSON Logic wrapper against the shared JsonLogic cases."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.domain import jsonlogic
from omneo_server.domain.errors import Invalid
from omneo_server.domain.incentives.rates import points_for
from omneo_server.wire import loads
from tests.conftest import Clock, TenantInfo
from tests.server.api import Api
from tests.server.test_custom_fields import events


@pytest.fixture
def api(tenant: TenantInfo) -> Api:
    return Api(tenant)


# --- bodies --------------------------------------------------------------------------------------


def reward(handle: str = "welcome", **extra: Any) -> dict[str, Any]:
    body = {"name": "Welcome $10", "handle": handle, "value": 10, "type": "activation", "period": 30}
    return {**body, "absolute_expiry": None, **extra}


def benefit(handle: str = "free-coffee", **extra: Any) -> dict[str, Any]:
    return {"name": "Free coffee", "handle": handle, "period": 7, "absolute_expiry": None, **extra}


def point(handle: str = "pts", **extra: Any) -> dict[str, Any]:
    return {"name": "Points", "handle": handle, **extra}


def credit(handle: str = "gift", **extra: Any) -> dict[str, Any]:
    body = {"name": "Gift card", "handle": handle, "type": "gift_card", "absolute_expiry": None}
    return {
        **body,
        "credit_number_range_start": None,
        "credit_number_range_end": None,
        "release_period_absolute_expiry": None,
        **extra,
    }


def tier(handle: str = "gold", value_min: Any = 1000, **extra: Any) -> dict[str, Any]:
    return {"name": handle.title(), "handle": handle, "value_min": value_min, **extra}


def level(trigger: int, name: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "name": name or f"Level {trigger}",
        "display_number": trigger,
        "trigger": trigger,
        "repeat_interval": 0,
        **extra,
    }


def achievement(handle: str = "visits", *levels: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "Visits", "handle": handle, "levels": list(levels) or [level(1), level(5)], **extra}


KINDS: list[tuple[str, str, Any, dict[str, Any], str]] = [
    # (path, scope noun, body maker, an update, the event)
    ("/rewards/definitions", "reward", reward, {"value": 15, "max_value": 20}, "reward_definition"),
    ("/reward-definitions", "reward", reward, {"type": "birthday"}, "reward_definition"),
    ("/benefits/definitions", "benefit", benefit, {"type": "discount", "max_redemptions": 3}, "benefit_definition"),
    ("/points/definitions", "point", point, {"type": "tier", "issue_period": 14}, "point_definition"),
    ("/credits/definitions", "credit", credit, {"security_code_type": "pin6"}, "credit_definition"),
    ("/tiers/definitions", "tier", tier, {"value_maintain": 800}, "tier_definition"),
    ("/achievements/definitions", "achievement", achievement, {"display_option": "mystery"}, "achievement_definition"),
]
COMMON = {
    "id", "name", "handle", "description", "short_description", "long_description", "terms_conditions",
    "earn_instructions", "internal_notes", "icon", "image_url", "is_published", "is_archived", "currency",
    "region_id", "region", "tags", "meta", "created_at", "updated_at",
}  # fmt: skip


# --- CRUD ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "noun", "make", "change", "event"), KINDS, ids=[k[0] for k in KINDS])
def test_definition_round_trip(
    api: Api, tenant: TenantInfo, path: str, noun: str, make: Any, change: dict[str, Any], event: str
) -> None:
    created = api.ok("POST", path, json=make(tags=["launch"], meta={"source": "test"}))
    assert set(created) >= COMMON, COMMON - set(created)
    assert (created["tags"], created["meta"], created["region"]) == (["launch"], {"source": "test"}, None)
    assert created["is_published"] is True and created["is_archived"] is False
    key = created["id"]
    assert api.ok("GET", f"{path}/{key}") == created
    assert api.ok("GET", f"{path}/handle/{created['handle']}") == created
    listed = api.get(path, params={"filter[handle]": created["handle"], "sort": "-id"}).json()
    assert listed["meta"]["total"] == 1 and listed["data"] == [created]

    updated = api.ok("PUT", f"{path}/{key}", json=change)
    for name, value in change.items():
        assert updated[name] == value, name
    assert updated["handle"] == created["handle"]
    assert api.ok("GET", f"{path}/{key}") == updated

    api.ok("DELETE", f"{path}/{key}")
    api.fails(404, "GET", f"{path}/{key}")
    api.fails(404, "GET", f"{path}/handle/{created['handle']}")
    api.fails(404, "DELETE", f"{path}/{key}")
    assert [name for name, _ in events(tenant)] == [f"{event}.created", f"{event}.updated", f"{event}.deleted"]

    # The scopes are {verb}-{noun}-definitions.
    reader = Api(tenant, tenant.mint(f"read-{noun}-definitions"))
    assert reader.get(path).status_code == 200
    reader.fails(403, "POST", path, json=make())


def test_rates_round_trip(api: Api, tenant: TenantInfo) -> None:
    definition = api.ok("POST", "/points/definitions", json=point())
    body = {"point_definition_handle": "pts", "rate": "0.1234567", "name": "Base", "code": "A1", "meta": {"k": 1}}
    rate = api.ok("POST", "/rates", json=body)
    assert (rate["point_definition_id"], rate["is_published"], rate["is_archived"]) == (definition["id"], True, False)
    assert '"rate":0.123457,' in api.get(f"/rates/{rate['id']}").text  # six places, half up
    assert api.ok("PUT", f"/rates/{rate['id']}", json={"rate": 2, "country_iso_2": "au"})["country_iso_2"] == "AU"
    assert api.get("/rates", params={"filter[code]": "A1"}).json()["meta"]["total"] == 1
    api.ok("DELETE", f"/rates/{rate['id']}")
    api.fails(404, "GET", f"/rates/{rate['id']}")
    assert [name for name, _ in events(tenant)][-3:] == ["rate.created", "rate.updated", "rate.deleted"]
    # A point definition's rates go with it.
    kept = api.ok("POST", "/rates", json={"point_definition_id": definition["id"], "rate": 1})
    api.ok("DELETE", f"/points/definitions/{definition['id']}")
    api.fails(404, "GET", f"/rates/{kept['id']}")


def test_money_is_cents_and_region_is_rendered(api: Api) -> None:
    region = api.ok("POST", "/regions", json={"handle": "anz", "name": "ANZ", "countries": [{"iso_2": "NZ"}]})
    made = api.ok("POST", "/rewards/definitions", json=reward(value="10.005", max_value=25, region_id=region["id"]))
    raw = api.get(f"/rewards/definitions/{made['id']}").text
    assert '"value":10.01,' in raw and '"max_value":25.00,' in raw
    assert made["region"] == {"id": region["id"], "name": "ANZ", "handle": "anz"}
    listed = api.ok("GET", "/rewards/definitions")
    assert listed[0]["region"] == made["region"]
    assert "region_id" in api.fails(422, "POST", "/rewards/definitions", json=reward("r2", region_id=999_999))["errors"]


def test_benefit_computed_fields_and_clone(api: Api, tenant: TenantInfo) -> None:
    condition = {">=": [{"var": "aggregations.spend_12m"}, 100]}
    made = api.ok(
        "POST",
        "/benefits/definitions",
        json=benefit(max_global_redemptions=50, claim_condition=condition, campaign="x"),
    )
    assert made["total_global_redemptions_remaining"] == 50
    assert (made["total_allocations"], made["total_allocations_remaining"], made["same_campaign_count"]) == (
        None,
        None,
        0,
    )
    assert made["claim_condition"] == condition

    async def spend() -> None:  # as if 12 had been redeemed
        async with tenant.server.db.write() as session:
            row = await session.get(t.BenefitDefinition, made["id"])
            assert row is not None
            row.total_global_redemptions, row.total_global_created = 12, 20

    tenant.server.run(spend())
    assert api.ok("GET", f"/benefits/definitions/{made['id']}")["total_global_redemptions_remaining"] == 38

    copy = api.ok("POST", f"/benefits/definitions/{made['id']}/clone", json={"handle": "free-coffee-2"})
    assert copy["id"] != made["id"] and (copy["handle"], copy["name"]) == ("free-coffee-2", "Free coffee")
    assert (copy["claim_condition"], copy["campaign"], copy["max_global_redemptions"]) == (condition, "x", 50)
    assert (copy["total_global_redemptions"], copy["total_global_created"]) == (0, 0)
    assert copy["total_global_redemptions_remaining"] == 50
    named = api.ok("POST", f"/benefits/definitions/{made['id']}/clone", json={"handle": "tea", "name": "Free tea"})
    assert named["name"] == "Free tea"
    before = tenant.row_counts()
    assert (
        "handle"
        in api.fails(422, "POST", f"/benefits/definitions/{made['id']}/clone", json={"handle": "tea"})["errors"]
    )
    assert "handle" in api.fails(422, "POST", f"/benefits/definitions/{made['id']}/clone", json={})["errors"]
    api.fails(404, "POST", "/benefits/definitions/999999/clone", json={"handle": "nope"})
    assert tenant.row_counts() == before
    rewarded = api.ok("POST", "/rewards/definitions", json=reward())
    assert api.ok("POST", f"/rewards/definitions/{rewarded['id']}/clone", json={"handle": "welcome-2"})["value"] == 10


def test_achievement_levels_are_sorted_with_stable_ids(api: Api) -> None:
    made = api.ok("POST", "/achievements/definitions", json=achievement("visits", level(10), level(1), level(5)))
    assert [(lv["id"], lv["trigger"]) for lv in made["levels"]] == [(1, 1), (2, 5), (3, 10)]
    first = made["levels"][0]
    assert first["achievement_definition_id"] == made["id"]
    assert (first["computed_display_number"], first["computed_trigger"]) == (1, 1)
    assert first["repeats"] is False and first["allow_multiple_earn"] is False
    # Renaming a level by id, adding one between, dropping one: the others keep their ids.
    levels = [{**level(1), "id": 1, "name": "Starter"}, level(3), level(10)]
    updated = api.ok("PUT", f"/achievements/definitions/{made['id']}", json={"levels": levels})
    assert [(lv["id"], lv["trigger"], lv["name"]) for lv in updated["levels"]] == [
        (1, 1, "Starter"), (4, 3, "Level 3"), (3, 10, "Level 10"),
    ]  # fmt: skip


def test_tiers_have_one_floor_at_zero(api: Api, tenant: TenantInfo) -> None:
    floor = api.ok("POST", "/tiers/definitions", json=tier("base", 0, is_floor=True))
    gold = api.ok("POST", "/tiers/definitions", json=tier("gold", "1000.005", value_maintain=800))
    assert gold["value_min"] == 1000.01 and gold["value_maintain"] == 800  # maintaining may be easier
    before = tenant.row_counts()
    assert "is_floor" in api.fails(422, "POST", "/tiers/definitions", json=tier("floor2", 0, is_floor=True))["errors"]
    assert (
        "is_floor"
        in api.fails(422, "PUT", f"/tiers/definitions/{gold['id']}", json={"is_floor": True, "value_min": 0})["errors"]
    )
    assert "value_min" in api.fails(422, "POST", "/tiers/definitions", json=tier("silver", 5, is_floor=True))["errors"]
    assert "value_min" in api.fails(422, "PUT", f"/tiers/definitions/{floor['id']}", json={"value_min": 10})["errors"]
    assert tenant.row_counts() == before
    assert api.ok("PUT", f"/tiers/definitions/{floor['id']}", json={"name": "Base tier"})["is_floor"] is True


# --- refusals ------------------------------------------------------------------------------------

ENORMOUS = {"in": [{"var": "sku"}, [f"SKU-{n:08d}" for n in range(2000)]]}
DEEP: dict[str, Any] = {"!": True}
for _ in range(40):
    DEEP = {"!": DEEP}

REFUSED: list[tuple[str, dict[str, Any], str]] = [
    ("/rewards/definitions", reward(type="fixed"), "type"),
    ("/rewards/definitions", reward(value=-1), "value"),
    ("/rewards/definitions", reward(period_type="fortnights"), "period_type"),
    ("/rewards/definitions", reward(handle="not a handle"), "handle"),
    ("/rewards/definitions", reward(value="NaN"), "value"),
    ("/benefits/definitions", benefit(type="coupon"), "type"),
    ("/benefits/definitions", benefit(claim_condition={"frobnicate": [1]}), "claim_condition"),
    ("/benefits/definitions", benefit(view_condition="{not json"), "view_condition"),
    ("/benefits/definitions", benefit(claim_condition=ENORMOUS), "claim_condition"),
    ("/benefits/definitions", benefit(claim_condition=DEEP), "claim_condition"),
    ("/benefits/definitions", benefit(max_redemptions=-2), "max_redemptions"),
    (
        "/benefits/definitions",
        benefit(claim_period_start_at="2025-02-01 00:00:00", claim_period_end_at="2025-01-01 00:00:00"),
        "claim_period_end_at",
    ),
    ("/points/definitions", point(type="cash"), "type"),
    ("/points/definitions", point(issue_period_type="fortnights"), "issue_period_type"),
    ("/credits/definitions", credit(type="cheque"), "type"),
    ("/credits/definitions", credit(credit_number_range_type="odd"), "credit_number_range_type"),
    ("/credits/definitions", credit(security_code_type="pin5"), "security_code_type"),
    ("/credits/definitions", credit(value=-5), "value"),
    ("/credits/definitions", credit(timezone="Mars/Olympus"), "timezone"),
    ("/tiers/definitions", tier(value_min=-1), "value_min"),
    ("/tiers/definitions", {"name": "No min", "handle": "nomin"}, "value_min"),
    ("/achievements/definitions", achievement("dup", level(5), level(5)), "levels"),
    ("/achievements/definitions", achievement("zero", level(0)), "levels.0.trigger"),
    ("/achievements/definitions", achievement("neg", level(-3)), "levels.0.trigger"),
    ("/achievements/definitions", {**achievement(), "levels": []}, "levels"),
    ("/achievements/definitions", achievement(display_option="secret"), "display_option"),
    ("/achievements/definitions", achievement(period="hourly"), "period"),
    ("/rates", {"rate": 1}, "point_definition_id"),
    ("/rates", {"point_definition_handle": "nope", "rate": 1}, "point_definition_handle"),
    ("/rates", {"point_definition_handle": "pts", "rate": -1}, "rate"),
    ("/rates", {"point_definition_handle": "pts"}, "rate"),
    ("/rates", {"point_definition_handle": "pts", "rate": 1, "profile_conditions": {"==": [1]}}, "profile_conditions"),
    (
        "/rates",
        {"point_definition_handle": "pts", "rate": 1, "product_conditions": {"a": 1, "b": 2}},
        "product_conditions",
    ),
    ("/rates", {"point_definition_handle": "pts", "rate": 1, "product_conditions": ENORMOUS}, "product_conditions"),
    ("/rates", {"point_definition_handle": "pts", "rate": 1, "rate_priority": "price"}, "rate_priority"),
    ("/rates", {"point_definition_handle": "pts", "rate": 1, "issue_period_type": "minutes"}, "issue_period_type"),
    ("/rates", {"point_definition_handle": "pts", "rate": 1, "location_id": 999_999}, "location_id"),
    (
        "/rates",
        {"point_definition_handle": "pts", "rate": 1, "start_time": "2025-02-01", "end_time": "2025-01-01"},
        "end_time",
    ),
]


def test_bad_definitions_are_422_and_write_nothing(api: Api, tenant: TenantInfo) -> None:
    api.ok("POST", "/points/definitions", json=point())
    api.ok("POST", "/rewards/definitions", json=reward())
    before = tenant.row_counts()
    for path, body, field in REFUSED:
        errors = api.fails(422, "POST", path, json=body)["errors"]
        assert field in errors, (path, body, errors)
    # A handle is unique per tenant.
    assert api.fails(422, "POST", "/rewards/definitions", json=reward())["errors"]["handle"] == [
        "The handle has already been taken."
    ]
    assert tenant.row_counts() == before


def test_bad_updates_are_422_and_write_nothing(api: Api, tenant: TenantInfo) -> None:
    made = api.ok("POST", "/rewards/definitions", json=reward())
    api.ok("POST", "/rewards/definitions", json=reward("other"))
    api.ok("POST", "/points/definitions", json=point())
    rate = api.ok("POST", "/rates", json={"point_definition_handle": "pts", "rate": 1, "start_time": "2025-01-01"})
    before = tenant.row_counts()
    path = f"/rewards/definitions/{made['id']}"
    assert "handle" in api.fails(422, "PUT", path, json={"handle": "other"})["errors"]
    assert "type" in api.fails(422, "PUT", path, json={"type": None})["errors"]
    assert "value" in api.fails(422, "PUT", path, json={"value": -0.01})["errors"]
    rate_path = f"/rates/{rate['id']}"
    assert "end_time" in api.fails(422, "PUT", rate_path, json={"end_time": "2024-12-31 00:00:00"})["errors"]
    assert "profile_conditions" in api.fails(422, "PUT", rate_path, json={"profile_conditions": {"nope": []}})["errors"]
    assert "point_definition_id" in api.fails(422, "PUT", rate_path, json={"point_definition_id": None})["errors"]
    assert "rate" in api.fails(422, "PUT", rate_path, json={"rate": None})["errors"]
    assert "levels" in api.fails(422, "PUT", "/achievements/definitions/1", json={"levels": []})["errors"]
    assert tenant.row_counts() == before


def test_a_definition_with_issued_instances_cannot_be_deleted(api: Api, tenant: TenantInfo) -> None:
    made = api.ok("POST", "/rewards/definitions", json=reward())
    pid = api.ok("POST", "/profiles", json={"email": f"{uuid.uuid4().hex[:8]}@example.com"})["id"]

    async def issue() -> None:
        async with tenant.server.db.write() as session:
            now = clock.now()
            session.add(
                t.Reward(
                    tenant_id=tenant.id,
                    profile_id=pid,
                    reward_definition_id=made["id"],
                    value_initial=Decimal(10),
                    value_remaining=Decimal(10),
                    issued_at=now,
                )
            )

    tenant.server.run(issue())
    before = tenant.row_counts()
    body = api.fails(422, "DELETE", f"/rewards/definitions/{made['id']}")
    assert "archive" in body["message"]
    assert tenant.row_counts() == before
    assert api.ok("PUT", f"/rewards/definitions/{made['id']}", json={"is_archived": True})["is_archived"] is True


# --- rates ---------------------------------------------------------------------------------------


def total(api: Api, **body: Any) -> Any:
    response = api.post("/rates/calculate", json={"point_definition_handle": "pts", "amount": 100, **body})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"total"}
    return answer["total"]


def add_rate(api: Api, rate: Any, **extra: Any) -> dict[str, Any]:
    made: dict[str, Any] = api.ok("POST", "/rates", json={"point_definition_handle": "pts", "rate": rate, **extra})
    return made


def test_rates_by_place_and_code(api: Api) -> None:
    api.ok("POST", "/points/definitions", json=point())
    api.ok("POST", "/points/definitions", json=point("other"))
    shop = api.ok(
        "POST", "/locations", json={"name": "Melbourne", "phone": "+61390000000", "address": {"country": "AU"}}
    )
    api.ok("POST", "/countries", json={"name": "New Zealand", "iso_2": "NZ", "iso_3": "NZL", "iso_numeric": "554"})
    nz = api.ok("POST", "/locations", json={"name": "Auckland", "phone": "+6490000000", "country_iso_3": "NZL"})
    anz = api.ok("POST", "/regions", json={"handle": "anz", "countries": [{"iso_2": "NZ"}]})
    assert total(api) == 100  # no rate: one point per dollar
    add_rate(api, 1)
    add_rate(api, 2, location_id=shop["id"])
    add_rate(api, 3, location_id=shop["id"], code="DOUBLE")
    regional = add_rate(api, "1.5", region_id=anz["id"])
    national = add_rate(api, "1.75", region_id=anz["id"], country_iso_2="NZ")
    assert total(api) == 100
    assert total(api, location_id=shop["id"]) == 200
    assert total(api, location_id=shop["id"], code="double") == 300
    assert total(api, location_id=shop["id"], code="OTHER") == 200
    assert total(api, code="DOUBLE") == 100  # the coded rate is for the shop only
    assert total(api, location_id=nz["id"]) == 175  # region + country beat region alone
    api.ok("PUT", f"/rates/{national['id']}", json={"is_archived": True})
    assert total(api, location_id=nz["id"]) == 150
    api.ok("PUT", f"/rates/{regional['id']}", json={"is_published": False})
    assert total(api, location_id=nz["id"]) == 100
    assert total(api, point_definition_handle="other", location_id=shop["id"]) == 100  # rates are per definition
    add_rate(api, "0.5", point_definition_handle="other")
    assert total(api, point_definition_handle="other", amount="33.33") == 16.67  # 16.665, half up
    assert total(api, point_definition_handle="other", amount="-20") == -10  # a return takes points back
    assert api.get("/rates/searchAttributes/code").json() == ["DOUBLE"]
    assert api.get("/rates/searchAttributes/location_id").json() == [shop["id"]]
    assert api.get("/rates/searchAttributes/country_iso_2").json() == ["NZ"]
    assert "attribute" in api.fails(422, "GET", "/rates/searchAttributes/tenant_id")["errors"]


def test_rates_in_their_window(api: Api, time_machine: Clock) -> None:
    api.ok("POST", "/points/definitions", json=point())
    now = clock.now()
    # Created first, so it wins the tie with the wildcard while it is live.
    add_rate(api, 2, start_time=str(now + timedelta(days=1)), end_time=str(now + timedelta(days=3)))
    add_rate(api, 1)
    add_rate(api, 3, code="PAST", end_time=str(now - timedelta(days=1)))
    assert total(api) == 100
    assert total(api, code="PAST") == 100
    time_machine.travel(timedelta(days=2))
    assert total(api) == 200
    time_machine.travel(timedelta(days=2))
    assert total(api) == 100


def test_rates_with_conditions_and_priority(api: Api) -> None:
    api.ok("POST", "/points/definitions", json=point())
    ada = api.ok("POST", "/profiles", json={"email": f"ada-{uuid.uuid4().hex[:6]}@example.com", "first_name": "Ada"})
    bob = api.ok("POST", "/profiles", json={"email": f"bob-{uuid.uuid4().hex[:6]}@example.com", "first_name": "Bob"})
    add_rate(api, 1)
    for_ada = add_rate(api, 2, profile_conditions={"==": [{"var": "first_name"}, "Ada"]}, rate_priority="profile")
    shoes_rule = {"and": [{"==": [{"var": "department"}, "shoes"]}, {">": [{"var": "price"}, 50]}]}
    add_rate(api, 3, product_conditions=shoes_rule, rate_priority="product")
    item = {"department": "shoes", "price": 99.95}
    assert total(api) == 100
    assert total(api, profile_id=ada["id"]) == 200  # ties with the wildcard; its priority breaks the tie
    assert total(api, profile_id=bob["id"]) == 100
    assert total(api, item=item) == 300
    assert total(api, item={**item, "price": 20}) == 100
    assert total(api, profile_id=bob["id"], item=item) == 300
    assert total(api, profile_id=ada["id"], item=item) == 200  # both favoured: the older
    api.ok("PUT", f"/rates/{for_ada['id']}", json={"rate_priority": None})
    assert total(api, profile_id=ada["id"], item=item) == 300
    api.ok("PUT", f"/rates/{for_ada['id']}", json={"rate_priority": "product"})  # it has no product conditions
    assert total(api, profile_id=ada["id"], item=item) == 300
    assert total(api, profile_id=ada["id"]) == 100  # and no longer beats the older wildcard
    # Conditions alone do not add specificity; a code does. A string is the JSON text of a rule.
    add_rate(api, 4, code="TXT", profile_conditions=json.dumps({"==": [{"var": "first_name"}, "Bob"]}))
    assert total(api, profile_id=bob["id"], code="TXT") == 400
    assert total(api, profile_id=ada["id"], code="TXT") == 100


def test_rate_calculation_refuses_unknown_references(api: Api, tenant: TenantInfo) -> None:
    api.ok("POST", "/points/definitions", json=point())
    assert "point_definition_id" in api.fails(422, "POST", "/rates/calculate", json={"amount": 1})["errors"]
    for body, field in [
        ({"point_definition_handle": "nope", "amount": 1}, "point_definition_handle"),
        ({"point_definition_id": 999_999, "amount": 1}, "point_definition_id"),
        ({"point_definition_handle": "pts", "amount": 1, "location_id": 999_999}, "location_id"),
        ({"point_definition_handle": "pts", "amount": 1, "profile_id": str(uuid.uuid4())}, "profile_id"),
        ({"point_definition_handle": "pts"}, "amount"),
        ({"point_definition_handle": "pts", "amount": "Infinity"}, "amount"),
    ]:
        assert field in api.fails(422, "POST", "/rates/calculate", json=body)["errors"], body
    reader = Api(tenant, tenant.mint("read-rates"))
    assert reader.post("/rates/calculate", json={"point_definition_handle": "pts", "amount": 5}).json() == {"total": 5}
    Api(tenant, tenant.mint("read-profiles")).fails(403, "POST", "/rates/calculate", json={"amount": 5})


def test_points_for_rounds_half_up_to_two_places() -> None:
    rate = t.Rate(rate=Decimal("0.125"))
    assert points_for(Decimal("100"), rate, None) == Decimal("12.50")
    assert points_for(Decimal("0.1"), rate, None) == Decimal("0.01")  # 0.0125
    assert points_for(Decimal("0.02"), rate, None) == Decimal("0.00")  # 0.0025
    assert points_for(Decimal("10"), None, Decimal(1)) == Decimal("10.00")
    assert points_for(Decimal("10"), None, None) == Decimal("0.00")


# --- JSON Logic ----------------------------------------------------------------------------------

#: Read with exact decimals, as the wrapper answers numbers.
SHARED = [
    c
    for c in loads((Path(__file__).parents[1] / "data" / "jsonlogic-tests.json").read_text())
    if not isinstance(c, str)
]
#: Case 4 is the literal rule ``"apple"``: our wrapper reads a string rule as the JSON text of a rule
#: (how Omneo stores conditions), so a bare word is a malformed rule, not a literal.
KNOWN_DIFFERENT = {4: "a string rule is read as JSON text, so the literal 'apple' is malformed"}


def test_jsonlogic_passes_the_shared_cases() -> None:
    assert len(SHARED) == 278
    for index, (rule, data, expected) in enumerate(SHARED):
        if index in KNOWN_DIFFERENT:
            assert SHARED[index][0] == "apple"
            assert jsonlogic.problem(rule) is not None
            continue
        assert jsonlogic.evaluate(rule, data) == expected, (index, rule, data)
        assert jsonlogic.problem(rule) is None, (index, rule)


def test_jsonlogic_wrapper() -> None:
    rule = {">": [{"var": "total"}, 50]}
    assert jsonlogic.truthy(rule, {"total": Decimal("50.01")}) is True  # Decimals are welcome
    assert jsonlogic.truthy(rule, {"total": Decimal("49.99")}) is False
    assert jsonlogic.truthy(None, {}) is True
    assert jsonlogic.truthy({"+": "x"}, {}) is False  # fails to evaluate: false, never raises
    assert jsonlogic.truthy("{broken", {}) is False
    assert jsonlogic.truthy({"var": "tags"}, {"tags": []}) is False  # JSON Logic truthiness
    assert jsonlogic.truthy({"var": "when"}, {"when": clock.now()}) is True
    assert jsonlogic.truthy(json.dumps(rule), {"total": 60}) is True
    jsonlogic.validate(None)
    jsonlogic.validate(rule)
    for bad in ({"unknown_op": [1]}, {"a": 1, "b": 2}, "{", ENORMOUS, DEEP):
        with pytest.raises(Invalid) as caught:
            jsonlogic.validate(bad, "claim_condition")
        assert list(caught.value.errors) == ["claim_condition"]
