"""The admin API's authorisation matrix: every route and method, read from the app itself (so a route
added later is in it without anyone editing this file), against every kind of credential.

* no token, an unknown token, an expired one, a revoked user's personal token and a deleted user's
  login: 401 everywhere;
* a token holding one unrelated scope: 403 on every route that checks a scope;
* a Reporting user's login: 403 on every route that writes (only reads and views pass);
* a token holding exactly the route's scope: never 401 or 403 (whatever the dummy ids then answer).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from omneo import Omneo
from omneo_server import app as server_app
from omneo_server.domain import permissions
from tests.conftest import Clock, TenantInfo
from tests.e2e.test_oauth import PASSWORD, _client, _user

Route = tuple[str, str, str | None]  # method, path with dummy ids, the scope it checks (None: any token)


def _scope(route: APIRoute) -> str | None:
    for dependency in route.dependant.dependencies:
        if hasattr(dependency.call, "scope"):
            return dependency.call.scope  # type: ignore[no-any-return]
    raise AssertionError(f"{route.path} checks no credential")


def _routes() -> list[Route]:
    found: list[Route] = []
    for router in server_app.API_ROUTERS:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            path = re.sub(r"\{[^}]+\}", "1", route.path)
            found += [(method, path, _scope(route)) for method in sorted(route.methods)]
    return found


ROUTES = _routes()


def _status(http: httpx.Client, route: Route, token: str | None) -> int:
    method, path, _checks = route
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return http.request(
        method, path, json={} if method in ("POST", "PUT", "PATCH") else None, headers=headers
    ).status_code


def _send(http: httpx.Client, token: str | None) -> Iterator[tuple[Route, int]]:
    for route in ROUTES:
        yield route, _status(http, route, token)


@pytest.fixture
def http(tenant: TenantInfo) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=tenant.server.api_url, timeout=60) as client:
        yield client


def _login(tenant: TenantInfo, role: str, email: str) -> tuple[int, str]:
    admin = Omneo(tenant=tenant.handle, token=tenant.token, base_url=tenant.server.api_url)
    user_id = _user(admin, email, role)
    client_id, secret = _client(tenant)
    form = {"grant_type": "password", "client_id": client_id, "client_secret": secret,
            "username": email, "password": PASSWORD}  # fmt: skip
    answer = httpx.post(f"{tenant.server.url}/oauth/token", data=form, timeout=30)
    assert answer.status_code == 200, answer.text
    return user_id, answer.json()["access_token"]


def test_every_route_is_in_the_matrix() -> None:
    assert len(ROUTES) > 300
    assert ("GET", "/audits", "read-audits") in ROUTES and ("POST", "/staff", "create-staff") in ROUTES


def test_no_credential_reaches_any_route(tenant: TenantInfo, http: httpx.Client, time_machine: Clock) -> None:
    admin = Omneo(tenant=tenant.handle, token=tenant.token, base_url=tenant.server.api_url)
    expired = tenant.mint("*", expires_in=60)
    holder, holders_login = _login(tenant, "admin", "gone@example.com")
    made = httpx.post(
        f"{tenant.server.api_url}/auth/api-tokens",
        json={"name": "mine", "scopes": ["*"]},
        headers={"Authorization": f"Bearer {holders_login}"},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    personal = made.json()["accessToken"]
    deleted, deleted_login = _login(tenant, "admin", "deleted@example.com")
    admin.users.delete(holder)
    admin.users.delete(deleted)
    time_machine.travel(timedelta(minutes=2))
    for token in (None, "omn_not-a-token", expired, personal, deleted_login):
        wrong = [(route, status) for route, status in _send(http, token) if status != 401]
        assert wrong == [], (token, wrong[:5])


def test_a_token_reaches_only_the_routes_of_its_scopes(tenant: TenantInfo, http: httpx.Client) -> None:
    narrow = tenant.mint("read-brands")
    wrong = [
        (route, status)
        for route, status in _send(http, narrow)
        if (status == 403) != (route[2] is not None and route[2] != "read-brands")
    ]
    assert wrong == [], wrong[:5]


def test_a_reporting_login_only_reads(tenant: TenantInfo, http: httpx.Client) -> None:
    _user_id, token = _login(tenant, "reporting", "reader@example.com")
    wrong: list[Any] = []
    for route, status in _send(http, token):
        scope = route[2]
        reads = scope is None or permissions.verb_and_resource(scope)[0] in ("read", "view")
        if status == 401 or (status == 403) == reads:
            wrong.append((route, status))
    assert wrong == [], wrong[:5]


def test_the_routes_scope_is_enough(tenant: TenantInfo, http: httpx.Client) -> None:
    tokens = {scope: tenant.mint(scope or "read-brands") for scope in {route[2] for route in ROUTES}}
    statuses = [(route, _status(http, route, tokens[route[2]])) for route in ROUTES]
    wrong = [(route, status) for route, status in statuses if status in (401, 403)]
    assert wrong == [], wrong[:5]
