"""The profile read model: ``GET /profiles/{id}`` served from a stored rendering must always equal
a fresh rendering — after every kind of change, across configuration changes, and as time passes.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from omneo_server.db import tables as t
from omneo_server.domain.context import Ctx
from omneo_server.domain.profiles import commands as cmd
from omneo_server.domain.profiles import documents
from omneo_server.wire import dumps
from tests.conftest import Clock, TenantInfo
from tests.server.api import Api
from tests.server.test_id_security import id_client, mint


@pytest.fixture
def api(tenant: TenantInfo) -> Api:
    return Api(tenant)


def fresh(tenant: TenantInfo, profile_id: str) -> Any:
    """The profile rendered now, without the read model (as JSON would carry it)."""

    async def work() -> Any:
        async with tenant.server.db.read() as session:
            ctx = Ctx(tenant.id, tenant.server.settings)
            return await cmd.render(session, ctx, await cmd.get(session, ctx, profile_id), False)

    return json.loads(dumps(tenant.server.run(work())))


def stored(tenant: TenantInfo, profile_id: str) -> str | None:
    async def work() -> str | None:
        async with tenant.server.db.read() as session:
            stmt = select(t.ProfileDocument.body).where(t.ProfileDocument.profile_id == profile_id)
            return (await session.execute(stmt)).scalar_one_or_none()

    return tenant.server.run(work())


def served(api: Api, tenant: TenantInfo, profile_id: str) -> dict[str, Any]:
    """GET twice (the second from the read model) and check both equal a fresh rendering."""
    first = api.ok("GET", f"/profiles/{profile_id}")
    assert stored(tenant, profile_id) is not None  # kept for the next read
    second = api.ok("GET", f"/profiles/{profile_id}")
    expected = fresh(tenant, profile_id)
    assert first == expected and second == expected
    return second


def _reward_definition(api: Api, **fields: Any) -> None:
    body = {"name": "Ten", "handle": "ten", "value": "10", "type": "spend", "period": 30, "absolute_expiry": None}
    api.ok("POST", "/rewards/definitions", json={**body, **fields})


def test_every_change_to_a_profile_shows_in_the_next_read(api: Api, tenant: TenantInfo) -> None:
    pid = api.ok("POST", "/profiles", json={"email": "doc@example.com", "first_name": "Dora"})["id"]
    api.ok("POST", "/statuses", json={"handle": "gold", "name": "Gold"})
    api.ok("POST", "/regions", json={"handle": "vic", "name": "Victoria", "countries": [{"iso_2": "AU"}]})
    _reward_definition(api)
    api.ok(
        "POST",
        "/benefits/definitions",
        json={"name": "Lounge", "handle": "lounge", "period": 7, "absolute_expiry": None},
    )
    served(api, tenant, pid)
    changes: list[tuple[str, str, dict[str, Any], Any]] = [
        ("PUT", f"/profiles/{pid}", {"first_name": "Dorothy"}, lambda p: p["first_name"] == "Dorothy"),
        ("POST", f"/profiles/{pid}/identities", {"handle": "pos", "identifier": "D1"}, lambda p: p["identities"]),
        (
            "POST",
            f"/profiles/{pid}/addresses",
            {"address_line_1": "1 Main St", "city": "Perth", "postcode": "6000", "country": "AU"},
            lambda p: p["address"],
        ),
        ("POST", f"/profiles/{pid}/tags", {"tags": ["vip"]}, lambda p: p["tags"] == ["vip"]),
        ("POST", f"/profiles/{pid}/statuses", {"statuses": ["gold"]}, lambda p: p["statuses"] == ["gold"]),
        (
            "PUT",
            f"/profiles/{pid}/attributes/comms",
            {"email_promo": True},
            lambda p: p["attributes"]["comms"]["email_promo"],
        ),
        (
            "PUT",
            f"/profiles/{pid}/attributes/dates",
            {"handle": "anniversary", "date": "2020-02-02"},
            lambda p: p["attributes"]["dates"],
        ),
        (
            "POST",
            f"/profiles/{pid}/attributes/custom",
            {"namespace": "crm", "handle": "tier", "value": "A"},
            lambda p: p["custom_attributes"],
        ),
        (
            "POST",
            "/rewards",
            {"profile_id": pid, "reward_definition_handle": "ten"},
            lambda p: p["reward_balance"] == 10,
        ),
        ("POST", f"/profiles/{pid}/redeem", {"amount": "4"}, lambda p: p["reward_balance"] == 6),
        (
            "POST",
            "/benefits",
            {"profile_id": pid, "benefit_definition_handle": "lounge"},
            lambda p: p["benefit_balance"] == 1,
        ),
    ]
    for method, path, body, shows in changes:
        api.ok(method, path, json=body)
        assert shows(served(api, tenant, pid)), (method, path)


def test_a_points_sale_and_a_tier_show_in_the_next_read(api: Api, tenant: TenantInfo) -> None:
    pid = api.ok("POST", "/profiles", json={"email": "sale@example.com"})["id"]
    points = api.ok("POST", "/points/definitions", json={"name": "Points", "handle": "pts"})
    api.ok("POST", "/rates", json={"name": "Base", "point_definition_id": points["id"], "rate": "1"})
    api.ok("POST", "/tiers/definitions", json={"name": "Silver", "handle": "silver", "value_min": 0, "is_floor": True})
    served(api, tenant, pid)
    sale = {
        "profile_id": pid,
        "transacted_at": "2026-01-10 10:00:00",
        "timezone": "UTC",
        "total": "25.00",
        "items": [{"name": "Tee", "quantity": 1, "price_current": "25.00", "price_sell": "25.00"}],
    }
    api.ok("POST", "/transactions", json=sale)
    assert served(api, tenant, pid)["point_balance"] == 25
    api.ok("POST", f"/profiles/{pid}/tiers/assign", json={"tier": "silver"})
    assert served(api, tenant, pid)["tier_handle"] == "silver"


def test_configuration_every_profile_renders_shows_in_the_next_read(api: Api, tenant: TenantInfo) -> None:
    status = api.ok("POST", "/statuses", json={"handle": "gold", "name": "Gold"})
    pid = api.ok("POST", "/profiles", json={"email": "cfg@example.com", "statuses": ["gold"]})["id"]
    api.ok("POST", "/points/definitions", json={"name": "Points", "handle": "pts"})
    api.ok("POST", "/points", json={"profile_id": pid, "point_definition_handle": "pts", "value_initial": "500"})
    assert served(api, tenant, pid)["point_balance_dollars"] == 5
    api.ok("PUT", f"/statuses/{status['id']}", json={"name": "Golden"})
    assert served(api, tenant, pid)["statuses_original"][0]["name"] == "Golden"
    api.ok("POST", "/settings", json={"handle": "point_dollar_rate", "type": "string", "value": "0.02"})
    assert served(api, tenant, pid)["point_balance_dollars"] == 10


def test_time_alone_changes_what_is_read(api: Api, tenant: TenantInfo, time_machine: Clock) -> None:
    _reward_definition(api, period=None)
    api.ok("POST", "/statuses", json={"handle": "trial", "name": "Trial", "period": 3})
    pid = api.ok("POST", "/profiles", json={"email": "time@example.com", "birth_day": 1, "birth_month": 1})["id"]
    api.ok("POST", f"/profiles/{pid}/statuses", json={"statuses": ["trial"]})
    soon = api.ok(
        "POST", "/rewards", json={"profile_id": pid, "reward_definition_handle": "ten", "expires_at": "2099-01-01"}
    )
    before = served(api, tenant, pid)
    assert before["reward_balance"] == 10 and before["statuses"] == ["trial"]
    time_machine.travel(timedelta(days=1))
    after_a_day = served(api, tenant, pid)
    assert after_a_day["birth_days"] in (before["birth_days"] - 1, 365, 364)  # counted down at midnight
    time_machine.travel(timedelta(days=3))
    assert served(api, tenant, pid)["statuses"] == []  # the 3-day status lapsed
    assert soon["expires_at"].startswith("2099")
    days_left = (2099 - 2026) * 366
    time_machine.travel(timedelta(days=days_left))
    assert served(api, tenant, pid)["reward_balance"] == 0  # expired: no write needed to show it


def test_a_deleted_or_merged_profile_is_not_served(api: Api, tenant: TenantInfo) -> None:
    gone = api.ok("POST", "/profiles", json={"email": "gone@example.com"})["id"]
    loser_body = {"email": "loser@example.com", "identities": [{"handle": "pos", "identifier": "L1"}]}
    loser = api.ok("POST", "/profiles", json=loser_body)["id"]
    winner = api.ok("POST", "/profiles", json={"email": "winner@example.com"})["id"]
    for pid in (gone, loser, winner):
        served(api, tenant, pid)
    api.ok("DELETE", f"/profiles/{gone}")
    api.fails(404, "GET", f"/profiles/{gone}")
    api.ok("POST", "/profiles/merge", json={"source_profile_id": loser, "destination_profile_id": winner})
    api.fails(404, "GET", f"/profiles/{loser}")
    assert [i["identifier"] for i in served(api, tenant, winner)["identities"]] == ["L1"]


def test_another_tenant_never_reads_the_document(api: Api, tenant: TenantInfo, other_tenant: TenantInfo) -> None:
    pid = api.ok("POST", "/profiles", json={"email": "mine@example.com"})["id"]
    served(api, tenant, pid)
    Api(other_tenant).fails(404, "GET", f"/profiles/{pid}")


def test_the_id_api_reads_the_same_document(api: Api, tenant: TenantInfo) -> None:
    pid = api.ok("POST", "/profiles", json={"email": "me@example.com", "first_name": "Mia"})["id"]
    served(api, tenant, pid)
    with id_client(tenant, mint(tenant, id=pid)["token"]) as http:
        assert http.get("/profiles/me").json()["data"] == fresh(tenant, pid)
        assert http.put("/profiles/me", json={"first_name": "Mina"}).status_code == 200
        assert http.get("/profiles/me").json()["data"]["first_name"] == "Mina"


def test_a_rendering_older_than_a_change_is_not_kept(api: Api, tenant: TenantInfo) -> None:
    """The race: a reader renders, a change commits, the reader stores — the store must lose."""
    pid = api.ok("POST", "/profiles", json={"email": "race@example.com", "first_name": "Old"})["id"]

    async def read_version() -> tuple[int, int]:
        async with tenant.server.db.read() as session:
            return (await documents.versions(session, tenant.id, [pid]))[pid]

    seen = tenant.server.run(read_version())
    old = json.dumps(fresh(tenant, pid))
    api.ok("PUT", f"/profiles/{pid}", json={"first_name": "New"})  # commits a change meanwhile
    tenant.server.run(documents.store(tenant.server.db, tenant.id, pid, seen, old, None))
    assert api.ok("GET", f"/profiles/{pid}")["first_name"] == "New"
    assert served(api, tenant, pid)["first_name"] == "New"


def test_a_write_keeps_the_rendering_it_answers(api: Api, tenant: TenantInfo) -> None:
    created = api.ok("POST", "/profiles", json={"email": "kept@example.com", "first_name": "Kim"})
    body = stored(tenant, created["id"])
    assert body is not None and json.loads(body) == created == fresh(tenant, created["id"])
    updated = api.ok("PUT", f"/profiles/{created['id']}", json={"last_name": "Lee"})
    body = stored(tenant, created["id"])
    assert body is not None and json.loads(body) == updated
    assert api.ok("GET", f"/profiles/{created['id']}") == updated


def test_a_list_answers_each_profile_as_it_is_read(api: Api, tenant: TenantInfo) -> None:
    """``GET /profiles`` (by email, and a plain page) answers each profile exactly as
    ``GET /profiles/{id}`` does, balances and tier included, current after every change."""
    _reward_definition(api)
    ids = [api.ok("POST", "/profiles", json={"email": f"Listed{n}@Example.com"})["id"] for n in range(3)]
    api.ok("POST", "/rewards", json={"profile_id": ids[1], "reward_definition_handle": "ten"})

    def by_email(n: int) -> list[Any]:
        return api.ok("GET", "/profiles", params={"filter[email]": f"LISTED{n}@example.COM"})  # type: ignore[no-any-return]

    listed = by_email(1)
    assert listed == [fresh(tenant, ids[1])] and listed[0]["reward_balance"] == 10
    api.ok("PUT", f"/profiles/{ids[1]}", json={"first_name": "Renamed"})
    assert by_email(1)[0]["first_name"] == "Renamed"  # the stored rendering was replaced
    assert by_email(1) == [fresh(tenant, ids[1])]
    page = api.get("/profiles", params={"filter[email][in]": ",".join(f"listed{n}@example.com" for n in range(3))})
    body = page.json()
    assert sorted(p["id"] for p in body["data"]) == sorted(ids) and body["meta"]["total"] == 3
    assert {p["id"]: p for p in body["data"]}[ids[1]] == fresh(tenant, ids[1])
    api.ok("DELETE", f"/profiles/{ids[0]}")
    assert by_email(0) == []
