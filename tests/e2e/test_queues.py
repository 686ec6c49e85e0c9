"""Queued writes and batches through the SDK against the real server: the queue endpoints validate
at once and answer a job id; the worker (``tenant.work()``) applies the job, or records why not."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from omneo import NotFoundError, Omneo, PermissionDeniedError, ValidationError
from omneo_server.db import tables as t
from omneo_server.domain import batches
from omneo_server.domain.context import Ctx
from omneo_server.jobs import queue
from tests.conftest import Clock, TenantInfo
from tests.e2e.test_commerce import sale


def jobs(tenant: TenantInfo) -> list[tuple[str, str]]:
    """This tenant's queued jobs as ``(kind, status)``, oldest first."""

    async def work() -> list[tuple[str, str]]:
        stmt = select(t.QueuedJob.kind, t.QueuedJob.status).where(t.QueuedJob.tenant_id == tenant.id)
        async with tenant.server.db.read() as session:
            rows = await session.execute(stmt.order_by(t.QueuedJob.created_at, t.QueuedJob.id))
            return [(kind, status) for kind, status in rows.all()]

    return tenant.server.run(work())


def test_a_queued_transaction_lands_when_the_worker_runs(client: Omneo, tenant: TenantInfo) -> None:
    jane = client.profiles.create({"email": "jane@example.com"})
    body = sale("149.95", profile_id="jane@example.com", profile_id_handle="email", external_id="Q-1", systems=["pos"])
    queued = client.transactions.queue(body)
    assert isinstance(queued.data, str)
    assert client.transactions.list().meta.total == 0  # type: ignore[union-attr]  # not yet
    assert client.queue.get(queued.data).status == "pending"

    counts = tenant.work()
    assert counts["queued"] == 1
    [tx] = client.transactions.list()
    assert tx.external_id == "Q-1" and tx.profile_id == jane.id
    assert client.profiles.aggregations.list(jane.id).spend_all == Decimal("149.95")
    assert "transaction.created" in tenant.events("transaction.")
    job = client.queue.get(queued.data)
    assert job.status == "done" and job.kind == "transaction.upsert" and job.attempts == 1
    assert job.result == {"id": tx.id, "created": True} and job.error is None

    # The same upsert queued again describes the stored sale: no second transaction.
    again = client.transactions.queue({**body, "status": "complete"})
    created = client.transactions.queue_create(sale("10.00", profile_id=str(jane.id)))
    tenant.work()
    assert client.queue.get(again.data).result == {"id": tx.id, "created": False}
    assert client.transactions.get(tx.id).status == "complete"
    assert client.queue.get(created.data).status == "done"
    assert client.profiles.aggregations.list(jane.id).spend_all == Decimal("159.95")
    assert tenant.work()["queued"] == 0  # nothing left


def test_a_malformed_queued_body_is_refused_at_once(client: Omneo, tenant: TenantInfo) -> None:
    before = tenant.row_counts()
    with pytest.raises(ValidationError) as refused:
        client.transactions.queue({"total": "12.00", "timezone": "Mars/Olympus"})
    assert {"transacted_at", "timezone"} <= set(refused.value.errors)
    with pytest.raises(ValidationError):
        client.transactions.queue_create(
            sale("10.00") | {"items": [{"name": "x", "quantity": "many", "price_current": 1}]}
        )
    with pytest.raises(ValidationError):
        client.products.queue({"title": "no external id"})
    with pytest.raises(ValidationError):
        client.orders.queue({"total": "x"})
    assert tenant.row_counts() == before and jobs(tenant) == []


