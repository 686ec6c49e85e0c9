"""Configuration cached by one API process (``domain/reference.py``) follows a change made through
another: the next sale on the first earns at the new rate, and reaches the tier the new programme
sets."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import TenantInfo
from tests.e2e.processes import api_processes


@pytest.fixture(scope="module")
def apis(server: Any) -> Iterator[list[str]]:
    with api_processes(server.db.url, 2) as bases:
        yield bases


def test_a_change_through_one_process_reaches_the_next_sale_on_another(tenant: TenantInfo, apis: list[str]) -> None:
    headers = {"Authorization": f"Bearer {tenant.token}"}
    changer, seller = (httpx.Client(base_url=base, headers=headers, timeout=60) for base in apis)

    def ok(client: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
        response = client.request(method, path, **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()["data"]

    ok(changer, "POST", "/points/definitions", json={"name": "Points", "handle": "points", "type": "reward"})
    ok(changer, "POST", "/points/definitions", json={"name": "Tier points", "handle": "tp", "type": "tier"})
    rate = ok(changer, "POST", "/rates", json={"point_definition_handle": "points", "rate": "1"})
    ok(changer, "POST", "/tiers/definitions", json={"name": "Base", "handle": "base", "value_min": 0, "is_floor": True})
    gold = ok(changer, "POST", "/tiers/definitions", json={"name": "Gold", "handle": "gold", "value_min": 1000})
    profile = ok(seller, "POST", "/profiles", json={"first_name": "Kai", "email": "kai@example.com"})

    def sell(external_id: str) -> dict[str, Any]:
        line = {"name": "Coat", "sku": "C1", "quantity": 1, "price_current": 300, "price_sell": 300}
        body = {
            "profile_id": profile["id"],
            "external_id": external_id,
            "transacted_at": "2026-11-01T10:00:00Z",
            "timezone": "UTC",
            "total": 300,
            "items": [line],
        }
        ok(seller, "POST", "/transactions", json=body)
        return ok(seller, "GET", f"/profiles/{profile['id']}/balances")  # type: ignore[no-any-return]

    assert Decimal(str(sell("one")["point_balance"])) == Decimal("300")  # the seller now holds the programme
    ok(changer, "PUT", f"/rates/{rate['id']}", json={"rate": "2"})
    ok(changer, "PUT", f"/tiers/definitions/{gold['id']}", json={"value_min": 500})
    assert Decimal(str(sell("two")["point_balance"])) == Decimal("900")  # 300 at 1, then 300 at 2
    tier = ok(seller, "GET", f"/profiles/{profile['id']}/tiers")
    assert tier["current_tier"]["handle"] == "gold", tier  # 600 tier points reach Gold's new 500
