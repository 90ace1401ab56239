#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""queue_probe_exit_after_put.py: fault probe (b): a producer exits right after put.

The child puts --messages items on a multiprocessing.Queue and leaves at
once with os._exit (as a crash or a hard exit would). Queue.put only hands
the item to a feeder thread, so items not yet flushed to the pipe are lost.
Prints one JSON object: "ok" is true when every item arrived.
"""
import argparse
import json
import multiprocessing as mp
import os
import queue

import die_with_parent  # noqa: F401  (its workers die with it: a SIGKILLed coord leaves none)


def child(q, n):
    for i in range(n):
        q.put(i)
    os._exit(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1000)
    a = ap.parse_args()
    q = mp.Queue()
    p = mp.Process(target=child, args=(q, a.messages))
    p.start()
    p.join()
    got = 0
    while True:
        try:
            q.get(timeout=0.5)
            got += 1
        except queue.Empty:
            break
    print(json.dumps({"impl": "python", "probe": "producer_exit_after_put",
                      "ok": got == a.messages,
                      "detail": "%d of %d items arrived" % (got, a.messages)}))


if __name__ == "__main__":
    main()
