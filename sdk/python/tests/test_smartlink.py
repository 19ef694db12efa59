"""sign_link against the README's test vector (the same one the service's
own tests pin)."""

import pytest

from passforge import canonical_link, sign_link


def test_sign_link_mints_the_readme_test_vector() -> None:
    url = sign_link(
        base_url="https://passes.example.com",
        template="event-ticket",
        fields={"attendee": "Zoë O'Brien", "seat": "A12"},
        link_id="order-1001",
        expires=1812823200,
        key_id="lk_test",
        secret="lks_test-secret-do-not-use",
    )
    assert url == (
        "https://passes.example.com/s/event-ticket?exp=1812823200&f.attendee=Zo%C3%AB%20O%27Brien"
        "&f.seat=A12&kid=lk_test&lid=order-1001&sig=EU6QTu8wowpjcdsZpki9PQdX0yDMoUf_Xz2aQT4iKJk"
    )
    assert canonical_link("event-ticket", [("f.seat", "A12"), ("lid", "x")]) == (
        "passforge-link-v1\nevent-ticket\nf.seat=A12&lid=x"
    )
    with pytest.raises(ValueError):
        sign_link(base_url="x", template="t", link_id="a b", key_id="k", secret="s")