def test_a_queued_transaction_the_domain_refuses_fails_with_its_error(client: Omneo, tenant: TenantInfo) -> None:
    queued = client.transactions.queue(sale("20.00", profile_id="NOBODY", profile_id_handle="pos"))
    bad_lines = client.transactions.queue_create(sale("20.00") | {"location_id": "NOWHERE"})
    tenant.work()
    job = client.queue.get(queued.data)
    assert job.status == "failed" and job.attempts == 1 and job.result is None
    assert job.error is not None and job.error.status == 422 and "profile_id" in (job.error.errors or {})
    assert client.queue.get(bad_lines.data).error.errors.keys() == {"location_id"}  # type: ignore[union-attr]
    assert client.transactions.list().meta.total == 0  # type: ignore[union-attr]
    assert tenant.work()["queued"] == 0  # a refusal is final: not retried
    with pytest.raises(NotFoundError):
        client.queue.get("00000000-0000-0000-0000-000000000000")


def test_queued_orders_upsert_on_external_id(client: Omneo, tenant: TenantInfo) -> None:
    first = client.orders.queue(sale("30.00", external_id="WEB-9", status="open"))
    tenant.work()
    second = client.orders.queue({**sale("30.00", external_id="WEB-9"), "status": "shipped"})
    duplicate = client.orders.queue_create(sale("30.00", external_id="WEB-9"))
    tenant.work()
    [order] = client.orders.list()
    assert order.status == "shipped"
    assert client.queue.get(first.data).result == {"id": order.id, "created": True}
    assert client.queue.get(second.data).result == {"id": order.id, "created": False}
    refused = client.queue.get(duplicate.data)
    assert refused.status == "failed" and "external_id" in (refused.error.errors or {})  # type: ignore[union-attr]


def test_products_queue(client: Omneo, tenant: TenantInfo) -> None:
    body = {
        "external_id": "P-1",
        "brand": "Acme",
        "handle": "boot",
        "title": "Boot",
        "variants": [{"sku": "B-1", "price": 5, "title": "Boot"}],
    }
    job_id = client.products.queue(body)
    assert client.products.list().meta.total == 0  # type: ignore[union-attr]
    tenant.work()
    [product] = client.products.list()
    assert product.title == "Boot" and [v.sku for v in product.variants or []] == ["B-1"]
    assert client.queue.get(job_id).result == {"id": product.id}
    update = client.products.queue({"external_id": "P-1", "title": "Boots"})
    incomplete = client.products.queue({"external_id": "P-2", "title": "No brand or handle"})
    tenant.work()
    assert client.products.get(product.id).title == "Boots"
    refused = client.queue.get(incomplete)
    assert refused.status == "failed" and refused.error and refused.error.status == 422
    assert client.queue.get(update).status == "done"


def test_a_profile_batch_settles_item_by_item(client: Omneo, tenant: TenantInfo) -> None:
    client.profiles.create({"email": "kept@example.com", "first_name": "Old", "mobile_phone": "0412345678"})
    answer = client.profiles.batch(
        "email",
        [
            {"email": "new@example.com", "first_name": "New"},
            {"email": "KEPT@example.com", "first_name": "Kept"},
            {"email": "other@example.com", "mobile_phone": "0412 345 678"},  # the kept profile's mobile
        ],
    )
    assert answer.data.message == "3 profiles queued."
    batch = client.batches.get(answer.data.batch_id)  # type: ignore[arg-type]
    assert (batch.entity_type, batch.status, batch.total_count, batch.processed_count) == ("profile", "pending", 3, 0)
    assert [i.status for i in batch.items or []] == ["pending"] * 3
    assert [i.external_id for i in batch.items or []] == ["new@example.com", "KEPT@example.com", "other@example.com"]

    tenant.work()
    batch = client.batches.get(batch.id)  # type: ignore[arg-type]
    assert batch.status == "failed"  # complete, with a failure
    assert (batch.processed_count, batch.success_count, batch.failed_count) == (3, 2, 1)
    new, kept, other = batch.items or []
    assert (new.status, kept.status, other.status) == ("success", "success", "failed")
    assert other.error == "The phone number exists" and other.entity_id is None
    profiles = {p.email: p for p in client.profiles.list({"sort": "email"})}
    assert set(profiles) == {"kept@example.com", "new@example.com"}
    assert kept.entity_id == str(profiles["kept@example.com"].id) and profiles["kept@example.com"].first_name == "Kept"
    assert new.entity_id == str(profiles["new@example.com"].id)

    # A batch whose items all succeed ends ``success``; a malformed record refuses the whole call.
    ok = client.profiles.batch("email", [{"email": "third@example.com"}])
    tenant.work()
    assert client.batches.get(ok.data.batch_id).status == "success"  # type: ignore[arg-type]
    before = tenant.row_counts()
    with pytest.raises(ValidationError) as refused:
        client.profiles.batch("email", [{"email": "fine@example.com"}, {"email": "not-an-email"}])
    assert "profiles.1.email" in refused.value.errors
    assert tenant.row_counts() == before
    listed = client.batches.list({"filter": {"entity_type": "profile"}, "sort": "id"})
    assert [b.status for b in listed] == ["failed", "success"]


