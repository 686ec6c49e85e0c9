"""The catalogue over HTTP: locations (and their custom fields), products and variants, custom
products, ratings, interactions and ``/profiles/{id}/interactions``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import TenantInfo
from tests.server.api import Api
from tests.server.test_custom_fields import events


@pytest.fixture
def api(tenant: TenantInfo) -> Api:
    return Api(tenant)


def variant(sku: str, price: Any = 10, **extra: Any) -> dict[str, Any]:
    return {"sku": sku, "price": price, "title": f"Variant {sku}", **extra}


def product(handle: str, *variants: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"title": f"Product {handle}", "handle": handle, "brand": "Acme", "variants": list(variants), **extra}


def location(**extra: Any) -> dict[str, Any]:
    return {"name": "Flagship", "phone": "+61390000000", **extra}


def profile(api: Api, email: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = api.ok("POST", "/profiles", json={"email": email, **extra})
    return data


def interaction(**extra: Any) -> dict[str, Any]:
    return {"action": "visit", "channel": "location", "signal": "1", "namespace": "store", "name": "Walk-in", **extra}


# --- products ------------------------------------------------------------------------------------


def test_product_with_variants_round_trip(api: Api, tenant: TenantInfo) -> None:
    body = product(
        "linen-shirt",
        variant("LS-S", "149.95", barcode="930001", external_id="v-s", price_cost=60.5),
        variant("LS-M", 149.955, position=1),
        type="simple",
        status="ranged",
        tags=["summer"],
        options={"size": ["S", "M"]},
    )
    created = api.ok("POST", "/products", json=body)
    assert (created["handle"], created["type"], created["status"], created["tags"]) == (
        "linen-shirt", "simple", "ranged", ["summer"],
    )  # fmt: skip
    assert [(v["sku"], v["product_id"]) for v in created["variants"]] == [
        ("LS-S", created["id"]),
        ("LS-M", created["id"]),
    ]
    raw = api.get(f"/products/{created['id']}").text
    assert '"price":149.95,' in raw and '"price":149.96,' in raw and '"price_cost":60.50,' in raw  # cents, half up
    assert api.ok("GET", f"/products/{created['id']}") == created
    listed = api.get("/products", params={"filter[handle]": "linen-shirt"}).json()
    assert listed["meta"]["total"] == 1 and listed["data"][0]["variants"] == created["variants"]

    vid = created["variants"][0]["id"]
    base = f"/products/{created['id']}/variants"
    assert [v["sku"] for v in api.get(base).json()["data"]] == ["LS-S", "LS-M"]
    added = api.ok("POST", base, json=variant("LS-L", 150))
    assert api.ok("PUT", f"{base}/{vid}", json={"price": 99})["price"] == 99
    assert api.ok("GET", f"{base}/{vid}")["sku"] == "LS-S"
    other = api.ok("POST", "/products", json=product("other"))
    api.fails(404, "GET", f"/products/{other['id']}/variants/{vid}")  # a variant lives under its own product
    api.fails(404, "DELETE", f"/products/{other['id']}/variants/{vid}")
    api.ok("DELETE", f"{base}/{added['id']}")
    api.fails(404, "GET", f"{base}/{added['id']}")
    every = api.get("/products/variants", params={"filter[product_id]": created["id"], "sort": "sku"}).json()
    assert [v["sku"] for v in every["data"]] == ["LS-M", "LS-S"] and every["meta"]["total"] == 2

    assert api.ok("PUT", f"/products/{created['id']}", json={"title": "Linen"})["variants"][0]["price"] == 99
    for blank in ("title", "tags", "status"):  # an update may not blank what cannot be null
        assert blank in api.fails(422, "PUT", f"/products/{created['id']}", json={blank: None})["errors"]
    assert "price" in api.fails(422, "PUT", f"{base}/{vid}", json={"price": None})["errors"]
    api.fails(422, "POST", "/products", json=product("other", status="sold-out"))
    api.ok("DELETE", f"/products/{created['id']}")
    api.fails(404, "GET", f"/products/{created['id']}")
    assert api.get("/products/variants").json()["meta"]["total"] == 1  # the other product's
    kinds = [kind for kind, _ in events(tenant)]
    assert kinds[:2] == ["product.created", "product_variant.created"] and kinds[-1] == "product.deleted"
    assert {"product_variant.updated", "product_variant.deleted", "product.updated"} <= set(kinds)


def test_a_product_without_variants_gets_a_default_one(api: Api) -> None:
    created = api.ok("POST", "/products", json=product("tote"))
    assert [(v["sku"], v["title"], v["price"]) for v in created["variants"]] == [("tote", "Product tote", 0)]
    assert '"price":0.00' in api.get(f"/products/{created['id']}").text
    upserted = api.ok("POST", "/products/create-update", json=product("cap", external_id="P-CAP"))
    assert [v["sku"] for v in upserted["variants"]] == ["cap"]


def test_upsert_by_external_id_is_idempotent(api: Api, tenant: TenantInfo) -> None:
    body = product("boot", variant("B-1", 200, external_id="EV-1"), variant("B-2", 210), external_id="P-BOOT")
    first = api.ok("POST", "/products/create-update", json=body)
    second = api.ok("POST", "/products/create-update", json=body)
    assert second["id"] == first["id"]
    assert [v["id"] for v in second["variants"]] == [v["id"] for v in first["variants"]]
    assert api.get("/products").json()["meta"]["total"] == 1

    # Variants match on external_id (the sku may change), else on sku; new ones are added.
    changed = product("boot", variant("B-1X", 201, external_id="EV-1"), variant("B-3", 5), external_id="P-BOOT")
    third = api.ok("POST", "/products/update-create", json={**changed, "title": "Boot"})
    assert third["id"] == first["id"] and third["title"] == "Boot"
    by_sku = {v["sku"]: v["id"] for v in third["variants"]}
    assert by_sku["B-1X"] == first["variants"][0]["id"] and by_sku["B-2"] == first["variants"][1]["id"]
    assert set(by_sku) == {"B-1X", "B-2", "B-3"}

    queued = api.post(
        "/products/queue",
        json={
            "external_id": "P-BOOT",
            "status": "rundown",
            "variants": [variant("B-3", 6)],
            "archive_existing_variants": True,
        },
    )
    assert queued.status_code == 202 and uuid.UUID(queued.json()["data"])
    tenant.work()  # queued: the worker applies it
    after = api.ok("GET", f"/products/{first['id']}")
    assert after["status"] == "rundown" and after["title"] == "Boot"
    assert [(v["sku"], v["price"]) for v in after["variants"]] == [("B-3", 6)]
    # A new product still needs brand, handle and title: the queued job is refused when it runs.
    refused = api.post("/products/queue", json={"external_id": "P-NEW", "title": "No handle or brand"})
    tenant.work()
    job = api.ok("GET", f"/queue/{refused.json()['data']}")
    assert job["status"] == "failed" and job["error"]["status"] == 422
    api.fails(422, "POST", "/products/create-update", json={k: v for k, v in body.items() if k != "variants"})
    assert api.get("/products").json()["meta"]["total"] == 1
    kinds = [kind for kind, _ in events(tenant)]
    assert kinds.count("product.created") == 1 and kinds.count("product.updated") == 3


def test_duplicates_are_422_naming_the_field_and_write_nothing(api: Api, tenant: TenantInfo) -> None:
    first = api.ok("POST", "/products", json=product("a", variant("SKU-1", barcode="111", external_id="EV")))
    before = tenant.row_counts()
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("/products", product("b", variant("SKU-2"), variant("SKU-1")), "variants.1.sku"),
        ("/products", product("b", variant("SKU-2", barcode="111")), "variants.0.barcode"),
        ("/products", product("b", variant("SKU-2", external_id="EV")), "variants.0.external_id"),
        ("/products", product("b", variant("SKU-2"), variant("SKU-2")), "variants.1.sku"),
        ("/products", product("a", variant("SKU-9")), "handle"),
        ("/products", product("SKU-1"), "variants.0.sku"),  # the default variant's sku is the handle
        ("/products/create-update", product("b", variant("SKU-1"), external_id="P-B"), "variants.0.sku"),
        (f"/products/{first['id']}/variants", variant("SKU-1"), "sku"),
    ]
    for path, body, field in cases:
        assert field in api.fails(422, "POST", path, json=body)["errors"], (path, body)
    assert tenant.row_counts() == before
    second = api.ok("POST", "/products", json=product("b", variant("SKU-2"), external_id="P-B"))
    before = tenant.row_counts()
    api.fails(422, "PUT", f"/products/{second['id']}", json={"external_id": None, "handle": "a"})
    assert "external_id" in api.fails(422, "PUT", f"/products/{first['id']}", json={"external_id": "P-B"})["errors"]
    vid = second["variants"][0]["id"]
    assert "sku" in api.fails(422, "PUT", f"/products/{second['id']}/variants/{vid}", json={"sku": "SKU-1"})["errors"]
    assert tenant.row_counts() == before


# --- locations -----------------------------------------------------------------------------------


def test_location_lookup_by_type_and_uniqueness(api: Api, tenant: TenantInfo) -> None:
    made = api.ok(
        "POST",
        "/locations",
        json=location(external_id="EXT-1", external_code="C-1", handle="cbd", timezone="Australia/Melbourne"),
    )
    api.ok("POST", "/locations", json=location(name="No keys"))
    api.ok("POST", "/locations", json=location(name="No keys either"))  # absent keys never clash
    for id_type, key in (("external_id", "EXT-1"), ("external_code", "C-1"), ("handle", "cbd")):
        assert api.ok("GET", f"/locations/{id_type}/{key}")["id"] == made["id"]
    api.fails(404, "GET", "/locations/external_id/EXT-2")
    api.fails(404, "GET", "/locations/name/Flagship")
    assert api.ok("GET", f"/locations/{made['id']}")["is_published"] is True
    # The spec lists phone as required; a store without a number is still a store (docs/decisions.md).
    assert api.ok("POST", "/locations", json={"name": "No phone"})["phone"] is None
    before = tenant.row_counts()
    assert "external_id" in api.fails(422, "POST", "/locations", json=location(external_id="EXT-1"))["errors"]
    assert "handle" in api.fails(422, "POST", "/locations", json=location(handle="cbd"))["errors"]
    assert tenant.row_counts() == before
    assert api.ok("PUT", f"/locations/{made['id']}", json={"name": "CBD"})["name"] == "CBD"
    assert "is_published" in api.fails(422, "PUT", f"/locations/{made['id']}", json={"is_published": None})["errors"]
    assert [x["name"] for x in api.get("/locations", params={"filter[search]": "cbd"}).json()["data"]] == ["CBD"]
    assert ("location.updated", made["id"]) in [(k, p["id"]) for k, p in events(tenant)]


def test_location_custom_fields(api: Api, tenant: TenantInfo) -> None:
    made = api.ok("POST", "/locations", json=location())
    base = f"/locations/{made['id']}/custom-fields"
    field = api.ok("POST", base, json={"namespace": "ops", "handle": "bays", "type": "integer", "value": 4})
    assert (field["custom_fieldable_type"], field["custom_fieldable_id"]) == ("location", made["id"])
    assert api.ok("PUT", f"{base}/ops:bays", json={"value": 6})["version"] == 2
    assert api.ok("GET", f"{base}/ops:bays")["value"] == 6
    assert [f["value"] for f in api.ok("GET", f"/custom-fields/location/{made['id']}")] == [6]
    assert api.get(base).json()["meta"]["total"] == 1
    api.fails(422, "POST", base, json={"namespace": "ops", "handle": "bays", "type": "integer", "value": 1})
    api.ok("DELETE", f"{base}/ops:bays")
    api.fails(404, "GET", f"{base}/ops:bays")
    api.ok("POST", base, json={"namespace": "ops", "handle": "bays", "type": "integer", "value": 4})
    api.ok("DELETE", f"/locations/{made['id']}")
    api.fails(404, "GET", base)
    assert tenant.row_counts()["custom_fields"] == 0  # the location's fields went with it


# --- interactions --------------------------------------------------------------------------------


def test_interaction_by_identifier_or_profile_id(api: Api, tenant: TenantInfo) -> None:
    jane = profile(api, "jane@example.com", identities=[{"handle": "shopify", "identifier": "S-1"}])
    store = api.ok("POST", "/locations", json=location())
    by_identity = api.ok(
        "POST",
        "/interactions",
        json=interaction(identifier={"id": "S-1", "handle": "shopify"}, location_id=store["id"]),
    )
    assert by_identity["profile_id"] == jane["id"] and by_identity["identity_id"] == jane["identities"][0]["id"]
    stamped = datetime.strptime(by_identity["interacted_at"], "%Y-%m-%d %H:%M:%S")
    assert abs(stamped - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=1)
    by_id = api.ok(
        "POST",
        "/interactions",
        json=interaction(profile_id=jane["id"], signal=-1, interacted_at="2025-01-02T03:04:05+10:00"),
    )
    assert (by_id["signal"], by_id["interacted_at"], by_id["identity_id"]) == ("-1", "2025-01-01 17:04:05", None)
    before = tenant.row_counts()
    assert (
        "identifier"
        in api.fails(422, "POST", "/interactions", json=interaction(identifier={"id": "S-2", "handle": "shopify"}))[
            "errors"
        ]
    )
    assert (
        "profile_id"
        in api.fails(422, "POST", "/interactions", json=interaction(profile_id=str(uuid.uuid4())))["errors"]
    )
    assert "profile_id" in api.fails(422, "POST", "/interactions", json=interaction())["errors"]
    assert (
        "location_id"
        in api.fails(
            422, "POST", "/interactions", json=interaction(profile_id=jane["id"], location_id=store["id"] + 1000)
        )["errors"]
    )
    for bad in ({"action": "shout"}, {"channel": "fax"}, {"signal": "2"}, {"latitude": 91}):
        assert set(bad) <= set(
            api.fails(422, "POST", "/interactions", json=interaction(profile_id=jane["id"], **bad))["errors"]
        )
    assert "profile_id" in api.fails(422, "PUT", f"/interactions/{by_id['id']}", json={"profile_id": None})["errors"]
    assert tenant.row_counts() == before
    assert api.ok("PUT", f"/interactions/{by_id['id']}", json={"name": "Renamed"})["name"] == "Renamed"
    assert api.get("/interactions", params={"filter[signal]": "-1"}).json()["meta"]["total"] == 1
    assert "interaction.updated" in [kind for kind, _ in events(tenant)]


def test_profile_interactions_see_only_that_profile(api: Api) -> None:
    jane, john = profile(api, "jane@example.com"), profile(api, "john@example.com")
    hers = api.ok("POST", "/interactions", json=interaction(profile_id=jane["id"]))
    his = api.ok("POST", "/interactions", json=interaction(profile_id=john["id"], action="view"))
    listed = api.get(f"/profiles/{jane['id']}/interactions").json()
    assert [i["id"] for i in listed["data"]] == [hers["id"]] and listed["meta"]["total"] == 1
    assert (
        api.get(f"/profiles/{jane['id']}/interactions", params={"filter[profile_id]": john["id"]}).json()["data"] == []
    )
    assert api.ok("GET", f"/profiles/{jane['id']}/interactions/{hers['id']}") == hers
    api.fails(404, "GET", f"/profiles/{jane['id']}/interactions/{his['id']}")
    api.fails(404, "DELETE", f"/profiles/{jane['id']}/interactions/{his['id']}")
    api.fails(404, "GET", f"/profiles/{uuid.uuid4()}/interactions")
    assert api.ok("GET", f"/interactions/{his['id']}")["profile_id"] == john["id"]
    api.ok("DELETE", f"/profiles/{john['id']}/interactions/{his['id']}")
    api.fails(404, "GET", f"/interactions/{his['id']}")


# --- ratings, custom products --------------------------------------------------------------------


def test_ratings_are_one_to_five_and_name_a_known_profile(api: Api, tenant: TenantInfo) -> None:
    jane = profile(api, "jane@example.com")
    rating = {"rateable_type": "product", "rateable_id": 12, "rating": 5, "profile_id": jane["id"]}
    made = api.ok("POST", "/ratings", json=rating)
    assert (made["rateable_id"], made["rating"], made["profile_id"]) == ("12", 5, jane["id"])
    gone = profile(api, "gone@example.com")
    api.ok("DELETE", f"/profiles/{gone['id']}")
    before = tenant.row_counts()
    assert "profile_id" in api.fails(422, "POST", "/ratings", json={**rating, "profile_id": gone["id"]})["errors"]
    for value in (0, 6):
        assert "rating" in api.fails(422, "POST", "/ratings", json={**rating, "rating": value})["errors"]
    assert "rating" in api.fails(422, "PUT", f"/ratings/{made['id']}", json={"rating": 9})["errors"]
    assert "profile_id" in api.fails(422, "POST", "/ratings", json={**rating, "profile_id": "nobody"})["errors"]
    assert tenant.row_counts() == before
    assert api.ok("POST", "/ratings", json={**rating, "profile_id": None, "rating": 1})["profile_id"] is None
    assert api.get("/ratings", params={"filter[rating][gte]": 2}).json()["meta"]["total"] == 1


def test_custom_products(api: Api) -> None:
    made = api.ok("POST", "/customProducts", json={"title": "Tailored suit", "price": 1200.5, "sku": "CUSTOM-1"})
    assert '"price":1200.50' in api.get(f"/customProducts/{made['id']}").text
    assert api.ok("PUT", f"/customProducts/{made['id']}", json={"category": "Suits"})["title"] == "Tailored suit"
    api.fails(422, "POST", "/customProducts", json={"price": 3})
    api.ok("DELETE", f"/customProducts/{made['id']}")
    api.fails(404, "GET", f"/customProducts/{made['id']}")


# --- tenancy and scopes --------------------------------------------------------------------------


def test_another_tenants_catalogue_is_not_found(api: Api, other_tenant: TenantInfo) -> None:
    jane = profile(api, "jane@example.com")
    made = api.ok("POST", "/products", json=product("shirt"))
    store = api.ok("POST", "/locations", json=location(handle="cbd"))
    api.ok(
        "POST",
        f"/locations/{store['id']}/custom-fields",
        json={"namespace": "n", "handle": "h", "type": "string", "value": "v"},
    )
    seen = api.ok("POST", "/interactions", json=interaction(profile_id=jane["id"]))
    rated = api.ok("POST", "/ratings", json={"rateable_type": "product", "rateable_id": "1", "rating": 3})
    custom = api.ok("POST", "/customProducts", json={"title": "Suit"})
    vid = made["variants"][0]["id"]
    foreign = Api(other_tenant)
    for path in (
        f"/products/{made['id']}", f"/products/{made['id']}/variants", f"/products/{made['id']}/variants/{vid}",
        f"/locations/{store['id']}", "/locations/handle/cbd", f"/locations/{store['id']}/custom-fields",
        f"/locations/{store['id']}/custom-fields/n:h", f"/interactions/{seen['id']}", f"/ratings/{rated['id']}",
        f"/customProducts/{custom['id']}", f"/profiles/{jane['id']}/interactions",
    ):  # fmt: skip
        foreign.fails(404, "GET", path)
    foreign.fails(404, "PUT", f"/products/{made['id']}", json={"title": "Mine"})
    foreign.fails(404, "DELETE", f"/locations/{store['id']}")
    assert (
        "profile_id" in foreign.fails(422, "POST", "/interactions", json=interaction(profile_id=jane["id"]))["errors"]
    )
    assert (
        "profile_id"
        in foreign.fails(
            422,
            "POST",
            "/ratings",
            json={"rateable_type": "x", "rateable_id": "1", "rating": 1, "profile_id": jane["id"]},
        )["errors"]
    )
    assert foreign.get("/products/variants").json()["data"] == []
    assert api.ok("GET", f"/products/{made['id']}")["title"] == "Product shirt"


def test_catalogue_scopes(tenant: TenantInfo) -> None:
    reader = Api(tenant, tenant.mint("read-products", "read-locations"))
    assert reader.get("/products").status_code == 200 and reader.get("/locations").status_code == 200
    reader.fails(403, "POST", "/products", json=product("x"))
    reader.fails(403, "POST", "/products/queue", json={"external_id": "x"})
    reader.fails(403, "GET", "/interactions")
    reader.fails(403, "GET", "/customProducts")
    writer = Api(tenant, tenant.mint("create-products"))
    writer.ok("POST", "/products", json=product("x"))
    writer.fails(403, "POST", "/products/create-update", json=product("y", external_id="Y"))
