# SPDX-License-Identifier: MIT
"""Anonymous coord objects (no name=) given to spawn and forkserver children
by descriptor, as multiprocessing gives them its own Value and Array: the
children change them and the parent sees it; plain pickling still refuses
them; nothing is left in /dev/shm or open in the parent."""

import ctypes
import errno
import gc
import multiprocessing
import os
import pickle
import platform
import resource
import subprocess
import sys
import textwrap
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


# seccomp, for the tests that refuse memfd_create (ctypes calls prctl; the
# BPF program is the one tests/test-fd.c installs). Per machine: the
# audit architecture and memfd_create's number.
_SECCOMP_ARCH = {"x86_64": (0xC000003E, 319), "aarch64": (0xC00000B7, 279)}


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte),
                ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort),
                ("filter", ctypes.POINTER(_SockFilter))]


# memfd_create's flag (Linux 6.3) that vm.memfd_noexec = 2 wants.
MFD_NOEXEC_SEAL = 0x0008


def refuse_memfd(err, unless=0):
    """From now on memfd_create fails with `err` in this process and its
    children, as under a container's seccomp policy, but for calls whose
    flags hold a bit of `unless`; every other system call (and any call
    under another ABI) goes through."""
    arch, nr = _SECCOMP_ARCH[platform.machine()]
    ld_abs_w, jeq_k, ret_k = 0x20, 0x15, 0x06  # BPF_LD|W|ABS, JMP|JEQ|K, RET|K
    jset_k = 0x45  # BPF_JMP|BPF_JSET|BPF_K
    allow, ret_errno = 0x7FFF0000, 0x00050000  # SECCOMP_RET_ALLOW, _ERRNO
    prog = (_SockFilter * 9)(
        _SockFilter(ld_abs_w, 0, 0, 4),       # seccomp_data.arch
        _SockFilter(jeq_k, 1, 0, arch),
        _SockFilter(ret_k, 0, 0, allow),
        _SockFilter(ld_abs_w, 0, 0, 0),       # seccomp_data.nr
        _SockFilter(jeq_k, 0, 3, nr),
        _SockFilter(ld_abs_w, 0, 0, 24),      # args[1]'s low half (little-endian)
        _SockFilter(jset_k, 1, 0, unless),
        _SockFilter(ret_k, 0, 0, ret_errno | err),
        _SockFilter(ret_k, 0, 0, allow))
    fprog = _SockFprog(len(prog), prog)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p,
                           ctypes.c_ulong, ctypes.c_ulong]
    # PR_SET_NO_NEW_PRIVS (38), then PR_SET_SECCOMP (22), SECCOMP_MODE_FILTER (2)
    if (libc.prctl(38, 1, None, 0, 0) != 0 or
            libc.prctl(22, 2, ctypes.addressof(fprog), 0, 0) != 0):
        e = ctypes.get_errno()
        raise OSError(e, "prctl: " + os.strerror(e))


