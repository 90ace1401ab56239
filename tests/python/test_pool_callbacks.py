# SPDX-License-Identifier: MIT
"""coord.Pool's callbacks, run by the pool's result thread as results come
in, as multiprocessing's result handler runs them: a caller that only
sleeps sees them; a callback that raises is reported and the others run;
terminate() stops them; a replacement worker is forked by that thread; a
pool left open does not hold the interpreter at exit; the calls without
callbacks start no thread."""

import gc
import os
import signal
import subprocess
import sys
import threading
import time
import unittest

import coord
from helpers import fork, join_ok

LIMIT = 60.0  # seconds any bounded wait below may take on a loaded machine

FORKS = None  # (what, thread ident) of os.register_at_fork's calls, when recorded
COUNT = None  # a coord.Value made before a pool forks (its workers inherit it)
GATE = None   # a coord.Flag made before a pool forks


def square(x):
    return x * x


def fail(x):
    raise ValueError("bad %d" % x)


def die(_):
    os.kill(os.getpid(), signal.SIGKILL)


def counted_nap(x):
    with COUNT.get_lock():
        COUNT.value += 1
    time.sleep(0.005)
    return x


def wait_gate(x):
    GATE.wait(LIMIT)
    return x


def _at_fork(what):
    if FORKS is not None:
        FORKS.append((what, threading.get_ident()))


os.register_at_fork(before=lambda: _at_fork("before"),
                    after_in_parent=lambda: _at_fork("parent"))


def sleep_until(cond, what):
    """multiprocessing's idiom: sleep, without calling into the pool, until
    cond() holds; bounded, so that a regression fails rather than hangs."""
    deadline = time.monotonic() + LIMIT
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("%s: not within %.0f s" % (what, LIMIT))
        time.sleep(0.01)


def result_threads():
    return [t for t in threading.enumerate() if t.name == "coord.Pool-results"]


