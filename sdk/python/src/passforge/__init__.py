"""passforge: Apple Wallet passes and Google Wallet save links from templates.

A resource-style client (``Passforge``, and ``AsyncPassforge`` for asyncio),
typed errors and webhook verification, over the functions and models
generated from the service's OpenAPI document (``passforge._api``, by
openapi-python-client)::

    from passforge import Passforge

    client = Passforge("http://127.0.0.1:8080", api_key="pfk_…")
    pass_ = client.passes.create({"templateId": "event-ticket", "customFields": {"attendee": "Ada"}})
    client.passes.download_to(pass_.id, "ticket.pkpass")
"""

from ._async_client import AsyncPassforge
from ._sync_client import Passforge, RetryInfo
from .errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    FieldProblem,
    GoneError,
    NotFoundError,
    PassforgeError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
    WebhookVerificationError,
)
from .smartlink import canonical_link, percent_encode, sign_link
from .webhooks import verify_webhook

__all__ = [
    "AsyncPassforge",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "FieldProblem",
    "GoneError",
    "NotFoundError",
    "Passforge",
    "PassforgeError",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryInfo",
    "ServerError",
    "ValidationError",
    "WebhookVerificationError",
    "canonical_link",
    "percent_encode",
    "sign_link",
    "verify_webhook",
]
