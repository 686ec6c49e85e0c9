"""A year of scheduled time, driven by the worker's passes under the test clock: rewards announce
their expiry a week ahead and expire on time, tiers are maintained on their anniversaries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from omneo import Omneo
from omneo_server import clock
from tests.conftest import Clock, TenantInfo


def test_rewards_announce_then_expire_on_time(client: Omneo, tenant: TenantInfo, time_machine: Clock) -> None:
    jane = str(client.profiles.create({"email": "jane@example.com"}).id)
    client.reward_definitions.create(
        {"name": "Gift", "handle": "gift", "value": "10", "type": "other", "period": 30, "absolute_expiry": None}
    )
    reward = client.rewards.create({"profile_id": jane, "reward_definition_handle": "gift"})
    tenant.work()
    assert tenant.events("reward.expir") == []

    time_machine.travel(timedelta(days=24))
    tenant.work()
    tenant.work()
    assert tenant.events("reward.expir") == ["reward.expiring"]  # once, however many passes

    time_machine.travel(timedelta(days=7))
    tenant.work()
    assert tenant.events("reward.expir") == ["reward.expiring", "reward.expired"]
    assert client.rewards.get(reward.id).value_remaining == 0
    entries = client.profiles.ledgers.list(jane)
    assert [e.dollar_value for e in entries] == [Decimal("-10.00"), Decimal("10.00")]
    assert tenant.verify() == []


def test_tiers_are_maintained_on_anniversaries_without_being_read(
    client: Omneo, tenant: TenantInfo, time_machine: Clock
) -> None:
    jane = str(client.profiles.create({"email": "jane@example.com"}).id)
    client.point_definitions.create({"name": "Status", "handle": "status", "type": "tier"})
    client.tier_definitions.create({"name": "Base", "handle": "base", "value_min": "0", "is_floor": True})
    client.tier_definitions.create({"name": "Silver", "handle": "silver", "value_min": "300"})

    def spend(total: str, external_id: str) -> None:
        client.transactions.create(
            {
                "profile_id": jane,
                "external_id": external_id,
                "transacted_at": clock.now().strftime("%Y-%m-%d %H:%M:%S"),
                "timezone": "UTC",
                "total": total,
                "items": [{"name": "Coat", "quantity": 1, "price_current": total, "price_sell": total}],
            }
        )

    spend("400.00", "A")
    assert client.profiles.get(jane).tier_handle == "silver"
    for _month in range(11):
        time_machine.travel(timedelta(days=30))
        tenant.work()
    assert client.profiles.get(jane).tier_handle == "silver"  # anniversary not reached yet
    time_machine.travel(timedelta(days=40))
    tenant.work()
    assert client.profiles.get(jane).tier_handle == "base"  # the scheduler dropped it, nobody asked
    assert "tier.changed" in tenant.events("tier.")
