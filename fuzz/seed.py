#!/usr/bin/env python3
"""Writes the starting corpora of the fuzz targets from the example
templates, Apple's sample passes (../shared/fixtures/apple-samples) and
passes this project issues. Run once, then let `cargo fuzz run` grow them
and `cargo fuzz cmin` minimize them; the result is committed.

Usage: fuzz/seed.py [DIR_OF_ISSUED_PKPASS_FILES]
"""
import io, json, pathlib, sys, zipfile

root = pathlib.Path(__file__).resolve().parent.parent
corpus = root / "fuzz" / "corpus"
samples = root.parent / "shared" / "fixtures" / "apple-samples"


def put(target, name, data):
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


for t in sorted((root / "templates").iterdir()):
    if not (t / "pass.json").exists():
        continue
    tj = (t / "template.json").read_bytes() if (t / "template.json").exists() else b""
    put("template", t.name, (t / "pass.json").read_bytes() + b"\0" + tj)
    for data in sorted(t.glob("sample.*")):
        put("rows", f"{t.name}-{data.name}", data.read_bytes())
    for strings in sorted(t.glob("*.lproj/pass.strings")):
        text = strings.read_bytes()
        put("strings", f"{t.name}-{strings.parent.name}", text)
        put("strings", f"{t.name}-{strings.parent.name}-utf16",
            b"\xff\xfe" + text.decode("utf-8").encode("utf-16-le"))
    # Small inputs fuzz faster: the JSON files and the 1x icon only.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in ("pass.json", "template.json", "icon.png"):
            if (t / name).exists():
                z.write(t / name, name)
    put("template_zip", t.name, buf.getvalue())

for p in sorted(samples.glob("*.pass")):
    put("template", f"apple-{p.stem}", (p / "pass.json").read_bytes())
for p in sorted(samples.glob("*.pkpass")):
    if p.stat().st_size < 24_000:
        put("pkpass", f"apple-{p.stem}", p.read_bytes())
# Passes this project issued from a template of pass.json and icon.png only
# (about 5 KB each: `passforge issue --template <that folder> …`).
if len(sys.argv) > 1:
    for p in sorted(pathlib.Path(sys.argv[1]).glob("*.pkpass"))[:2]:
        put("pkpass", p.stem, p.read_bytes())

put("rows", "array.json", json.dumps([{"attendee": "Ada", "seat": "A1"}, {"attendee": "Zoë"}]).encode())
put("rows", "lines.jsonl", b'{"attendee": "Ada"}\n{"attendee": "Grace", "seat": 3}\n')

serial = "TICKET-0001"
kind = "pass.com.example.passforge"
for name, head, body in [
    ("register", f"POST /v1/devices/dev1/registrations/{kind}/{serial}\tApplePass 0123456789abcdef", b'{"pushToken":"abcd"}'),
    ("unregister", f"DELETE /v1/devices/dev1/registrations/{kind}/{serial}\tApplePass 0123456789abcdef", b""),
    ("serials", f"GET /v1/devices/dev1/registrations/{kind}?passesUpdatedSince=1700000000", b""),
    ("latest", f"GET /v1/passes/{kind}/{serial}\tApplePass 0123456789abcdef", b""),
    ("personalize", f"POST /v1/passes/{kind}/{serial}/personalize",
     b'{"requiredPersonalizationInfo":{"fullName":"Ada"},"personalizationToken":"t"}'),
    ("log", "POST /v1/log", b'{"logs":["a line"]}'),
]:
    put("passkit", name, head.encode() + b"\0" + body)

callback = {
    "signature": "MEUCIQ==",
    "intermediateSigningKey": {"signedKey": json.dumps({"keyValue": "AAAA", "keyExpiration": "1900000000000"}),
                               "signatures": ["MEUCIQ=="]},
    "protocolVersion": "ECv2SigningOnly",
    "signedMessage": json.dumps({"classId": "3388000000000000001.c", "objectId": "3388000000000000001.o",
                                 "eventType": "save", "expTimeMillis": 1900000000000, "count": 1, "nonce": "n"}),
}
put("google_callback", "save", json.dumps(callback).encode())
print("seeded", corpus)
