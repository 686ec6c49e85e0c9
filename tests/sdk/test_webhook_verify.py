"""``omneo.webhooks.verify``: both signature schemes, good, bad and stale, checked against the
Standard Webhooks reference implementation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import standardwebhooks

from omneo import Omneo, OmneoError, webhooks
from omneo.webhooks import WebhookVerificationError

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdefghijklmn").decode()
BODY = b'{"id":"evt_1","type":"profile.created","data":{"total":12.50}}'


def reference_headers(body: bytes = BODY, msg_id: str = "evt_1", at: float | None = None) -> dict[str, str]:
    """What the reference implementation sends (the server signs with it too)."""
    moment = datetime.fromtimestamp(time.time() if at is None else at, tz=UTC)
    signature = standardwebhooks.Webhook(SECRET).sign(msg_id, moment, body.decode())
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(moment.timestamp())), "webhook-signature": signature}


def test_standard_webhooks_good_signature() -> None:
    event = webhooks.verify(BODY, reference_headers(), SECRET)
    assert event["type"] == "profile.created" and event["data"]["total"] == Decimal("12.50")
    # str payloads, any header case, and several signatures (one matching) are fine
    headers = {k.upper(): v for k, v in reference_headers().items()}
    headers["WEBHOOK-SIGNATURE"] = "v1,AAAA v2,whatever " + headers["WEBHOOK-SIGNATURE"]
    assert webhooks.verify(BODY.decode(), headers, SECRET) == event
    # what this module signs, the reference verifies
    mine = webhooks.sign(BODY, SECRET, msg_id="evt_1")
    assert standardwebhooks.Webhook(SECRET).verify(BODY, mine) == event


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda h: h.pop("webhook-signature"), "Missing"),
        (lambda h: h.update({"webhook-id": "evt_2"}), "No matching"),
        (lambda h: h.update({"webhook-signature": "v1,not-base64!"}), "No matching"),
        (lambda h: h.update({"webhook-signature": "garbage"}), "No matching"),
        (lambda h: h.update({"webhook-timestamp": "soon"}), "Unix timestamp"),
    ],
)
def test_standard_webhooks_bad_headers(mutate: object, message: str) -> None:
    headers = reference_headers()
    mutate(headers)  # type: ignore[operator]
    with pytest.raises(WebhookVerificationError, match=message):
        webhooks.verify(BODY, headers, SECRET)


def test_standard_webhooks_tampered_body_and_wrong_secret() -> None:
    with pytest.raises(WebhookVerificationError):
        webhooks.verify(BODY.replace(b"12.50", b"99.50"), reference_headers(), SECRET)
    other = "whsec_" + base64.b64encode(b"another secret key of 24").decode()
    with pytest.raises(WebhookVerificationError):
        webhooks.verify(BODY, reference_headers(), other)
    with pytest.raises(WebhookVerificationError, match="secret"):
        webhooks.verify(BODY, reference_headers(), "whsec_***")


def test_standard_webhooks_expired_and_future() -> None:
    with pytest.raises(WebhookVerificationError, match="too old"):
        webhooks.verify(BODY, reference_headers(at=time.time() - 301), SECRET)
    with pytest.raises(WebhookVerificationError, match="future"):
        webhooks.verify(BODY, reference_headers(at=time.time() + 301), SECRET)
    # a wider tolerance lets an old one through
    assert webhooks.verify(BODY, reference_headers(at=time.time() - 3600), SECRET, tolerance=7200)["id"] == "evt_1"


def test_hosted_hmac_scheme() -> None:
    signature = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert webhooks.verify(BODY, {"X-Omneo-Hmac-SHA256": signature}, SECRET)["id"] == "evt_1"
    assert webhooks.verify(BODY, {"x-omneo-hmac-sha256": signature.upper()}, SECRET)["id"] == "evt_1"
    assert webhooks.sign(BODY, SECRET, msg_id="x")["X-Omneo-Hmac-SHA256"] == signature
    with pytest.raises(WebhookVerificationError, match="does not match"):
        webhooks.verify(BODY + b"\n", {"X-Omneo-Hmac-SHA256": signature}, SECRET)
    with pytest.raises(WebhookVerificationError, match="does not match"):
        webhooks.verify(BODY, {"X-Omneo-Hmac-SHA256": signature}, SECRET + "x")
    # the hosted scheme keys with any shared secret string, not only whsec_ ones
    plain = hmac.new(b"shared", BODY, hashlib.sha256).hexdigest()
    assert webhooks.verify(BODY, {"X-Omneo-Hmac-SHA256": plain}, "shared")["id"] == "evt_1"


def test_no_signature_no_secret_not_json() -> None:
    with pytest.raises(WebhookVerificationError, match="No signature"):
        webhooks.verify(BODY, {"Content-Type": "application/json"}, SECRET)
    with pytest.raises(WebhookVerificationError, match="No secret"):
        webhooks.verify(BODY, reference_headers(), "")
    text = b"not json"
    with pytest.raises(WebhookVerificationError, match="not JSON"):
        webhooks.verify(text, reference_headers(body=text), SECRET)
    assert issubclass(WebhookVerificationError, OmneoError)


def test_the_client_namespace_verifies_without_a_request() -> None:
    client = Omneo(base_url="http://127.0.0.1:9/api/v3", token="t")  # nothing listens there
    assert client.webhooks.verify(BODY, reference_headers(), SECRET)["type"] == "profile.created"
    with pytest.raises(WebhookVerificationError):
        client.webhooks.verify(BODY, {}, SECRET)
