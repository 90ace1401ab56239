# SPDX-License-Identifier: MIT
"""coord as a drop-in for multiprocessing: the idioms an audit found
behaving differently (each test states what multiprocessing does)."""

import os
import pickle
import queue
import threading
import time
import unittest
from multiprocessing.pool import MaybeEncodingError

import coord
from helpers import NamedTestCase, fork, join, join_ok

LIMIT = 60.0  # seconds any bounded wait below may take on a loaded machine


COUNT = None  # a coord.Value made before the pool forks (workers inherit it)


def square(x):
    return x * x


def fail_in_worker(x):
    raise ValueError("bad %d" % x)


def big_result(n):
    return b"x" * n


def a_lock(x):
    """A result that does not pickle."""
    return threading.Lock() if x == 2 else x


def exits(x):
    import sys
    sys.exit(3)


class Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("no reduce")


def raise_unpicklable(x):
    raise Unpicklable("boom")


def count(x):
    COUNT.value += 1  # one worker: no lock needed
    return x


def wait_count(n):
    """Wait (bounded) until the workers have run n tasks."""
    deadline = time.monotonic() + LIMIT
    while COUNT.value < n:
        if time.monotonic() > deadline:
            raise AssertionError("the workers ran %d of %d tasks" % (COUNT.value, n))
        time.sleep(0.01)


GATE = None  # a coord.Flag made before the pool forks (workers inherit it)


def wait_gate(x):
    """x, once GATE is set (bounded)."""
    if not GATE.wait(LIMIT):
        raise AssertionError("the gate was never set")
    return x


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

    def test_imap_next_takes_a_timeout(self):
        # multiprocessing's IMapIterator.next(timeout): TimeoutError when
        # the next result is not in within it, and the iterator goes on
        # (a later call waits for the same result). Here the iterators had
        # no next method (AttributeError).
        import multiprocessing
        global GATE
        GATE = coord.Flag()
        for which in ("imap", "imap_unordered"):
            GATE.reset()
            with coord.Pool(2) as pool:
                it = getattr(pool, which)(wait_gate, [0, 1], 2)
                with self.assertRaises(multiprocessing.TimeoutError):
                    it.next(timeout=0.05)
                with self.assertRaises(multiprocessing.TimeoutError):
                    it.next(0)
                with self.assertRaises(ValueError):
                    it.next(timeout=-1)
                GATE.set()
                self.assertEqual(it.next(timeout=LIMIT), 0)
                self.assertEqual(it.next(), 1)
                with self.assertRaises(StopIteration):
                    it.next(timeout=LIMIT)

    def test_with_on_a_terminated_pool_raises(self):
        # bpo-35477: entering a pool that is not running raises ValueError.
        pool = coord.Pool(1)
        pool.terminate()
        with self.assertRaises(ValueError):
            with pool:
                pass

    def test_ready_sees_every_finished_task_and_runs_callbacks(self):
        # multiprocessing's result thread collects results as they come:
        # tasks that finished long ago are ready() and their callbacks ran,
        # without a call into the pool. coord's result thread does the same.
        global COUNT
        COUNT = coord.Value("i", 0)
        with coord.Pool(1) as pool:
            seen = []
            rs = [pool.apply_async(count, (i,), callback=seen.append)
                  for i in range(4)]
            wait_count(4)
            deadline = time.monotonic() + LIMIT
            while len(seen) < 4:  # no call into the pool
                self.assertLess(time.monotonic(), deadline, "callbacks never ran")
                time.sleep(0.01)
            self.assertEqual(sorted(seen), [0, 1, 2, 3])
            self.assertTrue(all(r.ready() for r in rs))
            self.assertTrue(rs[2].successful())
            # Without a callback, ready() collects what is in. One worker
            # sends a task's result before it takes the next task: once the
            # next one ran, the first's result is here.
            plain = pool.apply_async(count, (4,))
            pool.apply_async(count, (5,))
            wait_count(6)
            self.assertTrue(plain.ready())
            # A forked child sees what was settled; it collects nothing.
            pending = pool.apply_async(count, (6,))
            join_ok(self, fork(lambda: rs[0].ready() and rs[0].successful()))
            pending.wait(LIMIT)

    def test_a_workers_exception_carries_its_traceback(self):
        # multiprocessing: the re-raised exception's __cause__ is a
        # RemoteTraceback whose str is the worker's formatted traceback.
        from multiprocessing.pool import RemoteTraceback
        with coord.Pool(1) as pool:
            with self.assertRaises(ValueError) as cm:
                pool.apply(fail_in_worker, (7,))
            self.assertEqual(str(cm.exception), "bad 7")
            cause = cm.exception.__cause__
            self.assertIsInstance(cause, RemoteTraceback)
            self.assertIn("in fail_in_worker", str(cause))
            self.assertIn('raise ValueError("bad %d" % x)', str(cause))
            self.assertIn("ValueError: bad 7", str(cause))
            with self.assertRaises(ValueError) as cm:
                pool.map(fail_in_worker, [3])
            self.assertIsInstance(cm.exception.__cause__, RemoteTraceback)
        # A traceback that does not fit max_result leaves the exception bare.
        with coord.Pool(1, max_result=200) as pool:
            with self.assertRaises(ValueError) as cm:
                pool.apply(fail_in_worker, (8,))
            self.assertIsNone(cm.exception.__cause__)


