"""Property: however issues, earns, returns, voids, redemptions, reversals and the passing of time
interleave, every balance stays ≥ 0, equals what the profile's own lots say, and ``verify`` finds
every cached balance equal to its ledger."""

from __future__ import annotations

import uuid
from contextlib import suppress
from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omneo import NotFoundError, Omneo, ValidationError
from tests.conftest import Clock, TenantInfo

issue = st.tuples(st.just("issue"), st.integers(1, 5_000), st.integers(1, 60))
earn = st.tuples(st.just("earn"), st.integers(1, 50_000), st.just(0))
give_back = st.tuples(st.just("return"), st.integers(0, 20), st.integers(1, 100))
void = st.tuples(st.just("void"), st.integers(0, 20), st.just(0))
redeem = st.tuples(st.just("redeem"), st.integers(1, 8_000), st.integers(0, 5))
reverse = st.tuples(st.just("reverse"), st.integers(0, 20), st.just(0))
wait = st.tuples(st.just("wait"), st.integers(1, 40), st.just(0))
operations = st.lists(st.one_of(issue, earn, give_back, void, redeem, redeem, reverse, wait), min_size=1, max_size=14)
STRATEGIES = (["rewards"], ["points"], ["rewards", "points"], ["points", "rewards"], ["rewards", "credits"], None)


def _ensure_programme(client: Omneo) -> None:
    try:
        client.reward_definitions.get_by_handle("gift")  # type: ignore[attr-defined]
        return
    except (NotFoundError, AttributeError):
        pass
    try:
        client.reward_definitions.create(
            {"name": "Gift", "handle": "gift", "value": "1", "type": "other", "period": 30, "absolute_expiry": None}
        )
        client.point_definitions.create({"name": "Points", "handle": "points", "type": "reward"})
        client.rates.create({"point_definition_handle": "points", "rate": "1"})
        client.point_definitions.create({"name": "Tier", "handle": "tier", "type": "tier"})
        client.tier_definitions.create({"name": "Base", "handle": "base", "value_min": "0", "is_floor": True})
        client.tier_definitions.create({"name": "Top", "handle": "top", "value_min": "200"})
    except ValidationError:
        pass  # already set up by an earlier example


def _sale(profile_id: str, total: Decimal, receipt: str, linked: str | None = None) -> dict[str, Any]:
    return {
        "profile_id": profile_id,
        "transacted_at": "2026-01-10 10:00:00",
        "timezone": "UTC",
        "total": str(total),
        "receipt_ref": receipt,
        "linked_receipt_ref": linked,
        "type": "sale" if total > 0 else "return",
        "items": [
            {
                "name": "thing",
                "quantity": 1 if total > 0 else -1,
                "price_current": str(abs(total)),
                "price_sell": str(abs(total)),
            }
        ],
    }


def _check(client: Omneo, profile_id: str) -> None:
    balances = client.profiles.balances.get(profile_id)
    for name in ("reward_balance", "point_balance", "credit_balance", "combined_balance_dollars"):
        assert getattr(balances, name) >= 0, (name, balances)
    rewards = client.profiles.rewards.list(profile_id, {"page[size]": 100}).data
    points = client.profiles.points.list(profile_id, {"page[size]": 100}).data
    assert balances.reward_balance == sum((r.value_remaining for r in rewards if r.is_active), Decimal(0))
    assert balances.point_balance == sum(
        (p.value_remaining for p in points if p.status == "active" and p.value_remaining), Decimal(0)
    )
    assert all(lot.value_remaining is not None and lot.value_remaining >= 0 for lot in [*rewards, *points])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_balances_stay_equal_to_the_ledger(
    client: Omneo, tenant: TenantInfo, time_machine: Clock, ops: list[tuple[str, int, int]]
) -> None:
    _ensure_programme(client)
    profile_id = str(client.profiles.create({"email": f"{uuid.uuid4().hex}@example.com"}).id)
    sales: list[tuple[int, str, Decimal]] = []
    redemptions: list[int] = []
    for kind, amount, extra in ops:
        if kind == "issue":
            expires = f"2099-01-{extra % 28 + 1:02d}"
            body = {"reward_definition_handle": "gift", "value_initial": str(Decimal(amount) / 100)}
            client.rewards.create({"profile_id": profile_id, **body, "expires_at": expires})
        elif kind == "earn":
            receipt = uuid.uuid4().hex
            tx = client.transactions.create(_sale(profile_id, Decimal(amount) / 100, receipt))
            sales.append((tx.id, receipt, tx.total))
        elif kind == "return" and sales:
            _tx_id, receipt, total = sales[amount % len(sales)]
            part = -(total * extra / 100).quantize(Decimal("0.01"))
            if part:
                client.transactions.create(_sale(profile_id, part, uuid.uuid4().hex, linked=receipt))
        elif kind == "void" and sales:
            tx_id, _receipt, _total = sales.pop(amount % len(sales))
            client.transactions.update(tx_id, {"is_void": True})
        elif kind == "redeem":
            strategies = STRATEGIES[extra]
            body = {"amount": str(Decimal(amount) / 100), "strict": extra % 2 == 0}
            if strategies is not None:
                body["strategies"] = strategies
            before = client.profiles.balances.get(profile_id)
            try:
                made = client.profiles.redemptions.create(profile_id, body)
            except ValidationError:
                assert client.profiles.balances.get(profile_id) == before  # a refusal changes nothing
                continue
            assert made.total is not None and 0 < made.total <= Decimal(amount) / 100
            redemptions.append(made.id)
        elif kind == "reverse" and redemptions:
            with suppress(ValidationError):  # already reversed, or outside the ten minutes
                client.redemptions.reversal(redemptions[amount % len(redemptions)])
        elif kind == "wait":
            time_machine.travel(timedelta(minutes=amount * 3))
        _check(client, profile_id)
    assert tenant.verify() == []
