# SPDX-License-Identifier: MIT
"""coord.Queue: pickled objects, bytes, pills, timeouts, close, and the crash
guarantees (a producer exiting right after put loses nothing, a consumer
killed inside get wedges nothing), with real processes and SIGKILL."""

import os
import queue
import signal
import threading
import unittest

import coord
from helpers import fork, join, join_ok


class QueueBasics(unittest.TestCase):
    def test_objects_bytes_and_pills(self):
        q = coord.Queue()
        q.put({"k": [1, 2]})
        q.put_bytes(b"raw")
        q.put_bytes(memoryview(b"view"))
        q.put_pill()
        q.put(None)
        self.assertEqual(q.qsize(), 5)
        self.assertEqual(q.get(), {"k": [1, 2]})
        self.assertEqual(q.get_bytes(), b"raw")
        self.assertEqual(q.get_bytes(timeout=1), b"view")
        self.assertIs(q.get(), coord.PILL)
        self.assertIsNone(q.get())
        self.assertTrue(q.empty())

    def test_empty_and_full_agree_with_qsize(self):
        q = coord.Queue(3)
        self.assertTrue(q.empty())
        self.assertFalse(q.full())
        q.put_pill()
        self.assertFalse(q.empty())
        q.put(1)
        q.put(2)
        self.assertTrue(q.full())
        self.assertEqual(q.qsize(), 3)
        self.assertIs(q.get(), coord.PILL)
        self.assertFalse(q.full())
        # The lecture's drain loop: empty() reads one slot, not every
        # queued one (docs/python.md).
        big = coord.Queue(20000, max_msg=16)
        for i in range(20000):
            big.put_bytes(i.to_bytes(8, "little"))
        got = 0
        while not big.empty():
            self.assertEqual(int.from_bytes(big.get_bytes(), "little"), got)
            got += 1
        self.assertEqual(got, 20000)
        self.assertEqual(big.qsize(), 0)

    def test_put_nowait_takes_obj_by_keyword(self):
        # multiprocessing's put_nowait(obj): the keyword was refused.
        q = coord.Queue(2)
        q.put_nowait(obj="k")
        self.assertEqual(q.get_nowait(), "k")
        for args, kw in (((), {}), ((1, 2), {}), ((), {"x": 1}), ((1,), {"obj": 2})):
            with self.assertRaises(TypeError):
                q.put_nowait(*args, **kw)
        self.assertTrue(q.empty())

    def test_nowait_and_timeouts_raise_queue_exceptions(self):
        q = coord.Queue(2)
        q.put(1)
        q.put_nowait(2)
        self.assertTrue(q.full())
        with self.assertRaises(queue.Full):
            q.put_nowait(3)
        with self.assertRaises(queue.Full):
            q.put(3, False)
        with self.assertRaises(queue.Full):
            q.put(3, timeout=0.05)
        self.assertEqual([q.get(), q.get_nowait()], [1, 2])
        with self.assertRaises(queue.Empty):
            q.get_nowait()
        with self.assertRaises(queue.Empty):
            q.get(True, 0.05)
        with self.assertRaises(queue.Empty):
            q.get(block=False)
        with self.assertRaises(ValueError):
            q.get(timeout=-1)

    def test_sizes(self):
        q = coord.Queue(max_msg=64)
        with self.assertRaises(coord.EMSGSIZE):
            q.put(b"x" * 100)
        self.assertTrue(issubclass(coord.EMSGSIZE, ValueError))
        big = coord.Queue(max_msg=1 << 20)
        payload = os.urandom(300000)
        big.put(payload)
        big.put_bytes(payload)
        self.assertEqual(big.get(), payload)
        self.assertEqual(big.get_bytes(), payload)

    def test_close(self):
        q = coord.Queue()
        q.put("last")
        q.close()
        self.assertTrue(q.closed)
        with self.assertRaisesRegex(ValueError, "is closed") as cm:
            q.put("x")
        self.assertIsInstance(cm.exception, coord.ECLOSED)
        self.assertEqual(q.get(), "last")  # gets drain what is queued
        with self.assertRaises(coord.ECLOSED):
            q.get(timeout=5)

    def test_close_wakes_a_blocked_getter_in_another_process(self):
        q = coord.Queue()
        ready = coord.Flag()
        seen = coord.Value("i", 0)

        def child():
            ready.set()
            try:
                q.get(timeout=30)
            except coord.ECLOSED:
                seen.value = 1
        pid = fork(child)
        self.assertTrue(ready.wait(30))
        q.close()
        join_ok(self, pid)
        self.assertEqual(seen.value, 1)

    def test_ctrl_c_interrupts_a_blocking_get(self):
        q = coord.Queue()
        ready = coord.Flag()
        seen = coord.Value("i", 0)

        def child():
            # As an interactive program has it (a background job's SIGINT
            # may be ignored).
            signal.signal(signal.SIGINT, signal.default_int_handler)
            try:
                ready.set()
                q.get(timeout=60)
            except KeyboardInterrupt:
                seen.value = 1
        pid = fork(child)
        self.assertTrue(ready.wait(30))
        os.kill(pid, signal.SIGINT)
        join_ok(self, pid)
        self.assertEqual(seen.value, 1)

    def test_blocking_get_releases_the_gil(self):
        q = coord.Queue()
        got = []
        t = threading.Thread(target=lambda: got.append(q.get(timeout=30)))
        t.start()
        q.put("through")  # would deadlock if get held the GIL
        t.join(30)
        self.assertFalse(t.is_alive())
        self.assertEqual(got, ["through"])


