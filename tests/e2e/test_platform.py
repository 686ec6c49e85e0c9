"""The SDK against the real server: configuration namespaces, auth tokens, and error classes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from omneo import (
    AsyncOmneo,
    AuthenticationError,
    MethodNotAllowedError,
    NotFoundError,
    Omneo,
    PayloadTooLargeError,
    PermissionDeniedError,
    ValidationError,
)
from tests.conftest import TenantInfo


def _sdk(tenant: TenantInfo, token: str) -> Omneo:
    return Omneo(tenant=tenant.handle, token=token, base_url=tenant.server.api_url, max_retries=0)


def test_each_error_class_for_its_status(client: Omneo, tenant: TenantInfo) -> None:
    with pytest.raises(AuthenticationError) as unauth:
        _sdk(tenant, "omn_wrong").brands.list()
    assert unauth.value.status_code == 401 and unauth.value.message == "Unauthenticated."
    with pytest.raises(PermissionDeniedError):
        _sdk(tenant, tenant.mint("read-brands")).brands.create({"handle": "x"})
    with pytest.raises(NotFoundError):
        client.brands.get(424242)
    with pytest.raises(ValidationError) as invalid:
        client.brands.create({"name": "no handle"})
    assert invalid.value.errors == {"handle": ["The handle field is required."]}
    with pytest.raises(MethodNotAllowedError):
        client.call("PATCH", "/brands")
    with pytest.raises(PayloadTooLargeError):
        client.brands.create({"handle": "big", "description": "x" * 200_000})
    assert client.health()["status"] == 200


def test_configuration_namespaces(client: Omneo) -> None:
    brand = client.brands.create({"handle": "acme", "name": "ACME", "meta": {"tier": 1}})
    assert client.brands.update(brand.id, {"name": "Acme"}).name == "Acme"
    assert [b.handle for b in client.brands.list({"filter": {"name": "Acme"}})] == ["acme"]
    client.brands.delete(brand.id)
    with pytest.raises(NotFoundError):
        client.brands.get(brand.id)

    country = client.countries.create({"name": "Australia", "iso_2": "au", "iso_3": "AUS", "iso_numeric": "036"})
    assert country.iso_2 == "AU"
    with pytest.raises(ValidationError):
        client.countries.create({"name": "Again", "iso_2": "AU", "iso_3": "AUS", "iso_numeric": "036"})

    rate = client.currencies.create({"from": "aud", "to": "usd", "rate": "0.654321"})
    assert rate.rate == Decimal("0.654321")
    assert client.currencies.update(rate.id, {"rate": 0.7}).rate == Decimal("0.7")

    region = client.regions.create({"handle": "apac", "countries": [{"iso_2": "AU"}]})
    assert client.regions.update(region.id, {"countries": [{"iso_2": "NZ"}]}).countries[0].iso_2 == "NZ"

    status = client.statuses.create({"name": "Gold", "handle": "gold", "period": 30})
    assert client.statuses.get(status.id).period == 30
    tag = client.tags.create({"handle": "Summer"})
    assert [t.handle for t in client.tags.list()] == ["Summer"]
    client.tags.delete(tag.id)
    system = client.systems.create({"handle": "pos"})
    assert [s.handle for s in client.systems.list().data] == ["pos"]
    client.systems.delete(system.id)

    client.settings.create({"handle": "points_per_dollar", "type": "integer", "value": 3})
    client.settings.create({"handle": "welcome", "type": "string", "value": "Hi"})
    with pytest.raises(ValidationError):
        client.settings.create({"handle": "broken", "type": "boolean", "value": "yes"})
    assert client.settings.get("points_per_dollar").value == "3"
    client.settings.update("points_per_dollar", {"value": 4})
    environment = {item.handle: item.value for item in client.settings.get_environment().data}
    assert environment == {"points_per_dollar": 4, "welcome": "Hi"}
    client.settings.delete("welcome")
    assert [s.handle for s in client.settings.list().data] == ["points_per_dollar"]


def test_api_tokens_through_the_sdk(client: Omneo, tenant: TenantInfo) -> None:
    created = client.auth.create_api_token({"name": "integration", "scopes": ["read-profiles"]})
    scoped = _sdk(tenant, created.access_token)
    assert scoped.profiles.list().data == []
    with pytest.raises(PermissionDeniedError):
        scoped.profiles.create({"email": "x@example.com"})
    assert created.token.id in [t.id for t in client.auth.get_api_tokens()]
    assert client.auth.verify_token()["data"]["tenant"] == tenant.handle
    client.auth.delete_api_token(created.token.id)
    with pytest.raises(AuthenticationError):
        scoped.profiles.list()


async def test_async_errors(aclient: AsyncOmneo) -> None:
    with pytest.raises(NotFoundError):
        await aclient.profiles.get("00000000-0000-4000-8000-000000000000")
    with pytest.raises(ValidationError) as exc:
        await aclient.profiles.create({"email": "nope"})
    assert "email" in exc.value.errors
