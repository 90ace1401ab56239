#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""primes.py: Example 27.1 in Python, as the lecture writes it, beside `coord primes`.

Each worker searches its contiguous block of numbers with the lecture's
isPrime. It reads the shared flag (multiprocessing.Value('b', False)) every
`--interval` numbers, run as blocks (never `i % K`, which costs more than the
check). The first hit takes the flag's lock, checks again, sets the flag and
puts its result on a multiprocessing.Queue (lock -> check -> set -> release).
All workers are joined before the parent reads the queue.

Prints one JSON object with the medians over --runs: wall time (from before
the first Process starts to after the last join: the same span as coord's
wall_ns), iterations, wasted iterations after the claim (per other worker:
the numbers it tested after its last check that saw the flag clear), stop
latency (claim to the last other worker leaving its loop), winner, result.
"""
import argparse
import json
import multiprocessing as mp
import statistics
import time

import die_with_parent  # noqa: F401  (its workers die with it: a SIGKILLed coord leaves none)


def is_prime(n):
    if n < 4:
        return n >= 2
    if n % 2 == 0 or n % 3 == 0:
        return False
    d = 5
    while d * d <= n:
        if n % d == 0 or n % (d + 2) == 0:
            return False
        d += 6
    return True


# Per-worker slots in a shared array: iterations, wasted, left_ns, claim_ns.
SLOT = 4


def worker(wid, lo, hi, target, any_prime, interval, early, found_flag,
           result_queue, stats, ready, go):
    with ready.get_lock():
        ready.value += 1
    go.wait()
    n = lo
    last_clear = lo      # position of the last check that saw the flag clear
    seen = False
    hit = None
    while n < hi:
        end = min(n + interval, hi)
        while n < end:
            p = is_prime(n)
            n += 1
            if p and (any_prime or n - 1 == target):
                hit = n - 1
                break
        if hit is not None:
            break
        if n >= hi:
            break
        if not seen:
            if found_flag.value:                 # the cheap read
                if early:
                    break
                seen = True
            else:
                last_clear = n
    claim_ns = 0
    if hit is not None:
        with found_flag.get_lock():              # acquire the lock
            if not found_flag.value:             # double check inside it
                found_flag.value = True          # set the flag
                claim_ns = time.monotonic_ns()
                result_queue.put((wid, hit))     # record the result
    left_ns = claim_ns or time.monotonic_ns()
    wasted = 0
    if claim_ns == 0 and (seen or found_flag.value or hit is not None):
        wasted = n - last_clear
    base = wid * SLOT
    stats[base + 0] = n - lo
    stats[base + 1] = wasted
    stats[base + 2] = left_ns
    stats[base + 3] = claim_ns


def one_run(args, early):
    ctx = mp.get_context("fork")
    found_flag = ctx.Value('b', False)
    result_queue = ctx.Queue()
    stats = ctx.Array('q', args.workers * SLOT, lock=False)
    ready = ctx.Value('i', 0)
    go = ctx.Event()
    t0 = time.monotonic_ns()
    procs = []
    for w in range(args.workers):
        lo = args.start + w * args.range
        p = ctx.Process(target=worker,
                        args=(w, lo, lo + args.range, args.target, args.any,
                              args.interval, early, found_flag, result_queue,
                              stats, ready, go))
        p.start()
        procs.append(p)
    while ready.value < args.workers:
        time.sleep(0.0001)
    go.set()
    winner, result = -1, 0
    # Slide 11: join every worker, then read. One small result fits in the
    # queue's pipe, so a child's feeder thread never blocks its exit.
    for p in procs:
        p.join()
    if not result_queue.empty():                 # slide 11: handle no result
        winner, result = result_queue.get(timeout=5)
    wall = time.monotonic_ns() - t0
    for p in procs:
        if p.exitcode != 0:
            raise SystemExit(f"worker {p.name} failed: exit code {p.exitcode}")
    it = sum(stats[w * SLOT] for w in range(args.workers))
    claim = stats[winner * SLOT + 3] if winner >= 0 else 0
    wasted = sum(stats[w * SLOT + 1] for w in range(args.workers)
                 if w != winner) if winner >= 0 else 0
    stop = 0
    if winner >= 0:
        for w in range(args.workers):
            left = stats[w * SLOT + 2]
            if w != winner and left > claim:
                stop = max(stop, left - claim)
    return dict(wall_ns=wall, iterations=it, wasted=wasted,
                stop_latency_ns=stop, winner=winner, result=result)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--range", type=int, default=100000)
    ap.add_argument("--start", type=int, default=1000000)
    ap.add_argument("--target", type=int, default=-1)
    ap.add_argument("--any", action="store_true")
    ap.add_argument("--interval", type=int, default=1)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--claim", choices=["cas", "lock"], default="lock",
                    help="Python has only the lock: both mean lock")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--early-exit", dest="early", action="store_true",
                   default=True)
    g.add_argument("--no-early-exit", dest="early", action="store_false")
    args = ap.parse_args()
    if args.workers < 1 or args.range < 1 or args.interval < 1 or args.runs < 1:
        ap.error("workers, range, interval and runs must be positive")
    if not args.any and args.target < 0:
        ap.error("give --target N or --any")
    runs = [one_run(args, args.early) for _ in range(args.runs)]
    out = {"lang": "python",
           "mode": "early_exit" if args.early else "no_early_exit",
           "runs": args.runs, "check_every": args.interval,
           "winner": runs[-1]["winner"], "result": runs[-1]["result"]}
    for k in ("wall_ns", "iterations", "wasted", "stop_latency_ns"):
        out[k] = statistics.median(r[k] for r in runs)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
