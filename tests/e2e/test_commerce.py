"""The SDK against the real server: transactions, returns, claims, orders and aggregations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from omneo import ConflictError, NotFoundError, Omneo, ValidationError
from tests.conftest import TenantInfo


def sale(total: str, *, when: str = "2025-06-15 14:32:00", qty: int = 1, **extra: Any) -> dict[str, Any]:
    price = str(Decimal(total) / qty)
    return {
        "transacted_at": when,
        "timezone": "Australia/Melbourne",
        "total": total,
        "items": [
            {"name": "Linen Shirt", "sku": "1012310", "quantity": qty, "price_current": price, "price_sell": price}
        ],
        "payments": [{"payment_code": "CASH", "tender_value": total}],
        **extra,
    }


def test_create_list_by_profile_and_aggregations(client: Omneo) -> None:
    store = client.locations.create({"name": "Melbourne Central", "phone": "0390000000", "external_code": "MC1"})
    jane = client.profiles.create({"email": "jane@example.com", "identities": [{"handle": "pos", "identifier": "C1"}]})
    first = client.transactions.create(
        sale(
            "149.95",
            profile_id="jane@example.com",
            profile_id_handle="email",
            external_id="ORDER-1",
            location_id="MC1",
            systems=["pos"],
        )
    )
    assert first.profile_id == jane.id and first.total == Decimal("149.95") and first.location_id == store.id
    client.transactions.create(
        sale("50.05", when="2025-07-01 09:00:00", profile_id="C1", profile_id_handle="pos", systems=["web"])
    )
    listed = client.profiles.transactions.list(jane.id)
    assert [tx.total for tx in listed] == [Decimal("50.05"), Decimal("149.95")]
    aggregations = client.profiles.aggregations.list(jane.id)
    assert aggregations.spend_all == Decimal("200.00")
    assert aggregations.shop_count == 2 and aggregations.spend_atv_all == Decimal("100.00")
    assert aggregations.channel == "CO" and aggregations.dimension_frequency == "F2"
    assert str(aggregations.spend_first_date) == "2025-06-16"  # 14:32 UTC is the next morning in Melbourne
    assert client.transactions.get_by_external_id("ORDER-1").id == first.id


def test_a_return_lowers_spend(client: Omneo) -> None:
    profile = client.profiles.create({"email": "r@example.com"})
    client.transactions.create(sale("200.00", qty=2, profile_id=profile.id))
    client.transactions.create(
        sale("-100.00", qty=-1, type="return", when="2025-06-20 10:00:00", profile_id=profile.id)
    )
    aggregations = client.profiles.aggregations.list(profile.id)
    assert aggregations.spend_all == Decimal("100.00")
    assert aggregations.shop_count == 1  # a return-only day is not a shopping day
    recalculated = client.profiles.aggregations.calculate(profile.id)
    assert recalculated.model_dump() == aggregations.model_dump()


def test_update_create_is_idempotent_and_what_was_sold_is_immutable(client: Omneo, tenant: TenantInfo) -> None:
    profile = client.profiles.create({"email": "u@example.com"})
    body = sale("80.00", profile_id=profile.id, external_id="POS-77", systems=["pos"])
    first = client.transactions.update_create(body)
    again = client.transactions.update_create({**body, "status": "complete", "tags": ["promo"]})
    assert again.id == first.id and again.status == "complete"
    assert client.transactions.list({"filter": {"external_id": "POS-77"}}).meta.total == 1  # type: ignore[union-attr]
    assert client.profiles.aggregations.list(profile.id).spend_all == Decimal("80.00")
    # the same sale sent again through create is answered with the stored one
    assert client.transactions.create(body).id == first.id
    before = tenant.row_counts()
    with pytest.raises(ConflictError):
        client.transactions.create({**body, **sale("81.00")})
    with pytest.raises(ValidationError) as changed:
        client.transactions.update_create({**body, **sale("81.00")})
    assert "total" in changed.value.errors or "items" in changed.value.errors
    with pytest.raises(ValidationError) as frozen:
        client.transactions.update(first.id, {"total": "1.00"})
    assert "total" in frozen.value.errors
    assert tenant.row_counts() == before
    # the same external id from another system is another transaction
    assert client.transactions.create({**body, "systems": ["web"]}).id != first.id


def test_void_and_delete_take_the_spend_back(client: Omneo) -> None:
    profile = client.profiles.create({"email": "v@example.com"})
    kept = client.transactions.create(sale("30.00", profile_id=profile.id))
    voided = client.transactions.create(sale("70.00", when="2025-06-16 10:00:00", profile_id=profile.id))
    assert client.profiles.aggregations.list(profile.id).spend_all == Decimal("100.00")
    assert client.transactions.update(voided.id, {"is_void": True}).is_void is True
    assert client.profiles.aggregations.list(profile.id).latest_shop_spend == Decimal("30.00")
    client.transactions.delete(kept.id)
    with pytest.raises(NotFoundError):
        client.transactions.get(kept.id)
    assert client.profiles.aggregations.list(profile.id).spend_all == Decimal("0.00")


def test_guest_transaction_then_claim(client: Omneo) -> None:
    guest = client.transactions.create(sale("45.00", receipt_ref="R-100"))
    assert guest.profile_id is None
    profile = client.profiles.create({"email": "claimer@example.com"})
    claim = client.profiles.transaction_claims.create(
        profile.id, {"transaction_receipt_ref": "R-100", "transaction_total": "45.00"}
    )
    assert claim.status == "claimed" and claim.claimed_transaction_id == guest.id
    assert client.transactions.get(guest.id).profile_id == profile.id
    assert client.profiles.aggregations.list(profile.id).spend_all == Decimal("45.00")
    with pytest.raises(ConflictError):
        client.profiles.transaction_claims.create(profile.id, {"transaction_receipt_ref": "R-100"})
    other = client.profiles.create({"email": "other@example.com"})
    with pytest.raises(ValidationError):
        client.profiles.transaction_claims.create(other.id, {"transaction_receipt_ref": "R-100"})
    # a claim made before the receipt arrives is matched when it does
    early = client.profiles.transaction_claims.create(other.id, {"transaction_receipt_ref": "R-200"})
    assert early.status == "pending"
    arrived = client.transactions.create(sale("12.00", receipt_ref="R-200"))
    assert arrived.profile_id == other.id
    assert client.profiles.transaction_claims.get(other.id, early.id).status == "claimed"
    detached = client.profiles.transactions.unattach(other.id, arrived.id)
    assert detached.profile_id is None
    assert client.profiles.aggregations.list(other.id).spend_all == Decimal("0.00")


def test_an_order_fulfilled_by_two_transactions(client: Omneo) -> None:
    profile = client.profiles.create({"email": "o@example.com"})
    order = client.orders.create(
        {**sale("100.00", qty=2, profile_id=profile.id), "external_id": "WEB-1", "status": "pending"}
    )
    assert client.profiles.aggregations.list(profile.id).spend_all == Decimal("0.00")  # orders don't count
    for n in range(2):
        client.transactions.create(sale("50.00", profile_id=profile.id, order_id=order.id, external_id=f"WEB-1-{n}"))
    fulfilled = client.orders.update(order.id, {"status": "fulfilled"})
    assert fulfilled.status == "fulfilled"
    assert len(fulfilled.transactions or []) == 2
    assert client.profiles.aggregations.list(profile.id).spend_all == Decimal("100.00")
    item = client.orders.items.create(
        order.id, {"name": "Gift wrap", "quantity": 1, "price_current": "5.00", "price_sell": "5.00"}
    )
    assert client.orders.items.get(order.id, item.id).name == "Gift wrap"
    assert [o.id for o in client.profiles.orders.list(profile.id)] == [order.id]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"profile_id": "00000000-0000-4000-8000-000000000000"}, "profile_id"),
        ({"profile_id": "nobody@example.com", "profile_id_handle": "email"}, "profile_id"),
        ({"location_id": "NOWHERE"}, "location_id"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"transacted_at": "soon"}, "transacted_at"),
        (
            {
                "items": [
                    {"name": "x", "quantity": 2, "price_current": "10", "price_sell": "10"},
                    {"name": "y", "quantity": -1, "price_current": "10", "price_sell": "10"},
                ],
                "total": "10",
            },
            "items.1.quantity",
        ),
        (
            {
                "items": [
                    {
                        "name": "x",
                        "quantity": 1,
                        "price_current": "10",
                        "price_sell": "10",
                        "product_variant_id": 999999,
                    }
                ],
                "total": "10",
            },
            "items.0.product_variant_id",
        ),
        ({"items": [{"name": "x", "quantity": "many", "price_current": "1", "price_sell": "1"}]}, "items.0.quantity"),
        ({"total": "1e15"}, "total"),  # beyond what a total column holds (more places are rounded)
    ],
)
def test_bad_transactions_are_422_and_write_nothing(
    client: Omneo, tenant: TenantInfo, change: dict, field: str
) -> None:
    profile = client.profiles.create({"email": "bad@example.com"})
    before = tenant.row_counts()
    body = {**sale("10.00", profile_id=profile.id), **change}
    with pytest.raises(ValidationError) as exc:
        client.transactions.create(body)
    assert field in exc.value.errors, exc.value.errors
    assert tenant.row_counts() == before


def test_transaction_custom_fields(client: Omneo) -> None:
    body = sale("20.00", custom_fields=[{"namespace": "pos", "handle": "lane", "type": "integer", "value": 4}])
    tx = client.transactions.create(body)
    assert [(f.namespace, f.handle, f.value) for f in tx.custom_fields or []] == [("pos", "lane", 4)]
    client.transactions.custom_fields.update(tx.id, "pos", "lane", {"value": 5})
    assert client.transactions.custom_fields.get(tx.id, "pos", "lane").value == 5
    assert [f.value for f in client.transactions.get(tx.id).custom_fields or []] == [5]
    with pytest.raises(NotFoundError):
        client.transactions.custom_fields.get(999999, "pos", "lane")
