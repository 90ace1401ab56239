# SPDX-License-Identifier: MIT
"""coord.search: Python probes in forked workers, the loop, flag checks and
claim in C; results, wasted work bounds, errors and dead workers."""

import os
import signal
import threading
import time
import unittest

import coord

# The bound on every wait below: what a search whose parent did not heed a
# signal (or kept the GIL) runs into, and then fails the test.
WAIT = 20.0


FORKS = None  # os.register_at_fork's calls here, while a test records them


def _at_fork(what):
    if FORKS is not None:
        FORKS.append(what)


os.register_at_fork(before=lambda: _at_fork("before"),
                    after_in_parent=lambda: _at_fork("parent"))


def children():
    """This process's child processes (any thread's), zombies included."""
    pids = []
    for tid in os.listdir("/proc/self/task"):
        with open("/proc/self/task/%s/children" % tid) as f:
            pids += [int(p) for p in f.read().split()]
    return pids


def coord_files(pids):
    """The /dev/shm/coord.* files whose creator is one of `pids`."""
    return [e["name"] for e in coord.gc() if e["creator_pid"] in pids]


class Stop(Exception):
    """What the test's SIGUSR1 handler raises."""


def is_prime(n):
    return n >= 2 and all(n % d for d in range(2, int(n ** 0.5) + 1))


def first_prime_probe(n):
    return ("prime", n) if is_prime(n) else None


class TwoArgError(Exception):
    """Pickles (its .args) but does not unpickle: __init__ wants two."""

    def __init__(self, a, b):
        super().__init__(a)


PARENT = os.getpid()


def interrupt_in_parent(*args):
    """Unpickles to InterruptsParentError, but raises KeyboardInterrupt in
    the test's own process (as a Ctrl-C arriving while it unpickles)."""
    if os.getpid() == PARENT:
        raise KeyboardInterrupt("while unpickling")
    return InterruptsParentError(*args)


class InterruptsParentError(Exception):
    def __reduce__(self):
        return (interrupt_in_parent, self.args)


def raise_interrupts_parent(n):
    if n == 5:
        raise InterruptsParentError(n)


def target_probe(target):
    return lambda n: {"hit": n} if n == target else None


