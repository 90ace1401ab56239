#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""spectrum.py: the shared-state cost spectrum with Python's multiprocessing.

The same operations `coord spectrum` measures, done the way a Python program
does them: Manager().dict(), Value with and without its lock, Array,
shared_memory, Queue and Pipe round trips through a second process, and a
raw Unix socket round trip; and, when `import coord` works, the same rows
with the coord Python package (impl "python_coord", mechanism prefixed
"coord:" in --tsv). Each row is the time per access in ns: the
median and the 99th percentile over repeated runs; for the in-memory rows
the cost of the empty Python loop, timed just before and just after each
run, is subtracted, so the number is the access itself.

Output: one JSON object ({"rows": [...]}) with --json, tab-separated lines
(mechanism, p50, p99, detail) with --tsv (what `coord spectrum` reads), or a
table.
"""
import argparse
import json
import multiprocessing as mp
import os
import socket
import statistics
import sys
import time
from multiprocessing import resource_tracker, shared_memory

import die_with_parent  # noqa: F401  (its workers die with it: a SIGKILLed coord leaves none)

now = time.perf_counter_ns


def pct(values, p):
    v = sorted(values)
    if not v:
        return 0.0
    pos = p / 100.0 * (len(v) - 1)
    lo = int(pos)
    if lo + 1 >= len(v):
        return float(v[-1])
    return v[lo] + (v[lo + 1] - v[lo]) * (pos - lo)


def runs_of(fn, n, runs):
    """ns per op of fn(n) over `runs` runs."""
    out = []
    for _ in range(runs):
        t0 = now()
        fn(n)
        out.append((now() - t0) / n)
    return out


def net_runs(fn, base, n, runs, clock=None):
    """ns per op of fn(n) minus base(n) over `runs` runs. Each run times
    base, fn and base again back to back and subtracts the mean of the two
    bases, so both see the same load (a base timed once before every row,
    under another moment's load, made rows read -190 ns beside two busy
    loops and dropped them). A run whose two bases disagree by more than a
    quarter (the load changed during it) is timed again, up to 8 times:
    the test looks at the bases only, never at the result, so an access
    that costs nothing still reads about 0 and gets no figure (timing a run
    again until it was above zero, or taking the lesser base, read it as
    about 1 ns). Every run is then kept as measured, at or below zero
    too."""
    clock = clock or now
    out = []
    for _ in range(runs):
        for _attempt in range(8):
            t0 = clock()
            base(n)
            t1 = clock()
            fn(n)
            t2 = clock()
            base(n)
            t3 = clock()
            b1, b2 = t1 - t0, t3 - t2
            if abs(b1 - b2) <= 0.25 * max(b1, b2):
                break
        out.append(((t2 - t1) - (b1 + b2) / 2) / n)
    return out


def make_row(mech, samples, detail, impl="python"):
    """The row of `samples` (median and p99), or None when the median is
    not above zero: the empty loop's noise swallowed the access, so there
    is no figure to give (a row of 0.01 ns used to stand in for one)."""
    p50 = statistics.median(samples)
    if not p50 > 0:
        print("spectrum.py: %s%s: no figure: under the empty loop's noise "
              "(median %.2f ns after subtracting it)"
              % ("coord:" if impl == "python_coord" else "", mech, p50),
              file=sys.stderr)
        return None
    return {"mechanism": mech, "impl": impl,
            "ns_per_op_p50": round(p50, 2),
            "ns_per_op_p99": round(pct(samples, 99), 2),
            "detail": detail}


def empty_loop(n):
    x = None
    for _ in range(n):
        pass
    return x


def calibrate(fn, target_ns):
    n = 1000
    while True:
        t0 = now()
        fn(n)
        dt = now() - t0
        if dt > target_ns / 4 or n > 50_000_000:
            return max(1000, int(n * target_ns / max(dt, 1)))
        n *= 4


# ---- echo children (module level: picklable under any start method) -----

def queue_echo(q_in, q_out):
    while True:
        x = q_in.get()
        if x is None:
            return
        q_out.put(x)


def pipe_echo(conn):
    while True:
        try:
            x = conn.recv()
        except EOFError:
            return
        if x is None:
            return
        conn.send(x)


def socket_echo(sock):
    while True:
        b = sock.recv(64)
        if not b:
            return
        sock.sendall(b)


def coord_echo(q_in, q_out):
    import coord
    while True:
        x = q_in.get()
        if x is coord.PILL:
            return
        q_out.put(x)


def coord_rows(coord, in_memory, add, echo_row, ctx, runs, target, mtrips):
    """The python_coord column: the same operations with `import coord`."""
    f = coord.Flag()
    def flag_check(n):
        g = f
        for _ in range(n):
            if g.is_set():
                break
    in_memory("flag_check", flag_check, "coord.Flag().is_set() (one atomic load)")
    v = coord.Value('q', 0)
    def value_get(n):
        w = v
        for _ in range(n):
            w.value
    in_memory("value_get", value_get, "coord.Value('q').value read (no lock)")
    def value_set(n):
        w = v
        for i in range(n):
            w.value = i
    in_memory("value_set", value_set, "coord.Value('q').value = i (under its lock)")
    arr = coord.Array('q', 1024, lock=False)
    def array_read(n):
        x = arr
        for i in range(n):
            x[i & 1023]
    in_memory("array_read", array_read, "coord.Array('q', 1024)[i] read")
    def array_write(n):
        x = arr
        for i in range(n):
            x[i & 1023] = i
    in_memory("array_write", array_write, "coord.Array('q', 1024)[i] = i")
    c = coord.Flag()
    def reset_only(n):
        g = c
        for _ in range(n):
            g.reset()
    def claim_cas(n):
        g = c
        for _ in range(n):
            g.reset()
            g.claim()
    def claim_lock(n):
        g = c
        for _ in range(n):
            g.reset()
            g.claim_locked()
    for mech, fn, what in (("flag_claim_cas", claim_cas, "Flag.claim(): one CAS (reset excluded)"),
                           ("flag_claim_lock", claim_lock,
                            "Flag.claim_locked(): lock, check, set (reset excluded)")):
        n = calibrate(fn, target)
        add(mech, net_runs(fn, reset_only, n, runs), what)
    q_in, q_out = coord.Queue(64), coord.Queue(64)
    echo_row("queue_roundtrip", "coord.Queue put + get through an echo process",
             coord_echo, (q_in, q_out),
             lambda x: q_in.put_pill() if x is None else q_in.put(x), q_out.get)
    mgr = coord.Manager()
    try:
        d = mgr.dict("spectrum")
        d["k"] = 1
        def mgr_get(n):
            for _ in range(n):
                d["k"]
        mgr_get(20)
        add("manager_get", runs_of(mgr_get, mtrips, runs),
            "coord.Manager().dict('d')['k'] (one round trip)")
        def mgr_set(n):
            for i in range(n):
                d["k"] = i
        add("manager_set", runs_of(mgr_set, mtrips, runs), "coord.Manager dict['k'] = i")
        def mgr_incr(n):
            for _ in range(n):
                d.incr("c")
        add("manager_incr", runs_of(mgr_incr, mtrips, runs),
            "dict.incr('c') (one round trip, atomic on the server)")
    finally:
        mgr.shutdown()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short runs")
    ap.add_argument("--runs", type=int, default=0, help="repetitions per row")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--tsv", action="store_true")
    a = ap.parse_args()
    runs = a.runs or (7 if a.quick else 21)
    target = 5e6 if a.quick else 20e6   # ns per run, in-memory rows
    trips = 300 if a.quick else 2000    # round trips per run
    mtrips = 100 if a.quick else 600    # manager round trips per run
    rows = []

    def add(mech, samples, detail):
        row = make_row(mech, samples, detail)
        if row is not None:
            rows.append(row)

    def in_memory(mech, fn, detail):
        """A row of in-memory accesses: sized, run, empty loop subtracted."""
        add(mech, net_runs(fn, empty_loop, calibrate(fn, target), runs),
            detail)

    flag = mp.Value('b', False)              # the lecture's flag (slide 4)

    def flag_check(n):
        f = flag
        for _ in range(n):
            if f.value:
                break
    in_memory("flag_check", flag_check,
              "Value('b').value read (synchronized: takes the lock)")

    raw = mp.Value('q', 0, lock=False)

    def value_get(n):
        v = raw
        for _ in range(n):
            v.value
    in_memory("value_get", value_get,
              "Value('q', lock=False).value read (no lock)")

    sv = mp.Value('q', 0)

    def value_set(n):
        v = sv
        lock = v.get_lock()
        for i in range(n):
            with lock:
                v.value = i
    in_memory("value_set", value_set,
              "with v.get_lock(): v.value = i")

    arr = mp.Array('q', 1024, lock=False)

    def array_read(n):
        x = arr
        for i in range(n):
            x[i & 1023]
    in_memory("array_read", array_read,
              "Array('q', 1024, lock=False)[i] read")

    def array_write(n):
        x = arr
        for i in range(n):
            x[i & 1023] = i
    in_memory("array_write", array_write,
              "Array('q', 1024, lock=False)[i] = i")

    shm = shared_memory.SharedMemory(create=True, size=4096)
    try:
        buf = shm.buf

        def region_read(n):
            b = buf
            for i in range(n):
                b[i & 4095]
        in_memory("region_read", region_read,
                  "shared_memory.SharedMemory.buf[i] read")
        del region_read, buf
    finally:
        shm.close()
        shm.unlink()

    claim = mp.Value('b', False)

    def reset_only(n):
        c = claim
        for _ in range(n):
            c.get_obj().value = 0

    def claim_lock(n):
        c = claim
        lock = c.get_lock()
        obj = c.get_obj()
        for _ in range(n):
            obj.value = 0
            with lock:                  # the lecture's lock, check, set
                if not obj.value:
                    obj.value = 1
    n = calibrate(claim_lock, target)
    add("flag_claim_lock", net_runs(claim_lock, reset_only, n, runs),
        "with lock: if not flag.value: flag.value = 1 (reset excluded)")

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp

    def echo_row(mech, detail, echo, args, send, recv):
        """A row of round trips, send(i) then recv(), through a process
        running echo(*args); send(None) tells it to end."""
        p = ctx.Process(target=echo, args=args)
        p.start()
        try:
            def rt(n):
                for i in range(n):
                    send(i)
                    recv()
            rt(50)
            add(mech, runs_of(rt, trips, runs), detail)
        finally:
            send(None)
            p.join(10)

    q_in, q_out = ctx.Queue(), ctx.Queue()
    echo_row("queue_roundtrip",
             "Queue.put + Queue.get through an echo process",
             queue_echo, (q_in, q_out), q_in.put, q_out.get)

    here, there = ctx.Pipe()
    echo_row("pipe_roundtrip",
             "Pipe: Connection.send + recv through an echo process",
             pipe_echo, (there,), here.send, here.recv)

    s1, s2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    p = ctx.Process(target=socket_echo, args=(s2,))
    p.start()
    s2.close()
    try:
        msg = b"x" * 24

        def sock_rt(n):
            for _ in range(n):
                s1.sendall(msg)
                got = 0
                while got < 24:
                    got += len(s1.recv(64))
        sock_rt(50)
        add("unix_socket_roundtrip", runs_of(sock_rt, trips, runs),
            "socket.socketpair: sendall + recv of 24 bytes, echo process")
    finally:
        # The forked echo process holds a copy of s1 as well: shut the
        # socket down (not just our descriptor) so that it sees the end.
        s1.shutdown(socket.SHUT_RDWR)
        s1.close()
        p.join(10)

    with ctx.Manager() as manager:
        d = manager.dict()
        d["k"] = 1

        def mgr_get(n):
            for _ in range(n):
                d["k"]
        mgr_get(20)
        add("manager_get", runs_of(mgr_get, mtrips, runs),
            "Manager().dict()['k'] (one round trip to the manager process)")

        def mgr_set(n):
            for i in range(n):
                d["k"] = i
        add("manager_set", runs_of(mgr_set, mtrips, runs),
            "Manager().dict()['k'] = i")

        d["c"] = 0

        def mgr_incr(n):
            for _ in range(n):
                d["c"] += 1          # two round trips, and not atomic
        add("manager_incr", runs_of(mgr_incr, mtrips, runs),
            "d['c'] += 1 (get + set: two round trips, not atomic)")

    try:
        import coord
    except ImportError:
        # The package built beside the coord binary that runs this script
        # (COORD_BUILD_PYTHON, set by `coord spectrum`), else the in-tree
        # build/python, when PYTHONPATH does not say.
        sys.path.append(os.environ.get("COORD_BUILD_PYTHON") or
                        os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     "..", "..", "build", "python"))
    try:
        import coord
    except ImportError as e:
        print("spectrum.py: no python_coord rows: import coord failed: %s" % e,
              file=sys.stderr)
    else:
        def as_coord(fn):
            """Run a row maker; label the row it added python_coord."""
            def run(*args):
                had = len(rows)
                fn(*args)
                if len(rows) > had:  # (make_row may have given none)
                    rows[-1]["impl"] = "python_coord"
            return run
        coord_rows(coord, as_coord(in_memory), as_coord(add), as_coord(echo_row),
                   ctx, runs, target, mtrips)

    if a.json:
        json.dump({"rows": rows, "runs": runs,
                   "python": sys.version.split()[0]}, sys.stdout)
        print()
    elif a.tsv:
        for r in rows:
            mech = ("coord:" if r["impl"] == "python_coord" else "") + r["mechanism"]
            print("%s\t%.2f\t%.2f\t%s" % (mech, r["ns_per_op_p50"],
                                          r["ns_per_op_p99"], r["detail"]))
    else:
        print("%-24s %12s %12s  %s" % ("mechanism", "p50 ns/op", "p99 ns/op",
                                        "what"))
        for r in rows:
            print("%-24s %12.1f %12.1f  %s" % (
                ("coord:" if r["impl"] == "python_coord" else "") + r["mechanism"],
                                               r["ns_per_op_p50"],
                                               r["ns_per_op_p99"],
                                               r["detail"]))
    sys.stdout.flush()
    # Stop multiprocessing's resource tracker process ourselves: left to
    # itself it outlives us for a moment as an orphan of our caller.
    tracker = getattr(resource_tracker, "_resource_tracker", None)
    if tracker is not None and hasattr(tracker, "_stop"):
        tracker._stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
