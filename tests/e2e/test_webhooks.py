"""Webhooks end to end: the SDK configures them, a real domain action causes the event, the
worker's steps (enqueue, deliver) run on the server's loop, and a real HTTP receiver on 127.0.0.1
answers as scripted (errors, a hang past the timeout, a dropped connection)."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta
from typing import Any

import pytest
import standardwebhooks
from sqlalchemy import select

from omneo import Omneo, PermissionDeniedError, ValidationError, webhooks
from omneo.types import Delivery
from omneo_server import clock
from omneo_server.db import tables as t
from omneo_server.domain.context import Ctx
from omneo_server.domain.reactions import context as contexts
from omneo_server.domain.reactions import webhooks as hooks
from omneo_server.jobs import outbound
from tests.conftest import Clock, TenantInfo
from tests.e2e.receivers import Receiver

#: Timestamps move with the test clock, the verifier's "now" does not: accept a day either way.
DAY = 86_400


# --- the worker's steps, run on the server's loop -----------------------------------------------


def dispatch(tenant: TenantInfo) -> int:
    """What the worker does per outbox event: build its context and queue webhook deliveries
    (twice, as after a crash between the two: the second run must add nothing)."""

    async def work() -> int:
        added = 0
        async with tenant.server.db.write() as session:
            stmt = select(t.OutboxEvent).where(
                t.OutboxEvent.tenant_id == tenant.id, t.OutboxEvent.processed_at.is_(None)
            )
            for event in (await session.execute(stmt.order_by(t.OutboxEvent.id))).scalars():
                ctx = Ctx(tenant.id, tenant.server.settings, actor="worker")
                context = await contexts.event_context(session, ctx, event)
                added += await hooks.enqueue(session, ctx, event, context)
                assert await hooks.enqueue(session, ctx, event, context) == 0
                event.processed_at = clock.now()
        return added

    return tenant.server.run(work())


def deliver(tenant: TenantInfo, timeout: float = 2.0) -> int:
    async def work() -> int:
        async with outbound.client(tenant.server.settings) as http:
            return await hooks.deliver_due(tenant.server.db, client=http, timeout=timeout, tenants=[tenant.id])

    return tenant.server.run(work())


def log(client: Omneo, webhook_id: int, size: int = 15) -> list[Delivery]:
    return client.webhooks.deliveries(webhook_id, {"page": {"size": size}}).data


def subscribe(client: Omneo, receiver: Receiver, **extra: Any) -> Any:
    return client.webhooks.create({"trigger": "profile.created", "url": receiver.url, "namespace": "crm", **extra})


# --- CRUD -------------------------------------------------------------------------------------------


def test_crud_secret_shown_once_and_validation(client: Omneo, tenant: TenantInfo) -> None:
    created = client.webhooks.create(
        {"trigger": "transaction.created", "url": "https://example.com/in", "namespace": "crm", "queue": "urgent"}
    )
    assert created.secret is not None and created.secret.startswith("whsec_")
    assert len(base64.b64decode(created.secret.removeprefix("whsec_"))) == 24
    assert created.queue == "low"  # an unknown queue is stored as low
    assert created.is_active and created.retry_daily and created.retry_hourly
    fetched = client.webhooks.get(created.id)
    assert fetched.secret is None and "secret" not in (fetched.model_extra or {})
    raw = client.call("GET", f"/webhooks/{created.id}")
    assert "secret" not in raw["data"]
    assert [w.id for w in client.webhooks.list()] == [created.id]
    assert all(w.secret is None for w in client.webhooks.list())
    # the event about it carries no secret either
    assert "whsec_" not in json.dumps(tenant.events("webhook.")) and tenant.events("webhook.") == ["webhook.created"]

    cases: list[tuple[dict[str, Any], str]] = [
        ({"trigger": "transaction.created", "url": "https://example.com/in", "namespace": "x"}, "url"),
        ({"trigger": "transaction.created", "url": "ftp://example.com/in", "namespace": "x"}, "url"),
        ({"trigger": "transaction.created", "url": "https://" + "a" * 2048, "namespace": "x"}, "url"),
        ({"trigger": "not an event", "url": "https://example.com/2", "namespace": "x"}, "trigger"),
        ({"trigger": "profile.created", "url": "https://example.com/2"}, "namespace"),
        ({"trigger": "profile.created", "url": "https://example.com/2", "namespace": "x", "condition": {"nope": [1]}}, "condition"),
        ({"trigger": "profile.created", "url": "https://example.com/2", "namespace": "x", "extra_data_template": "{{ a"}, "extra_data_template"),
    ]  # fmt: skip
    for body, field_name in cases:
        with pytest.raises(ValidationError) as invalid:
            client.webhooks.create(body)
        assert field_name in invalid.value.errors, (body, invalid.value.errors)

    star = client.webhooks.create({"trigger": "*", "url": "http://example.com/all", "namespace": "x", "queue": "high"})
    assert star.queue == "high"
    with pytest.raises(ValidationError) as clash:
        client.webhooks.update(star.id, {"trigger": "transaction.created", "url": "https://example.com/in"})
    assert "url" in clash.value.errors
    updated = client.webhooks.update(star.id, {"condition": {"==": [1, 1]}, "retry_daily": False})
    assert updated.condition == {"==": [1, 1]} and updated.retry_daily is False and updated.secret is None

    reader = Omneo(
        tenant=tenant.handle, token=tenant.mint("read-webhooks"), base_url=tenant.server.api_url, max_retries=0
    )
    assert len(reader.webhooks.list().data) == 2
    with pytest.raises(PermissionDeniedError):
        reader.webhooks.create({"trigger": "*", "url": "https://example.com/3", "namespace": "x"})
    client.webhooks.delete(star.id)
    assert [w.id for w in client.webhooks.list()] == [created.id]


# --- delivery ---------------------------------------------------------------------------------------


def test_retried_with_backoff_until_delivered_and_signed(
    client: Omneo, tenant: TenantInfo, receiver: Receiver, time_machine: Clock
) -> None:
    receiver.script = [500, 500, 200]
    hook = subscribe(client, receiver)
    profile = client.profiles.create({"email": "ann@example.com", "first_name": "Ann"})
    assert dispatch(tenant) == 1

    assert deliver(tenant) == 1
    [first] = log(client, hook.id)
    assert first.status == "failed" and first.attempt_count == 1 and first.last_status == 500
    assert deliver(tenant) == 0  # backing off: 30 s
    time_machine.travel(timedelta(seconds=31))
    assert deliver(tenant) == 1
    assert log(client, hook.id)[0].status == "failed"
    time_machine.travel(timedelta(seconds=31))
    assert deliver(tenant) == 0  # the second wait is 60 s
    time_machine.travel(timedelta(seconds=30))
    assert deliver(tenant) == 1
    assert deliver(tenant) == 0

    [delivery] = log(client, hook.id)
    assert delivery.status == "delivered" and delivery.delivered_at is not None and delivery.next_attempt_at is None
    assert [(a.attempt, a.status_code) for a in delivery.attempts] == [(1, 500), (2, 500), (3, 200)]
    assert delivery.attempts[0].error == "HTTP 500" and delivery.attempts[2].error is None
    assert delivery.attempts[2].response == '{"ok": true}'
    assert delivery.last_error is None and delivery.locked_until is None

    # Three requests, the same bytes and the same webhook-id each time, each verifiable.
    assert len(receiver.received) == 3
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert ids == {delivery.message_id} and len({r.body for r in receiver.received}) == 1
    for request in receiver.received:
        event = webhooks.verify(request.body, request.headers, hook.secret, tolerance=DAY)
        assert client.webhooks.verify(request.body, request.headers, hook.secret, tolerance=DAY) == event
        assert request.headers["content-type"] == "application/json"
        assert request.headers["x-omneo-event"] == "profile.created"
        assert request.headers["x-omneo-event-id"] == delivery.message_id
    assert [r.headers["x-omneo-attempt"] for r in receiver.received] == ["1", "2", "3"]
    assert event["id"] == delivery.message_id and event["type"] == "profile.created"
    assert event["data"]["id"] == profile.id and event["data"]["email"] == "ann@example.com"
    assert event["data"]["event"]["type"] == "profile.created"
    # The first attempt was sent at (wall-clock) now: the reference implementation agrees.
    first_request = receiver.received[0]
    assert standardwebhooks.Webhook(hook.secret).verify(first_request.body, first_request.headers)
    # The hosted scheme alone verifies too; a tampered body does not.
    hosted = {"X-Omneo-Hmac-SHA256": first_request.headers["x-omneo-hmac-sha256"]}
    assert webhooks.verify(first_request.body, hosted, hook.secret)["id"] == delivery.message_id
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify(first_request.body + b" ", hosted, hook.secret)
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify(first_request.body, first_request.headers, "whsec_" + base64.b64encode(b"x" * 24).decode())
    assert client.webhooks.get(hook.id).failure_count == 0


def test_timeout_and_dropped_connection_are_failed_attempts(
    client: Omneo, tenant: TenantInfo, receiver: Receiver, time_machine: Clock
) -> None:
    receiver.script = [("sleep", 1.5), "close", 200]
    hook = subscribe(client, receiver)
    client.profiles.create({"email": "slow@example.com"})
    dispatch(tenant)

    started = time.monotonic()
    assert deliver(tenant, timeout=0.3) == 1
    assert time.monotonic() - started < 1.4  # gave up at the timeout, did not wait for the answer
    time_machine.travel(timedelta(seconds=31))
    assert deliver(tenant, timeout=0.3) == 1
    time_machine.travel(timedelta(seconds=61))
    assert deliver(tenant, timeout=0.3) == 1

    [delivery] = log(client, hook.id)
    timed_out, dropped, ok = delivery.attempts
    # One error text for every attempt that got no answer (the log must not tell why: port scans).
    assert (timed_out.status_code, timed_out.error) == (None, hooks.UNREACHABLE)
    assert (dropped.status_code, dropped.error) == (None, hooks.UNREACHABLE)
    assert ok.status_code == 200 and delivery.status == "delivered"
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1


def test_no_echo_to_the_namespace_that_caused_the_event(client: Omneo, tenant: TenantInfo, receiver: Receiver) -> None:
    # Tokens minted by the harness are named "test": that is their namespace.
    echo = subscribe(client, receiver, namespace="test")
    other = client.webhooks.create({"trigger": "*", "url": receiver.url + "/all", "namespace": "erp"})
    assert dispatch(tenant) == 2  # "*" hears of both webhooks being created
    pos = Omneo(
        tenant=tenant.handle, token=tenant.mint("create-profiles"), base_url=tenant.server.api_url, max_retries=0
    )
    pos.profiles.create({"email": "from-test@example.com"})
    assert dispatch(tenant) == 1  # only to "erp"
    assert log(client, echo.id) == [] and len(log(client, other.id)) == 3
    client.profiles.create({"email": "from-admin@example.com"})  # the "admin" token: both get it
    assert dispatch(tenant) == 2
    assert len(log(client, echo.id)) == 1 and len(log(client, other.id)) == 4


def test_condition_and_extra_data(client: Omneo, tenant: TenantInfo, receiver: Receiver) -> None:
    vip = subscribe(
        client,
        receiver,
        condition={"==": [{"var": "first_name"}, "Vip"]},
        extra_data_template='{"greeting": "Hello {{ first_name }}", "source": "{{ event.type }}"}',
    )
    broken = client.webhooks.create(
        {
            "trigger": "profile.created",
            "url": receiver.url + "/b",
            "namespace": "crm",
            "extra_data_template": "{{ 1 // 0 }}",
        }
    )
    client.profiles.create({"email": "joe@example.com", "first_name": "Joe"})
    client.profiles.create({"email": "vip@example.com", "first_name": "Vip"})
    assert dispatch(tenant) == 3  # Joe only to the unconditional one
    assert deliver(tenant) == 3
    [sent] = log(client, vip.id)
    assert sent.status == "delivered"
    body = json.loads(sent.body or "")
    assert body["data"]["first_name"] == "Vip"
    assert body["extra_data"] == {"greeting": "Hello Vip", "source": "profile.created"}
    for delivery in log(client, broken.id):
        assert delivery.status == "delivered" and "extra_data" not in json.loads(delivery.body or "")
        assert delivery.last_error is not None and delivery.last_error.startswith("extra_data_template:")


def test_twenty_failures_in_a_row_disable_the_webhook(
    client: Omneo, tenant: TenantInfo, receiver: Receiver, time_machine: Clock
) -> None:
    receiver.script = [503]
    hook = subscribe(client, receiver)
    for n in range(hooks.DISABLE_AFTER):
        client.profiles.create({"email": f"p{n}@example.com"})
    assert dispatch(tenant) == hooks.DISABLE_AFTER
    assert deliver(tenant) == hooks.DISABLE_AFTER

    disabled = client.webhooks.get(hook.id)
    assert disabled.is_active is False and disabled.disabled_at is not None
    assert disabled.failure_count == hooks.DISABLE_AFTER
    assert tenant.events("webhook.") == ["webhook.created", "webhook.disabled"]
    client.profiles.create({"email": "later@example.com"})
    assert dispatch(tenant) == 0  # nothing is queued for a disabled webhook
    time_machine.travel(timedelta(minutes=5))
    assert deliver(tenant) == 0  # and what was queued waits

    receiver.script = [200]
    client.webhooks.test(hook.id)
    assert deliver(tenant) == 1  # a test send goes even to a disabled webhook
    assert client.webhooks.get(hook.id).is_active is False
    moved = receiver.url + "/v2"  # fixing the URL redirects what waits
    client.webhooks.update(hook.id, {"url": moved})
    enabled = client.webhooks.update(hook.id, {"is_active": True})
    assert enabled.is_active and enabled.disabled_at is None and enabled.failure_count == 0
    assert deliver(tenant) == hooks.DISABLE_AFTER
    deliveries = [d for d in log(client, hook.id, size=50) if d.event_type == "profile.created"]
    assert {(d.status, tuple(a.status_code for a in d.attempts)) for d in deliveries} == {("delivered", (503, 200))}
    assert {d.url for d in deliveries} == {moved}


def test_dead_after_the_last_attempt(
    client: Omneo, tenant: TenantInfo, receiver: Receiver, time_machine: Clock
) -> None:
    receiver.script = [500]
    hook = subscribe(client, receiver)
    client.profiles.create({"email": "dead@example.com"})
    dispatch(tenant)
    waits = []
    for _ in range(hooks.MAX_ATTEMPTS):
        assert deliver(tenant) == 1
        [delivery] = log(client, hook.id)
        sent_at = delivery.attempts[-1].created_at
        if delivery.next_attempt_at is not None and sent_at is not None:
            waits.append(int((delivery.next_attempt_at - sent_at).total_seconds()))
        time_machine.travel(timedelta(hours=6, seconds=1))
    assert waits == [30 * 2**n for n in range(hooks.MAX_ATTEMPTS - 1)]
    [delivery] = log(client, hook.id)
    assert (
        delivery.status == "dead" and delivery.attempt_count == hooks.MAX_ATTEMPTS and delivery.next_attempt_at is None
    )
    assert deliver(tenant) == 0


def test_no_retries_when_both_retry_flags_are_off(client: Omneo, tenant: TenantInfo, receiver: Receiver) -> None:
    receiver.script = [500]
    hook = subscribe(client, receiver, retry_daily=False, retry_hourly=False)
    client.profiles.create({"email": "once@example.com"})
    dispatch(tenant)
    assert deliver(tenant) == 1
    assert log(client, hook.id)[0].status == "dead"


def test_a_crash_after_sending_means_it_is_sent_again_after_the_lease(
    client: Omneo, tenant: TenantInfo, receiver: Receiver, time_machine: Clock
) -> None:
    hook = subscribe(client, receiver)
    client.profiles.create({"email": "crash@example.com"})
    dispatch(tenant)

    async def claim_send_and_crash() -> None:
        [job] = await hooks.claim_due(tenant.server.db, tenants=[tenant.id])
        async with outbound.client(tenant.server.settings) as http:
            outcome = await hooks.send(job, http)
        assert outcome.ok  # ...and the worker dies before recording it

    tenant.server.run(claim_send_and_crash())
    [leased] = log(client, hook.id)
    assert leased.status == "pending" and leased.locked_until is not None
    assert deliver(tenant) == 0  # leased to the dead worker
    time_machine.travel(hooks.LEASE + timedelta(seconds=1))
    assert deliver(tenant) == 1
    [delivery] = log(client, hook.id)
    assert delivery.status == "delivered" and [a.status_code for a in delivery.attempts] == [200]
    assert [r.headers["webhook-id"] for r in receiver.received] == [delivery.message_id] * 2


def test_test_send_and_target_deliveries(client: Omneo, tenant: TenantInfo, receiver: Receiver) -> None:
    hook = subscribe(client, receiver)
    queued = client.webhooks.test(hook.id)
    assert queued.status == "pending" and queued.event_type == "webhook.test"
    assert deliver(tenant) == 1
    event = webhooks.verify(receiver.received[0].body, receiver.received[0].headers, hook.secret, tolerance=DAY)
    assert event["type"] == "webhook.test" and event["data"]["webhook_id"] == hook.id

    # A target send (queued by the reactions' target.send) is signed with the tenant's target secret.
    async def queue_target_delivery() -> str:
        async with tenant.server.db.write() as session:
            target = t.Target(tenant_id=tenant.id, name="CRM", handle="crm", url=receiver.url, template="{}")
            session.add(target)
            await session.flush()
            session.add(
                t.Delivery(
                    tenant_id=tenant.id,
                    target_id=target.id,
                    message_id="target-send-1",
                    event_type="target.send",
                    url=receiver.url,
                    body='{"hello": "target"}',
                    status="pending",
                    attempts=0,
                    next_attempt_at=clock.now(),
                )
            )
            row = await session.get(t.Tenant, tenant.id)
            assert row is not None
            return hooks.target_secret(row.signing_key)

    secret = tenant.server.run(queue_target_delivery())
    assert deliver(tenant) == 1
    sent = receiver.received[1]
    assert webhooks.verify(sent.body, sent.headers, secret, tolerance=DAY) == {"hello": "target"}
    assert sent.headers["webhook-id"] == "target-send-1"
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify(sent.body, sent.headers, hook.secret, tolerance=DAY)


def test_deliveries_are_paginated_newest_first(client: Omneo, tenant: TenantInfo, receiver: Receiver) -> None:
    hook = subscribe(client, receiver)
    for n in range(3):
        client.profiles.create({"email": f"n{n}@example.com"})
    dispatch(tenant)
    page = client.webhooks.deliveries(hook.id, {"page": {"size": 2}})
    assert page.meta is not None and page.meta.total == 3
    assert len(page.data) == 2 and page.data[0].id is not None and page.data[1].id is not None
    assert page.data[0].id > page.data[1].id
    assert [d.status for d in client.webhooks.deliveries(hook.id, {"filter": {"status": "pending"}})] == ["pending"] * 3
    with pytest.raises(ValidationError):
        client.webhooks.deliveries(hook.id, {"filter": {"body": "x"}})


def test_the_worker_pass_dispatches_and_delivers(client: Omneo, tenant: TenantInfo, receiver: Receiver) -> None:
    hook = subscribe(client, receiver)
    client.profiles.create({"email": "worker@example.com"})
    counts = tenant.work()
    assert counts["dispatched"] >= 1 and counts["delivered"] >= 1
    [delivery] = log(client, hook.id)
    assert delivery.status == "delivered" and len(receiver.received) == 1
    assert (
        webhooks.verify(receiver.received[0].body, receiver.received[0].headers, hook.secret)["type"]
        == "profile.created"
    )


def test_high_queue_webhooks_go_first(client: Omneo, tenant: TenantInfo, receiver: Receiver) -> None:
    low = subscribe(client, receiver, queue="low")
    high = client.webhooks.create(
        {"trigger": "profile.created", "url": f"{receiver.url}/vip", "namespace": "crm", "queue": "high"}
    )
    client.profiles.create({"email": "first@example.com"})
    dispatch(tenant)

    async def one() -> int:
        async with outbound.client(tenant.server.settings) as http:
            return await hooks.deliver_due(tenant.server.db, client=http, limit=1, tenants=[tenant.id])

    assert tenant.server.run(one()) == 1
    assert [d.status for d in log(client, high.id)] == ["delivered"]
    assert [d.status for d in log(client, low.id)] == ["pending"]