class QueueProcesses(unittest.TestCase):
    def _run(self, consumers, n):
        q = coord.Queue(64)
        results = coord.Queue(n + consumers + 8)

        def consumer():
            while True:
                item = q.get(timeout=60)
                if item is coord.PILL:
                    return
                results.put(item)
        pids = [fork(consumer) for _ in range(consumers)]
        for i in range(n):
            q.put(("task", i))
        for _ in range(consumers):
            q.put_pill()
        for pid in pids:
            join_ok(self, pid)
        got = sorted(results.get(timeout=10)[1] for _ in range(n))
        self.assertEqual(got, list(range(n)))
        self.assertTrue(results.empty())

    def test_one_to_one_every_item_once(self):
        self._run(1, 2000)

    def test_one_to_four_with_pills_every_item_once(self):
        self._run(4, 2000)

    def test_producer_exiting_right_after_put_loses_nothing(self):
        q = coord.Queue(4096)

        def producer():
            for i in range(1000):
                q.put(i)
            os._exit(0)  # no flush, no atexit: the data is already shared
        status = join(fork(producer))
        self.assertTrue(os.WIFEXITED(status))
        self.assertEqual([q.get(timeout=10) for _ in range(1000)], list(range(1000)))
        self.assertTrue(q.empty())

    def test_producer_killed_after_put_loses_nothing(self):
        q = coord.Queue(16)
        done = coord.Flag()

        def producer():
            for i in range(10):
                q.put(i)
            done.set()
            os.kill(os.getpid(), signal.SIGKILL)
        pid = fork(producer)
        self.assertTrue(done.wait(30))
        self.assertTrue(os.WIFSIGNALED(join(pid)))
        self.assertEqual([q.get(timeout=10) for _ in range(10)], list(range(10)))

    def test_consumer_killed_inside_get_wedges_nothing(self):
        q = coord.Queue(8)
        waiting = coord.Flag()

        def consumer():
            waiting.set()
            q.get(timeout=60)  # blocks: the queue is empty
        pid = fork(consumer)
        self.assertTrue(waiting.wait(30))
        os.kill(pid, signal.SIGKILL)
        self.assertTrue(os.WIFSIGNALED(join(pid)))
        q.put("after")
        self.assertEqual(q.get(timeout=10), "after")

    def test_consumers_killed_while_draining_wedge_nothing(self):
        q = coord.Queue(256)
        taken = coord.Value("q", 0)
        started = coord.Flag()

        def consumer():
            started.set()
            while True:
                q.get(timeout=60)
                taken.add(1)
        pids = [fork(consumer) for _ in range(2)]
        self.assertTrue(started.wait(30))
        n = 1500
        for i in range(n):
            q.put(i, timeout=60)
        for pid in pids:  # while they are still draining, most likely in get
            os.kill(pid, signal.SIGKILL)
        for pid in pids:
            self.assertTrue(os.WIFSIGNALED(join(pid)))
        # The queue still works for everyone: drain what is left.
        left = 0
        while True:
            try:
                q.get_nowait()
                left += 1
            except queue.Empty:
                break
        # At most one message per killed consumer went with it (a get
        # that had committed); nothing was duplicated.
        self.assertLessEqual(taken.value + left, n)
        self.assertGreaterEqual(taken.value + left, n - len(pids))
        q.put("ok")
        self.assertEqual(q.get(timeout=10), "ok")


if __name__ == "__main__":
    unittest.main()
