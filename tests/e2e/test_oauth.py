"""Logins: the OAuth password grant, refresh tokens, personal access tokens and what a login may do
(what the user's roles allow, now), through HTTP and the SDK."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from omneo import AuthenticationError, NotFoundError, Omneo, PermissionDeniedError, ValidationError
from omneo_server.domain import access, oauth
from tests.conftest import Clock, TenantInfo, make_tenant

PASSWORD = "correct horse battery"


def _client(tenant: TenantInfo) -> tuple[int, str]:
    async def work() -> tuple[int, str]:
        async with tenant.server.db.write() as session:
            client, secret = await oauth.create_client(session, tenant.id, "console")
            return client.id, secret

    return tenant.server.run(work())


def _user(admin: Omneo, email: str, role: str) -> int:
    roles = {r.handle: r.id for r in admin.roles.list()}
    user = admin.users.create(
        {"name": email, "email": email, "password": PASSWORD, "password_confirmation": PASSWORD,
         "roles": [{"id": roles[role]}]}
    )  # fmt: skip
    assert user.id is not None
    return user.id


def _token(tenant: TenantInfo, form: dict[str, Any], *, as_json: bool = False) -> httpx.Response:
    url = f"{tenant.server.url}/oauth/token"
    return httpx.post(url, json=form, timeout=30) if as_json else httpx.post(url, data=form, timeout=30)


def _me(tenant: TenantInfo, token: str) -> httpx.Response:
    return httpx.get(f"{tenant.server.api_url}/users/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _sdk(tenant: TenantInfo, token: str) -> Omneo:
    return Omneo(tenant=tenant.handle, token=token, base_url=tenant.server.api_url, max_retries=0)


@pytest.fixture
def login(client: Omneo, tenant: TenantInfo) -> dict[str, Any]:
    client_id, secret = _client(tenant)
    user_id = _user(client, "ana@example.com", "reporting")
    form = {"grant_type": "password", "client_id": client_id, "client_secret": secret,
            "username": "Ana@Example.com", "password": PASSWORD, "scope": "*"}  # fmt: skip
    return {"form": form, "user_id": user_id, "client_id": client_id, "secret": secret}


def test_a_login_acts_for_its_user_with_what_their_roles_allow(
    client: Omneo, tenant: TenantInfo, login: dict[str, Any]
) -> None:
    answer = _token(tenant, login["form"])
    assert answer.status_code == 200, answer.text
    grant = answer.json()
    assert grant["token_type"] == "Bearer" and grant["expires_in"] == 3600 and grant["refresh_token"]
    ana = _sdk(tenant, grant["access_token"])
    me = _me(tenant, grant["access_token"]).json()["data"]
    assert (me["id"], me["email"]) == (login["user_id"], "ana@example.com")
    assert _sdk(tenant, grant["access_token"]).users.me().data.email == "ana@example.com"
    assert ana.profiles.list().data == []  # Reporting reads…
    with pytest.raises(PermissionDeniedError):  # …and writes nothing
        ana.profiles.create({"email": "new@example.com"})
    # A role change reaches the login (here at once; across processes within the 10 s cache).
    manager = next(r.id for r in client.roles.list() if r.handle == "manager")
    client.users.update(login["user_id"], {"roles": [{"id": manager}]})
    access.credentials.clear()
    assert ana.profiles.create({"email": "new@example.com"}).email == "new@example.com"
    # A login asks for less than the user holds, never more.
    narrow = _token(tenant, {**login["form"], "scope": "read-profiles"}).json()["access_token"]
    with pytest.raises(PermissionDeniedError):
        _sdk(tenant, narrow).profiles.create({"email": "other@example.com"})
    # JSON bodies are read too.
    assert _token(tenant, login["form"], as_json=True).status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"password": "wrong password"},
        {"username": "nobody@example.com"},
        {"client_secret": "not the secret"},
        {"client_id": 999999},
        {"grant_type": "client_credentials"},
    ],
)
def test_wrong_credentials_are_refused(tenant: TenantInfo, login: dict[str, Any], change: dict[str, Any]) -> None:
    before = tenant.count(access.ApiToken)
    answer = _token(tenant, {**login["form"], **change})
    expected = 400 if "grant_type" in change else 401
    assert answer.status_code == expected, answer.text
    body = answer.json()
    assert body["error"] in ("invalid_grant", "invalid_client", "unsupported_grant_type") and body["message"]
    assert "access_token" not in body and tenant.count(access.ApiToken) == before


def test_a_refresh_token_is_traded_once_and_reuse_ends_the_family(tenant: TenantInfo, login: dict[str, Any]) -> None:
    first = _token(tenant, login["form"]).json()
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
               "client_id": login["client_id"], "client_secret": login["secret"]}  # fmt: skip
    second = _token(tenant, refresh)
    assert second.status_code == 200, second.text
    with pytest.raises(AuthenticationError):  # the traded login ends
        _sdk(tenant, first["access_token"]).roles.list()
    assert _sdk(tenant, second.json()["access_token"]).roles.list()
    reused = _token(tenant, refresh)  # the same refresh token again: a thief, or a replay
    assert reused.status_code == 401
    with pytest.raises(AuthenticationError):  # every login of the family ends with it
        _sdk(tenant, second.json()["access_token"]).roles.list()
    later = {**refresh, "refresh_token": second.json()["refresh_token"]}
    assert _token(tenant, later).status_code == 401


def test_personal_tokens_never_exceed_their_user_and_end_with_them(client: Omneo, tenant: TenantInfo) -> None:
    client_id, secret = _client(tenant)
    user_id = _user(client, "root@example.com", "admin")
    form = {"grant_type": "password", "client_id": client_id, "client_secret": secret,
            "username": "root@example.com", "password": PASSWORD}  # fmt: skip
    narrow = _sdk(tenant, _token(tenant, {**form, "scope": "read-profiles create-api-tokens"}).json()["access_token"])
    with pytest.raises(PermissionDeniedError):  # more than the login holds
        narrow.auth.create_api_token({"name": "mine", "scopes": ["create-profiles"]})
    made = narrow.auth.create_api_token({"name": "mine", "scopes": ["read-profiles"]})
    assert made.token is not None and (made.token.user_id, made.token.type) == (user_id, "personal")
    everything = _sdk(tenant, _token(tenant, form).json()["access_token"])
    broad = everything.auth.create_api_token({"name": "all of it", "scopes": ["*"]})
    personal = _sdk(tenant, str(broad.access_token))
    assert personal.profiles.create({"email": "made@example.com"}).email == "made@example.com"
    # The user becomes Reporting: their personal token can no longer write.
    reporting = next(r.id for r in client.roles.list() if r.handle == "reporting")
    client.users.update(user_id, {"roles": [{"id": reporting}]})
    access.credentials.clear()
    assert personal.profiles.list().data
    with pytest.raises(PermissionDeniedError):
        personal.profiles.create({"email": "again@example.com"})
    # Deleting the user ends every token acting for them, and their logins.
    client.users.delete(user_id)
    for token in (personal, everything, narrow):
        with pytest.raises(AuthenticationError):
            token.profiles.list()
    assert _token(tenant, form).status_code == 401


def test_a_client_logs_in_only_its_own_tenants_users(client: Omneo, tenant: TenantInfo) -> None:
    other = make_tenant(tenant.server)
    _user(_sdk(other, other.token), "them@example.com", "admin")
    client_id, secret = _client(tenant)
    form = {"grant_type": "password", "client_id": client_id, "client_secret": secret,
            "username": "them@example.com", "password": PASSWORD}  # fmt: skip
    assert _token(tenant, form).status_code == 401


def test_a_machine_role_never_logs_in(client: Omneo, tenant: TenantInfo) -> None:
    _user(client, "robot@example.com", "machine")
    client_id, secret = _client(tenant)
    form = {"grant_type": "password", "client_id": client_id, "client_secret": secret,
            "username": "robot@example.com", "password": PASSWORD}  # fmt: skip
    assert _token(tenant, form).status_code == 401


def test_an_api_token_is_no_user(client: Omneo, tenant: TenantInfo) -> None:
    assert _me(tenant, tenant.token).status_code == 404
    with pytest.raises(NotFoundError):
        client.users.me()


def test_a_login_ends_after_its_hour_and_its_refresh_token_after_thirty_days(
    tenant: TenantInfo, login: dict[str, Any], time_machine: Clock
) -> None:
    grant = _token(tenant, login["form"]).json()
    ana = _sdk(tenant, grant["access_token"])
    assert ana.roles.list()
    time_machine.travel(timedelta(hours=1, seconds=1))
    with pytest.raises(AuthenticationError):
        ana.roles.list()
    refresh = {"grant_type": "refresh_token", "refresh_token": grant["refresh_token"],
               "client_id": login["client_id"], "client_secret": login["secret"]}  # fmt: skip
    fresh = _token(tenant, refresh)
    assert fresh.status_code == 200
    time_machine.travel(timedelta(days=31))
    assert _token(tenant, {**refresh, "refresh_token": fresh.json()["refresh_token"]}).status_code == 401


# --- attacks (each reproduced as found in review) ----------------------------------------------------


def test_user_management_scopes_are_no_way_to_more_power(client: Omneo, tenant: TenantInfo) -> None:
    admin_role = next(r.id for r in client.roles.list() if r.handle == "admin")
    admin_id = _user(client, "boss@example.com", "admin")
    creator = _sdk(tenant, tenant.mint("create-users", "read-roles"))
    with pytest.raises(PermissionDeniedError):  # giving a role that holds more than the caller
        creator.users.create({"name": "Me", "email": "me@example.com", "password": PASSWORD,
                              "password_confirmation": PASSWORD, "roles": [{"id": admin_role}]})  # fmt: skip
    updater = _sdk(tenant, tenant.mint("update-users"))
    for change in ({"password": "taken over!", "password_confirmation": "taken over!"}, {"email": "mine@example.com"},
                   {"roles": []}):  # fmt: skip
        with pytest.raises(PermissionDeniedError):  # taking over a user who holds more
            updater.users.update(admin_id, change)
    with pytest.raises(PermissionDeniedError):
        _sdk(tenant, tenant.mint("delete-users")).users.delete(admin_id)
    assert client.users.get(admin_id).email == "boss@example.com"


def test_a_machine_role_never_reaches_a_persons_session(client: Omneo, tenant: TenantInfo) -> None:
    roles = {r.handle: r.id for r in client.roles.list()}
    user = client.users.create({"name": "Both", "email": "both@example.com", "password": PASSWORD,
                                "password_confirmation": PASSWORD,
                                "roles": [{"id": roles["reporting"]}, {"id": roles["machine"]}]})  # fmt: skip
    client_id, secret = _client(tenant)
    form = {"grant_type": "password", "client_id": client_id, "client_secret": secret,
            "username": "both@example.com", "password": PASSWORD}  # fmt: skip
    grant = _token(tenant, form).json()
    both = _sdk(tenant, grant["access_token"])
    assert both.profiles.list().data == []  # Reporting's reads…
    with pytest.raises(PermissionDeniedError):  # …never Machine's *
        both.profiles.create({"email": "x@example.com"})
    # Left with Machine alone, their session and refresh token end.
    client.users.update(user.id, {"roles": [{"id": roles["machine"]}]})
    access.credentials.clear()
    with pytest.raises(AuthenticationError):
        both.profiles.list()
    refresh = {"grant_type": "refresh_token", "refresh_token": grant["refresh_token"],
               "client_id": client_id, "client_secret": secret}  # fmt: skip
    assert _token(tenant, refresh).status_code == 401


def test_a_new_password_ends_every_session(client: Omneo, tenant: TenantInfo, login: dict[str, Any]) -> None:
    grant = _token(tenant, login["form"]).json()
    client.users.update(login["user_id"], {"password": "a new secret", "password_confirmation": "a new secret"})
    with pytest.raises(AuthenticationError):
        _sdk(tenant, grant["access_token"]).profiles.list()
    refresh = {"grant_type": "refresh_token", "refresh_token": grant["refresh_token"],
               "client_id": login["client_id"], "client_secret": login["secret"]}  # fmt: skip
    assert _token(tenant, refresh).status_code == 401
    assert _token(tenant, {**login["form"], "password": "a new secret"}).status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"client_id": 1e300},  # a number no integer conversion should be asked to make
        {"client_id": {"id": 1}},
        {"username": ["a"]},
        {"username": "a\x00b"},
        {"password": 12345678},
        {"grant_type": None, "scope": {"x": 1}},
    ],
)
def test_a_malformed_token_request_is_a_400_at_once(
    tenant: TenantInfo, login: dict[str, Any], change: dict[str, Any]
) -> None:
    answer = _token(tenant, {**login["form"], **change}, as_json=True)
    assert answer.status_code in (400, 401) and answer.json()["error"], answer.text


def test_ids_that_only_look_like_numbers_are_not_found(client: Omneo, tenant: TenantInfo) -> None:
    for path in ("/users/%C2%B2", "/roles/%C2%B2", "/permissions/%C2%B2"):
        answer = httpx.get(f"{tenant.server.api_url}{path}", headers={"Authorization": f"Bearer {tenant.token}"})
        assert answer.status_code == 404, (path, answer.text)


def test_a_login_of_a_long_email_is_made(client: Omneo, tenant: TenantInfo) -> None:
    email = "a" * 240 + "@example.com"
    _user(client, email, "reporting")
    client_id, secret = _client(tenant)
    form = {"grant_type": "password", "client_id": client_id, "client_secret": secret,
            "username": email, "password": PASSWORD}  # fmt: skip
    assert _token(tenant, form).status_code == 200


def test_a_revoked_client_ends_its_logins_and_verify_says_what_a_login_may_do(
    tenant: TenantInfo, login: dict[str, Any]
) -> None:
    grant = _token(tenant, login["form"]).json()
    verified = httpx.get(
        f"{tenant.server.api_url}/auth/verify", headers={"Authorization": f"Bearer {grant['access_token']}"}
    ).json()["data"]
    assert verified["token"]["scopes"] == ["*"] and "*" not in verified["scopes"]
    assert all(scope.startswith(("read-", "view-")) for scope in verified["scopes"])  # Reporting's

    async def revoke() -> None:
        async with tenant.server.db.write() as session:
            client = await session.get(access.OAuthClient, login["client_id"])
            assert client is not None
            client.revoked = True

    tenant.server.run(revoke())
    access.credentials.clear()
    with pytest.raises(AuthenticationError):
        _sdk(tenant, grant["access_token"]).roles.list()
    assert _token(tenant, login["form"]).status_code == 401


def test_a_refresh_token_reused_after_its_login_was_deleted_still_ends_the_family(
    client: Omneo, tenant: TenantInfo, login: dict[str, Any]
) -> None:
    first = _token(tenant, login["form"]).json()
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
               "client_id": login["client_id"], "client_secret": login["secret"]}  # fmt: skip
    second = _token(tenant, refresh).json()
    old = next(t for t in client.auth.get_api_tokens() if t.revoked and t.type == "oauth")
    client.auth.delete_api_token(old.id)  # the traded login is cleaned away
    assert _token(tenant, refresh).status_code == 401  # the old refresh token, again
    with pytest.raises(AuthenticationError):
        _sdk(tenant, second["access_token"]).roles.list()


def test_a_tenants_own_role_changes_every_holder_at_once(client: Omneo, tenant: TenantInfo) -> None:
    till = client.roles.create(
        {"name": "Till", "handle": "till", "permissions": ["read-profiles", "create-transactions"]}
    )
    assert sorted(p.name for p in till.permissions) == ["create-transactions", "read-profiles"]
    holder = client.users.create({"name": "Tim", "email": "tim@example.com", "password": PASSWORD,
                                  "password_confirmation": PASSWORD, "roles": [{"id": till.id}]})  # fmt: skip
    client_id, secret = _client(tenant)
    form = {"grant_type": "password", "client_id": client_id, "client_secret": secret,
            "username": "tim@example.com", "password": PASSWORD}  # fmt: skip
    tim = _sdk(tenant, _token(tenant, form).json()["access_token"])
    with pytest.raises(PermissionDeniedError):
        tim.profiles.create({"email": "walk-in@example.com"})
    catalogue = {p.name: p.id for p in client.permissions.list(params={"page[size]": 100})}
    client.roles.update(till.id, {"permissions": ["read-profiles", {"id": catalogue["create-profiles"]}]})
    access.credentials.clear()
    assert tim.profiles.create({"email": "walk-in@example.com"}).email == "walk-in@example.com"
    # Never more than the caller holds; presets stay as they are; unknown permissions are refused.
    narrow = _sdk(tenant, tenant.mint("create-roles", "update-roles", "read-profiles"))
    with pytest.raises(PermissionDeniedError):
        narrow.roles.create({"name": "Boss", "handle": "boss", "permissions": ["delete-profiles"]})
    with pytest.raises(PermissionDeniedError):
        narrow.roles.update(till.id, {"name": "Taken"})  # it grants create-profiles, which narrow lacks
    admin = next(r for r in client.roles.list() if r.handle == "admin")
    with pytest.raises(ValidationError):
        client.roles.update(admin.id, {"permissions": []})
    with pytest.raises(ValidationError) as unknown:
        client.roles.create({"name": "Odd", "handle": "odd", "permissions": ["fly-planes"]})
    assert "permissions" in unknown.value.errors
    client.roles.delete(till.id)
    access.credentials.clear()
    assert client.users.get(holder.id).roles == []
    with pytest.raises(AuthenticationError):  # left with no role, the login ends
        tim.profiles.list()
