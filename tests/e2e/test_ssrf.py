"""Webhooks and targets cannot be aimed at the server's own network (SSRF).

The attacks of the security review, each refused: URLs naming internal addresses in every spelling
(when written, a 422 on ``url``); names that resolve inside, DNS rebinding, environment proxies
(when delivered, nothing is sent and the log says why); and the delivery log as a port scanner (one
error text for every failure to connect) or as a window on a service's answer (1 KB at most).

The shared test server allows ``127.0.0.0/8`` (its receivers live there); the attacks that need the
default, empty allow-list run on a second server started here with it, or through a client built
from it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpcore
import pytest
import uvicorn
from sqlalchemy import select

from omneo import Omneo, ValidationError
from omneo_server.app import create_app
from omneo_server.db import tables as t
from omneo_server.domain.context import Ctx
from omneo_server.domain.reactions import actions
from omneo_server.domain.reactions import webhooks as hooks
from omneo_server.jobs import outbound, worker
from omneo_server.settings import Settings
from tests.conftest import Server, TenantInfo
from tests.e2e.receivers import Receiver

# --- the URLs ---------------------------------------------------------------------------------------

#: Refused whatever the allow-list: what the URL's text alone shows.
BY_SHAPE = [
    "http://user:pass@example.com/hooks",  # credentials
    "http://user@example.com/hooks",
    "ftp://example.com/hooks",
    "file:///etc/passwd",
    "http://0251.0376.0251.0376/latest/meta-data/",  # 169.254.169.254 in octal: not a URL to httpx
    "http://0177.0.0.1/",  # 127.0.0.1 in octal, likewise
    "http://[fe80::1%25eth0]/hooks",  # an IPv6 zone id
    "http://ex%20ample.com/hooks",
]
#: Refused by the test server (which allows only 127.0.0.0/8): internal addresses and names.
INTERNAL = [
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://192.168.1.1/admin",
    "http://172.16.0.1/",
    "http://100.64.0.1/",  # CGNAT
    "http://0.0.0.0:8080/",
    "http://0/",
    "http://[::]/",
    "http://[::1]:8080/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://192.0.2.1/",  # documentation
    "http://240.0.0.1/",  # reserved
    "http://2852039166/latest/meta-data/",  # 169.254.169.254, decimal
    "http://0xa9fea9fe/latest/meta-data/",  # hex
    "http://169.254.43518/",  # short form
    "http://10.1/",  # 10.0.0.1, short form
    "http://[::ffff:169.254.169.254]/",  # IPv4-mapped
    "http://[::ffff:a00:1]/",
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64
    "http://[2002:a9fe:a9fe::]/",  # 6to4
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://metadata/",  # single label
    "http://intranet/",
    "http://printer.local/",
    "http://db.localdomain/",
    "http://admin.localhost/",
]
#: Loopback in every spelling: refused where 127.0.0.0/8 is not allowed (the default).
LOOPBACK = [
    "http://127.0.0.1:6379/",
    "http://2130706433:8080/",
    "http://0x7f000001/",
    "http://127.1/",
    "http://127.0.0.1./",
    "http://[::ffff:127.0.0.1]/",
    "http://localhost:8080/",
    "http://LOCALHOST./",
]

WRITES = ("webhook create", "webhook update", "target create", "target update")


def _write(client: Omneo, how: str, url: str) -> None:
    if how == "webhook create":
        client.webhooks.create({"trigger": "profile.created", "url": url, "namespace": "crm"})
    elif how == "webhook update":
        hook = client.webhooks.create({"trigger": "profile.created", "url": "https://example.com/in", "namespace": "x"})
        client.webhooks.update(hook.id, {"url": url})
    elif how == "target create":
        client.targets.create({"name": "T", "handle": "t", "url": url, "template": "{}"})
    else:
        target = client.targets.create({"name": "T", "handle": "t", "url": "https://example.com/t", "template": "{}"})
        client.targets.update(target.id, {"url": url})


def _refused_on_write(client: Omneo, how: str, url: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _write(client, how, url)
    assert refused.value.status_code == 422
    assert list(refused.value.errors) == ["url"], refused.value.errors


def _cases(urls: list[str]) -> list[tuple[str, str]]:
    return [(how, url) for how in WRITES for url in urls]


# --- a server with the default (empty) allow-list ---------------------------------------------------


@pytest.fixture(scope="module")
def strict_server(server: Server) -> Iterator[Server]:
    """The app again, on the same database, with ``webhook_allow_networks`` unset."""
    settings = dataclasses.replace(server.settings, webhook_allow_networks="")
    app = create_app(settings)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(uv.serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the strict server did not start"
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    yield Server(url, f"{url}/api/v3", app.state.db, loop, settings)
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def strict_client(strict_server: Server, tenant: TenantInfo) -> Iterator[Omneo]:
    with Omneo(tenant=tenant.handle, token=tenant.token, base_url=strict_server.api_url, max_retries=0) as sdk:
        yield sdk


# --- refused when written -----------------------------------------------------------------------------


@pytest.mark.parametrize(("how", "url"), _cases(BY_SHAPE + INTERNAL))
def test_internal_urls_are_refused_when_written(client: Omneo, how: str, url: str) -> None:
    _refused_on_write(client, how, url)


@pytest.mark.parametrize(("how", "url"), _cases(LOOPBACK))
def test_loopback_in_any_spelling_is_refused_by_default(strict_client: Omneo, how: str, url: str) -> None:
    _refused_on_write(strict_client, how, url)


def test_allowed_networks_and_public_names_are_accepted(client: Omneo, strict_client: Omneo) -> None:
    # The test server allows 127.0.0.0/8: loopback in any spelling, and a name resolving there.
    for url in (
        "http://127.0.0.1:9/a",
        "http://2130706433:9/b",
        "http://localhost:9/c",
        "http://[::ffff:127.0.0.1]:9/d",
    ):
        assert client.webhooks.create({"trigger": "*", "url": url, "namespace": "x"}).url == url
    # Public addresses and names that do not resolve here (they are checked again when delivered).
    for url in (
        "https://93.184.216.34/hook",
        "http://[2606:4700::1111]/hook",
        "https://hooks.example.com/in",
        "https://bücher.example/in",
    ):
        assert strict_client.webhooks.create({"trigger": "*", "url": url, "namespace": "x"}).url == url


def test_a_name_resolving_inside_is_refused_when_written(client: Omneo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "system_lookup", lambda host: ["93.184.216.34", "169.254.169.254"])
    _refused_on_write(client, "webhook create", "https://evil.example.com/hook")


async def test_a_slow_resolver_does_not_slow_a_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine has no outside DNS (``getaddrinfo("example.com")`` fails in about 2 ms), so a
    hanging resolver is simulated: the write waits at most ``resolve_within`` and accepts the name."""

    def hang(host: str) -> list[str]:
        time.sleep(3)
        return ["127.0.0.1"]

    monkeypatch.setattr(outbound, "system_lookup", hang)
    started = time.monotonic()
    await outbound.check_url("https://slow.example.com/hook", outbound.Policy(), resolve_within=0.2)
    assert time.monotonic() - started < 1


