# SPDX-License-Identifier: MIT
"""coord.Pool: map, imap_unordered, submit futures, and workers that die
(SIGKILL, os._exit, segfault) failing or retrying only their own task,
never hanging and leaving no zombie; the initializer; blocking calls that
let other threads run and Ctrl-C through."""

import ctypes
import functools
import multiprocessing
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import time
import unittest

import coord

LIMIT = 60.0  # seconds any bounded wait below may take on a loaded machine
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

RETRY_FLAG = None  # set before the pool forks (workers inherit it)
GATE = None
INIT = None  # what the initializer set, in a worker
FORKS = None  # os.register_at_fork's calls, while a test records them


def square(x):
    return x * x


def interrupt_parent_then_return(x):
    # A Ctrl-C that reaches the parent while this task's result comes in
    # (the parent waits in get() by then).
    time.sleep(0.3)
    os.kill(os.getppid(), signal.SIGINT)
    time.sleep(0.001)
    return x * 10


def fail_on(x):
    if x == 3:
        raise ValueError("three")
    return x


def die(how):
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if how == "exit":
        os._exit(3)
    if how == "segv":
        ctypes.string_at(0)
    return how


FORKED = None  # the pid of a fork a task made that returned (fork_in_task)


def fork_in_task(x):
    # Task 3 forks, and the fork returns from the task, as when its path
    # raised before its os._exit; a task run in such a fork dies.
    global FORKED
    if FORKED == os.getpid():
        os.kill(os.getpid(), signal.SIGKILL)
    if x == 3 and os.fork() == 0:
        FORKED = os.getpid()
        return "fork"
    time.sleep(0.005)
    return x


def die_first_time(x):
    if RETRY_FLAG.claim():  # only the first attempt wins the flag
        os.kill(os.getpid(), signal.SIGKILL)
    return x + 1


def wait_gate(x):
    GATE.wait(60)
    return x


def pid_of(_):
    return os.getpid()


def init(tag, n):
    global INIT
    INIT = (tag, n, os.getpid())


def init_seen(_):
    return INIT


def init_fails():
    raise KeyError("no config")


def wait_gate_result(x):
    """True when the gate opened, False when it timed out."""
    return GATE.wait(LIMIT / 2)


def _at_fork(what):
    if FORKS is not None:
        FORKS.append((what, threading.get_ident()))


os.register_at_fork(before=lambda: _at_fork("before"),
                    after_in_parent=lambda: _at_fork("parent"))


class Adder:
    """A callable object: pickled by value, with its state as it is."""

    def __init__(self, k):
        self.k = k

    def __call__(self, x):
        return x + self.k


def add_all(extra, x):
    return x + sum(extra)


def which():
    return "first"


def _second():
    return "second"


def rebind_which():
    """Run in a worker: its module's `which` is another function from now on."""
    globals()["which"] = _second
    return True


def _numbered(i):
    def f(x):
        return (i, x)
    f.__name__ = f.__qualname__ = "numbered_%d" % i
    return f


# Module-level functions, pickled by name (the workers find them by it).
for _i in range(300):
    globals()["numbered_%d" % _i] = _numbered(_i)


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


