#!/usr/bin/env python3
"""What raises a disk folder's create rate: one folder or 256 subfolders,
one writer or two.

    python3 benches/folder/probe.py /path/on/the/disk [--files 1000] [--rounds 3]

Writes files of a pass's size (90 KB) the way `passforge issue` does (temp
name, write, rename), flat (`<dir>/<serial>.pkpass`) and sharded
(`<dir>/ab/<serial>.pkpass`), with 1 and 2 writer threads, and prints the
files/s of each. No signing: this is the folder's own limit, the one
`passforge bench` reports as "folder create rate". Standard library only
(the writes release the GIL, so two threads write in parallel).
"""

import argparse
import os
import shutil
import threading
import time


def run(base: str, n: int, threads: int, sharded: bool, size: int) -> float:
    os.makedirs(base, exist_ok=True)
    body = b"\x5a" * size
    if sharded:
        for i in range(256):
            os.makedirs(f"{base}/{i:02x}", exist_ok=True)

    def work(k: int) -> None:
        for i in range(k, n, threads):
            p = f"{base}/{i % 256:02x}/S{i:07d}.pkpass" if sharded else f"{base}/S{i:07d}.pkpass"
            fd = os.open(p + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, body)
            os.close(fd)
            os.rename(p + ".tmp", p)

    start = time.time()
    ts = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return n / (time.time() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", help="a folder on the disk to measure (created and removed)")
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--size", type=int, default=90_000)
    a = ap.parse_args()
    for rnd in range(a.rounds):
        line = []
        for sharded in (False, True):
            for threads in (1, 2):
                d = os.path.join(a.dir, f"probe-{int(sharded)}-{threads}-{rnd}")
                os.sync()  # each measurement starts with no dirty pages of the last
                rate = run(d, a.files, threads, sharded, a.size)
                shutil.rmtree(d)
                line.append(f"{'sharded' if sharded else 'flat'} x{threads}: {rate:,.0f}/s")
        print(f"round {rnd + 1}: " + ", ".join(line), flush=True)


if __name__ == "__main__":
    main()
