# SPDX-License-Identifier: MIT
"""Bad input to the binding gets a Python exception: never a crash, a hang,
a silently wrapped number, data read back as something else, or another
process's object torn down. One test per defect found by an audit of the
binding (session 8); each failed before its fix."""

import enum
import itertools
import os
import pickle
import subprocess
import sys
import unittest

import coord
from helpers import NamedTestCase, fork, join_ok


class TwoArgError(Exception):
    """Pickles, but does not unpickle: __init__ takes two arguments and
    Exception pickles only .args (one here)."""

    def __init__(self, a, b):
        super().__init__(a)
        self.b = b


def raise_two_arg(x):
    raise TwoArgError(x, 2)


def square(x):
    return x * x


def die(code):
    os._exit(code)


def time_sleep(s):
    import time
    time.sleep(s)


class Color(enum.IntEnum):
    RED = 1


class PoolBadInput(unittest.TestCase):
    def test_result_that_does_not_unpickle_fails_its_own_task_only(self):
        with coord.Pool(1) as p:
            bad = p.submit(raise_two_arg, 1)
            good = p.submit(square, 3)
            # The good task's result is not blamed for the bad one's.
            self.assertEqual(good.result(timeout=60), 9)
            with self.assertRaises(coord.TaskError) as cm:
                bad.result(timeout=60)
            self.assertIn("could not be unpickled", str(cm.exception))
            self.assertIsInstance(cm.exception.__cause__, TypeError)
            # Asked again, the same answer at once (it used to spin forever).
            self.assertTrue(bad.done())
            with self.assertRaises(coord.TaskError):
                bad.result(timeout=60)

    def test_counts_out_of_range_raise_instead_of_wrapping(self):
        for kw in ({"retries": -1}, {"retries": 2 ** 32}):
            with self.assertRaises(OverflowError):
                coord.Pool(1, **kw)
        with self.assertRaises(OverflowError):
            coord.Pool(2 ** 32 + 1)
        with self.assertRaises(TypeError):
            coord.Pool(2.5)

    def test_sizes_over_the_limit_are_bad_arguments_not_memory_errors(self):
        # max_result sized a buffer before the C pool checked its 16 MiB
        # limit: 2**40 raised a bare MemoryError (and 2**30 allocated 1 GiB).
        for kw in ({"max_result": 2 ** 40}, {"max_result": 2 ** 63 - 1},
                   {"max_result": 2 ** 24 + 1}, {"max_task": 2 ** 40}):
            with self.assertRaises(coord.EINVAL) as cm:
                coord.Pool(1, **kw)
            self.assertIsInstance(cm.exception, ValueError)
            self.assertIn("16 MiB", str(cm.exception))
        with self.assertRaises(coord.EINVAL) as cm:
            coord.Pool(1025)
        self.assertIn("at most 1024 processes", str(cm.exception))
        with coord.Pool(1, max_task=2 ** 24, max_result=2 ** 24,
                        queue_capacity=1) as p:
            self.assertEqual(p.apply(square, (3,)), 9)

    def test_initargs_none_without_initializer_is_taken(self):
        # As multiprocessing.Pool(1, None, None); it raised TypeError.
        with coord.Pool(1, None, None) as p:
            self.assertEqual(p.apply(abs, (-1,)), 1)
        with self.assertRaises(TypeError):
            coord.Pool(1, print, None)

    def test_queue_capacity_limit_names_it(self):
        # 2**30 queued chunks is the queue's limit (COORD_QUEUE_MAX_CAPACITY):
        # said with the argument's name, as a ValueError.
        with self.assertRaises(ValueError) as cm:
            coord.Pool(1, queue_capacity=2 ** 30 + 1)
        self.assertIn("queue_capacity is at most", str(cm.exception))

    def test_timeouts_follow_the_queues_rules(self):
        with coord.Pool(1) as p:
            f = p.submit(square, 4)
            for bad in (-0.5, float("nan")):
                with self.assertRaises(ValueError):
                    f.result(timeout=bad)
            # inf and beyond 2**31 ms: no limit, as Queue.get takes them.
            self.assertEqual(f.result(timeout=float("inf")), 16)
            self.assertEqual(f.result(timeout=1e7), 16)
            p.close()
            with self.assertRaises(ValueError):
                p.join(timeout=-1)
            p.join(timeout=float("inf"))

    def test_async_result_api_and_callbacks(self):
        got, errs = [], []
        with coord.Pool(2) as p:
            r = p.apply_async(square, (5,), callback=got.append)
            self.assertEqual(r.get(timeout=60), 25)
            self.assertTrue(r.ready())
            self.assertTrue(r.successful())
            e = p.apply_async(die, (3,), error_callback=errs.append)
            e.wait(60)
            self.assertTrue(e.ready())
            self.assertFalse(e.successful())
            m = p.map_async(square, range(10), callback=got.append)
            self.assertEqual(m.get(timeout=60), [x * x for x in range(10)])
            self.assertTrue(m.successful())
            s = p.starmap_async(pow, [(2, 3), (3, 2)])
            self.assertEqual(s.get(timeout=60), [8, 9])
        self.assertEqual(got, [25, [x * x for x in range(10)]])
        self.assertEqual(len(errs), 1)
        self.assertIsInstance(errs[0], coord.WorkerDied)

    def test_a_result_timeout_is_both_timeout_errors(self):
        import multiprocessing
        with coord.Pool(1) as p:
            f = p.submit(time_sleep, 5)
            with self.assertRaises(multiprocessing.TimeoutError):
                f.get(timeout=0.05)  # as multiprocessing's AsyncResult.get
            with self.assertRaises(TimeoutError):
                f.result(timeout=0.05)  # as concurrent.futures

    def test_imap_takes_an_endless_iterable(self):
        with coord.Pool(2) as p:
            first = list(itertools.islice(p.imap(square, itertools.count()), 5))
            self.assertEqual(first, [0, 1, 4, 9, 16])
            some = set(itertools.islice(p.imap_unordered(square, itertools.count()), 300))
            self.assertEqual(len(some), 300)


