# SPDX-License-Identifier: MIT
"""coord.Pool's chunks: map, starmap, imap and imap_unordered send
`chunksize` items to a task message (map's automatic size as
multiprocessing chooses it); results in order, the first failing item's
exception, a worker SIGKILLed mid-chunk, and chunks too big for
max_task/max_result."""

import itertools
import os
import signal
import unittest

import coord

LIMIT = 60.0  # seconds any bounded wait below may take on a loaded machine

FLAG = None   # made before a pool forks (its workers inherit them)
GATE = None
PARKED = None
RUNS = None


def square(x):
    return x * x


def fail_on_3_and_7(x):
    if x in (3, 7):
        raise ValueError("item %d" % x)
    return x


def breaks_after(n):
    """An iterable that raises after n items."""
    yield from range(n)
    raise RuntimeError("the iterable broke")


def drained(it):
    """Every outcome of an imap, as a program that logs an item's failure
    and goes on gets them: values, and ('E', message) for failures."""
    out = []
    while True:
        try:
            out.append(next(it))
        except StopIteration:
            return out
        except Exception as e:
            out.append(("E", str(e)))


def len_or_id(x):
    return len(x) if isinstance(x, bytes) else x


def kill_at_37(x):
    if x == 37:
        os.kill(os.getpid(), signal.SIGKILL)
    return x


def kill_at_37_once(x):
    RUNS[x] += 1
    if x == 37 and FLAG.claim():  # the first run only
        os.kill(os.getpid(), signal.SIGKILL)
    return x


def park_at_25(x):
    """Item 25 says which worker runs it, then waits to be killed."""
    if x == 25:
        PARKED.value = os.getpid()
        GATE.wait(LIMIT)
    return x


def counted_bytes(x):
    """A distinct 100-byte result (pickle's memo cannot share it), counted."""
    with RUNS.get_lock():
        RUNS[x] += 1
    return x.to_bytes(4, "little") * 25


