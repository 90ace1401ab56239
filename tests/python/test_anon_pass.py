# SPDX-License-Identifier: MIT
"""Anonymous coord objects (no name=) given to spawn and forkserver children
by descriptor, as multiprocessing gives them its own Value and Array: the
children change them and the parent sees it; plain pickling still refuses
them; nothing is left in /dev/shm or open in the parent."""

import gc
import multiprocessing
import os
import pickle
import resource
import unittest

import coord
from helpers import NamedTestCase, fork, join_ok

JOIN = 60.0


def open_fds():
    return sorted(int(n) for n in os.listdir("/proc/self/fd"))


def shm_files(*pids):
    """The coord files in /dev/shm that these processes made (other tests
    may be making theirs meanwhile)."""
    return [e for e in coord.gc() if e["creator_pid"] in pids]


def noop():
    pass


def change_all(flag, value, raw, arr, chars, queue, lock, held, go):
    """A child's turn: changes every object it was given, then holds the
    RLock until the parent has seen that it cannot take it."""
    with lock:
        value.value += 5
    raw.value = 2.5
    arr[1] = 7.0
    chars.value = b"hi"
    queue.put(("from child", os.getpid()))
    lock.acquire()
    held.set()
    ok = go.wait(JOIN)
    lock.release()
    if ok:
        flag.set()


def report_len(arr, out):
    out.value = len(arr)


_pool_value = None


def pool_init(value):
    global _pool_value
    _pool_value = value


def pool_add(n):
    return _pool_value.add(n)


class AnonymousToChildren(NamedTestCase):
    def _warm(self, ctx):
        """Start the context's helpers (spawn's resource tracker, the fork
        server) first: they keep descriptors open in this process for good."""
        p = ctx.Process(target=noop)
        p.start()
        p.join(JOIN)
        self.assertEqual(p.exitcode, 0)

    def _children(self, method):
        ctx = multiprocessing.get_context(method)
        self._warm(ctx)
        fds = open_fds()
        flag, held, go = coord.Flag(), coord.Flag(), coord.Flag()
        value = coord.Value("i", 1)
        raw = coord.RawValue("d", 0.0)
        arr = coord.Array("d", 3)
        chars = coord.Array("c", 8)
        queue = coord.Queue()
        lock = coord.RLock()
        p = ctx.Process(target=change_all, args=(flag, value, raw, arr, chars,
                                                 queue, lock, held, go))
        p.start()
        try:
            self.assertTrue(held.wait(JOIN), "the child never held the lock")
            # The child holds the very lock: this process cannot take it.
            self.assertFalse(lock.acquire(block=False))
        finally:
            go.set()
            p.join(JOIN)
            if p.is_alive():
                p.kill()
                p.join()
        self.assertEqual(p.exitcode, 0)
        self.assertTrue(flag.is_set())
        self.assertEqual(value.value, 6)
        self.assertEqual(raw.value, 2.5)
        self.assertEqual(arr[:], [0.0, 7.0, 0.0])
        self.assertEqual(chars.value, b"hi")
        self.assertEqual(queue.get(timeout=10), ("from child", p.pid))
        self.assertTrue(lock.acquire(timeout=10))
        lock.release()
        # Anonymous objects have no file anywhere, in this process or the child.
        self.assertEqual(shm_files(os.getpid(), p.pid), [])
        del flag, held, go, value, raw, arr, chars, queue, lock, p
        gc.collect()
        self.assertEqual(open_fds(), fds)

    def test_spawn_child_changes_anonymous_objects(self):
        self._children("spawn")

    def test_forkserver_child_changes_anonymous_objects(self):
        self._children("forkserver")

    def test_spawn_pool_initargs(self):
        ctx = multiprocessing.get_context("spawn")
        self._warm(ctx)
        fds = open_fds()
        value = coord.Value("q", 0)
        pool = ctx.Pool(2, initializer=pool_init, initargs=(value,))
        try:
            pool.map_async(pool_add, range(1, 11)).get(JOIN)
        finally:
            pool.terminate()
            pool.join()
        self.assertEqual(value.value, 55)
        del pool, value
        gc.collect()
        self.assertEqual(open_fds(), fds)

    def test_empty_array_keeps_its_length(self):
        ctx = multiprocessing.get_context("spawn")
        arr, out = coord.Array("i", 0), coord.Value("i", -1)
        p = ctx.Process(target=report_len, args=(arr, out))
        p.start()
        p.join(JOIN)
        self.assertEqual((p.exitcode, out.value), (0, 0))

    def test_plain_pickling_still_refused(self):
        objects = (coord.Flag(), coord.Value("i"), coord.RawValue("i"),
                   coord.Array("i", 2), coord.RawArray("c", 2), coord.Queue(),
                   coord.RLock(), coord.Value("i").get_lock())
        for obj in objects:
            with self.assertRaisesRegex(TypeError, "create it with a name"):
                pickle.dumps(obj)
        q = coord.Queue()
        for obj in objects:
            with self.assertRaisesRegex(TypeError, "create it with a name"):
                q.put(obj)
        self.assertTrue(q.empty())
        # A lock's refusal says where a named lock comes from (it pickles
        # as its Value, and coord.RLock() takes no name).
        for lock in (coord.RLock(), coord.Value("i").get_lock()):
            with self.assertRaisesRegex(TypeError, r'coord\.RLock\(\) pickles as its Value.*'
                                        r'coord\.Value\("B", 0, name="\.\.\."\)\.get_lock\(\)'):
                pickle.dumps(lock)

    def test_named_lock_pickles_by_name(self):
        v = coord.Value("i", 0, name=self.name("v"))
        lock = pickle.loads(pickle.dumps(v.get_lock()))
        with lock:
            # The same lock: a forked child cannot take it meanwhile.
            join_ok(self, fork(lambda: v.get_lock().acquire(block=False) is False))

    def test_made_without_a_free_descriptor_says_so(self):
        """Out of descriptors, an anonymous object is still made (for fork
        children), and a spawn child start says why it cannot have it."""
        def child():
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            lowest = os.open("/dev/null", os.O_RDONLY)
            os.close(lowest)
            resource.setrlimit(resource.RLIMIT_NOFILE, (lowest, hard))
            try:
                v = coord.Value("i", 3)
                q = coord.Queue()
            finally:
                resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
            self.assertEqual((v.value, q.empty()), (3, True))
            ctx = multiprocessing.get_context("spawn")
            for obj in (v, q):
                p = ctx.Process(target=noop, args=(obj,))
                with self.assertRaisesRegex(TypeError, "made without a file descriptor"):
                    p.start()
        join_ok(self, fork(child))


if __name__ == "__main__":
    unittest.main()
