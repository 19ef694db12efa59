"""Verifying webhook deliveries: the Standard Webhooks headers (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``) or ``X-Passforge-Signature``
(hex HMAC-SHA256 of the body)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from typing import Any

from .errors import WebhookVerificationError

_B64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")


def verify_webhook(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance_seconds: int = 300,
    now: float | None = None,
) -> dict[str, Any]:
    """Checks a delivery's signature with the endpoint's secret and returns its
    event (``{id, type, createdAt, data}``; deduplicate by ``id``: delivery is at
    least once). Standard Webhooks headers are checked when present (signature
    and a timestamp within ``tolerance_seconds``), else ``X-Passforge-Signature``.

    Raises:
        WebhookVerificationError: when neither signature checks out.
    """
    raw = body.encode() if isinstance(body, str) else bytes(body)
    key = _secret_key(secret)
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id = lower.get("webhook-id")
    timestamp = lower.get("webhook-timestamp")
    signatures = lower.get("webhook-signature")
    if msg_id is not None and timestamp is not None and signatures is not None:
        try:
            seconds = int(timestamp)
        except ValueError:
            raise WebhookVerificationError(f"webhook-timestamp is not a number of seconds: {timestamp}") from None
        current = int(time.time() if now is None else now)
        if abs(current - seconds) > tolerance_seconds:
            raise WebhookVerificationError(
                f"webhook-timestamp {seconds} is more than {tolerance_seconds} s from now ({current}): "
                "a replayed or delayed delivery"
            )
        expected = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + raw, hashlib.sha256).digest()
        for signature in signatures.split(" "):
            version, _, value = signature.partition(",")
            if version != "v1":
                continue
            try:
                candidate = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                continue
            if hmac.compare_digest(candidate, expected):
                return _parse(raw)
        raise WebhookVerificationError("webhook-signature does not match the body with this secret")
    plain = lower.get("x-passforge-signature")
    if plain is not None:
        expected_hex = hmac.new(key, raw, hashlib.sha256).hexdigest()
        given = plain.removeprefix("sha256=") if plain.startswith("sha256=") else ""
        if not hmac.compare_digest(given.lower().encode(), expected_hex.encode()):
            raise WebhookVerificationError("X-Passforge-Signature does not match the body with this secret")
        return _parse(raw)
    raise WebhookVerificationError(
        "no signature headers: expected webhook-id, webhook-timestamp and webhook-signature, or X-Passforge-Signature"
    )


def _secret_key(secret: str) -> bytes:
    """The key of a secret: the base64 after ``whsec_``, else the secret's own bytes."""
    if secret.startswith("whsec_"):
        b64 = secret.removeprefix("whsec_")
        if _B64.match(b64) and len(b64) % 4 == 0:
            return base64.b64decode(b64)
        return b64.encode()
    return secret.encode()


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        event = json.loads(raw)
    except ValueError:
        raise WebhookVerificationError("the signed body is not JSON") from None
    if not isinstance(event, dict):
        raise WebhookVerificationError("the signed body is not a JSON object")
    return event
