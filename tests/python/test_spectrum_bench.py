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


class SpectrumRowsTest(unittest.TestCase):
    def setUp(self):
        self.s = load()

    def test_runs_are_kept_as_measured(self):
        # An empty loop "slower" than the access: every run below zero,
        # as measured, not raised to a floor.
        out = self.s.runs_of(lambda n: None, 10, 3, base=[1e9])
        self.assertEqual(len(out), 3)
        self.assertTrue(all(v < 0 for v in out), out)

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
