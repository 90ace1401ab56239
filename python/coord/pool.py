# SPDX-License-Identifier: MIT
"""coord.Pool: multiprocessing.Pool's map / imap_unordered / submit over
coord_pool, where a worker that dies fails (or retries) only its own task."""

import collections
import multiprocessing
import os
import pickle
import time
import traceback
from multiprocessing.pool import RemoteTraceback

from . import _coord
from ._cpus import usable_cpus

_VALUE, _EXCEPTION, _TEXT = 0, 1, 2
_DIED = -4002  # COORD_EPEERDIED


class WorkerDied(_coord.EPEERDIED):
    """The worker running a task died (signal, os._exit, crash) and the
    task was not retried (or ran out of retries). .index is the task's
    index (its position in map's iterable, or submit's task id), .cause
    says how ("signal 9 (Killed)", "exit 3"), .attempts how often it ran.
    A coord.EPEERDIED, but no ConnectionError (coord.ManagerLost is that
    EPEERDIED): a worker that died is not a lost connection."""

    def __init__(self, index, cause, attempts=1, wait_status=0):
        super().__init__("task %s: its worker died (%s)" % (index, cause))
        self.index = index
        self.cause = cause
        self.attempts = attempts
        self.wait_status = wait_status
        self.code = _DIED
        self.name = "COORD_EPEERDIED"

    def __reduce__(self):
        return (WorkerDied, (self.index, self.cause, self.attempts, self.wait_status))


class ResultTimeout(multiprocessing.TimeoutError, TimeoutError):
    """No result within the timeout: both multiprocessing.TimeoutError (what
    AsyncResult.get raises there) and the builtin TimeoutError (what
    concurrent.futures raises), so either except clause catches it."""


class TaskError(_coord.Error):
    """A task's result or exception could not be sent back (not picklable,
    or larger than max_result); the message says which."""


class _RaisedWithTraceback(Exception):
    """What a worker sends in place of a task's exception (_with_traceback): it
    pickles as that exception with the worker's formatted traceback as its
    __cause__ (a multiprocessing.pool.RemoteTraceback), as multiprocessing
    sends a task's exception back."""

    def __reduce__(self):
        return (_rebuild_exc, self.args)

    def __repr__(self):
        return repr(self.args[0])


def _rebuild_exc(exc, tb):
    exc.__cause__ = RemoteTraceback(tb)
    return exc


def _with_traceback(e, room):
    """Called by a worker (python/src/pool.c) when a task raised `e`: `e`
    carrying the worker's formatted traceback, when that pickles within
    `room` bytes (max_result's: a long traceback must not cost the
    exception), else `e` itself. Only the failure path pays for it: a task
    that returns goes through no Python wrapper (one cost 1 µs a task)."""
    if not isinstance(e, Exception):
        return e  # SystemExit, KeyboardInterrupt: as they are
    tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    wrapped = _RaisedWithTraceback(e, '\n"""\n%s"""' % tb)
    try:
        fits = len(pickle.dumps(wrapped, pickle.HIGHEST_PROTOCOL)) <= room
    except Exception:
        fits = False  # e does not pickle: the pool says so
    return wrapped if fits else e


