#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""coord_interval.py: Example 27.2 with a coord.Flag beside multiprocessing's Value('b').

The lecture's experiment: the same work (interval.py's "cheap" sieve
look-up and "heavy" trial division), the same workers, checking the shared
flag every K iterations (K = 10, the frequent checker, and 1000, the rare
one; blocks, never `i % K`). The flag is either the lecture's
multiprocessing.Value('b', False) (`.value` takes its lock) or a
coord.Flag (`is_set()`: one atomic load). Overhead = the workers' CPU time
against a run without checks, the least disturbed of --runs. Prints one
JSON object.
"""
import argparse
import json
import multiprocessing as mp
import time

import coord
import interval  # the multiprocessing version of 27.2, beside this file

ctx = mp.get_context("fork")


def worker(wid, fn, n, k, check, out):
    cpu0 = time.process_time_ns()
    i = 0
    while i < n:
        end = min(i + k, n) if k else n
        while i < end:
            fn(i)
            i += 1
        if k and check():
            break
    out[wid] = time.process_time_ns() - cpu0


def one(workers, fn, n, k, flavour):
    if flavour == "coord":
        flag = coord.Flag()
        check = flag.is_set
    else:
        v = ctx.Value('b', False)
        check = lambda: v.value  # noqa: E731 (the lecture's read)
    out = coord.Array('q', workers)
    procs = [ctx.Process(target=worker, args=(w, fn, n, k, check, out)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return sum(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--intervals", default="10,1000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cpu-ms", type=float, default=30.0, help="CPU per worker per run")
    a = ap.parse_args()
    interval.SIEVE = interval.build_sieve()
    ks = [int(x) for x in a.intervals.split(",")]
    rows = []
    for work in ("cheap", "heavy"):
        fn = interval.WORKS[work]
        cost = interval.cost_of(fn, 200000 if work == "cheap" else 50)
        n = max(50, int(a.cpu_ms * 1e6 / cost))
        base = min(one(a.workers, fn, n, 0, "coord") for _ in range(a.runs))
        for k in ks:
            row = {"work": work, "check_every": k, "iteration_ns": round(cost, 1)}
            for flavour in ("multiprocessing", "coord"):
                t = min(one(a.workers, fn, n, k, flavour) for _ in range(a.runs))
                row[flavour + "_overhead_pct"] = round(100.0 * (t - base) / base, 2)
            rows.append(row)
    print(json.dumps({"workers": a.workers, "runs": a.runs, "rows": rows}))


if __name__ == "__main__":
    main()
