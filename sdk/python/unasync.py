#!/usr/bin/env python3
"""Writes src/passforge/_sync_client.py from _async_client.py (the one to edit).

Usage: python3 unasync.py           (write)
       python3 unasync.py --check   (fail when the written file is not current)
"""

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "src/passforge/_async_client.py"
TARGET = HERE / "src/passforge/_sync_client.py"

# Whole-word replacements, in order.
REPLACEMENTS = [
    ("AsyncPassforge", "Passforge"),
    ("_AsyncRetryTransport", "_RetryTransport"),
    ("_AsyncCaller", "_Caller"),
    ("AsyncBaseTransport", "BaseTransport"),
    ("AsyncHTTPTransport", "HTTPTransport"),
    ("handle_async_request", "handle_request"),
    ("AsyncIterator", "Iterator"),
    ("get_async_httpx_client", "get_httpx_client"),
    ("asyncio_detailed", "sync_detailed"),
    ("asyncio.sleep", "time.sleep"),
    ("aread", "read"),
    ("aclose", "close"),
    ("__aenter__", "__enter__"),
    ("__aexit__", "__exit__"),
]


def unasync(text: str) -> str:
    text = text.replace(
        '"""The asynchronous client (the source of ``_sync_client.py``, which\n'
        '``sdk/python/unasync.py`` writes from this file: edit this one)."""',
        '"""The synchronous client. Written by ``sdk/python/unasync.py`` from\n``_async_client.py``: edit that one."""',
    )
    text = re.sub(r"^import asyncio\n", "", text, flags=re.M)
    text = re.sub(r"\basync def ", "def ", text)
    text = re.sub(r"\basync for ", "for ", text)
    text = re.sub(r"\basync with ", "with ", text)
    text = re.sub(r"\bawait ", "", text)
    text = re.sub(r"\bAsync([A-Z][a-z]+)\b", r"\1", text)
    for old, new in REPLACEMENTS:
        text = re.sub(rf"\b{re.escape(old)}\b", new, text)
    return text


def main() -> int:
    out = unasync(SOURCE.read_text())
    if "--check" in sys.argv:
        if TARGET.read_text() != out:
            print(f"{TARGET} is not current: run python3 {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
