"""Helpers for Shopify storefronts that use Omneo ID.

**Customer signature.** The Omneo Shopify proxy (``POST https://api.{tenant}.getomneo.com/shopify/api/v1/
auth/token`` with ``{id: customer_id, signature}``) trusts a customer id only with its signature: the
hex HMAC-SHA256 of the Shopify customer id keyed with the plugin's shared secret (the
``omneo.id_secret`` shop metafield). Liquid computes it server-side as
``{{ customer.id | hmac_sha256: shop.metafields.omneo.id_secret }}``; ``customer_signature`` computes
the same value in Python (for a custom app backend, or to verify one). The secret never reaches the
browser.

**Token storage key.** The storefront caches the ID token it receives in the browser's
``localStorage`` under ``shapes:omneo:shapestoken:{customer_id}`` (``storage_key(customer_id)``),
one entry per logged-in Shopify customer. Read it first; request a new token when it is missing or
its expiry has passed (``ID.auth.is_token_expired``), and overwrite the entry with the new token.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["STORAGE_KEY_PREFIX", "customer_signature", "storage_key", "verify_customer_signature"]

STORAGE_KEY_PREFIX = "shapes:omneo:shapestoken:"


def customer_signature(customer_id: str | int, secret: str | bytes) -> str:
    """Hex HMAC-SHA256 of the Shopify customer id (as its decimal string) keyed with ``secret``."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, str(customer_id).encode(), hashlib.sha256).hexdigest()


def verify_customer_signature(customer_id: str | int, signature: str, secret: str | bytes) -> bool:
    """Constant-time check of a signature made by ``customer_signature`` (or by Liquid)."""
    return hmac.compare_digest(customer_signature(customer_id, secret), signature.strip().lower())


def storage_key(customer_id: str | int) -> str:
    """The ``localStorage`` key under which the storefront keeps this customer's ID token."""
    return f"{STORAGE_KEY_PREFIX}{customer_id}"