class EncodingTest(unittest.TestCase):
    def test_a_result_that_does_not_pickle_is_a_maybeencodingerror(self):
        # multiprocessing raises MaybeEncodingError (.exc, .value: why, and
        # the result's repr); coord raised a TaskError only, which an
        # `except MaybeEncodingError` missed. Now both, with the reason.
        with coord.Pool(2) as pool:
            calls = (lambda: pool.apply(a_lock, (2,)),
                     lambda: pool.map(a_lock, range(5), chunksize=5),
                     lambda: list(pool.imap(a_lock, range(5))),
                     lambda: pool.apply(raise_unpicklable, (1,)))
            for call in calls:
                with self.assertRaises(MaybeEncodingError) as cm:
                    call()
                e = cm.exception
                self.assertIsInstance(e, coord.TaskError)
                self.assertIn("could not be pickled in the worker", str(e))
                self.assertIn("TypeError", e.exc)
                self.assertTrue(e.value.startswith(("<unlocked _thread.lock", "Unpicklable(")),
                                e.value)
                back = pickle.loads(pickle.dumps(e))
                self.assertEqual((type(back), str(back), back.exc, back.value),
                                 (type(e), str(e), e.exc, e.value))
            self.assertEqual(pool.map(square, range(3)), [0, 1, 4])  # still works
        # Where even the reason does not fit max_result, a TaskError says so.
        with coord.Pool(1, max_result=64) as pool:
            with self.assertRaises(coord.TaskError) as cm:
                pool.apply(a_lock, (2,))
            self.assertIn("pickle", str(cm.exception))


class SystemExitTest(unittest.TestCase):
    def test_a_task_that_calls_sys_exit_raises_systemexit_in_the_parent(self):
        # As concurrent.futures does (a multiprocessing worker exits and the
        # pool waits for ever): the task fails with its SystemExit, the
        # worker goes on.
        with coord.Pool(1) as pool:
            with self.assertRaises(SystemExit) as cm:
                pool.map(exits, range(2))
            self.assertEqual(cm.exception.code, 3)
            self.assertEqual(pool.map(square, range(3)), [0, 1, 4])
            self.assertEqual(pool.stats()["deaths"], 0)


class Index:
    """An integer by __index__ only, as numpy's integer scalars are."""

    def __init__(self, v):
        self.v = v

    def __index__(self):
        return self.v


