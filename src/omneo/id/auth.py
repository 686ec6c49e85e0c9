"""``id.auth``: minting ID tokens (with the admin token) and reading them locally."""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import TYPE_CHECKING, Any

from .._resource import ID, M, Request, Resource, endpoint
from ..errors import OmneoError
from ..types._base import OmneoModel

if TYPE_CHECKING:
    from .._client import BaseClient
    from ._client import IDState

__all__ = ["IDAuth", "IDToken"]


class IDToken(OmneoModel):
    """``{token, exp}``: a signed ID token and its expiry in unix seconds."""

    token: str
    exp: int | None = None


def _claims(token: str) -> dict[str, Any]:
    """The JWT payload, base64url-decoded without checking the signature (that is the server's job)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT: expected three dot-separated segments")
    segment = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(segment))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not a JWT: the payload is not base64url JSON") from exc
    if not isinstance(claims, dict):
        raise ValueError("not a JWT: the payload is not an object")
    return claims


class IDAuth(Resource[M]):
    """``id.auth``: ``request_auth_token`` (needs ``omneo_api_token``), ``is_token_expired``,
    ``get_profile_id``."""

    def __init__(self, client: BaseClient[M, Any], state: IDState[M]) -> None:
        super().__init__(client)
        self._state = state

    @endpoint
    def request_auth_token(self, id: ID | None = None, id_handle: str | None = None) -> Request[IDToken]:
        """POST /auth/token with the **admin** token: ``{id}`` (a profile id), ``{id, id_handle}`` (an
        identity identifier and its handle), or no id for an anonymous token. Stores the token and its
        expiry on the client, and returns ``{token, exp}``."""
        admin = self._state.omneo_api_token
        if not admin:
            raise OmneoError("request_auth_token needs omneo_api_token= (an admin token with create-id-tokens)")
        body: dict[str, Any] = {"id": str(id) if id else ""}
        if id and id_handle:
            body["id_handle"] = id_handle

        def parse(answer: Any) -> IDToken:
            data = answer["data"] if isinstance(answer, dict) and "data" in answer else answer
            token = IDToken.model_validate(data)
            self._state.id_token = token.token
            self._state.id_token_expiry = token.exp
            return token

        return Request("POST", "/auth/token", parse, body=body, headers={"Authorization": f"Bearer {admin}"})

    def is_token_expired(self) -> bool:
        """True when no expiry is known, or it has passed (whole seconds). No request is made."""
        expiry = self._state.id_token_expiry
        return expiry is None or expiry < int(time.time())

    def get_profile_id(self) -> str | None:
        """The ``pid`` claim of the held token (``"null"`` for an anonymous token), decoded locally.
        ``None`` when no token is held."""
        token = self._state.id_token
        if not token:
            return None
        pid = _claims(token).get("pid")
        return None if pid is None else str(pid)