class CallbackTest(unittest.TestCase):
    def tearDown(self):
        # Every pool of a test is terminated or joined: its thread is gone.
        self.assertEqual(result_threads(), [])

    def test_callbacks_run_while_the_caller_only_sleeps(self):
        # With multiprocessing this loop ends; without a result thread the
        # callbacks waited for a call into the pool and it never did.
        with coord.Pool(2) as pool:
            done = []
            for x in range(50):
                pool.apply_async(square, (x,), callback=done.append)
            sleep_until(lambda: len(done) == 50, "apply_async callbacks")
            self.assertEqual(sorted(done), [x * x for x in range(50)])
            errors = []
            for x in range(10):
                pool.apply_async(fail, (x,), callback=done.append,
                                 error_callback=errors.append)
            sleep_until(lambda: len(errors) == 10, "error callbacks")
            self.assertEqual(sorted(str(e) for e in errors),
                             sorted("bad %d" % x for x in range(10)))
            self.assertEqual(len(done), 50)
            lists = []
            pool.map_async(square, range(100), callback=lists.append)
            pool.starmap_async(pow, [(2, k) for k in range(10)], chunksize=3,
                               callback=lists.append)
            pool.map_async(fail, range(4), error_callback=lists.append)
            sleep_until(lambda: len(lists) == 3, "map callbacks")
            self.assertIn([x * x for x in range(100)], lists)
            self.assertIn([2 ** k for k in range(10)], lists)
            self.assertEqual([str(e) for e in lists if isinstance(e, ValueError)],
                             ["bad 0"])

    def test_callbacks_run_in_the_pools_thread_before_the_result_is_ready(self):
        with coord.Pool(2) as pool:
            where, seen = [], []

            def note(r):
                where.append(threading.current_thread())
                seen.append(r)

            rs = [pool.apply_async(square, (x,), callback=note) for x in range(20)]
            m = pool.map_async(square, range(30), chunksize=4, callback=note)
            # As multiprocessing: get() returns, and ready() is true, only
            # once the callback has run.
            for x, r in enumerate(rs):
                self.assertEqual(r.get(LIMIT), x * x)
                self.assertIn(x * x, seen)
                self.assertTrue(r.ready())
            self.assertEqual(m.get(LIMIT), [x * x for x in range(30)])
            self.assertIn([x * x for x in range(30)], seen)
            self.assertEqual(len(set(where)), 1)
            thread = where[0]
            self.assertIsNot(thread, threading.main_thread())
            self.assertTrue(thread.daemon)
            self.assertEqual(thread.name, "coord.Pool-results")

    def test_get_without_a_timeout_waits_for_a_slow_callback(self):
        # get() and result() with no timeout take a shorter path when no
        # callback is owed; with one owed (the result in, the callback still
        # running) they still wait for it.
        with coord.Pool(1) as pool:
            for call in ("get", "result"):
                ran = []

                def slow(r):
                    time.sleep(0.2)
                    ran.append(r)

                fut = pool.apply_async(square, (7,), callback=slow)
                deadline = time.monotonic() + LIMIT
                while not fut._done:  # the result in, its callback owed
                    self.assertLess(time.monotonic(), deadline)
                    time.sleep(0.001)
                self.assertEqual(getattr(fut, call)(), 49)
                self.assertEqual(ran, [49])

    def test_a_callback_that_raises_is_reported_and_the_others_run(self):
        # multiprocessing: the exception ends its result handler thread, and
        # every later result (and get()) waits for ever.
        caught, ran = [], []

        def hook(args):
            caught.append((args.exc_type, str(args.exc_value), args.thread))

        def callback(r):
            if r % 3 == 0:
                raise RuntimeError("callback of %d" % r)
            ran.append(r)

        was, threading.excepthook = threading.excepthook, hook
        try:
            with coord.Pool(2) as pool:
                rs = [pool.apply_async(square, (x,), callback=callback,
                                       error_callback=callback) for x in range(12)]
                sleep_until(lambda: len(ran) + len(caught) == 12, "callbacks")
                self.assertEqual([r.get(LIMIT) for r in rs], [x * x for x in range(12)])
                pool.map_async(square, [3], callback=lambda v: callback(v[0]))
                sleep_until(lambda: len(caught) == 5, "the map's callback")
        finally:
            threading.excepthook = was
        self.assertEqual(sorted(ran), sorted(x * x for x in range(12) if x % 3))
        self.assertEqual(sorted(m for _, m, _ in caught),
                         sorted("callback of %d" % (x * x) for x in (0, 3, 6, 9, 3)))
        self.assertEqual({(c, t.name) for c, _, t in caught},
                         {(RuntimeError, "coord.Pool-results")})

    def test_terminate_stops_the_callbacks(self):
        # One callback runs (held by an event) while the others wait their
        # turn; terminate() waits for the one running, drops the others,
        # and none runs once it has returned.
        global GATE
        GATE = coord.Flag()
        started, release, ran = threading.Event(), threading.Event(), []

        def callback(r):
            if not ran:
                started.set()
                release.wait(LIMIT)
            ran.append(r)

        pool = coord.Pool(2)
        try:
            rs = [pool.apply_async(square, (x,), callback=callback) for x in range(10)]
            pending = pool.apply_async(wait_gate, (1,), callback=callback)
            self.assertTrue(started.wait(LIMIT))

            def collected():
                for r in rs:
                    r.ready()  # collects what is in: their callbacks wait
                return pool.stats()["succeeded"] == 10

            sleep_until(collected, "the tasks")
            for r in rs:
                self.assertFalse(r.ready())  # in, but its callback is queued
            stopper = threading.Thread(target=pool.terminate)
            stopper.start()
            stopper.join(0.2)
            self.assertTrue(stopper.is_alive(), "terminate() did not wait for "
                            "the running callback")
            release.set()
            stopper.join(LIMIT)
            self.assertFalse(stopper.is_alive())
            self.assertEqual(len(ran), 1)
            self.assertEqual(result_threads(), [])
            time.sleep(0.1)
            self.assertEqual(len(ran), 1)
            # The results were in: their callbacks are dropped, not them.
            self.assertEqual([r.get(0) for r in rs], [x * x for x in range(10)])
            with self.assertRaises(coord.ECLOSED):
                pending.get(0)
        finally:
            release.set()
            GATE.set()
            pool.terminate()

    def test_close_and_join_run_every_callback_and_end_the_thread(self):
        pool = coord.Pool(2)
        try:
            got = []
            pool.map_async(square, range(100), callback=got.append)
            for x in range(20):
                pool.apply_async(square, (x,), callback=got.append)
            pool.close()
            pool.join(LIMIT)
            self.assertEqual(len(got), 21)
            self.assertIn([x * x for x in range(100)], got)
            self.assertEqual(result_threads(), [])
        finally:
            pool.terminate()

    def test_a_call_that_cannot_be_sent_fails_its_result(self):
        # As multiprocessing: apply_async/map_async of a call that cannot
        # be sent (over max_task, or it does not pickle) return; the
        # result fails with why and error_callback gets it (they raised
        # from apply_async, and error_callback never ran). close + join
        # does not wait for more, and the thread ends.
        pool = coord.Pool(1, max_task=1000)
        try:
            got = []
            r1 = pool.apply_async(len, (b"x" * 5000,), callback=got.append)
            with self.assertRaises(ValueError):  # coord.EMSGSIZE
                r1.get(LIMIT)
            r2 = pool.map_async(len, [b"x", b"x" * 5000], chunksize=1,
                                callback=got.append, error_callback=got.append)
            with self.assertRaises(ValueError):  # its second chunk is too big
                r2.get(LIMIT)
            r3 = pool.apply_async(len, (threading.Lock(),), callback=got.append,
                                  error_callback=got.append)
            with self.assertRaises(TypeError):   # does not pickle
                r3.get(LIMIT)
            self.assertFalse(r3.successful())
            self.assertEqual(pool.apply_async(len, (b"xy",), callback=got.append).get(LIMIT), 2)
            pool.close()
            pool.join(LIMIT)
            self.assertEqual([type(x) for x in got], [coord.EMSGSIZE, TypeError, int])
            self.assertEqual(got[2], 2)
            self.assertEqual(result_threads(), [])
        finally:
            pool.terminate()

    def test_a_pool_dropped_unclosed_still_delivers_its_callbacks(self):
        # The result thread keeps the pool while it owes callbacks, then
        # lets it go: the pool is freed (its workers killed) and the
        # thread ends.
        got, pids = [], []

        def start():
            pool = coord.Pool(2)
            pids.extend(pool.worker_pids())
            for x in range(20):
                pool.apply_async(square, (x,), callback=got.append)

        start()
        gc.collect()
        sleep_until(lambda: len(got) == 20, "the callbacks")
        self.assertEqual(sorted(got), [x * x for x in range(20)])
        sleep_until(lambda: gc.collect() is not None and not result_threads(),
                    "the thread's end")
        for pid in pids:
            self.assertFalse(os.path.exists("/proc/%d" % pid), "worker %d left" % pid)

    def test_a_callback_may_wait_for_other_results(self):
        # multiprocessing's result handler would wait for itself here.
        with coord.Pool(2) as pool:
            got = []
            later = []

            def callback(r):
                got.append((r, later[0].get(LIMIT), pool.apply(square, (5,))))

            later.append(pool.apply_async(square, (4,), callback=got.append))
            pool.apply_async(square, (3,), callback=callback).get(LIMIT)
            self.assertIn((9, 16, 25), got)
            self.assertIn(16, got)

    def test_join_from_a_callback_raises_instead_of_waiting_for_itself(self):
        caught = []
        was = threading.excepthook
        threading.excepthook = lambda args: caught.append(args.exc_type)
        try:
            pool = coord.Pool(1)

            def callback(r):
                pool.close()
                pool.join()

            pool.apply_async(square, (2,), callback=callback).wait(LIMIT)
            pool.join(LIMIT)
        finally:
            threading.excepthook = was
            pool.terminate()
        self.assertEqual(caught, [RuntimeError])

    def test_a_callback_waiting_on_a_long_task_wakes_the_thread_seldom(self):
        # While its callback waits on a long task, the result thread looks
        # for dead workers on a tick that doubles after each look that
        # found nothing, up to 100 ms: about a dozen rounds in the first
        # second, where a fixed 10 ms tick made about a hundred. (A loaded
        # machine makes fewer rounds, never more.)
        global GATE
        GATE = coord.Flag()
        with coord.Pool(1) as pool:
            rounds = []
            real = pool._serve

            def counted(expired):
                rounds.append(time.monotonic())
                return real(expired)

            pool._serve = counted  # the thread starts below, and reads it
            got = []
            pool.apply_async(wait_gate, (1,), callback=got.append)
            time.sleep(1.0)
            n = len(rounds)
            GATE.set()
            sleep_until(lambda: got == [1], "the callback")
        self.assertGreater(n, 0)
        self.assertLess(n, 40, "%d rounds of the result thread in a second" % n)

    def test_the_calls_without_callbacks_start_no_thread(self):
        # Their results are collected by the thread that waits: no hop.
        with coord.Pool(2) as pool:
            self.assertEqual(pool.map(square, range(100)), [x * x for x in range(100)])
            self.assertEqual(list(pool.imap(square, range(20))), [x * x for x in range(20)])
            self.assertEqual(sorted(pool.imap_unordered(square, range(20))),
                             [x * x for x in range(20)])
            self.assertEqual(pool.starmap(pow, [(2, 3)]), [8])
            self.assertEqual(pool.apply(square, (3,)), 9)
            self.assertEqual(pool.apply_async(square, (4,)).get(LIMIT), 16)
            self.assertEqual(pool.submit(square, 5).result(LIMIT), 25)
            self.assertEqual(pool.map_async(square, range(3)).get(LIMIT), [0, 1, 4])
            self.assertEqual(result_threads(), [])