class PoolTest(unittest.TestCase):
    def test_default_processes_are_the_cpus_we_may_use(self):
        # Pinned to one CPU (as under taskset or a one-CPU cpuset), the
        # default is one worker, not one per online CPU; unpinned again,
        # one per CPU of the affinity.
        was = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {min(was)})
        try:
            with coord.Pool() as pool:
                self.assertEqual(pool._processes, 1)
                self.assertEqual(pool.map(square, range(5)), [0, 1, 4, 9, 16])
            found = coord.search(lambda i: i if i == 7 else None, 0, 100)
            self.assertEqual(found.workers, 1)
        finally:
            os.sched_setaffinity(0, was)
        with coord.Pool() as pool:
            self.assertEqual(pool._processes, len(was))

    def test_default_processes_follow_the_cpu_quota(self):
        # Under a CPU quota (Docker's --cpus, a Kubernetes CPU limit) the
        # default is the quota's CPUs rounded up, not the affinity's (all
        # of a big host's): 1 under 1 CPU of quota, 2 under 1.5 (two
        # workers use 1.5 CPUs), never more than the affinity. Run in a
        # cgroup of its own by scripts/quota-demo.sh (77: it cannot make
        # one here, and says why).
        code = ("import coord\n"
                "r = coord.search(lambda i: i if i == 3 else None, 0, 100,\n"
                "                 partition='blocks')\n"
                "with coord.Pool() as p:\n"
                "    print(p._processes, r.workers)\n")
        affinity = len(os.sched_getaffinity(0))
        for cpus, want in (("1", 1), ("1.5", min(2, affinity))):
            res = subprocess.run(
                [os.path.join(ROOT, "scripts", "quota-demo.sh"), "-t", "60",
                 cpus, sys.executable, "-c", code],
                capture_output=True, text=True, timeout=LIMIT + 30)
            if res.returncode == 77:
                self.skipTest(res.stderr.strip())
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertEqual(res.stdout.split(), [str(want)] * 2, cpus)

    def test_map_imap_unordered_submit(self):
        with coord.Pool(3) as pool:
            self.assertEqual(pool.map(square, range(50)), [x * x for x in range(50)])
            self.assertEqual(sorted(pool.imap_unordered(square, range(20))),
                             sorted(x * x for x in range(20)))
            fut = pool.submit(divmod, 17, 5)
            self.assertEqual(fut.result(timeout=60), (3, 2))
            self.assertTrue(fut.done())
            self.assertEqual(pool.apply(square, (9,)), 81)

    def test_a_pool_does_not_pickle(self):
        # As multiprocessing's Pool: its own words, not a private type's
        # "cannot pickle 'coord._Bell' object".
        with coord.Pool(1) as pool:
            with self.assertRaisesRegex(NotImplementedError,
                                        "pool objects cannot be passed"):
                pickle.dumps(pool)

    def test_exception_in_task_is_raised(self):
        with coord.Pool(2) as pool:
            with self.assertRaisesRegex(ValueError, "three"):
                pool.map(fail_on, range(6))
            fut = pool.submit(fail_on, 3)
            self.assertIsInstance(fut.exception(timeout=60), ValueError)
            self.assertEqual(pool.submit(fail_on, 4).result(timeout=60), 4)

    def test_dead_worker_fails_only_its_task(self):
        causes = {"kill": "signal 9", "exit": "exit 3", "segv": "signal 11"}
        with coord.Pool(2) as pool:
            for how, cause in causes.items():
                with self.subTest(how=how):
                    futs = [pool.submit(square, i) for i in range(5)]
                    bad = pool.submit(die, how)
                    futs += [pool.submit(square, i) for i in range(5, 10)]
                    with self.assertRaises(coord.WorkerDied) as cm:
                        bad.result(timeout=60)
                    self.assertEqual(cm.exception.index, bad._index)
                    self.assertIn(cause, cm.exception.cause)
                    self.assertIsInstance(cm.exception, coord.EPEERDIED)
                    self.assertEqual([f.result(timeout=60) for f in futs],
                                     [i * i for i in range(10)])
            self.assertGreaterEqual(pool.stats()["deaths"], 3)

    def test_a_fork_that_returns_from_a_task_takes_no_task(self):
        # It ran on as a second worker that the pool does not watch: the
        # task it took and died with had no outcome, and the map hung.
        with coord.Pool(2) as pool:
            got = pool.map_async(fork_in_task, range(40), chunksize=1).get(timeout=LIMIT)
            self.assertEqual(got[:3] + got[4:], [x for x in range(40) if x != 3])
            self.assertEqual(pool.stats()["deaths"], 0)

    def test_map_reports_the_dead_tasks_index(self):
        with coord.Pool(2) as pool:
            with self.assertRaises(coord.WorkerDied) as cm:
                pool.map(die, ["ok", "ok", "kill", "ok"])
            self.assertEqual(cm.exception.index, 2)
            self.assertIn("signal 9", cm.exception.cause)

    def test_retries_rerun_the_task_of_a_dead_worker(self):
        global RETRY_FLAG
        RETRY_FLAG = coord.Flag()
        with coord.Pool(2, retries=1) as pool:
            self.assertEqual(pool.submit(die_first_time, 41).result(timeout=60), 42)
            self.assertEqual(pool.stats()["retried"], 1)

    def test_result_timeout_then_done(self):
        global GATE
        GATE = coord.Flag()
        with coord.Pool(1) as pool:
            fut = pool.submit(wait_gate, 7)
            with self.assertRaises(TimeoutError):
                fut.result(timeout=0.05)
            self.assertFalse(fut.done())
            GATE.set()
            self.assertEqual(fut.result(timeout=60), 7)

    def test_close_join_leaves_no_zombie(self):
        pool = coord.Pool(3)
        pids = pool.worker_pids()
        self.assertEqual(len(pids), 3)
        self.assertEqual(sorted(pool.map(square, range(10))), [x * x for x in range(10)])
        pool.close()
        with self.assertRaises(ValueError):
            pool.submit(square, 1)
        pool.join(timeout=60)
        for pid in pids:
            self.assertTrue(gone(pid), "worker %d not reaped" % pid)

    def test_a_forked_child_cannot_use_the_pool(self):
        # The C pool's owner check reads a cached pid (python/src/pycoord.h),
        # which every fork must forget: with the parent's pid still cached,
        # the child's submit went into the parent's pool.
        with coord.Pool(1) as pool:
            self.assertEqual(pool.apply(square, (3,)), 9)  # the pid is cached
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    try:
                        pool._core.submit(b"x")
                    except RuntimeError as e:
                        code = 0 if "created it" in str(e) else 2
                finally:
                    os._exit(code)
            end = time.monotonic() + LIMIT
            while True:
                got, status = os.waitpid(pid, os.WNOHANG)
                if got:
                    break
                self.assertLess(time.monotonic(), end, "the child hangs")
                time.sleep(0.01)
            self.assertEqual(os.waitstatus_to_exitcode(status), 0)
            self.assertEqual(pool.stats()["submitted"], 1)
            self.assertEqual(pool.apply(square, (4,)), 16)

    def test_terminate_kills_and_reaps(self):
        global GATE
        GATE = coord.Flag()
        pool = coord.Pool(2)
        pids = pool.worker_pids()
        fut = pool.submit(wait_gate, 1)
        pool.terminate()
        for pid in pids:
            self.assertTrue(gone(pid), "worker %d not reaped" % pid)
        with self.assertRaises(coord.ECLOSED):
            fut.result(timeout=1)


