"""The Omneo ID API client (``/id/api/v1``): profile-scoped tokens for storefronts.

from omneo import ID

# server side: mint a token for a customer with the admin token
server = ID(tenant="acme", omneo_api_token="...")
token = server.auth.request_auth_token(id="1004993", id_handle="shopify")

# browser-like side: act as that customer only
with ID(tenant="acme", id_token=token.token, id_token_expiry=token.exp) as me:
    profile = me.profile.get()
    me.profile.subscribe("email")
    for tx in me.profile.transactions.list():
        ...
"""

from ._client import DEFAULT_ID_BASE_URL, ID, AsyncID
from .auth import IDAuth, IDToken
from .profile import IDProfile, MeView

__all__ = ["DEFAULT_ID_BASE_URL", "ID", "AsyncID", "IDAuth", "IDProfile", "IDToken", "MeView"]
