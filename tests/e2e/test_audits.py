"""The audit trail through the SDK: every change leaves a row in its own transaction, saying who
(token, user, or the worker) changed which record, from where, and its values before and after."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from omneo import ID, NotFoundError, Omneo, PermissionDeniedError, ValidationError
from omneo.types import Audit
from omneo_server import clock
from omneo_server.db import tables as t
from tests.conftest import TenantInfo
from tests.e2e.test_id import id_url
from tests.e2e.test_oauth import _client, _sdk, _token, _user


def trail(client: Omneo, **filters: Any) -> list[Audit]:
    return list(client.audits.list(params={f"filter[{k}]": v for k, v in filters.items()} | {"page[size]": 100}))


def test_a_change_says_who_made_it_from_where_and_what_changed(client: Omneo, tenant: TenantInfo) -> None:
    ann = client.profiles.create({"email": "ann@example.com", "first_name": "Ann"})
    client.profiles.update(ann.id, {"first_name": "Anne", "last_name": "Lee"})
    created, updated = trail(client, auditable_type="profile", auditable_id=ann.id)
    assert (created.event, updated.event) == ("created", "updated")
    assert created.new_values["email"] == "ann@example.com" and created.old_values is None
    assert (updated.old_values, updated.new_values) == (
        {"first_name": "Ann", "last_name": "Unknown", "full_name": "Ann Unknown"},
        {"first_name": "Anne", "last_name": "Lee", "full_name": "Anne Lee"},
    )
    assert created.profile_id == ann.id and created.auditable_id == ann.id
    assert created.token_name == "admin" and created.user_id is None  # make_tenant's token is "admin"
    assert created.ip_address == "127.0.0.1" and created.user_agent and "python" in created.user_agent.lower()
    assert created.url is not None and created.url.endswith("/api/v3/profiles")

    # A configuration record: created, its update's changed fields only, and what a delete removed.
    store = client.locations.create({"name": "Bourke St", "phone": "0390000000"})
    client.locations.update(store.id, {"name": "Bourke Street"})
    client.locations.delete(store.id)
    made, renamed, gone = trail(client, auditable_type="location", auditable_id=store.id)
    assert [a.event for a in (made, renamed, gone)] == ["created", "updated", "deleted"]
    assert (renamed.old_values, renamed.new_values) == ({"name": "Bourke St"}, {"name": "Bourke Street"})
    assert gone.old_values["name"] == "Bourke Street" and gone.new_values is None
    assert isinstance(gone.auditable_id, int)
    assert client.audits.get(renamed.id).new_values == {"name": "Bourke Street"}


def test_what_happened_to_a_member_is_audited_under_their_profile(client: Omneo, tenant: TenantInfo) -> None:
    client.reward_definitions.create({"name": "Welcome", "handle": "welcome", "value": "15", "type": "activation"})
    ann = client.profiles.create({"email": "ann@example.com"})
    reward = client.rewards.create({"profile_id": ann.id, "reward_definition_handle": "welcome"})
    issued = trail(client, profile_id=ann.id, event="issued")
    assert [(a.auditable_type, a.auditable_id) for a in issued] == [("reward", reward.id)]
    assert {a.profile_id for a in trail(client, profile_id=ann.id)} == {ann.id}
    assert trail(client, profile_id="not-a-profile") == []


def test_a_refused_write_leaves_no_audit(client: Omneo, tenant: TenantInfo) -> None:
    ann = client.profiles.create({"email": "ann@example.com"})
    before = tenant.count(t.Audit)
    with pytest.raises(ValidationError):
        client.profiles.create({"email": "ann@example.com"})  # taken
    with pytest.raises(ValidationError):
        client.profiles.update(ann.id, {"email": "not an email"})
    with pytest.raises(NotFoundError):
        client.locations.update(10**6, {"name": "Nowhere"})
    assert tenant.count(t.Audit) == before


def test_a_login_is_audited_as_its_user(client: Omneo, tenant: TenantInfo) -> None:
    client_id, secret = _client(tenant)
    user_id = _user(client, "mia@example.com", "manager")
    form = {"grant_type": "password", "client_id": client_id, "client_secret": secret,
            "username": "mia@example.com", "password": "correct horse battery"}  # fmt: skip
    login = _sdk(tenant, _token(tenant, form).json()["access_token"])
    bob = login.profiles.create({"email": "bob@example.com"})
    [made] = trail(client, auditable_type="profile", auditable_id=bob.id)
    assert made.user_id == user_id and made.token_name  # the login token's name
    assert [a.auditable_id for a in trail(client, user_id=user_id)] == [bob.id]


def test_writes_of_the_worker_and_of_queued_jobs_say_who_caused_them(client: Omneo, tenant: TenantInfo) -> None:
    client.triggers.create(
        {"name": "Tag newcomers", "trigger": "profile.created",
         "actions": [{"name": "tag.add", "sort_order": 1,
                      "arguments": [{"name": "profile_id", "value": {"var": "id"}, "is_dynamic": True},
                                    {"name": "tag", "value": "newcomer", "is_dynamic": False}]}]}
    )  # fmt: skip
    ann = client.profiles.create({"email": "ann@example.com"})
    tenant.work()
    by_worker = [a for a in trail(client, profile_id=ann.id) if a.token_name == "worker"]
    assert by_worker and by_worker[0].user_id is None and by_worker[0].ip_address is None

    # A queued write, applied later by the worker, is audited as the caller that queued it.
    headers = {"Authorization": f"Bearer {tenant.token}", "User-Agent": "till/1.0"}
    body = {"transacted_at": "2025-06-15 14:32:00", "total": "20.00", "profile_id": ann.id, "external_id": "Q-9",
            "items": [{"name": "Socks", "quantity": 1, "price_current": "20.00", "price_sell": "20.00"}]}  # fmt: skip
    answer = httpx.post(f"{tenant.server.api_url}/transactions/queue", json=body, headers=headers, timeout=30)
    assert answer.status_code < 300, answer.text
    tenant.work()
    [sold] = trail(client, auditable_type="transaction")
    assert (sold.event, sold.token_name, sold.user_agent) == ("created", "admin", "till/1.0")
    assert sold.profile_id == ann.id and sold.url is not None and sold.url.endswith("/transactions/queue")


def test_a_customers_own_change_is_audited_as_them(client: Omneo, tenant: TenantInfo) -> None:
    ann = client.profiles.create({"email": "ann@example.com", "first_name": "Ann"})
    with ID(tenant=tenant.handle, omneo_api_token=tenant.token, base_url=id_url(tenant), max_retries=0) as backend:
        minted = backend.auth.request_auth_token(id=ann.id)
    with ID(tenant=tenant.handle, id_token=minted.token, base_url=id_url(tenant), max_retries=0) as me:
        me.profile.update({"first_name": "Annie"})
    last = trail(client, auditable_type="profile", auditable_id=ann.id)[-1]
    assert (last.event, last.token_name) == ("updated", f"id:{ann.id}")
    assert last.new_values == {"first_name": "Annie", "full_name": "Annie Unknown"}


def test_audits_are_recorded_and_corrected_by_hand_and_filtered_by_time(
    client: Omneo, tenant: TenantInfo, other_tenant: TenantInfo
) -> None:
    made = client.audits.create({"event": "exported", "auditable_type": "report", "auditable_id": 7,
                                 "new_values": {"rows": 120}})  # fmt: skip
    assert (made.event, made.auditable_type, made.auditable_id, made.token_name) == ("exported", "report", 7, "admin")
    assert made.ip_address == "127.0.0.1" and made.new_values == {"rows": 120}
    fixed = client.audits.update(made.id, {"new_values": {"rows": 121}})
    assert fixed.new_values == {"rows": 121} and fixed.event == "exported"
    # The correction is audited; the manual record is its own audit (no second row for it).
    [correction] = trail(client, auditable_type="audit")
    assert (correction.event, correction.auditable_id) == ("updated", made.id)
    assert (correction.old_values, correction.new_values) == (
        {"new_values": {"rows": 120}},
        {"new_values": {"rows": 121}},
    )

    with pytest.raises(ValidationError) as refused:
        client.audits.create({"auditable_type": "report"})
    assert "event" in (refused.value.errors or {})

    since = (clock.now() + timedelta(seconds=1)).isoformat()
    assert trail(client, **{"created_at][gte": since}) == []
    assert [a.id for a in trail(client, event="exported")] == [made.id]

    # Another tenant sees none of it; a reading token reads but does not write.
    theirs = Omneo(tenant=other_tenant.handle, token=other_tenant.token, base_url=other_tenant.server.api_url)
    assert trail(theirs) == []
    with pytest.raises(NotFoundError):
        theirs.audits.get(made.id)
    with pytest.raises(NotFoundError):
        theirs.audits.update(made.id, {"event": "hidden"})
    reader = Omneo(tenant=tenant.handle, token=tenant.mint("read-audits"), base_url=tenant.server.api_url)
    assert reader.audits.get(made.id).id == made.id
    with pytest.raises(PermissionDeniedError):
        reader.audits.create({"event": "x", "auditable_type": "y"})

    # The API's DELETE (no SDK method, as in the official SDKs) is audited too.
    headers = {"Authorization": f"Bearer {tenant.token}"}
    assert httpx.delete(f"{tenant.server.api_url}/audits/{made.id}", headers=headers, timeout=30).status_code == 204
    assert [a.event for a in trail(client, auditable_type="audit")] == ["updated", "deleted"]
