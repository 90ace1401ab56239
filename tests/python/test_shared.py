# SPDX-License-Identifier: MIT
"""coord.Flag, Value, Array, errors, named objects and pickling by name,
coord.gc: with real forked, spawned and unrelated processes."""

import array
import ctypes
import gc
import multiprocessing
import os
import pickle
import signal
import struct
import subprocess
import sys
import unittest

import coord
from helpers import NamedTestCase, fork, join, join_ok

try:
    import numpy
except ImportError:
    numpy = None


def spawn_child(flag, value, arr, queue):
    """Target for spawn/forkserver children: every object arrives by name."""
    value.value = 42
    arr[0] = 7
    queue.put(("hello", os.getpid()))
    flag.set()


class FlagTest(unittest.TestCase):
    def test_claim_exactly_once_across_processes(self):
        flag = coord.Flag()
        wins = coord.Value("i", 0)
        go = coord.Flag()

        def child():
            go.wait(30)
            if flag.claim():
                wins.add(1)
        pids = [fork(child) for _ in range(6)]
        go.set()
        for pid in pids:
            join_ok(self, pid)
        self.assertEqual(wins.value, 1)
        self.assertTrue(flag.is_set())
        self.assertFalse(flag.claim())

    def test_truth_value_is_is_set(self):
        flag = coord.Flag()
        self.assertFalse(flag)
        flag.set()
        self.assertTrue(flag)
        flag.reset()
        self.assertFalse(flag)

    def test_claim_locked_and_epochs(self):
        flag = coord.Flag()
        self.assertTrue(flag.claim_locked())
        self.assertFalse(flag.claim_locked())
        self.assertEqual(flag.reset(), 1)
        self.assertEqual(flag.epoch, 1)
        self.assertFalse(flag.is_set())
        self.assertFalse(flag.claim_epoch(0))  # a late worker of round 0
        self.assertTrue(flag.claim_epoch(1))
        e = flag.reset()
        self.assertTrue(flag.claim_epoch(e, locked=True))  # the documented keyword
        self.assertFalse(flag.claim_epoch(epoch=e))

    def test_wait_wakes_on_set_from_another_process(self):
        flag = coord.Flag()
        ready = coord.Flag()
        woke = coord.Value("b", 0)

        def child():
            ready.set()
            woke.value = 1 if flag.wait(30) else 2
        pid = fork(child)
        self.assertTrue(ready.wait(30))
        flag.set()
        join_ok(self, pid)
        self.assertEqual(woke.value, 1)

    def test_wait_times_out(self):
        self.assertFalse(coord.Flag().wait(0.02))
        self.assertFalse(coord.Flag().wait(0))
        with self.assertRaises(ValueError):
            coord.Flag().wait(-1)


