"""The synchronous client. Written by ``sdk/python/unasync.py`` from
``_async_client.py``: edit that one."""

from __future__ import annotations

import email.utils
import os
import time
import uuid
from collections.abc import Iterator, Callable, Mapping
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


class _RetryTransport(httpx.BaseTransport):
    """An Idempotency-Key on each POST (the same on its retries), and retries of
    429 and 503 answers that honour Retry-After."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        max_retries: int,
        max_retry_delay: float,
        on_retry: Callable[[RetryInfo], None] | None,
    ) -> None:
        self._inner = inner
        self._max_retries = max_retries
        self._max_retry_delay = max_retry_delay
        self._on_retry = on_retry

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and "idempotency-key" not in request.headers:
            request.headers["Idempotency-Key"] = str(uuid.uuid4())
        attempt = 0
        while True:
            attempt += 1
            response = self._inner.handle_request(request)
            if response.status_code not in (429, 503) or attempt > self._max_retries:
                return response
            delay = retry_delay(response.headers.get("retry-after"), attempt)
            if delay > self._max_retry_delay:
                return response
            response.read()
            response.close()
            if self._on_retry is not None:
                self._on_retry(RetryInfo(attempt, response.status_code, delay, request.method, str(request.url)))
            time.sleep(delay)

    def close(self) -> None:
        self._inner.close()


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


class _Caller:
    """Sends generated calls and turns problem answers into typed errors."""

    def __init__(self, api: AuthenticatedClient) -> None:
        self.api = api

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Response[Any]:
        response = cast(Response[Any], fn(*args, client=self.api, **_given(**kwargs)))
        if response.status_code >= 400:
            raise error_for(response.status_code, response.content, response.headers.get("x-request-id"))
        return response

    def parsed(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return (self.call(fn, *args, **kwargs)).parsed

    def content(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bytes:
        return (self.call(fn, *args, **kwargs)).content

    def put_zip(self, url: str, zip_bytes: bytes) -> TemplateView:
        """A zip upload (the generator leaves application/zip bodies out)."""
        http = self.api.get_httpx_client()
        response = http.request("PUT", url, content=zip_bytes, headers={"content-type": "application/zip"})
        if response.status_code >= 400:
            raise error_for(response.status_code, response.content, response.headers.get("x-request-id"))
        return TemplateView.from_dict(response.json())


def _paginate(page: Callable[[str | None], Any]) -> Iterator[Any]:
    cursor: str | None = None
    while True:
        p = page(cursor)
        for item in p.data:
            yield item
        if not p.has_more or not isinstance(p.next_starting_after, str):
            return
        cursor = p.next_starting_after


class Templates:
    """Templates: designed from JSON, uploaded as zips, or dropped into the templates folder."""

    def __init__(self, c: _Caller) -> None:
        self._c = c

    def list(self) -> TemplateList:
        """Every template with its status, problems and the JSON Schema of its fields."""
        return cast(TemplateList, self._c.parsed(list_templates.sync_detailed))

    def get(self, id: str) -> TemplateView:
        return cast(TemplateView, self._c.parsed(get_template.sync_detailed, id))

    def create(
        self, design: TemplateDesign | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> TemplateView:
        """Creates a template from a JSON design (admin); its id is ``design["id"]`` or made from the name."""
        return cast(
            TemplateView,
            self._c.parsed(
                create_template.sync_detailed,
                body=_model(TemplateDesign, design),
                idempotency_key=idempotency_key,
            ),
        )

    def update(self, id: str, patch: Mapping[str, Any]) -> TemplateView:
        """Changes a designed template with a JSON merge patch; its passes get a new version."""
        return cast(
            TemplateView, self._c.parsed(patch_template.sync_detailed, id, body=DesignPatch.from_dict(patch))
        )

    def upload(self, id: str, zip_bytes: bytes) -> TemplateView:
        """Creates or replaces a template from a zip of its folder."""
        return self._c.put_zip(f"/v1/templates/{quote(id, safe='')}", zip_bytes)

    def add_images(self, id: str, zip_bytes: bytes) -> TemplateView:
        """Adds the PNGs of a zip to a template, replacing those of the same name."""
        return self._c.put_zip(f"/v1/templates/{quote(id, safe='')}/images", zip_bytes)

    def delete(self, id: str, *, force: bool | None = None) -> None:
        """Deletes a template (409 while passes use it, unless ``force``)."""
        self._c.call(delete_template.sync_detailed, id, force=force)

    def preview(
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

        return self._c.content(
            preview_template.sync_detailed,
            id,
            side=side,
            lang=lang,
            scale=scale,
            fields=None if fields is None else json.dumps(fields),
        )


class Passes:
    """Passes: issued from a template and custom fields, changed, voided, downloaded."""

    def __init__(self, c: _Caller) -> None:
        self._c = c

    def create(self, body: PassCreate | Mapping[str, Any], *, idempotency_key: str | None = None) -> PassCreated:
        """Issues a pass: ``{"templateId": …, "customFields": {key: value or {"value", "label"}}}``."""
        return cast(
            PassCreated,
            self._c.parsed(
                create_pass.sync_detailed, body=_model(PassCreate, body), idempotency_key=idempotency_key
            ),
        )

    def get(self, id: str) -> PassWithInstalls:
        return cast(PassWithInstalls, self._c.parsed(get_pass.sync_detailed, id))

    def list(
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
            self._c.parsed(
                list_passes.sync_detailed,
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
    ) -> Iterator[PassView]:
        """Every pass matching the filters, fetching pages as the loop goes."""
        return _paginate(
            lambda cursor: self.list(
                limit=limit, starting_after=cursor, template_id=template_id, status=status, user_id=user_id
            )
        )

    def update(self, id: str, change: PassUpdate | Mapping[str, Any]) -> PassView:
        """Merges ``customFields`` (None removes one) and dates: a new version, pushed to devices."""
        return cast(PassView, self._c.parsed(update_pass.sync_detailed, id, body=_model(PassUpdate, change)))

    def void(self, id: str, *, idempotency_key: str | None = None) -> PassView:
        """Voids the pass (a new version with ``voided``)."""
        return cast(PassView, self._c.parsed(void_pass.sync_detailed, id, idempotency_key=idempotency_key))

    def delete(self, id: str) -> None:
        self._c.call(delete_pass.sync_detailed, id)

    def download(self, id: str) -> bytes:
        """The signed ``.pkpass`` of the current version."""
        return self._c.content(download_pass.sync_detailed, id)

    def download_to(self, id: str, path: str | os.PathLike[str]) -> Path:
        """Downloads the ``.pkpass`` to a file (written whole or not at all)."""
        return _write_atomically(path, self.download(id))

    def google_save_link(self, id: str) -> GoogleSave:
        """The Google Wallet save link of the current version."""
        return cast(GoogleSave, self._c.parsed(google_save_link.sync_detailed, id))

    def preview(
        self, id: str, *, side: str | None = None, lang: str | None = None, scale: int | None = None
    ) -> bytes:
        """A PNG of the pass as Wallet shows it."""
        return self._c.content(preview_pass.sync_detailed, id, side=side, lang=lang, scale=scale)

    def create_batch(
        self, batch: BatchCreate | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> JobView:
        """Queues a batch job (up to 10,000 items); follow it with ``client.jobs``."""
        return cast(
            JobView,
            self._c.parsed(
                create_batch.sync_detailed, body=_model(BatchCreate, batch), idempotency_key=idempotency_key
            ),
        )


class Door:
    """At the door: scans, redemptions, counter adjustments, door lists and offline
    uploads (a ``scan`` key suffices)."""

    def __init__(self, c: _Caller) -> None:
        self._c = c

    def scan(self, request: ScanRequest | Mapping[str, Any]) -> ScanAnswer:
        """What a scanner read → the pass and whether it can be used now;
        ``{"redeem": True}`` uses it in the same step."""
        return cast(ScanAnswer, self._c.parsed(scan.sync_detailed, body=_model(ScanRequest, request)))

    def redeem(self, pass_id: str, *, gate: str | None = None) -> UseAnswer:
        """Uses a pass once against its template's rule; a refusal raises
        ``ConflictError`` (``code``: ``already_used``, ``voided``, …)."""
        body = RedeemRequest.from_dict({"gate": gate} if gate is not None else {})
        return cast(UseAnswer, self._c.parsed(redeem_pass.sync_detailed, pass_id, body=body))

    def adjust(self, pass_id: str, changes: Mapping[str, Any]) -> UseAnswer:
        """Adds to counter fields (``{"points": 10}``; a balance in minor units), within their bounds."""
        return cast(
            UseAnswer,
            self._c.parsed(adjust_pass.sync_detailed, pass_id, body=AdjustRequest.from_dict(changes)),
        )

    def redemptions(
        self, pass_id: str, *, limit: int | None = None, starting_after: str | None = None
    ) -> RedemptionList:
        """One page of a pass's scans, redemptions and adjustments."""
        return cast(
            RedemptionList,
            self._c.parsed(
                list_redemptions.sync_detailed, pass_id, limit=limit, starting_after=starting_after
            ),
        )

    def redemptions_all(self, pass_id: str, *, limit: int | None = None) -> Iterator[RedemptionView]:
        return _paginate(lambda cursor: self.redemptions(pass_id, limit=limit, starting_after=cursor))

    def scan_list(self, template_id: str, *, etag: str | None = None) -> tuple[DoorList, str] | None:
        """A template's door list and its ETag; ``None`` when ``etag`` is still current."""
        response = self._c.call(scan_list.sync_detailed, template_id, if_none_match=etag)
        if response.status_code == 304:
            return None
        return cast(DoorList, response.parsed), response.headers.get("etag", "")

    def upload(self, items: list[Mapping[str, Any]]) -> UploadAnswer:
        """Uploads an offline gate's uses: each counted once (by ``clientId``), conflicts reported."""
        return cast(
            UploadAnswer,
            self._c.parsed(upload_redemptions.sync_detailed, body=UploadRequest.from_dict({"items": items})),
        )


