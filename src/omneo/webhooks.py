"""Verify webhook and target deliveries from Omneo (stripe-style): ``omneo.webhooks.verify``.

Every delivery is signed two ways and :func:`verify` accepts either:

* **Standard Webhooks** (https://www.standardwebhooks.com): ``webhook-id``, ``webhook-timestamp``
  (Unix seconds) and ``webhook-signature`` = space-separated ``v1,<base64 HMAC-SHA256>`` of
  ``"{id}.{timestamp}.{body}"``, keyed with the base64-decoded part of the ``whsec_…`` secret. The
  timestamp must be within ``tolerance`` seconds of now (replay protection).
* **The hosted scheme**: ``X-Omneo-Hmac-SHA256`` = hex ``HMAC-SHA256(body)`` keyed with the secret
  string itself (no timestamp, so no replay protection).

When the Standard Webhooks headers are present they are the ones checked. Comparisons are constant
time. Use the raw request body, exactly as received: parsing and re-serialising changes the bytes.

    from omneo import webhooks

    event = webhooks.verify(request.body, request.headers, secret)  # or client.webhooks.verify(...)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .errors import OmneoError

__all__ = ["WebhookVerificationError", "sign", "verify"]

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE = 300


class WebhookVerificationError(OmneoError):
    """The payload's signature is missing, malformed, wrong, or too old (or too far in the future)."""


def _key(secret: str) -> bytes:
    """The Standard Webhooks key: the base64 part of ``whsec_…``."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError("The secret is not a whsec_ base64 secret.") from None
    if not key:
        raise WebhookVerificationError("The secret is empty.")
    return key


def _bytes(payload: bytes | str) -> bytes:
    return payload.encode() if isinstance(payload, str) else bytes(payload)


def sign(payload: bytes | str, secret: str, *, msg_id: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Omneo would send with ``payload`` (for tests of your receiver)."""
    body = _bytes(payload)
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(_key(secret), f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
        "X-Omneo-Hmac-SHA256": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
    }


def _verify_standard(body: bytes, headers: Mapping[str, str], secret: str, tolerance: int) -> None:
    msg_id = headers.get("webhook-id")
    stamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (msg_id and stamp and signatures):
        raise WebhookVerificationError("Missing webhook-id, webhook-timestamp or webhook-signature header.")
    try:
        ts = int(stamp)
    except ValueError:
        raise WebhookVerificationError("The webhook-timestamp header is not a Unix timestamp.") from None
    now = int(time.time())
    if ts < now - tolerance:
        raise WebhookVerificationError("The message timestamp is too old.")
    if ts > now + tolerance:
        raise WebhookVerificationError("The message timestamp is too far in the future.")
    expected = hmac.new(_key(secret), f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(expected, given):
            return
    raise WebhookVerificationError("No matching webhook-signature.")


def _verify_hosted(body: bytes, signature: str, secret: str) -> None:
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise WebhookVerificationError("The X-Omneo-Hmac-SHA256 signature does not match.")


def verify(payload: bytes | str, headers: Mapping[str, str], secret: str, *, tolerance: int = DEFAULT_TOLERANCE) -> Any:
    """Check the delivery's signature and return its parsed JSON body (numbers with a fraction as
    ``Decimal``, as everywhere in the SDK: money stays exact); raise
    :class:`WebhookVerificationError` otherwise. ``headers`` may be any mapping (names are matched
    case-insensitively); ``tolerance`` is how many seconds the Standard Webhooks timestamp may be
    away from now."""
    if not secret:
        raise WebhookVerificationError("No secret given.")
    body = _bytes(payload)
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    if "webhook-signature" in lowered or "webhook-id" in lowered or "webhook-timestamp" in lowered:
        _verify_standard(body, lowered, secret, tolerance)
    elif "x-omneo-hmac-sha256" in lowered:
        _verify_hosted(body, lowered["x-omneo-hmac-sha256"], secret)
    else:
        raise WebhookVerificationError("No signature headers (webhook-signature or X-Omneo-Hmac-SHA256).")
    try:
        return json.loads(body, parse_float=Decimal)
    except ValueError:
        raise WebhookVerificationError("The payload is not JSON.") from None
