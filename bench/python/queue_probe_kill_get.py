#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""queue_probe_kill_get.py: fault probe (c): a consumer SIGKILLed inside get.

Consumer A blocks in Queue.get on an empty queue (holding the queue's read
lock while it waits) and is SIGKILLed. Then an item is put, and consumer B
tries to get it within --timeout seconds. Prints one JSON object: "ok" is
true when B got the item, false when the queue stayed wedged.
"""
import argparse
import json
import multiprocessing as mp
import os
import queue
import signal
import time

import die_with_parent  # noqa: F401  (its workers die with it: a SIGKILLed coord leaves none)


def blocked_getter(q, ready):
    ready.set()
    q.get()


def getter(q, timeout, out):
    try:
        out.put(q.get(timeout=timeout))
    except queue.Empty:
        out.put(None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=2.0)
    a = ap.parse_args()
    q = mp.Queue()
    out = mp.Queue()
    ready = mp.Event()
    pa = mp.Process(target=blocked_getter, args=(q, ready))
    pa.start()
    ready.wait()
    time.sleep(0.2)  # let A reach the blocking read inside get
    os.kill(pa.pid, signal.SIGKILL)
    pa.join()
    q.put("item")
    pb = mp.Process(target=getter, args=(q, a.timeout, out))
    pb.start()
    got = out.get()
    pb.join()
    ok = got == "item"
    print(json.dumps({"impl": "python", "probe": "consumer_killed_in_get",
                      "ok": ok,
                      "detail": "the next consumer got the item" if ok else
                      "the next consumer timed out after %.1f s: the dead consumer holds the read lock" % a.timeout}))


if __name__ == "__main__":
    main()
