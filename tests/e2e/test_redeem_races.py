"""Racing redemptions: N parallel requests against a limit of k succeed exactly k times, spread
over two API processes on one database, and the ledger (``omneo-server verify``) agrees.

The attack: 20 parallel ``POST /id/api/v1/profiles/me/benefits/{id}/redeem`` on a single-use
benefit succeeded 17 times on PostgreSQL; the admin route went 25 of 25 on a 5-use benefit. The
route read the benefit before taking the profile lock and wrote back a stale copy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import TenantInfo
from tests.e2e.processes import api_processes
from tests.server.api import Api
from tests.server.test_id_security import mint


@pytest.fixture(scope="module")
def apis(server: Any) -> Iterator[list[str]]:
    """Two API processes on the suite's database (``…/api/v3`` base URLs)."""
    with api_processes(server.db.url, 2) as bases:
        yield bases


class Race:
    """Fires the same request ``n`` times at once, alternating between the API processes."""

    def __init__(self, apis: list[str], token: str, id_api: bool = False) -> None:
        self.bases = [b.removesuffix("/api/v3") + "/id/api/v1" for b in apis] if id_api else apis
        self.headers = {"Authorization": f"Bearer {token}"}

    def run(self, n: int, method: str, path: str, json: Any = None) -> list[httpx.Response]:
        async def all_at_once() -> list[httpx.Response]:
            async with httpx.AsyncClient(headers=self.headers, timeout=120) as http:
                calls = [http.request(method, self.bases[i % 2] + path, json=json) for i in range(n)]
                return list(await asyncio.gather(*calls))

        answers = asyncio.run(all_at_once())
        for answer in answers:
            assert answer.status_code in (200, 201, 422), answer.text  # a loser is refused, never a 500
        return answers


def _won(answers: list[httpx.Response]) -> int:
    return sum(a.status_code in (200, 201) for a in answers)


@pytest.fixture
def admin(tenant: TenantInfo) -> Api:
    return Api(tenant)


def _profile(admin: Api, n: int = 0) -> str:
    return str(admin.ok("POST", "/profiles", json={"email": f"racer{n}@example.com"})["id"])


def _benefit(admin: Api, profile_id: str, handle: str) -> int:
    return int(
        admin.ok("POST", "/benefits", json={"profile_id": profile_id, "benefit_definition_handle": handle})["id"]
    )


def _benefit_definition(admin: Api, handle: str, **fields: Any) -> None:
    body = {"name": handle, "handle": handle, "period": 30, "absolute_expiry": None, **fields}
    admin.ok("POST", "/benefits/definitions", json=body)


def test_a_single_use_benefit_is_redeemed_once_through_the_id_api(
    admin: Api, tenant: TenantInfo, apis: list[str]
) -> None:
    jane = _profile(admin)
    _benefit_definition(admin, "coffee", max_redemptions=1)
    benefit = _benefit(admin, jane, "coffee")
    race = Race(apis, mint(tenant, id=jane)["token"], id_api=True)
    assert _won(race.run(20, "POST", f"/profiles/me/benefits/{benefit}/redeem")) == 1
    assert admin.ok("GET", f"/profiles/{jane}/benefits/{benefit}")["redemptions_remaining"] == 0
    assert tenant.verify() == []


def test_a_five_use_benefit_is_redeemed_five_times_through_the_admin_api(
    admin: Api, tenant: TenantInfo, apis: list[str]
) -> None:
    jane = _profile(admin)
    _benefit_definition(admin, "lounge", max_redemptions=5)
    benefit = _benefit(admin, jane, "lounge")
    answers = Race(apis, tenant.token).run(25, "POST", f"/profiles/{jane}/benefits/{benefit}/redeem")
    assert _won(answers) == 5
    redeemed = admin.ok("GET", f"/profiles/{jane}/redemptions/benefit/{benefit}/count")["count"]
    assert redeemed == 5
    assert tenant.verify() == []


def test_a_benefit_named_in_redemptions_and_a_global_limit_hold(
    admin: Api, tenant: TenantInfo, apis: list[str]
) -> None:
    # Per profile, by handle, through POST /profiles/{id}/redemptions.
    jane = _profile(admin)
    _benefit_definition(admin, "voucher", max_redemptions=3)
    _benefit(admin, jane, "voucher")
    body = {"benefits": [{"handle": "voucher"}]}
    assert _won(Race(apis, tenant.token).run(12, "POST", f"/profiles/{jane}/redemptions", body)) == 3
    # Across profiles: a definition with 4 redemptions in all, 8 profiles racing for them.
    _benefit_definition(admin, "launch", max_global_redemptions=4)
    people = [_profile(admin, n) for n in range(1, 9)]
    benefits = {p: _benefit(admin, p, "launch") for p in people}

    async def everyone() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {tenant.token}"}
        async with httpx.AsyncClient(headers=headers, timeout=120) as http:
            calls = [
                http.post(f"{apis[n % 2]}/profiles/{p}/benefits/{benefits[p]}/redeem") for n, p in enumerate(people * 2)
            ]
            return list(await asyncio.gather(*calls))

    assert _won(asyncio.run(everyone())) == 4
    launch = admin.ok("GET", "/benefits/definitions/handle/launch")
    assert launch["total_global_redemptions"] == 4 and launch["total_global_redemptions_remaining"] == 0
    assert tenant.verify() == []


