"""Rate limits: guessing tokens, minting tokens and anonymous probing are bounded.

The attack: 2,000 bad admin tokens at 83/s, 1,000 forged ID tokens at 176/s and 300 anonymous
probes at 26/s all went through without a 429; password guesses at ``/oauth/token`` count the same.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from omneo import Omneo
from omneo_server.api.throttle import Throttle
from omneo_server.app import create_app
from omneo_server.settings import Settings
from tests.conftest import TenantInfo
from tests.e2e.processes import api_processes, free_port
from tests.e2e.test_oauth import PASSWORD, _client, _user
from tests.server.api import Api
from tests.server.test_id_security import forge, mint

ATTACKER = "203.0.113.66"
BYSTANDER = "198.51.100.7"


@asynccontextmanager
async def _app(tenant: TenantInfo, **limits: str) -> AsyncIterator[Any]:
    """The app with these limits (the others off), on the test database, in-process; yields a
    function giving a client that calls from a given address."""
    assert tenant.server.settings.rate_limit_auth_failures == ""  # the suite's server runs without limits
    app = create_app(replace(tenant.server.settings, **limits))
    clients: list[httpx.AsyncClient] = []

    def client(address: str, token: str | None = None) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        http = httpx.AsyncClient(transport=transport, base_url="http://omneo.test", headers=headers)
        clients.append(http)
        return http

    try:
        yield client
    finally:
        for http in clients:
            await http.aclose()
        await app.state.db.dispose()


def _assert_429(answer: httpx.Response) -> None:
    assert answer.status_code == 429, answer.text
    assert int(answer.headers["retry-after"]) >= 1
    body = answer.json()
    assert body["message"] and body["errors"] == {}


def test_limits_are_on_by_default() -> None:
    throttle = Throttle(Settings())
    assert throttle.auth_failures is not None and throttle.token_minting is not None
    assert throttle.anonymous is not None


async def test_failed_admin_authentication_is_limited_per_address(tenant: TenantInfo) -> None:
    fresh = tenant.mint("read-profiles")  # never used yet: not in the verified-token cache
    async with _app(tenant, rate_limit_auth_failures="5/minute") as client:
        attacker = client(ATTACKER)
        for n in range(5):
            headers = {"Authorization": f"Bearer omn_guess{n}"} if n else {}  # a missing token counts too
            assert (await attacker.get("/api/v3/profiles", headers=headers)).status_code == 401
        _assert_429(await attacker.get("/api/v3/profiles", headers={"Authorization": "Bearer omn_guess9"}))
        # A right guess learns nothing now either.
        _assert_429(await attacker.get("/api/v3/profiles", headers={"Authorization": f"Bearer {fresh}"}))
        # Others are not affected, nor are tokens this process has already verified.
        assert (await client(BYSTANDER, fresh).get("/api/v3/profiles")).status_code == 200
        assert (await client(ATTACKER, fresh).get("/api/v3/profiles")).status_code == 200


async def test_password_guessing_is_limited_per_address(tenant: TenantInfo) -> None:
    client_id, secret = _client(tenant)
    _user(Omneo(tenant=tenant.handle, token=tenant.token, base_url=tenant.server.api_url), "ana@example.com", "admin")
    form = {"grant_type": "password", "client_id": client_id, "client_secret": secret, "username": "ana@example.com"}
    async with _app(tenant, rate_limit_auth_failures="5/minute") as client:
        attacker = client(ATTACKER)
        for n in range(5):
            assert (await attacker.post("/oauth/token", data={**form, "password": f"guess {n}"})).status_code == 401
        # The right password learns nothing now either; another address logs in.
        _assert_429(await attacker.post("/oauth/token", data={**form, "password": PASSWORD}))
        answer = await client(BYSTANDER).post("/oauth/token", data={**form, "password": PASSWORD})
        assert answer.status_code == 200 and answer.json()["access_token"]


async def test_forged_id_tokens_are_limited_per_address(tenant: TenantInfo) -> None:
    me = Api(tenant).ok("POST", "/profiles", json={"email": "forged@example.com"})
    good = mint(tenant, id=me["id"])["token"]
    claims = {"iss": "omneo-id", "iat": 1, "exp": 4_000_000_000, "pid": me["id"], "tenant": tenant.handle}
    async with _app(tenant, rate_limit_auth_failures="5/minute") as client:
        attacker = client(ATTACKER)
        for n in range(5):
            forged = forge({"alg": "HS256", "typ": "JWT"}, claims, f"guess-{n}")
            answer = await attacker.get("/id/api/v1/profiles/me", headers={"Authorization": f"Bearer {forged}"})
            assert answer.status_code == 401
        _assert_429(await attacker.get("/id/api/v1/profiles/me", headers={"Authorization": f"Bearer {good}"}))
        assert (await client(BYSTANDER, good).get("/id/api/v1/profiles/me")).status_code == 200


async def test_token_minting_is_limited_per_admin_token(tenant: TenantInfo) -> None:
    me = Api(tenant).ok("POST", "/profiles", json={"email": "minted@example.com"})
    other = tenant.mint("*")
    async with _app(tenant, rate_limit_token_minting="3/minute") as client:
        backend = client(BYSTANDER, tenant.token)
        for _ in range(2):
            assert (await backend.post("/id/api/v1/auth/token", json={"id": me["id"]})).status_code == 200
        # API tokens and delegations count toward the same limit.
        made = await backend.post("/api/v3/auth/api-tokens", json={"name": "x", "scopes": ["read-brands"]})
        assert made.status_code == 201
        _assert_429(await backend.post("/id/api/v1/auth/token", json={"id": me["id"]}))
        _assert_429(await backend.post("/api/v3/auth/delegate", json={"client_handle": "signup"}))
        # Another admin token has its own allowance.
        answer = await client(BYSTANDER, other).post("/id/api/v1/auth/token", json={"id": me["id"]})
        assert answer.status_code == 200


async def test_anonymous_id_requests_are_limited_per_address(tenant: TenantInfo) -> None:
    me = Api(tenant).ok("POST", "/profiles", json={"email": "known@example.com"})
    anonymous = mint(tenant)["token"]
    profile_token = mint(tenant, id=me["id"])["token"]
    async with _app(tenant, rate_limit_anonymous="4/minute") as client:
        prober = client(ATTACKER, anonymous)
        for n in range(4):
            answer = await prober.post("/id/api/v1/profiles", json={"email": f"probe{n}@example.com"})
            assert answer.status_code in (200, 201), answer.text
        _assert_429(await prober.post("/id/api/v1/profiles", json={"email": "known@example.com"}))
        _assert_429(await prober.get("/id/api/v1/locations"))
        # Profile tokens from the same address, and anonymous ones from elsewhere, go on.
        assert (await client(ATTACKER, profile_token).get("/id/api/v1/profiles/me")).status_code == 200
        assert (await client(BYSTANDER, anonymous).get("/id/api/v1/locations")).status_code == 200


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A Redis server of this test's own, on a free port (Debian's ``redis-server``)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed: the shared rate-limit store cannot be tried here")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.1)
        yield f"async+redis://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


def test_a_shared_store_counts_across_api_processes(tenant: TenantInfo, redis_url: str) -> None:
    env = {"OMNEO_RATE_LIMIT_STORAGE": redis_url, "OMNEO_RATE_LIMIT_AUTH_FAILURES": "4/minute"}
    headers = {"Authorization": "Bearer omn_wrong"}
    with api_processes(tenant.server.db.url, 2, **env) as bases:
        answers = [httpx.get(f"{bases[n % 2]}/profiles", headers=headers, timeout=30) for n in range(4)]
        assert [a.status_code for a in answers] == [401] * 4
        for base in bases:
            _assert_429(httpx.get(f"{base}/profiles", headers=headers, timeout=30))