class InitializerTest(unittest.TestCase):
    def test_initializer_runs_in_every_worker_replacements_too(self):
        # Positional, as multiprocessing.Pool(processes, initializer, initargs).
        with coord.Pool(2, init, ("x", 7)) as pool:
            seen = pool.map(init_seen, range(20), chunksize=1)
            self.assertTrue(all(s is not None and s[:2] == ("x", 7) for s in seen))
            self.assertEqual({s[2] for s in seen} - set(pool.worker_pids()), set())
            # Both killed: every task after runs in a replacement.
            old = set(pool.worker_pids())
            for pid in old:
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + LIMIT
            while old & set(pool.worker_pids()):  # a call that waits reaps them
                self.assertLess(time.monotonic(), deadline, "workers never reaped")
                pool.submit(square, 1).wait(LIMIT)
            seen = pool.map(init_seen, range(20), chunksize=1)
            self.assertTrue(all(s is not None and s[:2] == ("x", 7) for s in seen))
            self.assertTrue({s[2] for s in seen} <= set(pool.worker_pids()) - old)
            self.assertEqual(pool.stats()["restarts"], 2)

    def test_an_initializer_that_raises_fails_the_calls_not_the_pool(self):
        # multiprocessing forks a new worker, which raises again, for ever,
        # and map never returns. Here the tasks fail with InitializerError,
        # the pool's later calls raise it at once, and close + join works.
        from multiprocessing.pool import RemoteTraceback
        pool = coord.Pool(2, init_fails)
        try:
            with self.assertRaises(coord.InitializerError) as cm:
                pool.map(square, range(10))
            self.assertIn("init_fails", str(cm.exception))
            self.assertIn("KeyError: 'no config'", str(cm.exception))
            self.assertIsInstance(cm.exception.__cause__, KeyError)
            self.assertIsInstance(cm.exception.__cause__.__cause__, RemoteTraceback)
            self.assertIsInstance(cm.exception, coord.Error)
            for call in (lambda: pool.apply(square, (2,)),
                         lambda: pool.submit(square, 2),
                         lambda: pool.imap(square, range(3)),
                         lambda: pool.map_async(square, range(3))):
                with self.assertRaises(coord.InitializerError):
                    call()
            self.assertEqual(pool.stats()["deaths"], 0)
            pool.close()
            pool.join(LIMIT)
        finally:
            pool.terminate()

    def test_a_pool_in_a_cycle_through_its_initializer_is_collected(self):
        # self.pool = coord.Pool(initializer=self.init): the owner holds the
        # pool, the pool's core holds the bound method, which holds the
        # owner. The core did not tell the garbage collector what it holds,
        # so the cycle stayed for ever, and with it the workers (two live
        # processes per dropped owner until exit). Likewise initargs that
        # reach the owner.
        import gc
        import weakref

        class Owner:
            def __init__(self, by_args):
                if by_args:
                    self.pool = coord.Pool(2, init, (self, 1))
                else:
                    self.pool = coord.Pool(2, initializer=self.setup)

            def setup(self):
                pass

        for by_args in (False, True):
            owner = Owner(by_args)
            self.assertEqual(owner.pool.apply(square, (3,)), 9)
            pids = owner.pool.worker_pids()
            self.assertEqual(len(pids), 2)
            ref = weakref.ref(owner)
            del owner
            gc.collect()
            self.assertIsNone(ref(), "the owner's cycle was not collected")
            deadline = time.monotonic() + LIMIT
            while not all(gone(pid) for pid in pids):
                self.assertLess(time.monotonic(), deadline,
                                "the workers of a collected pool live on")
                time.sleep(0.01)

    def test_pool_arguments_multiprocessing_takes(self):
        with self.assertRaisesRegex(TypeError, "initializer must be a callable"):
            coord.Pool(1, initializer=1)
        with self.assertRaisesRegex(ValueError, "maxtasksperchild must be"):
            coord.Pool(1, maxtasksperchild=0)
        with self.assertRaisesRegex(ValueError, "forks its workers"):
            coord.Pool(1, context=multiprocessing.get_context("spawn"))
        with coord.Pool(1, None, (), None, multiprocessing.get_context("fork")) as pool:
            self.assertEqual(pool.apply(square, (5,)), 25)
        with coord.Pool(1, None, (), 10, None) as pool:  # test_pool_retire.py
            self.assertEqual(pool.apply(square, (5,)), 25)