class Notifications:
    """Push notifications: a message on the lock screen of every device holding the pass."""

    def __init__(self, c: _Caller) -> None:
        self._c = c

    def send(self, pass_id: str, message: str, *, idempotency_key: str | None = None) -> PassNotified:
        """Puts ``message`` in the pass's message field (a new version) and pushes it."""
        return cast(
            PassNotified,
            self._c.parsed(
                push_notification.sync_detailed,
                pass_id,
                body=PushMessage(message=message),
                idempotency_key=idempotency_key,
            ),
        )


class Links:
    """Links (``/l/{code}``) that hand a pass to whoever opens them."""

    def __init__(self, c: _Caller) -> None:
        self._c = c

    def create(self, link: LinkCreate | Mapping[str, Any], *, idempotency_key: str | None = None) -> LinkView:
        return cast(
            LinkView,
            self._c.parsed(
                create_link.sync_detailed, body=_model(LinkCreate, link), idempotency_key=idempotency_key
            ),
        )

    def get(self, id: str) -> LinkView:
        return cast(LinkView, self._c.parsed(get_link.sync_detailed, id))

    def list(self) -> LinkList:
        return cast(LinkList, self._c.parsed(list_links.sync_detailed))

    def revoke(self, id: str) -> LinkView:
        return cast(LinkView, self._c.parsed(revoke_link.sync_detailed, id))

    def exchange(self, id: str, code: str) -> ExchangeView:
        """Exchanges the one-time ``code`` the link's returnUrl received (once, within ten minutes)."""
        return cast(
            ExchangeView,
            self._c.parsed(exchange_link_code.sync_detailed, id, body=CodeExchange(code=code)),
        )


