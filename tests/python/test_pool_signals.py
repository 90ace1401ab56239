# SPDX-License-Identifier: MIT
"""coord.Pool and a signal handler that raises (an alarm's timeout, a
handler of the program's own) while the pool unpickles a result in the
caller's thread: the handler's exception reaches the caller, as
multiprocessing's wait raises it, and no result is lost to it (it used to
be taken for the pickle's failure: the task failed with TaskError)."""

import os
import signal
import unittest

import coord

LIMIT = 60.0  # seconds any bounded wait below may take on a loaded machine

PARENT = os.getpid()
FIRED = []  # the values whose unpickling sent the signal (in the parent)


class Interrupt(Exception):
    """What the test's SIGUSR1 handler raises."""


def raise_interrupt(signum, frame):
    raise Interrupt("the handler's")


def rebuild(x):
    """Unpickles a Marked: in the parent, the first time for x == 5, sends
    this process SIGUSR1, whose handler runs (and raises) right here, in
    the middle of pickle.loads."""
    if x == 5 and os.getpid() == PARENT and not FIRED:
        FIRED.append(x)
        os.kill(os.getpid(), signal.SIGUSR1)
    return Marked(x)


class Marked:
    def __init__(self, x):
        self.x = x

    def __reduce__(self):
        return (rebuild, (self.x,))


def marked(x):
    return Marked(x)


class SignalDuringUnpickling(unittest.TestCase):
    def setUp(self):
        FIRED.clear()
        self.old = signal.signal(signal.SIGUSR1, raise_interrupt)
        self.addCleanup(signal.signal, signal.SIGUSR1, self.old)

    def test_a_maps_results_reach_the_caller_after_the_handlers_exception(self):
        with coord.Pool(2) as pool:
            r = pool.map_async(marked, range(20), chunksize=4)
            with self.assertRaises(Interrupt):
                r.get(LIMIT)
            self.assertEqual(FIRED, [5])
            self.assertEqual([m.x for m in r.get(LIMIT)], list(range(20)))
            self.assertTrue(r.successful())
            # and the pool goes on
            self.assertEqual([m.x for m in pool.map(marked, range(8))],
                             list(range(8)))

    def test_an_applys_result_reaches_the_caller_after_the_handlers_exception(self):
        with coord.Pool(1) as pool:
            r = pool.apply_async(marked, (5,))
            with self.assertRaises(Interrupt):
                r.get(LIMIT)
            self.assertEqual(r.get(LIMIT).x, 5)

    def test_ctrl_c_during_unpickling_loses_no_result(self):
        # KeyboardInterrupt went through before, but the chunk it cut short
        # was lost: a second get() waited for it for ever.
        signal.signal(signal.SIGUSR1, signal.default_int_handler)
        with coord.Pool(2) as pool:
            r = pool.map_async(marked, range(20), chunksize=4)
            with self.assertRaises(KeyboardInterrupt):
                r.get(LIMIT)
            self.assertEqual([m.x for m in r.get(LIMIT)], list(range(20)))

    def test_imap_goes_on_after_the_handlers_exception(self):
        # The exception went through imap's generator, which ended: the
        # items after it were silently lost.
        for name in ("imap", "imap_unordered"):
            with self.subTest(name):
                FIRED.clear()
                with coord.Pool(2) as pool:
                    it = getattr(pool, name)(marked, range(20))
                    got, raised = [], 0
                    while True:
                        try:
                            got.append(it.next(LIMIT).x)
                        except StopIteration:
                            break
                        except Interrupt:
                            raised += 1
                    self.assertEqual(FIRED, [5])
                    self.assertEqual(raised, 1)
                    self.assertEqual(sorted(got), list(range(20)))

    def test_a_broken_pickle_cut_short_by_a_signal(self):
        # The signal in the first or the second try of a pickle that never
        # unpickles here: the handler's exception is raised from the wait,
        # and the task fails with the pickle's. A KeyboardInterrupt in the
        # first try lost the job (the next get() waited for ever); in the
        # second, it was swallowed; an Interrupt in the first was taken for
        # the pickle's.
        for handler, expected in ((signal.default_int_handler, KeyboardInterrupt),
                                  (raise_interrupt, Interrupt)):
            for at in (1, 2):
                with self.subTest(expected=expected.__name__, at=at):
                    signal.signal(signal.SIGUSR1, handler)
                    BROKEN_CALLS.clear()
                    BROKEN_SIGNAL_AT[:] = [at]
                    with coord.Pool(1) as pool:
                        r = pool.apply_async(broken_here, ())
                        with self.assertRaises(expected):
                            r.get(LIMIT)
                        with self.assertRaises(coord.TaskError) as cm:
                            r.get(LIMIT)
                        self.assertIsInstance(cm.exception.__cause__, LookupError)

    def test_a_pickle_that_fails_every_time_still_fails_its_task(self):
        with coord.Pool(1) as pool:
            r = pool.apply_async(unpicklable_here, ())
            with self.assertRaises(coord.TaskError) as cm:
                r.get(LIMIT)
            self.assertIsInstance(cm.exception.__cause__, LookupError)


def refuse():
    raise LookupError("this one never unpickles in the parent")


class Refused:
    def __reduce__(self):
        return (refuse_in_parent, ())


def refuse_in_parent():
    if os.getpid() == PARENT:
        refuse()
    return Refused()


def unpicklable_here():
    return Refused()


BROKEN_CALLS = []      # unpicklings of a Broken in the parent
BROKEN_SIGNAL_AT = []  # [n]: the nth sends the parent SIGUSR1


def broken_in_parent():
    """Never unpickles in the parent; the nth try there is also cut short
    by SIGUSR1 (whose handler raises right here)."""
    if os.getpid() == PARENT:
        BROKEN_CALLS.append(1)
        if BROKEN_SIGNAL_AT and len(BROKEN_CALLS) == BROKEN_SIGNAL_AT[0]:
            os.kill(os.getpid(), signal.SIGUSR1)
        refuse()
    return Broken()


class Broken:
    def __reduce__(self):
        return (broken_in_parent, ())


def broken_here():
    return Broken()


if __name__ == "__main__":
    unittest.main()
