#!/usr/bin/env python3
"""Chaos soak: passforge instances under a steady load while they are killed.

One command:

    python3 benches/soak/soak.py --duration 300 --database-url postgres://…  # the full soak
    python3 benches/soak/soak.py --duration 30                              # SQLite, one instance

It starts `passforge serve` (two instances on one PostgreSQL database, or one
on a SQLite file), a webhook receiver that sometimes answers 500 or hangs,
`../shared/apns/fake_apns.py` with scripted 410/429/503 answers, and a Google
Wallet stand-in; runs a bounded load (creates with Idempotency-Keys, updates,
voids, downloads, link claims, batch jobs, device registrations) at a fixed
rate; kills an instance with SIGKILL every --kill-every seconds and restarts
it (and, with --restart-postgres, restarts PostgreSQL once); then lets the
queues settle and reconciles from its own records:

- requests, p50/p99 latency, 5xx and refused connections outside kill windows;
- every committed change's webhook delivered (lost), duplicates counted;
- every registered device pushed for the final version of its pass (lost);
- every batch item processed exactly once;
- no claim left in flight after the run.

It prints a report (and writes it as JSON with --report) and exits 1 on any
loss, 0 otherwise. Standard library only (plus h2 for fake_apns.py).
"""

from __future__ import annotations

import argparse
import http.server
import io
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PASS_TYPE = "pass.com.example.passforge"
ISSUER = "3388000000000000001"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"


