#!/usr/bin/env python3
"""Load benchmark of the service's hot paths, against the signing limit.

One command (a release build first: the numbers are about the product):

    cargo build --release && python3 benches/load/load.py

It measures `openssl speed rsa2048` on the server's core, starts
`passforge serve` on a fresh SQLite file pinned to that core (`taskset`),
creates passes, and drives it with `wrk` pinned to the other core:

- downloads of an unchanged pass (one pass, and passes spread over many);
- the same download answered 304 (`If-None-Match`);
- creates (`POST /v1/passes`, Google on: two signatures each);

each at 16 connections (creates also at 64), with wrk's latency
percentiles. It prints every rate beside its target (README, "Performance"):
downloads >= 3x the baseline (every download signing, as before versions
were signed once: measured in the same run with a hidden serve flag, and
issue 24's 2,788/s scaled by this run's openssl rate against that day's
2,763/s) and >= 0.8 of the 304 path; creates >= 0.8 of openssl's rate / 2; p99 <= 2.5x
p50 at 16 connections. `--json FILE` writes the numbers. Standard library
only; needs wrk (Debian: apt-get install wrk) and openssl.

The VM's speed drifts by 5-10% within a run (openssl's rate at the start
and at the end differ that much), so each ratio target compares rates
measured at the same moment: downloads over the 304 path is the median of
alternating pairs (`--pairs`, 5 by default: a short download run, then a
short 304 run), and creates are checked as the median of as many short
create runs (16 and 64 connections), each held against `openssl speed`
measured on the server's core just before and just after it. The long
runs' ratios are printed beside them as information.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ISSUER = "3388000000000000001"
BASELINE_DOWNLOADS = 2788.0  # /s, one signature per download (issue 24's measurement)
BASELINE_OPENSSL = 2763.0  # RSA-2048 signs/s on one core the day it was measured

TICKET = {
    "templateId": "event-ticket",
    "customFields": {"attendee": "Ada Lovelace", "seat": "A1", "doorsOpen": "2027-06-12T19:00:00+01:00"},
}

# wrk scripts: downloads spread over many passes; creates with a body.
MANY_LUA = """
ids = {}
for line in io.lines("%s") do ids[#ids + 1] = line end
n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/v1/passes/" .. ids[(n %% #ids) + 1] .. "/download")
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openssl_rate(core: int, seconds: int) -> float:
    out = subprocess.run(["taskset", "-c", str(core), "openssl", "speed", "-seconds", str(seconds), "rsa2048"],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"^rsa\s+2048 bits\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)", out, re.M)
    if not m:
        sys.exit(f"cannot read openssl speed's output:\n{out}")
    return float(m.group(1))


def wrk(core: int, url: str, conns: int, seconds: int, key: str, extra: list[str], script: str | None = None) -> dict:
    cmd = ["taskset", "-c", str(core), "wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency",
           "-H", f"x-api-key: {key}", *extra]
    if script:
        cmd += ["-s", script]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {}
    for p, v, unit in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        lat[p] = float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rate": rate, "p50_ms": lat.get("50"), "p99_ms": lat.get("99"),
            "non_2xx_3xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else None}


def request(url: str, key: str, method: str = "GET", body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"x-api-key": key, "content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}")


def require(binary: str, tools: tuple[str, ...], install: str) -> None:
    """Exits with what to install or build when a tool or the binary is missing."""
    for tool in tools:
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed (Debian: apt-get install {install})")
    if not os.path.exists(binary):
        sys.exit(f"{binary} not found: run `cargo build --release` first (or give --bin)")


def fresh_service(binary: str, work: str, name: str) -> tuple[dict, str, str]:
    """The environment of a server on a fresh SQLite file in `work` and a
    free port, its base URL, and an admin key created in that database."""
    port = free_port()
    env = dict(os.environ, PASSFORGE_DATABASE_URL=f"sqlite://{work}/{name}.db",
               PASSFORGE_TEMPLATES=os.path.join(ROOT, "templates"),
               PASSFORGE_LISTEN=f"127.0.0.1:{port}", PASSFORGE_LOG="warn")
    keys = subprocess.run([binary, "keys", "create", "--name", "load", "--scopes", "admin"],
                          env=env, check=True, capture_output=True, text=True)
    key = next(w for w in (keys.stdout + keys.stderr).split() if w.startswith("pfk_"))
    return env, f"http://127.0.0.1:{port}", key


def wait_ready(proc: subprocess.Popen, base: str, log: str, seconds: float) -> None:
    """Waits up to `seconds` for the server's /readyz; kills it and exits,
    pointing at its log, if it does not answer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/readyz", timeout=2)
            return
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit(f"the server did not start; see {log}")


def serve_args(binary: str, base: str) -> list[str]:
    """`passforge serve` with Google on and no rate limit in the way."""
    return [binary, "serve", "--public-url", base,
            "--rate-limit-per-minute", "100000000", "--rate-limit-burst", "1000000",
            "--google-issuer-id", ISSUER,
            "--google-service-account", os.path.join(ROOT, "certs-example", "google-service-account.json")]


def run() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.environ.get("PASSFORGE_BIN", os.path.join(ROOT, "target", "release", "passforge")))
    ap.add_argument("--seconds", type=int, default=10, help="each wrk run")
    ap.add_argument("--server-core", type=int, default=0)
    ap.add_argument("--load-core", type=int, default=1)
    ap.add_argument("--passes", type=int, default=500, help="passes the spread download run rotates over")
    ap.add_argument("--pairs", type=int, default=5, help="alternating short runs the download/304 and create ratios are checked on")
    ap.add_argument("--pair-seconds", type=int, default=3, help="each wrk run of a pair")
    ap.add_argument("--json", default="")
    a = ap.parse_args()
    if a.pairs < 1 or a.pair_seconds < 1:
        ap.error("--pairs and --pair-seconds must be at least 1")
    require(a.bin, ("wrk", "taskset", "openssl"), "wrk util-linux openssl")

    work = tempfile.mkdtemp(prefix="passforge-load-")
    results: dict = {}

    def server(name: str, extra: list[str]):
        """A fresh SQLite file, a key and `passforge serve` on the server core."""
        env, base, key = fresh_service(a.bin, work, name)
        proc = subprocess.Popen(["taskset", "-c", str(a.server_core), *serve_args(a.bin, base), *extra],
                                env=env, stdout=subprocess.DEVNULL,
                                stderr=open(os.path.join(work, f"{name}.log"), "w"))
        wait_ready(proc, base, os.path.join(work, f"{name}.log"), 10)
        return proc, base, key

    def stop(proc):
        proc.terminate()
        proc.wait(10)

    results["openssl_sign_per_s"] = openssl_rate(a.server_core, 3)
    # The baseline in the same run: every download signs (as before
    # versions were signed once).
    proc, base, key = server("baseline", ["--bench-sign-every-read"])
    try:
        one = request(f"{base}/v1/passes", key, "POST", TICKET)
        results["baseline_download_signs"] = wrk(a.load_core, f"{base}/v1/passes/{one['id']}/download", 16,
                                                 a.seconds, key, [])
    finally:
        stop(proc)

    proc, base, key = server("load", [])
    try:
        one = request(f"{base}/v1/passes", key, "POST", TICKET)
        ids = [request(f"{base}/v1/passes", key, "POST", TICKET)["id"] for _ in range(a.passes)]
        ids_file = os.path.join(work, "ids.txt")
        with open(ids_file, "w") as f:
            f.write("\n".join(ids) + "\n")
        many_lua = os.path.join(work, "many.lua")
        with open(many_lua, "w") as f:
            f.write(MANY_LUA % ids_file)
        create_lua = os.path.join(work, "create.lua")
        with open(create_lua, "w") as f:
            f.write('wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n'
                    % json.dumps(json.dumps(TICKET)))

        download = f"{base}/v1/passes/{one['id']}/download"
        etag = f"\"{one['id']}-v{one['version']}\""
        runs = [
            ("download_one_pass", download, 16, [], None),
            ("download_spread", f"{base}/", 16, [], many_lua),
            ("not_modified_304", download, 16, ["-H", f"If-None-Match: {etag}"], None),
            ("create_16", f"{base}/v1/passes", 16, [], create_lua),
            ("create_64", f"{base}/v1/passes", 64, [], create_lua),
        ]
        for name, url, conns, extra, script in runs:
            if name == "create_16":
                results["openssl_around_creates"] = [openssl_rate(a.server_core, 2)]
            results[name] = wrk(a.load_core, url, conns, a.seconds, key, extra, script)
        results["openssl_around_creates"].append(openssl_rate(a.server_core, 2))
        # Downloads over 304 on alternating pairs: both sides of a pair meet
        # the same moment of the VM's drift.
        pairs = []
        for _ in range(a.pairs):
            d = wrk(a.load_core, download, 16, a.pair_seconds, key, [])["rate"]
            n = wrk(a.load_core, download, 16, a.pair_seconds, key, ["-H", f"If-None-Match: {etag}"])["rate"]
            pairs.append(d / n)
        results["download_over_304_pairs"] = pairs
        # Creates against openssl on the server's core measured just before
        # and just after each short run (one openssl run between two create
        # runs serves both): a run and its limit meet the same moment.
        create_pairs: dict[int, list[float]] = {16: [], 64: []}
        for conns in (16, 64):
            before = openssl_rate(a.server_core, 1)
            for _ in range(a.pairs):
                rate = wrk(a.load_core, f"{base}/v1/passes", conns, a.pair_seconds, key, [], create_lua)["rate"]
                after = openssl_rate(a.server_core, 1)
                create_pairs[conns].append(rate / ((before + after) / 2 / 2))  # the limit: openssl's mean / 2
                before = after
        results["create_over_limit_pairs"] = {str(k): v for k, v in create_pairs.items()}
    finally:
        stop(proc)
    results["openssl_sign_per_s_after"] = openssl_rate(a.server_core, 3)

    sign = (results["openssl_sign_per_s"] + results["openssl_sign_per_s_after"]) / 2
    d1, ds, nm = results["download_one_pass"], results["download_spread"], results["not_modified_304"]
    base_rate = results["baseline_download_signs"]["rate"]
    c16, c64 = results["create_16"], results["create_64"]
    create_limit = statistics.mean(results["openssl_around_creates"]) / 2
    checks = [
        ("downloads (one pass) >= 3x signing every download, same run", d1["rate"] / base_rate, 3.0),
        (f"downloads (spread over {a.passes}) >= 3x signing every download", ds["rate"] / base_rate, 3.0),
        # The VM's speed varies from day to day (openssl's rate with it):
        # issue 24's absolute baseline scaled to this run's signing rate.
        (f"downloads (one pass) >= 3x issue 24's 2,788/s at this run's speed "
         f"({BASELINE_DOWNLOADS * sign / BASELINE_OPENSSL:,.0f}/s)",
         d1["rate"] / (BASELINE_DOWNLOADS * sign / BASELINE_OPENSSL), 3.0),
        (f"downloads (one pass) >= 0.8 of the 304 path, median of {a.pairs} alternating pairs",
         statistics.median(pairs), 0.8),
        (f"creates (16 conns) >= 0.8 of openssl/2, median of {a.pairs} runs each between two openssl runs",
         statistics.median(create_pairs[16]), 0.8),
        (f"creates (64 conns) >= 0.8 of openssl/2, median of {a.pairs} runs each between two openssl runs",
         statistics.median(create_pairs[64]), 0.8),
    ]
    print(f"openssl speed rsa2048 on core {a.server_core}: {results['openssl_sign_per_s']:,.0f} sign/s before, "
          f"{results['openssl_sign_per_s_after']:,.0f} after; around the create runs "
          + " and ".join(f"{r:,.0f}" for r in results["openssl_around_creates"])
          + f" (create limit {create_limit:,.0f}/s: two signatures)")
    print(f"{'run':<22}{'rate/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'p99/p50':>9}  errors")
    for name in ["baseline_download_signs", "download_one_pass", "download_spread", "not_modified_304",
                 "create_16", "create_64"]:
        r = results[name]
        ratio = (r["p99_ms"] / r["p50_ms"]) if r["p50_ms"] else float("nan")
        r["p99_over_p50"] = ratio
        print(f"{name:<22}{r['rate']:>10,.0f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}{ratio:>9.2f}  "
              f"{r['non_2xx_3xx']} non-2xx/3xx{', sockets: ' + r['socket_errors'] if r['socket_errors'] else ''}")
        if name not in ("create_64", "baseline_download_signs"):
            checks.append((f"{name}: p99 <= 2.5x p50 at 16 connections", 2.5 / ratio, 1.0))
    ok = True
    for what, value, target in checks:
        met = value >= target
        ok &= met
        shown = f"{value:.2f}" if target != 1.0 else ("met" if met else "missed")
        print(f"  {'MET   ' if met else 'MISSED'} {what}: {shown}")
    print("  INFO   downloads over 304, each pair: " + " ".join(f"{v:.2f}" for v in pairs)
          + f"; the long runs: {d1['rate'] / nm['rate']:.2f}")
    for conns in (16, 64):
        c = c16 if conns == 16 else c64
        print(f"  INFO   creates ({conns} conns) over openssl/2, each short run: "
              + " ".join(f"{v:.2f}" for v in create_pairs[conns])
              + f"; the long run against openssl around the long runs: {c['rate'] / create_limit:.2f}")
    # Not a check: where a create's time goes on the server's core (busy
    # throughout a create run), at openssl's rate measured around the runs.
    sig_us = 1e6 / create_limit  # a create's two signatures: one create's time at the limit
    rest = {n: 1e6 / results[n]["rate"] - sig_us for n in ("create_16", "create_64")}
    results["create_rest_us"] = rest
    print(f"  INFO   a create takes {1e6 / c16['rate']:.0f} us of the core at 16 connections "
          f"({1e6 / c64['rate']:.0f} at 64): two signatures {sig_us:.0f} us at openssl's rate, the rest "
          f"{rest['create_16']:.0f} us ({rest['create_64']:.0f}); 0.8 of the limit leaves the rest "
          f"{sig_us / 4:.0f} us, a quarter of the signatures")
    # Not a check: the absolute number, on a VM whose speed varies.
    print(f"  INFO   downloads (one pass) against issue 24's 2,788/s unscaled "
          f"(openssl then {BASELINE_OPENSSL:,.0f}/s, now {sign:,.0f}/s): {d1['rate'] / BASELINE_DOWNLOADS:.2f}x")
    results["checks"] = [{"what": w, "value": v, "target": t, "met": v >= t} for w, v, t in checks]
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=2)
    shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(run())
