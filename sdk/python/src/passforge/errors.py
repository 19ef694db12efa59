"""Typed errors from the service's ``application/problem+json`` answers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    """One located problem of a request: a JSON pointer and what is wrong there."""

    pointer: str
    detail: str


class PassforgeError(Exception):
    """Any answer of 400 or more, with its problem document."""

    status: int
    code: str
    title: str
    detail: str
    problems: list[FieldProblem]
    request_id: str | None
    body: dict[str, Any] | None

    def __init__(self, status: int, body: dict[str, Any] | None, request_id: str | None = None) -> None:
        self.status = status
        self.body = body
        self.request_id = request_id
        body = body or {}
        self.code = str(body.get("code", "http_error"))
        self.title = str(body.get("title", ""))
        self.detail = str(body.get("detail", f"HTTP {status}"))
        self.problems = [
            FieldProblem(str(e.get("pointer", "")), str(e.get("detail", "")))
            for e in body.get("errors") or []
            if isinstance(e, dict)
        ]
        located = "; ".join(f"{p.pointer}: {p.detail}" for p in self.problems)
        super().__init__(f"{self.detail} ({located})" if located else self.detail)


class BadRequestError(PassforgeError):
    """400: a query parameter or header of the wrong shape."""


class AuthenticationError(PassforgeError):
    """401: no valid credential."""


class PermissionDeniedError(PassforgeError):
    """403: the credential lacks the scope."""


class NotFoundError(PassforgeError):
    """404: no such resource."""


class ConflictError(PassforgeError):
    """409: the resource's state forbids it (or the same Idempotency-Key is still running)."""


class GoneError(PassforgeError):
    """410: gone (a revoked or used-up link)."""


class ValidationError(PassforgeError):
    """422: the request's problems, each located by a JSON pointer in ``problems``."""


class RateLimitError(PassforgeError):
    """429: still rate limited after the retries."""


class ServerError(PassforgeError):
    """5xx: the service failed (503 after the retries)."""


_BY_STATUS: dict[int, type[PassforgeError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    422: ValidationError,
    429: RateLimitError,
}


def error_for(status: int, content: bytes, request_id: str | None = None) -> PassforgeError:
    """The typed error of an answer's status and body."""
    try:
        parsed = json.loads(content) if content else None
    except ValueError:
        parsed = None
    body = parsed if isinstance(parsed, dict) else None
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else PassforgeError)
    return kind(status, body, request_id)


class WebhookVerificationError(Exception):
    """A webhook delivery whose signature, timestamp or headers do not check out."""
