"""Custom fields over HTTP: ``/custom-fields/{model}/{id}``, ``/tenants/custom-fields``, ``/tenants/custom-event``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from omneo_server.db import tables as t
from tests.conftest import TenantInfo

FIELD_KEYS = {
    "id",
    "namespace",
    "handle",
    "name",
    "type",
    "value",
    "version",
    "is_index",
    "custom_fieldable_type",
    "custom_fieldable_id",
    "created_at",
    "updated_at",
}


def client(tenant: TenantInfo, token: str | None = None) -> httpx.Client:
    return httpx.Client(
        base_url=tenant.server.api_url, headers={"Authorization": f"Bearer {token or tenant.token}"}, timeout=30
    )


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json() if response.content else None


def fails(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    body: dict[str, Any] = response.json()
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)
    return body


def events(tenant: TenantInfo) -> list[tuple[str, dict[str, Any]]]:
    async def work() -> list[tuple[str, dict[str, Any]]]:
        async with tenant.server.db.read() as session:
            stmt = select(t.OutboxEvent).where(t.OutboxEvent.tenant_id == tenant.id).order_by(t.OutboxEvent.id)
            return [(e.type, e.payload) for e in (await session.execute(stmt)).scalars()]

    return tenant.server.run(work())


def make_profile(api: httpx.Client, email: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = ok(api.post("/profiles", json={"email": email, **extra}), 201)["data"]
    return data


def field(namespace: str, handle: str, kind: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"namespace": namespace, "handle": handle, "type": kind, "value": value, **extra}


# --- tenant custom fields ------------------------------------------------------------------------


def test_tenant_custom_field_lifecycle(tenant: TenantInfo) -> None:
    api = client(tenant)
    created = ok(
        api.post("/tenants/custom-fields", json=field("brand", "colour", "string", "red", name="Colour")), 201
    )["data"]
    assert set(created) == FIELD_KEYS
    assert created["namespace"] == "brand" and created["handle"] == "colour" and created["name"] == "Colour"
    assert (created["type"], created["value"], created["version"], created["is_index"]) == ("string", "red", 1, False)
    assert created["custom_fieldable_type"] == "tenant"
    assert created["custom_fieldable_id"] == tenant.id
    assert len(created["created_at"]) == 19  # "YYYY-MM-DD HH:MM:SS"

    ok(api.post("/tenants/custom-fields", json=field("brand", "launch", "integer", 2019)), 201)
    page = ok(api.get("/tenants/custom-fields", params={"page[size]": 1}))
    assert [f["handle"] for f in page["data"]] == ["colour"]
    assert page["meta"]["total"] == 2 and page["meta"]["last_page"] == 2
    only = ok(api.get("/tenants/custom-fields", params={"filter[handle]": "launch"}))["data"]
    assert [(f["handle"], f["value"]) for f in only] == [("launch", 2019)]

    got = ok(api.get("/tenants/custom-fields/brand:colour"))["data"]
    assert got == created

    updated = ok(api.put("/tenants/custom-fields/brand:colour", json={"value": "blue"}))["data"]
    assert (updated["value"], updated["version"], updated["name"]) == ("blue", 2, "Colour")
    updated = ok(api.put("/tenants/custom-fields/brand:colour", json={"value": "green", "is_index": True}))["data"]
    assert (updated["value"], updated["version"], updated["is_index"]) == ("green", 3, True)
    # Renaming alone is not a new value: no new version.
    renamed = ok(api.put("/tenants/custom-fields/brand:colour", json={"name": "Main colour"}))["data"]
    assert (renamed["name"], renamed["value"], renamed["version"]) == ("Main colour", "green", 3)

    versions = ok(api.get("/tenants/custom-fields/brand:colour/versions"))
    assert set(versions) == {"data"}
    assert [(v["version"], v["value"]) for v in versions["data"]] == [(1, "red"), (2, "blue")]
    assert all(v["namespace"] == "brand" and v["handle"] == "colour" for v in versions["data"])

    deleted = api.delete("/tenants/custom-fields/brand:colour")
    assert deleted.status_code == 204 and deleted.content == b""
    fails(api.get("/tenants/custom-fields/brand:colour"), 404)
    fails(api.get("/tenants/custom-fields/brand:colour/versions"), 404)
    fails(api.delete("/tenants/custom-fields/brand:colour"), 404)
    fails(api.put("/tenants/custom-fields/brand:colour", json={"value": "x"}), 404)
    fails(api.get("/tenants/custom-fields/no-colon"), 404)
    assert [f["handle"] for f in ok(api.get("/tenants/custom-fields"))["data"]] == ["launch"]

    kinds = [kind for kind, _ in events(tenant)]
    assert kinds.count("custom_field.created") == 2
    assert kinds.count("custom_field.updated") == 3
    assert kinds.count("custom_field.deleted") == 1
    deleted_payload = next(p for kind, p in events(tenant) if kind == "custom_field.deleted")
    assert deleted_payload["handle"] == "colour" and deleted_payload["value"] == "green"


def test_tenant_fields_are_the_tenant_models_fields(tenant: TenantInfo, other_tenant: TenantInfo) -> None:
    api = client(tenant)
    ok(api.post("/tenants/custom-fields", json=field("a", "b", "boolean", True)), 201)
    for ref in (tenant.handle, str(tenant.id)):
        listed = ok(api.get(f"/custom-fields/tenant/{ref}"))["data"]
        assert [(f["namespace"], f["handle"], f["value"]) for f in listed] == [("a", "b", True)]
    # Another tenant's fields are not visible, and its id is not an owner the caller may use.
    assert ok(client(other_tenant).get("/tenants/custom-fields"))["data"] == []
    fails(api.get(f"/custom-fields/tenant/{other_tenant.handle}"), 404)
    fails(api.post(f"/custom-fields/tenant/{other_tenant.id}", json=field("x", "y", "string", "z")), 404)


def test_update_can_change_the_type(tenant: TenantInfo) -> None:
    api = client(tenant)
    ok(api.post("/tenants/custom-fields", json=field("n", "count", "string", "7")), 201)
    fails(api.put("/tenants/custom-fields/n:count", json={"type": "boolean"}), 422)  # "7" is no boolean
    changed = ok(api.put("/tenants/custom-fields/n:count", json={"type": "integer", "value": 7}))["data"]
    assert (changed["type"], changed["value"], changed["version"]) == ("integer", 7, 2)


# --- fields on other owners ----------------------------------------------------------------------


def test_profile_custom_fields(tenant: TenantInfo) -> None:
    api = client(tenant)
    profile = make_profile(api, "cf@example.com")
    pid = profile["id"]
    created = ok(api.post(f"/custom-fields/profile/{pid}", json=field("prefs", "size", "string", "M")), 201)["data"]
    assert (created["custom_fieldable_type"], created["custom_fieldable_id"]) == ("profile", pid)
    ok(api.post(f"/custom-fields/profile/{pid}", json=field("prefs", "age", "integer", 30, is_index=True)), 201)

    listed = ok(api.get(f"/custom-fields/profile/{pid}"))
    assert [(f["handle"], f["value"]) for f in listed["data"]] == [("age", 30), ("size", "M")]
    assert listed["meta"]["total"] == 2 and "links" in listed
    # The same storage as the profile's custom attributes.
    attributes = ok(api.get(f"/profiles/{pid}/attributes/custom"))["data"]
    assert {(a["namespace"], a["handle"], a["value"]) for a in attributes} == {
        ("prefs", "size", "M"),
        ("prefs", "age", 30),
    }

    response = api.delete(f"/custom-fields/profile/{pid}/prefs:size")
    assert response.status_code == 204
    assert [f["handle"] for f in ok(api.get(f"/custom-fields/profile/{pid}"))["data"]] == ["age"]
    fails(api.delete(f"/custom-fields/profile/{pid}/prefs:size"), 404)
    assert ("custom_field.deleted", created) in [(k, p) for k, p in events(tenant)]


def test_status_and_address_owners(tenant: TenantInfo) -> None:
    api = client(tenant)
    status = ok(api.post("/statuses", json={"name": "VIP", "handle": "vip"}), 201)["data"]
    made = ok(api.post(f"/custom-fields/status/{status['id']}", json=field("s", "tier", "float", 1.5)), 201)["data"]
    assert (made["custom_fieldable_type"], made["custom_fieldable_id"], made["value"]) == ("status", status["id"], 1.5)

    address = {"address_line_1": "1 Main St", "city": "Melbourne", "postcode": "3000", "country": "AU"}
    profile = make_profile(api, "addr@example.com", addresses=[address])
    address_id = profile["addresses"][0]["id"]
    made = ok(api.post(f"/custom-fields/address/{address_id}", json=field("a", "gate", "array", [1, 2])), 201)["data"]
    assert (made["custom_fieldable_type"], made["custom_fieldable_id"], made["value"]) == (
        "address",
        address_id,
        [1, 2],
    )

    fails(api.get("/custom-fields/status/999999"), 404)
    fails(api.get("/custom-fields/status/not-a-number"), 404)
    fails(api.get("/custom-fields/address/99999999999999"), 404)


def test_batch_delete(tenant: TenantInfo) -> None:
    api = client(tenant)
    pid = make_profile(api, "batch@example.com")["id"]
    for handle in ("a", "b", "c"):
        ok(api.post(f"/custom-fields/profile/{pid}", json=field("ns", handle, "string", handle)), 201)
    body = {
        "custom_fields": [
            {"namespace": "ns", "handle": "a"},
            {"namespace": "ns", "handle": "c"},
            {"namespace": "ns", "handle": "missing"},
            {"namespace": "other", "handle": "b"},
        ]
    }
    response = api.request("DELETE", f"/custom-fields/profile/{pid}/batchJsonDelete", json=body)
    assert response.status_code == 200, response.text
    assert response.json() == {"deleted": 2}
    assert [f["handle"] for f in ok(api.get(f"/custom-fields/profile/{pid}"))["data"]] == ["b"]
    assert [k for k, _ in events(tenant)].count("custom_field.deleted") == 2

    again = api.request("DELETE", f"/custom-fields/profile/{pid}/batchJsonDelete", json=body)
    assert again.json() == {"deleted": 0}
    fails(api.request("DELETE", f"/custom-fields/profile/{pid}/batchJsonDelete", json={}), 422)


def test_search_across_owners(tenant: TenantInfo, other_tenant: TenantInfo) -> None:
    api = client(tenant)
    first = make_profile(api, "s1@example.com")["id"]
    second = make_profile(api, "s2@example.com")["id"]
    gone = make_profile(api, "s3@example.com")["id"]
    ok(api.post(f"/custom-fields/profile/{first}", json=field("loyalty", "level", "string", "gold")), 201)
    ok(api.post(f"/custom-fields/profile/{second}", json=field("loyalty", "level", "string", "silver")), 201)
    ok(api.post(f"/custom-fields/profile/{second}", json=field("loyalty", "visits", "integer", 12)), 201)
    ok(api.post(f"/custom-fields/profile/{gone}", json=field("loyalty", "level", "string", "gold")), 201)
    ok(api.post("/tenants/custom-fields", json=field("loyalty", "level", "string", "gold")), 201)
    ok(api.delete(f"/profiles/{gone}"), 204)
    foreign = make_profile(client(other_tenant), "s1@example.com")["id"]
    ok(
        client(other_tenant).post(
            f"/custom-fields/profile/{foreign}", json=field("loyalty", "level", "string", "gold")
        ),
        201,
    )

    def search(**filters: str) -> list[tuple[str, Any, str, Any]]:
        params = {f"filter[{k}]": v for k, v in filters.items()}
        rows = ok(api.get("/custom-fields/search", params=params))["data"]
        return [(r["custom_fieldable_type"], r["custom_fieldable_id"], r["handle"], r["value"]) for r in rows]

    assert search(handle="level") == [
        ("profile", first, "level", "gold"),
        ("profile", second, "level", "silver"),
        ("tenant", tenant.id, "level", "gold"),
    ]
    assert search(handle="level", custom_fieldable_type="profile", value="gold") == [
        ("profile", first, "level", "gold")
    ]
    assert search(value="12") == [("profile", second, "visits", 12)]
    assert search(namespace="loyalty", custom_fieldable_type="tenant") == [("tenant", tenant.id, "level", "gold")]
    assert search(namespace="nope") == []
    page = ok(api.get("/custom-fields/search", params={"page[size]": 2}))
    assert page["meta"]["total"] == 4 and len(page["data"]) == 2
    fails(api.get("/custom-fields/search", params={"filter[owner_id]": "x"}), 422)


# --- validation and access -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("string", {"a": 1}),
        ("integer", "5.5"),
        ("integer", 1.5),
        ("integer", True),
        ("float", "one and a half"),
        ("float", True),
        ("boolean", "maybe"),
        ("boolean", 2),
        ("array", {"a": 1}),
    ],
)
def test_type_mismatch_is_422_and_writes_nothing(tenant: TenantInfo, kind: str, value: Any) -> None:
    api = client(tenant)
    pid = make_profile(api, "types@example.com")["id"]
    before = tenant.row_counts()
    body = fails(api.post(f"/custom-fields/profile/{pid}", json=field("ns", "h", kind, value)), 422)
    assert list(body["errors"]) == ["value"]
    fails(api.post("/tenants/custom-fields", json=field("ns", "h", kind, value)), 422)
    assert tenant.row_counts() == before


@pytest.mark.parametrize(
    ("kind", "sent", "stored"),
    [
        ("string", 5, "5"),
        ("integer", "5", 5),
        ("integer", 5.0, 5),
        ("float", "1.5", 1.5),
        ("boolean", "true", True),
        ("boolean", "0", False),
        ("boolean", 1, True),
    ],
)
def test_a_value_sent_in_a_neighbouring_form_is_read_as_its_type(
    tenant: TenantInfo, kind: str, sent: Any, stored: Any
) -> None:
    """What a GET answered as text (a setting's ``"0.01"``), or a number for text, has one reading."""
    api = client(tenant)
    created = ok(api.post("/tenants/custom-fields", json=field("forms", f"h-{kind}-{sent}", kind, sent)), 201)["data"]
    assert (created["type"], created["value"]) == (kind, stored)
    assert type(created["value"]) is type(stored)


def test_type_mismatch_on_update_keeps_the_field(tenant: TenantInfo) -> None:
    api = client(tenant)
    ok(api.post("/tenants/custom-fields", json=field("ns", "n", "integer", 1)), 201)
    before = tenant.row_counts()
    fails(api.put("/tenants/custom-fields/ns:n", json={"value": "two"}), 422)
    assert tenant.row_counts() == before
    got = ok(api.get("/tenants/custom-fields/ns:n"))["data"]
    assert (got["value"], got["version"]) == (1, 1)
    assert ok(api.get("/tenants/custom-fields/ns:n/versions"))["data"] == []


def test_every_type_accepts_its_values_and_null(tenant: TenantInfo) -> None:
    api = client(tenant)
    samples = {"string": "x", "integer": 3, "float": 2, "boolean": False, "json": {"a": [1]}, "array": ["a"]}
    for kind, value in samples.items():
        made = ok(api.post("/tenants/custom-fields", json=field("t", kind, kind, value)), 201)["data"]
        assert made["value"] == value
        made = ok(api.post("/tenants/custom-fields", json=field("null", kind, kind, None)), 201)["data"]
        assert made["value"] is None
    fails(api.post("/tenants/custom-fields", json=field("t", "bad", "date", "2020-01-01")), 422)
    fails(api.post("/tenants/custom-fields", json=field("bad:ns", "h", "string", "x")), 422)


def test_duplicate_is_422(tenant: TenantInfo) -> None:
    api = client(tenant)
    pid = make_profile(api, "dup@example.com")["id"]
    ok(api.post(f"/custom-fields/profile/{pid}", json=field("ns", "h", "string", "one")), 201)
    before = tenant.row_counts()
    body = fails(api.post(f"/custom-fields/profile/{pid}", json=field("ns", "h", "string", "two")), 422)
    assert body["errors"] == {"handle": ["The custom field ns:h already exists."]}
    assert tenant.row_counts() == before
    assert [f["value"] for f in ok(api.get(f"/custom-fields/profile/{pid}"))["data"]] == ["one"]
    # The same name on another owner is a different field.
    ok(api.post("/tenants/custom-fields", json=field("ns", "h", "string", "tenant")), 201)
    fails(api.post("/tenants/custom-fields", json=field("ns", "h", "string", "again")), 422)


@pytest.mark.parametrize("model", ["share", "credit", "product_list", "banana"])
def test_unknown_model_is_404(tenant: TenantInfo, model: str) -> None:
    api = client(tenant)
    for response in (
        api.get(f"/custom-fields/{model}/1"),
        api.post(f"/custom-fields/{model}/1", json=field("ns", "h", "string", "x")),
        api.delete(f"/custom-fields/{model}/1/ns:h"),
    ):
        assert response.status_code == 404
        assert response.json() == {"message": f"Unknown model type {model}.", "errors": {}}


def test_foreign_or_missing_profile_is_404(tenant: TenantInfo, other_tenant: TenantInfo) -> None:
    api = client(tenant)
    foreign = make_profile(client(other_tenant), "foreign@example.com")["id"]
    ok(client(other_tenant).post(f"/custom-fields/profile/{foreign}", json=field("ns", "h", "string", "x")), 201)
    before = tenant.row_counts()
    fails(api.get(f"/custom-fields/profile/{foreign}"), 404)
    fails(api.post(f"/custom-fields/profile/{foreign}", json=field("ns", "h2", "string", "x")), 404)
    fails(api.delete(f"/custom-fields/profile/{foreign}/ns:h"), 404)
    batch = {"custom_fields": [{"namespace": "ns", "handle": "h"}]}
    fails(api.request("DELETE", f"/custom-fields/profile/{foreign}/batchJsonDelete", json=batch), 404)
    fails(api.get("/custom-fields/profile/00000000-0000-4000-8000-000000000000"), 404)
    fails(api.get("/custom-fields/profile/not-a-uuid"), 404)
    assert tenant.row_counts() == before
    # The foreign field survived.
    assert len(ok(client(other_tenant).get(f"/custom-fields/profile/{foreign}"))["data"]) == 1

    deleted = make_profile(api, "deleted@example.com")["id"]
    ok(api.delete(f"/profiles/{deleted}"), 204)
    fails(api.get(f"/custom-fields/profile/{deleted}"), 404)


def test_scopes(tenant: TenantInfo) -> None:
    api = client(tenant)
    pid = make_profile(api, "scopes@example.com")["id"]
    profiles_only = client(tenant, tenant.mint("read-profiles"))
    reader = client(tenant, tenant.mint("read-custom-fields"))
    before = tenant.row_counts()
    for response in (
        profiles_only.get("/tenants/custom-fields"),
        profiles_only.post("/tenants/custom-fields", json=field("ns", "h", "string", "x")),
        profiles_only.get(f"/custom-fields/profile/{pid}"),
        profiles_only.get("/custom-fields/search"),
        profiles_only.post("/tenants/custom-event", json={"event": "survey"}),
    ):
        fails(response, 403)
    assert ok(reader.get("/tenants/custom-fields"))["data"] == []
    fails(reader.post("/tenants/custom-fields", json=field("ns", "h", "string", "x")), 403)
    fails(reader.post(f"/custom-fields/profile/{pid}", json=field("ns", "h", "string", "x")), 403)
    assert tenant.row_counts() == before

    ok(api.post("/tenants/custom-fields", json=field("ns", "h", "string", "x")), 201)
    fails(reader.put("/tenants/custom-fields/ns:h", json={"value": "y"}), 403)
    fails(reader.delete("/tenants/custom-fields/ns:h"), 403)
    fails(client(tenant, tenant.mint("update-custom-fields")).delete("/tenants/custom-fields/ns:h"), 403)
    writer = client(tenant, tenant.mint("update-custom-fields"))
    assert ok(writer.put("/tenants/custom-fields/ns:h", json={"value": "y"}))["data"]["value"] == "y"
    assert client(tenant, tenant.mint("delete-custom-fields")).delete("/tenants/custom-fields/ns:h").status_code == 204


# --- custom events -------------------------------------------------------------------------------


def test_custom_event(tenant: TenantInfo) -> None:
    api = client(tenant, tenant.mint("create-custom-events"))
    context = {"profile_id": "abc", "score": 9, "answers": ["yes"]}
    response = api.post("/tenants/custom-event", json={"event": "survey.completed", "context": context})
    assert response.status_code == 200, response.text
    assert response.json() == {"data": context}
    assert api.post("/tenants/custom-event", json={"event": "custom.ping"}).json() == {"data": None}
    recorded = [(kind, payload) for kind, payload in events(tenant) if kind.startswith("custom.")]
    assert recorded == [
        ("custom.survey.completed", {"event": "custom.survey.completed", "context": context}),
        ("custom.ping", {"event": "custom.ping", "context": None}),
    ]

    before = tenant.row_counts()
    for bad in ("has space", "semi;colon", "", "x" * 101, "y" * 94):
        body = fails(api.post("/tenants/custom-event", json={"event": bad}), 422)
        assert "event" in body["errors"]
    fails(api.post("/tenants/custom-event", json={"context": {}}), 422)
    fails(api.post("/tenants/custom-event", json={"event": "ok", "context": "text"}), 422)
    assert tenant.row_counts() == before
    assert ok(api.post("/tenants/custom-event", json={"event": "z" * 93}))["data"] is None


def test_nul_bytes_anywhere_are_refused_up_front(tenant: TenantInfo) -> None:
    api = client(tenant)
    before = tenant.row_counts()
    fails(api.post("/tenants/custom-fields", json=field("ns", "nul", "string", "a\x00b")), 422)
    assert tenant.row_counts() == before
    for path in ("/custom-fields/tenant/%00", "/custom-fields/profile/%00", "/tenants/custom-fields/ns%00:h"):
        fails(api.get(path), 400)
    fails(api.get("/custom-fields/search", params={"filter[value]": "a\x00b"}), 400)
