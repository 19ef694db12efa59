"""The README's quick start, end to end against a real ``passforge serve``: a
template from JSON, a pass with custom fields and labels, its download checked
by ../shared/apple/verify_pkpass.py, a push notification that reaches (fake)
APNs, and a webhook received and verified."""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import textwrap
import urllib.request
from collections.abc import Iterator

import pytest

from passforge import Passforge, WebhookVerificationError, verify_webhook

from .conftest import ROOT, Receiver, Server, pass_json, start_server, verify_pkpass, wait_for


def test_the_quick_start_works_as_written(server: Server, receiver: Receiver, tmp_path) -> None:
    base_url, ADMIN_KEY, API_KEY = server.base_url, server.keys["admin"], server.keys["write"]  # noqa: N806
    webhook_url = receiver.url
    file = tmp_path / "ticket.pkpass"

    # quickstart:begin
    admin = Passforge(base_url, api_key=ADMIN_KEY)
    client = Passforge(base_url, api_key=API_KEY)

    # 1. A template from JSON (admin key).
    template = admin.templates.create({
        "name": "VIP Event Ticket",
        "passType": "eventTicket",
        "organizationName": "Passforge Live",
        "description": "VIP entry",
        "backgroundColor": "#1f2937",
        "foregroundColor": "#ffffff",
        "labelColor": "#9ca3af",
        "logoText": "Passforge Live",
        "fields": [
            {"key": "customerName", "label": "Guest Name", "placement": "secondary", "type": "string", "required": True},
            {"key": "tier", "label": "Tier", "placement": "auxiliary", "default": "VIP"},
        ],
        "barcode": {"format": "qr"},
    })

    # 2. A webhook endpoint; keep its secret to verify deliveries.
    hook = admin.webhooks.create({"url": webhook_url, "events": ["pass.created", "pass.updated"]})

    # 3. A pass with custom fields (a value, or {value, label} to relabel it).
    pass_ = client.passes.create({
        "templateId": template.id,
        "customFields": {"customerName": {"value": "Ada Lovelace", "label": "GUEST"}, "tier": "Platinum"},
    })

    # 4. Download the signed .pkpass.
    client.passes.download_to(pass_.id, file)

    # 5. A message on the lock screen of every device holding the pass.
    client.notifications.send(pass_.id, message="Doors open at 19:00")

    # 6. In your webhook handler: verify, then act (deduplicate by event["id"]).
    #    event = verify_webhook(raw_body, request.headers, hook.secret)
    # quickstart:end

    assert template.id == "vip-event-ticket"
    assert template.status == "ready"
    assert isinstance(hook.secret, str) and hook.secret.startswith("whsec_")
    assert pass_.template_id == "vip-event-ticket"
    assert pass_.custom_fields.to_dict() == {"customerName": "Ada Lovelace", "tier": "Platinum"}
    assert pass_.labels.to_dict() == {"customerName": "GUEST"}

    pj = pass_json(file)
    assert pj["backgroundColor"] == "rgb(31, 41, 55)"
    guest = next(f for f in pj["eventTicket"]["secondaryFields"] if f["key"] == "customerName")
    assert (guest["label"], guest["value"]) == ("GUEST", "Ada Lovelace")
    report = verify_pkpass(file)
    if report is not None:
        assert report["errors"] == 0, json.dumps(report["files"], indent=1)

    headers, body = receiver.wait(lambda e: e["type"] == "pass.created" and e["data"]["id"] == pass_.id)
    event = verify_webhook(body, headers, hook.secret)
    assert event["data"]["id"] == pass_.id
    plain_only = {k: v for k, v in headers.items() if k.lower() != "webhook-signature"}
    assert verify_webhook(body, plain_only, hook.secret)["id"] == event["id"]
    with pytest.raises(WebhookVerificationError):
        verify_webhook(body + b" ", headers, hook.secret)

    headers, body = receiver.wait(lambda e: e["type"] == "pass.updated" and e["data"]["id"] == pass_.id)
    assert verify_webhook(body, headers, hook.secret)["type"] == "pass.updated"
    assert client.passes.get(pass_.id).version == 2

    # A push: register a device the way Wallet does, send a notification, see it at (fake) APNs.
    if server.apns is not None:
        push_token = "cd" * 32
        request = urllib.request.Request(
            f"{base_url}/apple/v1/devices/py-device/registrations/{pj['passTypeIdentifier']}/{pj['serialNumber']}",
            data=json.dumps({"pushToken": push_token}).encode(),
            headers={"authorization": f"ApplePass {pj['authenticationToken']}", "content-type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request) as r:
            assert r.status == 201
        assert client.notifications.send(pass_.id, message="Gate B is open").version == 3
        apns = server.apns
        push = wait_for("a push at fake APNs",
                        lambda: next((r for r in apns.requests() if r["path"] == f"/3/device/{push_token}"), None))
        assert push["headers"]["apns-topic"] == pj["passTypeIdentifier"]
        assert push["status"] == 200


def test_the_readme_quick_start_is_this_test_word_for_word() -> None:
    source = inspect.getsource(test_the_quick_start_works_as_written)
    region = source.split("# quickstart:begin\n")[1].split("    # quickstart:end")[0]
    expected = textwrap.dedent(region).strip()
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```python\n# Quick start \(Python\)\n(.*?)```", readme, re.S)
    assert block, 'README.md has a ```python block starting with "# Quick start (Python)"'
    body = "\n".join(
        line for line in block.group(1).splitlines()
        if not line.startswith(("from ", "import ", "base_url", "ADMIN_KEY", "API_KEY", "webhook_url", "file ="))
    ).strip()
    assert body == expected


@pytest.fixture(scope="module")
def curl_server() -> Iterator[Server]:
    s = start_server()
    yield s
    s.stop()


def test_the_curl_quick_start_works_as_written(curl_server: Server, receiver: Receiver, tmp_path) -> None:
    script = ROOT / "sdk/curl/quickstart.sh"
    env = {**os.environ, "PASSFORGE_URL": curl_server.base_url, "ADMIN_KEY": curl_server.keys["admin"],
           "API_KEY": curl_server.keys["write"], "WEBHOOK_URL": receiver.url}
    out = subprocess.run(["bash", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    pass_id, secret = out.stdout.split()
    pj = pass_json(tmp_path / "ticket.pkpass")
    guest = next(f for f in pj["eventTicket"]["secondaryFields"] if f["key"] == "customerName")
    assert (guest["label"], guest["value"]) == ("GUEST", "Ada Lovelace")
    report = verify_pkpass(tmp_path / "ticket.pkpass")
    if report is not None:
        assert report["errors"] == 0, json.dumps(report["files"], indent=1)
    client = Passforge(curl_server.base_url, api_key=curl_server.keys["write"])
    assert client.passes.get(pass_id).version == 2, "the notification made a new version"
    headers, body = receiver.wait(lambda e: e["type"] == "pass.created" and e["data"]["id"] == pass_id)
    assert verify_webhook(body, headers, secret)["data"]["id"] == pass_id

    region = script.read_text().split("# quickstart:begin\n")[1].split("# quickstart:end")[0].strip()
    block = re.search(r"```sh\n# Quick start \(curl\)\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, 'README.md has a ```sh block starting with "# Quick start (curl)"'
    assert block.group(1).strip() == region
