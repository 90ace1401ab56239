#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""coord_speed.py: the Python package's speed targets, coord beside multiprocessing in one run.

Rows (medians over --runs, measured side by side, alternating):
  flag_read     coord.Flag().is_set()  vs  multiprocessing Value('b').value (synchronized)
  flag_truth    `if flag:` (the same load, no method call)
  claim         Flag.reset(); Flag.claim()  vs  v.value = False; with v.get_lock():
                if not v.value: v.value = True  (the reset is in both)
  queue_1to1    put + get of small objects (pickled), 1 producer -> 1 consumer, msgs/s
  queue_1to4    the same, 1 producer -> 4 consumers, ended with pills (None for mp)
  manager_get   coord.Manager().dict('d')['k']  vs  multiprocessing Manager().dict()['k']
                (each server in its own process: one round trip per get)
  pool_map      Pool(2).map(noop, range(--tasks)), both with their automatic chunks, ns a task
  pool_imap     list(Pool(2).imap(noop, range(--tasks // 10))), chunksize 1 (both defaults)
  pool_apply    apply_async(noop, (i,)) --tasks // 20 times, then every get(), ns a task
                (one pool of each per run, started before the clock; runs alternate)
In-memory rows subtract the empty Python loop. Prints a table, or JSON with --json.
"""
import argparse
import json
import multiprocessing as mp
import statistics
import sys
import time

import coord

now = time.perf_counter_ns
ctx = mp.get_context("fork")


def timed(fn, n):
    t0 = now()
    fn(n)
    return (now() - t0) / n


def empty(n):
    for _ in range(n):
        pass


def ns_rows(runs, n):
    cf = coord.Flag()
    mv = ctx.Value('b', False)

    def coord_read(n):
        f = cf
        for _ in range(n):
            f.is_set()

    def coord_bool(n):
        f = cf
        for _ in range(n):
            if f:
                pass

    def mp_read(n):
        v = mv
        for _ in range(n):
            v.value

    cc = coord.Flag()

    def coord_claim(n):
        f = cc
        for _ in range(n):
            f.reset()
            f.claim()

    mc = ctx.Value('b', False)

    def mp_claim(n):
        v = mc
        for _ in range(n):
            v.value = False
            with v.get_lock():
                if not v.value:
                    v.value = True

    out = {k: [] for k in ("coord_read", "coord_bool", "mp_read", "coord_claim", "mp_claim")}
    for _ in range(runs):
        base = timed(empty, n)
        out["coord_read"].append(timed(coord_read, n) - base)
        out["coord_bool"].append(timed(coord_bool, n) - base)
        out["mp_read"].append(timed(mp_read, n) - base)
        # Each claim follows a reset (so it can win), counted in both: a
        # conservative ratio (subtracting reset-only loops leaves coord's
        # claim below the noise).
        out["coord_claim"].append(timed(coord_claim, n // 4) - base)
        out["mp_claim"].append(timed(mp_claim, n // 4) - base)
    return {k: statistics.median(v) for k, v in out.items()}


# ---- manager get: one round trip to a server process per get ----

def manager_rows(runs, n):
    cm = coord.Manager()
    mm = ctx.Manager()
    cd, md = cm.dict("d"), mm.dict()
    cd["k"] = 42
    md["k"] = 42

    def coord_get(n):
        d = cd
        for _ in range(n):
            d["k"]

    def mp_get(n):
        d = md
        for _ in range(n):
            d["k"]

    out = {"coord": [], "mp": []}
    try:
        for _ in range(runs):
            out["coord"].append(timed(coord_get, n))
            out["mp"].append(timed(mp_get, max(1, n // 10)))
    finally:
        cm.shutdown()
        mm.shutdown()
    return {k: statistics.median(v) for k, v in out.items()}


# ---- pools: tiny tasks on 2 workers, the fixed cost per task ----

def noop(x):
    return x


def pool_rows(runs, n):
    def one(kind):
        pool = coord.Pool(2) if kind == "coord" else ctx.Pool(2)
        try:
            t = {}
            t0 = now()
            r = pool.map(noop, range(n))
            t["map"] = (now() - t0) / n
            if r != list(range(n)):
                raise SystemExit("%s map: wrong results" % kind)
            k = max(1, n // 10)
            t0 = now()
            r = list(pool.imap(noop, range(k)))
            t["imap"] = (now() - t0) / k
            if r != list(range(k)):
                raise SystemExit("%s imap: wrong results" % kind)
            k = max(1, n // 20)
            t0 = now()
            rs = [pool.apply_async(noop, (i,)) for i in range(k)]
            if [x.get(60) for x in rs] != list(range(k)):
                raise SystemExit("%s apply_async: wrong results" % kind)
            t["apply"] = (now() - t0) / k
            return t
        finally:
            pool.terminate()
            pool.join()

    out = {(kind, row): [] for kind in ("coord", "mp") for row in ("map", "imap", "apply")}
    for _ in range(runs):
        for kind in ("coord", "mp"):
            for row, v in one(kind).items():
                out[(kind, row)].append(v)
    return {k: statistics.median(v) for k, v in out.items()}


# ---- queue throughput: consumers are forked; each run is fresh queues ----

def consume_coord(q, done):
    got = 0
    while True:
        if q.get() is coord.PILL:
            break
        got += 1
    done.put(got)


def consume_mp(q, done):
    got = 0
    while True:
        if q.get() is None:
            break
        got += 1
    done.put(got)


def queue_rate(kind, consumers, n):
    item = ("task", 12345, 1.5)
    if kind == "coord":
        q, done = coord.Queue(1024), coord.Queue(64)
        target, pill = consume_coord, q.put_pill
    else:
        q, done = ctx.Queue(1024), ctx.Queue()
        target, pill = consume_mp, (lambda: q.put(None))
    procs = [ctx.Process(target=target, args=(q, done)) for _ in range(consumers)]
    for p in procs:
        p.start()
    t0 = now()
    for _ in range(n):
        q.put(item)
    for _ in range(consumers):
        pill()
    total = sum(done.get(timeout=120) for _ in range(consumers))
    dt = now() - t0
    for p in procs:
        p.join(60)
    if total != n:
        raise SystemExit("%s lost messages: %d of %d" % (kind, total, n))
    return n / (dt / 1e9)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--n", type=int, default=400000, help="in-memory ops per run")
    ap.add_argument("--msgs", type=int, default=20000, help="messages per queue run")
    ap.add_argument("--gets", type=int, default=20000, help="manager gets per run (mp: a tenth)")
    ap.add_argument("--tasks", type=int, default=20000, help="pool map tasks per run")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    ns = ns_rows(a.runs, a.n)
    mg = manager_rows(a.runs, a.gets)
    pl = pool_rows(a.runs, a.tasks)
    rates = {}
    for consumers in (1, 4):
        for kind in ("coord", "mp"):
            rates[(kind, consumers)] = []
        for _ in range(max(3, a.runs // 2)):
            for kind in ("coord", "mp"):
                rates[(kind, consumers)].append(queue_rate(kind, consumers, a.msgs))
    med = {k: statistics.median(v) for k, v in rates.items()}
    rows = [
        {"row": "flag_read_ns", "coord": ns["coord_read"], "multiprocessing": ns["mp_read"],
         "ratio": ns["mp_read"] / ns["coord_read"], "target": "coord <= 30 ns and >= 4x"},
        {"row": "flag_truth_ns", "coord": ns["coord_bool"], "multiprocessing": ns["mp_read"],
         "ratio": ns["mp_read"] / ns["coord_bool"], "target": "(`if flag:`)"},
        {"row": "claim_ns", "coord": ns["coord_claim"], "multiprocessing": ns["mp_claim"],
         "ratio": ns["mp_claim"] / ns["coord_claim"], "target": ">= 5x"},
        {"row": "queue_1to1_msgs_per_s", "coord": med[("coord", 1)],
         "multiprocessing": med[("mp", 1)], "ratio": med[("coord", 1)] / med[("mp", 1)],
         "target": ">= 5x"},
        {"row": "queue_1to4_msgs_per_s", "coord": med[("coord", 4)],
         "multiprocessing": med[("mp", 4)], "ratio": med[("coord", 4)] / med[("mp", 4)],
         "target": ">= 5x"},
        {"row": "manager_get_ns", "coord": mg["coord"], "multiprocessing": mg["mp"],
         "ratio": mg["mp"] / mg["coord"], "target": "(one round trip each)"},
    ]
    for row, what in (("map", "(automatic chunks both)"), ("imap", "(chunksize 1 both)"),
                      ("apply", "(apply_async + get)")):
        rows.append({"row": "pool_%s_ns_per_task" % row, "coord": pl[("coord", row)],
                     "multiprocessing": pl[("mp", row)],
                     "ratio": pl[("mp", row)] / pl[("coord", row)], "target": what})
    if a.json:
        json.dump({"runs": a.runs, "python": sys.version.split()[0], "rows": rows}, sys.stdout)
        print()
        return
    print("%-24s %14s %16s %8s  %s" % ("row", "coord", "multiprocessing", "ratio", "target"))
    for r in rows:
        print("%-24s %14.1f %16.1f %7.1fx  %s" % (r["row"], r["coord"], r["multiprocessing"],
                                                 r["ratio"], r["target"]))


if __name__ == "__main__":
    main()