class Users:
    """The people holding passes, and their tokens."""

    def __init__(self, c: _Caller) -> None:
        self._c = c

    def create(self, user: UserCreate | Mapping[str, Any], *, idempotency_key: str | None = None) -> UserView:
        return cast(
            UserView,
            self._c.parsed(
                create_user.sync_detailed, body=_model(UserCreate, user), idempotency_key=idempotency_key
            ),
        )

    def get(self, id: str) -> UserView:
        return cast(UserView, self._c.parsed(get_user.sync_detailed, id))

    def delete(self, id: str, *, passes: str | None = None) -> None:
        """Deletes a user; ``passes="delete"`` deletes their passes too (default: detach)."""
        self._c.call(delete_user.sync_detailed, id, passes=passes)

    def create_token(self, id: str, *, expires_in: int | None = None) -> UserTokenView:
        """A user token ``pfu_…`` (shown once) for the user's own passes."""
        body = TokenCreate(expires_in=expires_in) if expires_in is not None else None
        return cast(UserTokenView, self._c.parsed(create_user_token.sync_detailed, id, body=body))

    def revoke_token(self, id: str, token: str) -> None:
        self._c.call(revoke_user_token.sync_detailed, id, token)


class Connections:
    """Installations of passes in wallets."""

    def __init__(self, c: _Caller) -> None:
        self._c = c

    def list(self, **filters: Any) -> ConnectionList:
        """One page (``pass_id``, ``user_id``, ``platform``, ``state``, ``limit``, ``starting_after``)."""
        return cast(ConnectionList, self._c.parsed(list_connections.sync_detailed, **filters))

    def list_all(self, **filters: Any) -> Iterator[ConnectionView]:
        return _paginate(lambda cursor: self.list(**filters, starting_after=cursor))

    def get(self, id: str) -> ConnectionView:
        return cast(ConnectionView, self._c.parsed(get_connection.sync_detailed, id))

    def delete(self, id: str) -> None:
        """Stops pushing to this installation."""
        self._c.call(delete_connection.sync_detailed, id)

    def sync(self, id: str) -> SyncQueued:
        """Pushes the pass to this installation now."""
        return cast(SyncQueued, self._c.parsed(sync_connection.sync_detailed, id))


