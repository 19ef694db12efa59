"""The asynchronous client (the source of ``_sync_client.py``, which
``sdk/python/unasync.py`` writes from this file: edit this one)."""

from __future__ import annotations

import asyncio
import email.utils
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import quote

import httpx

from ._api.api.connections import delete_connection, get_connection, list_connections, sync_connection
from ._api.api.door import adjust_pass, list_redemptions, redeem_pass, scan, scan_list, upload_redemptions
from ._api.api.jobs import create_batch, download_job, get_job
from ._api.api.links import create_link, exchange_link_code, get_link, list_links, revoke_link
from ._api.api.me import my_connections, my_pass_download, my_passes
from ._api.api.passes import (
    create_pass,
    delete_pass,
    download_pass,
    get_pass,
    google_save_link,
    list_passes,
    preview_pass,
    push_notification,
    update_pass,
    void_pass,
)
from ._api.api.service import list_providers
from ._api.api.templates import (
    create_template,
    delete_template,
    get_template,
    list_templates,
    patch_template,
    preview_template,
)
from ._api.api.users import create_user, create_user_token, delete_user, get_user, revoke_user_token
from ._api.api.webhooks import (
    create_webhook,
    delete_webhook,
    get_webhook,
    list_deliveries,
    list_webhooks,
    redeliver,
    test_webhook,
)
from ._api.client import AuthenticatedClient
from ._api.models import (
    AdjustRequest,
    BatchCreate,
    CodeExchange,
    ConnectionList,
    ConnectionView,
    DeliveryList,
    DeliveryView,
    DesignPatch,
    DoorList,
    ExchangeView,
    GoogleSave,
    JobView,
    LinkCreate,
    LinkList,
    LinkView,
    MyConnections,
    MyPasses,
    PassCreate,
    PassCreated,
    PassList,
    PassNotified,
    PassUpdate,
    PassView,
    PassWithInstalls,
    ProviderList,
    PushMessage,
    RedeemRequest,
    Redelivery,
    RedemptionList,
    RedemptionView,
    ScanAnswer,
    ScanRequest,
    SyncQueued,
    TemplateDesign,
    TemplateList,
    TemplateView,
    TestQueued,
    TokenCreate,
    UploadAnswer,
    UploadRequest,
    UseAnswer,
    UserCreate,
    UserTokenView,
    UserView,
    WebhookCreate,
    WebhookList,
    WebhookView,
)
from ._api.types import Response
from .errors import error_for

M = TypeVar("M")


@dataclass(frozen=True)
class RetryInfo:
    """What a retry callback is told."""

    attempt: int
    status: int
    delay_seconds: float
    method: str
    url: str


def retry_delay(retry_after: str | None, attempt: int) -> float:
    """Retry-After in seconds or as an HTTP date; else an exponential backoff."""
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(retry_after)
                return max(0.0, when.timestamp() - time.time())
            except (TypeError, ValueError):
                pass
    return min(0.5 * 2 ** (attempt - 1), 8.0)


class _AsyncRetryTransport(httpx.AsyncBaseTransport):
    """An Idempotency-Key on each POST (the same on its retries), and retries of
    429 and 503 answers that honour Retry-After."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        max_retries: int,
        max_retry_delay: float,
        on_retry: Callable[[RetryInfo], None] | None,
    ) -> None:
        self._inner = inner
        self._max_retries = max_retries
        self._max_retry_delay = max_retry_delay
        self._on_retry = on_retry

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and "idempotency-key" not in request.headers:
            request.headers["Idempotency-Key"] = str(uuid.uuid4())
        attempt = 0
        while True:
            attempt += 1
            response = await self._inner.handle_async_request(request)
            if response.status_code not in (429, 503) or attempt > self._max_retries:
                return response
            delay = retry_delay(response.headers.get("retry-after"), attempt)
            if delay > self._max_retry_delay:
                return response
            await response.aread()
            await response.aclose()
            if self._on_retry is not None:
                self._on_retry(RetryInfo(attempt, response.status_code, delay, request.method, str(request.url)))
            await asyncio.sleep(delay)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _model(kind: type[M], value: M | Mapping[str, Any]) -> M:
    """A generated model from itself or from the API's JSON shape (camelCase keys)."""
    if isinstance(value, Mapping):
        return cast(M, kind.from_dict(value))  # type: ignore[attr-defined]
    return value