def test_a_wrong_allow_list_stops_the_start(server: Server) -> None:
    wrong = dataclasses.replace(server.settings, webhook_allow_networks="127.0.0.0/8, 10.0.0.0/33")
    with pytest.raises(ValueError, match=r"OMNEO_WEBHOOK_ALLOW_NETWORKS: '10.0.0.0/33'"):
        outbound.client(wrong)
    with pytest.raises(ValueError, match="OMNEO_WEBHOOK_ALLOW_NETWORKS"):
        asyncio.run(worker.run(server.db, wrong, asyncio.Event()))


# --- refused when delivered ---------------------------------------------------------------------------


def _deliver(tenant: TenantInfo, settings: Settings, resolver: outbound.Resolver = outbound.resolve) -> int:
    async def work() -> int:
        async with outbound.client(settings, resolver=resolver) as http:
            return await hooks.deliver_due(tenant.server.db, client=http, timeout=0.5, tenants=[tenant.id])

    return tenant.server.run(work())


def _queue_test_send(client: Omneo, url: str) -> int:
    hook = client.webhooks.create({"trigger": "nothing.ever", "url": url, "namespace": "crm"})
    client.webhooks.test(hook.id)
    return int(hook.id)


def _attempts(client: Omneo, webhook_id: int) -> list[Any]:
    [delivery] = client.webhooks.deliveries(webhook_id).data
    return list(delivery.attempts)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_is_not_delivered_where_it_is_not_allowed(
    client: Omneo, tenant: TenantInfo, receiver: Receiver, host: str
) -> None:
    """Written where 127.0.0.0/8 was allowed, then delivered by a worker whose allow-list is empty:
    the fake internal service gets nothing, and nothing of it comes back through the log."""
    webhook_id = _queue_test_send(client, receiver.url.replace("127.0.0.1", host))
    assert _deliver(tenant, dataclasses.replace(tenant.server.settings, webhook_allow_networks="")) == 1
    assert receiver.received == []
    [attempt] = _attempts(client, webhook_id)
    assert (attempt.status_code, attempt.error, attempt.response) == (None, hooks.NOT_ALLOWED, None)


