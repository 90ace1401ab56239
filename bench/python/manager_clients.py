#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""manager_clients.py: gets per second of N processes sharing one dict, coord.Manager against multiprocessing.Manager.

For each N in --clients, N forked processes each open their own connection, do 200 warm-up gets,
wait for a common go, then get d['k'] back to back for --secs seconds and count. Prints one line
per N: the aggregate gets/s of all N together and the mean per get (N / aggregate). With --mp,
the same with multiprocessing.Manager().dict() beside it. On 2 cores, coord's clients beyond the
first take turns (docs/scaling.md "Turns"), so the aggregate should stay near one client's.
Usage: manager_clients.py [--clients 1,2,4,16] [--secs 1] [--mp] [--path BUILD/python]
"""
import argparse
import multiprocessing as mp
import sys
import time


def client(d, secs, ready, go, counts, i):
    for _ in range(200):
        if d["k"] != 42:
            raise SystemExit("manager_clients: wrong value")
    with ready.get_lock():
        ready.value += 1
    go.wait()
    n = 0
    end = time.perf_counter() + secs
    while True:
        for _ in range(64):
            if d["k"] != 42:
                raise SystemExit("manager_clients: wrong value")
        n += 64
        if time.perf_counter() >= end:
            break
    counts[i] = n


def run(d, n, secs):
    ctx = mp.get_context("fork")
    ready = ctx.Value("i", 0)
    go = ctx.Event()
    counts = ctx.Array("q", n)
    ps = [ctx.Process(target=client, args=(d, secs, ready, go, counts, i)) for i in range(n)]
    for p in ps:
        p.start()
    deadline = time.monotonic() + 60
    while ready.value < n:
        if time.monotonic() > deadline:
            raise SystemExit("manager_clients: clients did not start")
        time.sleep(0.001)
    go.set()
    for p in ps:
        p.join(secs + 60)
        if p.exitcode != 0:
            raise SystemExit(f"manager_clients: a client failed ({p.exitcode})")
    total = sum(counts)
    return total / secs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", default="1,2,4,16")
    ap.add_argument("--secs", type=float, default=1.0)
    ap.add_argument("--mp", action="store_true", help="also multiprocessing.Manager")
    ap.add_argument("--path", help="where the coord package is (a build's python/)")
    a = ap.parse_args()
    if a.path:
        sys.path.insert(0, a.path)
    import coord
    ns = [int(x) for x in a.clients.split(",") if x]
    if not ns or min(ns) < 1 or max(ns) > 256 or a.secs <= 0:
        raise SystemExit("manager_clients: --clients takes counts 1..256, --secs a positive time")
    kinds = [("coord.Manager", coord.Manager())]
    if a.mp:
        kinds.append(("multiprocessing.Manager", mp.get_context("fork").Manager()))
    for name, mgr in kinds:
        d = mgr.dict("d") if name.startswith("coord") else mgr.dict()
        d["k"] = 42
        for n in ns:
            agg = run(d, n, a.secs)
            print(f"{name:24s} clients={n:3d} aggregate_gets_per_s={agg:12.0f} "
                  f"mean_us_per_get={n / agg * 1e6:8.2f}", flush=True)
        mgr.shutdown()


if __name__ == "__main__":
    main()
