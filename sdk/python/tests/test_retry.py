"""429 answers are retried after their Retry-After, against a real ``passforge
serve`` with a tiny rate limit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from passforge import Passforge, RateLimitError, RetryInfo

from .conftest import Server, start_server


@pytest.fixture(scope="module")
def limited() -> Iterator[Server]:
    s = start_server(rate_limit_per_minute=60, rate_limit_burst=2)
    yield s
    s.stop()


def test_a_429_is_retried_after_retry_after(limited: Server) -> None:
    retries: list[RetryInfo] = []
    client = Passforge(limited.base_url, api_key=limited.keys["read"], on_retry=retries.append)
    results = [client.templates.list() for _ in range(4)]
    assert all(r.data for r in results)
    assert retries, "the burst of 2 ran out, so some call waited"
    assert all(r.status == 429 and r.delay_seconds >= 1 for r in retries), retries


def test_without_retries_the_429_is_a_rate_limit_error(limited: Server) -> None:
    client = Passforge(limited.base_url, api_key=limited.keys["admin"], max_retries=0)
    with pytest.raises(RateLimitError) as e:
        for _ in range(5):
            client.templates.list()
    assert e.value.status == 429
