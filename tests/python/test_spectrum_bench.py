# SPDX-License-Identifier: MIT
"""bench/python/spectrum.py (the Python side of `coord spectrum`): an
access cheaper than the noise of the empty loop subtracted from it gives no
row, never a made-up figure (a median of 0.01 ns, the old floor, read
"coord from Python: 0.01 ns" in the report and 0.0 in `coord spectrum`)."""

import contextlib
import importlib.util
import io
import os
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PATH = os.path.join(HERE, "..", "..", "bench", "python", "spectrum.py")


def load():
    # The script imports its neighbours (die_with_parent), as it does when
    # run from its own directory.
    import sys
    if os.path.dirname(PATH) not in sys.path:
        sys.path.insert(0, os.path.dirname(PATH))
    spec = importlib.util.spec_from_file_location("coord_bench_spectrum", PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Sim:
    """A clock that the timed functions advance: op(ns) costs ns a
    repetition, 20 times that on the calls numbered in `burst` (a burst of
    load from another process)."""

    def __init__(self):
        self.t, self.calls, self.burst = 0, 0, set()

    def clock(self):
        return self.t

    def op(self, ns):
        def run(n):
            slow = 20 if self.calls in self.burst else 1
            self.calls += 1
            self.t += n * ns * slow
        return run


class SpectrumRowsTest(unittest.TestCase):
    def setUp(self):
        self.s = load()

    def test_runs_are_kept_as_measured(self):
        # An empty loop "slower" than the access: every run below zero,
        # timed once and kept as measured, not raised to a floor.
        sim = Sim()
        out = self.s.net_runs(sim.op(0), sim.op(1e9), 10, 3, clock=sim.clock)
        self.assertEqual(len(out), 3)
        self.assertTrue(all(v < 0 for v in out), out)
        self.assertEqual(sim.calls, 3 * 3)

    def test_an_access_that_costs_nothing_has_no_figure(self):
        # fn is the empty loop itself, timed under symmetric noise (the
        # bases before and after 11 and 9 ns, the access 10): the access
        # costs nothing, so the row has no figure. The lesser base read 1 ns
        # a run, and timing a run again until it was above zero made any
        # noise around zero a figure (about 1 ns on this machine for
        # net_runs(empty_loop, empty_loop)).
        sim = Sim()
        costs = [11, 10, 9]  # base, fn, base of every run
        def op(n):
            sim.t += n * costs[sim.calls % 3]
            sim.calls += 1
        out = self.s.net_runs(op, op, 100, 7, clock=sim.clock)
        self.assertEqual(sim.calls, 7 * 3)
        self.assertEqual(out, [0.0] * 7)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertIsNone(self.s.make_row("value_get", out, "x"))
        self.assertIn("no figure", err.getvalue())

    def test_a_burst_of_load_on_the_empty_loop_drops_no_row(self):
        # The empty loop (10 ns) timed while another process ran, 20 times
        # slower, and the access (10 + 20 ns) timed after the burst: a base
        # timed apart from the row, as it was, made every run read about
        # -170 ns and the row vanished beside two busy loops (value_get,
        # array_read, array_write, region_read, flag_check). Timed beside
        # each run, a burst moves the runs it hits only: the median stays.
        sim = Sim()
        empty, access = sim.op(10), sim.op(30)
        for burst in ({0}, {2}, {0, 5}, {0, 2}):
            with self.subTest(burst=burst):
                sim.calls, sim.burst = 0, burst  # call k of base, fn, base
                out = self.s.net_runs(access, empty, 100, 7, clock=sim.clock)
                self.assertEqual(len(out), 7)
                self.assertGreaterEqual(sum(v > 0 for v in out), 5, out)
                self.assertAlmostEqual(self.s.statistics.median(out), 20.0)
                row = self.s.make_row("value_get", out, "x")
                self.assertIsNotNone(row)
                self.assertEqual(row["ns_per_op_p50"], 20.0)

    def test_a_run_whose_bases_disagree_is_timed_again(self):
        # A burst on one base of a run (20x) is a change of load during
        # that run: the run is timed again, so it reads the access alone.
        # Timed again on its bases only, whatever its result: a run whose
        # bases agree is kept even when it is below zero.
        sim = Sim()
        empty, access = sim.op(10), sim.op(30)
        sim.calls, sim.burst = 0, {0, 5}
        out = self.s.net_runs(access, empty, 100, 7, clock=sim.clock)
        self.assertEqual(out, [20.0] * 7)
        self.assertEqual(sim.calls, 7 * 3 + 2 * 3)
        sim.calls, sim.burst = 0, {1}  # the access itself slow: kept
        out = self.s.net_runs(empty, empty, 100, 3, clock=sim.clock)
        self.assertEqual(out, [190.0, 0.0, 0.0])
        self.assertEqual(sim.calls, 3 * 3)

    def test_no_row_without_a_figure(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            row = self.s.make_row("flag_check", [0.01, -2.0, -1.0, 0.01, -0.5],
                                  "x", impl="python_coord")
        self.assertIsNone(row)
        self.assertIn("coord:flag_check: no figure", err.getvalue())

    def test_a_row_with_its_figures(self):
        row = self.s.make_row("value_get", [20.0, 25.0, 30.0], "x")
        self.assertEqual(row["mechanism"], "value_get")
        self.assertEqual(row["impl"], "python")
        self.assertEqual(row["ns_per_op_p50"], 25.0)
        self.assertGreaterEqual(row["ns_per_op_p99"], 25.0)


if __name__ == "__main__":
    unittest.main()
