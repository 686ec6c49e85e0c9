"""A burst of concurrent writes, some of which fail, commits exactly the good ones: a bad command
never spoils its neighbours, and nothing of it is left behind."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from omneo import AsyncOmneo, ValidationError
from omneo.errors import APIStatusError
from tests.conftest import TenantInfo


def _sale(n: int, profile: str, good: bool) -> dict[str, Any]:
    total = Decimal(10 + n)
    sale = {
        "profile_id": profile,
        "external_id": f"BURST-{n}",
        "transacted_at": "2026-03-01 12:00:00",
        "timezone": "UTC",
        "total": str(total),
        "items": [{"name": "Tee", "quantity": 1, "price_current": str(total), "price_sell": str(total)}],
    }
    # A bad sale names a store that does not exist: refused after reading the database.
    return sale if good else {**sale, "location_id": "NO-SUCH-STORE"}


async def test_a_burst_with_failures_commits_exactly_the_good_writes(aclient: AsyncOmneo, tenant: TenantInfo) -> None:
    await aclient.point_definitions.create({"name": "Points", "handle": "pts"})
    await aclient.rates.create({"point_definition_handle": "pts", "rate": "1"})
    profiles = [str((await aclient.profiles.create({"email": f"b{n}@example.com"})).id) for n in range(4)]
    good = {n for n in range(40) if n % 3}
    calls = [aclient.transactions.create(_sale(n, profiles[n % 4], n in good)) for n in range(40)]
    signups = [
        aclient.profiles.create({"email": "dup@example.com" if n % 2 else f"new{n}@example.com"}) for n in range(10)
    ]
    results = await asyncio.gather(*calls, *signups, return_exceptions=True)
    sales, created = results[:40], results[40:]
    for n, result in enumerate(sales):
        if n in good:
            assert not isinstance(result, BaseException), (n, result)
        else:
            assert isinstance(result, ValidationError) and "location_id" in result.errors, (n, result)
    refused = [r for r in created if isinstance(r, BaseException)]
    assert all(isinstance(r, APIStatusError) and r.status_code == 422 for r in refused), refused
    assert len(created) - len(refused) == 6  # five new emails and one of the duplicates

    listed = await aclient.transactions.list(params={"page[size]": 100})
    assert sorted(int(tx.external_id.split("-")[1]) for tx in listed.data) == sorted(good)  # type: ignore[union-attr]
    for index, profile in enumerate(profiles):
        mine = [n for n in good if n % 4 == index]
        aggregations = await aclient.profiles.aggregations.list(profile)
        assert aggregations.transaction_count == len(mine)
        balance = (await aclient.profiles.balances.get(profile)).point_balance
        assert balance == sum(Decimal(10 + n) for n in mine)
    assert tenant.verify() == []
