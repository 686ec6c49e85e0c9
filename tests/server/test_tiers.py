"""Tiers and achievements over HTTP: tier points, the rolling 12-month window, attain, anniversary
maintenance with credit, manual assignment, and achievement counts, levels and unlocks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from omneo_server import clock
from omneo_server.domain.context import Ctx
from omneo_server.domain.incentives import tiers
from omneo_server.domain.incentives.periods import add_months
from omneo_server.settings import Settings
from omneo_server.wire import format_timestamp
from tests.conftest import Clock, TenantInfo
from tests.server.api import Api
from tests.server.test_custom_fields import events


@pytest.fixture
def api(tenant: TenantInfo) -> Api:
    return Api(tenant)


def ts(moment: datetime) -> str:
    value = format_timestamp(moment)
    assert value is not None
    return value


def programme(api: Api, **overrides: dict[str, Any]) -> dict[str, int]:
    """Bronze (floor), Silver (300, keep 250, assignable), Gold (1000, keep 800, not assignable),
    Platinum (2000, no credit); and a tier point definition. Answers their ids."""
    tiers = {
        "bronze": {"value_min": 0, "is_floor": True},
        "silver": {"value_min": 300, "value_maintain": 250},
        "gold": {"value_min": 1000, "value_maintain": 800, "is_assignable": False},
        "platinum": {"value_min": 2000, "disable_credit": True},
    }
    ids = {}
    for handle, fields in tiers.items():
        body = {"name": handle.title(), "handle": handle, **fields, **overrides.get(handle, {})}
        ids[handle] = api.ok("POST", "/tiers/definitions", json=body)["id"]
    ids["points"] = api.ok("POST", "/points/definitions", json={"name": "Tier", "handle": "tier", "type": "tier"})["id"]
    return ids


def new_profile(api: Api, email: str = "jane@example.com") -> str:
    profile_id: str = api.ok("POST", "/profiles", json={"email": email})["id"]
    return profile_id


def earn(api: Api, ids: dict[str, int], profile_id: str, value: Any, **extra: Any) -> dict[str, Any]:
    body = {"profile_id": profile_id, "point_definition_id": ids["points"], "value": value}
    body["issued_at"] = ts(clock.now())
    point: dict[str, Any] = api.ok("POST", "/tiers/points", json={**body, **extra})
    return point


def tier(api: Api, profile_id: str) -> dict[str, Any]:
    progress: dict[str, Any] = api.ok("GET", f"/profiles/{profile_id}/tiers")
    return progress


def handle(progress: dict[str, Any]) -> str | None:
    return progress["current_tier"]["handle"] if progress["current_tier"] else None


def tier_events(tenant: TenantInfo) -> list[tuple[str, str | None, str | None, str]]:
    return [
        (kind, payload["from"], payload["to"], payload["reason"])
        for kind, payload in events(tenant)
        if kind in ("tier.changed", "tier.achieved")
    ]


# --- attain --------------------------------------------------------------------------------------


def test_a_profile_starts_on_the_floor(api: Api, tenant: TenantInfo) -> None:
    programme(api)
    pid = new_profile(api)
    progress = tier(api, pid)
    assert handle(progress) == "bronze" and progress["is_floor"] is True
    assert progress["next_tier"]["handle"] == "silver" and progress["prev_tier"] is None
    assert (progress["next_progress"], progress["next_remain"], progress["total_points_12m"]) == (0, 300, 0)
    assert progress["anniversary_at"] is None and progress["assigned_at"] is None
    assert progress["achieved_at"] is not None and isinstance(progress["id"], int)
    assert tier(api, pid) == progress  # placed once
    assert api.ok("GET", f"/profiles/{pid}/tiers/calculate") == progress
    assert tier_events(tenant) == [("tier.changed", None, "bronze", "floor")]


def test_without_a_floor_a_profile_has_no_tier_until_it_qualifies(api: Api) -> None:
    ids = programme(api, bronze={"is_floor": False, "value_min": 100})
    pid = new_profile(api)
    progress = tier(api, pid)
    assert progress["current_tier"] is None and progress["id"] is None
    assert progress["next_tier"]["handle"] == "bronze" and progress["next_remain"] == 100
    earn(api, ids, pid, 150)
    assert handle(tier(api, pid)) == "bronze"


def test_attain_silver_then_gold_five_months_later(api: Api, tenant: TenantInfo, time_machine: Clock) -> None:
    """The domain-rules example: $500 → Silver (min 300); +$800 five months later → $1,300 → Gold."""
    ids = programme(api)
    pid = new_profile(api)
    first = earn(api, ids, pid, 500)
    silver = tier(api, pid)
    achieved = datetime.strptime(silver["achieved_at"], "%Y-%m-%d %H:%M:%S")
    issued = datetime.strptime(first["issued_at"], "%Y-%m-%d %H:%M:%S")
    assert handle(silver) == "silver" and silver["current_credit"] == 200
    assert silver["anniversary_at"] == ts(add_months(achieved, 12))
    assert (silver["next_tier"]["handle"], silver["next_remain"], silver["prev_tier"]["handle"]) == (
        "gold",
        500,
        "bronze",
    )
    assert silver["next_progress_change_at"] == ts(add_months(issued, 12))  # when the 500 drops out

    time_machine.travel(timedelta(days=152))
    start = clock.now()
    earn(api, ids, pid, 800)
    gold = tier(api, pid)
    reached = datetime.strptime(gold["achieved_at"], "%Y-%m-%d %H:%M:%S")
    assert handle(gold) == "gold" and gold["total_points_12m"] == 1300
    assert gold["current_credit"] == 300 and start <= reached <= clock.now()
    assert gold["anniversary_at"] == ts(add_months(reached, 12))
    assert gold["next_progress_change_at"] == silver["next_progress_change_at"]  # the $500 drops out first
    assert gold["current_progress"] == 300 and gold["current_remain"] == 500  # credit toward keeping it (800)

    earn(api, ids, pid, 900)  # 2,200: Platinum, which carries no credit
    platinum = tier(api, pid)
    assert handle(platinum) == "platinum" and platinum["current_credit"] == 0 and platinum["next_tier"] is None
    assert platinum["next_remain"] == 0
    assert tier_events(tenant) == [
        ("tier.changed", None, "silver", "attain"),  # placed straight where the points reach
        ("tier.achieved", None, "silver", "attain"),
        ("tier.changed", "silver", "gold", "attain"),
        ("tier.achieved", "silver", "gold", "attain"),
        ("tier.changed", "gold", "platinum", "attain"),
        ("tier.achieved", "gold", "platinum", "attain"),
    ]


def test_negative_points_lower_progress_but_never_the_tier(api: Api) -> None:
    ids = programme(api)
    pid = new_profile(api)
    earn(api, ids, pid, 500)
    earn(api, ids, pid, -400, source_type="return")
    progress = tier(api, pid)
    assert handle(progress) == "silver" and progress["total_points_12m"] == 100 and progress["next_remain"] == 900
    earn(api, ids, pid, -500)
    progress = api.ok("GET", f"/profiles/{pid}/tiers/calculate")
    assert handle(progress) == "silver" and progress["total_points_12m"] == 0  # never below zero
    by_source = api.ok("GET", f"/profiles/{pid}/tiers/points/by-source")
    assert by_source == [
        {"source_type": None, "count": 2, "total": 0, "total_12m": 0},
        {"source_type": "return", "count": 1, "total": -400, "total_12m": -400},
    ]


def test_pending_points_count_once_accrued(api: Api, time_machine: Clock) -> None:
    ids = programme(api)
    pid = new_profile(api)
    point = earn(api, ids, pid, 400, accrued_at=ts(clock.now() + timedelta(days=30)))
    assert point["status"] == "pending"
    assert handle(tier(api, pid)) == "bronze"
    time_machine.travel(timedelta(days=31))
    assert api.ok("GET", f"/tiers/points/{point['id']}")["status"] == "active"
    assert handle(tier(api, pid)) == "silver"  # the read brings the tier up to date


# --- maintain ------------------------------------------------------------------------------------


def test_a_year_of_anniversaries_keeps_then_drops_several_levels(
    api: Api, tenant: TenantInfo, time_machine: Clock
) -> None:
    ids = programme(api)
    pid = new_profile(api)
    earn(api, ids, pid, 1200)
    gold = tier(api, pid)
    first = gold["anniversary_at"]
    assert handle(gold) == "gold" and gold["current_credit"] == 200

    time_machine.travel(timedelta(days=180))
    earn(api, ids, pid, 600)  # 600 in the cycle + 200 credit = 800: exactly what keeping Gold takes
    assert tier(api, pid)["current_progress"] == 800 and tier(api, pid)["current_remain"] == 0

    time_machine.travel(timedelta(days=186))  # past the first anniversary
    kept = tier(api, pid)
    assert handle(kept) == "gold" and kept["maintained_at"] == first
    assert kept["achieved_at"] == gold["achieved_at"] and kept["current_credit"] == 0  # 600 < 1000
    assert kept["anniversary_at"] == ts(add_months(datetime.strptime(first, "%Y-%m-%d %H:%M:%S"), 12))

    time_machine.travel(timedelta(days=200))
    earn(api, ids, pid, 100)
    time_machine.travel(timedelta(days=170))  # past the second anniversary: 100 points this cycle
    dropped = tier(api, pid)
    assert handle(dropped) == "bronze" and dropped["achieved_at"] == kept["anniversary_at"]  # two levels down
    assert dropped["anniversary_at"] is None and dropped["maintained_at"] is None
    assert tier_events(tenant)[-1] == ("tier.changed", "gold", "bronze", "maintain")


def test_a_missed_cycle_drops_to_the_highest_tier_still_reached(api: Api, time_machine: Clock) -> None:
    ids = programme(api)
    pid = new_profile(api)
    earn(api, ids, pid, 1000)
    time_machine.travel(timedelta(days=200))
    earn(api, ids, pid, 400)
    time_machine.travel(timedelta(days=170))
    dropped = api.ok("GET", f"/profiles/{pid}/tiers/calculate")
    assert handle(dropped) == "silver" and dropped["current_credit"] == 100  # 400 - 300
    assert dropped["anniversary_at"] == ts(
        add_months(datetime.strptime(dropped["achieved_at"], "%Y-%m-%d %H:%M:%S"), 12)
    )


@pytest.mark.parametrize("at_once", [False, True], ids=["year-by-year", "two-years-at-once"])
def test_credit_counts_toward_the_next_cycle_only(
    api: Api, tenant: TenantInfo, time_machine: Clock, at_once: bool
) -> None:
    ids = programme(api)
    pid = new_profile(api)
    earn(api, ids, pid, 650)  # Silver (min 300): credit 350
    silver = tier(api, pid)
    assert handle(silver) == "silver" and silver["current_credit"] == 350
    first = datetime.strptime(silver["anniversary_at"], "%Y-%m-%d %H:%M:%S")
    if not at_once:
        time_machine.travel(timedelta(days=367))
        kept = tier(api, pid)  # no points this cycle, but 350 credit ≥ 250 to keep Silver
        assert handle(kept) == "silver" and kept["maintained_at"] == ts(first) and kept["current_credit"] == 0
        time_machine.travel(timedelta(days=366))
    else:
        time_machine.travel(timedelta(days=733))
    dropped = tier(api, pid)  # the credit was spent on the first anniversary
    assert handle(dropped) == "bronze" and dropped["achieved_at"] == ts(add_months(first, 12))
    assert dropped["current_credit"] == 0
    assert tier_events(tenant)[-1] == ("tier.changed", "silver", "bronze", "maintain")


# --- assign and bad input ------------------------------------------------------------------------


def test_only_assignable_tiers_can_be_assigned(api: Api, tenant: TenantInfo, time_machine: Clock) -> None:
    programme(api)
    pid = new_profile(api)
    before = tenant.row_counts()
    assert "tier" in api.fails(422, "POST", f"/profiles/{pid}/tiers/assign", json={"tier": "gold"})["errors"]
    assert "tier" in api.fails(422, "POST", f"/profiles/{pid}/tiers/assign", json={"tier": "diamond"})["errors"]
    assert "tier" in api.fails(422, "POST", f"/profiles/{pid}/tiers/assign", json={})["errors"]
    api.fails(404, "POST", "/profiles/00000000-0000-4000-8000-000000000000/tiers/assign", json={"tier": "silver"})
    assert tenant.row_counts() == before

    reader = Api(tenant, tenant.mint("read-tiers"))
    reader.fails(403, "POST", f"/profiles/{pid}/tiers/assign", json={"tier": "silver"})
    start = clock.now()
    assigned = Api(tenant, tenant.mint("update-tiers")).ok(
        "POST", f"/profiles/{pid}/tiers/assign", json={"tier": "silver"}
    )
    now = datetime.strptime(assigned["assigned_at"], "%Y-%m-%d %H:%M:%S")
    assert handle(assigned) == "silver" and start <= now <= clock.now() and assigned["achieved_at"] == ts(now)
    assert assigned["anniversary_at"] == ts(add_months(now, 12)) and assigned["current_credit"] == 0
    assert reader.ok("GET", f"/profiles/{pid}/tiers") == assigned
    assert tier_events(tenant) == [
        ("tier.changed", None, "silver", "assign"),
        ("tier.achieved", None, "silver", "assign"),
    ]
    time_machine.travel(timedelta(days=370))  # nothing earned: an assigned tier is maintained like any other
    assert handle(tier(api, pid)) == "bronze"


def test_tier_point_crud_and_bad_input(api: Api, tenant: TenantInfo, other_tenant: TenantInfo) -> None:
    ids = programme(api)
    pid = new_profile(api)
    reward_points = api.ok("POST", "/points/definitions", json={"name": "Reward", "handle": "reward"})["id"]
    foreign = new_profile(Api(other_tenant), "other@example.com")
    good = {"profile_id": pid, "point_definition_id": ids["points"], "value": 10, "issued_at": ts(clock.now())}
    before = tenant.row_counts()
    for change, field in [
        ({"point_definition_id": reward_points}, "point_definition_id"),
        ({"point_definition_id": 999999}, "point_definition_id"),
        ({"profile_id": foreign}, "profile_id"),
        ({"profile_id": "nobody"}, "profile_id"),
        ({"value": None}, "value"),
        ({"value": "1e20"}, "value"),
        ({"value": "lots"}, "value"),
        ({"issued_at": "yesterday"}, "issued_at"),
        ({"accrued_at": ts(clock.now() - timedelta(days=1))}, "accrued_at"),
    ]:
        assert field in api.fails(422, "POST", "/tiers/points", json={**good, **change})["errors"], change
    api.fails(404, "GET", f"/profiles/{foreign}/tiers")
    api.fails(404, "GET", f"/profiles/{foreign}/tiers/points")
    api.fails(404, "GET", "/profiles/not-a-uuid/tiers")
    assert tenant.row_counts() == before

    point = api.ok("POST", "/tiers/points", json={**good, "value": "99.999", "meta": {"note": "welcome"}})
    assert point["value"] == 100 and point["meta"] == {"note": "welcome"} and point["status"] == "active"
    assert point["accrued_at"] == point["issued_at"]
    assert handle(tier(api, pid)) == "bronze"
    updated = api.ok("PUT", f"/tiers/points/{point['id']}", json={"value": 300})
    assert updated["value"] == 300 and handle(tier(api, pid)) == "silver"  # updates re-evaluate attain
    assert "profile_id" in api.fails(422, "PUT", f"/tiers/points/{point['id']}", json={"profile_id": foreign})["errors"]
    assert "value" in api.fails(422, "PUT", f"/tiers/points/{point['id']}", json={"value": None})["errors"]
    listed = api.get("/tiers/points", params={"filter[profile_id]": pid}).json()
    assert [p["id"] for p in listed["data"]] == [point["id"]] and listed["meta"]["total"] == 1
    mine = api.get(f"/profiles/{pid}/tiers/points").json()
    assert mine["data"] == listed["data"]
    api.fails(422, "GET", "/tiers/points", params={"filter[colour]": "red"})
    api.ok("DELETE", f"/tiers/points/{point['id']}")
    api.fails(404, "GET", f"/tiers/points/{point['id']}")
    api.fails(404, "GET", f"/tiers/points/{point['id']}", headers={"Authorization": f"Bearer {other_tenant.token}"})
    assert handle(tier(api, pid)) == "silver"  # attain never downgrades
    kinds = [kind for kind, _ in events(tenant) if kind.startswith("tier_point.")]
    assert kinds == ["tier_point.created", "tier_point.updated", "tier_point.deleted"]
    limited = Api(tenant, tenant.mint("read-tier-points"))
    limited.fails(403, "POST", "/tiers/points", json=good)
    limited.fails(403, "GET", f"/profiles/{pid}/tiers")


# --- achievements --------------------------------------------------------------------------------


def achievement(api: Api, benefit_id: int, **extra: Any) -> dict[str, Any]:
    unlock = {"unlocks": [{"id": benefit_id, "type": "benefit_definition"}]}
    body = {
        "name": "Visits",
        "handle": "visits",
        "levels": [
            {"name": "First", "display_number": 1, "trigger": 1, "repeat_interval": 0},
            {"name": "Regular", "display_number": 2, "trigger": 5, "repeat_interval": 0, "meta": unlock},
            {
                "name": "Devotee",
                "display_number": 3,
                "trigger": 10,
                "repeats": True,
                "repeat_interval": 5,
                "allow_multiple_earn": True,
                "meta": unlock,
            },
        ],
        **extra,
    }
    created: dict[str, Any] = api.ok("POST", "/achievements/definitions", json=body)
    return created


def test_achievement_counts_levels_and_unlocks(api: Api, tenant: TenantInfo) -> None:
    benefit = api.ok(
        "POST",
        "/benefits/definitions",
        json={"name": "Coffee", "handle": "coffee", "period": 30, "absolute_expiry": None},
    )
    definition = achievement(api, benefit["id"])
    pid = new_profile(api)
    path = f"/profiles/{pid}/achievements"
    assert api.ok("GET", path) == []

    def count(n: int) -> dict[str, Any]:
        added: dict[str, Any] = api.ok("POST", path, json={"definition_id": definition["id"], "count": n})
        return added

    first = count(1)
    assert (first["count"], first["level"], first["current_level"]["name"], first["next_level"]["name"]) == (
        1, 1, "First", "Regular",
    )  # fmt: skip
    assert first["next_remain"] == 4 and first["definition"]["handle"] == "visits"
    assert count(3)["level"] == 1
    regular = count(2)
    assert (regular["count"], regular["level"], regular["next_level"]["name"]) == (6, 2, "Devotee")
    fallen = count(-4)
    assert (fallen["count"], fallen["level"], fallen["current_level"]["name"]) == (2, 2, "Regular")  # never lost
    assert count(3)["level"] == 2  # back to 5: Regular again is no new level
    devotee = count(15)  # 20: Devotee (10), then its repetitions at 15 and 20
    assert (devotee["count"], devotee["level"]) == (20, 5)
    assert (
        devotee["current_level"]["computed_display_number"] == 5 and devotee["current_level"]["computed_trigger"] == 20
    )
    assert devotee["next_level"]["computed_trigger"] == 25 and devotee["next_remain"] == 5
    assert api.ok("GET", path) == [devotee]

    ups = [payload for kind, payload in events(tenant) if kind == "achievement.level_up"]
    assert [u["level"]["computed_display_number"] for u in ups] == [1, 2, 3, 4, 5]
    assert [len(u["benefits"]) for u in ups] == [0, 1, 1, 1, 1]
    issued = [payload for kind, payload in events(tenant) if kind == "benefit.issued"]
    assert len(issued) == 4 and {b["source_type"] for b in issued} == {"achievement"}

    points = api.get(f"{path}/{definition['id']}/achievement-points", params={"page[size]": 2}).json()
    assert points["meta"]["total"] == 6 and [p["count"] for p in points["data"]] == [1, 3]
    api.fails(404, "GET", f"{path}/999999/achievement-points")


def test_achievement_counts_refused(api: Api, tenant: TenantInfo, time_machine: Clock) -> None:
    benefit = api.ok(
        "POST",
        "/benefits/definitions",
        json={"name": "Coffee", "handle": "coffee", "period": 30, "absolute_expiry": None},
    )
    running = achievement(api, benefit["id"])
    hidden = achievement(api, benefit["id"], handle="hidden", is_published=False)
    ended = achievement(api, benefit["id"], handle="ended", ends_at=ts(clock.now() + timedelta(days=1)))
    later = achievement(api, benefit["id"], handle="later", starts_at=ts(clock.now() + timedelta(days=30)))
    time_machine.travel(timedelta(days=2))
    pid = new_profile(api)
    path = f"/profiles/{pid}/achievements"
    before = tenant.row_counts()
    for body, field in [
        ({"definition_id": hidden["id"], "count": 1}, "definition_id"),
        ({"definition_id": ended["id"], "count": 1}, "definition_id"),
        ({"definition_id": later["id"], "count": 1}, "definition_id"),
        ({"definition_id": 999999, "count": 1}, "definition_id"),
        ({"definition_id": running["id"], "count": 0}, "count"),
        ({"definition_id": running["id"], "count": -1}, "count"),
        ({"definition_id": running["id"], "count": 1000}, "count"),  # 198 levels at once
    ]:
        assert field in api.fails(422, "POST", path, json=body)["errors"], body
    assert tenant.row_counts() == before
    api.fails(
        404,
        "POST",
        "/profiles/00000000-0000-4000-8000-000000000000/achievements",
        json={"definition_id": running["id"], "count": 1},
    )
    Api(tenant, tenant.mint("read-achievements")).fails(
        403, "POST", path, json={"definition_id": running["id"], "count": 1}
    )


# --- the scheduler and merges --------------------------------------------------------------------


def test_maintain_due_assesses_every_profile_whose_anniversary_passed(
    api: Api, tenant: TenantInfo, time_machine: Clock
) -> None:
    ids = programme(api)
    gold, silver, floor = new_profile(api, "a@example.com"), new_profile(api, "b@example.com"), new_profile(api)
    earn(api, ids, gold, 1000)
    earn(api, ids, silver, 300)
    tier(api, floor)
    time_machine.travel(timedelta(days=370))

    async def run() -> int:
        async with tenant.server.db.write() as session:
            return await tiers.maintain_due(session, Ctx(tenant.id, Settings()), clock.now())

    assert tenant.server.run(run()) == 2  # the floor has no anniversary
    assert tenant.server.run(run()) == 0
    changes = [(payload["from"], payload["to"]) for kind, payload in events(tenant) if kind == "tier.changed"]
    assert changes[-2:] == [("gold", "bronze"), ("silver", "bronze")] or changes[-2:] == [
        ("silver", "bronze"),
        ("gold", "bronze"),
    ]


def test_merging_moves_tier_points_and_achievements_to_the_winner(api: Api) -> None:
    ids = programme(api)
    benefit = api.ok(
        "POST",
        "/benefits/definitions",
        json={"name": "Coffee", "handle": "coffee", "period": 30, "absolute_expiry": None},
    )
    definition = achievement(api, benefit["id"])
    winner, loser = new_profile(api, "winner@example.com"), new_profile(api, "loser@example.com")
    earn(api, ids, winner, 200)
    earn(api, ids, loser, 200)
    for pid, n in ((winner, 2), (loser, 4)):
        api.ok("POST", f"/profiles/{pid}/achievements", json={"definition_id": definition["id"], "count": n})
    api.ok("POST", "/profiles/merge", json={"source_profile_id": loser, "destination_profile_id": winner})
    merged = tier(api, winner)
    assert handle(merged) == "silver" and merged["total_points_12m"] == 400
    [held] = api.ok("GET", f"/profiles/{winner}/achievements")
    assert (held["count"], held["level"]) == (6, 2)
