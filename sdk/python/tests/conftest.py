"""Starts a real ``passforge serve`` (the binary ``cargo test`` built) on a fresh
SQLite file with a copy of the example templates, API keys of each scope,
and, where ../shared is beside the repository, fake_apns.py for pushes."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared"
BIN = Path(os.environ.get("PASSFORGE_BIN", ROOT / "target/debug/passforge"))


def shared_path(rel: str) -> Path | None:
    """A file in ../shared, or None (saying plainly that the external check was
    not run), unless PASSFORGE_REQUIRE_SHARED is set, which makes it a failure."""
    path = SHARED / rel
    if path.exists():
        return path
    if os.environ.get("PASSFORGE_REQUIRE_SHARED"):
        raise AssertionError(f"{path} is missing and PASSFORGE_REQUIRE_SHARED is set")
    print(f"NOTE: external check NOT run: {path} is missing (clone the project beside shared/)")
    return None


def wait_for(what: str, check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class FakeApns:
    url: str
    ca: Path
    log: Path
    process: subprocess.Popen[bytes]

    def requests(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        out = []
        for line in self.log.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass  # the last line may be half-written
        return out


def start_fake_apns(d: Path) -> FakeApns | None:
    script = shared_path("apns/fake_apns.py")
    if script is None:
        return None

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    openssl("req", "-x509", "-new", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=fake APNs test CA",
            "-keyout", "ca.key", "-out", "ca.pem", "-addext", "basicConstraints=critical,CA:true",
            "-addext", "keyUsage=critical,keyCertSign")
    openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key",
            "-out", "server.csr")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
            "-extfile", "ext.cnf", "-out", "server.pem")
    (d / "script.json").write_text(json.dumps({"default": {"status": 200}}))
    process = subprocess.Popen(
        ["python3", str(script), "--cert", "server.pem", "--key", "server.key", "--port", "0", "--port-file", "port",
         "--log", "requests.jsonl", "--script", "script.json",
         "--client-ca", str(ROOT / "certs-example/wwdr-ca.pem"), "--exit-on-stdin-eof", "--max-lifetime", "600"],
        cwd=d, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
    )

    def port() -> str | None:
        if process.poll() is not None:
            raise AssertionError(f"fake_apns.py exited with {process.returncode} (it needs `pip install h2`)")
        p = d / "port"
        return p.read_text().strip() if p.exists() else None

    return FakeApns(f"https://127.0.0.1:{wait_for('fake_apns.py to listen', port)}", d / "ca.pem",
                    d / "requests.jsonl", process)


@dataclass
class Server:
    base_url: str
    keys: dict[str, str]
    dir: Path
    apns: FakeApns | None
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        if self.apns is not None and self.apns.process.stdin is not None:
            self.apns.process.stdin.close()
            self.apns.process.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


def start_server(
    *, apns: bool = False, rate_limit_per_minute: int = 100_000, rate_limit_burst: int = 100_000
) -> Server:
    if not BIN.exists():
        raise AssertionError(f"{BIN} is missing: build it first (cargo test builds it), or set PASSFORGE_BIN")
    d = Path(tempfile.mkdtemp(prefix="passforge-sdk-py-"))
    shutil.copytree(ROOT / "templates", d / "templates")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASSFORGE_")}
    env.update(PASSFORGE_DATABASE_URL=f"sqlite://{d / 'passforge.db'}", PASSFORGE_LOG="warn")

    def key(name: str, scopes: str) -> str:
        out = subprocess.run([str(BIN), "keys", "create", "--name", name, "--scopes", scopes], env=env,
                             check=True, capture_output=True, text=True).stdout
        found = re.search(r"pfk_[A-Za-z0-9_-]+", out)
        assert found, out
        return found.group(0)

    keys = {
        "admin": key("sdk-admin", "admin"),
        "write": key("sdk-write", "read,write"),
        "read": key("sdk-read", "read"),
    }
    fake = start_fake_apns(d) if apns else None
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    args = [str(BIN), "serve", "--listen", f"127.0.0.1:{port}", "--templates", str(d / "templates"),
            "--public-url", base_url, "--webhooks-allow-private-networks",
            "--rate-limit-per-minute", str(rate_limit_per_minute), "--rate-limit-burst", str(rate_limit_burst),
            # Google's API is never reached from tests: a closed local port.
            "--google-api-url", "http://127.0.0.1:9", "--google-token-url", "http://127.0.0.1:9/token"]
    if fake is not None:
        args += ["--apns-url", fake.url, "--apns-ca", str(fake.ca)]
    process = subprocess.Popen(args, env=env, cwd=d, stdout=subprocess.DEVNULL)

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"passforge serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    wait_for("passforge serve to answer /healthz", healthy)
    return Server(base_url, keys, d, fake, process)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    s = start_server(apns=True)
    yield s
    s.stop()


@dataclass
class Receiver:
    url: str
    deliveries: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def wait(self, keep: Callable[[dict[str, Any]], bool]) -> tuple[dict[str, str], bytes]:
        return wait_for("a webhook delivery",
                        lambda: next((d for d in list(self.deliveries) if keep(json.loads(d[1]))), None))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local webhook receiver: records each delivery's headers and raw body."""
    deliveries: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            deliveries.append(({k: v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield Receiver(f"http://127.0.0.1:{httpd.server_address[1]}/hooks/passforge", deliveries)
    httpd.shutdown()


def pass_json(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("pass.json"))


def verify_pkpass(path: Path) -> dict[str, Any] | None:
    """../shared/apple/verify_pkpass.py's JSON report, or None without ../shared."""
    script = shared_path("apple/verify_pkpass.py")
    if script is None:
        return None
    out = subprocess.run(["python3", str(script), "--json", "--ca", str(ROOT / "certs-example/wwdr-ca.pem"), str(path)],
                         capture_output=True, text=True)
    return json.loads(out.stdout)
