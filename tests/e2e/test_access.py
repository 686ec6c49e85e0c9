"""Organisations and access through the SDK: the permission catalogue."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

import pytest
from fastapi.routing import APIRoute

from omneo import AsyncOmneo, NotFoundError, Omneo, PermissionDeniedError, ValidationError
from omneo_server import app as server_app
from omneo_server.api.routes import id as id_routes
from omneo_server.domain import permissions
from tests.conftest import TenantInfo, make_tenant


def _checked_by_routes() -> set[str]:
    """The scopes the routes' dependencies check, by their names (not the way the server reads them)."""
    found: set[str] = set()

    def walk(dependant: Any) -> None:
        for dependency in dependant.dependencies:
            name = getattr(dependency.call, "__name__", "")
            if name.startswith("requires_") and name != "requires_token":
                found.add(name.removeprefix("requires_"))
            walk(dependency)

    for router in (*server_app.API_ROUTERS, id_routes.router):
        for route in router.routes:
            if isinstance(route, APIRoute):
                walk(route.dependant)
    return found


def test_the_catalogue_lists_every_scope_a_route_checks_and_the_sdk_names(client: Omneo) -> None:
    listed = {p.name: p for p in client.permissions.list(params={"page[size]": 100})}
    checked = _checked_by_routes()
    assert len(checked) > 100
    assert checked <= set(listed) and set(permissions.SDK_SCOPES) <= set(listed)
    assert {name for name, p in listed.items() if p.checked} == checked
    read = listed["read-tier-points"]
    assert (read.handle, read.resource) == ("read", "tier-points")
    assert client.permissions.get(read.id).name == "read-tier-points"
    ids = [p.id for p in listed.values()]
    assert len(set(ids)) == len(ids)
    with pytest.raises(NotFoundError):
        client.permissions.get(10**6)
    only = client.permissions.list(params={"filter[name]": "read-profiles"}).data
    assert [p.name for p in only] == ["read-profiles"]


def test_the_catalogue_needs_read_permissions(tenant: TenantInfo) -> None:
    reader = Omneo(tenant=tenant.handle, token=tenant.mint("read-profiles"), base_url=tenant.server.api_url)
    with pytest.raises(PermissionDeniedError):
        reader.permissions.list()
    allowed = Omneo(tenant=tenant.handle, token=tenant.mint("read-permissions"), base_url=tenant.server.api_url)
    assert allowed.permissions.list().data


def test_a_permission_keeps_its_id_when_the_catalogue_is_written_again(tenant: TenantInfo) -> None:
    async def ids() -> dict[str, int]:
        async with AsyncOmneo(tenant=tenant.handle, token=tenant.token, base_url=tenant.server.api_url) as sdk:
            return {p.name: p.id async for p in await sdk.permissions.list(params={"page[size]": 100})}

    before = asyncio.run(ids())
    tenant.server.run(permissions.seed(tenant.server.db))
    assert asyncio.run(ids()) == before


def test_every_tenant_has_the_preset_roles_with_what_each_grants(client: Omneo, tenant: TenantInfo) -> None:
    listed = {role.handle: role for role in client.roles.list()}
    assert list(listed) == ["admin", "manager", "reporting", "machine"]  # heaviest first
    catalogue = {p.name for p in client.permissions.list(params={"page[size]": 100})}
    granted = {handle: {p.name for p in role.permissions} for handle, role in listed.items()}
    assert granted["admin"] == granted["machine"] == catalogue
    assert (listed["admin"].can_login, listed["machine"].can_login) == (True, False)
    reporting, manager = granted["reporting"], granted["manager"]
    assert reporting == {name for name in catalogue if name.startswith(("read-", "view-"))}
    assert reporting < manager < catalogue
    # A manager looks after members and what they hold and bought: issue, void, redeem, return...
    assert {"create-profiles", "update-profiles", "create-rewards", "update-rewards", "create-transactions",
            "redeem-benefits", "redeem-strategy", "return"} <= manager  # fmt: skip
    # ...but configures nothing and deletes nothing.
    assert not {name for name in manager if name.startswith("delete-")}
    assert not {"create-reward-definitions", "update-settings", "create-webhooks", "create-rate"} & manager
    one = client.roles.get(listed["reporting"].id)
    assert (one.name, one.weight) == ("Reporting", 10)
    other = make_other_tenant_roles(tenant)
    with pytest.raises(NotFoundError):
        client.roles.get(other)