class WaitTest(unittest.TestCase):
    """The blocking calls let the GIL go while they wait, and take it back
    for each fork of a replacement worker."""

    def test_another_thread_runs_while_a_result_is_awaited(self):
        # The other thread opens the gate after it has taken the GIL back
        # 50 times, 10 ms apart; with the GIL kept by the waiting call it
        # stopped there, and the task came back when its wait timed out,
        # False.
        global GATE
        GATE = coord.Flag()
        with coord.Pool(1) as pool:
            fut = pool.submit(wait_gate_result, 1)
            ran = []

            def other():
                for i in range(50):
                    time.sleep(0.01)
                    ran.append(i)
                GATE.set()

            t = threading.Thread(target=other)
            t.start()
            self.assertTrue(fut.result(timeout=LIMIT))
            t.join(LIMIT)
            self.assertEqual(len(ran), 50)

    def test_a_waiting_thread_lets_another_threads_calls_in(self):
        # One thread waits for a task that does not end soon; another
        # thread's submit, then terminate(), come in between two of the
        # wait's slices (the pool goes to the threads waiting for it in
        # turn). With one shared lock the waiting thread took the pool back
        # at once after each slice: the submit waited for the slow task's
        # result, and terminate() for ever. The waiting get() then fails
        # with ECLOSED, as terminate() says.
        pool = coord.Pool(1)
        try:
            slow = pool.apply_async(time.sleep, (LIMIT * 10,))
            seen = []

            def waiter():
                try:
                    seen.append(slow.get(timeout=LIMIT))
                except BaseException as e:
                    seen.append(e)

            t = threading.Thread(target=waiter)
            t.start()
            time.sleep(0.3)  # the waiter is in the core, in its slices
            t0 = time.monotonic()
            fut = pool.submit(square, 3)
            self.assertLess(time.monotonic() - t0, 5.0)
            ended = threading.Event()

            def stop():
                pool.terminate()
                ended.set()

            threading.Thread(target=stop, daemon=True).start()
            self.assertTrue(ended.wait(10.0))
            t.join(LIMIT)
            self.assertFalse(t.is_alive())
            self.assertEqual(len(seen), 1)
            self.assertIsInstance(seen[0], coord.ECLOSED)
            with self.assertRaises(coord.ECLOSED):
                fut.result(timeout=LIMIT)
        finally:
            pool.terminate()

    def test_exit_while_a_daemon_thread_waits_on_the_pool(self):
        # At exit the pool left open is terminated (as multiprocessing's);
        # a daemon thread waiting in apply() for a task that does not end
        # took the pool back after each slice of its wait, and the exit
        # waited with it (25 s to over a minute here).
        code = ("import threading, time, coord\n"
                "p = coord.Pool(1)\n"
                "threading.Thread(target=p.apply, args=(time.sleep, (1000,)),\n"
                "                 daemon=True).start()\n"
                "time.sleep(0.3)\n")
        start = time.monotonic()
        res = subprocess.run([sys.executable, "-c", code], capture_output=True,
                             text=True, timeout=LIMIT)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertLess(time.monotonic() - start, 10.0)

    def test_a_result_collected_before_its_id_is_registered(self):
        # A task submitted without its job (Pool's own submits register
        # theirs with the task: no result can come first) whose result a
        # collector takes before the id is registered: it is parked for
        # _register, which settles it. Losing it left get() waiting:
        # ResultTimeout.
        with coord.Pool(1) as pool:
            task = pool._fn_part(square) + coord.pool._dumps(((7,), {}),
                                                             coord.pool._PROTOCOL)
            tid = pool._core.submit(task)
            self.assertIs(pool._core.result(int(LIMIT * 1000)), True)
            self.assertEqual(pool._jobs.get(tid)[0], tid)  # parked for us
            fut = coord.pool.Future(pool, tid, tid)
            pool._register(tid, fut)
            self.assertEqual(fut.result(timeout=LIMIT), 49)
            self.assertEqual(pool._jobs, {})
            self.assertEqual(pool._core.pending(), 0)
            self.assertEqual(pool.map(square, range(5)), [0, 1, 4, 9, 16])

    def test_sigint_during_map_raises_keyboardinterrupt(self):
        global GATE
        GATE = coord.Flag()
        pool = coord.Pool(2)
        pids = pool.worker_pids()
        # From a thread of this process: it runs only while map waits
        # without the GIL.
        timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
        start = time.monotonic()
        try:
            with self.assertRaises(KeyboardInterrupt):
                timer.start()
                pool.map(wait_gate_result, range(8), chunksize=1)
            # Well before the tasks could end (their gate waits LIMIT / 2).
            self.assertLess(time.monotonic() - start, LIMIT / 2)
        finally:
            timer.join(LIMIT)
            pool.terminate()
        for pid in pids:
            self.assertTrue(gone(pid), "worker %d not reaped" % pid)
        mine = set(pids) | {os.getpid()}
        self.assertEqual([e["name"] for e in coord.gc() if e["creator_pid"] in mine], [])

    def test_a_ctrl_c_as_a_result_comes_in_loses_no_result(self):
        # The KeyboardInterrupt is raised from get(); the result that came
        # meanwhile stays the task's: get() again returns it, as
        # multiprocessing's does (it was dropped: "its result was lost").
        with coord.Pool(2) as pool:
            for i in range(5):
                fut = pool.apply_async(interrupt_parent_then_return, (i,))
                try:
                    fut.get(LIMIT)
                except KeyboardInterrupt:
                    pass
                self.assertEqual(fut.get(LIMIT), i * 10)
            self.assertEqual(pool.map(square, range(4)), [0, 1, 4, 9])

    def test_a_replacement_is_forked_as_os_fork_forks(self):
        # The at-fork handlers run around every fork of a worker, in the
        # thread that forks, with the GIL (they are Python code): at start
        # and for a replacement forked while a call waits.
        global FORKS
        FORKS = []
        try:
            with coord.Pool(2) as pool:
                me = threading.get_ident()
                self.assertEqual(FORKS, [("before", me), ("parent", me)])
                with self.assertRaises(coord.WorkerDied):
                    pool.apply(die, ("kill",))
                self.assertEqual(pool.apply(square, (4,)), 16)
                self.assertEqual(FORKS, [("before", me), ("parent", me)] * 2)
        finally:
            FORKS = None

    def test_a_ctrl_c_that_reaches_idle_workers_fails_no_later_task(self):
        # A Ctrl-C at a terminal reaches the whole process group, the idle
        # workers too (here: SIGINT to each). Their KeyboardInterrupt
        # interrupts no task; it failed each worker's next task, so the
        # next map raised KeyboardInterrupt in the parent (multiprocessing
        # replaces the workers it killed and the map runs).
        with coord.Pool(2) as pool:
            self.assertEqual(pool.map(square, range(4), chunksize=1), [0, 1, 4, 9])
            for pid in pool.worker_pids():
                os.kill(pid, signal.SIGINT)
            time.sleep(0.2)
            for _ in range(3):
                self.assertEqual(pool.map(square, range(4), chunksize=1), [0, 1, 4, 9])
            self.assertEqual(pool.stats()["deaths"], 0)

    def test_a_replacement_outlives_the_thread_that_forked_it(self):
        # A replacement is forked by the thread whose call saw the death. It
        # was tied to that thread (PR_SET_PDEATHSIG follows the forking
        # thread) and SIGKILLed when the thread ended: one more death, a
        # task failed for nothing.
        with coord.Pool(1) as pool:
            seen = {}

            def user():
                seen["tid"] = threading.get_native_id()
                with self.assertRaises(coord.WorkerDied):
                    pool.apply(die, ("kill",))
                # Run by the replacement: it has started by now.
                seen["pid"] = pool.apply(pid_of, (0,))

            t = threading.Thread(target=user)
            t.start()
            t.join(LIMIT)
            self.assertFalse(t.is_alive())
            self.assertIn("pid", seen)
            # Gone from /proc: the kernel is done with the thread's exit,
            # which is when a child tied to it is signalled.
            task = "/proc/self/task/%d" % seen["tid"]
            deadline = time.monotonic() + LIMIT
            while os.path.exists(task):
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.001)
            self.assertEqual(pool.map(pid_of, range(20), chunksize=1),
                             [seen["pid"]] * 20)
            self.assertEqual(pool.stats()["deaths"], 1)

    def test_threads_may_share_a_pool(self):
        with coord.Pool(2) as pool:
            got = {}

            def user(k):
                got[k] = pool.map(square, range(k * 100, k * 100 + 60), chunksize=3)

            ts = [threading.Thread(target=user, args=(k,)) for k in range(4)]
            for t in ts:
                t.start()
            for t in ts:
                t.join(LIMIT)
            self.assertEqual(got, {k: [x * x for x in range(k * 100, k * 100 + 60)]
                                   for k in range(4)})

    def test_join_collects_every_result_and_runs_callbacks(self):
        # multiprocessing's idiom: map_async with a callback, close, join.
        got = []
        pool = coord.Pool(2)
        try:
            pool.map_async(square, range(100), callback=got.append)
            pool.close()
            pool.join(LIMIT)
        finally:
            pool.terminate()
        self.assertEqual(got, [[x * x for x in range(100)]])

    def test_futures_nobody_waits_on_do_not_pile_up(self):
        # Fire and forget: apply_async (and map_async) whose results are
        # never asked for. Each Future stayed registered in _jobs, and its
        # result in the core, until some wait collected it: a loop that
        # never waits grew by ~300 bytes a task for ever (multiprocessing's
        # cache lets them go as they come in). Submits now collect what is
        # in once many are registered: the count stays near the tasks in
        # flight (the queue holds 64). A drain that finds a worker's reply
        # half written stops there and doubles the mark (1024, 2048, ...):
        # the bound leaves room for two such in a row on a loaded machine.
        n = 20000
        with coord.Pool(2, queue_capacity=64) as pool:
            kept = [pool.apply_async(square, (7,))]
            for i in range(n):
                pool.apply_async(square, (i,))
                if i % 1000 == 0:
                    pool.map_async(square, range(8))
                    kept.append(pool.submit(square, i))
            self.assertLess(len(pool._jobs), 8192)  # before: over 20000
            # The results collected early are still each Future's own.
            self.assertEqual([f.get(LIMIT) for f in kept],
                             [49] + [i * i for i in range(0, n, 1000)])


