#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""queue_throughput.py: multiprocessing.Queue doing the work of `coord queue`.

P producers put N messages of B bytes in total (the first 8 bytes are a
unique id), C consumers take them until a None pill (one per consumer),
every process is joined, and the run checks that each message arrived
exactly once (count + sum of ids). Prints one JSON object on stdout.
"""
import argparse
import json
import multiprocessing as mp
import statistics
import time

import die_with_parent  # noqa: F401  (its workers die with it: a SIGKILLed coord leaves none)


def producer(q, pid, count, msg_bytes, go):
    go.wait()
    pad = bytes(msg_bytes - 8)
    base = pid << 40
    for i in range(count):
        q.put((base | i).to_bytes(8, "little") + pad)


def consumer(q, out, go):
    go.wait()
    n = 0
    s = 0
    while True:
        m = q.get()
        if m is None:  # the poison pill
            break
        n += 1
        s += int.from_bytes(m[:8], "little")
    out.put((n, s))


def run(producers, consumers, messages, msg_bytes):
    q = mp.Queue(maxsize=1024)
    out = mp.Queue()
    go = mp.Event()
    # An even split, the first producers one more each while a remainder
    # lasts: the producers put exactly `messages`.
    share = [messages // producers + (p < messages % producers)
             for p in range(producers)]
    cons = [mp.Process(target=consumer, args=(q, out, go)) for _ in range(consumers)]
    prods = [mp.Process(target=producer, args=(q, p, share[p], msg_bytes, go))
             for p in range(producers)]
    for p in cons + prods:
        p.start()
    t0 = time.perf_counter()
    go.set()
    for p in prods:
        p.join()
    for _ in range(consumers):
        q.put(None)
    got = [out.get() for _ in range(consumers)]
    for p in cons:
        p.join()
    dt = time.perf_counter() - t0
    n = sum(g[0] for g in got)
    s = sum(g[1] for g in got)
    want = sum((p << 40) * k + k * (k - 1) // 2 for p, k in enumerate(share))
    return {"messages": messages, "seconds": dt, "msgs_per_s": messages / dt,
            "count": n, "exactly_once": n == messages and s == want}


def median_rate(rows):
    """The median of the runs' rates, as coord's rows take theirs (the mean
    of the middle two for an even count): rates[len // 2], the upper of
    the two, set Python's best of --python-runs 2 against coord's median
    in the coord/python ratio."""
    return statistics.median(r["msgs_per_s"] for r in rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--producers", type=int, default=1)
    ap.add_argument("--consumers", type=int, default=1)
    ap.add_argument("--messages", type=int, default=100000)
    ap.add_argument("--msg-bytes", type=int, default=8)
    ap.add_argument("--runs", type=int, default=1)
    a = ap.parse_args()
    if a.msg_bytes < 8 or a.producers < 1 or a.consumers < 1 or a.messages < a.producers:
        ap.error("need msg-bytes >= 8, producers/consumers >= 1, messages >= producers")
    rows = [run(a.producers, a.consumers, a.messages, a.msg_bytes) for _ in range(a.runs)]
    print(json.dumps({"impl": "python", "producers": a.producers,
                      "consumers": a.consumers, "msg_bytes": a.msg_bytes,
                      "messages": rows[0]["messages"], "runs": a.runs,
                      "delivered": min(r["count"] for r in rows),
                      "msgs_per_s": median_rate(rows),
                      "exactly_once": all(r["exactly_once"] for r in rows)}))


if __name__ == "__main__":
    main()