class SharedTest(unittest.TestCase):
    def test_threads_sharing_a_pool_with_callbacks(self):
        with coord.Pool(2) as pool:
            got, where = {}, set()

            def user(k):
                mine = []

                def note(r):
                    where.add(threading.get_ident())
                    mine.append(r)

                rs = [pool.apply_async(square, (k * 100 + x,), callback=note)
                      for x in range(30)]
                m = pool.map(square, range(k * 100, k * 100 + 40), chunksize=3)
                got[k] = (sorted(r.get(LIMIT) for r in rs), m, sorted(mine))

            ts = [threading.Thread(target=user, args=(k,)) for k in range(4)]
            for t in ts:
                t.start()
            for t in ts:
                t.join(LIMIT)
            for k in range(4):
                want = [x * x for x in range(k * 100, k * 100 + 30)]
                self.assertEqual(got[k], (want, [x * x for x in range(k * 100, k * 100 + 40)],
                                          want))
            self.assertEqual(len(where), 1)
            self.assertNotIn(threading.get_ident(), where)
            self.assertNotIn(ts[0].ident, where)

    def test_ctrl_c_while_another_thread_collects(self):
        # A blocking call still raises KeyboardInterrupt from Ctrl-C when it
        # sleeps while another thread collects (here a thread that holds
        # the role, waiting for its own result), the result thread alive.
        global GATE
        GATE = coord.Flag()
        pool = coord.Pool(3)
        timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
        other = threading.Thread(target=lambda: pool.apply(wait_gate, (0,)))
        try:
            pool.apply_async(wait_gate, (1,), callback=lambda r: None)
            fut = pool.apply_async(wait_gate, (2,))
            other.start()
            sleep_until(pool._role.locked, "the other thread collecting")
            with self.assertRaises(KeyboardInterrupt):
                timer.start()
                fut.get(LIMIT)
        finally:
            timer.join(LIMIT)
            GATE.set()
            other.join(LIMIT)
            pool.terminate()

    def test_a_forked_copy_neither_collects_nor_waits(self):
        global GATE
        GATE = coord.Flag()
        with coord.Pool(2) as pool:
            owed = pool.apply_async(wait_gate, (1,), callback=lambda r: None)

            def child():
                if owed.ready():
                    return False
                try:
                    owed.get(1)
                except RuntimeError as e:
                    return "created it" in str(e)
                return False

            join_ok(self, fork(child))
            GATE.set()
            self.assertEqual(owed.get(LIMIT), 1)


