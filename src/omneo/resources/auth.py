from __future__ import annotations

from typing import Any

from .._resource import ID, Body, M, Params, Request, Resource, data_list, empty, endpoint, full
from ..types import APIToken, NewAPIToken

__all__ = ["Auth"]


class Auth(Resource[M]):
    """``client.auth``: admin API tokens."""

    @endpoint
    def create_api_token(self, body: Body) -> Request[NewAPIToken]:
        """POST /auth/api-tokens ``{name, scopes}`` → ``{accessToken, token}`` (plaintext shown once)."""
        return full("POST", "/auth/api-tokens", NewAPIToken, body=body)

    @endpoint
    def get_api_tokens(self, params: Params | None = None) -> Request[list[APIToken]]:
        """GET /auth/access-tokens → the tokens (an array, as the hosted API answers; ``type``
        filters)."""
        return data_list("GET", "/auth/access-tokens", APIToken, params=params)

    @endpoint
    def delete_api_token(self, id: ID) -> Request[None]:
        """DELETE /auth/api-tokens/{id} (revoke)."""
        return empty("DELETE", f"/auth/api-tokens/{id}")

    @endpoint
    def verify_token(self) -> Request[dict[str, Any]]:
        """GET /auth/verify → the whole body (``status`` 200 when the token is good; a bad one
        raises ``AuthenticationError``)."""
        return full("GET", "/auth/verify", dict[str, Any])
