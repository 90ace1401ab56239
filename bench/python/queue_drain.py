#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""queue_drain.py: the lecture's drain loop, `while not q.empty(): q.get()`, over n queued items.

For each n in --sizes, fills a coord.Queue of capacity n with n 8-byte put_bytes, then times the
drain loop (time.perf_counter around it) and prints ns per item; with --mp, the same loop over a
multiprocessing.Queue beside it. --runs repeats each size and prints the median. empty() must
stay O(1): ns per item should not grow with n (docs/results.md, "A drain loop over empty()").
Usage: queue_drain.py [--sizes 1000,10000,30000] [--runs 3] [--mp] [--path BUILD/python]
"""
import argparse
import statistics
import sys
import time


def drain_ns(q, n, put, get):
    for i in range(n):
        put(q, i)
    t = time.perf_counter()
    k = 0
    while not q.empty():
        get(q)
        k += 1
    dt = time.perf_counter() - t
    if k != n:
        raise SystemExit(f"queue_drain: drained {k} of {n}")
    return dt / n * 1e9


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,30000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mp", action="store_true", help="also multiprocessing.Queue")
    ap.add_argument("--path", help="where the coord package is (a build's python/)")
    a = ap.parse_args()
    if a.path:
        sys.path.insert(0, a.path)
    import coord
    try:
        sizes = [int(x) for x in a.sizes.split(",")]
    except ValueError:
        ap.error(f"bad --sizes '{a.sizes}': comma-separated whole numbers")
    if a.runs < 1 or any(n < 1 or n > 1 << 20 for n in sizes):
        ap.error("--runs and every size must be at least 1 (sizes at most 1048576)")
    for n in sizes:
        row = []
        for _ in range(a.runs):
            q = coord.Queue(n, max_msg=16)
            row.append(drain_ns(q, n, lambda q, i: q.put_bytes(i.to_bytes(8, "little")),
                                lambda q: q.get_bytes()))
        line = f"n={n} coord_ns_per_item={statistics.median(row):.0f}"
        if a.mp:
            import multiprocessing as mp
            mrow = []
            for _ in range(a.runs):
                q = mp.Queue(n)
                # put() hands items to a feeder thread: empty() may say True before they
                # reach the pipe, so wait until all are in before timing.
                for i in range(n):
                    q.put(i)
                time.sleep(0.2 + n / 200000)
                t = time.perf_counter()
                k = 0
                while not q.empty():
                    q.get()
                    k += 1
                mrow.append((time.perf_counter() - t) / max(k, 1) * 1e9)
                q.close()
            line += f" mp_ns_per_item={statistics.median(mrow):.0f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
