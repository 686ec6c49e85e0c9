"""The worker under stress: two workers share the outbox and every event acts exactly once; a worker
killed with SIGKILL mid-delivery and restarted loses nothing (webhooks arrive at least once, with
the same id for receivers to dedupe on)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from omneo import Omneo
from omneo_server.db import tables as t
from omneo_server.db.engine import Database
from omneo_server.jobs import worker
from tests.conftest import TenantInfo


class Receiver:
    """A real HTTP receiver on 127.0.0.1 that records webhook ids; the first request can hang."""

    def __init__(self, hang_first: float = 0.0) -> None:
        self.ids: list[str] = []
        self.hang_first = hang_first
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                with outer.lock:
                    first = not outer.ids
                    outer.ids.append(self.headers.get("webhook-id", ""))
                if first and outer.hang_first:
                    time.sleep(outer.hang_first)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # a worker sends a whole batch at once
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver(hang_first=30)
    yield hook
    hook.close()


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


def _count(tenant: TenantInfo, table: Any) -> int:
    async def work() -> int:
        async with tenant.server.db.read() as session:
            stmt = select(func.count()).select_from(table).where(table.tenant_id == tenant.id)
            return int((await session.execute(stmt)).scalar_one())

    return tenant.server.run(work())


async def test_two_workers_act_on_every_event_exactly_once(client: Omneo, tenant: TenantInfo) -> None:
    hook = Receiver()
    try:
        _programme(client, hook.url)
        for n in range(40):
            client.profiles.create({"email": f"p{n}@example.com"})
        url = tenant.server.db.url
        settings = tenant.server.settings

        async def one_worker() -> None:
            db = Database(url)
            try:
                async with httpx.AsyncClient() as http:
                    for _ in range(30):
                        counts = await worker.run_once(db, settings, http, [tenant.id])
                        if not any(counts.values()):
                            break
            finally:
                await db.dispose()

        await asyncio.gather(one_worker(), one_worker())
        assert _count(tenant, t.Reward) == 40  # one welcome reward per profile, never two
        assert _count(tenant, t.Delivery) == 40
        assert len(set(hook.ids)) == 40  # every event reached the receiver (at least once)
        assert tenant.verify() == []
    finally:
        hook.close()


def _start_worker(tenant: TenantInfo) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "OMNEO_DATABASE_URL": tenant.server.db.url,
        "OMNEO_WORKER_IDLE_SECONDS": "0.2",
        "OMNEO_DELIVERY_TIMEOUT": "5",
        "OMNEO_DELIVERY_LEASE_SECONDS": "2",
    }
    command = [sys.executable, "-m", "omneo_server.cli", "worker", "--tenant", tenant.handle]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(condition: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def test_a_worker_killed_mid_delivery_loses_nothing(client: Omneo, tenant: TenantInfo, receiver: Receiver) -> None:
    _programme(client, receiver.url)
    for n in range(3):
        client.profiles.create({"email": f"k{n}@example.com"})
    first = _start_worker(tenant)
    try:
        _wait(lambda: len(receiver.ids) >= 1, 30)  # the first delivery is in flight, the receiver hangs
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    second = _start_worker(tenant)
    try:
        _wait(lambda: len(set(receiver.ids)) >= 3 and receiver.ids.count(receiver.ids[0]) >= 2, 60)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(20)
    assert _count(tenant, t.Reward) == 3  # effects once each, despite the kill
    assert len(set(receiver.ids)) == 3  # every event delivered; the interrupted one twice, same id
    assert tenant.verify() == []
