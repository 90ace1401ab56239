# SPDX-License-Identifier: MIT
"""coord.Pool(maxtasksperchild=N): a worker exits after N tasks (a chunk
of map items is one) and a fresh one is forked from the parent in its
place, as multiprocessing does; no task fails or runs twice for it, the
initializer runs again, what a task leaked is gone, callbacks still all
arrive, and retirements mix with retries and killed workers."""

import multiprocessing
import os
import signal
import subprocess
import sys
import time
import unittest

import coord

LIMIT = 60.0  # seconds any bounded wait below may take on a loaded machine

LEAK = []       # a module global that tasks append to (in their worker)
INIT = None     # what the initializer set, in a worker
KILL_FLAG = None  # set before the pool forks (workers inherit it)


def square(x):
    return x * x


def pid_square(x):
    return os.getpid(), x * x


def leak(x):
    """A task that leaks: what it left in its worker stays for the next."""
    LEAK.append(x)
    return os.getpid(), len(LEAK)


def init(tag):
    global INIT
    INIT = (tag, os.getpid())


def init_seen(_):
    return INIT, os.getpid()


def kill_first_time(x):
    if KILL_FLAG.claim():  # only the first run wins the flag
        os.kill(os.getpid(), signal.SIGKILL)
    return os.getpid(), x * x


def slow_square(x):
    time.sleep(0.05)
    return x * x


def runs_per_pid(pids):
    counts = {}
    for pid in pids:
        counts[pid] = counts.get(pid, 0) + 1
    return counts


def wait_until(cond, what):
    deadline = time.monotonic() + LIMIT
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.01)


