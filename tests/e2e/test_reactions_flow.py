"""Reactions end to end through the worker: a sale crosses a tier, a trigger issues a reward, a
signed webhook arrives once; a year of weekly automation runs; reminders and expiring statuses."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from omneo import Omneo, ValidationError, webhooks
from omneo_server import clock
from tests.conftest import Clock, TenantInfo
from tests.e2e.receivers import Receiver


def _sale(profile_id: str, total: str, external_id: str) -> dict[str, Any]:
    return {
        "profile_id": profile_id,
        "external_id": external_id,
        "transacted_at": clock.now().strftime("%Y-%m-%d %H:%M:%S"),
        "timezone": "UTC",
        "total": total,
        "items": [{"name": "Coat", "quantity": 1, "price_current": total, "price_sell": total}],
    }


def _arg(name: str, value: Any, dynamic: bool = False) -> dict[str, Any]:
    return {"name": name, "value": value, "is_dynamic": dynamic}


def test_a_sale_crosses_a_tier_the_trigger_rewards_and_the_webhook_arrives_signed_once(
    client: Omneo, tenant: TenantInfo, receiver: Receiver
) -> None:
    jane = str(client.profiles.create({"email": "jane@example.com"}).id)
    client.point_definitions.create({"name": "Status", "handle": "status", "type": "tier"})
    client.tier_definitions.create({"name": "Base", "handle": "base", "value_min": "0", "is_floor": True})
    client.tier_definitions.create({"name": "Silver", "handle": "silver", "value_min": "300"})
    client.reward_definitions.create(
        {"name": "Silver welcome", "handle": "silver-welcome", "value": "25", "type": "tier", "period": 60}
        | {"absolute_expiry": None}
    )
    client.triggers.create(
        {
            "name": "Silver welcome",
            "trigger": "tier.achieved",
            "actions": [
                {
                    "name": "filter",
                    "sort_order": 1,
                    "arguments": [_arg("condition", {"==": [{"var": "to"}, "silver"]})],
                },
                {
                    "name": "reward.create",
                    "sort_order": 2,
                    "arguments": [
                        _arg("profile_id", {"var": "profile_id"}, True),
                        _arg("definition", "silver-welcome"),
                    ],
                },
            ],
        }
    )
    # Subscribed by the documented name; the platform records it as reward.issued (an alias).
    hook = client.webhooks.create({"trigger": "reward.created", "url": receiver.url, "namespace": "crm"})
    assert hook.secret

    client.transactions.create(_sale(jane, "120.00", "T1"))  # not yet Silver
    client.transactions.create(_sale(jane, "200.00", "T2"))  # 320: Silver
    tenant.work()
    tenant.work()  # a second pass changes nothing: effects once, deliveries once
    rewards = client.profiles.rewards.list(jane).data
    assert [(r.definition.handle if r.definition else None, r.value_initial) for r in rewards] == [
        ("silver-welcome", 25)
    ]
    assert len(receiver.received) == 1
    body, headers = receiver.received[0].body, receiver.received[0].headers
    event = webhooks.verify(body, headers, hook.secret)
    assert event["type"] == "reward.issued" and event["data"]["profile_id"] == jane
    assert headers["webhook-id"] == event["id"]
    assert json.loads(body)["data"]["value_initial"] == 25
    assert tenant.verify() == []


def test_a_weekly_automation_fires_52_times_in_a_year(client: Omneo, tenant: TenantInfo, time_machine: Clock) -> None:
    jane = str(client.profiles.create({"email": "jane@example.com"}).id)
    client.point_definitions.create({"name": "Points", "handle": "points", "type": "reward"})
    client.automations.create(
        {
            "name": "Monday points",
            "type": "scheduled",
            "query": None,
            "schedule": "0 9 * * 1",
            "actions": [
                {
                    "name": "point.create",
                    "sort_order": 1,
                    "arguments": [
                        _arg("profile_id", {"var": "id"}, True),
                        _arg("definition", "points"),
                        _arg("value", 10),
                    ],
                }
            ],
        }
    )
    # Day by day for two weeks (it fires on Mondays only), then a week at a time: 52 weeks in all.
    for _day in range(14):
        time_machine.travel(timedelta(days=1))
        tenant.work()
    assert client.profiles.balances.get(jane).point_balance == 20
    for _week in range(50):
        time_machine.travel(timedelta(days=7))
        tenant.work()
    points = client.profiles.points.list(jane, {"page[size]": 100})
    assert points.meta is not None and points.meta.total == 52
    assert client.profiles.balances.get(jane).point_balance == 520
    assert tenant.verify() == []


def test_birthday_reminders_and_expiring_statuses(client: Omneo, tenant: TenantInfo, time_machine: Clock) -> None:
    soon = clock.now().date() + timedelta(days=10)
    jane = str(
        client.profiles.create(
            {"email": "jane@example.com", "birth_day": soon.day, "birth_month": soon.month, "birth_year": 1990}
        ).id
    )
    client.reminders.create(
        {"name": "Birthday week", "handle": "birthday-week", "date_type": "birthday", "offset_days": 7}
    )
    client.statuses.create({"name": "Trial", "handle": "trial", "period": 30})
    client.profiles.statuses.add(jane, ["trial"])

    tenant.work()
    assert tenant.events("reminder.due") == []
    time_machine.travel(timedelta(days=3))  # the birthday is a week away
    tenant.work()
    tenant.work()
    assert tenant.events("reminder.due") == ["reminder.due"]  # once a year

    assert client.profiles.get(jane).statuses == ["trial"]
    time_machine.travel(timedelta(days=28))
    tenant.work()
    assert tenant.events("profile.status_expired") == ["profile.status_expired"]
    assert client.profiles.get(jane).statuses == []


def test_a_reward_definition_notifies_its_issue_target(client: Omneo, tenant: TenantInfo, receiver: Receiver) -> None:
    jane = str(client.profiles.create({"email": "jane@example.com", "first_name": "Jane"}).id)
    target = client.targets.create(
        {
            "name": "Reward issued",
            "handle": "reward-issued",
            "url": receiver.url,
            "template": '{"email": "{{ email }}", "value": {{ value_initial }}, "name": "{{ definition.name }}"}',
        }
    )
    client.reward_definitions.create(
        {"name": "Welcome", "handle": "welcome", "value": "15", "type": "activation", "period": 30}
        | {"absolute_expiry": None, "issue_target_id": target.id}
    )
    reward = client.rewards.create({"profile_id": jane, "reward_definition_handle": "welcome"})
    tenant.work()
    assert [json.loads(r.body) for r in receiver.received] == [
        {"email": "jane@example.com", "value": 15, "name": "Welcome"}
    ]
    # the same notification again, on demand; a moment the definition has no target for is a 422
    sent = client.rewards.trigger_target(reward.id, "issue")
    assert sent["data"]["sent"] and sent["data"]["target"] == "reward-issued"
    tenant.work()
    assert len(receiver.received) == 2
    with pytest.raises(ValidationError):
        client.rewards.trigger_target(reward.id, "expiry")
