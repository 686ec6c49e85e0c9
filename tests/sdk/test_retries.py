"""Retries with backoff honouring Retry-After, against a scripted real server."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

import omneo
from omneo import AsyncOmneo, Omneo

from .conftest import Recorded, Reply, ScriptedServer

OK = Reply(200, {"data": {"id": 1, "handle": "b"}})


def test_retries_429_then_500_then_succeeds(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [Reply(429, {"message": "slow down"}, {"Retry-After": "0"}), Reply(500), OK]
    brand = client.brands.get(1)
    assert brand.handle == "b"
    assert len(stub.requests) == 3


async def test_async_retries_429_then_500_then_succeeds(stub: ScriptedServer, aclient: AsyncOmneo) -> None:
    stub.script = [Reply(429, {"message": "slow down"}, {"Retry-After": "0"}), Reply(500), OK]
    brand = await aclient.brands.get(1)
    assert brand.id == 1
    assert len(stub.requests) == 3


def test_gives_up_after_max_retries(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [Reply(503, {"message": "down"})]
    with pytest.raises(omneo.InternalServerError) as info:
        client.brands.get(1)
    assert info.value.message == "down"
    assert len(stub.requests) == 3  # 1 + max_retries


def test_max_retries_zero_means_one_attempt(stub: ScriptedServer, client: Omneo) -> None:
    client.max_retries = 0
    stub.script = [Reply(500)]
    with pytest.raises(omneo.InternalServerError):
        client.brands.list()
    assert len(stub.requests) == 1


def test_retry_after_is_honoured(stub: ScriptedServer, client: Omneo) -> None:
    client.initial_retry_delay = 5.0  # would be far longer than Retry-After
    stub.script = [Reply(429, headers={"Retry-After": "0.2"}), OK]
    started = time.monotonic()
    client.brands.get(1)
    elapsed = time.monotonic() - started
    assert 0.2 <= elapsed < 2
    assert len(stub.requests) == 2


def test_retry_after_http_date_and_caps(client: Omneo) -> None:
    def response(value: str) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": value})

    past = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    future = format_datetime(datetime.now(UTC) + timedelta(seconds=3), usegmt=True)
    assert client._backoff(0, response(past)) == 0
    assert 1 < client._backoff(0, response(future)) <= 3
    assert client._backoff(0, response("3600")) == 60
    client.initial_retry_delay = 0.5
    for attempt in range(8):
        delay = client._backoff(attempt, response("soon"))  # unparsable → exponential backoff
        expected = min(0.5 * 2**attempt, 8.0)
        assert 0.75 * expected <= delay <= 1.25 * expected


def test_post_is_not_retried_on_500_but_is_on_429(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [Reply(500, {"message": "boom"}), OK]
    with pytest.raises(omneo.InternalServerError):
        client.brands.create({"handle": "b"})
    assert len(stub.requests) == 1

    stub.reset()
    stub.script = [Reply(429, headers={"Retry-After": "0"}), Reply(503), OK]
    assert client.brands.create({"handle": "b"}).handle == "b"
    assert len(stub.requests) == 3
    assert all(r.method == "POST" and r.json() == {"handle": "b"} for r in stub.requests)


def test_put_and_delete_are_retried_on_5xx(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [Reply(502), Reply(204)]
    assert client.brands.delete(1) is None
    assert [r.method for r in stub.requests] == ["DELETE", "DELETE"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class CountingOmneo(Omneo):
    attempts = 0

    def _send(self, request: httpx.Request) -> httpx.Response | httpx.TransportError:
        self.attempts += 1
        return super()._send(request)


def test_connection_refused_raises_connection_error_after_retries(http: httpx.Client) -> None:
    client = CountingOmneo(base_url=f"http://127.0.0.1:{_closed_port()}/api/v3", http_client=http)
    client.initial_retry_delay = 0.001
    with pytest.raises(omneo.APIConnectionError) as info:
        client.profiles.create({"email": "a@b.co"})  # POST: safe to retry, never reached the server
    assert not isinstance(info.value, omneo.APITimeoutError)
    assert client.attempts == 3


async def test_async_connection_refused(ahttp: httpx.AsyncClient) -> None:
    client = AsyncOmneo(base_url=f"http://127.0.0.1:{_closed_port()}/api/v3", http_client=ahttp)
    client.initial_retry_delay = 0.001
    with pytest.raises(omneo.APIConnectionError):
        await client.brands.list()


def test_timeout_raises_timeout_error(stub: ScriptedServer, client: Omneo) -> None:
    def slow(request: Recorded) -> Reply:
        time.sleep(0.2)
        return OK

    stub.handler = slow
    client.timeout = 0.05
    client.max_retries = 1
    with pytest.raises(omneo.APITimeoutError):
        client.brands.get(1)
    assert len(stub.requests) == 2  # GET is retried after a timeout