class SearchTest(unittest.TestCase):
    def test_finds_a_prime_with_its_value(self):
        start = 10 ** 6
        r = coord.search(first_prime_probe, start, start + 10 ** 5, workers=3)
        self.assertTrue(r.found)
        # Whichever worker's prime is claimed first wins (scheduling
        # decides): the value is that index's, and it is a prime.
        self.assertEqual(r.value, ("prime", r.index))
        self.assertTrue(is_prime(r.index))
        self.assertIn(r.index, range(start, start + 10 ** 5))
        self.assertIn(r.winner, range(3))
        self.assertGreaterEqual(r.iterations, 1)

    def test_wasted_is_bounded_by_the_check_interval(self):
        K = 50
        for claim in ("cas", "lock"):
            with self.subTest(claim=claim):
                r = coord.search(target_probe(30000), 0, 200000, workers=4,
                                 check_every=K, claim=claim)
                self.assertEqual((r.found, r.index, r.value), (True, 30000, {"hit": 30000}))
                self.assertEqual(r.check_every, K)
                self.assertLessEqual(r.wasted, (r.workers - 1) * K)

    def test_not_found(self):
        r = coord.search(lambda n: None, 0, 5000, workers=2, check_every=100)
        self.assertFalse(r.found)
        self.assertIsNone(r.index)
        self.assertIsNone(r.value)
        self.assertEqual(r.winner, -1)
        self.assertEqual(r.iterations, 5000)

    def test_without_early_exit_every_worker_runs_to_its_end(self):
        r = coord.search(target_probe(10), 0, 4000, workers=2, early_exit=False,
                         check_every=100, partition="blocks")
        self.assertTrue(r.found)
        self.assertEqual(r.index, 10)
        # The lecture's baseline: the hitter returns, the other runs on.
        self.assertEqual(r.iterations, 11 + 2000)

    def test_without_early_exit_wasted_is_not_bounded_by_the_interval(self):
        # SearchResult's docstring bounded wasted by (workers - 1) *
        # check_every whatever early_exit said. Worker 1 ([2000, 4000))
        # waits at its first index for worker 0's hit, so it has no check
        # that saw the flag clear: all its 2,000 iterations are wasted.
        hit = coord.Value("i", 0)

        def probe(n):
            if n == 10:
                hit.value = 1
                return n
            if n == 2000:
                deadline = time.monotonic() + WAIT
                while not hit.value and time.monotonic() < deadline:
                    pass
                time.sleep(0.05)  # the claim follows the probe's return
            return None

        r = coord.search(probe, 0, 4000, workers=2, early_exit=False,
                         check_every=100, partition="blocks")
        self.assertEqual((r.found, r.index), (True, 10))
        self.assertEqual(r.wasted, 2000)
        self.assertGreater(r.wasted, (r.workers - 1) * r.check_every)
        self.assertIn("without early exit", coord.SearchResult.__doc__)

    def test_exception_in_probe_is_raised_here(self):
        def probe(n):
            if n == 777:
                raise KeyError("bad %d" % n)
        with self.assertRaisesRegex(KeyError, "bad 777"):
            coord.search(probe, 0, 10000, workers=2)

    def test_exception_that_does_not_unpickle_is_reported(self):
        # It used to raise the unpickling error itself ("TwoArgError.__init__()
        # missing 1 required positional argument"), as if the call had made it.
        def probe(n):
            if n == 5:
                raise TwoArgError(1, 2)
        with self.assertRaisesRegex(TypeError, "cannot be unpickled") as cm:
            coord.search(probe, 0, 100, workers=1, timeout=WAIT)
        self.assertIn("TwoArgError", str(cm.exception))
        self.assertIsInstance(cm.exception.__cause__, TypeError)
        self.assertEqual(children(), [])

    def test_keyboard_interrupt_while_unpickling_an_exception_propagates(self):
        # A KeyboardInterrupt raised here while the probe's exception is
        # unpickled is the user's Ctrl-C, not a bad exception: it used to
        # come out as TypeError("... cannot be unpickled here").
        with self.assertRaisesRegex(KeyboardInterrupt, "while unpickling"):
            coord.search(raise_interrupts_parent, 0, 100, workers=1,
                         timeout=WAIT)
        self.assertEqual(children(), [])

    def test_unpicklable_value_is_reported(self):
        with self.assertRaisesRegex(TypeError, "cannot be pickled"):
            coord.search(lambda n: (lambda: n) if n == 3 else None, 0, 100, workers=1)

    def test_workers_fork_as_os_fork_does(self):
        # PyOS_BeforeFork / PyOS_AfterFork_Parent around the forks, as
        # coord.Pool and os.fork() do: the workers ran the children's
        # at-fork handlers, but the parent ran neither of its own.
        global FORKS
        FORKS = []
        try:
            r = coord.search(lambda i: i if i == 3 else None, 0, 10, workers=2)
        finally:
            calls, FORKS = FORKS, None
        self.assertEqual(r.value, 3)
        self.assertEqual(calls, ["before", "parent"])

    def test_dead_worker_raises_peerdied(self):
        def probe(n):
            if n == 1234:
                os.kill(os.getpid(), signal.SIGKILL)
        with self.assertRaises(coord.EPEERDIED) as cm:
            coord.search(probe, 0, 100000, workers=2, check_every=10)
        self.assertIn("signal 9", str(cm.exception))

    def test_dead_worker_with_sigchld_ignored_says_why(self):
        # The kernel reaps the worker: the search cannot have its status,
        # and its error says so instead of a bare "no child process".
        def probe(n):
            if n == 5:
                os._exit(3)
        old = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
        try:
            with self.assertRaises(coord.ECHILD) as cm:
                coord.search(probe, 0, 100, workers=1, check_every=4, timeout=WAIT)
        finally:
            signal.signal(signal.SIGCHLD, old)
        self.assertIn("reaped elsewhere", str(cm.exception))
        self.assertIn("SIG_IGN", str(cm.exception))

    def test_other_threads_run_while_it_waits(self):
        started, progressed = coord.Flag(), coord.Flag()

        def probe(i):
            started.set()
            progressed.wait(WAIT)
            return "progressed" if progressed.is_set() else "stalled"

        def python_work():
            if started.wait(WAIT):
                total = 0
                for k in range(100000):  # Python bytecode: needs the GIL
                    total += k
                progressed.set()

        t = threading.Thread(target=python_work)
        t.start()
        try:
            r = coord.search(probe, 0, 1, workers=1)
        finally:
            t.join(WAIT)
        self.assertFalse(t.is_alive())
        self.assertEqual(r.value, "progressed")

    def _interrupted(self, signum, handler, exc, running, send=None):
        """A search of two workers, each in a probe that sets `running` and
        runs until killed (or WAIT passes); `send`(parent pid), called in a
        worker, or else someone watching `running`, sends signal `signum`
        (handled by `handler`) to this process. `exc` must come out of the
        search while the probes still run, and nothing of the search may
        be left."""
        pids = coord.Array("q", 2)
        finished = coord.Value("i", 0)
        # Every file there now, whoever made it: a stale file of a dead
        # process whose pid a worker of ours reuses is not ours.
        before = {e["name"] for e in coord.gc()}

        def probe(i):
            pids[i] = os.getpid()
            running.set()
            if i == 0 and send:
                send(os.getppid())
            time.sleep(WAIT)
            finished.add(1)

        old = signal.signal(signum, handler)
        try:
            with self.assertRaises(exc):
                coord.search(probe, 0, 2, workers=2, partition="blocks")
        finally:
            signal.signal(signum, old)
        self.assertNotEqual(list(pids), [0, 0])  # the probes did run
        # Stopped while the probes ran: neither finished its sleep.
        self.assertEqual(finished.value, 0)
        self.assertEqual(children(), [])
        for pid in pids:
            if pid:
                with self.assertRaises(ProcessLookupError):
                    os.kill(pid, 0)
        self.assertEqual([n for n in coord_files([os.getpid()] + list(pids))
                          if n not in before], [])

    def test_sigint_raises_keyboardinterrupt_and_stops_the_workers(self):
        # From a child (a worker), as a terminal's Ctrl-C reaches a parent.
        self._interrupted(signal.SIGINT, signal.default_int_handler,
                          KeyboardInterrupt, coord.Flag(),
                          lambda parent: os.kill(parent, signal.SIGINT))

    def test_an_exception_from_any_signal_handler_stops_it(self):
        # From a thread of the parent, which must run meanwhile.
        running = coord.Flag()

        def timer():
            if running.wait(WAIT):
                os.kill(os.getpid(), signal.SIGUSR1)

        def stop(signum, frame):
            raise Stop("signal %d" % signum)

        t = threading.Thread(target=timer)
        t.start()
        try:
            self._interrupted(signal.SIGUSR1, stop, Stop, running)
        finally:
            t.join(WAIT)
        self.assertFalse(t.is_alive())

    def test_bad_arguments(self):
        with self.assertRaises(ValueError):
            coord.search(first_prime_probe, 5, 5)
        with self.assertRaises(ValueError):
            coord.search(first_prime_probe, 0, 5, check_every=0)
        with self.assertRaises(ValueError):
            coord.search(first_prime_probe, 0, 5, claim="spin")
        with self.assertRaises(TypeError):
            coord.search(42, 0, 5)


if __name__ == "__main__":
    unittest.main()