def make_other_tenant_roles(tenant: TenantInfo) -> int:
    """The id of a role of another tenant (made now, with its presets)."""
    other = make_tenant(tenant.server)
    sdk = Omneo(tenant=other.handle, token=other.token, base_url=tenant.server.api_url)
    role_id = next(iter(sdk.roles.list())).id
    assert role_id is not None
    return role_id


def test_users_hold_roles_and_their_permissions_follow_them(client: Omneo, tenant: TenantInfo) -> None:
    by_handle = {role.handle: role for role in client.roles.list()}
    made = client.users.create(
        {"name": "Sam", "email": "Sam@Example.com", "password": "correct horse", "password_confirmation": "correct horse",
         "roles": [{"id": by_handle["reporting"].id}]}
    )  # fmt: skip
    assert (made.email, [r["handle"] for r in made.roles]) == ("sam@example.com", ["reporting"])
    assert {p["name"] for p in made.permissions} == {p.name for p in by_handle["reporting"].permissions}
    assert "password" not in made.model_dump() and "password_hash" not in made.model_dump()
    manager = client.users.update(made.id, {"roles": [{"id": by_handle["manager"].id}]})
    assert {p["name"] for p in manager.permissions} == {p.name for p in by_handle["manager"].permissions}
    assert [u.email for u in client.users.list(params={"filter[email]": "sam@example.com"})] == ["sam@example.com"]
    with pytest.raises(ValidationError) as taken:
        client.users.create({"name": "Other", "email": "sam@example.com", "password": "x" * 8,
                             "password_confirmation": "x" * 8})  # fmt: skip
    assert "email" in taken.value.errors
    client.users.delete(made.id)
    with pytest.raises(NotFoundError):
        client.users.get(made.id)
    again = client.users.create({"name": "Sam", "email": "sam@example.com", "password": "y" * 8,
                                 "password_confirmation": "y" * 8})  # fmt: skip
    assert again.id != made.id and again.roles == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password_confirmation": "different"}, "body"),
        ({"password": "short", "password_confirmation": "short"}, "password"),
        ({"email": "not an email"}, "email"),
        ({"roles": [{"id": 999999}]}, "roles"),
        ({"name": None}, "name"),
    ],
)
def test_a_bad_user_is_refused_and_nothing_is_written(
    client: Omneo, tenant: TenantInfo, change: dict[str, Any], field: str
) -> None:
    body = {
        "name": "Kim",
        "email": "kim@example.com",
        "password": "long enough",
        "password_confirmation": "long enough",
    }
    before = tenant.row_counts()
    with pytest.raises(ValidationError) as refused:
        client.users.create({**body, **change})
    assert field in refused.value.errors
    assert tenant.row_counts() == before


def test_users_and_roles_stay_within_their_tenant(client: Omneo, tenant: TenantInfo) -> None:
    other = make_tenant(tenant.server)
    theirs = Omneo(tenant=other.handle, token=other.token, base_url=tenant.server.api_url)
    their_role = next(iter(theirs.roles.list()))
    user = theirs.users.create({"name": "Them", "email": "them@example.com", "password": "p" * 10,
                                "password_confirmation": "p" * 10})  # fmt: skip
    with pytest.raises(NotFoundError):
        client.users.get(user.id)
    assert [u.email for u in client.users.list()] == []
    with pytest.raises(ValidationError):  # another tenant's role cannot be given
        client.users.create({"name": "Mine", "email": "mine@example.com", "password": "p" * 10,
                             "password_confirmation": "p" * 10, "roles": [{"id": their_role.id}]})  # fmt: skip
    reader = Omneo(tenant=tenant.handle, token=tenant.mint("read-profiles"), base_url=tenant.server.api_url)
    with pytest.raises(PermissionDeniedError):
        reader.users.list()