class QuietServer(http.server.ThreadingHTTPServer):
    """A stand-in server: a client that dies mid-request (an instance being
    killed) is expected here, not a traceback."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def now_ms() -> int:
    return int(time.time() * 1000)


# ---------------------------------------------------------------------------
# Stand-ins: webhook receiver, Google Wallet API
# ---------------------------------------------------------------------------

class Receiver:
    """Records every delivery; answers 500 to the first attempt of some
    events and holds some answers for seconds (then 200)."""

    def __init__(self, fail_share: float, hang_share: float, rng: random.Random):
        self.lock = threading.Lock()
        self.got: list[dict] = []
        self.failed_once: set[str] = set()
        self.fail_share, self.hang_share, self.rng = fail_share, hang_share, rng
        me = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(n)
                wid = self.headers.get("webhook-id", "")
                with me.lock:
                    roll = me.rng.random()
                    fail = roll < me.fail_share and wid not in me.failed_once
                    hang = (not fail) and roll < me.fail_share + me.hang_share
                    if fail:
                        me.failed_once.add(wid)
                    else:
                        me.got.append({"id": wid, "at": now_ms(), "body": json.loads(body or b"{}")})
                if hang:
                    time.sleep(3)
                code = 500 if fail else 200
                self.send_response(code)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class FakeGoogle:
    """Google's token endpoint and Wallet Objects API: 200 to everything."""

    def __init__(self):
        self.calls = 0
        me = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def answer(self):
                n = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(n)
                me.calls += 1
                out = (json.dumps({"access_token": "soak", "expires_in": 3600, "token_type": "Bearer"})
                       if self.path.endswith("/token") else (body.decode() or "{}")).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_POST = do_PATCH = do_PUT = do_GET = answer

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def start_apns(work: str, shared: str, script: dict) -> tuple[subprocess.Popen, int, str, str]:
    """fake_apns.py with a server certificate for 127.0.0.1 from a CA made
    here; clients authenticate with certs-example's pass certificate."""
    ca_key, ca, key, csr, crt = (os.path.join(work, n) for n in ("ca.key", "ca.pem", "srv.key", "srv.csr", "srv.pem"))
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=soak apns CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    ext = os.path.join(work, "san.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext)
    script_file, port_file, log = (os.path.join(work, n) for n in ("apns-script.json", "apns.port", "apns.jsonl"))
    with open(script_file, "w") as f:
        json.dump(script, f)
    proc = subprocess.Popen(
        [sys.executable, os.path.join(shared, "apns", "fake_apns.py"), "--cert", crt, "--key", key,
         "--client-ca", os.path.join(ROOT, "certs-example", "wwdr-ca.pem"), "--port", "0",
         "--port-file", port_file, "--log", log, "--script", script_file, "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(port_file):
            break
        time.sleep(0.05)
    with open(port_file) as f:
        port = int(f.read().strip())
    return proc, port, ca, log


# ---------------------------------------------------------------------------
# Instances
# ---------------------------------------------------------------------------

class Instance:
    def __init__(self, name, binary, args, env, port, work):
        self.name, self.binary, self.args, self.env, self.port = name, binary, args, env, port
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(os.path.join(work, f"{name}.log"), "ab")
        self.proc = None
        self.down: list[list[float]] = []  # [killed_at, ready_at]

    def start(self):
        env = dict(self.env, PASSFORGE_LISTEN=f"127.0.0.1:{self.port}")
        self.proc = subprocess.Popen([self.binary, "serve", *self.args, "--public-url", self.url,
                                      "--web-service-url", self.url + "/apple"],
                                     env=env, stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=1) as r:
                    if r.status == 200:
                        if self.down and len(self.down[-1]) == 1:
                            self.down[-1].append(time.time())
                        return
            except Exception:
                time.sleep(0.05)
        raise SystemExit(f"{self.name} did not start; see {self.log.name}")

    def kill(self):
        self.down.append([time.time()])
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def was_down(self, t: float, margin: float = 1.0) -> bool:
        for w in self.down:
            end = w[1] if len(w) > 1 else float("inf")
            if w[0] - margin <= t <= end + margin:
                return True
        return False


# ---------------------------------------------------------------------------
# The load
# ---------------------------------------------------------------------------

class Load:
    def __init__(self, instances, key, rng, records):
        self.instances, self.key, self.rng = instances, key, rng
        self.lock = threading.Lock()
        self.records = records           # every request: (t, instance, op, status, ms)
        self.passes: dict[str, dict] = {}  # id -> {serial, token, version, voided, last_change_ms}
        self.expected: set[tuple] = set()  # (event type, pass id, version)
        self.devices: dict[str, tuple] = {}  # push token -> (pass id, registered at ms)
        self.jobs: list[tuple[str, list[str]]] = []
        self.device_no = 0

    def call(self, op, method, path, body=None, headers=None, idem=None, raw=False, retry=True):
        """One request, retried on another instance while instances are
        down (creates keep their Idempotency-Key); (status, body, start_ms)."""
        data = None if body is None else json.dumps(body).encode()
        start_ms = now_ms()
        for attempt in range(40):
            inst = self.instances[(attempt + self.rng.randrange(len(self.instances))) % len(self.instances)]
            req = urllib.request.Request(inst.url + path, data=data, method=method)
            req.add_header("x-api-key", self.key)
            if data is not None:
                req.add_header("content-type", "application/json")
            if idem:
                req.add_header("idempotency-key", idem)
            for k, v in (headers or {}).items():
                req.add_header(k, v)
            t0 = time.time()
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    status, payload = r.status, r.read()
            except urllib.error.HTTPError as e:
                status, payload = e.code, e.read()
            except Exception:
                status, payload = 0, b""  # refused or cut: the instance died
            ms = (time.time() - t0) * 1000
            with self.lock:
                self.records.append((t0, inst, op, status, ms))
            if retry and (status == 0 or status >= 500 or status == 409 and idem):
                time.sleep(0.2)
                continue
            if raw:
                return status, payload, start_ms
            try:
                return status, json.loads(payload or b"null"), start_ms
            except ValueError:
                return status, None, start_ms
        return 0, None, start_ms

    def create(self):
        serial = f"SOAK-{uuid.uuid4().hex[:16]}"
        body = {"templateId": "event-ticket", "serialNumber": serial,
                "customFields": {"attendee": "Soak Guest", "seat": f"S{self.rng.randrange(999)}",
                                 "doorsOpen": "2027-06-12T19:00:00+01:00"}}
        status, p, start = self.call("create", "POST", "/v1/passes", body, idem=str(uuid.uuid4()))
        if status == 201:
            with self.lock:
                self.passes[p["id"]] = {"serial": serial, "version": p["version"], "voided": False,
                                        "last_change_ms": start, "token": None}
                self.expected.add(("pass.created", p["id"], p["version"]))

    def pick(self, alive=True):
        with self.lock:
            ids = [i for i, p in self.passes.items() if not (alive and p["voided"])]
        return self.rng.choice(ids) if ids else None

    def update(self):
        pid = self.pick()
        if not pid:
            return
        status, p, start = self.call("update", "PATCH", f"/v1/passes/{pid}",
                                     {"customFields": {"seat": f"U{self.rng.randrange(999)}"}})
        if status == 200:
            with self.lock:
                self.passes[pid]["version"] = max(self.passes[pid]["version"], p["version"])
                self.passes[pid]["last_change_ms"] = start
                self.expected.add(("pass.updated", pid, p["version"]))

    def void(self):
        pid = self.pick()
        if not pid or self.rng.random() < 0.7:
            return
        status, p, start = self.call("void", "POST", f"/v1/passes/{pid}/void")
        if status == 200 and p.get("status") == "voided":
            with self.lock:
                if not self.passes[pid]["voided"]:
                    self.expected.add(("pass.voided", pid, p["version"]))
                self.passes[pid].update(voided=True, last_change_ms=start,
                                        version=max(self.passes[pid]["version"], p["version"]))

    def download(self):
        pid = self.pick(alive=False)
        if not pid:
            return None
        status, payload, _ = self.call("download", "GET", f"/v1/passes/{pid}/download", raw=True)
        if status == 200:
            try:
                pj = json.loads(zipfile.ZipFile(io.BytesIO(payload)).read("pass.json"))
                with self.lock:
                    self.passes[pid]["token"] = pj["authenticationToken"]
                return pid
            except Exception:
                return None
        return None

    def register(self, script_tokens):
        pid = self.download()
        if not pid:
            return
        with self.lock:
            p = self.passes[pid]
            self.device_no += 1
            n = self.device_no
        token = script_tokens[n % len(script_tokens)] if n % 4 == 0 else f"{n:064x}"
        path = f"/apple/v1/devices/soakdev{n}/registrations/{PASS_TYPE}/{p['serial']}"
        status, _, _ = self.call("register", "POST", path, {"pushToken": token},
                                 headers={"authorization": f"ApplePass {p['token']}"})
        if status in (200, 201):
            with self.lock:
                # (pass, when the registration was answered): changes after
                # that must reach this device by a push.
                self.devices[token] = (pid, now_ms())

    def link(self):
        status, link, _ = self.call("link", "POST", "/v1/links", {
            "templateId": "event-ticket",
            "customFields": {"attendee": "Link Guest", "seat": "L1", "doorsOpen": "2027-06-12T19:00:00+01:00"}},
            idem=str(uuid.uuid4()))
        if status == 201:
            path = link["url"].split("127.0.0.1", 1)[1].split("/", 1)[1]
            self.call("claim", "GET", "/" + path, headers={"user-agent": IPHONE}, raw=True)

    def job(self):
        serials = [f"JOB-{uuid.uuid4().hex[:16]}" for _ in range(10)]
        items = [{"serialNumber": s, "customFields": {"attendee": "Batch", "seat": "B1",
                                                      "doorsOpen": "2027-06-12T19:00:00+01:00"}} for s in serials]
        status, j, _ = self.call("job", "POST", "/v1/passes/batch",
                                 {"templateId": "event-ticket", "items": items}, idem=str(uuid.uuid4()))
        if status == 202:
            with self.lock:
                self.jobs.append((j["id"], serials))


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------

def db_query(url: str, sql: str) -> list[tuple]:
    if url.startswith("sqlite:"):
        path = url.split("://", 1)[1].split("?", 1)[0]
        with sqlite3.connect(path) as c:
            return c.execute(sql).fetchall()
    out = subprocess.run(["psql", url, "-At", "-F", "\t", "-c", sql], check=True, capture_output=True, text=True).stdout
    return [tuple(line.split("\t")) for line in out.splitlines() if line]


CLEANUP: list = []


def main() -> int:
    try:
        return run()
    finally:
        # Whatever happened, no instance or stand-in outlives the soak.
        for stop in reversed(CLEANUP):
            try:
                stop()
            except Exception:
                pass


def run() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.environ.get("PASSFORGE_BIN", os.path.join(ROOT, "target", "debug", "passforge")))
    ap.add_argument("--database-url", default="", help="postgres://… (two instances); default: a SQLite file (one instance)")
    ap.add_argument("--instances", type=int, default=0, help="default: 2 on PostgreSQL, 1 on SQLite")
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--rate", type=float, default=8, help="operations per second")
    ap.add_argument("--kill-every", type=float, default=10)
    ap.add_argument("--restart-postgres", action="store_true", help="restart PostgreSQL once, mid-run (pg_ctlcluster)")
    ap.add_argument("--settle", type=float, default=90, help="longest wait for the queues after the load")
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(ROOT), "shared"))
    ap.add_argument("--report", default="")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="passforge-soak-")
    db = a.database_url or f"sqlite://{work}/soak.db"
    n_inst = a.instances or (2 if db.startswith("postgres") else 1)

    receiver = Receiver(fail_share=0.1, hang_share=0.05, rng=random.Random(a.seed + 1))
    google = FakeGoogle()
    script_tokens = ["a" * 64, "b" * 64, "c" * 64, "d" * 64]
    apns_script = {"tokens": {
        script_tokens[0]: {"status": 410, "reason": "Unregistered"},
        script_tokens[1]: [{"status": 429, "times": 1}, {"status": 200}],
        script_tokens[2]: [{"status": 503, "times": 2}, {"status": 200}],
        script_tokens[3]: {"status": 200, "delay_ms": 2000},
    }, "default": {"status": 200}}
    apns, apns_port, apns_ca, apns_log = start_apns(work, a.shared, apns_script)
    CLEANUP.append(lambda: (apns.stdin.close(), apns.wait(10)))

    env = dict(os.environ, PASSFORGE_DATABASE_URL=db, PASSFORGE_TEMPLATES=os.path.join(ROOT, "templates"),
               PASSFORGE_APNS_URL=f"https://127.0.0.1:{apns_port}", PASSFORGE_APNS_CA=apns_ca,
               PASSFORGE_GOOGLE_API_URL=google.url, PASSFORGE_GOOGLE_TOKEN_URL=google.url + "/token",
               RUST_LOG="warn")
    common = ["--webhooks-allow-private-networks", "--rate-limit-per-minute", "600000", "--rate-limit-burst", "100000",
              "--google-issuer-id", ISSUER, "--google-service-account", os.path.join(ROOT, "certs-example", "google-service-account.json")]
    keys = subprocess.run([a.bin, "keys", "create", "--name", "soak", "--scopes", "admin", "--database-url", db],
                          check=True, capture_output=True, text=True)
    key = next(w for w in (keys.stdout + keys.stderr).split() if w.startswith("pfk_"))

    instances = [Instance(f"instance-{'ab'[i]}", a.bin, common, env, free_port(), work) for i in range(n_inst)]
    CLEANUP.extend(inst.stop for inst in instances)
    # A soak reconciles what it did: on a database holding earlier runs'
    # endpoints and queues, their backlog would be counted against this one.
    leftovers = int(db_query(db, "SELECT COUNT(*) FROM webhook_endpoints")[0][0]) if not db.startswith("sqlite") else 0
    if leftovers:
        raise SystemExit(f"the database {db} holds {leftovers} webhook endpoint(s) of an earlier run: give the soak a fresh database")
    for inst in instances:
        inst.start()

    records: list = []
    load = Load(instances, key, rng, records)
    # Every event to the receiver.
    status, _, _ = load.call("setup", "POST", "/v1/webhooks", {"url": receiver.url, "events": [
        "pass.created", "pass.updated", "pass.voided", "connection.created", "link.opened", "link.issued"]})
    if status != 201:
        raise SystemExit(f"cannot subscribe the receiver: {status}")

    ops = [(load.create, 4), (load.update, 3), (load.void, 1), (load.download, 1),
           (lambda: load.register(script_tokens), 2), (load.link, 1), (load.job, 0.3)]
    weights = [w for _, w in ops]
    stop = threading.Event()
    pending = threading.Semaphore(0)

    def worker():
        while not stop.is_set() or pending._value > 0:
            if not pending.acquire(timeout=0.2):
                continue
            op = rng.choices(ops, weights)[0][0]
            try:
                op()
            except Exception as e:  # the generator's own bug: report, go on
                print(f"soak: load error: {e!r}", file=sys.stderr)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(8)]
    for t in threads:
        t.start()

    started = time.time()
    next_kill = started + a.kill_every
    pg_restarted = None
    kills = 0
    tick = 1 / a.rate
    t_next = started
    while time.time() - started < a.duration:
        now = time.time()
        if now >= t_next:
            pending.release()
            t_next += tick
        if now >= next_kill:
            victim = instances[kills % len(instances)]
            victim.kill()
            kills += 1
            threading.Thread(target=lambda v=victim: (time.sleep(1), v.start()), daemon=True).start()
            next_kill += a.kill_every
        if a.restart_postgres and pg_restarted is None and now - started > a.duration / 2:
            pg_restarted = time.time()
            for inst in instances:
                inst.down.append([pg_restarted])
            subprocess.run(["pg_ctlcluster", "15", "main", "restart"], check=True)
            for inst in instances:
                inst.down[-1].append(time.time() + 5)
        time.sleep(min(0.01, max(0.0, t_next - time.time())))
    stop.set()
    for t in threads:
        t.join(60)
    load_end = time.time()
    for inst in instances:
        if inst.proc.poll() is not None:
            inst.start()

    # Settle: wait for every expected event and push (or the limit).
    def lost_events():
        with receiver.lock:
            got = {(b["body"].get("type"), b["body"].get("data", {}).get("id"), b["body"].get("data", {}).get("version"))
                   for b in receiver.got}
        return sorted(e for e in load.expected if e not in got)

    def pushes():
        out = {}
        try:
            with open(apns_log) as f:
                for line in f:
                    r = json.loads(line)
                    if r.get("status") == 200 and r.get("token"):
                        out.setdefault(r["token"].lower(), []).append(r["ts_ms"])
        except FileNotFoundError:
            pass
        return out

    def lost_pushes():
        got = pushes()
        lost = []
        for token, (pid, registered) in load.devices.items():
            if token == script_tokens[0]:
                continue  # Unregistered: the device is gone, nothing to push
            last = load.passes[pid]["last_change_ms"]
            if last <= registered:
                continue  # registered after the last change: it fetched the final version
            if not any(ts >= last for ts in got.get(token.lower(), [])):
                lost.append((token[-12:], pid))
        return lost

    def jobs_left():
        left = []
        for jid, serials in load.jobs:
            s, j, _ = load.call("poll", "GET", f"/v1/jobs/{jid}")
            if s != 200 or j.get("status") != "completed":
                left.append(jid)
        return left

    queues = (("webhook_deliveries", "delivering"), ("pushes", "sending"),
              ("google_updates", "sending"), ("job_chunks", "running"))

    def in_flight():
        return sum(int(db_query(db, f"SELECT COUNT(*) FROM {t} WHERE status = '{f}'")[0][0]) for t, f in queues)

    deadline = time.time() + a.settle
    while time.time() < deadline:
        if not lost_events() and not lost_pushes() and not jobs_left() and in_flight() == 0:
            break
        time.sleep(1)
    settled_s = time.time() - load_end

    # Reconcile.
    dup = {}
    with receiver.lock:
        for b in receiver.got:
            dup[b["id"]] = dup.get(b["id"], 0) + 1
    duplicates = sum(n - 1 for n in dup.values() if n > 1)
    job_problems = []
    for jid, serials in load.jobs:
        s, j, _ = load.call("poll", "GET", f"/v1/jobs/{jid}")
        if s != 200 or j.get("status") != "completed" or j.get("succeeded") != len(serials):
            job_problems.append(f"{jid}: {j}")
    if load.jobs:
        names = ",".join(f"'{s}'" for _, ss in load.jobs for s in ss)
        counted = db_query(db, f"SELECT serial_number, COUNT(*) FROM passes WHERE serial_number IN ({names}) GROUP BY serial_number")
        per = {r[0]: int(r[1]) for r in counted}
        for _, ss in load.jobs:
            for s in ss:
                if per.get(s, 0) != 1:
                    job_problems.append(f"{s}: {per.get(s, 0)} passes")
    stuck = in_flight()
    errors_outside = [(t, inst.name, op, st) for t, inst, op, st, _ in records
                      if (st == 0 or st >= 500) and not inst.was_down(t, 1.5)
                      and not (pg_restarted and pg_restarted - 1 <= t <= pg_restarted + 15)]
    lat = sorted(ms for _, _, op, st, ms in records if 200 <= st < 500 and op not in ("poll", "setup"))
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else 0
    report = {
        "backend": "postgres" if db.startswith("postgres") else "sqlite",
        "instances": n_inst, "duration_s": a.duration, "rate_per_s": a.rate, "kills": kills,
        "postgres_restarted": pg_restarted is not None,
        "requests": len(records), "p50_ms": round(q(0.5), 1), "p99_ms": round(q(0.99), 1),
        "errors_outside_kill_windows": len(errors_outside),
        "passes": len(load.passes), "events_expected": len(load.expected), "events_lost": len(lost_events()),
        "webhook_duplicates": duplicates, "devices": len(load.devices), "pushes_lost": len(lost_pushes()),
        "batch_jobs": len(load.jobs), "batch_problems": len(job_problems), "claims_in_flight_after": stuck,
        "settled_after_load_s": round(settled_s, 1),
    }
    print("passforge chaos soak")
    for k, v in report.items():
        print(f"  {k:30} {v}")
    if errors_outside[:5]:
        print("  first errors outside kill windows:", errors_outside[:5])
    if lost_events()[:5]:
        print("  first lost events:", lost_events()[:5])
    if lost_pushes()[:5]:
        print("  first lost pushes:", lost_pushes()[:5])
    if job_problems[:5]:
        print("  batch problems:", job_problems[:5])
    if a.report:
        with open(a.report, "w") as f:
            json.dump(report, f, indent=2)
    failed = (report["events_lost"] or report["pushes_lost"] or report["batch_problems"]
              or report["claims_in_flight_after"] or report["errors_outside_kill_windows"])
    if failed:
        print(f"soak: FAILED (logs in {work})")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("soak: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
