# SPDX-License-Identifier: MIT
"""coord.Pool and a signal handler's exception raised at any bytecode
between taking a result off the core and settling its job. Python runs
signal handlers between bytecodes, so Ctrl-C's KeyboardInterrupt or an
alarm's exception may come at any of them; it must reach the caller and
lose no job: every result is still collected once. Made deterministic: a
trace function (sys.settrace, opcode events) raises Injected at the N-th
bytecode of that path, for N = 1, 2, ... until the path ends before N.
It used to lose the job whose result was in hand (a get() then waited for
ever: here ResultTimeout), or settle a chunk's results twice."""

import os
import sys
import threading
import unittest

import coord
import coord.pool

# seconds any bounded wait below may take on a loaded machine
LIMIT = float(os.environ.get("COORD_TEST_LIMIT", "60"))
POOL_FILE = coord.pool.__file__


class Injected(Exception):
    """What the injection raises (as a signal handler would)."""


def square(x):
    return x * x


def big(x):
    return bytes(300) + bytes([x])  # a few of them fill a 1 KiB result


def boom(x):
    if x == 3:
        raise ValueError("task 3")
    return x


class _Core:
    """The pool's core, with result() marking when a result is in hand."""

    def __init__(self, core, inj):
        self._real, self._inj = core, inj

    def result(self, *args):
        res = self._real.result(*args)
        # Signal handlers run in the main thread only (not in the pool's
        # result thread, which collects for callbacks).
        if res is not None and res is not True and \
                threading.current_thread() is threading.main_thread():
            self._inj.taken()
        return res

    def __getattr__(self, name):
        return getattr(self._real, name)


class _Injector:
    """Raises Injected at the n-th opcode run in coord/pool.py (or here)
    from a result's take until the _settle that settles it returns."""

    def __init__(self, n):
        self.n, self.count, self.fired = n, 0, False
        self.active = False
        self.ends = "_settle"  # the function whose return ends the path

    def taken(self):
        if not self.fired:
            self.active = True

    def tick(self):
        if self.active and not self.fired:
            self.count += 1
            if self.count == self.n:
                self.fired = True
                self.active = False
                raise Injected("at bytecode %d" % self.n)

    def trace(self, frame, event, arg):
        if frame.f_code.co_filename not in (POOL_FILE, __file__):
            return None
        frame.f_trace_opcodes = True
        return self.local

    def local(self, frame, event, arg):
        if event == "opcode" or event == "line":
            self.tick()
        elif event == "return" and frame.f_code.co_name == self.ends and \
                frame.f_back is not None and frame.f_back.f_code.co_name != self.ends:
            self.tick()
            self.active = False  # the path ends: settled
        return self.local