def test_the_first_admin_is_made_from_the_command_line(client: Omneo, tenant: TenantInfo) -> None:
    env = {**os.environ, "OMNEO_DATABASE_URL": tenant.server.db.url}
    command = [sys.executable, "-m", "omneo_server.cli", "users", "create", "--tenant", tenant.handle,
               "--email", "Owner@Example.com", "--role", "admin"]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    password = done.stdout.strip().splitlines()[-1]
    assert len(password) >= 20
    [owner] = client.users.list(params={"filter[email]": "owner@example.com"})
    assert [role["handle"] for role in owner.roles] == ["admin"]
    refused = subprocess.run(
        [*command[:-1], "pilot"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert refused.returncode != 0 and "no role pilot" in refused.stderr


def test_departments_belong_to_a_location_of_the_tenant_and_are_answered_with_it(
    client: Omneo, tenant: TenantInfo
) -> None:
    store = client.locations.create({"name": "Flagship", "external_code": "FLAG"})
    cafe = client.departments.create({"location_id": store.id, "name": "Café", "handle": "cafe"})
    womens = client.departments.create({"location_id": store.id, "name": "Womenswear", "handle": "womens"})
    assert [d.name for d in client.departments.list(params={"filter[location_id]": store.id})] == [
        "Café",
        "Womenswear",
    ]
    assert client.departments.update(cafe.id, {"description": "Coffee"}).description == "Coffee"
    with pytest.raises(ValidationError) as clash:  # a handle once per location
        client.departments.create({"location_id": store.id, "name": "Again", "handle": "cafe"})
    assert "handle" in str(clash.value.errors)
    answered = client.locations.get(store.id).model_dump()["departments"]
    assert [(d["id"], d["handle"]) for d in answered] == [(cafe.id, "cafe"), (womens.id, "womens")]
    sale = client.transactions.create(
        {"transacted_at": "2026-01-02 10:00:00", "location_id": "FLAG", "total": 1, "items": []}
    )
    assert [d["handle"] for d in sale.model_dump()["location"]["departments"]] == ["cafe", "womens"]
    client.departments.delete(womens.id)
    with pytest.raises(NotFoundError):
        client.departments.get(womens.id)
    theirs = make_tenant(tenant.server)
    their_store = Omneo(tenant=theirs.handle, token=theirs.token, base_url=tenant.server.api_url).locations.create(
        {"name": "Theirs"}
    )
    with pytest.raises(ValidationError) as foreign:  # another tenant's location
        client.departments.create({"location_id": their_store.id, "name": "Sneaky"})
    assert "location_id" in foreign.value.errors


def test_organisations_hold_member_profiles_with_a_role_each(client: Omneo, tenant: TenantInfo) -> None:
    store = client.locations.create({"name": "HQ store"})
    employer = client.organisations.create(
        {"name": "Acme", "handle": "acme", "domain": "acme.example", "authorised_domains": ["acme.example"],
         "locations": [store.id]}
    )  # fmt: skip
    assert (employer.handle, employer.locations, employer.is_active) == ("acme", [store.id], True)
    staff_role = client.role_definitions.create({"name": "Employee", "handle": "employee"})
    manager_role = client.role_definitions.create({"name": "Manager", "handle": "manager"})
    ann = client.profiles.create({"email": "ann@acme.example"})
    bob = client.profiles.create({"email": "bob@acme.example"})
    joined = client.organisations.profiles.create(
        employer.id, {"profile_id": ann.id, "role_definition_id": staff_role.id}
    )
    assert (joined.profile_id, joined.role_definition_id, joined.is_active) == (ann.id, staff_role.id, True)
    client.organisations.profiles.create(
        employer.id, {"profile_id": bob.id, "role_definition_id": staff_role.id, "expires_at": "2020-01-01 00:00:00"}
    )
    # Updated in place: the same profile again changes its membership, not a second one.
    client.organisations.profiles.create(employer.id, {"profile_id": ann.id, "role_definition_id": manager_role.id})
    members = {m.email: m for m in client.organisations.profiles.list(employer.id)}
    assert list(members) == ["ann@acme.example", "bob@acme.example"]
    assert members["ann@acme.example"].membership is not None
    assert members["ann@acme.example"].membership.role_definition_id == manager_role.id
    assert members["bob@acme.example"].membership is not None
    assert members["bob@acme.example"].membership.is_current is False  # expired
    client.organisations.profiles.delete(employer.id, bob.id)
    assert [m.email for m in client.organisations.profiles.list(employer.id)] == ["ann@acme.example"]
    with pytest.raises(ValidationError) as unknown:
        client.organisations.profiles.create(employer.id, {"profile_id": "nobody", "role_definition_id": 1})
    assert "profile_id" in unknown.value.errors
    with pytest.raises(ValidationError) as clash:
        client.organisations.create({"name": "Again", "handle": "acme"})
    assert "handle" in clash.value.errors
    theirs = make_tenant(tenant.server)
    their = Omneo(tenant=theirs.handle, token=theirs.token, base_url=tenant.server.api_url)
    their_role = their.role_definitions.create({"name": "Theirs", "handle": "theirs"})
    their_store = their.locations.create({"name": "Theirs"})
    with pytest.raises(ValidationError) as foreign_role:
        client.organisations.profiles.create(employer.id, {"profile_id": ann.id, "role_definition_id": their_role.id})
    assert "role_definition_id" in foreign_role.value.errors
    with pytest.raises(ValidationError) as oversized:  # beyond an id column: a 422, never a 500
        client.organisations.update(employer.id, {"locations": [2**40]})
    assert "locations.0" in oversized.value.errors
    with pytest.raises(ValidationError) as foreign_store:
        client.organisations.update(employer.id, {"locations": [their_store.id]})
    assert "locations" in foreign_store.value.errors
    with pytest.raises(NotFoundError):
        their.organisations.get(employer.id)
    client.organisations.delete(employer.id)
    with pytest.raises(NotFoundError):
        client.organisations.profiles.list(employer.id)


def test_conditions_can_ask_which_organisation_a_profile_belongs_to(client: Omneo, tenant: TenantInfo) -> None:
    acme = client.organisations.create({"name": "Acme", "handle": "acme"})
    role = client.role_definitions.create({"name": "Employee", "handle": "employee"})
    member = client.profiles.create({"email": "member@acme.example"})
    outsider = client.profiles.create({"email": "outsider@example.com"})
    client.organisations.profiles.create(acme.id, {"profile_id": member.id, "role_definition_id": role.id})
    # A staff discount only Acme's current employees can claim.
    belongs = {"some": [{"var": "organisations"},
                        {"and": [{"==": [{"var": "handle"}, "acme"]}, {"==": [{"var": "role_definition_handle"}, "employee"]},
                                 {"var": "is_current"}]}]}  # fmt: skip
    client.benefit_definitions.create(
        {"name": "Staff discount", "handle": "staff-discount", "is_claimable": True, "claim_condition": belongs}
    )
    claimable = {p: [d.handle for d in client.profiles.benefits.claimable(p)] for p in (member.id, outsider.id)}
    assert claimable == {member.id: ["staff-discount"], outsider.id: []}


def test_the_action_history_says_what_reactions_did_to_whom(client: Omneo, tenant: TenantInfo) -> None:
    trigger = client.triggers.create(
        {"name": "Tag newcomers", "trigger": "profile.created",
         "actions": [{"name": "tag.add", "sort_order": 1,
                      "arguments": [{"name": "profile_id", "value": {"var": "id"}, "is_dynamic": True},
                                    {"name": "tag", "value": "newcomer", "is_dynamic": False}]}]}
    )  # fmt: skip
    ann = client.profiles.create({"email": "ann@example.com"})
    bob = client.profiles.create({"email": "bob@example.com"})
    tenant.work()
    history = list(client.action_histories.list(params={"filter[profile_id]": ann.id}))
    assert [(h.trigger_id, h.event_type, h.status, h.profile_id) for h in history] == [
        (trigger.id, "profile.created", "done", ann.id)
    ]
    assert history[0].actions and history[0].actions[0]["action"] == "tag.add"
    assert client.action_histories.get(history[0].id).profile_id == ann.id
    assert {h.profile_id for h in client.action_histories.list()} == {ann.id, bob.id}
    theirs = make_tenant(tenant.server)
    with pytest.raises(NotFoundError):
        Omneo(tenant=theirs.handle, token=theirs.token, base_url=tenant.server.api_url).action_histories.get(
            history[0].id
        )