class RetireTest(unittest.TestCase):
    def test_worker_pids_change_after_n_tasks(self):
        with coord.Pool(2, maxtasksperchild=3) as pool:
            first = set(pool.worker_pids())
            out = [pool.apply(pid_square, (i,)) for i in range(30)]
            self.assertEqual([sq for _, sq in out], [i * i for i in range(30)])
            counts = runs_per_pid(pid for pid, _ in out)
            self.assertLessEqual(max(counts.values()), 3)
            self.assertGreaterEqual(len(counts), 10)
            # The workers have changed (a first one ran 3 and retired).
            wait_until(lambda: len(pool.worker_pids()) == 2, "two live workers")
            self.assertNotEqual(sorted(first), sorted(pool.worker_pids()))
            # A map's chunks count one each.
            out = pool.map(pid_square, range(40), chunksize=1)
            self.assertEqual([sq for _, sq in out], [i * i for i in range(40)])
            self.assertLessEqual(max(runs_per_pid(p for p, _ in out).values()), 3)
            pool.close()
            pool.join(LIMIT)
            st = pool.stats()
        # 70 tasks at 3 a worker: at least 22 workers ran 3 (the two that
        # ran last ran 4 at most together).
        self.assertGreaterEqual(st["retired"], 22)
        self.assertEqual(st["deaths"], 0)
        self.assertEqual(st["failed"], 0)
        self.assertLessEqual(st["restarts"], st["retired"])

    def test_one_task_per_child_map_of_200_in_order(self):
        for chunksize, messages in ((None, 16), (1, 200)):
            with self.subTest(chunksize=chunksize):
                with coord.Pool(4, maxtasksperchild=1) as pool:
                    self.assertEqual(pool.map(square, range(200), chunksize),
                                     [x * x for x in range(200)])
                    pool.close()
                    pool.join(LIMIT)
                    st = pool.stats()
                # Every task message ran in a worker of its own.
                self.assertEqual(st["retired"], messages)
                self.assertEqual(st["deaths"], 0)

    def test_imap_with_one_task_per_child(self):
        with coord.Pool(3, maxtasksperchild=1) as pool:
            self.assertEqual(list(pool.imap(square, range(50))),
                             [x * x for x in range(50)])
            self.assertEqual(sorted(pool.imap_unordered(square, range(50), 5)),
                             [x * x for x in range(50)])

    def test_what_a_task_leaks_is_gone_in_the_replacement(self):
        with coord.Pool(1, maxtasksperchild=2) as pool:
            out = [pool.apply(leak, (i,)) for i in range(8)]
        self.assertEqual([n for _, n in out], [1, 2] * 4)
        self.assertEqual(len({pid for pid, _ in out}), 4)
        # Without it, one worker keeps what every task left.
        with coord.Pool(1) as pool:
            out = [pool.apply(leak, (i,)) for i in range(4)]
        self.assertEqual([n for _, n in out], [1, 2, 3, 4])
        self.assertEqual(LEAK, [])  # the parent's own is untouched

    def test_initializer_runs_in_each_replacement(self):
        with coord.Pool(2, initializer=init, initargs=("cfg",),
                        maxtasksperchild=2) as pool:
            out = pool.map(init_seen, range(20), chunksize=1)
        for (tag, pid), worker in out:
            self.assertEqual(tag, "cfg")
            self.assertEqual(pid, worker)  # set by this worker's own run
        self.assertGreaterEqual(len({worker for _, worker in out}), 10)

    def test_close_before_the_tasks_finish_still_joins(self):
        # multiprocessing's issue #10332: join() hung here.
        pool = coord.Pool(3, maxtasksperchild=1)
        try:
            futures = [pool.apply_async(slow_square, (i,)) for i in range(6)]
            pool.close()
            pool.join(LIMIT)
            self.assertEqual([f.get(0) for f in futures], [i * i for i in range(6)])
            self.assertEqual(pool.stats()["retired"], 6)
        finally:
            pool.terminate()

    def test_retirement_with_retries_and_a_killed_task(self):
        global KILL_FLAG
        KILL_FLAG = coord.Flag()
        with coord.Pool(2, maxtasksperchild=3, retries=1) as pool:
            out = pool.map(kill_first_time, range(30), chunksize=1)
            self.assertEqual([sq for _, sq in out], [i * i for i in range(30)])
            pool.close()
            pool.join(LIMIT)
            st = pool.stats()
        self.assertEqual(st["deaths"], 1)
        self.assertEqual(st["retried"], 1)
        self.assertEqual(st["failed"], 0)
        self.assertGreaterEqual(st["retired"], 8)  # 31 runs, 3 a worker
        # Without retries the killed task fails alone, as WorkerDied.
        KILL_FLAG = coord.Flag()
        with coord.Pool(2, maxtasksperchild=3) as pool:
            futures = [pool.submit(kill_first_time, i) for i in range(12)]
            failed = [f for f in futures if f.exception(LIMIT) is not None]
            self.assertEqual(len(failed), 1)
            self.assertIsInstance(failed[0].exception(), coord.WorkerDied)
            for i, f in enumerate(futures):
                if f is not failed[0]:
                    self.assertEqual(f.result(0)[1], i * i)
            self.assertEqual(pool.map(square, range(20), 1), [x * x for x in range(20)])

    def test_a_worker_killed_from_outside_between_retirements(self):
        with coord.Pool(2, maxtasksperchild=4) as pool:
            # 3 tasks: no worker reaches its 4th, so the victim is not one
            # that is retiring (a SIGKILL into a worker exiting after its
            # 4th task was its retirement, not a death: once under load).
            self.assertEqual(pool.map(square, range(3), 1), [x * x for x in range(3)])
            victim = pool.worker_pids()[0]
            os.kill(victim, signal.SIGKILL)
            self.assertEqual(pool.map(square, range(40), 1), [x * x for x in range(40)])
            pool.close()
            pool.join(LIMIT)
            st = pool.stats()
            self.assertNotIn(victim, pool.worker_pids())
        self.assertEqual(st["deaths"], 1)
        self.assertEqual(st["failed"], 0)
        # 40 tasks after the kill at 4 a worker: the two live at the end
        # ran 3 at most each, the survivor of the first map 1 more at most.
        self.assertGreaterEqual(st["retired"], 8)

    def test_callbacks_all_arrive_while_workers_retire(self):
        # The result thread collects, and so forks the replacements; the
        # workers it forks ring the same bell.
        done, errors, lists = [], [], []
        with coord.Pool(3, maxtasksperchild=1) as pool:
            for i in range(60):
                pool.apply_async(square, (i,), callback=done.append,
                                 error_callback=errors.append)
            pool.map_async(square, range(30), 1, callback=lists.append,
                           error_callback=errors.append)
            # Only sleeps: the callbacks come without a call into the pool.
            wait_until(lambda: len(done) == 60 and lists, "the callbacks")
            self.assertEqual(errors, [])
            self.assertEqual(sorted(done), [i * i for i in range(60)])
            self.assertEqual(lists, [[i * i for i in range(30)]])
            pool.close()
            pool.join(LIMIT)
            st = pool.stats()
        self.assertEqual(st["retired"], 90)
        self.assertEqual(st["deaths"], 0)

    def test_replacements_ring_the_pools_bell(self):
        # The bell is a shared page made before the first fork; the
        # replacements, forked later from this process, share it too, and
        # ring it as they finish a task (a private copy would wake no
        # watcher). No callbacks here: no result thread, nothing pokes it.
        with coord.Pool(1, maxtasksperchild=1) as pool:
            bell = pool._bell
            bell.wait(bell.read(), 1, True)  # watching on: returns at once
            pid1, _ = pool.apply(pid_square, (1,))
            seen = bell.read()  # the first worker rang before its put
            pid2, sq = pool.apply(pid_square, (2,))
            ev = bell.read()
            bell.wait(ev, 1, False)
        self.assertEqual(sq, 4)
        self.assertNotEqual(pid1, pid2)  # the second ran on the replacement
        self.assertNotEqual((ev ^ seen) & 0xFFFF, 0, "no ring from the replacement")

    def test_bad_values_as_multiprocessing(self):
        for value in (0, -1, 0.5, "12", 2.0, [3]):
            with self.subTest(value=value):
                with self.assertRaisesRegex(
                        ValueError, "maxtasksperchild must be a positive int or None"):
                    coord.Pool(1, maxtasksperchild=value)
                with self.assertRaises(ValueError):
                    multiprocessing.Pool(1, maxtasksperchild=value)
        with self.assertRaisesRegex(ValueError, "at most 2147483647"):
            coord.Pool(1, maxtasksperchild=2**31)
        # An int subclass passes, as in multiprocessing (True is 1).
        with coord.Pool(1, maxtasksperchild=True) as pool:
            self.assertEqual(pool.map(square, range(3), 1), [0, 1, 4])
            pool.close()
            pool.join(LIMIT)
            self.assertEqual(pool.stats()["retired"], 3)
        with coord.Pool(1, maxtasksperchild=2**31 - 1) as pool:
            self.assertEqual(pool.apply(square, (3,)), 9)