def sized(n):
    """n bytes that name n (a reply's size decides how the parent reads it)."""
    return n.to_bytes(4, "little") * (n // 4) + bytes(n % 4)


def big_at_9(x):
    return os.urandom(3700) if x == 9 else os.urandom(50)


def submitted(pool):
    return pool.stats()["submitted"]


class ChunkTest(unittest.TestCase):
    def test_map_sends_chunks_of_the_size_multiprocessing_picks(self):
        # multiprocessing's Pool._map_async: divmod(len, processes * 4),
        # one more when there is a remainder; a chunk is one task message.
        with coord.Pool(2) as pool:
            for n, chunks in ((1000, 8), (1001, 8), (5, 5), (9, 5), (0, 0)):
                with self.subTest(n=n):
                    before = submitted(pool)
                    self.assertEqual(pool.map(square, range(n)),
                                     [x * x for x in range(n)])
                    self.assertEqual(submitted(pool) - before, chunks)
            before = submitted(pool)
            self.assertEqual(pool.map(square, list(range(100)), chunksize=30),
                             [x * x for x in range(100)])
            self.assertEqual(pool.starmap(pow, [(2, k) for k in range(10)], 4),
                             [2 ** k for k in range(10)])
            self.assertEqual(pool.map_async(square, iter(range(10)), 5).get(LIMIT),
                             [x * x for x in range(10)])
            self.assertEqual(pool.starmap_async(pow, [(3, 2)] * 3).get(LIMIT), [9] * 3)
            self.assertEqual(submitted(pool) - before, 4 + 3 + 2 + 3)
            # A mapping or a set is iterated, as multiprocessing does.
            self.assertEqual(pool.map(square, {1: "a", 2: "b"}), [1, 4])

    def test_imap_sends_chunksize_items_a_message(self):
        with coord.Pool(2) as pool:
            before = submitted(pool)
            self.assertEqual(list(pool.imap(square, range(10))),
                             [x * x for x in range(10)])
            self.assertEqual(submitted(pool) - before, 10)  # default 1
            before = submitted(pool)
            self.assertEqual(list(pool.imap(square, range(10), chunksize=4)),
                             [x * x for x in range(10)])
            self.assertEqual(sorted(pool.imap_unordered(square, range(10), 3)),
                             sorted(x * x for x in range(10)))
            self.assertEqual(submitted(pool) - before, 3 + 4)

    def test_imap_keeps_a_window_of_chunks_over_an_endless_iterable(self):
        taken = itertools.count()
        items = (next(taken) for _ in itertools.count())
        with coord.Pool(2) as pool:
            got = list(itertools.islice(pool.imap(square, items, chunksize=5), 12))
            self.assertEqual(got, [x * x for x in range(12)])
            # 256 chunks in flight (8 per worker, when more), one being
            # filled: the iterable is taken as results come back.
            self.assertLessEqual(next(taken), (256 + 2) * 5)

    def test_imap_goes_on_after_a_failed_item_as_multiprocessing(self):
        # With chunksize 1 a failed item raises at its turn and the next
        # call yields the items after it (multiprocessing's IMapIterator);
        # a chunked imap ends at the failure, as multiprocessing's does.
        # Before, the imap ended at the first failure: 6 results lost.
        with coord.Pool(2) as pool:
            self.assertEqual(drained(pool.imap(fail_on_3_and_7, range(10))),
                             [0, 1, 2, ("E", "item 3"), 4, 5, 6, ("E", "item 7"), 8, 9])
            self.assertEqual(
                sorted(drained(pool.imap_unordered(fail_on_3_and_7, range(10))), key=str),
                sorted([0, 1, 2, 4, 5, 6, 8, 9, ("E", "item 3"), ("E", "item 7")], key=str))
            self.assertEqual(drained(pool.imap(fail_on_3_and_7, range(10), 2)),
                             [0, 1, 2, ("E", "item 3")])

    def test_the_imap_iterator_raises_a_failed_item_and_goes_on(self):
        # python/src/imap.c: _Failed(exc) in a generator's output raises exc
        # (its own traceback kept) and the next call goes on; bad arguments
        # are TypeErrors.
        Failed, ImapIter = coord.pool._Failed, coord.pool._Imap
        try:
            raise KeyError("k")
        except KeyError as e:
            raised = e

        def gen():
            yield 1
            yield Failed(raised)
            yield 2
        it = ImapIter(gen())
        self.assertIs(iter(it), it)
        self.assertEqual(next(it), 1)
        try:
            next(it)
        except KeyError as e:
            self.assertIs(e, raised)
            # The frame that raised it first is still in its traceback.
            self.assertIn("test_the_imap_iterator", "".join(
                __import__("traceback").format_tb(e.__traceback__)))
        else:
            self.fail("no KeyError")
        self.assertEqual(list(it), [2])
        with self.assertRaises(StopIteration):
            next(it)
        for bad in ((1,), (), ("x", "y")):
            with self.assertRaises(TypeError):
                Failed(*bad)
        for bad in ((1,), ([1, 2],), ()):
            with self.assertRaises(TypeError):
                ImapIter(*bad)
        with self.assertRaises(TypeError):
            ImapIter(gen(), x=1)

    def test_imap_yields_the_results_before_an_iterable_that_raises(self):
        # The iterable's exception is raised after the results of the items
        # it gave (multiprocessing's order); it was raised as the window
        # was filled, the results before it lost.
        with coord.Pool(2) as pool:
            # With chunksize 2 the items of the chunk it broke in (item 4)
            # are lost, as multiprocessing loses them.
            for size, given in ((1, [0, 1, 4, 9, 16]), (2, [0, 1, 4, 9])):
                out = drained(pool.imap(square, breaks_after(5), size))
                self.assertEqual(out, given + [("E", "the iterable broke")])
                out = drained(pool.imap_unordered(square, breaks_after(5), size))
                self.assertEqual(out[-1], ("E", "the iterable broke"))
                self.assertEqual(sorted(out[:-1]), given)
            self.assertEqual(pool.map(square, range(3)), [0, 1, 4])

    def test_imap_fails_an_item_that_cannot_be_sent_at_its_turn(self):
        # An item that does not pickle, or over max_task, fails at its turn
        # and the others come (multiprocessing fails only that item).
        with coord.Pool(2, max_task=4096) as pool:
            items = [1, lambda: 0, 2, b"x" * 8192, 3]
            out = drained(pool.imap(len_or_id, items))
            self.assertEqual([o if not isinstance(o, tuple) else "E" for o in out],
                             [1, "E", 2, "E", 3])

    def test_an_imap_of_a_pool_that_takes_no_more_work_ends(self):
        # A failed item does not end an imap, but a pool that cannot take
        # its next items (joined, terminated) does: an endless one ends.
        for end in ("join", "terminate"):
            pool = coord.Pool(2)
            it = pool.imap(square, itertools.count())
            self.assertEqual(next(it), 0)
            if end == "join":
                pool.close()
                pool.join()
            else:
                pool.terminate()
            self.assertLess(len(drained(it)), 10000)
            pool.terminate()

    def test_chunksize_below_one_raises_valueerror(self):
        with coord.Pool(1) as pool:
            for bad in (0, -1):
                for call in (pool.map, pool.starmap, pool.map_async,
                             pool.starmap_async, pool.imap, pool.imap_unordered):
                    with self.subTest(call=call.__name__, chunksize=bad):
                        with self.assertRaisesRegex(ValueError, "Chunksize must be 1"):
                            call(square, [(1,)], bad)  # imap too: at the call
            with self.assertRaises(TypeError):
                pool.map(square, range(3), 1.5)

    def test_the_first_failing_item_fails_the_map(self):
        from multiprocessing.pool import RemoteTraceback
        with coord.Pool(2) as pool:
            for chunksize in (1, 2, 4, 10):
                with self.subTest(chunksize=chunksize):
                    with self.assertRaisesRegex(ValueError, "^item 3$") as cm:
                        pool.map(fail_on_3_and_7, range(10), chunksize)
                    self.assertIsInstance(cm.exception.__cause__, RemoteTraceback)
                    # imap yields every result before the failing item.
                    got = []
                    with self.assertRaisesRegex(ValueError, "^item 3$"):
                        for x in pool.imap(fail_on_3_and_7, range(10), chunksize):
                            got.append(x)
                    self.assertEqual(got, [0, 1, 2])
            # The pool goes on.
            self.assertEqual(pool.map(square, range(10), 3), [x * x for x in range(10)])

    def test_a_worker_killed_mid_chunk_fails_the_map_with_workerdied(self):
        with coord.Pool(2) as pool:
            with self.assertRaises(coord.WorkerDied) as cm:
                pool.map(kill_at_37, range(100), chunksize=10)
            self.assertEqual(cm.exception.index, 30)
            self.assertEqual(cm.exception.chunk, (30, 40))
            self.assertIn("signal 9", cm.exception.cause)
            self.assertIn("tasks 30..39", str(cm.exception))
            with self.assertRaises(coord.WorkerDied) as cm:
                list(pool.imap(kill_at_37, range(100), chunksize=10))
            self.assertEqual(cm.exception.chunk, (30, 40))
            self.assertEqual(pool.map(square, range(50)), [x * x for x in range(50)])
            self.assertEqual(pool.stats()["deaths"], 2)
            self.assertEqual(len(pool.worker_pids()), 2)

    def test_a_worker_killed_from_outside_mid_chunk(self):
        global GATE, PARKED
        GATE, PARKED = coord.Flag(), coord.Value("q", 0)
        with coord.Pool(2) as pool:
            result = pool.map_async(park_at_25, range(40), chunksize=10)
            deadline = itertools.count()
            while PARKED.value == 0:  # bounded: the gate lets it go in LIMIT s
                self.assertLess(next(deadline), LIMIT * 100, "item 25 never ran")
                result.wait(0.01)
            os.kill(PARKED.value, signal.SIGKILL)
            with self.assertRaises(coord.WorkerDied) as cm:
                result.get(LIMIT)
            self.assertEqual(cm.exception.chunk, (20, 30))
            self.assertEqual(cm.exception.index, 20)
            self.assertFalse(result.successful())

    def test_retries_rerun_a_chunk_whose_worker_died(self):
        global FLAG, RUNS
        FLAG, RUNS = coord.Flag(), coord.Array("i", 100)
        with coord.Pool(2, retries=1) as pool:
            self.assertEqual(pool.map(kill_at_37_once, range(100), chunksize=10),
                             list(range(100)))
            self.assertEqual(pool.stats()["retried"], 1)
        # The chunk ran again from its first item: 30..37 twice.
        self.assertEqual([RUNS[x] for x in range(100)],
                         [2 if 30 <= x <= 37 else 1 for x in range(100)])

    def test_results_over_max_result_go_back_in_several_messages(self):
        # 400 results of ~110 pickled bytes in chunks of 200: a message of
        # 4096 bytes holds about 30; the worker stops before the room runs
        # out, the items left go again. Each item runs once.
        global RUNS
        RUNS = coord.Array("i", 400)
        with coord.Pool(2, max_result=4096) as pool:
            before = submitted(pool)
            got = pool.map(counted_bytes, range(400), chunksize=200)
            self.assertEqual(got, [x.to_bytes(4, "little") * 25 for x in range(400)])
            self.assertGreater(submitted(pool) - before, 2)
            self.assertEqual(list(RUNS), [1] * 400)
            got = list(pool.imap(counted_bytes, range(400), chunksize=200))
            self.assertEqual(len(got), 400)
            self.assertEqual(list(RUNS), [2] * 400)

    def test_replies_of_every_size_come_back_whole(self):
        # A chunk's reply up to 4 KB is read by copying its slices, a larger
        # one through a memoryview (Pool._chunk_reply): both, and the
        # sizes around the switch, in one frame and in several.
        sizes = [0, 1, 4000, 4070, 4080, 4090, 4100, 5000, 20000, 60000]
        with coord.Pool(2) as pool:
            self.assertEqual(list(pool.imap(sized, sizes)), [sized(n) for n in sizes])
            self.assertEqual(pool.map(sized, sizes, chunksize=3), [sized(n) for n in sizes])
            # Several replies per chunk (the worker stops for room).
            many = [n for n in sizes if n <= 5000] * 4
            self.assertEqual(pool.map(sized, many, chunksize=len(many)),
                             [sized(n) for n in many])

    def test_tasks_over_max_task_go_in_several_messages(self):
        items = [os.urandom(300) for _ in range(100)]
        with coord.Pool(2, max_task=2048) as pool:
            before = submitted(pool)
            self.assertEqual(pool.map(len, items, chunksize=100), [300] * 100)
            self.assertGreaterEqual(submitted(pool) - before, 100 * 300 // 2048)
            # One item that does not fit alone: its size, the limit, the option.
            with self.assertRaises(coord.EMSGSIZE) as cm:
                pool.map(len, [b"a", os.urandom(3000)])
            for part in ("max_task of 2048", "Pool(max_task=...)"):
                self.assertIn(part, str(cm.exception))

    def test_a_result_that_overruns_its_chunks_room_says_chunksize(self):
        # Item 9's result (3.7 KB) fits a message alone, not after eight
        # small ones in a block the worker sized by them: it has run, so
        # it fails (rather than run twice), saying what helps.
        with coord.Pool(1, max_result=4096) as pool:
            with self.assertRaises(coord.TaskError) as cm:
                pool.map(big_at_9, range(10), chunksize=10)
            for part in ("task 9:", "3718 bytes", "Pool(max_result=4096)",
                         "smaller chunksize"):
                self.assertIn(part, str(cm.exception))
            self.assertEqual(len(pool.map(big_at_9, range(10), chunksize=1)), 10)

    def test_a_map_items_result_alone_has_what_an_apply_has(self):
        # 4,000 bytes fit one message of max_result=4096 (an apply's do):
        # a map's item alone in its chunk, or first in it, failed for the
        # 256 bytes a chunk keeps for a failure's text after its results.
        with coord.Pool(1, max_result=4096) as pool:
            self.assertEqual(len(pool.apply(sized, (4000,))), 4000)
            self.assertEqual(pool.map(sized, [4000], chunksize=1), [sized(4000)])
            self.assertEqual(list(pool.imap(sized, [4000, 8])), [sized(4000), sized(8)])
            # First of a chunk: it goes alone, the items after it go again.
            self.assertEqual(pool.map(sized, [4000, 8, 12], chunksize=3),
                             [sized(4000), sized(8), sized(12)])
            # Over what a message holds: the size and the limit, as before.
            with self.assertRaises(coord.TaskError) as cm:
                pool.map(sized, [4090], chunksize=1)
            self.assertIn("Pool(max_result=4096) holds", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
