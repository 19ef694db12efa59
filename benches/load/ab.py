#!/usr/bin/env python3
"""Side-by-side rate of creates of two builds, for changes smaller than the
VM's drift.

    python3 benches/load/ab.py OLD_BINARY NEW_BINARY [--rounds 12] [--seconds 2]

The VM's speed drifts by 5-20% from one minute to the next, more than most
changes around the signatures are worth, so one run of each build says
little. This starts both builds' servers at once (fresh SQLite files, Google
on), pinned to the same core, and drives them with `wrk` on the other core
in short alternating runs (A B, B A, ...): each pair meets the same drift.
It prints every rate and the median of the pairs' ratios (B/A): an A/A run
of one build gives 0.99-1.00 with single pairs from 0.8 to 1.1, so take a
median of 10 or more pairs.

To see the part of a create outside RSA (about a third of it; its changes
are three times as visible without the signatures), build both with the
two signing calls returning a constant signature (a local patch to
`SigningIdentity::sign_digest` and Google's `OpensslRs256::try_sign`:
never ship it) and compare those.

`--env-a K=V,...` / `--env-b K=V,...` add environment variables to one
server only. Standard library only; needs wrk and taskset (load.py's).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile

from load import TICKET, fresh_service, request, require, serve_args, wait_ready, wrk


def run() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a", help="the build to compare against")
    ap.add_argument("b", help="the changed build")
    ap.add_argument("--rounds", type=int, default=12, help="pairs of runs")
    ap.add_argument("--seconds", type=int, default=2, help="each wrk run")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--server-core", type=int, default=0)
    ap.add_argument("--load-core", type=int, default=1)
    ap.add_argument("--env-a", default="")
    ap.add_argument("--env-b", default="")
    a = ap.parse_args()
    bins = [os.path.abspath(a.a), os.path.abspath(a.b)]
    for b in bins:
        require(b, ("wrk", "taskset"), "wrk util-linux")

    work = tempfile.mkdtemp(prefix="passforge-ab-")
    lua = os.path.join(work, "create.lua")
    with open(lua, "w") as f:
        f.write('wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n'
                % json.dumps(json.dumps(TICKET)))
    servers = []
    try:
        for i, (binary, extra) in enumerate(zip(bins, (a.env_a, a.env_b))):
            env, base, key = fresh_service(binary, work, f"s{i}")
            for kv in filter(None, extra.split(",")):
                k, v = kv.split("=", 1)
                env[k] = v
            log = os.path.join(work, f"s{i}.log")
            proc = subprocess.Popen(["taskset", "-c", str(a.server_core), *serve_args(binary, base)],
                                    env=env, stdout=subprocess.DEVNULL, stderr=open(log, "w"))
            servers.append((proc, base, key))
            wait_ready(proc, base, log, 10)
            request(f"{base}/v1/passes", key, "POST", TICKET)
        for _, base, key in servers:  # warm-up
            wrk(a.load_core, f"{base}/v1/passes", a.connections, 1, key, [], lua)
        rates: list[list[float]] = [[], []]
        for r in range(a.rounds):
            for i in ((0, 1) if r % 2 == 0 else (1, 0)):
                _, base, key = servers[i]
                res = wrk(a.load_core, f"{base}/v1/passes", a.connections, a.seconds, key, [], lua)
                if res["non_2xx_3xx"] or res["socket_errors"]:
                    raise SystemExit(f"{'AB'[i]}: failed requests: {res}")
                rates[i].append(res["rate"])
    finally:
        for proc, _, _ in servers:
            proc.terminate()
            proc.wait(10)
    ratios = [b / a for a, b in zip(*rates)]
    for name, rs in zip("AB", rates):
        print(f"{name} ({bins['AB'.index(name)]}): " + " ".join(f"{x:.0f}" for x in rs))
    print(f"creates/s median A {statistics.median(rates[0]):.0f}, B {statistics.median(rates[1]):.0f}; "
          f"B/A median of {len(ratios)} pairs {statistics.median(ratios):.3f} "
          f"(mean {statistics.mean(ratios):.3f}, {min(ratios):.3f}-{max(ratios):.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
