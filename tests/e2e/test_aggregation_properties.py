"""Property: however purchases, returns, voids and deletions interleave, the aggregations kept
current by each write equal the aggregations recomputed from scratch (and a plain oracle)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omneo import Omneo

START = datetime(2024, 1, 1, 20, 0)
ZONE = "Australia/Melbourne"

buy = st.tuples(st.just("buy"), st.integers(1, 50_000), st.integers(0, 800), st.sampled_from(["pos", "web"]))
ret = st.tuples(st.just("return"), st.integers(1, 20_000), st.integers(0, 800), st.sampled_from(["pos", "web"]))
void = st.tuples(st.just("void"), st.integers(0, 50), st.just(0), st.just(""))
drop = st.tuples(st.just("delete"), st.integers(0, 50), st.just(0), st.just(""))
operations = st.lists(st.one_of(buy, buy, ret, void, drop), min_size=1, max_size=12)


def _sale(cents: int, day: int, system: str, profile_id: str, sign: int) -> dict[str, Any]:
    total = str(Decimal(sign * cents) / 100)
    return {
        "profile_id": profile_id,
        "transacted_at": (START + timedelta(days=day, minutes=day)).strftime("%Y-%m-%d %H:%M:%S"),
        "timezone": ZONE,
        "total": total,
        "type": "sale" if sign > 0 else "return",
        "systems": [system],
        "items": [
            {
                "name": "thing",
                "quantity": sign,
                "price_current": str(Decimal(cents) / 100),
                "price_sell": str(Decimal(cents) / 100),
            }
        ],
    }


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_running_aggregations_equal_a_rebuild(client: Omneo, ops: list[tuple[str, int, int, str]]) -> None:
    profile = client.profiles.create({"email": f"p{datetime.now().timestamp()}@example.com"})
    live: list[tuple[int, Decimal, datetime]] = []  # (id, total, transacted_at) of non-void transactions
    for kind, amount, day, system in ops:
        if kind in ("buy", "return"):
            tx = client.transactions.create(_sale(amount, day, system, profile.id, 1 if kind == "buy" else -1))
            live.append((tx.id, tx.total, tx.transacted_at))
        elif live:
            target = live.pop(amount % len(live))
            if kind == "void":
                client.transactions.update(target[0], {"is_void": True})
            else:
                client.transactions.delete(target[0])

    stored = client.profiles.aggregations.list(profile.id).model_dump()
    rebuilt = client.profiles.aggregations.calculate(profile.id).model_dump()
    # Every fact agrees; ``updated_at`` is when the row was last written (a rebuild writes it anew).
    assert {**stored, "updated_at": None} == {**rebuilt, "updated_at": None}

    per_day: dict[Any, Decimal] = defaultdict(Decimal)
    for _id, total, when in live:
        per_day[when.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(ZONE)).date()] += total
    assert stored["spend_all"] == sum((total for _id, total, _when in live), Decimal("0.00"))
    assert stored["transaction_count"] == len(live)
    assert stored["shop_count"] == sum(1 for net in per_day.values() if net > 0)