class Webhooks:
    """Webhook endpoints and their deliveries."""

    def __init__(self, c: _Caller) -> None:
        self._c = c

    def create(
        self, webhook: WebhookCreate | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> WebhookView:
        """Subscribes an endpoint; the answer's ``secret`` is shown only here."""
        return cast(
            WebhookView,
            self._c.parsed(
                create_webhook.sync_detailed, body=_model(WebhookCreate, webhook), idempotency_key=idempotency_key
            ),
        )

    def list(self) -> WebhookList:
        return cast(WebhookList, self._c.parsed(list_webhooks.sync_detailed))

    def get(self, id: str) -> WebhookView:
        return cast(WebhookView, self._c.parsed(get_webhook.sync_detailed, id))

    def delete(self, id: str) -> None:
        self._c.call(delete_webhook.sync_detailed, id)

    def deliveries(self, id: str, *, limit: int | None = None, starting_after: str | None = None) -> DeliveryList:
        return cast(
            DeliveryList,
            self._c.parsed(list_deliveries.sync_detailed, id, limit=limit, starting_after=starting_after),
        )

    def deliveries_all(self, id: str, *, limit: int | None = None) -> Iterator[DeliveryView]:
        return _paginate(lambda cursor: self.deliveries(id, limit=limit, starting_after=cursor))

    def redeliver(self, id: str, delivery: str) -> Redelivery:
        return cast(Redelivery, self._c.parsed(redeliver.sync_detailed, id, delivery))

    def test(self, id: str) -> TestQueued:
        """Sends a ``webhook.test`` event."""
        return cast(TestQueued, self._c.parsed(test_webhook.sync_detailed, id))


class Jobs:
    """Batch jobs."""

    def __init__(self, c: _Caller) -> None:
        self._c = c

    def get(self, id: str) -> JobView:
        return cast(JobView, self._c.parsed(get_job.sync_detailed, id))

    def wait(self, id: str, *, interval: float = 0.5, timeout: float = 600.0) -> JobView:
        """Polls until the job has completed; the finished job."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(id)
            if job.status == "completed":
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {id} is still {job.status} after {timeout} s")
            time.sleep(interval)

    def download(self, id: str) -> bytes:
        """The zip of a completed job's passes."""
        return self._c.content(download_job.sync_detailed, id)

    def download_to(self, id: str, path: str | os.PathLike[str]) -> Path:
        return _write_atomically(path, self.download(id))


class Me:
    """What a user token reaches: the user's own passes and installations."""

    def __init__(self, c: _Caller) -> None:
        self._c = c

    def passes(self) -> MyPasses:
        return cast(MyPasses, self._c.parsed(my_passes.sync_detailed))

    def connections(self) -> MyConnections:
        return cast(MyConnections, self._c.parsed(my_connections.sync_detailed))

    def download(self, id: str) -> bytes:
        return self._c.content(my_pass_download.sync_detailed, id)


class Passforge:
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
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        base_url = (base_url or os.environ.get("PASSFORGE_URL") or "http://127.0.0.1:8080").rstrip("/")
        if api_key is None and token is None:
            api_key = os.environ.get("PASSFORGE_API_KEY")
        retrying = _RetryTransport(transport or httpx.HTTPTransport(), max_retries, max_retry_delay, on_retry)
        self._api = AuthenticatedClient(
            base_url=base_url,
            token=api_key if api_key is not None else (token or ""),
            prefix="" if api_key is not None else "Bearer",
            auth_header_name="X-API-Key" if api_key is not None else "Authorization",
            timeout=httpx.Timeout(timeout),
            httpx_args={"transport": retrying},
        )
        c = _Caller(self._api)
        self._c = c
        self.templates = Templates(c)
        self.passes = Passes(c)
        self.notifications = Notifications(c)
        self.links = Links(c)
        self.users = Users(c)
        self.connections = Connections(c)
        self.webhooks = Webhooks(c)
        self.jobs = Jobs(c)
        self.me = Me(c)
        self.door = Door(c)

    @property
    def api(self) -> AuthenticatedClient:
        """The generated client, for calls the resources do not cover (``passforge._api.api``)."""
        return self._api

    def providers(self) -> ProviderList:
        """Wallet providers (Apple, Google): configured or not, and their operations."""
        return cast(ProviderList, self._c.parsed(list_providers.sync_detailed))

    def close(self) -> None:
        """Closes the connection pool."""
        self._api.get_httpx_client().close()

    def __enter__(self) -> Passforge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