def _given(**kwargs: Any) -> dict[str, Any]:
    """The keyword arguments that were given (None means: not sent)."""
    return {k: v for k, v in kwargs.items() if v is not None}


def _write_atomically(path: str | os.PathLike[str], data: bytes) -> Path:
    """Writes through a temporary file beside the target: no partial file on failure."""
    target = Path(path)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.{uuid.uuid4().hex}.part")
    try:
        tmp.write_bytes(data)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


class _AsyncCaller:
    """Sends generated calls and turns problem answers into typed errors."""

    def __init__(self, api: AuthenticatedClient) -> None:
        self.api = api

    async def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Response[Any]:
        response = cast(Response[Any], await fn(*args, client=self.api, **_given(**kwargs)))
        if response.status_code >= 400:
            raise error_for(response.status_code, response.content, response.headers.get("x-request-id"))
        return response

    async def parsed(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return (await self.call(fn, *args, **kwargs)).parsed

    async def content(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bytes:
        return (await self.call(fn, *args, **kwargs)).content

    async def put_zip(self, url: str, zip_bytes: bytes) -> TemplateView:
        """A zip upload (the generator leaves application/zip bodies out)."""
        http = self.api.get_async_httpx_client()
        response = await http.request("PUT", url, content=zip_bytes, headers={"content-type": "application/zip"})
        if response.status_code >= 400:
            raise error_for(response.status_code, response.content, response.headers.get("x-request-id"))
        return TemplateView.from_dict(response.json())


async def _paginate(page: Callable[[str | None], Any]) -> AsyncIterator[Any]:
    cursor: str | None = None
    while True:
        p = await page(cursor)
        for item in p.data:
            yield item
        if not p.has_more or not isinstance(p.next_starting_after, str):
            return
        cursor = p.next_starting_after


class AsyncTemplates:
    """Templates: designed from JSON, uploaded as zips, or dropped into the templates folder."""

    def __init__(self, c: _AsyncCaller) -> None:
        self._c = c

    async def list(self) -> TemplateList:
        """Every template with its status, problems and the JSON Schema of its fields."""
        return cast(TemplateList, await self._c.parsed(list_templates.asyncio_detailed))

    async def get(self, id: str) -> TemplateView:
        return cast(TemplateView, await self._c.parsed(get_template.asyncio_detailed, id))

    async def create(
        self, design: TemplateDesign | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> TemplateView:
        """Creates a template from a JSON design (admin); its id is ``design["id"]`` or made from the name."""
        return cast(
            TemplateView,
            await self._c.parsed(
                create_template.asyncio_detailed,
                body=_model(TemplateDesign, design),
                idempotency_key=idempotency_key,
            ),
        )

    async def update(self, id: str, patch: Mapping[str, Any]) -> TemplateView:
        """Changes a designed template with a JSON merge patch; its passes get a new version."""
        return cast(
            TemplateView, await self._c.parsed(patch_template.asyncio_detailed, id, body=DesignPatch.from_dict(patch))
        )

    async def upload(self, id: str, zip_bytes: bytes) -> TemplateView:
        """Creates or replaces a template from a zip of its folder."""
        return await self._c.put_zip(f"/v1/templates/{quote(id, safe='')}", zip_bytes)

    async def add_images(self, id: str, zip_bytes: bytes) -> TemplateView:
        """Adds the PNGs of a zip to a template, replacing those of the same name."""
        return await self._c.put_zip(f"/v1/templates/{quote(id, safe='')}/images", zip_bytes)

    async def delete(self, id: str, *, force: bool | None = None) -> None:
        """Deletes a template (409 while passes use it, unless ``force``)."""
        await self._c.call(delete_template.asyncio_detailed, id, force=force)

    async def preview(
        self,
        id: str,
        *,
        side: str | None = None,
        lang: str | None = None,
        scale: int | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> bytes:
        """A PNG of the template as Wallet shows it (``fields`` fills it in)."""
        import json

        return await self._c.content(
            preview_template.asyncio_detailed,
            id,
            side=side,
            lang=lang,
            scale=scale,
            fields=None if fields is None else json.dumps(fields),
        )


class AsyncPasses:
    """Passes: issued from a template and custom fields, changed, voided, downloaded."""

    def __init__(self, c: _AsyncCaller) -> None:
        self._c = c

    async def create(self, body: PassCreate | Mapping[str, Any], *, idempotency_key: str | None = None) -> PassCreated:
        """Issues a pass: ``{"templateId": …, "customFields": {key: value or {"value", "label"}}}``."""
        return cast(
            PassCreated,
            await self._c.parsed(
                create_pass.asyncio_detailed, body=_model(PassCreate, body), idempotency_key=idempotency_key
            ),
        )

    async def get(self, id: str) -> PassWithInstalls:
        return cast(PassWithInstalls, await self._c.parsed(get_pass.asyncio_detailed, id))

    async def list(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        template_id: str | None = None,
        status: str | None = None,
        user_id: str | None = None,
    ) -> PassList:
        """One page of passes (``limit`` 1–100, ``starting_after`` the previous page's cursor)."""
        return cast(
            PassList,
            await self._c.parsed(
                list_passes.asyncio_detailed,
                limit=limit,
                starting_after=starting_after,
                template_id=template_id,
                status=status,
                user_id=user_id,
            ),
        )

    def list_all(
        self,
        *,
        limit: int | None = None,
        template_id: str | None = None,
        status: str | None = None,
        user_id: str | None = None,
    ) -> AsyncIterator[PassView]:
        """Every pass matching the filters, fetching pages as the loop goes."""
        return _paginate(
            lambda cursor: self.list(
                limit=limit, starting_after=cursor, template_id=template_id, status=status, user_id=user_id
            )
        )

    async def update(self, id: str, change: PassUpdate | Mapping[str, Any]) -> PassView:
        """Merges ``customFields`` (None removes one) and dates: a new version, pushed to devices."""
        return cast(PassView, await self._c.parsed(update_pass.asyncio_detailed, id, body=_model(PassUpdate, change)))

    async def void(self, id: str, *, idempotency_key: str | None = None) -> PassView:
        """Voids the pass (a new version with ``voided``)."""
        return cast(PassView, await self._c.parsed(void_pass.asyncio_detailed, id, idempotency_key=idempotency_key))

    async def delete(self, id: str) -> None:
        await self._c.call(delete_pass.asyncio_detailed, id)

    async def download(self, id: str) -> bytes:
        """The signed ``.pkpass`` of the current version."""
        return await self._c.content(download_pass.asyncio_detailed, id)

    async def download_to(self, id: str, path: str | os.PathLike[str]) -> Path:
        """Downloads the ``.pkpass`` to a file (written whole or not at all)."""
        return _write_atomically(path, await self.download(id))

    async def google_save_link(self, id: str) -> GoogleSave:
        """The Google Wallet save link of the current version."""
        return cast(GoogleSave, await self._c.parsed(google_save_link.asyncio_detailed, id))

    async def preview(
        self, id: str, *, side: str | None = None, lang: str | None = None, scale: int | None = None
    ) -> bytes:
        """A PNG of the pass as Wallet shows it."""
        return await self._c.content(preview_pass.asyncio_detailed, id, side=side, lang=lang, scale=scale)

    async def create_batch(
        self, batch: BatchCreate | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> JobView:
        """Queues a batch job (up to 10,000 items); follow it with ``client.jobs``."""
        return cast(
            JobView,
            await self._c.parsed(
                create_batch.asyncio_detailed, body=_model(BatchCreate, batch), idempotency_key=idempotency_key
            ),
        )


class AsyncDoor:
    """At the door: scans, redemptions, counter adjustments, door lists and offline
    uploads (a ``scan`` key suffices)."""

    def __init__(self, c: _AsyncCaller) -> None:
        self._c = c

    async def scan(self, request: ScanRequest | Mapping[str, Any]) -> ScanAnswer:
        """What a scanner read → the pass and whether it can be used now;
        ``{"redeem": True}`` uses it in the same step."""
        return cast(ScanAnswer, await self._c.parsed(scan.asyncio_detailed, body=_model(ScanRequest, request)))

    async def redeem(self, pass_id: str, *, gate: str | None = None) -> UseAnswer:
        """Uses a pass once against its template's rule; a refusal raises
        ``ConflictError`` (``code``: ``already_used``, ``voided``, …)."""
        body = RedeemRequest.from_dict({"gate": gate} if gate is not None else {})
        return cast(UseAnswer, await self._c.parsed(redeem_pass.asyncio_detailed, pass_id, body=body))

    async def adjust(self, pass_id: str, changes: Mapping[str, Any]) -> UseAnswer:
        """Adds to counter fields (``{"points": 10}``; a balance in minor units), within their bounds."""
        return cast(
            UseAnswer,
            await self._c.parsed(adjust_pass.asyncio_detailed, pass_id, body=AdjustRequest.from_dict(changes)),
        )

    async def redemptions(
        self, pass_id: str, *, limit: int | None = None, starting_after: str | None = None
    ) -> RedemptionList:
        """One page of a pass's scans, redemptions and adjustments."""
        return cast(
            RedemptionList,
            await self._c.parsed(
                list_redemptions.asyncio_detailed, pass_id, limit=limit, starting_after=starting_after
            ),
        )

    def redemptions_all(self, pass_id: str, *, limit: int | None = None) -> AsyncIterator[RedemptionView]:
        return _paginate(lambda cursor: self.redemptions(pass_id, limit=limit, starting_after=cursor))

    async def scan_list(self, template_id: str, *, etag: str | None = None) -> tuple[DoorList, str] | None:
        """A template's door list and its ETag; ``None`` when ``etag`` is still current."""
        response = await self._c.call(scan_list.asyncio_detailed, template_id, if_none_match=etag)
        if response.status_code == 304:
            return None
        return cast(DoorList, response.parsed), response.headers.get("etag", "")

    async def upload(self, items: list[Mapping[str, Any]]) -> UploadAnswer:
        """Uploads an offline gate's uses: each counted once (by ``clientId``), conflicts reported."""
        return cast(
            UploadAnswer,
            await self._c.parsed(upload_redemptions.asyncio_detailed, body=UploadRequest.from_dict({"items": items})),
        )


class AsyncNotifications:
    """Push notifications: a message on the lock screen of every device holding the pass."""

    def __init__(self, c: _AsyncCaller) -> None:
        self._c = c

    async def send(self, pass_id: str, message: str, *, idempotency_key: str | None = None) -> PassNotified:
        """Puts ``message`` in the pass's message field (a new version) and pushes it."""
        return cast(
            PassNotified,
            await self._c.parsed(
                push_notification.asyncio_detailed,
                pass_id,
                body=PushMessage(message=message),
                idempotency_key=idempotency_key,
            ),
        )


class AsyncLinks:
    """Links (``/l/{code}``) that hand a pass to whoever opens them."""

    def __init__(self, c: _AsyncCaller) -> None:
        self._c = c

    async def create(self, link: LinkCreate | Mapping[str, Any], *, idempotency_key: str | None = None) -> LinkView:
        return cast(
            LinkView,
            await self._c.parsed(
                create_link.asyncio_detailed, body=_model(LinkCreate, link), idempotency_key=idempotency_key
            ),
        )

    async def get(self, id: str) -> LinkView:
        return cast(LinkView, await self._c.parsed(get_link.asyncio_detailed, id))

    async def list(self) -> LinkList:
        return cast(LinkList, await self._c.parsed(list_links.asyncio_detailed))

    async def revoke(self, id: str) -> LinkView:
        return cast(LinkView, await self._c.parsed(revoke_link.asyncio_detailed, id))

    async def exchange(self, id: str, code: str) -> ExchangeView:
        """Exchanges the one-time ``code`` the link's returnUrl received (once, within ten minutes)."""
        return cast(
            ExchangeView,
            await self._c.parsed(exchange_link_code.asyncio_detailed, id, body=CodeExchange(code=code)),
        )


class AsyncUsers:
    """The people holding passes, and their tokens."""

    def __init__(self, c: _AsyncCaller) -> None:
        self._c = c

    async def create(self, user: UserCreate | Mapping[str, Any], *, idempotency_key: str | None = None) -> UserView:
        return cast(
            UserView,
            await self._c.parsed(
                create_user.asyncio_detailed, body=_model(UserCreate, user), idempotency_key=idempotency_key
            ),
        )

    async def get(self, id: str) -> UserView:
        return cast(UserView, await self._c.parsed(get_user.asyncio_detailed, id))

    async def delete(self, id: str, *, passes: str | None = None) -> None:
        """Deletes a user; ``passes="delete"`` deletes their passes too (default: detach)."""
        await self._c.call(delete_user.asyncio_detailed, id, passes=passes)

    async def create_token(self, id: str, *, expires_in: int | None = None) -> UserTokenView:
        """A user token ``pfu_…`` (shown once) for the user's own passes."""
        body = TokenCreate(expires_in=expires_in) if expires_in is not None else None
        return cast(UserTokenView, await self._c.parsed(create_user_token.asyncio_detailed, id, body=body))

    async def revoke_token(self, id: str, token: str) -> None:
        await self._c.call(revoke_user_token.asyncio_detailed, id, token)


class AsyncConnections:
    """Installations of passes in wallets."""

    def __init__(self, c: _AsyncCaller) -> None:
        self._c = c

    async def list(self, **filters: Any) -> ConnectionList:
        """One page (``pass_id``, ``user_id``, ``platform``, ``state``, ``limit``, ``starting_after``)."""
        return cast(ConnectionList, await self._c.parsed(list_connections.asyncio_detailed, **filters))

    def list_all(self, **filters: Any) -> AsyncIterator[ConnectionView]:
        return _paginate(lambda cursor: self.list(**filters, starting_after=cursor))

    async def get(self, id: str) -> ConnectionView:
        return cast(ConnectionView, await self._c.parsed(get_connection.asyncio_detailed, id))

    async def delete(self, id: str) -> None:
        """Stops pushing to this installation."""
        await self._c.call(delete_connection.asyncio_detailed, id)

    async def sync(self, id: str) -> SyncQueued:
        """Pushes the pass to this installation now."""
        return cast(SyncQueued, await self._c.parsed(sync_connection.asyncio_detailed, id))


class AsyncWebhooks:
    """Webhook endpoints and their deliveries."""

    def __init__(self, c: _AsyncCaller) -> None:
        self._c = c

    async def create(
        self, webhook: WebhookCreate | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> WebhookView:
        """Subscribes an endpoint; the answer's ``secret`` is shown only here."""
        return cast(
            WebhookView,
            await self._c.parsed(
                create_webhook.asyncio_detailed, body=_model(WebhookCreate, webhook), idempotency_key=idempotency_key
            ),
        )

    async def list(self) -> WebhookList:
        return cast(WebhookList, await self._c.parsed(list_webhooks.asyncio_detailed))

    async def get(self, id: str) -> WebhookView:
        return cast(WebhookView, await self._c.parsed(get_webhook.asyncio_detailed, id))

    async def delete(self, id: str) -> None:
        await self._c.call(delete_webhook.asyncio_detailed, id)

    async def deliveries(self, id: str, *, limit: int | None = None, starting_after: str | None = None) -> DeliveryList:
        return cast(
            DeliveryList,
            await self._c.parsed(list_deliveries.asyncio_detailed, id, limit=limit, starting_after=starting_after),
        )

    def deliveries_all(self, id: str, *, limit: int | None = None) -> AsyncIterator[DeliveryView]:
        return _paginate(lambda cursor: self.deliveries(id, limit=limit, starting_after=cursor))

    async def redeliver(self, id: str, delivery: str) -> Redelivery:
        return cast(Redelivery, await self._c.parsed(redeliver.asyncio_detailed, id, delivery))

    async def test(self, id: str) -> TestQueued:
        """Sends a ``webhook.test`` event."""
        return cast(TestQueued, await self._c.parsed(test_webhook.asyncio_detailed, id))


class AsyncJobs:
    """Batch jobs."""

    def __init__(self, c: _AsyncCaller) -> None:
        self._c = c

    async def get(self, id: str) -> JobView:
        return cast(JobView, await self._c.parsed(get_job.asyncio_detailed, id))

    async def wait(self, id: str, *, interval: float = 0.5, timeout: float = 600.0) -> JobView:
        """Polls until the job has completed; the finished job."""
        deadline = time.monotonic() + timeout
        while True:
            job = await self.get(id)
            if job.status == "completed":
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {id} is still {job.status} after {timeout} s")
            await asyncio.sleep(interval)

    async def download(self, id: str) -> bytes:
        """The zip of a completed job's passes."""
        return await self._c.content(download_job.asyncio_detailed, id)

    async def download_to(self, id: str, path: str | os.PathLike[str]) -> Path:
        return _write_atomically(path, await self.download(id))


class AsyncMe:
    """What a user token reaches: the user's own passes and installations."""

    def __init__(self, c: _AsyncCaller) -> None:
        self._c = c

    async def passes(self) -> MyPasses:
        return cast(MyPasses, await self._c.parsed(my_passes.asyncio_detailed))

    async def connections(self) -> MyConnections:
        return cast(MyConnections, await self._c.parsed(my_connections.asyncio_detailed))

    async def download(self, id: str) -> bytes:
        return await self._c.content(my_pass_download.asyncio_detailed, id)


class AsyncPassforge:
    """The passforge client.

    Credentials: ``api_key`` (``pfk_…``, sent as ``X-API-Key``; default
    ``PASSFORGE_API_KEY``) or ``token`` (a JWT or a user token ``pfu_…``, sent as
    a bearer token). 429 and 503 answers are retried ``max_retries`` times,
    honouring Retry-After; every POST carries an Idempotency-Key, the same on
    its retries.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        token: str | None = None,
        max_retries: int = 3,
        max_retry_delay: float = 60.0,
        timeout: float = 60.0,
        on_retry: Callable[[RetryInfo], None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        base_url = (base_url or os.environ.get("PASSFORGE_URL") or "http://127.0.0.1:8080").rstrip("/")
        if api_key is None and token is None:
            api_key = os.environ.get("PASSFORGE_API_KEY")
        retrying = _AsyncRetryTransport(transport or httpx.AsyncHTTPTransport(), max_retries, max_retry_delay, on_retry)
        self._api = AuthenticatedClient(
            base_url=base_url,
            token=api_key if api_key is not None else (token or ""),
            prefix="" if api_key is not None else "Bearer",
            auth_header_name="X-API-Key" if api_key is not None else "Authorization",
            timeout=httpx.Timeout(timeout),
            httpx_args={"transport": retrying},
        )
        c = _AsyncCaller(self._api)
        self._c = c
        self.templates = AsyncTemplates(c)
        self.passes = AsyncPasses(c)
        self.notifications = AsyncNotifications(c)
        self.links = AsyncLinks(c)
        self.users = AsyncUsers(c)
        self.connections = AsyncConnections(c)
        self.webhooks = AsyncWebhooks(c)
        self.jobs = AsyncJobs(c)
        self.me = AsyncMe(c)
        self.door = AsyncDoor(c)

    @property
    def api(self) -> AuthenticatedClient:
        """The generated client, for calls the resources do not cover (``passforge._api.api``)."""
        return self._api

    async def providers(self) -> ProviderList:
        """Wallet providers (Apple, Google): configured or not, and their operations."""
        return cast(ProviderList, await self._c.parsed(list_providers.asyncio_detailed))

    async def aclose(self) -> None:
        """Closes the connection pool."""
        await self._api.get_async_httpx_client().aclose()

    async def __aenter__(self) -> AsyncPassforge:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
