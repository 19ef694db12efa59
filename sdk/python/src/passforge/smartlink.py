"""Signed smart links, format v1 (the README's "Signed smart links"): minted
offline with a link-signing key; the pass is made when the link is opened."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_LINK_ID = re.compile(r"^[A-Za-z0-9\-._~]{1,128}$")


def percent_encode(s: str) -> str:
    """Percent-encodes every UTF-8 byte but ``A–Z a–z 0–9 - . _ ~``."""
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in s.encode())


def canonical_link(template: str, signed: list[tuple[str, str]]) -> str:
    """The canonical string a link is signed over."""
    pairs = sorted(f"{percent_encode(k)}={percent_encode(v)}" for k, v in signed)
    return f"passforge-link-v1\n{percent_encode(template)}\n" + "&".join(pairs)


def sign_link(
    *,
    base_url: str,
    template: str,
    link_id: str,
    key_id: str,
    secret: str,
    fields: Mapping[str, str] | None = None,
    unsigned: Mapping[str, str] | None = None,
    expires: int | None = None,
) -> str:
    """Mints a signed smart link: one pass per template and ``link_id``."""
    if not _LINK_ID.match(link_id):
        raise ValueError("link_id must be 1 to 128 of A-Z a-z 0-9 - . _ ~")
    signed = [(f"f.{k}", v) for k, v in (fields or {}).items()]
    signed.append(("lid", link_id))
    if expires is not None:
        signed.append(("exp", str(int(expires))))
    signed.append(("kid", key_id))
    digest = hmac.new(secret.encode(), canonical_link(template, signed).encode(), hashlib.sha256).digest()
    sig = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    everything = signed + [(f"u.{k}", v) for k, v in (unsigned or {}).items()]
    query = sorted(f"{percent_encode(k)}={percent_encode(v)}" for k, v in everything)
    query.append(f"sig={sig}")
    return f"{base_url.rstrip('/')}/s/{percent_encode(template)}?" + "&".join(query)