def test_batches_record_items_processed_elsewhere(client: Omneo) -> None:
    created = client.batches.create({"entity_type": "reward", "import_job_id": 12})
    assert created.entity_type == "reward" and created.import_job_id == 12 and created.batch_id
    batch = client.batches.get(created.batch_id)
    assert batch.status == "pending" and batch.total_count is None and batch.items == []
    after = client.batches.create_item(
        created.batch_id,
        [
            {"status": "success", "entity_id": 41, "external_id": "R-1"},
            {"status": "pending", "external_id": "R-2"},
        ],
    )
    assert (after.total_count, after.processed_count, after.success_count, after.status) == (2, 1, 1, "pending")
    assert [(i.external_id, i.entity_id, i.status) for i in after.items or []] == [
        ("R-1", "41", "success"),
        ("R-2", None, "pending"),
    ]
    # One item sent bare, as the JS SDK does, is accepted too.
    raw = client.call("POST", f"/batches/{created.batch_id}/items", body={"status": "failed", "error": "bad row"})
    assert raw["data"]["failed_count"] == 1 and raw["data"]["status"] == "pending"  # R-2 is still pending
    single = client.batches.create_item(created.batch_id, {"status": "success", "external_id": "R-3"})
    assert (single.total_count, single.processed_count, single.status) == (4, 3, "pending")
    with pytest.raises(ValidationError):
        client.batches.create_item(created.batch_id, [{"status": "done"}])
    with pytest.raises(ValidationError):
        client.batches.create({"import_job_id": 1})
    with pytest.raises(NotFoundError):
        client.batches.get(10**6)


def test_batch_and_queue_routes_need_their_scopes(client: Omneo, tenant: TenantInfo) -> None:
    job = client.products.queue({"external_id": "P-9"})
    batch = client.batches.create({"entity_type": "profile"})
    reader_token = tenant.mint("read-batches")
    with Omneo(tenant=tenant.handle, token=reader_token, base_url=tenant.server.api_url, max_retries=0) as reader:
        assert reader.queue.get(job).status == "pending"
        assert reader.batches.get(batch.batch_id).id == batch.batch_id  # type: ignore[arg-type]
        with pytest.raises(PermissionDeniedError):
            reader.batches.create({"entity_type": "profile"})
        with pytest.raises(PermissionDeniedError):
            reader.products.queue({"external_id": "P-9"})
    other = tenant.mint("read-products")
    with (
        Omneo(tenant=tenant.handle, token=other, base_url=tenant.server.api_url, max_retries=0) as stranger,
        pytest.raises(PermissionDeniedError),
    ):
        stranger.queue.get(job)