class Future:
    """What Pool.submit and apply_async return: result(timeout=None),
    done(), exception(); and multiprocessing's AsyncResult names for the
    same: get(timeout=None), ready(), successful(), wait(timeout=None)."""

    __slots__ = ("_pool", "_id", "_index", "_done", "_ok", "_value",
                 "_callback", "_error_callback")

    def __init__(self, pool, task_id, index, callback=None, error_callback=None):
        self._pool, self._id, self._index = pool, task_id, index
        self._done = False
        self._ok = False
        self._value = None
        self._callback, self._error_callback = callback, error_callback

    def _finish(self, ok, value):
        self._done, self._ok, self._value = True, ok, value
        cb = self._callback if ok else self._error_callback
        self._callback = self._error_callback = None
        if cb is not None:
            cb(value)

    def done(self):
        """True once the result (or failure) is here; never blocks. Collects
        every result already here (their callbacks run now)."""
        self._pool._drain()
        return self._done

    def result(self, timeout=None):
        """The task's return value; raises its exception, WorkerDied, or
        TimeoutError when `timeout` seconds pass first."""
        self._pool._wait_for(self, timeout)
        if self._ok:
            return self._value
        raise self._value

    def exception(self, timeout=None):
        self._pool._wait_for(self, timeout)
        return None if self._ok else self._value

    def get(self, timeout=None):
        """multiprocessing's AsyncResult.get: result() (a timeout raises
        ResultTimeout, a multiprocessing.TimeoutError and a TimeoutError)."""
        return self.result(timeout)

    def ready(self):
        return self.done()

    def successful(self):
        """Whether the task returned; ValueError while it has not finished."""
        if not self.done():
            raise ValueError("task %s is not ready" % (self._index,))
        return self._ok

    def wait(self, timeout=None):
        """Wait until the result is here or `timeout` seconds pass; never raises
        the task's failure."""
        try:
            self._pool._wait_for(self, timeout)
        except TimeoutError:
            pass
        self._pool._drain()

    def __repr__(self):
        return "<coord.Future task %s %s>" % (
            self._index, "done" if self._done else "pending")


class MapResult:
    """What map_async and starmap_async return (multiprocessing's
    MapResult): get(timeout=None) -> the list of results (raises the first
    failure), ready(), successful(), wait(timeout=None)."""

    def __init__(self, pool, futs, callback, error_callback):
        self._pool, self._futs = pool, futs
        self._callback, self._error_callback = callback, error_callback

    def _wait(self, timeout):
        limit = _coord.timeout_ms(timeout)
        deadline = None if limit < 0 else time.monotonic() + limit / 1000.0
        for f in self._futs:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            self._pool._wait_for(f, left)
        self._settled()

    def _settled(self):
        cb, ecb = self._callback, self._error_callback
        self._callback = self._error_callback = None
        failed = next((f for f in self._futs if not f._ok), None)
        if failed is None and cb is not None:
            cb([f._value for f in self._futs])
        elif failed is not None and ecb is not None:
            ecb(failed._value)

    def get(self, timeout=None):
        self._wait(timeout)
        for f in self._futs:
            if not f._ok:
                raise f._value
        return [f._value for f in self._futs]

    def ready(self):
        self._pool._drain()
        if all(f._done for f in self._futs):
            self._settled()
            return True
        return False

    def successful(self):
        if not self.ready():
            raise ValueError("the map is not ready")
        return all(f._ok for f in self._futs)

    def wait(self, timeout=None):
        try:
            self._wait(timeout)
        except TimeoutError:
            pass
        self._pool._drain()


