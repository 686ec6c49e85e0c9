"""The SDK against the real server: rewards, points through rates, tiers, benefits, credits,
redemptions and the ledger they leave behind."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from omneo import AsyncOmneo, NotFoundError, Omneo, ValidationError
from omneo_server import clock
from tests.conftest import Clock, TenantInfo


def _profile(client: Omneo, email: str = "jane@example.com") -> str:
    first_name = email.split("@")[0].title()
    return str(client.profiles.create({"email": email, "first_name": first_name}).id)


def _reward_definition(client: Omneo, handle: str, value: str = "20", period: int = 30, **extra: Any) -> Any:
    body = {"name": handle.title(), "handle": handle, "value": value, "type": "birthday", "period": period}
    return client.reward_definitions.create({**body, "period_type": "days", "absolute_expiry": None, **extra})


def _sale(total: str, profile_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "profile_id": profile_id,
        "transacted_at": "2026-01-10 10:00:00",
        "timezone": "Australia/Melbourne",
        "total": total,
        "items": [{"name": "Coat", "sku": "C1", "quantity": 1, "price_current": total, "price_sell": total}],
        **extra,
    }


def test_birthday_reward_redeemed_in_part(client: Omneo, tenant: TenantInfo) -> None:
    jane = _profile(client)
    _reward_definition(client, "birthday")
    reward = client.rewards.create({"profile_id": jane, "reward_definition_handle": "birthday"})
    assert reward.value_initial == Decimal("20.00") and reward.value_remaining == Decimal("20.00")
    assert reward.expires_at is not None and reward.is_active

    assert client.profiles.balances.get(jane).reward_balance == Decimal("20.00")
    redeemed = client.profiles.redeem(jane, Decimal("7.50"))
    assert redeemed.total == Decimal("7.50")
    assert redeemed.balances is not None and redeemed.balances.reward_balance == Decimal("12.50")
    assert client.profiles.rewards.get(jane, reward.id).value_remaining == Decimal("12.50")

    entries = client.profiles.ledgers.list(jane)
    assert [(e.type, e.dollar_value) for e in entries] == [("reward", Decimal("-7.50")), ("reward", Decimal("20.00"))]
    assert entries[0].dollar_balance == Decimal("12.50")
    profile = client.profiles.get(jane)
    assert (profile.reward_balance, profile.combined_balance_dollars) == (Decimal("12.50"), Decimal("12.50"))

    # Merging another customer in brings their rewards and ledger along.
    john = _profile(client, "john@example.com")
    client.rewards.create({"profile_id": john, "reward_definition_handle": "birthday", "value_initial": "5"})
    client.profiles.merge_into(jane, john)
    assert client.profiles.balances.get(jane).reward_balance == Decimal("17.50")
    assert len(client.profiles.ledgers.list(jane)) == 3
    assert tenant.verify() == []


def test_checkout_spends_benefit_then_rewards_by_expiry_then_credit(client: Omneo, tenant: TenantInfo) -> None:
    jane = _profile(client)
    _reward_definition(client, "spend", value="10")
    client.benefit_definitions.create(
        {"name": "Free coffee", "handle": "coffee", "period": 30, "absolute_expiry": None, "max_redemptions": 1}
    )
    client.credit_definitions.create(
        {
            "name": "Gift card",
            "handle": "gift",
            "type": "gift_card",
            "absolute_expiry": None,
            "credit_number_range_start": None,
            "credit_number_range_end": None,
            "release_period_absolute_expiry": None,
        }
    )
    later = client.rewards.create({"profile_id": jane, "reward_definition_handle": "spend", "expires_at": "2099-01-01"})
    sooner = client.rewards.create(
        {"profile_id": jane, "reward_definition_handle": "spend", "expires_at": "2098-01-01"}
    )
    credit = client.credits.create({"profile_id": jane, "credit_definition_handle": "gift", "value_initial": "50"})
    assert credit.credit_number and credit.security_code
    benefit = client.benefits.create({"profile_id": jane, "benefit_definition_handle": "coffee"})

    redemption = client.profiles.redemptions.create(
        jane,
        {
            "amount": "25",
            "strategies": ["rewards", "credits"],
            "benefits": [{"handle": "coffee"}],
            "transaction_external_id": "ORDER-9",
        },
    )
    spent = [(item.type, item.type_attributes["id"], item.value) for item in redemption.items]  # type: ignore[index]
    assert spent == [
        ("benefit", benefit.id, Decimal("0.00")),
        ("reward", sooner.id, Decimal("10.00")),
        ("reward", later.id, Decimal("10.00")),
        ("credit", credit.id, Decimal("5.00")),
    ]
    assert redemption.total == Decimal("25.00")
    balances = client.profiles.balances.get(jane)
    assert (balances.reward_balance, balances.credit_balance, balances.benefit_balance) == (0, Decimal("45.00"), 0)
    assert client.profiles.redemptions.count(jane, "benefit", benefit.id).count == 1

    # Within ten minutes the whole redemption can be undone.
    reversal = client.redemptions.reversal(redemption.id)
    assert reversal.total == Decimal("25.00")
    balances = client.profiles.balances.get(jane)
    assert (balances.reward_balance, balances.credit_balance, balances.benefit_balance) == (
        Decimal("20.00"),
        Decimal("50.00"),
        1,
    )
    with pytest.raises(ValidationError):
        client.redemptions.reversal(redemption.id)
    assert tenant.verify() == []


def test_reversal_window_and_returns(client: Omneo, tenant: TenantInfo, time_machine: Clock) -> None:
    jane = _profile(client)
    _reward_definition(client, "spend", value="30", period=365)
    client.rewards.create({"profile_id": jane, "reward_definition_handle": "spend"})
    redemption = client.profiles.redeem(jane, Decimal("20"))
    time_machine.travel(timedelta(minutes=11))
    with pytest.raises(ValidationError, match="10 minutes"):
        client.redemptions.reversal(redemption.id)
    # A product return gives part of the value back instead.
    client.redemptions.return_(redemption.id, {"amount": "5"})
    assert client.profiles.balances.get(jane).reward_balance == Decimal("15.00")
    client.redemptions.return_(redemption.id)
    assert client.profiles.balances.get(jane).reward_balance == Decimal("30.00")
    with pytest.raises(ValidationError):
        client.redemptions.return_(redemption.id)
    assert tenant.verify() == []


def test_bad_redemptions_write_nothing(client: Omneo, tenant: TenantInfo, time_machine: Clock) -> None:
    jane, john = _profile(client), _profile(client, "john@example.com")
    _reward_definition(client, "short", value="10", period=1)
    _reward_definition(client, "draft", is_published=False)
    client.reward_definitions.create(
        {
            "name": "Manual",
            "handle": "manual",
            "value": "5",
            "type": "other",
            "period": 5,
            "absolute_expiry": None,
            "is_assignable": False,
        }
    )
    johns = client.rewards.create({"profile_id": john, "reward_definition_handle": "short"})
    client.rewards.create({"profile_id": jane, "reward_definition_handle": "short"})
    before = tenant.row_counts()
    cases: list[tuple[str, dict[str, Any]]] = [
        ("amount", {"amount": "10.01"}),
        ("amount", {"amount": "-5"}),
        ("amount", {"amount": "0"}),
        ("amount", {"amount": "0.001"}),  # positive, but nothing once rounded to cents
        ("strategies.0", {"amount": "1", "strategies": ["bitcoin"]}),
        ("benefits.0.handle", {"amount": "1", "benefits": [{"handle": "none"}]}),
    ]
    for field, body in cases:
        with pytest.raises(ValidationError) as caught:
            client.profiles.redemptions.create(jane, body)
        assert any(key.startswith(field.split(".")[0]) for key in caught.value.errors), (field, caught.value.errors)
    with pytest.raises(ValidationError) as caught:
        client.rewards.create({"profile_id": jane, "reward_definition_handle": "draft"})
    assert "not published" in str(caught.value)
    with pytest.raises(ValidationError, match="not assignable"):
        client.rewards.create({"profile_id": jane, "reward_definition_handle": "manual"})
    with pytest.raises(ValidationError):
        client.rewards.create({"profile_id": jane, "reward_definition_handle": "short", "value_initial": "-1"})
    # Another profile's reward is not this profile's to see or spend.
    with pytest.raises(NotFoundError):
        client.profiles.rewards.get(jane, johns.id)
    with pytest.raises(ValidationError):
        client.call("GET", "/allocations/99999999999999999999/count")
    assert tenant.row_counts() == before
    # An expired reward is not redeemable.
    time_machine.travel(timedelta(days=3))
    assert client.profiles.balances.get(jane).reward_balance == 0
    with pytest.raises(ValidationError):
        client.profiles.redeem(jane, Decimal("1"))
    with pytest.raises(ValidationError, match="no balance"):
        client.profiles.redemptions.create(jane, {"amount": "1", "strict": False, "strategies": ["rewards"]})
    assert tenant.verify() == []


def test_points_through_a_rate_cross_a_tier_and_fall_back_on_return(client: Omneo, tenant: TenantInfo) -> None:
    jane = _profile(client)
    client.point_definitions.create({"name": "Points", "handle": "points", "type": "reward"})
    client.point_definitions.create({"name": "Status credits", "handle": "tier-spend", "type": "tier"})
    client.rates.create({"point_definition_handle": "points", "rate": "2", "name": "Double points"})
    for name, value_min, floor in (("Bronze", "0", True), ("Silver", "300", False), ("Gold", "1000", False)):
        client.tier_definitions.create(
            {"name": name, "handle": name.lower(), "value_min": value_min, "is_floor": floor, "value_maintain": None}
        )

    client.transactions.create(_sale("500.00", jane, receipt_ref="R-1", external_id="T1"))
    balances = client.profiles.balances.get(jane)
    assert balances.point_balance == Decimal("1000.00")
    assert balances.point_balance_dollars == Decimal("10.00")
    progress = client.profiles.tiers.list(jane)
    assert progress.current_tier is not None and progress.current_tier.handle == "silver"
    assert progress.total_points_12m == Decimal("500.00")

    # Half the goods come back: half the points and tier points go, the tier stays until its anniversary.
    client.transactions.create(
        {**_sale("-250.00", jane, receipt_ref="R-2", external_id="T2", linked_receipt_ref="R-1"), "type": "return"}
    )
    assert client.profiles.balances.get(jane).point_balance == Decimal("500.00")
    progress = client.profiles.tiers.list(jane)
    assert progress.current_tier is not None and progress.current_tier.handle == "silver"
    assert progress.total_points_12m == Decimal("250.00")
    assert tenant.verify() == []


def test_void_undoes_earning_and_points_redeem_for_dollars(client: Omneo, tenant: TenantInfo) -> None:
    jane = _profile(client)
    client.point_definitions.create({"name": "Points", "handle": "points", "type": "reward"})
    client.rates.create({"point_definition_handle": "points", "rate": "10"})
    first = client.transactions.create(_sale("100.00", jane, external_id="T1"))
    client.transactions.create(_sale("50.00", jane, external_id="T2"))
    assert client.profiles.balances.get(jane).point_balance == Decimal("1500.00")
    # 1500 points at 100 points a dollar: $15; spend $12 of it.
    assert client.profiles.redeem(jane, Decimal("12")).total == Decimal("12.00")
    assert client.profiles.balances.get(jane).point_balance == Decimal("300.00")
    # Voiding the first sale takes its 1000 points back as far as they remain: never below zero.
    client.transactions.update(first.id, {"is_void": True})
    assert client.profiles.balances.get(jane).point_balance == 0
    client.transactions.update(first.id, {"is_void": False})
    assert client.profiles.balances.get(jane).point_balance == Decimal("1000.00")
    assert tenant.verify() == []


def test_benefit_claimed_then_redeemed(client: Omneo, tenant: TenantInfo) -> None:
    jane = _profile(client)
    client.benefit_definitions.create(
        {
            "name": "VIP lounge",
            "handle": "lounge",
            "period": 7,
            "absolute_expiry": None,
            "is_claimable": True,
            "max_redemptions": 2,
            "claim_condition": {"==": [{"var": "first_name"}, "Jane"]},
        }
    )
    assert [d.handle for d in client.profiles.benefits.claimable(jane)] == ["lounge"]
    benefit = client.profiles.benefits.claim(jane, {"benefit_definition_handle": "lounge"})
    assert benefit.redemptions_remaining == 2 and benefit.claimed_at is not None
    assert client.profiles.benefits.claimable(jane) == []
    with pytest.raises(ValidationError, match="already been claimed"):
        client.profiles.benefits.claim(jane, {"benefit_definition_handle": "lounge"})

    assert [b.id for b in client.profiles.benefits.redeemable(jane)] == [benefit.id]
    client.profiles.benefits.redeem(jane, benefit.id)
    client.profiles.benefits.redeem(jane, benefit.id)
    assert list(client.profiles.benefits.redeemable(jane)) == []  # used up
    with pytest.raises(ValidationError):
        client.profiles.benefits.redeem(jane, benefit.id)
    assert client.profiles.benefits.get(jane, benefit.id).redemptions_remaining == 0
    john = _profile(client, "john@example.com")
    with pytest.raises(ValidationError, match="claim condition"):
        client.profiles.benefits.claim(john, {"benefit_definition_handle": "lounge"})
    # claim-redeem: claimed and used in one go
    client.benefit_definitions.create(
        {"name": "Coffee", "handle": "coffee", "period": 1, "absolute_expiry": None, "is_claimable": True}
        | {"max_redemptions": 1}
    )
    used = client.profiles.benefits.claim_redeem(john, {"benefit_definition_handle": "coffee"})
    assert [(item.type, item.count) for item in used.items] == [("benefit", 1)]
    assert client.profiles.benefits.list(john).data[0].redemptions_remaining == 0
    assert tenant.verify() == []


async def test_200_concurrent_redemptions_never_overspend(aclient: AsyncOmneo, tenant: TenantInfo) -> None:
    jane = str((await aclient.profiles.create({"email": "race@example.com"})).id)
    await aclient.reward_definitions.create(
        {"name": "Pot", "handle": "pot", "value": "150", "type": "other", "period": 30, "absolute_expiry": None}
    )
    await aclient.rewards.create({"profile_id": jane, "reward_definition_handle": "pot"})

    async def attempt() -> Decimal:
        try:
            return (await aclient.profiles.redeem(jane, Decimal("1"))).total or Decimal(0)
        except ValidationError:
            return Decimal(0)

    totals = await asyncio.gather(*(attempt() for _ in range(200)))
    assert sum(totals) == Decimal("150") and totals.count(Decimal("1.00")) == 150
    assert (await aclient.profiles.balances.get(jane)).reward_balance == 0
    entries = await aclient.profiles.ledgers.list(jane)
    assert sum(e.dollar_value or 0 for e in entries) == 0 and len(entries) == 151
    assert tenant.verify() == []


def test_a_year_of_anniversaries_keeps_then_drops_the_tier(client: Omneo, time_machine: Clock) -> None:
    jane = _profile(client)
    client.point_definitions.create({"name": "Status", "handle": "status", "type": "tier"})
    for name, value_min, maintain, floor in (("Base", "0", None, True), ("Silver", "300", "250", False)):
        body = {"name": name, "handle": name.lower(), "value_min": value_min, "value_maintain": maintain}
        client.tier_definitions.create({**body, "is_floor": floor})

    def spend(total: str, external_id: str) -> None:
        now = clock.now().strftime("%Y-%m-%d %H:%M:%S")  # the server's clock, which the test moves
        client.transactions.create({**_sale(total, jane, external_id=external_id), "transacted_at": now})

    spend("400.00", "Y0")
    progress = client.profiles.tiers.list(jane)
    assert progress.current_tier is not None and progress.current_tier.handle == "silver"
    first_anniversary = progress.anniversary_at

    # Eleven months on, another 260: at the anniversary the window holds 260 ≥ 250, so Silver stays.
    time_machine.travel(timedelta(days=335))
    spend("260.00", "Y1")
    time_machine.travel(timedelta(days=40))
    kept = client.profiles.tiers.calculate(jane)
    assert kept.current_tier is not None and kept.current_tier.handle == "silver"
    assert kept.anniversary_at is not None and first_anniversary is not None
    assert kept.anniversary_at > first_anniversary and kept.maintained_at is not None

    # A quiet year: at the next anniversary nothing qualifies, down to the floor.
    time_machine.travel(timedelta(days=366))
    dropped = client.profiles.tiers.calculate(jane)
    assert dropped.current_tier is not None and dropped.current_tier.handle == "base"


def test_extending_rewards_and_benefits(client: Omneo, tenant: TenantInfo) -> None:
    jane = _profile(client)
    _reward_definition(client, "flexible", is_extendable=True, extend_days=10)
    _reward_definition(client, "rigid")
    client.benefit_definitions.create(
        {"name": "Lounge", "handle": "lounge", "period": 7, "absolute_expiry": None, "is_extendable": True}
    )
    flexible = client.rewards.create({"profile_id": jane, "reward_definition_handle": "flexible"})
    rigid = client.rewards.create({"profile_id": jane, "reward_definition_handle": "rigid"})
    benefit = client.benefits.create({"profile_id": jane, "benefit_definition_handle": "lounge"})
    assert flexible.expires_at is not None and benefit.expires_at is not None

    extended = client.rewards.extend({"ids": [flexible.id], "profile_id": jane}).data
    assert extended[0].expires_at == flexible.expires_at + timedelta(days=10)
    assert extended[0].extended_at is not None
    with pytest.raises(ValidationError, match="not extendable"):
        client.rewards.extend({"ids": [rigid.id], "profile_id": jane})
    moved = client.benefits.extend({"ids": [benefit.id], "profile_id": jane, "extend_date": "2099-12-31 23:59:59"})
    assert str(moved.data[0].expires_at)[:10] == "2099-12-31"
    with pytest.raises(ValidationError):
        client.benefits.extend({"ids": [benefit.id], "profile_id": jane, "extend_date": "2001-01-01"})
    assert tenant.verify() == []
