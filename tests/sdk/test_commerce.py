"""Commerce namespaces: SDK-side request building (paths where the JS SDK has quirks, bodies the
SDK rewrites) and response shapes, against the scripted stub server."""

from __future__ import annotations

from decimal import Decimal

from omneo import AsyncOmneo, Omneo, Page
from omneo.types import Aggregations, Transaction, TransactionItem

from .conftest import Reply, ScriptedServer


def _sent(stub: ScriptedServer) -> list[tuple[str, str, object, dict[str, str]]]:
    return [(r.method, r.path, r.body and r.json(), r.query) for r in stub.requests]


def test_update_create_drops_null_receipt_is_email_and_is_void(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [Reply(200, {"data": {"id": 7, "total": 19.90}})]
    body = {"external_id": "r1", "receipt_is_email": None, "is_void": None, "receipt_email": None, "total": 1}
    result = client.transactions.update_create(body)
    assert isinstance(result, Transaction) and result.total == Decimal("19.90")
    client.transactions.update_create(Transaction(external_id="r2", is_void=None, receipt_is_email=False))
    assert _sent(stub) == [
        ("POST", "/api/v3/transactions/update-create", {"external_id": "r1", "receipt_email": None, "total": 1}, {}),
        ("POST", "/api/v3/transactions/update-create", {"external_id": "r2", "receipt_is_email": False}, {}),
    ]
    assert body["is_void"] is None  # the caller's dict is left alone


def test_transaction_paths_fix_the_js_quirks(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [Reply(200, {"data": [{"id": 1, "transaction_id": 5}], "links": {}, "meta": {}})]
    items = client.transactions.items.list(5, {"page": {"size": 10}})
    assert isinstance(items, Page) and isinstance(items.data[0], TransactionItem)
    stub.script = [Reply(200, {"data": {"id": 9}})]
    client.transactions.items.link_list_item(9, {"product_list_item_id": 3, "type": "link"})
    client.transactions.items.recalculate(9)
    client.transactions.resend(5)
    client.transactions.custom_fields.versions("crm", "score")
    client.locations.get_by_type("external", "S-1")
    assert _sent(stub) == [
        ("GET", "/api/v3/transactions/5/items", b"", {"page[size]": "10"}),
        ("POST", "/api/v3/transactions/items/9/list-item", {"product_list_item_id": 3, "type": "link"}, {}),
        ("PUT", "/api/v3/transactions/items/9", b"", {}),
        ("POST", "/api/v3/transactions/5/resend", b"", {}),
        ("GET", "/api/v3/transactions/custom-fields/crm:score/versions", b"", {}),
        ("GET", "/api/v3/locations/external/S-1", b"", {}),
    ]


def test_queue_answers_the_whole_body(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [Reply(200, {"data": "job-1"})]
    assert client.orders.queue_create({"total": 1}).data == "job-1"
    assert client.products.queue({"external_id": "p"}) == "job-1"
    assert [r.path for r in stub.requests] == ["/api/v3/orders/queue/create", "/api/v3/products/queue"]


def test_profile_transactions(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [Reply(200, {"data": {"id": 3, "items": [{"id": 4}]}})]
    transaction = client.profiles.transactions.get("p1", 3)
    assert isinstance(transaction, Transaction) and transaction.items[0].id == 4
    client.profiles.transactions.unlink_list_item("p1", 4, 8)
    stub.script = [Reply(200, {"current_page": 2, "data": [], "total": 0})]
    assert client.profiles.transactions.get_grouped("p1", page_size=5, page_number=2)["current_page"] == 2
    stub.script = [Reply(200, {"data": [], "links": {}, "meta": {}})]
    client.profiles.transactions.get_unassigned_items("p1", include_list_item=True)
    client.profiles.transactions.get_assigned_items("p1")
    stub.script = [Reply(404, {"message": "Not found"})]
    assert client.profiles.transactions.find("p1", "receipt_ref", "R-1") == []
    stub.script = [Reply(200, {"data": {"id": 1}})]
    client.profiles.interactions.get("p1", 6)
    assert _sent(stub) == [
        ("GET", "/api/v3/profiles/p1/transactions/3", b"", {}),
        (
            "POST",
            "/api/v3/profiles/p1/transactions/items/4/list-item",
            {"product_list_item_id": 8, "type": "unlink"},
            {},
        ),
        ("GET", "/api/v3/profiles/p1/group_transactions", b"", {"page[size]": "5", "page[number]": "2"}),
        ("GET", "/api/v3/profiles/p1/transactionitems/list/unassigned", b"", {"include_list_item": "1"}),
        ("GET", "/api/v3/profiles/p1/transactionitems/list/assigned", b"", {}),
        ("GET", "/api/v3/profiles/p1/find-transactions", b"", {"filter[receipt_ref]": "R-1"}),
        ("GET", "/api/v3/profiles/p1/interactions/6", b"", {}),
    ]


async def test_profile_commerce_async(stub: ScriptedServer, aclient: AsyncOmneo) -> None:
    stub.script = [Reply(404, {"message": "Not found"})]
    assert await aclient.profiles.transactions.find("p1", "status", "open") == []
    stub.script = [
        Reply(200, {"data": {"profile_id": "p1", "spend_12m": 10.5, "spend_last_date": "2024-05-01 13:00:00"}})
    ]
    aggregations = await aclient.profiles.aggregations.calculate("p1")
    assert isinstance(aggregations, Aggregations) and aggregations.spend_12m == Decimal("10.5")
    assert str(aggregations.spend_last_date) == "2024-05-01"
    stub.script = [Reply(200, {"data": [{"id": 1, "count": 2, "sku": "A"}], "links": {}, "meta": {}})]
    products = await aclient.profiles.transaction_products("p1")
    assert products.data[0].count == 2
    assert [r.path for r in stub.requests][1:] == [
        "/api/v3/profiles/p1/aggregations/calculate",
        "/api/v3/profiles/p1/transaction-products",
    ]
