# SPDX-License-Identifier: MIT
"""coord.Manager: dicts and lists on coord's manager server, batches, and
children (forked and spawned) sharing them."""

import gc
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time
import unittest

import coord
from helpers import fork, join_ok


def wait_dead(pid, timeout=60.0):
    """Wait (bounded) until `pid`, a child not reaped yet, is a zombie: dead,
    its files (its end of every socket) closed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open("/proc/%d/stat" % pid) as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return
        time.sleep(0.01)
    raise AssertionError("process %d still alive after %.0f s" % (pid, timeout))


def spawn_incr(d, lst):
    for _ in range(10):
        d.incr("n")
    lst.append("from spawn")


class ManagerTest(unittest.TestCase):
    def setUp(self):
        self.mgr = coord.Manager()
        self.addCleanup(self.mgr.shutdown)

    def test_bulk_methods_past_one_batch(self):
        # extend, update, clear and the content of mgr.dict(...)/list(...)
        # are batches: past the server's max_batch (4096 operations) or
        # max_frame (16 MiB) they raised coord.E2BIG / EMSGSIZE, where
        # multiprocessing's take any size.
        n = 10000
        lst = self.mgr.list(range(n))
        self.assertEqual(len(lst), n)
        lst.extend(range(n, 2 * n))
        self.assertEqual(len(lst), 2 * n)
        self.assertEqual((lst[0], lst[n], lst[-1]), (0, n, 2 * n - 1))
        d = self.mgr.dict({str(i): i for i in range(n)})
        self.assertEqual(len(d), n)
        d.update((str(i), i) for i in range(n, 2 * n))
        self.assertEqual(len(d), 2 * n)
        self.assertEqual(d["12345"], 12345)
        d.clear()
        self.assertEqual(len(d), 0)
        # 24 values of 1 MiB: each fits max_value, together not max_frame.
        big = self.mgr.list([bytes([i]) * ((1 << 20) - 64) for i in range(24)])
        self.assertEqual(len(big), 24)
        self.assertEqual(big[23][:1], b"\x17")
        # A batch of the user's own stays one round trip or an error.
        with self.assertRaises(coord.E2BIG):
            with self.mgr.batch() as b:
                for i in range(5000):
                    b.list("own").append(i)
        self.assertEqual(len(self.mgr.list("own")), 0)
    def test_bulk_methods_raise_what_the_server_refused(self):
        # extend and update ignored each operation's status: a value over
        # the server's max_value (1 MiB) vanished while the call returned.
        big = b"x" * (2 << 20)
        lst = self.mgr.list("refused")
        with self.assertRaises(coord.EMSGSIZE):
            lst.extend([1, big, 3])
        self.assertEqual(list(lst), [1, 3])
        d = self.mgr.dict("refused_d")
        with self.assertRaises(coord.EMSGSIZE):
            d.update({"a": 1, "b": big})
        self.assertEqual(d.keys(), ["a"])
        with self.assertRaises(coord.EMSGSIZE):
            self.mgr.dict(c=big)
        with self.assertRaises(coord.EMSGSIZE):
            self.mgr.list([big])

    def test_str_is_the_contents_as_multiprocessing(self):
        # multiprocessing's proxies print their referent (BaseProxy.__str__
        # is the referent's repr): print(shared_dict) shows the dict. Here
        # str() was the proxy's repr, "<coord dict '_dict...' on ...>".
        d = self.mgr.dict({"a": 1})
        lst = self.mgr.list([1, "x"])
        self.assertEqual(str(d), "{'a': 1}")
        self.assertEqual(str(lst), "[1, 'x']")
        self.assertEqual("%s %s" % (d, lst), "{'a': 1} [1, 'x']")
        self.assertTrue(repr(d).startswith("<coord dict "))

    def test_dict_operations(self):
        d = self.mgr.dict("d")
        d["i"] = 5
        d["f"] = 2.5
        d["s"] = "text"
        d["b"] = b"\0bytes"
        d["obj"] = {"nested": [1, (2, 3)]}
        self.assertEqual(d["i"], 5)
        self.assertEqual(d.get("f"), 2.5)
        self.assertEqual(d["s"], "text")
        self.assertEqual(d["b"], b"\0bytes")
        self.assertEqual(d["obj"], {"nested": [1, (2, 3)]})
        self.assertEqual(d.get("missing", 9), 9)
        with self.assertRaises(KeyError):
            d["missing"]
        self.assertEqual(d.incr("i", 3), 8)
        self.assertEqual(d.incr("new"), 1)
        self.assertTrue(d.cas("i", 8, 10))
        self.assertFalse(d.cas("i", 8, 11))
        self.assertTrue(d.cas("absent", None, "now"))
        self.assertEqual(sorted(d.keys()), ["absent", "b", "f", "i", "new", "obj", "s"])
        self.assertEqual(len(d), 7)
        self.assertIn("s", d)
        del d["s"]
        self.assertNotIn("s", d)

    def test_threads_share_the_connection(self):
        # A process's threads share one connection, and each call lets the
        # GIL go for its round trip: calls must take turns at it (a thread
        # read another's reply), and a reply be copied before the next.
        d, lst = self.mgr.dict("t"), self.mgr.list("tl")
        for t in range(4):
            d["k%d" % t] = "v%d" % t * 50
            d["o%d" % t] = ("obj", t)  # travels pickled
        wrong = []

        def work(t):
            try:
                for i in range(2000):
                    got = (d["k%d" % t], d["o%d" % t])
                    if got != ("v%d" % t * 50, ("obj", t)):
                        wrong.append((t, i, got))
                        return
                    lst.append(t)
            except Exception as e:  # noqa: BLE001 (reported below)
                wrong.append((t, repr(e)))
        threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
        self.assertEqual(wrong, [])
        self.assertEqual(len(lst), 8000)

    def test_a_thread_calling_in_a_loop_lets_another_in(self):
        # A call that ends while another thread waits hands the connection
        # on: the looping thread, which gets the GIL back first, cannot
        # take it again ahead of the waiter (it did, about every time).
        d = self.mgr.dict("loop")
        d["a"] = 1
        done, counts = threading.Event(), [0, 0]  # calls: looping, and during other

        def looping():
            while not done.is_set() and counts[0] < 200000:
                d["a"]
                counts[0] += 1

        def other():
            counts[1] = -counts[0]  # the looping thread's calls from here on
            for _ in range(200):
                d["a"]
            counts[1] += counts[0]
            done.set()
        threads = [threading.Thread(target=looping), threading.Thread(target=other)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
        self.assertTrue(done.is_set())
        self.assertLess(counts[1], 2000)  # about one call per call of the other

    def test_made_as_multiprocessing_makes_them(self):
        # multiprocessing's Manager().dict() / .dict(mapping) / .list(seq):
        # a new object of its own, filled; a str still names a shared one.
        a, b = self.mgr.dict(), self.mgr.dict()
        self.assertNotEqual(a.name, b.name)
        a["k"] = 1
        self.assertNotIn("k", b)
        d = self.mgr.dict({"x": 1, "y": "two"}, z=3)
        self.assertEqual(sorted(d.items()), [("x", 1), ("y", "two"), ("z", 3)])
        self.assertEqual(dict(self.mgr.dict([("p", 1)])), {"p": 1})
        self.assertEqual(self.mgr.dict("shared").name, "shared")
        self.assertEqual(self.mgr.dict(name="shared").name, "shared")
        with self.assertRaises(TypeError):
            self.mgr.dict({}, {})
        with self.assertRaises(TypeError):
            self.mgr.dict("n", name="m")
        lst = self.mgr.list(range(3))
        self.assertEqual(list(lst), [0, 1, 2])
        lst.extend(["a", b"b"])
        self.assertEqual(list(lst), [0, 1, 2, "a", b"b"])
        self.assertEqual(len(self.mgr.list()), 0)
        # The rest of dict's methods a drop-in user reaches for.
        self.assertEqual(d.copy(), {"x": 1, "y": "two", "z": 3})
        k, v = d.popitem()
        self.assertEqual(d.copy(), {kk: vv for kk, vv in
                                    [("x", 1), ("y", "two"), ("z", 3)] if kk != k})
        d.clear()
        self.assertEqual(len(d), 0)
        with self.assertRaises(KeyError):
            d.popitem()
        # A child (forked) sees the unnamed dict through the proxy.
        def child():
            a.incr("k", 41)
        join_ok(self, fork(child))
        self.assertEqual(a["k"], 42)

    def test_none_values_in_bulk_methods_and_batches(self):
        # d[k] = None and append(None) store None; the batched forms
        # (update, extend, the content of mgr.dict()/mgr.list(), a batch's
        # set, append and cas) raised coord.EINVAL for a None value.
        d = self.mgr.dict("nones")
        d.update({"a": None}, b=None)
        self.assertEqual(d.copy(), {"a": None, "b": None})
        self.assertEqual(self.mgr.dict({"k": None}).copy(), {"k": None})
        lst = self.mgr.list("nonel")
        lst.extend([1, None, 2])
        self.assertEqual(list(lst), [1, None, 2])
        self.assertEqual(list(self.mgr.list([None])), [None])
        with self.mgr.batch() as b:
            s = b.dict("nb").set("s", None)
            c = b.dict("nb").cas("c", None, None)
            a = b.list("nbl").append(None)
            g = b.dict("nb").get("s")
        self.assertIsNone(s.value)
        self.assertTrue(c.value)
        self.assertEqual(a.value, 1)
        self.assertIsNone(g.value)
        self.assertEqual(self.mgr.dict("nb").copy(), {"s": None, "c": None})
        # None as a cas's expected value still means "absent".
        self.assertFalse(self.mgr.dict("nb").cas("c", None, 5))

    def test_setdefault_is_one_round_trip_beside_a_deleting_client(self):
        # As multiprocessing's (one call on the server): a client popping
        # the key between setdefault's store and its read made it raise
        # KeyError (a cas, then a get in another round trip).
        d = self.mgr.dict("sd")
        stop = time.monotonic() + 1.5

        def popper():
            while time.monotonic() < stop:
                d.pop("k", None)

        pid = fork(popper)
        errors = calls = 0
        while time.monotonic() < stop:
            calls += 1
            try:
                self.assertEqual(d.setdefault("k", 7), 7)
            except KeyError:
                errors += 1
        join_ok(self, pid)
        self.assertEqual(errors, 0, "%d of %d setdefault calls raised KeyError"
                         % (errors, calls))
        self.assertEqual(d.setdefault("k2", 3), 3)
        self.assertEqual(d.setdefault("k2", 4), 3)
        self.assertIsNone(d.setdefault("k3"))
        with self.assertRaises(coord.Error):  # a key over max_key
            d.setdefault("x" * 300, 1)

    def test_update_takes_what_dict_update_takes(self):
        # As dict.update (and multiprocessing's proxy): any keyword is a
        # key, 'other' and 'self' too (the parameter named other took
        # other=5 for the content: TypeError), a mapping is anything with
        # keys(), and a bad pair or a second argument is dict's error.
        d = self.mgr.dict("upd")
        d.update(other=5, self=6)
        self.assertEqual(d.copy(), {"other": 5, "self": 6})
        self.assertEqual(self.mgr.dict(other=1).copy(), {"other": 1})

        class KeysOnly:
            def keys(self):
                return ["a", "b"]

            def __getitem__(self, k):
                return k * 2

        d.update(KeysOnly())
        self.assertEqual((d["a"], d["b"]), ("aa", "bb"))
        d.update([("p", 1), ["q", 2]], r=3)
        self.assertEqual((d["p"], d["q"], d["r"]), (1, 2, 3))
        with self.assertRaisesRegex(ValueError, "has length 3; 2 is required"):
            d.update([("x", 1, 2)])
        with self.assertRaisesRegex(TypeError, "at most 1 argument, got 2"):
            d.update({}, {})
        self.assertNotIn("x", d)

    def test_list_operations(self):
        lst = self.mgr.list("l")
        self.assertEqual(len(lst), 0)
        self.assertEqual(lst.append(1), 1)
        lst.append("two")
        lst.append([3])
        self.assertEqual((lst[0], lst[-1], len(lst)), (1, [3], 3))
        self.assertEqual(list(lst), [1, "two", [3]])
        self.assertEqual(lst.pop(), [3])
        self.assertEqual(lst.pop(0), 1)
        with self.assertRaises(IndexError):
            lst[5]

    def test_iterating_a_list_that_shrinks_meanwhile_ends_it(self):
        # multiprocessing's ListProxy iterates by index until IndexError
        # (the sequence protocol), so a list popped meanwhile (by this
        # loop, or any other client) ends the loop; iterating over
        # range(len) fixed at the start raised IndexError instead.
        lst = self.mgr.list(range(10))
        seen = []
        for x in lst:
            seen.append(x)
            if x == 2:
                lst.pop()
                lst.pop()
        self.assertEqual(seen, list(range(8)))
        other = coord.Manager(self.mgr.address).list(lst.name)
        seen = []
        for x in lst:
            seen.append(x)
            if x == 0:
                other.pop()
        self.assertEqual(seen, list(range(7)))
        self.assertIn(6, lst)
        self.assertNotIn(7, lst)

    def test_batch_is_one_round_trip_of_many(self):
        with self.mgr.batch() as b:
            d = b.dict("bd")
            for i in range(100):
                d[str(i)] = i
            n = d.incr("0", 5)
            got = d.get("99")
            missing = d.get("nope")
            length = d.len()
            swapped = d.cas("1", 1, 100)
            ln = b.list("bl").append("x")
        self.assertEqual((n.value, got.value, length.value, swapped.value, ln.value),
                         (5, 99, 100, True, 1))
        with self.assertRaises(KeyError):
            missing.value
        self.assertEqual(self.mgr.dict("bd")["1"], 100)

    def test_a_batch_whose_value_empties_its_list_of_ops(self):
        # The batch call reads each op's name and key in place while it
        # pickles the values, and pickling runs any code: a value that
        # empties the (internal) list of ops freed them under it. The call
        # works on a copy: every op runs as given.
        ops = []

        class Empties:
            def __reduce__(self):
                ops.clear()
                return (str, ("emptied",))

        names = ["bx%d" % i * 40 for i in range(4)]
        ops.extend((coord.manager._coord.MOP_SET, n, "k", Empties() if i == 0 else i,
                    None, 0) for i, n in enumerate(names))
        got = self.mgr._client().batch(ops)
        self.assertEqual([status for status, _ in got], [0, 0, 0, 0])
        self.assertEqual([self.mgr.dict(n)["k"] for n in names], ["emptied", 1, 2, 3])

    def test_forked_and_spawned_children_share_it(self):
        d, lst = self.mgr.dict("c"), self.mgr.list("cl")

        def child():
            for _ in range(10):
                d.incr("n")
            lst.append("from fork")
        pids = [fork(child) for _ in range(3)]
        for pid in pids:
            join_ok(self, pid)
        p = multiprocessing.get_context("spawn").Process(target=spawn_incr, args=(d, lst))
        p.start()
        p.join(60)
        self.assertEqual(p.exitcode, 0)
        self.assertEqual(d["n"], 40)
        self.assertEqual(sorted(lst), ["from fork"] * 3 + ["from spawn"])

    def test_more_streaming_children_than_cpus(self):
        # More children getting back to back than CPUs: beyond the first
        # ones they take turns (src/wait.h, step 5); every get must still
        # be right and every child must finish.
        d = self.mgr.dict("s")
        d["k"] = 42
        d["done"] = 0
        n = 2 * (os.cpu_count() or 1) + 2

        def streamer():
            for _ in range(5000):
                if d["k"] != 42:
                    return False
            d.incr("done")

        pids = [fork(streamer) for _ in range(n)]
        for pid in pids:
            join_ok(self, pid)
        self.assertEqual(d["done"], n)

    def test_client_of_a_running_server(self):
        other = coord.Manager(self.mgr.address)
        other.dict("x")["k"] = "v"
        self.assertEqual(self.mgr.dict("x")["k"], "v")
        other.shutdown()  # a client: the server keeps running
        self.assertEqual(self.mgr.dict("x")["k"], "v")

    def test_after_shutdown_calls_fail_cleanly(self):
        m = coord.Manager()
        m.dict("z")["a"] = 1
        path = m.address
        m.shutdown()
        self.assertFalse(os.path.exists(path))
        with self.assertRaises(coord.Error):
            coord.Manager(path).dict("z")["a"]

    def test_two_threads_shutdown_at_once(self):
        # shutdown() lets the GIL go while it waits for the server to stop;
        # a second shutdown() from another thread meanwhile stopped the
        # same C handle again, and both freed it: "free(): double free
        # detected", the interpreter aborted. The server is stopped
        # (SIGSTOP) so that the first shutdown is surely still waiting
        # (its SIGTERM pending) when the second comes; in a child
        # interpreter, since the defect aborts it.
        code = textwrap.dedent("""
            import os, signal, threading, time, coord
            m = coord.Manager()
            pid = m._server.pid
            os.kill(pid, signal.SIGSTOP)
            t = threading.Thread(target=m.shutdown)
            t.start()
            def term_pending():
                with open("/proc/%d/status" % pid) as f:
                    for line in f:
                        if line.startswith(("ShdPnd:", "SigPnd:")):
                            if int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)):
                                return True
                return False
            deadline = time.monotonic() + 30
            while not term_pending():
                assert time.monotonic() < deadline, "no SIGTERM reached the server"
                time.sleep(0.01)
            m.shutdown()  # the first one still waits for the server
            os.kill(pid, signal.SIGCONT)
            t.join(30)
            assert not t.is_alive()
            assert not os.path.exists(m.address)
            print("ok")
        """)
        p = subprocess.run([sys.executable, "-c", code], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual((p.returncode, p.stdout.strip()), (0, "ok"), p.stderr)

    def test_ctrl_c_interrupts_a_call_whose_server_does_not_answer(self):
        # As a blocking call of multiprocessing's proxy: Ctrl-C raises
        # KeyboardInterrupt from it at once (python.md, "The GIL": manager
        # round trips wait in slices of at most 100 ms). The call slept
        # with the GIL released and no look at signals: the
        # KeyboardInterrupt came 30 s later, after a coord.ETIMEDOUT.
        d = self.mgr.dict("intr")
        d["a"], d["b"] = "A", "B"
        server = self.mgr._server.pid
        for call in (lambda: d["a"], lambda: d.incr("n")):
            os.kill(server, signal.SIGSTOP)
            try:
                timer = threading.Timer(
                    0.3, os.kill, (os.getpid(), signal.SIGINT))
                timer.start()
                t0 = time.monotonic()
                with self.assertRaises(KeyboardInterrupt):
                    call()
                    time.sleep(60)  # not reached with the fix
                self.assertLess(time.monotonic() - t0, 15.0)  # was 30 s
                timer.join()
            finally:
                os.kill(server, signal.SIGCONT)
            # The next call gets its own reply, not the late one.
            self.assertEqual(d["b"], "B")
        self.assertEqual(d["n"], 1)  # the interrupted incr ran late

    def test_a_call_from_inside_a_call_of_the_same_thread_raises(self):
        # A signal handler that runs while a call waits for its reply, or
        # a __del__ the garbage collector runs while a batch's reply is
        # copied, calls the manager from the thread that holds the
        # connection: it waited for itself for ever. Now RuntimeError, as
        # coord.Pool says for a call from inside its own calls.
        d = self.mgr.dict("reenter")
        d.update({"k%d" % i: i for i in range(2000)})
        server = self.mgr._server.pid

        def from_a_handler():
            seen = []

            def handler(sig, frame):
                try:
                    seen.append(d["k1"])
                except RuntimeError as e:
                    seen.append(e)
            signal.signal(signal.SIGALRM, handler)
            d["k0"]  # this child's connection, made before the server stops
            os.kill(server, signal.SIGSTOP)
            threading.Timer(1.0, os.kill, (server, signal.SIGCONT)).start()
            signal.setitimer(signal.ITIMER_REAL, 0.3)
            got = d["k0"]
            return got == 0 and len(seen) == 1 and isinstance(seen[0], RuntimeError)

        def from_a_finalizer():
            seen = []

            class Cycle:
                def __init__(self):
                    self.me = self

                def __del__(self):
                    try:
                        d["freed"] = 1
                    except RuntimeError as e:
                        seen.append(e)
            gc.collect()
            with self.mgr.batch() as b:
                bd = b.dict("reenter")
                got = [bd.get("k%d" % i) for i in range(2000)]
                for _ in range(3):
                    Cycle()  # garbage, collected during the batch
            return (got[1999].value == 1999 and len(seen) == 3 and
                    all(isinstance(e, RuntimeError) for e in seen))

        for fn in (from_a_handler, from_a_finalizer):
            join_ok(self, fork(fn), timeout=30)
        self.assertEqual(d["k1"], 1)  # the connection still works

    def test_a_signal_handler_while_waiting_for_the_turn(self):
        # Thread B's call holds the connection (the server is stopped);
        # the main thread waits for its turn and a signal handler runs
        # there. A handler that lets the GIL go and raises, while B hands
        # the turn over, crashed the process (SIGSEGV: the granted waiter
        # was taken out of a line it was no longer in) and left the
        # connection taken by nobody; a handler that calls the manager
        # waited behind its own thread's place for ever.
        d = self.mgr.dict("turnwait")
        d["a"] = 1
        server = self.mgr._server.pid

        def scenario(handler):
            seen = []
            signal.signal(signal.SIGALRM, lambda s, f: handler(seen))
            d["a"]  # this child's connection, made before the server stops
            os.kill(server, signal.SIGSTOP)
            b = threading.Thread(target=lambda: seen.append(("B", d["a"])))
            b.start()
            time.sleep(0.3)  # B holds the connection
            threading.Timer(0.4, os.kill, (server, signal.SIGCONT)).start()
            signal.setitimer(signal.ITIMER_REAL, 0.15)
            try:
                seen.append(("main", d["a"]))
            except TimeoutError as e:
                seen.append(e)
            b.join(30)
            seen.append(("after", d["a"]))  # the connection still works
            return seen

        def raising():
            def h(seen):
                time.sleep(0.6)  # B finishes and hands over meanwhile
                raise TimeoutError("alarm")
            seen = scenario(h)
            return (("B", 1) in seen and ("after", 1) in seen and
                    any(isinstance(x, TimeoutError) for x in seen))

        def calling():
            def h(seen):
                try:
                    seen.append(("handler", d["a"]))
                except RuntimeError as e:
                    seen.append(e)
            seen = scenario(h)
            return (("B", 1) in seen and ("main", 1) in seen and
                    ("after", 1) in seen and
                    any(isinstance(x, RuntimeError) for x in seen))

        for fn in (raising, calling):
            join_ok(self, fork(fn), timeout=30)

    def test_a_lost_manager_is_a_connection_error(self):
        m = coord.Manager()
        self.addCleanup(m.shutdown)
        d = m.dict("lost")
        d["a"] = 1
        pid = m._server.pid
        os.kill(pid, signal.SIGKILL)
        wait_dead(pid)
        with self.assertRaises(ConnectionError) as cm:
            d["a"]
        e = cm.exception
        self.assertIs(type(e), coord.ManagerLost)
        # What caught it before still does.
        self.assertIsInstance(e, coord.EPEERDIED)
        self.assertIsInstance(e, coord.Error)
        self.assertEqual((e.code, e.name), (-4002, "COORD_EPEERDIED"))
        self.assertIn("Manager get", str(e))
        # The connection is gone: the next call fails too, as a
        # ConnectionError (coord.ENOTCONN), never a hang.
        with self.assertRaises(ConnectionError):
            d["a"]
        # A pool task that meets it sends it back pickled.
        back = pickle.loads(pickle.dumps(e))
        self.assertIs(type(back), coord.ManagerLost)
        self.assertEqual((str(back), back.code), (str(e), e.code))

    def test_peer_died_hierarchy(self):
        self.assertTrue(issubclass(coord.ManagerLost, coord.EPEERDIED))
        self.assertTrue(issubclass(coord.ManagerLost, ConnectionError))
        # A pool worker that dies is a peer that died, not a lost connection.
        self.assertTrue(issubclass(coord.WorkerDied, coord.EPEERDIED))
        self.assertFalse(issubclass(coord.WorkerDied, ConnectionError))
        self.assertFalse(issubclass(coord.EPEERDIED, ConnectionError))
        self.assertFalse(issubclass(coord.ManagerLost, coord.WorkerDied))
        self.assertIs(coord.errors[-4002], coord.EPEERDIED)


if __name__ == "__main__":
    unittest.main()