class SearchBadInput(unittest.TestCase):
    def test_bounds_beyond_64_bits_raise_instead_of_wrapping(self):
        for start, stop in ((0, 2 ** 64 + 10), (2 ** 64, 2 ** 64 + 5)):
            with self.assertRaises(OverflowError):
                coord.search(lambda i: i, start, stop, workers=1)
        with self.assertRaises(OverflowError):
            coord.search(lambda i: None, 0, 10, workers=1, check_every=2 ** 65 + 3)
        with self.assertRaises(OverflowError):
            coord.search(lambda i: None, 0, 10, workers=2 ** 32 + 1)
        for bad in (-1, float("nan")):
            with self.assertRaises(ValueError):
                coord.search(lambda i: None, 0, 10, workers=1, timeout=bad)

    def test_value_too_big_is_named_in_full(self):
        # The message was cut to max_result bytes ("the probe's valu").
        with self.assertRaises(TypeError) as cm:
            coord.search(lambda i: "x" * 100, 0, 10, workers=1, max_result=16)
        self.assertIn("pickles to more than max_result bytes", str(cm.exception))


class SharedBadInput(NamedTestCase):
    @unittest.skipUnless(os.geteuid() == 0, "needs root to give a file to another user")
    def test_a_name_squatted_by_another_user_says_so(self):
        # The hint was "a crashed run left it (coord.gc(remove=True)
        # removes those ...)", but gc never removes another user's file.
        name = self.name("sq")
        path = "/dev/shm/coord." + name
        with open(path, "w"):
            pass
        try:
            os.chown(path, 65534, 65534)
            with self.assertRaises(coord.EEXIST) as cm:
                coord.Value("i", 0, name=name)
            self.assertIn("another user's file (uid 65534)", str(cm.exception))
            self.assertNotIn("crashed run", str(cm.exception))
        finally:
            os.unlink(path)

    def test_value_open_with_the_wrong_typecode_raises(self):
        # It used to read the value after freeing it (a segfault).
        name = self.name("v")
        v = coord.Value("i", 3, name=name)
        with self.assertRaises(TypeError) as cm:
            coord.Value.open(name, "d")
        self.assertIn("i32", str(cm.exception))
        self.assertEqual(v.value, 3)

    def test_named_empty_array_is_refused(self):
        # An opener would have seen one element (the hidden one).
        with self.assertRaises(ValueError):
            coord.Array("i", 0, name=self.name("a"))
        self.assertEqual(len(coord.Array("i", 0)), 0)

    def test_an_array_over_the_size_limit_raises_overflowerror(self):
        # As multiprocessing's (ctypes: "array too large"); it was
        # coord.EINVAL, a ValueError.
        for tc, n in (("i", 2 ** 62), ("q", 2 ** 37 + 1), ("c", 2 ** 40 + 1)):
            with self.assertRaises(OverflowError):
                coord.Array(tc, n)
        self.assertEqual(len(coord.Array("c", 2 ** 20)), 2 ** 20)

    def test_name_with_a_nul_is_refused(self):
        with self.assertRaises(ValueError):
            coord.Value("i", 1, name=self.name("v") + "\0suffix")
        self.assertFalse(os.path.exists("/dev/shm/coord." + self.name("v")))

    def test_claim_epoch_out_of_range_raises(self):
        f = coord.Flag()
        e = f.reset()
        for bad in (e + 2 ** 32, 2 ** 64 + e, -1):
            with self.assertRaises(OverflowError):
                f.claim_epoch(bad)
        self.assertFalse(f.is_set())
        self.assertTrue(f.claim_epoch(e))

    def test_strerror_of_a_code_beyond_int(self):
        with self.assertRaises(OverflowError):
            coord.strerror(2 ** 40)
        self.assertEqual(coord.strerror(0), "success")