def test_a_target_is_not_delivered_inside_either(client: Omneo, tenant: TenantInfo, receiver: Receiver) -> None:
    target = client.targets.create({"name": "CRM", "handle": "crm", "url": receiver.url, "template": '{"a": 1}'})

    async def queue() -> int:
        async with tenant.server.db.write() as session:
            row = await session.get(t.Target, target.id)
            assert row is not None
            ctx = Ctx(tenant.id, tenant.server.settings, actor="worker")
            delivery = await actions.queue_target(session, ctx, row, {}, event_id=None, event_type="ssrf.test")
            assert delivery is not None
            return delivery.id

    delivery_id = tenant.server.run(queue())
    assert _deliver(tenant, dataclasses.replace(tenant.server.settings, webhook_allow_networks="")) == 1
    assert receiver.received == []

    async def attempts() -> list[t.DeliveryAttempt]:
        async with tenant.server.db.read() as session:
            stmt = select(t.DeliveryAttempt).where(t.DeliveryAttempt.delivery_id == delivery_id)
            return list((await session.execute(stmt)).scalars())

    [attempt] = tenant.server.run(attempts())
    assert (attempt.status_code, attempt.error, attempt.response) == (None, hooks.NOT_ALLOWED, None)


def test_a_name_is_checked_after_it_resolves(client: Omneo, tenant: TenantInfo, receiver: Receiver) -> None:
    """A name that did not resolve when written (accepted) resolves inside when delivered — alone, or
    beside a public address (a rebinding trick): refused, nothing sent."""
    url = receiver.url.replace("127.0.0.1", "rebind.example.com")
    webhook_id = _queue_test_send(client, url)
    lookups: list[str] = []

    async def inside(host: str, port: int) -> list[outbound.IPAddress]:
        lookups.append(host)
        return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("127.0.0.1")]

    assert _deliver(tenant, dataclasses.replace(tenant.server.settings, webhook_allow_networks=""), inside) == 1
    assert lookups == ["rebind.example.com"] and receiver.received == []
    [attempt] = _attempts(client, webhook_id)
    assert attempt.error == hooks.NOT_ALLOWED


class _Recorder(httpcore.AsyncNetworkBackend):
    """Records where it is asked to connect, and connects nowhere."""

    def __init__(self) -> None:
        self.hosts: list[str] = []

    async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        self.hosts.append(host)
        raise httpcore.ConnectError("not here")

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise AssertionError("no unix sockets")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def test_dns_rebinding_gains_nothing() -> None:
    """The name resolves public, then private (rebinding). Each connection resolves once, checks the
    answer, and connects to the very address checked — never to the name, which could answer
    differently the next time."""
    answers = [["93.184.216.34"], ["127.0.0.1"]]
    asked: list[str] = []

    async def rebinding(host: str, port: int) -> list[outbound.IPAddress]:
        asked.append(host)
        return [ipaddress.ip_address(a) for a in answers.pop(0)]

    inner = _Recorder()
    guard = outbound.GuardedBackend(outbound.Policy(), rebinding, inner)
    with pytest.raises(httpcore.ConnectError):
        await guard.connect_tcp("rebind.example.com", 443, timeout=1)
    assert inner.hosts == ["93.184.216.34"]  # the checked address, not the name
    with pytest.raises(outbound.AddressRefused):
        await guard.connect_tcp("rebind.example.com", 443, timeout=1)
    assert inner.hosts == ["93.184.216.34"] and asked == ["rebind.example.com"] * 2  # never connected inside


