"""A thin raw-HTTP helper for wire-contract tests (the SDK has its own end-to-end tests)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import TenantInfo


class Api:
    def __init__(self, tenant: TenantInfo, token: str | None = None) -> None:
        self.http = httpx.Client(
            base_url=tenant.server.api_url,
            headers={"Authorization": f"Bearer {token or tenant.token}"},
            timeout=30,
        )

    def __getattr__(self, verb: str) -> Any:
        return getattr(self.http, verb)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()["data"] if response.content else None

    def fails(self, status: int, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.http.request(method, path, **kwargs)
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
        body: dict[str, Any] = response.json()
        if status == 401:  # exactly what the hosted API answers (the SDK compares the whole body)
            assert body == {"message": "Unauthenticated."}, body
            return body
        assert isinstance(body.get("message"), str) and body["message"]
        assert isinstance(body.get("errors"), dict)
        return body
