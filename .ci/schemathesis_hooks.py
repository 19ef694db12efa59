"""Schemathesis hooks for passforge's contract check (.ci/schemathesis.sh).

An Idempotency-Key names one request: the same key with a different
request is answered 422 `idempotency_key_reused`, by design. Schemathesis
draws keys from a small space and sends the same key with different
requests, which that rule then (rightly) refuses; no schema can say "a new
value per request". So every well-formed key it generates is replaced by a
fresh UUID: the header is still sent on every operation that takes it, and
malformed keys (empty, too long, not readable as a header value) are left
as generated, so their 400 is still checked.
"""

import uuid

import schemathesis


def _well_formed(key):
    """What the service takes as a key: 1 to 255 characters of a header
    value it can read (visible ASCII, spaces, tabs), not only blanks (HTTP
    trims those off the ends)."""
    return (
        isinstance(key, str)
        and 0 < len(key) <= 255
        and key.strip(" \t") != ""
        and all(0x20 <= ord(c) <= 0x7E or c == "\t" for c in key)
    )


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers or {}
    fresh = {
        name: str(uuid.uuid4()) if name.lower() == "idempotency-key" and _well_formed(value) else value
        for name, value in headers.items()
    }
    if fresh != headers:
        # A new dict, never an edit in place: cases of the stateful phase can
        # share one headers dict, and a check that sends a case again (with
        # other credentials, say) must carry that case's own key, not the key
        # a later case was given (same key, other request: 422 by design).
        case.headers = fresh
    return None
