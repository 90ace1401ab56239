# SPDX-License-Identifier: MIT
"""coord.Pool: map, imap_unordered, submit futures, and workers that die
(SIGKILL, os._exit, segfault) failing or retrying only their own task,
never hanging and leaving no zombie."""

import ctypes
import os
import signal
import unittest

import coord

RETRY_FLAG = None  # set before the pool forks (workers inherit it)
GATE = None


def square(x):
    return x * x


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


def die_first_time(x):
    if RETRY_FLAG.claim():  # only the first attempt wins the flag
        os.kill(os.getpid(), signal.SIGKILL)
    return x + 1


def wait_gate(x):
    GATE.wait(60)
    return x


def pid_of(_):
    return os.getpid()


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

    def test_map_imap_unordered_submit(self):
        with coord.Pool(3) as pool:
            self.assertEqual(pool.map(square, range(50)), [x * x for x in range(50)])
            self.assertEqual(sorted(pool.imap_unordered(square, range(20))),
                             sorted(x * x for x in range(20)))
            fut = pool.submit(divmod, 17, 5)
            self.assertEqual(fut.result(timeout=60), (3, 2))
            self.assertTrue(fut.done())
            self.assertEqual(pool.apply(square, (9,)), 81)

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


if __name__ == "__main__":
    unittest.main()
