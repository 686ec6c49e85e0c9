"""Reference data (``domain/reference.py``): hot commands read configuration from a per-process
cache, and never see a stale or a rolled-back version of it."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from omneo_server.db import tables as t
from omneo_server.domain import reference
from omneo_server.domain.context import Ctx
from omneo_server.settings import Settings
from tests.conftest import TenantInfo
from tests.server.api import Api


def test_a_rolled_back_configuration_change_is_never_served(tenant: TenantInfo) -> None:
    ctx = Ctx(tenant.id, Settings(), actor="test")

    async def values() -> list[str | None]:
        async with tenant.server.db.read() as session:
            found = await reference.rows(session, ctx, t.Setting, lambda row: row.handle == "cached_value")
            return [row.value for row in found]

    async def change(value: str, keep: bool) -> list[str | None]:
        async with tenant.server.db.write() as session:
            setting = (
                await session.execute(
                    select(t.Setting).where(t.Setting.tenant_id == tenant.id, t.Setting.handle == "cached_value")
                )
            ).scalar_one()
            setting.value = value
            seen = [row.value for row in await reference.rows(session, ctx, t.Setting)]
            if not keep:
                await session.rollback()
            return seen

    async def work() -> None:
        async with tenant.server.db.write() as session:
            session.add(t.Setting(tenant_id=tenant.id, handle="cached_value", type="string", value="one"))
        assert await values() == ["one"]  # now cached
        assert "two" in await change("two", keep=False)  # the changing transaction sees its change…
        assert await values() == ["one"]  # …nobody else does, and it was not cached
        await change("three", keep=True)
        assert await values() == ["three"]  # a committed change replaces the cached rows

    tenant.server.run(work())


def test_a_changed_rate_earns_from_the_next_sale(tenant: TenantInfo) -> None:
    api = Api(tenant)
    api.ok("POST", "/points/definitions", json={"name": "Points", "handle": "points", "type": "reward"})
    rate = api.ok("POST", "/rates", json={"point_definition_handle": "points", "rate": "1"})
    profile = api.ok("POST", "/profiles", json={"first_name": "Rae", "email": "rae@example.com"})

    def sell(external_id: str) -> None:
        line = {"name": "Shirt", "sku": "S1", "quantity": 1, "price_current": 100, "price_sell": 100}
        api.ok(
            "POST",
            "/transactions",
            json={
                "profile_id": profile["id"],
                "external_id": external_id,
                "transacted_at": "2026-11-01T10:00:00Z",
                "timezone": "UTC",
                "total": 100,
                "items": [line],
            },
        )

    def points() -> Decimal:
        return Decimal(str(api.ok("GET", f"/profiles/{profile['id']}/balances")["point_balance"]))

    sell("first")
    assert points() == Decimal("100")
    api.ok("PUT", f"/rates/{rate['id']}", json={"rate": "3"})
    sell("second")
    assert points() == Decimal("400")
    api.ok("PUT", f"/rates/{rate['id']}", json={"is_archived": True})
    sell("third")
    assert points() == Decimal("400")  # no live rate: no reward points
