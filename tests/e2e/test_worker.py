"""The worker under stress: two workers share the outbox and every event acts exactly once; a worker
killed with SIGKILL mid-delivery and restarted loses nothing (webhooks arrive at least once, with
the same id for receivers to dedupe on)."""

from __future__ import annotations

import asyncio
import signal

from omneo import Omneo
from omneo_server.db import tables as t
from omneo_server.db.engine import Database
from omneo_server.jobs import outbound, worker
from tests.conftest import TenantInfo
from tests.e2e.processes import worker_processes
from tests.e2e.receivers import Receiver, wait_until


def _programme(client: Omneo, url: str) -> None:
    client.reward_definitions.create(
        {
            "name": "Welcome",
            "handle": "welcome",
            "value": "5",
            "type": "activation",
            "period": 30,
            "absolute_expiry": None,
        }
    )
    client.triggers.create(
        {
            "name": "Welcome reward",
            "trigger": "profile.created",
            "actions": [
                {
                    "name": "reward.create",
                    "sort_order": 1,
                    "arguments": [
                        {"name": "profile_id", "value": {"var": "id"}, "is_dynamic": True},
                        {"name": "definition", "value": "welcome"},
                    ],
                }
            ],
        }
    )
    client.webhooks.create({"trigger": "profile.created", "url": url, "namespace": "crm"})


async def test_two_workers_act_on_every_event_exactly_once(
    client: Omneo, tenant: TenantInfo, receiver: Receiver
) -> None:
    _programme(client, receiver.url)
    for n in range(40):
        client.profiles.create({"email": f"p{n}@example.com"})
    url = tenant.server.db.url
    settings = tenant.server.settings

    async def one_worker() -> None:
        db = Database(url)
        try:
            async with outbound.client(settings) as http:
                for _ in range(30):
                    counts = await worker.run_once(db, settings, http, [tenant.id])
                    if not any(counts.values()):
                        break
        finally:
            await db.dispose()

    await asyncio.gather(one_worker(), one_worker())
    assert tenant.count(t.Reward) == 40  # one welcome reward per profile, never two
    assert tenant.count(t.Delivery) == 40
    assert len(set(receiver.ids)) == 40  # every event reached the receiver (at least once)
    assert tenant.verify() == []


WORKER_ENV = {
    "OMNEO_WORKER_IDLE_SECONDS": "0.2",
    "OMNEO_DELIVERY_TIMEOUT": "5",
    "OMNEO_DELIVERY_LEASE_SECONDS": "2",
    "OMNEO_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8",  # the receiver
}


def test_a_worker_killed_mid_delivery_loses_nothing(client: Omneo, tenant: TenantInfo, receiver: Receiver) -> None:
    receiver.script[:] = [("sleep", 30), 200]  # the first delivery hangs: the worker dies waiting
    _programme(client, receiver.url)
    for n in range(3):
        client.profiles.create({"email": f"k{n}@example.com"})
    # Generous bounds: a worker process on a busy machine takes a while to import and start.
    with worker_processes(tenant, 1, **WORKER_ENV) as [first]:
        wait_until(lambda: len(receiver.ids) >= 1, 180, first.output)  # in flight, the receiver hangs
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(10)

    def all_delivered_the_first_twice() -> bool:
        return len(set(receiver.ids)) >= 3 and receiver.ids.count(receiver.ids[0]) >= 2

    with worker_processes(tenant, 1, **WORKER_ENV) as [second]:
        wait_until(all_delivered_the_first_twice, 180, second.output)
    assert tenant.count(t.Reward) == 3  # effects once each, despite the kill
    assert len(set(receiver.ids)) == 3  # every event delivered; the interrupted one twice, same id
    assert tenant.verify() == []
