"""Templates through the SDK: a JSON design patched (its passes re-versioned),
images added from a zip, and a folder uploaded as a zip — against a real
``passforge serve``."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from passforge import ConflictError, Passforge, ValidationError

from .conftest import ROOT, Server


def zip_of(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_a_design_is_patched_given_images_and_a_folder_is_uploaded(server: Server) -> None:
    admin = Passforge(server.base_url, api_key=server.keys["admin"])
    client = Passforge(server.base_url, api_key=server.keys["write"])
    design = admin.templates.create({
        "id": "py-sdk-design", "name": "Py SDK Design", "passType": "eventTicket", "organizationName": "Passforge",
        "fields": [{"key": "guest", "label": "Guest", "placement": "primary", "required": True}],
    })
    pass_ = client.passes.create({"templateId": design.id, "customFields": {"guest": "Ada"}})
    assert pass_.version == 1

    patched = admin.templates.update(design.id, {"backgroundColor": "#111827", "logoText": "Patched"})
    assert patched.status == "ready"
    assert client.passes.get(pass_.id).version == 2, "a design change re-versions its passes"

    strip = (ROOT / "templates/coupon/strip.png").read_bytes()
    admin.templates.add_images(design.id, zip_of({"strip.png": strip}))
    assert client.passes.get(pass_.id).version == 3
    with zipfile.ZipFile(io.BytesIO(client.passes.download(pass_.id))) as z:
        assert z.read("strip.png") == strip

    with pytest.raises(ValidationError) as bad:
        admin.templates.add_images(design.id, zip_of({"notes.txt": b"hello"}))
    assert "notes.txt" in str(bad.value), "the refused entry is named"

    folder = ROOT / "templates/coupon"
    uploaded = admin.templates.upload(
        "py-sdk-coupon", zip_of({p.name: p.read_bytes() for p in Path(folder).iterdir() if p.is_file()})
    )
    assert uploaded.id == "py-sdk-coupon"
    assert admin.templates.get("py-sdk-coupon").status == "ready"
    with pytest.raises(ConflictError):
        admin.templates.update("py-sdk-coupon", {"logoText": "x"})
    admin.templates.delete("py-sdk-coupon")
