"""Scale-out: two API processes and two worker processes on one database, under concurrent load.
Every event acts on its trigger exactly once, and reaches its webhook at least once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from omneo import Omneo
from omneo_server.db import tables as t
from tests.conftest import TenantInfo
from tests.e2e.processes import api_processes, worker_processes
from tests.e2e.receivers import Receiver, wait_until


@pytest.fixture
def processes(tenant: TenantInfo) -> Iterator[list[str]]:
    """Two API processes (no in-process worker) and two ``omneo-server worker`` processes."""
    env = {"OMNEO_WORKER_IDLE_SECONDS": "0.2", "OMNEO_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8"}  # the receiver
    with api_processes(tenant.server.db.url, 2, **env) as urls, worker_processes(tenant, 2, **env):
        yield urls


def test_two_apis_and_two_workers_act_once_and_deliver_every_event(
    client: Omneo, tenant: TenantInfo, processes: list[str], receiver: Receiver
) -> None:
    client.reward_definitions.create(
        {"name": "Thanks", "handle": "thanks", "value": "2", "type": "spend", "period": 30, "absolute_expiry": None}
    )
    client.triggers.create(
        {
            "name": "Thanks for shopping",
            "trigger": "transaction.created",
            "actions": [
                {
                    "name": "reward.create",
                    "arguments": [
                        {"name": "profile_id", "value": {"var": "profile_id"}, "is_dynamic": True},
                        {"name": "definition", "value": "thanks"},
                    ],
                }
            ],
        }
    )
    client.webhooks.create({"trigger": "transaction.created", "url": receiver.url, "namespace": "crm"})
    profiles = [str(client.profiles.create({"email": f"s{n}@example.com"}).id) for n in range(6)]

    def sell(n: int) -> int:
        body: dict[str, Any] = {
            "profile_id": profiles[n % len(profiles)],
            "external_id": f"SALE-{n}",
            "transacted_at": "2026-01-10 10:00:00",
            "timezone": "UTC",
            "total": "10.00",
            "items": [{"name": "Tee", "quantity": 1, "price_current": "10.00", "price_sell": "10.00"}],
        }
        headers = {"Authorization": f"Bearer {tenant.token}"}
        answer = httpx.post(f"{processes[n % 2]}/transactions", json=body, headers=headers, timeout=60)
        return answer.status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(sell, range(60)))
    assert statuses == [201] * 60

    wait_until(lambda: tenant.count(t.Reward) >= 60 and len(set(receiver.ids)) >= 60, 180)
    time.sleep(1)  # anything left in flight would show up as a duplicate now
    assert tenant.count(t.Reward) == 60  # exactly once per event, across two workers
    assert len(set(receiver.ids)) == 60  # every event delivered (at least once)
    assert tenant.verify() == []
