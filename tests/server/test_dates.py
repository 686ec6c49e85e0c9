"""Dates: one parse, one 422. An offset that pushes a timestamp outside years 1 to 9999 answered 500;
a sale dated year 1 or 9999 was accepted and earned points."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TenantInfo
from tests.server.api import Api

#: Past the end of the calendar once converted to UTC.
OVERFLOWS = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
#: Readable, but no business date.
OUT_OF_RANGE = ["0001-01-01 00:00:00", "9999-12-31 23:59:59", "1899-12-31T23:59:59Z", "2200-01-01 00:00:00"]


@pytest.fixture
def api(tenant: TenantInfo) -> Api:
    return Api(tenant)


@pytest.fixture
def setup(api: Api) -> dict[str, Any]:
    profile = api.ok("POST", "/profiles", json={"email": "dates@example.com"})
    reward = api.ok(
        "POST",
        "/rewards/definitions",
        json={
            "name": "Thanks",
            "handle": "thanks",
            "value": "5",
            "type": "spend",
            "period": 30,
            "absolute_expiry": None,
        },
    )
    points = api.ok("POST", "/points/definitions", json={"name": "Points", "handle": "pts"})
    api.ok("POST", "/rates", json={"name": "Base", "point_definition_id": points["id"], "rate": "1"})
    issued = api.ok("POST", "/rewards", json={"profile_id": profile["id"], "reward_definition_id": reward["id"]})
    return {"profile": profile, "reward": reward, "points": points, "issued": issued}


def _requests(setup: dict[str, Any], when: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(field, method, path, kwargs) for every route the attack reached, with ``when`` in ``field``."""
    profile_id = setup["profile"]["id"]
    sale = {
        "profile_id": profile_id,
        "transacted_at": when,
        "timezone": "UTC",
        "total": "10.00",
        "items": [{"name": "Tee", "quantity": 1, "price_current": "10.00", "price_sell": "10.00"}],
    }
    extend = {"ids": [setup["issued"]["id"]], "profile_id": profile_id, "extend_date": when}
    calculate = {"point_definition_id": setup["points"]["id"], "amount": "10", "at": when}
    reward = {"profile_id": profile_id, "reward_definition_id": setup["reward"]["id"], "expires_at": when}
    return [
        ("transacted_at", "POST", "/transactions", {"json": sale}),
        ("expires_at", "POST", "/rewards", {"json": reward}),
        ("joined_at", "POST", "/profiles", {"json": {"email": "late@example.com", "joined_at": when}}),
        ("since", "POST", "/profiles/sync", {"json": {"since": when}}),
        ("at", "POST", "/rates/calculate", {"json": calculate}),
        ("extend_date", "POST", "/rewards/extend", {"json": extend}),
    ]


@pytest.mark.parametrize("when", OVERFLOWS + OUT_OF_RANGE)
def test_a_date_outside_the_range_is_a_422_naming_the_field(
    api: Api, tenant: TenantInfo, setup: dict[str, Any], when: str
) -> None:
    before = tenant.row_counts()
    for field, method, path, kwargs in _requests(setup, when):
        answer = api.fails(422, method, path, **kwargs)
        assert field in answer["errors"], (path, answer)
    assert tenant.row_counts() == before
    assert api.ok("GET", f"/profiles/{setup['profile']['id']}")["point_balance"] == 0


@pytest.mark.parametrize("when", [*OVERFLOWS, "not a date", "2026-02-30 00:00:00"])
def test_a_filter_date_that_cannot_be_read_is_a_422(api: Api, when: str) -> None:
    answer = api.fails(422, "GET", "/profiles", params={"filter[created_at][gt]": when})
    assert "filter[created_at]" in answer["errors"]


def test_dates_at_the_edges_of_the_range_are_accepted(api: Api, setup: dict[str, Any]) -> None:
    for n, when in enumerate(("1900-01-01T00:00:00Z", "2199-12-31T23:59:59Z", "2026-06-01T09:00:00+10:00")):
        requests = {path: kwargs for _field, _method, path, kwargs in _requests(setup, when)}
        sale = {**requests["/transactions"]["json"], "external_id": f"EDGE-{n}"}
        assert api.ok("POST", "/transactions", json=sale)["transacted_at"][:4] in ("1900", "2199", "2025", "2026")
        assert api.ok("POST", "/profiles", json={"email": f"edge{n}@example.com", "joined_at": when})
        assert api.post("/rates/calculate", **requests["/rates/calculate"]).json()["total"] is not None
    # Filters are not business dates: any readable instant filters.
    assert len(api.ok("GET", "/profiles", params={"filter[created_at][gt]": "0001-01-01 00:00:00"})) == 4
