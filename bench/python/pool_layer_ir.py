# SPDX-License-Identifier: MIT
"""Instructions the Python layer of coord.Pool spends per item, counted by
valgrind's callgrind (counts repeat to 0.1 % on a noisy machine, where
timings do not). The C pool is swapped for a stand-in that answers every
task at once, so what is counted is pool.py's own work: making the task
message, registering it, settling its reply. The stand-in's own cost (about
3,100 instructions an item, `--mode stand-in`) is included.

    python3 bench/python/pool_layer_ir.py [--mode imap|apply|stand-in]...

runs itself under callgrind twice per mode (2,000 and 22,000 items) and
prints the difference per item, so start-up is not counted. PYTHONPATH
picks the build: PYTHONPATH=build/python. Needs valgrind.
"""

import argparse
import collections
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile

SMALL, LARGE = 2000, 22000


def noop(x):
    return x


class StandIn:
    """What coord.Pool calls on its core (submit, result), answering each
    task at once: a chunk's reply of one value, or one task's value."""

    def __init__(self, pool_module, values):
        p = pool_module
        v = pickle.dumps([7], pickle.HIGHEST_PROTOCOL)
        self.chunk = p._HEAD.pack(p._CHUNK_DONE, 1, 1) + p._FRAME.pack(len(v)) + v
        self.value = pickle.dumps(7, pickle.HIGHEST_PROTOCOL)
        self.kinds = (p._CHUNK, p._VALUE)
        self.values = values  # answer with one task's value, not a chunk's
        self.next = 1
        self.pending = collections.deque()

    def submit(self, task, ms=-1):
        tid = self.next
        self.next += 1
        self.pending.append(tid)
        return tid

    def result(self, ms=-1):
        if not self.pending:
            return None
        tid = self.pending.popleft()
        if self.values:
            return (tid, 0, self.kinds[1], self.value, "", 0, 1, 0)
        return (tid, 0, self.kinds[0], self.chunk, "", 0, 1, 0)


def run(mode, n):
    import coord
    import coord.pool
    pool = coord.Pool(1)
    real = pool._core
    stand_in = StandIn(coord.pool, mode == "apply")
    pool._core = stand_in
    try:
        if mode == "imap":
            got = list(pool.imap(noop, range(n)))
        elif mode == "apply":
            got = [f.get() for f in [pool.apply_async(noop, (i,)) for i in range(n)]]
        else:
            got = []
            for _ in range(n):
                stand_in.submit(b"")
                got.append(7 if stand_in.result(0) else None)
        if got != [7] * n:
            raise SystemExit("pool_layer_ir: the stand-in's answers did not come back")
    finally:
        pool._core = real
        pool.close()
        pool.join()


def instructions(mode, n, tmp):
    out = os.path.join(tmp, "cg.%s.%d.%%p" % (mode, n))
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
           sys.executable, os.path.abspath(__file__), "--run", mode, str(n)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=600)
    # The parent's file is the largest (the worker only waits).
    files = [os.path.join(tmp, f) for f in os.listdir(tmp)
             if f.startswith("cg.%s.%d." % (mode, n))]
    best = max(files, key=os.path.getsize)
    with open(best) as f:
        for line in f:
            m = re.match(r"(?:summary|totals): (\d+)", line)
            if m:
                return int(m.group(1))
    raise SystemExit("pool_layer_ir: no total in " + best)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", action="append", choices=("imap", "apply", "stand-in"))
    ap.add_argument("--run", nargs=2, metavar=("MODE", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run:
        run(args.run[0], int(args.run[1]))
        return
    if shutil.which("valgrind") is None:
        print("pool_layer_ir: needs valgrind (apt-get install valgrind)", file=sys.stderr)
        sys.exit(2)
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.mode or ["imap", "apply"]:
            small = instructions(mode, SMALL, tmp)
            large = instructions(mode, LARGE, tmp)
            print("%s: %d instructions an item" % (mode, (large - small) // (LARGE - SMALL)))


if __name__ == "__main__":
    main()
