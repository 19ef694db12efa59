"""Schemathesis hooks for passforge's contract check (.ci/schemathesis.sh).

An Idempotency-Key names one request: the same key with a different
request is answered 422 `idempotency_key_reused`, by design. Schemathesis
draws keys from a small space and sends the same key with different
requests, which that rule then (rightly) refuses; no schema can say "a new
value per request". So every well-formed key it generates is replaced by a
fresh UUID: the header is still sent on every operation that takes it, and
malformed keys (empty, too long, not visible ASCII) are left as generated,
so their 400 is still checked.
"""

import uuid

import schemathesis


def _well_formed(key):
    return isinstance(key, str) and 0 < len(key) <= 255 and all(0x21 <= ord(c) <= 0x7E for c in key)


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and _well_formed(headers[name]):
            headers[name] = str(uuid.uuid4())
    return None
