#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""coord_primes.py: Example 27.1 with coord.search beside the lecture's multiprocessing version.

Both search the same contiguous blocks (one per worker, the lecture's
partition) for the same target with the same is_prime: primes.py's
multiprocessing workers (Value flag read every K numbers, lock -> check ->
set, result Queue, join) and coord.search(probe, ..., check_every=K,
partition="blocks", claim="lock"/"cas"), whose loop, block-wise flag check
and claim run in C while the probe is Python. Runs alternate; prints one
JSON object with the medians of each and the checks: same result, coord's
wasted <= (workers - 1) * K, and the wall-time ratio.
"""
import argparse
import json
import statistics
import time

import coord
import primes  # the lecture's version, beside this file


def probe_for(target, any_prime):
    is_prime = primes.is_prime
    if any_prime:
        return lambda n: n if is_prime(n) else None
    return lambda n: n if n == target and is_prime(n) else None


def coord_run(args):
    stop = args.start + args.workers * args.range
    t0 = time.monotonic_ns()
    r = coord.search(probe_for(args.target, args.any), args.start, stop,
                     workers=args.workers, check_every=args.interval,
                     partition="blocks", claim=args.claim)
    wall = time.monotonic_ns() - t0
    return dict(wall_ns=wall, iterations=r.iterations, wasted=r.wasted,
                stop_latency_ns=r.stop_latency_ns, winner=r.winner,
                result=r.value if r.found else 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--range", type=int, default=100000)
    ap.add_argument("--start", type=int, default=1000000)
    ap.add_argument("--target", type=int, default=-1,
                    help="default: the first prime of the last block's middle")
    ap.add_argument("--any", action="store_true")
    ap.add_argument("--interval", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--claim", choices=["cas", "lock"], default="lock")
    args = ap.parse_args()
    if args.target < 0 and not args.any:
        n = args.start + (args.workers - 1) * args.range + args.range // 2
        while not primes.is_prime(n):
            n += 1
        args.target = n
    args.early = True
    mp_runs, c_runs = [], []
    for _ in range(args.runs):
        mp_runs.append(primes.one_run(args, True))
        c_runs.append(coord_run(args))
    out = {"workers": args.workers, "check_every": args.interval, "target": args.target,
           "runs": args.runs}
    for name, runs in (("multiprocessing", mp_runs), ("coord", c_runs)):
        out[name] = {k: statistics.median(r[k] for r in runs)
                     for k in ("wall_ns", "iterations", "wasted", "stop_latency_ns")}
        out[name]["result"] = runs[-1]["result"]
        out[name]["winner"] = runs[-1]["winner"]
    bound = (args.workers - 1) * args.interval
    out["checks"] = {
        "same_result": out["coord"]["result"] == out["multiprocessing"]["result"],
        "coord_wasted_within_bound": max(r["wasted"] for r in c_runs) <= bound,
        "wasted_bound": bound,
        "coord_faster": out["coord"]["wall_ns"] < out["multiprocessing"]["wall_ns"],
        "wall_speedup": out["multiprocessing"]["wall_ns"] / out["coord"]["wall_ns"],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