# Run in a python3 of its own with tests/forkshim.c preloaded, the Nth fork
# of the process failing with EAGAIN (a process limit, a cgroup's pids.max,
# reached for a moment): fork 1 is the pool's worker, fork 2 the first
# replacement. Prints the outcomes, or the exception's type and text.
FORK_FAILS_ONCE = r"""
import coord, sys
def square(x):
    return x * x
try:
    with coord.Pool(1, maxtasksperchild=1) as pool:
        out = [pool.map(square, range(6), chunksize=1),
               pool.apply(square, (7,))]
        st = pool.stats()
        out.append(st["live"])
        out.append(st["failed"])
    print(repr(out))
except BaseException as e:
    print("raised %s: %s" % (type(e).__name__, e))
"""


class ForkFailingTest(unittest.TestCase):
    def run_failing(self, nth):
        shim = os.environ.get("COORD_FORKSHIM")
        if not shim or not os.path.exists(shim):
            self.skipTest("COORD_FORKSHIM (tests/forkshim.c built) not set: run by ctest")
        env = dict(os.environ)
        if " " in shim:
            # ld.so splits LD_PRELOAD at spaces: a shim in a build
            # directory whose path holds one is preloaded by its file
            # name, found through LD_LIBRARY_PATH (split at ':' only).
            libs = env.get("LD_LIBRARY_PATH", "")
            env["LD_LIBRARY_PATH"] = os.path.dirname(shim) + (":" + libs if libs else "")
            shim = os.path.basename(shim)
        env["LD_PRELOAD"] = (env.get("LD_PRELOAD", "") + " " + shim).strip()
        env["COORD_FORK_FAIL_NTH"] = str(nth)
        r = subprocess.run([sys.executable, "-c", FORK_FAILS_ONCE], env=env,
                           capture_output=True, text=True, timeout=LIMIT)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()

    def test_one_worker_pool_lives_through_a_fork_failing_once(self):
        # The only worker retires after each task; the fork of a
        # replacement fails once. That used to fail the outstanding tasks
        # ("no live worker") and every later call: the pool never had a
        # worker again. Now the fork is tried again and nothing fails.
        for nth in (2, 4):
            with self.subTest(failing_fork=nth):
                self.assertEqual(self.run_failing(nth),
                                 repr([[x * x for x in range(6)], 49, 1, 0]))


if __name__ == "__main__":
    unittest.main()
