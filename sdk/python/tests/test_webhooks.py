"""verify_webhook on its own: both schemes, secrets with and without whsec_,
stale timestamps, missing headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from passforge import WebhookVerificationError, verify_webhook

BODY = json.dumps({"id": "evt_1", "type": "pass.created", "createdAt": "2026-12-06T10:00:00Z", "data": {"id": "p1"}})


def standard(key: bytes, msg_id: str, ts: int) -> str:
    return "v1," + base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.{BODY}".encode(), hashlib.sha256).digest()).decode()


def test_standard_webhooks_with_a_whsec_secret_and_several_signatures() -> None:
    key = b"0123456789abcdef01234567"
    secret = "whsec_" + base64.b64encode(key).decode()
    ts = int(time.time())
    headers = {"Webhook-Id": "evt_1", "webhook-timestamp": str(ts),
               "webhook-signature": f"v1,bm90IGl0 {standard(key, 'evt_1', ts)}"}
    assert verify_webhook(BODY, headers, secret)["data"]["id"] == "p1"
    assert verify_webhook(BODY.encode(), headers, secret)["type"] == "pass.created"


def test_a_client_chosen_secret_is_used_as_written() -> None:
    secret = "a-client-chosen-secret-of-32-bytes!"
    ts = int(time.time())
    headers = {"webhook-id": "evt_1", "webhook-timestamp": str(ts),
               "webhook-signature": standard(secret.encode(), "evt_1", ts)}
    assert verify_webhook(BODY, headers, secret)["id"] == "evt_1"
    plain = {"X-Passforge-Signature": "sha256=" + hmac.new(secret.encode(), BODY.encode(), hashlib.sha256).hexdigest()}
    assert verify_webhook(BODY, plain, secret)["id"] == "evt_1"


def test_stale_tampered_and_unsigned_deliveries_are_refused() -> None:
    key = b"0123456789abcdef01234567"
    secret = "whsec_" + base64.b64encode(key).decode()
    old = int(time.time()) - 3600
    stale = {"webhook-id": "evt_1", "webhook-timestamp": str(old), "webhook-signature": standard(key, "evt_1", old)}
    with pytest.raises(WebhookVerificationError, match="more than 300 s"):
        verify_webhook(BODY, stale, secret)
    assert verify_webhook(BODY, stale, secret, now=old)["id"] == "evt_1"
    ts = int(time.time())
    wrong_id = {"webhook-id": "evt_2", "webhook-timestamp": str(ts), "webhook-signature": standard(key, "evt_1", ts)}
    with pytest.raises(WebhookVerificationError):
        verify_webhook(BODY, wrong_id, secret)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(BODY, {"x-passforge-signature": "sha256=00"}, secret)
    with pytest.raises(WebhookVerificationError, match="no signature headers"):
        verify_webhook(BODY, {}, secret)
