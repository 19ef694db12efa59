"""Typed errors, pagination, idempotency, downloads and the async client
against a real ``passforge serve``."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from passforge import (
    AsyncPassforge,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    Passforge,
    PermissionDeniedError,
    ValidationError,
)

from .conftest import Server

TICKET = {"attendee": "Grace Hopper", "seat": "C3", "doorsOpen": "2027-06-12T19:00:00+01:00"}


def test_401_403_404_409_422_are_typed_errors_with_their_problems(server: Server) -> None:
    with pytest.raises(AuthenticationError) as e401:
        Passforge(server.base_url, api_key="pfk_nope_nope").passes.list()
    assert e401.value.status == 401 and e401.value.request_id

    with pytest.raises(PermissionDeniedError) as e403:
        Passforge(server.base_url, api_key=server.keys["read"]).passes.create(
            {"templateId": "event-ticket", "customFields": {}})
    assert e403.value.status == 403

    client = Passforge(server.base_url, api_key=server.keys["write"])
    with pytest.raises(NotFoundError):
        client.passes.get("00000000-0000-4000-8000-000000000000")

    # A link that returns to the app: its code is exchanged with the link id.
    back = client.links.create({"templateId": "event-ticket", "returnUrl": "https://app.example/done",
                                "customFields": {"attendee": "Py Return", "seat": "P9",
                                                 "doorsOpen": "2027-06-12T19:00:00+01:00"}})
    with pytest.raises(NotFoundError) as no_code:
        client.links.exchange(back.id, "pfc_not-a-code")
    assert no_code.value.code == "code_not_found"

    with pytest.raises(ValidationError) as e422:
        client.passes.create({"templateId": "event-ticket", "relevantDate": "soon", "customFields": {"attendee": "x"}})
    pointers = [p.pointer for p in e422.value.problems]
    assert e422.value.code == "validation_failed"
    assert "/relevantDate" in pointers and "/customFields/seat" in pointers, e422.value.problems
    assert "/customFields/seat" in str(e422.value)

    admin = Passforge(server.base_url, api_key=server.keys["admin"])
    with pytest.raises(ConflictError):
        admin.templates.create({"id": "event-ticket", "name": "Event Ticket", "passType": "eventTicket",
                                "organizationName": "x", "fields": []})


def test_creates_carry_an_idempotency_key(server: Server) -> None:
    client = Passforge(server.base_url, api_key=server.keys["write"])
    body = {"templateId": "event-ticket", "customFields": TICKET}
    first = client.passes.create(body, idempotency_key="py-sdk-key-1")
    assert client.passes.create(body, idempotency_key="py-sdk-key-1").id == first.id
    assert client.passes.create(body).id != first.id

    seen: list[str | None] = []

    class Watching(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request.headers.get("idempotency-key"))
            return super().handle_request(request)

    Passforge(server.base_url, api_key=server.keys["write"], transport=Watching()).passes.create(body)
    assert seen[0] is not None and len(seen[0]) == 36


def test_pagination_walks_every_page(server: Server) -> None:
    client = Passforge(server.base_url, api_key=server.keys["write"])
    user = client.users.create({"externalId": f"py-pager-{time.time_ns()}"})
    ids = [client.passes.create({"templateId": "event-ticket", "userId": user.id,
                                 "customFields": {**TICKET, "seat": f"R{i}"}}).id for i in range(7)]
    page = client.passes.list(user_id=user.id, limit=3)
    assert len(page.data) == 3 and page.has_more
    assert sorted(p.id for p in client.passes.list_all(user_id=user.id, limit=3)) == sorted(ids)


def test_the_async_client_paginates_and_downloads(server: Server) -> None:
    async def run() -> None:
        async with AsyncPassforge(server.base_url, api_key=server.keys["write"]) as client:
            user = await client.users.create({"externalId": f"py-async-{time.time_ns()}"})
            created = await asyncio.gather(*[
                client.passes.create({"templateId": "event-ticket", "userId": user.id,
                                      "customFields": {**TICKET, "seat": f"A{i}"}}) for i in range(5)])
            seen = [p.id async for p in client.passes.list_all(user_id=user.id, limit=2)]
            assert sorted(seen) == sorted(p.id for p in created)
            data = await client.passes.download(created[0].id)
            assert data[:2] == b"PK"
            with pytest.raises(NotFoundError):
                await client.passes.download("00000000-0000-4000-8000-000000000000")

    asyncio.run(run())


def test_a_user_token_reaches_only_its_own_passes(server: Server) -> None:
    client = Passforge(server.base_url, api_key=server.keys["write"])
    user = client.users.create({"externalId": f"py-holder-{time.time_ns()}"})
    pass_ = client.passes.create({"templateId": "event-ticket", "userId": user.id, "customFields": TICKET})
    token = client.users.create_token(user.id, expires_in=600)
    me = Passforge(server.base_url, token=token.token)
    assert [p.id for p in me.me.passes().data] == [pass_.id]
    assert me.me.download(pass_.id) == client.passes.download(pass_.id)
    with pytest.raises(PermissionDeniedError):
        me.passes.list()


def test_at_the_door(server: Server) -> None:
    client = Passforge(server.base_url, api_key=server.keys["write"])
    ticket = client.passes.create({"templateId": "event-ticket", "customFields": {**TICKET, "seat": "P1"}})
    answer = client.door.scan({"message": ticket.serial_number, "gate": "Py gate"})
    assert answer.can_use and answer.holder["attendee"] == "Grace Hopper"
    assert client.door.redeem(ticket.id, gate="Py gate").pass_.version == 2
    with pytest.raises(ConflictError) as refused:
        client.door.redeem(ticket.id)
    assert refused.value.code == "already_used" and "Py gate" in refused.value.detail
    assert [r.outcome for r in client.door.redemptions_all(ticket.id, limit=1)] == ["ok", "ok", "already_used"]

    card = client.passes.create(
        {"templateId": "store-card", "customFields": {"memberName": "Ada", "memberId": "87654321", "points": 5}}
    )
    assert client.door.adjust(card.id, {"points": 10}).pass_.custom_fields["points"] == 15
    with pytest.raises(ValidationError) as bounds:
        client.door.adjust(card.id, {"points": -100})
    assert bounds.value.problems[0].pointer == "/points"

    listed = client.door.scan_list("event-ticket")
    assert listed is not None
    door_list, etag = listed
    assert any(d.pass_id == ticket.id and d.remaining == 0 for d in door_list.data)
    assert client.door.scan_list("event-ticket", etag=etag) is None
    items = [{"clientId": f"py-{ticket.id}", "message": ticket.serial_number, "at": "2027-06-12T19:05:00+01:00"}]
    assert client.door.upload(items).results[0].outcome == "already_used"
    assert client.door.upload(items).duplicates == 1
