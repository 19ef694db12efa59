#!/usr/bin/env python3
"""Instructions a create costs, counted by valgrind: the RSA and the rest.

One command (a release build first):

    cargo build --release && python3 benches/load/instructions.py

On a shared VM the rate of creates moves by +-5% from run to run, more than
most single changes to the code around the signatures are worth. This counts
instead of timing: it starts `passforge serve` (fresh SQLite file, Google on)
under valgrind's callgrind with instrumentation off, warms it up with a few
creates, then counts the user-space instructions of `--creates` creates
(`POST /v1/passes`, 8 at a time) and splits them into OpenSSL's RSA signing
(`EVP_PKEY_sign`, two a create) and everything else (HTTP, JSON, rendering,
zip, SQLite, the runtime), less the background work (queue polls, WAL
checkpoints: by the clock, so ~50 times their share under valgrind's
slowdown) counted over a window as long with nothing to do. The counts
repeat to within 1% between runs, so a change to the code outside RSA
shows in "the rest" however noisy the machine. Instructions are not time: the kernel's share (sockets, futexes,
SQLite's writes) is not counted, and RSA runs at a higher IPC than the rest;
the rate of creates is load.py's measure. `--json FILE` writes the numbers.
`--keep` keeps the callgrind dumps for
`callgrind_annotate`. Standard library only; needs valgrind (Debian: apt-get install valgrind).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from load import ROOT, TICKET, fresh_service, require, serve_args, wait_ready


def creates(port: int, key: str, n: int) -> int:
    """Posts `n` creates over 8 kept-alive connections (as wrk does);
    returns how many answered 201."""
    local = threading.local()
    body = json.dumps(TICKET).encode()
    headers = {"x-api-key": key, "content-type": "application/json"}

    def post(_: int) -> int:
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        local.conn.request("POST", "/v1/passes", body=body, headers=headers)
        r = local.conn.getresponse()
        r.read()
        return r.status

    with ThreadPoolExecutor(8) as pool:
        return sum(1 for s in pool.map(post, range(n)) if s == 201)


def counts(dump: str) -> tuple[int, int]:
    """A callgrind dump's total instructions and those under RSA signing."""
    annotated = subprocess.run(["callgrind_annotate", "--inclusive=yes", dump],
                               capture_output=True, text=True, check=True).stdout
    total = re.search(r"^\s*([\d,]+) \([^)]*\)\s+PROGRAM TOTALS", annotated, re.M)
    if not total:
        sys.exit(f"cannot read callgrind_annotate's totals from {dump}")
    return int(total.group(1).replace(",", "")), inclusive(annotated, "EVP_PKEY_sign")


def inclusive(annotated: str, symbol: str) -> int:
    m = re.search(r"^\s*([\d,]+) \([^)]*\)\s+\S*:?" + re.escape(symbol) + r" \[", annotated, re.M)
    return int(m.group(1).replace(",", "")) if m else 0


def run() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.environ.get("PASSFORGE_BIN", os.path.join(ROOT, "target", "release", "passforge")))
    ap.add_argument("--creates", type=int, default=400)
    ap.add_argument("--json", default="")
    ap.add_argument("--keep", action="store_true",
                    help="keep the callgrind dumps (for callgrind_annotate) and print where")
    a = ap.parse_args()
    require(a.bin, ("valgrind", "callgrind_control", "callgrind_annotate"), "valgrind")

    work = tempfile.mkdtemp(prefix="passforge-instructions-")
    env, base, key = fresh_service(a.bin, work, "load")
    port = int(base.rsplit(":", 1)[1])
    out = os.path.join(work, "callgrind.out")
    proc = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
         *serve_args(a.bin, base)],
        env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "serve.log"), "w"))
    try:
        # valgrind starts the server some 50 times slower.
        wait_ready(proc, base, os.path.join(work, "serve.log"), 60)
        if creates(port, key, 40) != 40:
            sys.exit(f"warm-up creates failed; see {work}/serve.log")
        def control(*args: str) -> None:
            subprocess.run(["callgrind_control", *args, str(proc.pid)], check=True, capture_output=True)

        control("-i", "on")
        started = time.monotonic()
        ok = creates(port, key, a.creates)
        window = time.monotonic() - started
        control("-d", "creates")
        # The same wall time with nothing to do: the background work (queue
        # polls, WAL checkpoints) runs by the clock, and valgrind's slowdown
        # makes it look ~50 times larger per create than it is.
        control("-z")
        time.sleep(window)
        control("-d", "idle")
        control("-i", "off")
    finally:
        proc.terminate()
        proc.wait(120)
    if ok != a.creates:
        sys.exit(f"{a.creates - ok} of {a.creates} creates failed; see {work}/serve.log")
    dumps = sorted((f for f in os.listdir(work) if f.startswith("callgrind.out.")),
                   key=lambda f: int(f.rsplit(".", 1)[1]) if f.rsplit(".", 1)[1].isdigit() else 0)
    if len(dumps) < 2:
        sys.exit(f"callgrind wrote {dumps} in {work}, not the two windows")
    (total, rsa), (idle, _) = (counts(os.path.join(work, d)) for d in dumps[:2])
    if rsa == 0:
        sys.exit(f"no EVP_PKEY_sign in {dumps[0]}: was the binary built with OpenSSL signing?")
    rest = total - rsa - idle
    per = {"creates": ok, "seconds_under_valgrind": window, "instructions_per_create": (total - idle) / ok,
           "rsa_per_create": rsa / ok, "rest_per_create": rest / ok, "idle_per_create": idle / ok}
    print(f"{ok} creates under callgrind (user-space instructions; kernel time not counted)")
    print(f"  per create:  {per['instructions_per_create'] / 1e6:8.3f} M")
    print(f"  RSA (EVP_PKEY_sign, two signatures): {per['rsa_per_create'] / 1e6:8.3f} M")
    print(f"  the rest:    {per['rest_per_create'] / 1e6:8.3f} M "
          f"({100 * rest / (total - idle):.1f}% of the instructions)")
    print(f"  (not counted: {per['idle_per_create'] / 1e6:.3f} M a create of background work, measured "
          f"over the same {window:.0f} s with nothing to do)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(per, f, indent=2)
    if a.keep:
        print(f"  callgrind dumps: {os.path.join(work, dumps[0])} (creates), {os.path.join(work, dumps[1])} (idle)")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(run())
