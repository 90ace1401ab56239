#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""coord_queue_probes.py: the three fault probes of `coord queue`, in Python with coord.

The same probes as queue_probe_pool_kill.py, queue_probe_exit_after_put.py
and queue_probe_kill_get.py (which multiprocessing fails), done with
coord.Pool and coord.Queue:
  (a) pool_map_sigkilled_worker: a worker SIGKILLs itself mid-task; map must
      return within --timeout, failing only that task (coord.WorkerDied).
  (b) producer_exit_after_put: a child puts --items objects and leaves at
      once with os._exit; every one must arrive.
  (c) consumer_killed_in_get: a consumer blocked in get is SIGKILLed; the
      next consumer must get the next item.
Prints one JSON object per probe (impl "python_coord"), like the others.
"""
import argparse
import json
import multiprocessing as mp
import os
import queue
import signal
import time

import coord
from queue_probe_kill_get import blocked_getter, getter  # the same children

ctx = mp.get_context("fork")


def task(x):
    if x == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return x * x


def probe_pool(timeout):
    t0 = time.perf_counter()
    with coord.Pool(2) as pool:
        futs = [pool.submit(task, x) for x in range(8)]
        ok_values, died = [], []
        for i, f in enumerate(futs):
            try:
                ok_values.append(f.result(timeout=max(0.01, timeout - (time.perf_counter() - t0))))
            except coord.WorkerDied as e:
                died.append((i, e.cause))
            except TimeoutError:
                return False, "map still waiting after %.1f s" % timeout
    ok = died == [(3, died[0][1])] and ok_values == [x * x for x in range(8) if x != 3]
    return ok, "map returned in %.3f s; task 3 failed with WorkerDied (%s), the other 7 results arrived" % (
        time.perf_counter() - t0, died[0][1] if died else "?")


def producer(q, n):
    for i in range(n):
        q.put(("item", i))
    os._exit(0)          # no flush, no atexit: nothing is left to flush


def probe_exit_after_put(items):
    q = coord.Queue(items + 1)
    p = ctx.Process(target=producer, args=(q, items))
    p.start()
    p.join(30)
    got = 0
    try:
        while True:
            q.get(timeout=0.5)
            got += 1
    except queue.Empty:
        pass
    return got == items, "%d of %d items arrived after the producer's os._exit" % (got, items)


def probe_kill_get(timeout):
    q, out = coord.Queue(), coord.Queue()
    ready = coord.Flag()
    pa = ctx.Process(target=blocked_getter, args=(q, ready))
    pa.start()
    ready.wait(30)
    time.sleep(0.2)  # as the multiprocessing probe: let A block inside get
    os.kill(pa.pid, signal.SIGKILL)
    pa.join()
    q.put("item")
    pb = ctx.Process(target=getter, args=(q, timeout, out))
    pb.start()
    got = out.get(timeout=timeout + 30)
    pb.join()
    ok = got == "item"
    return ok, ("the next consumer got the item" if ok else
                "the next consumer timed out after %.1f s" % timeout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=3.0)
    ap.add_argument("--items", type=int, default=1000)
    a = ap.parse_args()
    for name, fn in (("pool_map_sigkilled_worker", lambda: probe_pool(a.timeout)),
                     ("producer_exit_after_put", lambda: probe_exit_after_put(a.items)),
                     ("consumer_killed_in_get", lambda: probe_kill_get(a.timeout))):
        ok, detail = fn()
        print(json.dumps({"impl": "python_coord", "probe": name, "ok": ok, "detail": detail}))


if __name__ == "__main__":
    main()