class SharedSetterTest(unittest.TestCase):
    def test_index_integers_are_taken_by_integer_typecodes(self):
        # ctypes (so multiprocessing) takes numpy.int64(5) for 'i'.
        v = coord.Value("i", Index(5))
        self.assertEqual(v.value, 5)
        v.value = Index(-7)
        self.assertEqual(v.value, -7)
        a = coord.Array("Q", 3)
        a[0] = Index(2**64 - 1)
        a[1:3] = [Index(1), Index(2)]
        self.assertEqual(list(a), [2**64 - 1, 1, 2])
        with self.assertRaises(OverflowError):
            a[0] = Index(-1)
        with self.assertRaises(TypeError):
            v.value = 1.5  # floats keep their rule: refused for integers
        w = coord.Value("d", 0.0)
        w.value = 2  # and an int still goes to a double
        self.assertEqual(w.value, 2.0)

    def test_char_array_takes_bytes_like_and_refuses_an_int(self):
        # ctypes: c.value = 5 raises TypeError (bytes(5) would be five
        # zero bytes); Array('c', bytearray(...)) is b'xy'.
        a = coord.Array("c", bytearray(b"xy"))
        self.assertEqual(a.raw, b"xy")
        with self.assertRaises(TypeError):
            a.value = 5
        with self.assertRaises(TypeError):
            a.raw = 2
        self.assertEqual(a.raw, b"xy")
        a.raw = bytearray(b"z")
        self.assertEqual(a.raw, b"zy")
        a.value = b"q"
        self.assertEqual(a.raw, b"q\0")
        self.assertEqual(coord.RawArray("c", memoryview(b"abc")).value, b"abc")


    def test_a_char_element_takes_an_int_or_a_bytearray_byte(self):
        # ctypes' c_char (so multiprocessing's Value('c') and Array('c'))
        # takes b"A", bytearray(b"A") or 65 for one element; coord took
        # bytes alone.
        v = coord.Value("c", 65)
        self.assertEqual(v.value, b"A")
        v.value = bytearray(b"B")
        self.assertEqual(v.value, b"B")
        v.value = 0
        self.assertEqual(v.value, b"\0")
        a = coord.Array("c", [65, b"b", bytearray(b"c")])
        self.assertEqual(a.raw, b"Abc")
        a[0] = 120
        a[1:3] = bytearray(b"yz")
        self.assertEqual(a.raw, b"xyz")
        a[::2] = [49, 50]
        self.assertEqual(a.raw, b"1y2")
        with self.assertRaises(OverflowError):
            a[0] = 256
        with self.assertRaises(OverflowError):
            v.value = -1
        with self.assertRaises(TypeError):
            v.value = b"ab"
        with self.assertRaises(TypeError):
            v.value = 1.0
        self.assertEqual(a.raw, b"1y2")
        self.assertEqual(v.value, b"\0")


