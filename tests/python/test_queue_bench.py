# SPDX-License-Identifier: MIT
"""bench/python/queue_throughput.py (the Python rows of `coord queue`):
msgs_per_s is the median of the runs as coord's rows compute it (the mean
of the middle two for an even --python-runs), not the upper middle run,
which for 2 runs was the faster one and skewed the coord/python ratio."""

import importlib.util
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PATH = os.path.join(HERE, "..", "..", "bench", "python", "queue_throughput.py")


def load():
    if os.path.dirname(PATH) not in sys.path:
        sys.path.insert(0, os.path.dirname(PATH))
    spec = importlib.util.spec_from_file_location("coord_bench_queue", PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class MedianRateTest(unittest.TestCase):
    def test_median_as_coords(self):
        m = load()
        rows = lambda *r: [{"msgs_per_s": v} for v in r]
        self.assertEqual(m.median_rate(rows(100.0)), 100.0)
        self.assertEqual(m.median_rate(rows(300.0, 100.0)), 200.0)  # was 300
        self.assertEqual(m.median_rate(rows(5.0, 1.0, 3.0)), 3.0)
        self.assertEqual(m.median_rate(rows(4.0, 1.0, 3.0, 2.0)), 2.5)  # was 3


if __name__ == "__main__":
    unittest.main()