def test_proxies_from_the_environment_are_not_used(
    client: Omneo, tenant: TenantInfo, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://10.255.255.1:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    webhook_id = _queue_test_send(client, receiver.url)
    assert _deliver(tenant, tenant.server.settings) == 1
    assert len(receiver.received) == 1 and _attempts(client, webhook_id)[0].status_code == 200


# --- what the delivery log tells ----------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_every_failure_to_connect_reads_the_same(client: Omneo, tenant: TenantInfo, receiver: Receiver) -> None:
    """Closed port, a receiver hanging past the timeout, a dropped connection, a name that does not
    resolve: one error text, so the log cannot tell an open port from a closed one."""
    receiver.script = [("sleep", 2), "close"]
    urls = [
        f"http://127.0.0.1:{_closed_port()}/hooks",
        receiver.url,  # hangs past the 0.5 s timeout
        receiver.url + "/drop",  # dropped unanswered
        "http://no-such-host.invalid/hooks",
    ]
    ids = []
    for url in urls:
        ids.append(_queue_test_send(client, url))
        assert _deliver(tenant, tenant.server.settings) == 1
    errors = [(a.status_code, a.error) for webhook_id in ids for a in _attempts(client, webhook_id)]
    assert errors == [(None, hooks.UNREACHABLE)] * 4


def test_the_log_keeps_at_most_1_kb_of_an_answer(client: Omneo, tenant: TenantInfo, receiver: Receiver) -> None:
    body = "é".encode() * 3000 + b"\x00\xff tail"  # 6 kB of two-byte characters, a NUL, a stray byte
    receiver.script = [("answer", 500, body)]
    webhook_id = _queue_test_send(client, receiver.url)
    assert _deliver(tenant, tenant.server.settings) == 1
    [attempt] = _attempts(client, webhook_id)
    assert attempt.status_code == 500 and attempt.error == "HTTP 500"
    kept = attempt.response.encode()
    assert 1020 <= len(kept) <= hooks.RESPONSE_KEEP == 1024 and body.startswith(kept)
    assert hooks.excerpt(b"ok\x00\xff") == "ok\ufffd\ufffd"


# --- which addresses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "is_blocked"),
    [
        ("8.8.8.8", False),
        ("93.184.216.34", False),
        ("2606:4700::1111", False),
        ("::ffff:8.8.8.8", False),
        ("64:ff9b::808:808", False),
        ("2002:808:808::", False),
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.31.255.255", True),
        ("192.168.0.1", True),
        ("169.254.169.254", True),
        ("100.127.255.254", True),
        ("0.0.0.0", True),
        ("0.1.2.3", True),
        ("224.0.0.251", True),
        ("239.255.255.250", True),
        ("255.255.255.255", True),
        ("192.0.2.10", True),
        ("198.51.100.1", True),
        ("203.0.113.1", True),
        ("198.18.0.1", True),
        ("240.0.0.1", True),
        ("192.88.99.1", True),
        ("::", True),
        ("::1", True),
        ("::127.0.0.1", True),
        ("::ffff:127.0.0.1", True),
        ("::ffff:169.254.169.254", True),
        ("64:ff9b::7f00:1", True),
        ("64:ff9b:1::1", True),
        ("2002:a9fe:a9fe::", True),
        ("fc00::1", True),
        ("fd12:3456::1", True),
        ("fe80::1", True),
        ("fec0::1", True),
        ("ff02::1", True),
        ("2001:db8::1", True),
        ("2001::1", True),
    ],
)
def test_blocked(address: str, is_blocked: bool) -> None:
    assert outbound.blocked(ipaddress.ip_address(address)) is is_blocked


def test_allowed_networks_open_exactly_those() -> None:
    rules = outbound.Policy(outbound.parse_networks(" 127.0.0.0/8 ,10.1.0.0/16,, fd00::/8"))
    opened = ["127.0.0.1", "127.255.0.1", "::ffff:127.0.0.1", "10.1.200.3", "fd00::5", "8.8.8.8"]
    closed = ["10.2.0.1", "169.254.169.254", "::1", "192.168.1.1", "fe80::1"]
    assert all(rules.permits(ipaddress.ip_address(a)) for a in opened)
    assert not any(rules.permits(ipaddress.ip_address(a)) for a in closed)
