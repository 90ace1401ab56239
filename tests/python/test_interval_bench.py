# SPDX-License-Identifier: MIT
"""bench/python/interval.py (the Python side of `coord interval
--vs-python`): a run in which the claim stopped nobody (every other worker
had already left its loop, its share done) is no stop-latency sample, as on
coord's side; it used to count as a stop latency of 0 ns, pulling Python's
p50 down beside coord's, and a cell of such runs printed 0 ns, not null."""

import importlib.util
import multiprocessing as mp
import os
import sys
import time
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PATH = os.path.join(HERE, "..", "..", "bench", "python", "interval.py")


def load():
    # The script imports its neighbours (die_with_parent), as it does when
    # run from its own directory.
    if os.path.dirname(PATH) not in sys.path:
        sys.path.insert(0, os.path.dirname(PATH))
    spec = importlib.util.spec_from_file_location("coord_bench_interval", PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def proc_state(pid):
    """The one-letter state of process `pid` ("Z" once it has exited and
    waits for its parent's join), or "gone"."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


class StopLatencyTest(unittest.TestCase):
    def setUp(self):
        self.m = load()

    def test_figure_needs_every_other_worker_stopped(self):
        # out: per worker (cpu, left, claim); worker 0 claimed at 1000.
        f = self.m.stop_latency
        self.assertEqual(f([5, 1000, 1000, 5, 1300, 0, 5, 1700, 0], 3), 700)
        # Worker 2 had left before the claim: nothing to stop, no sample
        # (was max over the others: 300).
        self.assertIsNone(f([5, 1000, 1000, 5, 1300, 0, 5, 900, 0], 3))
        # Nobody left after it (was 0).
        self.assertIsNone(f([5, 1000, 1000, 5, 900, 0], 2))
        # No claim.
        self.assertIsNone(f([5, 2000, 0, 5, 1300, 0], 2))

    def test_run_that_stopped_nobody_is_no_sample(self):
        # Two real worker processes: worker 0's probe at its hit waits
        # (bounded) until worker 1 has left its loop and exited, so the
        # claim comes after worker 1 was done: no flag stopped it.
        ctx = mp.get_context("fork")
        per = 50
        pid1 = ctx.Value('i', 0)

        def probe(i):
            if i == 2 * per - 1:  # worker 1's last item
                pid1.value = os.getpid()
            if i == 30:  # worker 0's hit
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    p = pid1.value
                    if p and proc_state(p) in ("Z", "X", "gone"):
                        break
                    time.sleep(0.001)

        self.m.WORKS["late"] = probe
        args = types.SimpleNamespace(workers=2)
        _, stop = self.m.one(args, "late", per, 1, 30)
        self.assertIsNone(stop)

    def test_cell_without_samples_says_null(self):
        self.assertEqual(self.m.ns_or_null(None), "null")
        self.assertEqual(self.m.ns_or_null(1234.4), "1234")


if __name__ == "__main__":
    unittest.main()