class TaskMessageTest(unittest.TestCase):
    """A task message is the function's pickle, then the call's or the
    chunk's; a plain function's pickle is kept by the pool and sent again."""

    def test_a_callable_object_goes_as_it_is_at_each_call(self):
        # Pickled by value: kept, the second call would run with k = 1.
        add = Adder(1)
        extra = [1]
        part = functools.partial(add_all, extra)
        with coord.Pool(1) as pool:
            self.assertEqual(pool.apply(add, (1,)), 2)
            self.assertEqual(pool.apply(part, (1,)), 2)
            add.k = 10
            extra.append(5)
            self.assertEqual(pool.apply(add, (1,)), 11)
            self.assertEqual(pool.map(add, [1, 2]), [11, 12])
            self.assertEqual(list(pool.imap(part, [1, 2])), [7, 8])
            self.assertEqual(pool.submit(part, 0).result(LIMIT), 6)
            # A built-in method bound to an object pickles the object too.
            ones = [1]
            count = ones.count
            self.assertEqual(pool.apply(count, (1,)), 1)
            ones.append(1)
            self.assertEqual(pool.apply(count, (1,)), 2)
            self.assertEqual(pool._fns, {})  # none was kept

    def test_an_imap_sends_a_callable_object_as_it_is_at_each_chunk(self):
        # A map or imap makes a kept function's part of the message once;
        # a callable object is pickled again for each chunk, as the
        # iterable reaches it (made once, the second chunk ran with k = 1).
        add = Adder(1)

        def items():
            yield 1
            add.k = 10
            yield 2

        with coord.Pool(1) as pool:
            self.assertEqual(list(pool.imap(add, items())), [2, 12])
            add.k = 1
            self.assertEqual(list(pool.imap(add, items(), chunksize=1)), [2, 12])
            self.assertEqual(pool._fns, {})

    def test_plain_functions_are_kept_up_to_a_bound(self):
        with coord.Pool(1) as pool:
            for i in range(300):
                f = globals()["numbered_%d" % i]
                self.assertEqual(pool.apply(f, (i,)), (i, i))
                self.assertEqual(list(pool.imap(f, [i + 1])), [(i, i + 1)])
                self.assertIn(f, pool._fns)
                self.assertLessEqual(len(pool._fns), coord.pool._FN_KEEP)
            self.assertEqual(pool.map(len, ["ab", "c"]), [2, 1])  # built-in
            self.assertIn(len, pool._fns)

    def test_a_function_rebound_in_the_worker_is_looked_up_again(self):
        # The worker keeps the functions it unpickled, but looks each one up
        # by its name on every task, as unpickling would: a task that
        # rebinds the name makes the next call run the new function (as in
        # multiprocessing). Kept without the look-up, it ran "first".
        with coord.Pool(1) as pool:
            self.assertEqual(pool.apply(which), "first")
            self.assertEqual(pool.apply(which), "first")  # the kept one
            self.assertTrue(pool.apply(rebind_which))
            self.assertEqual(pool.apply(which), "second")
            self.assertEqual(list(pool.imap(square, [2])), [4])
        self.assertEqual(which(), "first")  # the parent's is unchanged

    def test_a_malformed_task_fails_only_itself(self):
        # What the worker does with bytes that are not a task message
        # (a length past the end, a pickle that is not one, a body that is
        # not a call's or a chunk's): the task fails, the worker goes on.
        fn = pickle.dumps(square, pickle.HIGHEST_PROTOCOL)
        head = struct.pack("=I", len(fn))
        bad = [b"", b"\x01\x00", struct.pack("=I", 5) + b"abc",
               struct.pack("=I", 3) + b"abc" + pickle.dumps(((1,), {})),
               head + fn, head + fn + pickle.dumps((1, 2, 3)),
               head + fn + pickle.dumps(("x", {}))]
        with coord.Pool(1) as pool:
            pid = pool.worker_pids()
            for b in bad:
                tid = pool._core.submit(b)
                fut = coord.pool.Future(pool, tid, tid)
                pool._register(tid, fut)
                self.assertIsNotNone(fut.exception(LIMIT), b)
            self.assertEqual(pool.apply(square, (3,)), 9)
            self.assertEqual(pool.worker_pids(), pid)
            self.assertEqual(pool.stats()["deaths"], 0)


if __name__ == "__main__":
    unittest.main()
