#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""interval.py: Example 27.2 in Python, beside `coord interval`.

The same two iterations as coord's: "cheap" looks n up in a sieve of
Eratosthenes, "heavy" divides n ~ 10^7 by every odd d <= sqrt(n). Workers
read the shared flag (multiprocessing.Value('b', False), whose .value takes
the Value's lock) once per block of K iterations (blocks, never `i % K`).

Overhead: each worker's CPU time (time.process_time_ns) for a run with
checks against a run without any, the least disturbed of --runs each.
Stop latency: worker 0 finds the hit between 40 % and 60 % of its block and
claims it with the lecture's lock + double check; the latency runs from its
claim to the last other worker leaving its loop (time.monotonic_ns, the
clock coord uses), p50/p99 over --stops runs in which every other worker
was still in its loop at the claim (up to 3 tries per stop, as coord's; a
cell with none says null).

Prints one JSON object; each row is on its own line.
"""
import argparse
import math
import multiprocessing as mp
import random
import statistics
import time

import die_with_parent  # noqa: F401  (its workers die with it: a SIGKILLed coord leaves none)

SIEVE_BITS = 22
SIEVE_LEN = 1 << SIEVE_BITS
MASK = SIEVE_LEN - 1
HEAVY_BASE = 10_000_000
RUN_NS = 50_000_000         # CPU time per worker per overhead run

SIEVE = None                # built before the workers fork


def build_sieve():
    s = bytearray([1]) * SIEVE_LEN
    s[0] = s[1] = 0
    for p in range(2, math.isqrt(SIEVE_LEN - 1) + 1):
        if s[p]:
            s[p * p::p] = bytes(len(range(p * p, SIEVE_LEN, p)))
    return s


def cheap(i):
    return SIEVE[i & MASK]


def heavy(i):
    n = HEAVY_BASE + i
    count = 0
    d = 3
    while d * d <= n:
        if n % d == 0:
            count += 1
        d += 2
    return count


WORKS = {"cheap": cheap, "heavy": heavy}


def worker(wid, work, lo, hi, interval, hit, flag, out, ready, go):
    fn = WORKS[work]
    with ready.get_lock():
        ready.value += 1
    go.wait()
    cpu0 = time.process_time_ns()
    i = lo
    claim = 0
    found = False
    while i < hi:
        end = min(i + interval, hi) if interval else hi
        while i < end:
            fn(i)
            i += 1
            if i - 1 == hit:
                found = True
                break
        if found:
            with flag.get_lock():               # lock, check again, set
                if not flag.value:
                    flag.value = True
                    claim = time.monotonic_ns()
            break
        if interval and flag.value:             # the check
            break
    left = claim or time.monotonic_ns()
    out[wid * 3 + 0] = time.process_time_ns() - cpu0
    out[wid * 3 + 1] = left
    out[wid * 3 + 2] = claim


def one(args, work, per_worker, interval, hit):
    ctx = mp.get_context("fork")
    flag = ctx.Value('b', False)
    out = ctx.Array('q', args.workers * 3, lock=False)
    ready = ctx.Value('i', 0)
    go = ctx.Event()
    procs = [ctx.Process(target=worker,
                         args=(w, work, w * per_worker, (w + 1) * per_worker,
                               interval, hit, flag, out, ready, go))
             for w in range(args.workers)]
    for p in procs:
        p.start()
    while ready.value < args.workers:
        time.sleep(0.0001)
    go.set()
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"worker failed: exit code {p.exitcode}")
    cpu = sum(out[w * 3] for w in range(args.workers))
    return cpu, stop_latency(out, args.workers)


def stop_latency(out, workers):
    """Claim to the last other worker leaving its loop, or None when the
    run has no stop to measure: no claim, or another worker had left its
    loop (its share done) before the claim, so the flag stopped nobody.
    coord's side counts a run only when every other worker was still in
    its loop at the claim; a run that stopped nobody used to count here as
    a stop latency of 0 ns (or the latency of the workers that were left),
    which pulled Python's p50 down beside coord's."""
    claim = out[2]
    if not claim:
        return None
    left = [out[w * 3 + 1] for w in range(1, workers)]
    if any(t <= claim for t in left):
        return None
    return max(t - claim for t in left)


def cost_of(fn, n):
    t0 = time.perf_counter_ns()
    for i in range(n):
        fn(i)
    return (time.perf_counter_ns() - t0) / n


def pct(values, q):
    v = sorted(values)
    pos = q / 100 * (len(v) - 1)
    lo = int(pos)
    if lo + 1 >= len(v):
        return v[-1]
    return v[lo] + (v[lo + 1] - v[lo]) * (pos - lo)


def ns_or_null(v):
    """A latency for the JSON: integer ns, or null when none was measured."""
    return "null" if v is None else "%.0f" % v


def main():
    global SIEVE
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--intervals", default="1,10,100,1000,10000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--stops", type=int, default=7)
    ap.add_argument("--work", choices=["cheap", "heavy", "both"],
                    default="both")
    args = ap.parse_args()
    intervals = [int(x) for x in args.intervals.split(",") if x]
    if args.workers < 2 or args.runs < 1 or args.stops < 1 or \
            any(k < 1 for k in intervals):
        ap.error("workers >= 2, runs, stops and intervals >= 1")
    SIEVE = build_sieve()
    works = ["cheap", "heavy"] if args.work == "both" else [args.work]
    costs = {w: cost_of(WORKS[w], 200000 if w == "cheap" else 50)
             for w in works}
    rows = []
    rng = random.Random(1234)
    for work in works:
        per_worker = max(50, int(RUN_NS / costs[work]))
        # Overhead: the baseline and each interval once per run, rotating.
        times = {k: [] for k in intervals + [0]}
        order = intervals + [0]                 # 0: never check
        for r in range(args.runs):
            for j in range(len(order)):
                k = order[(j + r) % len(order)]
                cpu, _ = one(args, work, per_worker, k, -1)
                times[k].append(cpu)
        base = min(times[0])
        stop_share = max(50, per_worker // 2)
        for k in intervals:
            lat = []
            # As coord's side: up to three tries per wanted stop, a run
            # counting only when the claim stopped every other worker.
            for _ in range(3 * args.stops):
                if len(lat) == args.stops:
                    break
                hit = stop_share * 2 // 5 + rng.randrange(stop_share // 5 + 1)
                _, stop = one(args, work, stop_share, k, hit)
                if stop is not None:
                    lat.append(stop)
            rows.append({"work": work, "interval": k,
                         "overhead_pct": (min(times[k]) - base) / base * 100,
                         "stops": len(lat),
                         "stop_latency_p50_ns":
                             statistics.median(lat) if lat else None,
                         "stop_latency_p99_ns": pct(lat, 99) if lat else None})
    print("{\"lang\":\"python\",\"workers\":%d,\"runs\":%d,\"stops\":%d,"
          % (args.workers, args.runs, args.stops))
    print("\"cheap_iteration_ns\":%.1f,\"heavy_iteration_ns\":%.1f,"
          % (costs.get("cheap", 0), costs.get("heavy", 0)))
    print("\"rows\":[")
    for n, row in enumerate(rows):
        print("{\"work\":\"%s\",\"interval\":%d,\"overhead_pct\":%.3f,"
              "\"stops\":%d,"
              "\"stop_latency_p50_ns\":%s,\"stop_latency_p99_ns\":%s}%s"
              % (row["work"], row["interval"], row["overhead_pct"],
                 row["stops"],
                 ns_or_null(row["stop_latency_p50_ns"]),
                 ns_or_null(row["stop_latency_p99_ns"]),
                 "," if n + 1 < len(rows) else ""))
    print("]}")


if __name__ == "__main__":
    main()