class ValueTest(unittest.TestCase):
    def test_typecodes_and_ctypes(self):
        cases = [("b", -5), ("B", 200), ("h", -300), ("H", 60000), ("i", -7),
                 ("I", 4000000000), ("l", -2 ** 40), ("L", 2 ** 63), ("q", -2 ** 62),
                 ("Q", 2 ** 64 - 1), ("d", 2.5), ("?", True), ("c", b"z"),
                 (ctypes.c_int, 12), (ctypes.c_double, 0.25), (ctypes.c_bool, True)]
        for code, val in cases:
            with self.subTest(code=code):
                v = coord.Value(code, val)
                self.assertEqual(v.value, val)
        self.assertEqual(coord.Value("i").value, 0)
        with self.assertRaises(OverflowError):
            coord.Value("b", 300)
        with self.assertRaises(ValueError):
            coord.Value("f", 1.0)  # coord has no 32-bit float
        with self.assertRaises(TypeError):
            coord.Value("i", "x")

    def test_locked_increments_from_processes(self):
        v = coord.Value("i", 0)

        def child():
            for _ in range(500):
                with v.get_lock():
                    v.value += 1
            for _ in range(500):
                v.add(1)
        pids = [fork(child) for _ in range(4)]
        for pid in pids:
            join_ok(self, pid)
        self.assertEqual(v.value, 4000)

    def test_add_cas_and_reentrant_lock(self):
        v = coord.Value("B", 250)
        self.assertEqual(v.add(10), 250)
        self.assertEqual(v.value, 4)  # wraps in the type, as C does
        self.assertTrue(v.compare_exchange(4, 9))
        self.assertFalse(v.compare_exchange(4, 1))
        self.assertEqual(v.value, 9)
        lock = v.get_lock()
        with lock:
            with v.get_lock():
                v.value = 1
                self.assertEqual(v.add(1), 1)
        self.assertEqual(v.value, 2)
        self.assertTrue(lock.acquire(timeout=1))
        lock.release()
        with self.assertRaises(RuntimeError):
            lock.release()

    def test_lock_holder_killed_does_not_wedge(self):
        v = coord.Value("i", 0)
        held = coord.Flag()

        def child():
            v.get_lock().acquire()
            held.set()
            os.kill(os.getpid(), signal.SIGKILL)
        pid = fork(child)
        self.assertTrue(held.wait(30))
        status = join(pid)
        self.assertTrue(os.WIFSIGNALED(status))
        lock = v.get_lock()
        self.assertFalse(lock.recovered)
        self.assertTrue(lock.acquire(timeout=10))
        # Told that the holder died (what it guarded may be half-changed).
        self.assertTrue(lock.recovered)
        v.value = 5
        lock.release()
        self.assertEqual(v.value, 5)
        with lock:
            self.assertFalse(lock.recovered)  # a clean hand-over

    def test_lock_timeout_while_held_elsewhere(self):
        v = coord.Value("i", 0)
        held, done = coord.Flag(), coord.Flag()

        def child():
            with v.get_lock():
                held.set()
                done.wait(30)
        pid = fork(child)
        self.assertTrue(held.wait(30))
        lock = v.get_lock()
        self.assertFalse(lock.acquire(False))
        self.assertFalse(lock.acquire(timeout=0.05))
        self.assertEqual(v.value, 0)  # reads never take the lock
        done.set()
        join_ok(self, pid)
        self.assertTrue(lock.acquire(timeout=10))
        lock.release()

    def test_child_forked_while_parent_holds_the_lock_does_not_hold_it(self):
        v = coord.Value("i", 0)
        got = coord.Value("i", -1)
        lock = v.get_lock()
        with lock:
            def child():
                # Same thread ident as the parent's holder, but another
                # process: it must wait for the lock like anyone else.
                got.value = 1 if lock.acquire(timeout=0.05) else 0
            pid = fork(child)
            status = join(pid)
        self.assertTrue(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0)
        self.assertEqual(got.value, 0)

    def test_raw_value_has_no_lock(self):
        r = coord.Value("i", 3, lock=False)
        self.assertIsInstance(r, coord.RawValue)
        self.assertFalse(hasattr(r, "get_lock"))
        r.value = 4
        self.assertEqual(coord.RawValue("d", 1.5).value, 1.5)
        with self.assertRaises(AttributeError):
            coord.Value("i", 1, lock="nolock")