class ManagerBadInput(unittest.TestCase):
    def test_bytes_that_look_pickled_read_back_as_written(self):
        with coord.Manager() as m:
            d = m.dict("d")
            marker = b"\0coord-pickle\0"
            values = [marker + pickle.dumps([1, 2]), marker + b"garbage", marker, b"plain"]
            for i, v in enumerate(values):
                d["k%d" % i] = v
            for i, v in enumerate(values):
                self.assertEqual(d["k%d" % i], v)

    def test_dict_pop_setdefault_update_values(self):
        with coord.Manager() as m:
            d = m.dict("d")
            d.update({"a": 1}, b=2)
            self.assertEqual(sorted(d.values()), [1, 2])
            self.assertEqual(d.pop("a"), 1)
            self.assertNotIn("a", d)
            with self.assertRaises(KeyError):
                d.pop("a")
            self.assertEqual(d.pop("a", "none"), "none")
            self.assertEqual(d.setdefault("b", 9), 2)
            self.assertEqual(d.setdefault("c", 3), 3)
            self.assertEqual(sorted(d.items()), [("b", 2), ("c", 3)])

    def test_int_subclasses_keep_their_type(self):
        with coord.Manager() as m:
            d = m.dict("d")
            d["e"] = Color.RED
            d["b"] = True
            self.assertIs(d["e"], Color.RED)
            self.assertIs(d["b"], True)

    def test_forked_child_leaves_the_server_reachable(self):
        with coord.Manager() as m:
            d = m.dict("d")
            d["a"] = 1

            def child():
                d["b"] = 2
                m.shutdown()  # lets go of this process's copy only
                return True
            join_ok(self, fork(child))
            # A forked child that exits normally (its copy is freed at exit).
            code = subprocess.run(
                [sys.executable, "-c",
                 "import coord, os, sys\n"
                 "m = coord.Manager()\n"
                 "pid = os.fork()\n"
                 "if pid == 0:\n"
                 "    sys.exit(0)\n"
                 "os.waitpid(pid, 0)\n"
                 "print(os.path.exists(m.address))\n"
                 "coord.Manager(m.address).dict('d')['x'] = 1\n"],
                capture_output=True, text=True, timeout=60, env=dict(os.environ))
            self.assertEqual(code.returncode, 0, code.stderr)
            self.assertEqual(code.stdout.strip(), "True")
            self.assertTrue(os.path.exists(m.address))
            self.assertEqual(coord.Manager(m.address).dict("d")["b"], 2)


if __name__ == "__main__":
    unittest.main()