class SettleInjection(unittest.TestCase):
    def run_each_point(self, pool, scenario, most=4000):
        """scenario(pool) submits, waits (Injected may come out of the
        wait) and returns a check(pool) that collects everything and
        asserts it; run with the injection at every bytecode in turn."""
        real = pool._core
        points = 0
        for n in range(1, most):
            inj = _Injector(n)
            pool._core = _Core(real, inj)
            sys.settrace(inj.trace)
            try:
                check = None
                try:
                    check = scenario(pool)
                finally:
                    sys.settrace(None)
            except Injected:
                pass
            finally:
                pool._core = real
            if check is None:
                check = scenario.check
            check(pool)
            self.assertEqual(getattr(real, "pending", lambda: 0)(), 0, n)
            self.assertFalse(getattr(pool, "_resend", None), n)
            self.assertFalse([j for j in pool._jobs.values() if not isinstance(j, tuple)], n)
            if not inj.fired:
                points = n - 1
                break
        else:
            self.fail("the path never ended")
        self.assertGreater(points, 10)  # the injection ran
        return points

    def test_apply_async_results_each_come_once(self):
        with coord.Pool(2) as pool:
            futs = []

            def scenario(pool):
                futs[:] = [pool.apply_async(square, (i,)) for i in range(4)]
                for f in futs:
                    f.get(LIMIT)
                return check

            def check(pool):
                self.assertEqual([f.get(LIMIT) for f in futs], [0, 1, 4, 9])
            scenario.check = check
            self.run_each_point(pool, scenario)

    def test_a_tasks_exception_comes_once(self):
        with coord.Pool(1) as pool:
            futs = []

            def scenario(pool):
                futs[:] = [pool.apply_async(boom, (i,)) for i in (2, 3)]
                for f in futs:
                    f.wait(LIMIT)
                return check

            def check(pool):
                self.assertEqual(futs[0].get(LIMIT), 2)
                with self.assertRaisesRegex(ValueError, "task 3"):
                    futs[1].get(LIMIT)
            scenario.check = check
            self.run_each_point(pool, scenario)

    def test_map_chunks_each_come_once(self):
        with coord.Pool(2) as pool:
            box = []

            def scenario(pool):
                box[:] = [pool.map_async(square, range(12), chunksize=3)]
                box[0].get(LIMIT)
                return check

            def check(pool):
                self.assertEqual(box[0].get(LIMIT), [i * i for i in range(12)])
                self.assertTrue(box[0].ready())
            scenario.check = check
            self.run_each_point(pool, scenario)

    def test_a_chunk_sent_again_for_room_comes_once(self):
        # max_result 1 KiB: a worker stops a chunk of big() results for
        # room, and the items left go again (Pool._resend_all).
        with coord.Pool(1, max_result=1024) as pool:
            box = []

            def scenario(pool):
                box[:] = [pool.map_async(big, range(8), chunksize=8)]
                box[0].get(LIMIT)
                return check

            def check(pool):
                self.assertEqual(box[0].get(LIMIT), [big(i) for i in range(8)])
            scenario.check = check
            self.run_each_point(pool, scenario)

    def imap_each_point(self, method, ordered):
        with coord.Pool(2) as pool:
            got = []

            def scenario(pool):
                got.clear()
                scenario.it = getattr(pool, method)(square, range(6))
                for x in scenario.it:
                    got.append(x)
                return check

            def check(pool):
                for x in scenario.it:  # after the exception it goes on
                    got.append(x)
                self.assertEqual(got if ordered else sorted(got),
                                 [i * i for i in range(6)])
            scenario.check = check
            self.run_each_point(pool, scenario)

    def test_imap_items_each_come_once(self):
        self.imap_each_point("imap", True)

    def test_imap_unordered_items_each_come_once(self):
        self.imap_each_point("imap_unordered", False)

    def test_callbacks_each_run_once(self):
        with coord.Pool(2) as pool:
            calls = []
            lock = threading.Lock()
            futs = []

            def cb(v):
                with lock:
                    calls.append(v)

            def scenario(pool):
                calls.clear()
                futs[:] = [pool.apply_async(square, (i,), callback=cb) for i in range(4)]
                futs.append(pool.map_async(square, range(4), chunksize=2, callback=cb))
                for f in futs:
                    f.get(LIMIT)
                return check

            def check(pool):
                for f in futs:
                    f.get(LIMIT)
                with lock:
                    seen = list(calls)
                self.assertEqual(sorted(c for c in seen if type(c) is int), [0, 1, 4, 9])
                self.assertEqual([c for c in seen if type(c) is list], [[0, 1, 4, 9]])
            scenario.check = check
            self.run_each_point(pool, scenario)

    def test_a_handler_right_after_a_submit_loses_no_callback(self):
        # The other side: from the core's submit returning (the task has
        # gone) until apply_async returns. A handler's exception there
        # used to lose the job before it was registered: its callback never
        # ran, and close() + join() waited for it for ever.
        import time
        with coord.Pool(2) as pool:
            real = pool._core
            calls = []

            class Core:
                def __init__(self, inj):
                    self._inj = inj

                def submit(self, *args):
                    tid = real.submit(*args)
                    self._inj.taken()  # the task has gone
                    return tid

                def __getattr__(self, name):
                    return getattr(real, name)

            points = 0
            for n in range(1, 400):
                inj = _Injector(n)
                inj.ends = "_submit"
                pool._core = Core(inj)
                sys.settrace(inj.trace)
                try:
                    try:
                        pool.apply_async(square, (n,), callback=calls.append)
                    finally:
                        sys.settrace(None)
                        pool._core = real
                except Injected:
                    pass
                sent = pool.stats()["submitted"]
                deadline = time.monotonic() + LIMIT
                while len(calls) < sent and time.monotonic() < deadline:
                    time.sleep(0.01)
                self.assertEqual(len(calls), sent, n)
                if not inj.fired:
                    points = n - 1
                    break
            self.assertGreater(points, 3)  # the injection ran
            pool.close()
            pool.join(LIMIT)
            self.assertEqual(sorted(calls), sorted(i * i for i in range(1, points + 2)))

    def test_terminate_while_a_chunk_goes_again_fails_it_once(self):
        # terminate() from another thread while the collector's send of a
        # chunk's items left (its worker stopped for room) waits in the
        # core's submit: made deterministic, the submit runs terminate()
        # first. The chunk was failed twice: with ECLOSED by terminate(),
        # then with the failed send's "Pool not running", its sink called
        # again (here: a second count towards its map, left in _owed).
        with coord.Pool(1, max_result=1024) as pool:
            real = pool._core

            class Core:
                def submit(self, task, ms=-1, job=None, head=None, *rest):
                    if head is not None:  # a resend
                        pool._core = real
                        pool.terminate()
                    return real.submit(task, ms, job, head, *rest)

                def __getattr__(self, name):
                    return getattr(real, name)

            failures = []
            pool._core = Core()
            res = pool.map_async(big, range(8), chunksize=8,
                                 error_callback=failures.append)
            with self.assertRaises(coord.ECLOSED):
                res.get(LIMIT)
            self.assertEqual(len(pool._owed), 0)
            self.assertFalse(pool._resend)


if __name__ == "__main__":
    unittest.main()