class ArrayTest(unittest.TestCase):
    def test_sequence_and_slices(self):
        a = coord.Array("i", [5, 6, 7, 8, 9])
        self.assertEqual(len(a), 5)
        self.assertEqual(a[-1], 9)
        self.assertEqual(a[1:4], [6, 7, 8])
        self.assertEqual(a[::2], [5, 7, 9])
        a[1:3] = array.array("i", [60, 70])
        a[::-2] = [1, 2, 3]
        self.assertEqual(list(a), [3, 60, 2, 8, 1])
        with self.assertRaises(ValueError):
            a[0:2] = [1]
        with self.assertRaises(IndexError):
            a[5]
        self.assertEqual(list(coord.Array("d", 3)), [0.0, 0.0, 0.0])
        self.assertEqual(len(coord.Array("i", 0)), 0)

    def test_slice_assignment_from_a_list_an_item_empties(self):
        # An item's __index__ empties the list being assigned: its items
        # were read after each store (a crash); now a copy is assigned.
        vals = []

        class Empties:
            def __index__(self):
                vals.clear()
                return 1
        vals.extend([Empties(), 2, 3, 4])
        a = coord.Array("i", 4)
        a[0:4] = vals
        self.assertEqual(list(a), [1, 2, 3, 4])
        a[1:3] = iter([7, 8])  # any iterable, as before
        self.assertEqual(list(a), [1, 7, 8, 4])

    def test_buffer_is_writable_and_shared(self):
        a = coord.Array("d", 4)
        m = memoryview(a)
        self.assertEqual((m.format, m.itemsize, m.shape, m.readonly), ("d", 8, (4,), False))
        m[2] = 1.5

        def child():
            a[3] = a[2] * 2
        join_ok(self, fork(child))
        self.assertEqual(m.tolist(), [0.0, 0.0, 1.5, 3.0])

    @unittest.skipIf(numpy is None, "numpy is not installed for this python3")
    def test_numpy_frombuffer_zero_copy(self):
        a = coord.Array("q", range(8))
        n = numpy.frombuffer(a, dtype=numpy.int64)
        n *= 2
        self.assertEqual(list(a), [2 * i for i in range(8)])

    def test_char_array(self):
        c = coord.Array("c", b"abc\0de")
        self.assertEqual(c.value, b"abc")
        self.assertEqual(c.raw, b"abc\0de")
        c.value = b"xy"
        self.assertEqual(c.raw, b"xy\0\0de")
        self.assertEqual(c[0], b"x")

    def test_child_updates_under_lock(self):
        a = coord.Array("i", 2)

        def child():
            for _ in range(300):
                with a.get_lock():
                    a[0] += 1
                    a[1] = a[0]
        pids = [fork(child) for _ in range(3)]
        for pid in pids:
            join_ok(self, pid)
        self.assertEqual(list(a), [900, 900])

    def test_locked_array_writes_and_slice_reads_hold_its_lock(self):
        # multiprocessing's Array(lock=True) takes its lock for every
        # access: a thread that holds get_lock() keeps every other thread
        # and process from writing, or from reading a slice half-written.
        # Writes and slice reads took no lock here (a reader holding it saw
        # torn slices of a writer's a[:] = ...).
        import threading
        a = coord.Array("q", 8)
        done = []

        def write():
            a[:] = [7] * 8
            a[0] = 9
            done.append("write")

        def read():
            done.append(a[2:5])
        with a.get_lock():
            threads = [threading.Thread(target=fn) for fn in (write, read)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(0.3)
            self.assertEqual(done, [])  # both wait for the lock
            self.assertEqual(list(a), [0] * 8)
        for t in threads:
            t.join(60)
            self.assertFalse(t.is_alive())
        self.assertIn("write", done)
        self.assertIn(done[1 - done.index("write")], ([0, 0, 0], [7, 7, 7]))
        self.assertEqual(list(a), [9] + [7] * 7)
        # A holder writes and reads as before (re-entrant), a RawArray and
        # a lock=False array never wait.
        with a.get_lock():
            a[1:3] = [1, 2]
            self.assertEqual(a[0:3], [9, 1, 2])
            r = coord.Array("q", 2, lock=False)
            t = threading.Thread(target=lambda: r.__setitem__(slice(0, 2), [3, 4]))
            t.start()
            t.join(60)
            self.assertEqual(r[:], [3, 4])

    def test_locked_array_slices_are_whole_across_processes(self):
        # A child assigns whole slices; the parent's slice reads (each
        # under the lock, as multiprocessing's) never see a mix.
        a = coord.Array("q", 64)
        stop = coord.Flag()

        def child():
            k = 0
            while not stop:
                k += 1
                a[:] = [k] * 64
        pid = fork(child)
        try:
            for _ in range(3000):
                s = a[:]
                self.assertEqual(len(set(s)), 1, "a torn slice: %r" % (s,))
                with a.get_lock():
                    s = a[:]
                self.assertEqual(len(set(s)), 1, "a torn slice: %r" % (s,))
        finally:
            stop.set()
            join_ok(self, pid)


class ErrorsTest(unittest.TestCase):
    def test_classes_carry_the_code_name(self):
        self.assertTrue(issubclass(coord.ETIMEDOUT, coord.Error))
        self.assertTrue(issubclass(coord.ETIMEDOUT, TimeoutError))
        self.assertTrue(issubclass(coord.EINVAL, ValueError))
        self.assertTrue(issubclass(coord.ECLOSED, ValueError))
        self.assertTrue(issubclass(coord.ENOENT, FileNotFoundError))
        with self.assertRaises(coord.ENOENT) as cm:
            coord.Queue.open("no-such-queue-%d" % os.getpid())
        self.assertEqual(cm.exception.name, "COORD_ENOENT")
        self.assertLess(cm.exception.code, 0)
        self.assertIs(coord.errors[cm.exception.code], coord.ENOENT)
        with self.assertRaises(coord.EINVAL):
            coord.Flag(name="bad name/with slash")


class NamedTest(NamedTestCase):
    def test_open_from_an_unrelated_process(self):
        name = self.name("v")
        v = coord.Value("i", 1, name=name)
        a = coord.Array("d", 3, name=self.name("a"))
        code = ("import coord; v = coord.Value.open(%r); v.value += 41; "
                "a = coord.Array.open(%r); a[1] = 2.5" % (name, self.name("a")))
        env = dict(os.environ)
        subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)
        self.assertEqual(v.value, 42)
        self.assertEqual(a[1], 2.5)
        with self.assertRaises(coord.EEXIST):
            coord.Value("i", name=name)

    def test_a_subclass_that_keeps_its_lock_is_collected(self):
        # A lock holds its Value or Array; a subclass that keeps its lock
        # (self.lock = self.get_lock()) makes a cycle through it, which the
        # collector did not see (the lock was no GC object): the object
        # was never freed, and its name stayed in /dev/shm after exit.
        class Counter(coord.Value):
            def __init__(self, *args, **kw):
                self.lock = self.get_lock()

        class Table(coord.Array):
            def __init__(self, *args, **kw):
                self.lock = self.get_lock()

        for kind, make in (("v", lambda n: Counter("i", 0, name=n)),
                           ("a", lambda n: Table("i", 4, name=n))):
            name = self.name(kind)
            obj = make(name)
            with obj.lock:
                obj[0] if kind == "a" else obj.value
            del obj
            gc.collect()
            self.assertFalse(os.path.exists("/dev/shm/coord." + name), kind)

    def test_an_array_another_process_broke_raises_not_sigsegv(self):
        # Another process of the user overwrites the array's words in
        # /dev/shm (untrusted memory): coord_array_data is NULL then, and
        # a 'c' slice, a slice assignment, .raw and memoryview() used it
        # as the elements (SIGSEGV). Now coord.EPROTO, as an item is.
        def child():
            name = self.name("broken")
            a = coord.Array("c", 16, name=name)
            with open("/dev/shm/coord." + name, "r+b") as f:
                head = f.read(4096)
                f.seek(head.index(struct.pack("<I", 0x41525259)))  # "ARRY"
                f.write(b"\0\0\0\0")
            for use in (lambda: a[0], lambda: a[0:4], lambda: a.raw,
                        lambda: a.__setitem__(slice(0, 4), b"abcd"),
                        lambda: memoryview(a)):
                with self.assertRaises(coord.EPROTO):
                    use()
        join_ok(self, fork(child))

    def test_a_value_another_process_broke_raises(self):
        # Another process of the user overwrites the value's words in
        # /dev/shm (untrusted memory): coord_value_get and _store say
        # COORD_EPROTO, and .value returned the uninitialized scalar (stack
        # garbage) and a lock=False write was dropped in silence. Now
        # coord.EPROTO from each.
        def child():
            for cls in (coord.Value, coord.RawValue):
                name = self.name("broken" + cls.__name__)
                v = cls("q", 7, name=name)
                with open("/dev/shm/coord." + name, "r+b") as f:
                    head = f.read(4096)
                    f.seek(head.index(struct.pack("<I", 0x56414c55)))  # "VALU"
                    f.write(b"\0\0\0\0")
                uses = [lambda: v.value, lambda: setattr(v, "value", 5)]
                if cls is coord.Value:
                    uses += [lambda: v.add(1), lambda: v.compare_exchange(7, 9)]
                for use in uses:
                    with self.assertRaises(coord.EPROTO):
                        use()
                self.assertIn("broken", repr(v))
        join_ok(self, fork(child))

    def test_a_named_object_too_big_for_dev_shm_raises_not_sigbus(self):
        # Docker's /dev/shm is 64 MiB. A named Queue(20000) (one page
        # touched per slot at its create) or a filled named Array of 80 MB
        # died of SIGBUS there and left its file; multiprocessing's Array
        # checks the room first. Here: an 8 MiB tmpfs in a mount namespace
        # of its own (root only).
        import shutil
        if os.geteuid() != 0 or not shutil.which("unshare"):
            self.skipTest("needs root and unshare(1) for a small /dev/shm")
        code = (
            "import os, coord\n"
            "for make in (lambda: coord.Queue(20000, name='big-q'),\n"
            "             lambda: coord.Array('d', [1.0] * 2000000, name='big-a')):\n"
            "    try:\n"
            "        make()\n"
            "        raise SystemExit('made')\n"
            "    except MemoryError:\n"
            "        pass\n"
            "left = [f for f in os.listdir('/dev/shm') if f.startswith('coord.')]\n"
            "assert not left, left\n"
            "coord.Queue(4, name='small-q').put(1)\n")
        shell = ("mount -t tmpfs -o size=8m tmpfs /dev/shm || exit 77; "
                 "exec \"$0\" -c \"$1\"")
        r = subprocess.run(["unshare", "-m", "sh", "-c", shell, sys.executable, code],
                           capture_output=True, text=True, timeout=120)
        if r.returncode == 77:
            self.skipTest("no mount namespace here: " + r.stderr.strip())
        self.assertEqual(r.returncode, 0, r.stderr)

    # A value of every typecode coord takes, and a second one to write.
    SAMPLES = {"b": (-5, 7), "B": (200, 1), "h": (-300, 9), "H": (60000, 2),
               "i": (-70000, 3), "I": (4000000000, 4), "l": (-2 ** 40, 5),
               "L": (2 ** 63, 6), "q": (-2 ** 62, 8), "Q": (2 ** 64 - 1, 0),
               "d": (2.5, -0.25), "?": (True, False), "c": (b"\xff", b"z")}

    def test_every_typecode_opens_as_its_creator_made_it(self):
        self.assertEqual(sorted(self.SAMPLES), sorted("bBhHiIlLqQd?c"))
        for k, (tc, (x, y)) in enumerate(self.SAMPLES.items()):
            with self.subTest(typecode=tc):
                # What multiprocessing's creator gives is what coord's
                # creator gives, and an opener gives the same again.
                mp_tc = ctypes.c_bool if tc == "?" else tc  # it has no '?'
                want = type(multiprocessing.RawValue(mp_tc, x).value)
                v = coord.Value(tc, x, name=self.name("v%d" % k))
                a = coord.Array(tc, [x, y], name=self.name("a%d" % k))
                v2 = coord.Value.open(v.name)
                a2 = coord.Array.open(a.name)
                for got in (v.value, v2.value, a[0], a2[0], list(a2)[0]):
                    self.assertIs(type(got), want)
                    self.assertEqual(got, x)
                self.assertEqual(a2[:], a[:])  # bytes for 'c', as ctypes
                # 'l' and 'L' are 'q' and 'Q' (64-bit) for an opener.
                opened_tc = {"l": "q", "L": "Q"}.get(tc, tc)
                self.assertEqual((v2.typecode, a2.typecode), (opened_tc, opened_tc))
                v2.value = y
                a2[0] = y
                self.assertEqual((v.value, a[0]), (y, y))
                self.assertIs(type(v.value), want)

    def test_c_and_B_read_each_others_bytes(self):
        c = coord.Array("c", b"hi", name=self.name("c"))
        u = coord.Array("B", [104, 105], name=self.name("u"))
        self.assertEqual(list(coord.Array.open(c.name)), [b"h", b"i"])
        self.assertEqual(coord.Array.open(c.name).value, b"hi")
        self.assertEqual(coord.Array.open(c.name, "B")[:], [104, 105])
        self.assertEqual(coord.Array.open(u.name, "c").raw, b"hi")
        v = coord.Value("c", b"x", name=self.name("v"))
        self.assertEqual(coord.Value.open(v.name, "B").value, 120)
        with self.assertRaisesRegex(TypeError, "holds char, not typecode 'b'"):
            coord.Array.open(c.name, "b")

    def test_open_takes_a_ctypes_type_as_the_constructors_do(self):
        # Value(ctypes.c_int, ...) and Array(ctypes.c_double, ...) work;
        # open(name, ctypes type) raised TypeError "... (or a ctypes type)".
        v = coord.Value(ctypes.c_int, 7, name=self.name("v"))
        a = coord.Array(ctypes.c_double, [0.5, 1.5], name=self.name("a"))
        self.assertEqual(coord.Value.open(v.name, ctypes.c_int).value, 7)
        self.assertEqual(coord.Value.open(v.name, ctypes.c_int32).typecode, "i")
        self.assertEqual(coord.Array.open(a.name, ctypes.c_double)[:], [0.5, 1.5])
        self.assertEqual(coord.Value.open(v.name, "i").value, 7)
        with self.assertRaisesRegex(TypeError, "holds i32, not typecode"):
            coord.Value.open(v.name, ctypes.c_double)
        with self.assertRaisesRegex(TypeError, "one-character str"):
            coord.Value.open(v.name, 5)
        with self.assertRaisesRegex(TypeError, "one-character str"):
            coord.Value.open(v.name, ctypes.Structure)

    def test_pickles_by_name(self):
        f = coord.Flag(name=self.name("f"))
        v = coord.Value("c", b"q", name=self.name("v"))
        a = coord.RawArray("h", [1, 2], name=self.name("a"))
        q = coord.Queue(4, name=self.name("q"))
        f2, v2, a2, q2 = pickle.loads(pickle.dumps((f, v, a, q)))
        f2.set()
        self.assertTrue(f.is_set())
        self.assertEqual(v2.value, b"q")
        self.assertIsInstance(a2, coord.RawArray)
        a2[1] = 5
        self.assertEqual(a[1], 5)
        q2.put("x")
        self.assertEqual(q.get(timeout=10), "x")
        self.assertEqual(pickle.loads(pickle.dumps(coord.PILL)), coord.PILL)

    def _children(self, method):
        ctx = multiprocessing.get_context(method)
        flag = coord.Flag(name=self.name("f"))
        value = coord.Value("i", 0, name=self.name("v"))
        arr = coord.Array("i", 1, name=self.name("a"))
        queue = coord.Queue(name=self.name("q"))
        p = ctx.Process(target=spawn_child, args=(flag, value, arr, queue))
        p.start()
        p.join(60)
        if p.is_alive():
            p.kill()
            p.join()
            self.fail("%s child did not finish" % method)
        self.assertEqual(p.exitcode, 0)
        self.assertTrue(flag.is_set())
        self.assertEqual((value.value, arr[0]), (42, 7))
        msg, pid = queue.get(timeout=10)
        self.assertEqual((msg, pid), ("hello", p.pid))

    def test_spawn_child_uses_named_objects(self):
        self._children("spawn")

    def test_forkserver_child_uses_named_objects(self):
        self._children("forkserver")

    def test_gc_finds_and_removes_dead_creators_segments(self):
        name = self.name("orphan")

        def child():
            kept = coord.Flag(name=name)  # alive when the process dies
            os.kill(os.getpid(), signal.SIGKILL)
            return kept
        status = join(fork(child))
        self.assertTrue(os.WIFSIGNALED(status))
        found = [e for e in coord.gc(prefix=self.prefix) if e["name"] == name]
        self.assertEqual(len(found), 1)
        self.assertEqual((found[0]["state"], found[0]["kind"]), ("dead", "flag"))
        self.assertFalse(found[0]["removed"])
        self.assertEqual(found[0]["outcome"], "not-tried")
        removed = coord.gc(True, prefix=self.prefix)
        self.assertTrue(any(e["name"] == name and e["removed"]
                            and e["outcome"] == "removed" for e in removed))
        self.assertEqual(coord.gc(prefix=self.prefix), [])
        with self.assertRaises(FileNotFoundError):
            coord.Flag.open(name)

    def test_gc_lists_a_name_that_is_not_utf8(self):
        # Anyone may create /dev/shm/coord.<bytes>: such a name made every
        # gc() raise UnicodeDecodeError. It reads as os.listdir() reads it.
        path = os.fsencode("/dev/shm/coord." + self.prefix) + b"stray\xff"
        with open(path, "wb") as f:
            f.write(bytes(64))
        try:
            names = [e["name"] for e in coord.gc(prefix=self.prefix)]
        finally:
            os.unlink(path)
        self.assertEqual(names, [self.prefix + "stray\udcff"])
        self.assertEqual(os.fsencode(names[0]), path[len(b"/dev/shm/coord."):])

    def test_gc_reports_and_removes_a_file_a_killed_gc_left_aside(self):
        name = self.name("aside")

        def child():
            kept = coord.Flag(name=name)
            os.kill(os.getpid(), signal.SIGKILL)
            return kept
        pid = fork(child)
        self.assertTrue(os.WIFSIGNALED(join(pid)))
        # As a gc (pid `pid`, gone) killed between its rename aside and
        # the unlink leaves it.
        hidden = ".coord-gc-%d-0" % pid
        os.rename("/dev/shm/coord." + name, "/dev/shm/" + hidden)
        try:
            found = [e for e in coord.gc(prefix=self.prefix) if e["name"] == name]
            self.assertEqual(len(found), 1)
            self.assertEqual((found[0]["state"], found[0]["outcome"]),
                             ("dead", "not-tried"))
            self.assertEqual((found[0]["found_aside"], found[0]["aside"]),
                             (hidden, hidden))
            removed = coord.gc(True, prefix=self.prefix)
            self.assertEqual([(e["found_aside"], e["aside"], e["outcome"])
                              for e in removed], [(hidden, None, "removed")])
            self.assertFalse(os.path.exists("/dev/shm/" + hidden))
        finally:
            try:
                os.unlink("/dev/shm/" + hidden)
            except FileNotFoundError:
                pass
        # A file under its own name has neither.
        flag = coord.Flag(name=name)
        listed = coord.gc(prefix=self.prefix)
        self.assertEqual([(e["found_aside"], e["aside"]) for e in listed],
                         [(None, None)])
        del flag


if __name__ == "__main__":
    unittest.main()