class LockTest(unittest.TestCase):
    def test_lock_arguments_and_identity_as_multiprocessing(self):
        # lock=1 is lock=True there (`lock in (True, None)`); get_lock()
        # is the same object each time; releasing an unheld lock raises
        # AssertionError there (RuntimeError in threading): both here.
        v = coord.Value("i", 1, lock=1)
        self.assertIsInstance(v, coord.Value)
        self.assertNotIsInstance(v, coord.RawValue)
        self.assertIs(v.get_lock(), v.get_lock())
        a = coord.Array("i", 3)
        self.assertIs(a.get_lock(), a.get_lock())
        lk = v.get_lock()
        with self.assertRaises(AssertionError):
            lk.release()
        with self.assertRaises(RuntimeError):
            lk.release()
        with lk:
            v.value += 1
        del lk
        self.assertTrue(v.get_lock().acquire(timeout=1))  # a new one after the last went
        v.get_lock().release()
        self.assertEqual(v.value, 2)
        with self.assertRaises(AttributeError):
            coord.Value("i", 1, lock=0)  # as multiprocessing: 0 has no acquire

    def test_an_object_dropped_while_its_lock_is_held(self):
        # multiprocessing: a Value, Array or RLock dropped while this
        # thread holds its lock costs nothing. Here its memory held a
        # robust mutex on this thread's robust list, and unmapping it held
        # made the thread's next robust lock (a queue's get with a
        # timeout) crash with SIGSEGV. Each in a child of its own, and
        # nothing mapped between the drop and the get (a new mapping at
        # the freed address would hide the fault).
        def value():
            coord.Value("i").get_lock().acquire()

        def array():
            a = coord.Array("d", 4)
            a.acquire()
            a.acquire()  # re-entrant: held twice

        def rlock():
            coord.RLock().acquire()

        def then_get(drop):
            q = coord.Queue(1)
            drop()
            try:
                q.get(timeout=0.01)
            except queue.Empty:
                return True
            return False

        for drop in (value, array, rlock):
            with self.subTest(drop.__name__):
                join_ok(self, fork(then_get, drop))

    def test_with_and_acquire_on_the_object_as_multiprocessing(self):
        # multiprocessing's Value and Array (synchronized wrappers) are
        # context managers and have acquire()/release() for their lock
        # (`with counter: counter.value += 1`); here they raised TypeError
        # and AttributeError. Raw ones have neither, there and here.
        def child_takes(obj):
            return obj.acquire(timeout=0.05)

        for obj in (coord.Value("i", 0), coord.Array("i", 3)):
            with obj:
                status = join(fork(child_takes, obj), LIMIT)
                self.assertEqual(os.waitstatus_to_exitcode(status), 1)  # held here
            join_ok(self, fork(child_takes, obj))                       # free again
            self.assertTrue(obj.acquire())
            self.assertTrue(obj.acquire(False))  # re-entrant
            self.assertTrue(obj.acquire(timeout=1))
            for _ in range(3):
                obj.release()
            with self.assertRaises(AssertionError):
                obj.release()  # not held
        for raw in (coord.RawValue("i", 0), coord.RawArray("i", 3)):
            self.assertFalse(hasattr(raw, "acquire"))
            with self.assertRaises((TypeError, AttributeError)):
                with raw:
                    pass

    def test_no_public_lock_type_that_cannot_be_made(self):
        # coord.Lock() raised "cannot create 'coord.Lock' instances": the
        # name is gone; RLock() makes a standalone lock.
        self.assertFalse(hasattr(coord, "Lock"))
        self.assertNotIn("Lock", coord.__all__)
        lock = coord.RLock()
        self.assertTrue(lock.acquire())
        self.assertTrue(lock.acquire(False))  # re-entrant, as an RLock

        def child():
            return not lock.acquire(timeout=0.05)  # the parent holds it

        join_ok(self, fork(child))
        lock.release()
        lock.release()

        def child_takes():
            with lock:
                return True

        join_ok(self, fork(child_takes))


    def test_a_negative_timeout_is_one_try(self):
        # multiprocessing's SemLock.acquire takes a negative timeout as 0:
        # False at once while another thread holds the lock. coord waited
        # until the holder let go (for ever, if it never did).
        lock = coord.RLock()
        held, done = threading.Event(), threading.Event()

        def holder():
            with lock:
                held.set()
                done.wait(10)  # without the fix, acquire returns then

        th = threading.Thread(target=holder)
        th.start()
        try:
            self.assertTrue(held.wait(LIMIT))
            t0 = time.monotonic()
            got = lock.acquire(timeout=-1)
            if got:
                lock.release()
            self.assertFalse(got)
            self.assertFalse(lock.acquire(True, -0.5))
            self.assertLess(time.monotonic() - t0, 5)
        finally:
            done.set()
            th.join()
        self.assertTrue(lock.acquire(timeout=-1))  # free: the one try takes it
        lock.release()


class MessageTest(NamedTestCase):
    def test_eexist_names_the_object_and_the_remedy(self):
        # It said "Value: object already exists" and nothing else.
        name = self.name("x")
        keep = [coord.Value("i", name=name)]
        for make in (lambda: coord.Value("i", name=name),
                     lambda: coord.Array("i", 2, name=name),
                     lambda: coord.Queue(name=name),
                     lambda: coord.Flag(name=name)):
            with self.assertRaises(coord.EEXIST) as cm:
                keep.append(make())
            self.assertIn("/dev/shm/coord." + name, str(cm.exception))
            self.assertIn("coord.gc(remove=True)", str(cm.exception))
            self.assertEqual(cm.exception.name, "COORD_EEXIST")

    def test_size_limits_say_the_size_the_limit_and_the_option(self):
        q = coord.Queue(max_msg=100)
        with self.assertRaises(coord.EMSGSIZE) as cm:
            q.put_bytes(b"y" * 150)
        for part in ("150 bytes", "max_msg of 100", "Queue(max_msg=...)"):
            self.assertIn(part, str(cm.exception))
        with coord.Pool(1, max_task=200, max_result=100) as pool:
            with self.assertRaises(coord.EMSGSIZE) as cm:
                pool.apply(square, (b"z" * 300,))
            for part in ("max_task of 200", "Pool(max_task=...)"):
                self.assertIn(part, str(cm.exception))
            with self.assertRaises(coord.TaskError) as cm:
                pool.apply(big_result, (500,))
            for part in ("518 bytes", "Pool(max_result=100)"):
                self.assertIn(part, str(cm.exception))


if __name__ == "__main__":
    unittest.main()
