"""CORS for the ID API: storefront JavaScript calls ``/id/api/v1`` from the browser."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx

from omneo_server.app import create_app
from tests.conftest import TenantInfo
from tests.server.api import Api
from tests.server.test_id_security import mint

SHOP = "https://shop.example.com"
PREFLIGHT = {
    "Origin": SHOP,
    "Access-Control-Request-Method": "PUT",
    "Access-Control-Request-Headers": "authorization, content-type",
}


@asynccontextmanager
async def _app_client(tenant: TenantInfo, origins: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app with these CORS origins, on the test database, in-process."""
    app = create_app(replace(tenant.server.settings, id_cors_origins=origins))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://omneo.test") as http:
            yield http
    finally:
        await app.state.db.dispose()


async def test_a_preflight_needs_no_token_and_names_the_allowed_origin(tenant: TenantInfo) -> None:
    me = Api(tenant).ok("POST", "/profiles", json={"email": "cors@example.com"})
    token = mint(tenant, id=me["id"])["token"]
    async with _app_client(tenant, f"{SHOP}, https://other.example.com") as http:
        answer = await http.options("/id/api/v1/profiles/me", headers=PREFLIGHT)
        assert answer.status_code == 200, answer.text
        assert answer.headers["access-control-allow-origin"] == SHOP
        assert "PUT" in answer.headers["access-control-allow-methods"]
        assert "authorization" in answer.headers["access-control-allow-headers"].lower()

        answer = await http.get("/id/api/v1/profiles/me", headers={"Origin": SHOP, "Authorization": f"Bearer {token}"})
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == SHOP

        # An origin not on the list gets no CORS grant, so the browser keeps the answer from it.
        evil = {**PREFLIGHT, "Origin": "https://evil.example.com"}
        answer = await http.options("/id/api/v1/profiles/me", headers=evil)
        assert answer.status_code == 400 and "access-control-allow-origin" not in answer.headers
        answer = await http.get("/id/api/v1/profiles/me", headers={**evil, "Authorization": f"Bearer {token}"})
        assert "access-control-allow-origin" not in answer.headers

        # The admin API is for servers: no CORS grant there.
        answer = await http.options("/api/v3/profiles", headers=PREFLIGHT)
        assert "access-control-allow-origin" not in answer.headers


async def test_no_origin_is_allowed_by_default(tenant: TenantInfo) -> None:
    assert tenant.server.settings.id_cors_origins == ""
    async with _app_client(tenant, "") as http:
        answer = await http.options("/id/api/v1/profiles/me", headers=PREFLIGHT)
        assert answer.status_code == 400  # refused by CORS, not a 401 for a missing token
        assert "access-control-allow-origin" not in answer.headers