def test_rewards_redeemed_in_parallel_never_overspend(admin: Api, tenant: TenantInfo, apis: list[str]) -> None:
    jane = _profile(admin)
    body = {"name": "Ten", "handle": "ten", "value": "10", "type": "spend", "period": 30, "absolute_expiry": None}
    admin.ok("POST", "/rewards/definitions", json=body)
    for _ in range(5):
        admin.ok("POST", "/rewards", json={"profile_id": jane, "reward_definition_handle": "ten"})
    answers = Race(apis, tenant.token).run(20, "POST", f"/profiles/{jane}/redeem", {"amount": "10"})
    assert _won(answers) == 5
    assert Decimal(str(admin.ok("GET", f"/profiles/{jane}/balances")["reward_balance"])) == 0
    assert tenant.verify() == []


def test_points_redeemed_through_the_id_api_never_overspend(admin: Api, tenant: TenantInfo, apis: list[str]) -> None:
    jane = _profile(admin)
    admin.ok("POST", "/points/definitions", json={"name": "Points", "handle": "pts"})
    admin.ok("POST", "/points", json={"profile_id": jane, "point_definition_handle": "pts", "value_initial": "1000"})
    race = Race(apis, mint(tenant, id=jane)["token"], id_api=True)
    answers = race.run(20, "POST", "/profiles/me/redeem", {"amount": "2"})  # 1000 points = $10 at 0.01
    assert _won(answers) == 5
    assert Decimal(str(admin.ok("GET", f"/profiles/{jane}/balances")["point_balance"])) == 0
    assert tenant.verify() == []


def test_a_credit_redeemed_in_parallel_never_overspends(admin: Api, tenant: TenantInfo, apis: list[str]) -> None:
    jane = _profile(admin)
    admin.ok(
        "POST",
        "/credits/definitions",
        json={
            "name": "Gift card",
            "handle": "gift",
            "type": "gift_card",
            "absolute_expiry": None,
            "credit_number_range_start": None,
            "credit_number_range_end": None,
            "release_period_absolute_expiry": None,
        },
    )
    credit = admin.ok(
        "POST", "/credits", json={"profile_id": jane, "credit_definition_handle": "gift", "value_initial": "30"}
    )
    path = f"/profiles/{jane}/credits/{credit['id']}/redeem"
    assert _won(Race(apis, tenant.token).run(10, "POST", path, {"amount": "10"})) == 3
    assert Decimal(str(admin.ok("GET", f"/profiles/{jane}/balances")["credit_balance"])) == 0
    assert tenant.verify() == []


def test_claim_and_redeem_of_a_once_only_benefit_happens_once(admin: Api, tenant: TenantInfo, apis: list[str]) -> None:
    jane = _profile(admin)
    _benefit_definition(admin, "welcome", is_claimable=True, max_redemptions=1)
    race = Race(apis, mint(tenant, id=jane)["token"], id_api=True)
    answers = race.run(10, "POST", "/profiles/me/benefits/claim-redeem", {"benefit_definition_handle": "welcome"})
    assert _won(answers) == 1
    assert len(admin.ok("GET", f"/profiles/{jane}/benefits")) == 1
    assert tenant.verify() == []


def test_a_redemption_is_reversed_once_and_returned_no_more_than_it_took(
    admin: Api, tenant: TenantInfo, apis: list[str]
) -> None:
    jane = _profile(admin)
    body = {"name": "Fifty", "handle": "fifty", "value": "50", "type": "spend", "period": 30, "absolute_expiry": None}
    admin.ok("POST", "/rewards/definitions", json=body)
    admin.ok("POST", "/rewards", json={"profile_id": jane, "reward_definition_handle": "fifty"})
    admin.ok("POST", "/rewards", json={"profile_id": jane, "reward_definition_handle": "fifty"})
    first = admin.ok("POST", f"/profiles/{jane}/redeem", json={"amount": "50"})
    assert _won(Race(apis, tenant.token).run(10, "POST", f"/redemptions/{first['id']}/reversal")) == 1
    second = admin.ok("POST", f"/profiles/{jane}/redeem", json={"amount": "50"})
    returns = Race(apis, tenant.token).run(10, "POST", f"/redemptions/{second['id']}/return", {"amount": "20"})
    assert _won(returns) == 3  # 20 + 20 + the last 10
    given = sum(Decimal(str(a.json()["data"]["total"])) for a in returns if a.status_code == 201)
    assert given == Decimal("50")
    assert Decimal(str(admin.ok("GET", f"/profiles/{jane}/balances")["reward_balance"])) == Decimal("100")
    assert tenant.verify() == []
