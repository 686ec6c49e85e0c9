from __future__ import annotations

from typing import Any

from .._resource import ID, Body, M, PageRequest, Params, Request, Resource, empty, endpoint, full, page
from ..types import APIToken, NewAPIToken

__all__ = ["Auth"]


class Auth(Resource[M]):
    """``client.auth``: admin API tokens."""

    @endpoint
    def create_api_token(self, body: Body) -> Request[NewAPIToken]:
        """POST /auth/api-tokens ``{name, scopes}`` → ``{accessToken, token}`` (plaintext shown once)."""
        return full("POST", "/auth/api-tokens", NewAPIToken, body=body)

    @endpoint
    def get_api_tokens(self, params: Params | None = None) -> PageRequest[APIToken]:
        """GET /auth/access-tokens → a page of tokens."""
        return page("/auth/access-tokens", APIToken, params)

    @endpoint
    def delete_api_token(self, id: ID) -> Request[None]:
        """DELETE /auth/api-tokens/{id} (revoke)."""
        return empty("DELETE", f"/auth/api-tokens/{id}")

    @endpoint
    def verify_token(self) -> Request[dict[str, Any]]:
        """GET /auth/verify → the whole body."""
        return full("GET", "/auth/verify", dict[str, Any])
