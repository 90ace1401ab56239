# SPDX-License-Identifier: MIT
"""coord as a drop-in for multiprocessing: the idioms an audit found
behaving differently (each test states what multiprocessing does)."""

import time
import unittest

import coord

LIMIT = 60.0  # seconds any bounded wait below may take on a loaded machine


def square(x):
    return x * x


class PoolIdiomTest(unittest.TestCase):
    def test_join_after_terminate_returns_none(self):
        # multiprocessing's clean-up idiom: terminate() (or leaving a
        # with block), then join(), which returns None.
        pool = coord.Pool(2)
        self.assertEqual(pool.map(square, range(4)), [0, 1, 4, 9])
        pool.terminate()
        self.assertIsNone(pool.join())
        with coord.Pool(2) as pool:
            self.assertEqual(pool.apply(square, (3,)), 9)
        self.assertIsNone(pool.join())

    def test_with_on_a_terminated_pool_raises(self):
        # bpo-35477: entering a pool that is not running raises ValueError.
        pool = coord.Pool(1)
        pool.terminate()
        with self.assertRaises(ValueError):
            with pool:
                pass


if __name__ == "__main__":
    unittest.main()