class Pool:
    """Pool(processes=None, *, retries=0, max_task=65536, max_result=65536)

    Forks `processes` workers (default: the CPUs this process may run on,
    its affinity, as os.process_cpu_count() gives in Python 3.13) once.
    Functions and arguments are pickled as for multiprocessing (so
    functions must be importable). A worker that dies fails only its own
    task with coord.WorkerDied, or reruns it `retries` times; a replacement
    worker is started; nothing hangs and no zombie is left. The pool is used from
    the process (and one thread at a time) that created it.
    """

    def __init__(self, processes=None, *, retries=0, max_task=65536,
                 max_result=65536, queue_capacity=1024):
        if processes is None:
            processes = usable_cpus()
        if processes < 1:
            raise ValueError("Number of processes must be at least 1")
        self._core = _coord._Pool(processes, retries, max_task, max_result,
                                  queue_capacity)
        self._processes = processes
        self._pid = os.getpid()
        self._pending = {}    # task id -> Future
        self._closed = False
        self._terminated = False
        self._index = 0

    # -- task plumbing -------------------------------------------------------
    def _submit(self, fn, args, kwargs, index, callback=None, error_callback=None):
        if self._closed:
            raise ValueError("Pool not running")
        task = pickle.dumps((fn, tuple(args), dict(kwargs)), pickle.HIGHEST_PROTOCOL)
        tid = self._core.submit(task)
        fut = Future(self, tid, tid if index is None else index, callback,
                     error_callback)
        self._pending[tid] = fut
        return fut

    def _settle(self, res):
        tid, status, kind, payload, cause, worker, attempts, wstatus = res
        fut = self._pending.pop(tid, None)
        if fut is None:
            return None
        if status == _DIED:
            fut._finish(False, WorkerDied(fut._index, cause, attempts, wstatus))
        elif kind == _TEXT:
            fut._finish(False, TaskError("task %s: %s" % (
                fut._index, payload.decode("utf-8", "replace"))))
        elif (kind == _VALUE and status == 0) or kind == _EXCEPTION:
            # The payload came from a worker: it may not unpickle here (an
            # exception class whose __init__ takes other arguments, a class
            # only the worker imported). That fails this task, not the pool.
            try:
                value = pickle.loads(payload)
            except Exception as e:
                err = TaskError("task %s: its %s could not be unpickled here: %s: %s" % (
                    fut._index, "result" if kind == _VALUE else "exception",
                    type(e).__name__, e))
                err.__cause__ = e
                fut._finish(False, err)
            else:
                fut._finish(kind == _VALUE, value)
        else:
            fut._finish(False, _coord.errors.get(status, _coord.Error)(
                "task %s failed: %s" % (fut._index, _coord.strerror(status))))
        return fut

    def _collect(self, timeout_ms):
        """Take one result (waiting up to timeout_ms); the settled Future,
        or None when none came."""
        try:
            res = self._core.result(timeout_ms)
        except _coord.ETIMEDOUT:
            return None
        return None if res is None else self._settle(res)

    def _drain(self):
        """Collect every result already here without blocking, so ready()
        sees all finished tasks and their callbacks run now. A forked copy
        of the pool collects nothing (a settled Future still reads done)."""
        while self._pending and self._pid == os.getpid():
            try:
                res = self._core.result(0)
            except _coord.ETIMEDOUT:
                return
            if res is None:
                return
            self._settle(res)

    def _wait_for(self, fut, timeout):
        # As Queue.get's timeout: None, inf or more than 24 days wait for
        # ever; negative or NaN raise ValueError.
        limit = _coord.timeout_ms(timeout)
        deadline = None if limit < 0 else time.monotonic() + limit / 1000.0
        while not fut._done:
            if fut._id not in self._pending:
                self._lost((fut,))  # nothing can settle it any more
                break
            if deadline is None:
                ms = -1
            else:
                ms = int(max(0.0, deadline - time.monotonic()) * 1000)
            if self._collect(ms) is None and not fut._done:
                if deadline is not None and time.monotonic() >= deadline:
                    raise ResultTimeout("task %s: no result in %s s" % (fut._index, timeout))

    # -- the multiprocessing.Pool API ----------------------------------------
    def submit(self, fn, *args, **kwargs):
        """Run fn(*args, **kwargs) in a worker; returns a Future."""
        return self._submit(fn, args, kwargs, None)

    def apply_async(self, fn, args=(), kwds=None, callback=None, error_callback=None):
        """Run fn(*args, **kwds) in a worker; returns a Future (an AsyncResult:
        get, ready, successful, wait). callback(result) or
        error_callback(exception) runs in this process when the result is
        collected: by the Future, or by any later call on the pool that
        waits or submits (join after close collects every one); there is
        no result thread."""
        self._drain()
        return self._submit(fn, args, kwds or {}, None, callback, error_callback)

    def apply(self, fn, args=(), kwds=None):
        return self.apply_async(fn, args, kwds).result()

    def map(self, fn, iterable, chunksize=None):
        """[fn(x) for x in iterable], computed by the workers, in order.
        The first failure (exception or WorkerDied, whose .index is the
        item's position) is raised after every task has finished."""
        futs = [self._submit(fn, (x,), {}, i) for i, x in enumerate(iterable)]
        for f in futs:
            self._wait_for(f, None)
        for f in futs:
            if not f._ok:
                raise f._value
        return [f._value for f in futs]

    def starmap(self, fn, iterable, chunksize=None):
        futs = [self._submit(fn, tuple(a), {}, i) for i, a in enumerate(iterable)]
        return [f.result() for f in futs]

    # Tasks imap and imap_unordered keep in flight: they take the iterable
    # as results come back (an endless generator works, as with
    # multiprocessing), yet enough at once that the workers never idle.
    _WINDOW = 256

    def _feed(self, fn, items, inflight, add):
        """Submit from the iterator `items` until `inflight()` tasks are out;
        False once it is exhausted."""
        while inflight() < max(self._WINDOW, 8 * self._processes):
            try:
                i, x = next(items)
            except StopIteration:
                return False
            add(self._submit(fn, (x,), {}, i))
        return True

    def _lost(self, futs):
        """Fail the Futures that nothing can settle any more (never expected:
        a settled task's Future is always finished), so no wait spins."""
        for f in futs:
            if not f._done and f._id not in self._pending:
                f._finish(False, TaskError("task %s: its result was lost" % (f._index,)))

    def imap_unordered(self, fn, iterable, chunksize=None):
        """Yield fn(x) as workers finish them (completion order); a failed
        task raises when its turn comes. chunksize is accepted and ignored
        (the pool sizes its own chunks)."""
        items = enumerate(iterable)
        futs = {}
        more = True
        while True:
            if more:
                more = self._feed(fn, items, lambda: len(futs),
                                  lambda f: futs.__setitem__(f._id, f))
            if not futs:
                return
            ready = [tid for tid, f in futs.items() if f._done]
            if not ready:
                f = self._collect(-1)
                if f is None:
                    self._lost(futs.values())
                    continue
                if f._id not in futs:
                    continue
                ready = [f._id]
            for tid in ready:
                f = futs.pop(tid)
                if not f._ok:
                    raise f._value
                yield f._value

    def imap(self, fn, iterable, chunksize=None):
        """Yield fn(x) in the iterable's order, taking the iterable as results
        come back (see imap_unordered)."""
        items = enumerate(iterable)
        window = collections.deque()
        more = True
        while True:
            if more:
                more = self._feed(fn, items, window.__len__, window.append)
            if not window:
                return
            yield window.popleft().result()

    def map_async(self, fn, iterable, chunksize=None, callback=None,
                  error_callback=None):
        """map's tasks, submitted now; returns a MapResult (get, ready,
        successful, wait) whose get() returns map's list."""
        self._drain()
        futs = [self._submit(fn, (x,), {}, i) for i, x in enumerate(iterable)]
        return MapResult(self, futs, callback, error_callback)

    def starmap_async(self, fn, iterable, chunksize=None, callback=None,
                      error_callback=None):
        self._drain()
        futs = [self._submit(fn, tuple(a), {}, i) for i, a in enumerate(iterable)]
        return MapResult(self, futs, callback, error_callback)

    def close(self):
        """No more tasks; the workers leave once the queued ones are done."""
        self._closed = True

    def join(self, timeout=None):
        """Wait for every task and every worker (after close()); timeout as
        Future.result's (coord.ETIMEDOUT when it passes first)."""
        if not self._closed:
            raise ValueError("Pool is still running (call close() first)")
        if self._terminated:
            return  # terminate() reaped every worker (multiprocessing's idiom)
        ms = _coord.timeout_ms(timeout)
        self._core.shutdown(ms if ms != 0 else 1)
        self._drain()

    def terminate(self):
        """SIGKILL and reap every worker now; pending tasks are dropped.
        join() afterwards returns at once."""
        self._closed = True
        self._terminated = True
        self._core.destroy()
        for fut in self._pending.values():
            fut._finish(False, _coord.ECLOSED("Pool terminated"))
        self._pending.clear()

    def stats(self):
        """Counters: workers, live, submitted, succeeded, failed, deaths,
        restarts, retried, pending."""
        return self._core.stats()

    def worker_pids(self):
        """The pids of the live workers."""
        return self._core.pids()

    def __enter__(self):
        # As multiprocessing (bpo-35477): a closed or terminated pool
        # cannot be entered again.
        if self._closed:
            raise ValueError("Pool not running")
        return self

    def __exit__(self, *exc):
        self.terminate()
        return False

    def __repr__(self):
        return "<coord.Pool processes=%d%s>" % (self._processes,
                                                " closed" if self._closed else "")
