import httpx

from tests.conftest import TenantInfo


def test_health_and_profile_roundtrip(tenant: TenantInfo) -> None:
    base = tenant.server.api_url
    headers = {"Authorization": f"Bearer {tenant.token}"}
    assert httpx.get(f"{tenant.server.url}/api/health").status_code == 200
    created = httpx.post(f"{base}/profiles", json={"email": "a@example.com"}, headers=headers)
    assert created.status_code == 201, created.text
    pid = created.json()["data"]["id"]
    got = httpx.get(f"{base}/profiles/{pid}", headers=headers)
    assert got.json()["data"]["email"] == "a@example.com"
