#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""queue_probe_pool_kill.py: fault probe (a): Pool.map when a worker is SIGKILLed mid-task.

A worker of multiprocessing.Pool kills itself (SIGKILL) in the middle of
one task. The probe waits at most --timeout seconds for map_async to
return. Prints one JSON object: "ok" is true when the map returned (with or
without an error), false when it hung.
"""
import argparse
import json
import multiprocessing as mp
import os
import signal
import time

import die_with_parent  # noqa: F401  (its workers die with it: a SIGKILLed coord leaves none)


def task(x):
    if x == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.01)
    return x * x


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=3.0)
    a = ap.parse_args()
    pool = mp.Pool(2)
    t0 = time.perf_counter()
    res = pool.map_async(task, range(8))
    res.wait(a.timeout)
    ok = res.ready()
    waited = time.perf_counter() - t0
    pool.terminate()
    pool.join()
    detail = ("map returned" if ok else
              "map still waiting after %.1f s: the killed task's result never comes" % waited)
    print(json.dumps({"impl": "python", "probe": "pool_map_sigkilled_worker",
                      "ok": ok, "detail": detail}))


if __name__ == "__main__":
    main()