class DeathTest(unittest.TestCase):
    def test_a_replacement_is_forked_by_the_result_thread(self):
        # The program only sleeps while a worker dies under a stream of
        # callbacks: the result thread finds the death, forks the
        # replacement (the at-fork handlers run in it: it holds the GIL, as
        # every fork of the pool does), retries the task, and every
        # callback comes.
        global FORKS, COUNT
        COUNT = coord.Value("i", 0)
        FORKS = []
        try:
            with coord.Pool(2, retries=1) as pool:
                del FORKS[:]
                done, where = [], set()

                def note(r):
                    where.add(threading.get_ident())
                    done.append(r)

                for x in range(300):
                    pool.apply_async(counted_nap, (x,), callback=note)
                sleep_until(lambda: COUNT.value >= 20, "the first tasks")
                victim = pool.worker_pids()[0]
                os.kill(victim, signal.SIGKILL)
                sleep_until(lambda: len(done) == 300, "every callback")
                self.assertEqual(sorted(done), list(range(300)))
                self.assertEqual(pool.stats()["deaths"], 1)
                self.assertEqual(pool.stats()["restarts"], 1)
                self.assertNotIn(victim, pool.worker_pids())
                (thread,) = where
                self.assertEqual(FORKS, [("before", thread), ("parent", thread)])
                self.assertEqual(pool.map(square, range(10), chunksize=1),
                                 [x * x for x in range(10)])
        finally:
            FORKS = None

    def test_a_dead_workers_task_reaches_its_error_callback(self):
        with coord.Pool(2) as pool:
            errors, done = [], []
            for x in range(10):
                pool.apply_async(square, (x,), callback=done.append)
            pool.apply_async(die, (0,), error_callback=errors.append)
            sleep_until(lambda: errors and len(done) == 10, "the callbacks")
            self.assertIsInstance(errors[0], coord.WorkerDied)
            self.assertIn("signal 9", errors[0].cause)