def test_a_queued_job_runs_as_the_token_that_queued_it(client: Omneo, tenant: TenantInfo) -> None:
    writer = tenant.mint("update-products", "read-products")
    with Omneo(tenant=tenant.handle, token=writer, base_url=tenant.server.api_url, max_retries=0) as sdk:
        sdk.products.queue({"external_id": "P-5", "brand": "Acme", "handle": "hat", "title": "Hat"})
    tenant.work()

    async def actors() -> tuple[set[str | None], set[str | None]]:
        async with tenant.server.db.read() as session:
            events = select(t.OutboxEvent.actor).where(
                t.OutboxEvent.tenant_id == tenant.id, t.OutboxEvent.type == "product.created"
            )
            queued = select(t.QueuedJob.actor).where(t.QueuedJob.tenant_id == tenant.id)
            return set((await session.execute(events)).scalars()), set((await session.execute(queued)).scalars())

    event_actors, job_actors = tenant.server.run(actors())
    assert event_actors == job_actors and None not in event_actors  # the token, so webhooks can avoid echoing


def test_a_job_that_keeps_raising_backs_off_then_dies(
    client: Omneo, tenant: TenantInfo, time_machine: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    async def flaky(_session: Any, _ctx: Ctx, payload: dict[str, Any]) -> queue.Outcome:
        calls.append(payload)
        raise RuntimeError("the database went away")

    monkeypatch.setitem(queue.HANDLERS, "test.flaky", flaky)
    batch = client.batches.create({"entity_type": "test"})

    async def enqueue() -> str:
        ctx = Ctx(tenant.id, tenant.server.settings, actor="test")
        async with tenant.server.db.write() as session:
            [item] = await batches.add_items(session, ctx, batch.batch_id, [{"status": "pending"}])  # type: ignore[arg-type]
            return (await queue.enqueue(session, ctx, "test.flaky", {"n": 1}, batch_item_id=item.id)).id

    job_id = tenant.server.run(enqueue())
    tenant.work()
    job = client.queue.get(job_id)
    assert (job.status, job.attempts) == ("pending", 1)
    assert job.error is not None and job.error.message == "RuntimeError: the database went away"
    tenant.work()
    assert len(calls) == 1  # not due again for 10 s
    waits = []
    for _ in range(7):
        previous = client.queue.get(job_id).available_at
        time_machine.travel(timedelta(hours=1))
        tenant.work()
        current = client.queue.get(job_id)
        if current.status == "pending":
            waits.append(round(((current.available_at or previous) - (current.updated_at or previous)).total_seconds()))  # type: ignore[operator]
    assert len(calls) == 8 and waits == [20, 40, 80, 160, 320, 640]
    job = client.queue.get(job_id)
    assert (job.status, job.attempts) == ("dead", 8)
    settled = client.batches.get(batch.batch_id)  # type: ignore[arg-type]
    assert (settled.status, settled.failed_count) == ("failed", 1)
    assert (settled.items or [])[0].error == "RuntimeError: the database went away"
    time_machine.travel(timedelta(days=1))
    assert tenant.work()["queued"] == 0 and len(calls) == 8


def test_two_workers_apply_each_job_once(client: Omneo, tenant: TenantInfo) -> None:
    profile = client.profiles.create({"email": "busy@example.com"})
    for n in range(30):
        client.transactions.queue_create(sale("1.00", profile_id=str(profile.id), external_id=f"T-{n}"))

    async def two_workers() -> list[int]:
        server = tenant.server
        return list(
            await asyncio.gather(
                queue.run_due(server.db, server.settings, [tenant.id], limit=30),
                queue.run_due(server.db, server.settings, [tenant.id], limit=30),
            )
        )

    ran = tenant.server.run(two_workers())
    assert sum(ran) == 30

    async def count() -> int:
        stmt = select(func.count()).where(t.Transaction.tenant_id == tenant.id)
        async with tenant.server.db.read() as session:
            return int((await session.execute(stmt)).scalar_one())

    assert tenant.server.run(count()) == 30
    assert {status for _, status in jobs(tenant)} == {"done"}
    assert client.profiles.aggregations.list(profile.id).spend_all == Decimal("30.00")