def change_fallbacks(flag, value, arr, queue, lock):
    """A fork child's turn with objects made without a descriptor."""
    with lock:
        value.value += 1
    arr[1] = 7.0
    queue.put("from child")
    flag.set()


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

    def test_array_from_fd_with_a_bad_length(self):
        # The length a descriptor comes with is checked against the array's;
        # one too large cleared the new object (unmapping the array) and
        # then read the array's length for the message: SIGSEGV. In a child
        # interpreter, since the defect kills it.
        code = textwrap.dedent("""
            import os, coord
            class Dup:
                def __init__(self, fd): self.fd = fd
                def detach(self): return self.fd
            a = coord.Array("d", 8)
            def memfd(fd):
                try:
                    return "memfd:" in os.readlink("/proc/self/fd/%d" % fd)
                except OSError:
                    return False
            fd = max(int(x) for x in os.listdir("/proc/self/fd") if memfd(int(x)))
            for n in (9, 10**6, -1):
                try:
                    coord.Array._from_fd(Dup(os.dup(fd)), "d", True, n)
                except ValueError as e:
                    print(e)
            print(len(coord.Array._from_fd(Dup(os.dup(fd)), "d", True, 8)))
        """)
        p = subprocess.run([sys.executable, "-c", code], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines(),
                         ["Array passed by descriptor: length %d, but it holds 8" % n
                          for n in (9, 10**6, -1)] + ["8"])

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

    def _fallbacks(self, make):
        """Objects that make() creates without a descriptor (it returns
        them as Flag, Value, Array, Queue, RLock): they hold none, work,
        reach a fork child, and a spawn child's start says why it cannot
        have them (the resource tracker, which spawn starts first, is
        running already)."""
        fds = open_fds()
        flag, value, arr, queue, lock = objects = make()
        self.assertEqual(open_fds(), fds)  # made the old way: no memfd
        self.assertEqual((value.value, arr[:], queue.empty()), (3, [0.0] * 3, True))
        join_ok(self, fork(change_fallbacks, *objects))
        self.assertTrue(flag.is_set())
        self.assertEqual((value.value, arr[1]), (4, 7.0))
        self.assertEqual(queue.get(timeout=10), "from child")
        ctx = multiprocessing.get_context("spawn")
        self._warm(ctx)
        for obj in objects:
            p = ctx.Process(target=noop, args=(obj,))
            with self.assertRaisesRegex(
                    TypeError, "made without a file descriptor .*memfd_create "
                    "is refused here.*has none to give a spawn or forkserver "
                    "child: only fork children can have it"):
                p.start()
        self.assertEqual(open_fds(), fds)  # a refused start left nothing

    def test_made_without_a_free_descriptor_says_so(self):
        """Out of descriptors (COORD_EMFILE), an anonymous object is still
        made, for fork children, and a spawn child's start says why it
        cannot have it."""
        def make():
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            lowest = os.open("/dev/null", os.O_RDONLY)
            os.close(lowest)
            resource.setrlimit(resource.RLIMIT_NOFILE, (lowest, hard))
            try:
                return (coord.Flag(), coord.Value("i", 3), coord.Array("d", 3),
                        coord.Queue(), coord.RLock())
            finally:
                resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        join_ok(self, fork(self._fallbacks, make))

    def _refused(self, err):
        refuse_memfd(err)
        with self.assertRaises(OSError) as cm:
            os.memfd_create("probe")  # the filter is in force
        self.assertEqual(cm.exception.errno, err)
        self._fallbacks(lambda: (coord.Flag(), coord.Value("i", 3),
                                 coord.Array("d", 3), coord.Queue(),
                                 coord.RLock()))

    @unittest.skipUnless(platform.machine() in _SECCOMP_ARCH,
                         "no seccomp numbers for this machine in the test")
    def test_memfd_refused_by_seccomp(self):
        """memfd_create refused (COORD_ENOSYS: a filter's ENOSYS, as on a
        kernel without it, its usual EPERM, or any other answer but a
        resource's: EACCES, EINVAL, ENOTSUP raised before), in a child: the
        objects are made the old way."""
        for err in (errno.ENOSYS, errno.EPERM, errno.EACCES, errno.EINVAL,
                    errno.ENOTSUP):
            join_ok(self, fork(self._refused, err))

    def _noexec_seal_wanted(self, err):
        refuse_memfd(err, unless=MFD_NOEXEC_SEAL)
        with self.assertRaises(OSError) as cm:
            os.memfd_create("probe")  # the filter is in force
        self.assertEqual(cm.exception.errno, err)
        os.close(os.memfd_create("probe", os.MFD_CLOEXEC | MFD_NOEXEC_SEAL))
        self._children("spawn")

    @unittest.skipUnless(platform.machine() in _SECCOMP_ARCH,
                         "no seccomp numbers for this machine in the test")
    def test_memfd_that_wants_noexec_seal(self):
        """memfd_create refused without MFD_NOEXEC_SEAL (EACCES, as Linux
        6.3 to 6.5 answer with vm.memfd_noexec = 2; EINVAL): coord asks
        again with it, and the objects reach a spawn child by descriptor
        (they were made the old way: its start raised TypeError)."""
        try:
            os.close(os.memfd_create("probe", os.MFD_CLOEXEC | MFD_NOEXEC_SEAL))
        except OSError as e:
            if e.errno != errno.EINVAL:
                raise
            self.skipTest("this kernel knows no MFD_NOEXEC_SEAL (Linux before 6.3)")
        for err in (errno.EACCES, errno.EINVAL):
            join_ok(self, fork(self._noexec_seal_wanted, err))

    def _out_of_memory(self):
        refuse_memfd(errno.ENOMEM)
        for make in (coord.Flag, lambda: coord.Value("i"),
                     lambda: coord.Array("d", 3), coord.Queue, coord.RLock):
            with self.assertRaises(MemoryError):
                make()

    @unittest.skipUnless(platform.machine() in _SECCOMP_ARCH,
                         "no seccomp numbers for this machine in the test")
    def test_memfd_out_of_memory_raises(self):
        """memfd_create failing with ENOMEM is no refusal: the user hears
        of it (MemoryError), no object is made the old way."""
        join_ok(self, fork(self._out_of_memory))


if __name__ == "__main__":
    unittest.main()