EXIT_SCRIPT = r"""
import sys, threading, time, coord
def slow(x):
    time.sleep(60)
    return x
def square(x):
    return x * x
pool = coord.Pool(2)
print(*pool.worker_pids(), flush=True)
case = sys.argv[1]
if case == "owed":          # callbacks wait for results that will not come
    pool.apply_async(slow, (1,), callback=print)
elif case == "running":     # a callback that never returns, another queued
    gate = threading.Event()
    pool.apply_async(square, (1,), callback=lambda r: gate.wait())
    pool.apply_async(square, (2,), callback=print).wait(0.5)
elif case == "lingering":   # every callback run; the thread waits for more
    pool.apply_async(square, (3,), callback=print).get(60)
print("end", flush=True)
"""


class ExitTest(unittest.TestCase):
    def test_a_pool_left_open_does_not_hold_the_interpreter_at_exit(self):
        # The result thread is a daemon and the pool is terminated at exit
        # (as multiprocessing's): the interpreter ends, and the workers are
        # killed and reaped, whatever state the thread is in.
        for case in ("owed", "running", "lingering"):
            with self.subTest(case=case):
                out = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, case],
                                     capture_output=True, text=True,
                                     timeout=LIMIT)
                self.assertEqual(out.returncode, 0, out.stderr)
                lines = out.stdout.split("\n")
                self.assertEqual(lines[-2], "end", out.stdout)
                for pid in map(int, lines[0].split()):
                    # Not even a zombie: the exit reaped it.
                    self.assertFalse(os.path.exists("/proc/%d" % pid),
                                     "worker %d outlived the program" % pid)


if __name__ == "__main__":
    unittest.main()
