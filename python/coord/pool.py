# SPDX-License-Identifier: MIT
"""coord.Pool: multiprocessing.Pool's map / imap / apply / submit over
coord_pool, where a worker that dies fails (or retries) only its own task
or chunk."""

import collections
import itertools
import multiprocessing
import operator
import os
import pickle
import struct
import time
import traceback
from multiprocessing.pool import RemoteTraceback

from . import _coord
from ._cpus import usable_cpus

# The first byte of a result (python/src/pycoord.h), and a chunk reply's
# status and header (python/src/pool_worker.c).
_VALUE, _EXCEPTION, _TEXT, _CHUNK, _INIT = 0, 1, 2, 3, 4
_CHUNK_DONE, _CHUNK_ROOM, _CHUNK_FAILED = 0, 1, 2
_HEAD = struct.Struct("=BII")
_FRAME = struct.Struct("=I")
_DIED = -4002  # COORD_EPEERDIED
_dumps, _loads, _PROTOCOL = pickle.dumps, pickle.loads, pickle.HIGHEST_PROTOCOL


class WorkerDied(_coord.EPEERDIED):
    """The worker running a task died (signal, os._exit, crash) and the
    task was not retried (or ran out of retries). .index is the task's
    index (its position in map's iterable, or submit's task id), .cause
    says how ("signal 9 (Killed)", "exit 3"), .attempts how often it ran.
    For a chunk of map, imap or starmap items, .chunk is (first, stop):
    the items that were running or waiting in it (which of them was
    running is not known), and .index is the first of them.
    A coord.EPEERDIED, but no ConnectionError (coord.ManagerLost is that
    EPEERDIED): a worker that died is not a lost connection."""

    def __init__(self, index, cause, attempts=1, wait_status=0, chunk=None):
        if chunk is None or chunk[1] - chunk[0] <= 1:
            what = "task %s: its worker died (%s)" % (index, cause)
        else:
            what = "tasks %s..%s (one chunk): their worker died (%s)" % (
                chunk[0], chunk[1] - 1, cause)
        super().__init__(what)
        self.index = index
        self.cause = cause
        self.attempts = attempts
        self.wait_status = wait_status
        self.chunk = chunk
        self.code = _DIED
        self.name = "COORD_EPEERDIED"

    def __reduce__(self):
        return (WorkerDied, (self.index, self.cause, self.attempts, self.wait_status,
                             self.chunk))


class ResultTimeout(multiprocessing.TimeoutError, TimeoutError):
    """No result within the timeout: both multiprocessing.TimeoutError (what
    AsyncResult.get raises there) and the builtin TimeoutError (what
    concurrent.futures raises), so either except clause catches it."""


class TaskError(_coord.Error):
    """A task's result or exception could not be sent back (not picklable,
    or larger than max_result); the message says which."""


class InitializerError(_coord.Error):
    """Pool(initializer=...) raised in a worker. Its exception is the
    __cause__ (with the worker's traceback as that one's __cause__, when it
    fits max_result). The tasks that worker takes fail with it, and once
    the pool has seen it every call that gives the pool work raises it:
    the pool can only be closed and joined, or terminated."""


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
    """Called by a worker (python/src/pool_worker.c) when a task raised `e`:
    `e` carrying the worker's formatted traceback, when that pickles within
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


def _coord_error(cls, message):
    """cls(message) with .code and .name, as the extension raises them."""
    err = cls(message)
    err.code = next(c for c, k in _coord.errors.items() if k is cls)
    err.name = "COORD_" + cls.__name__
    return err


def _chunksize(chunksize):
    """A chunksize given to map, imap, ...: an int of at least 1."""
    size = operator.index(chunksize)
    if size < 1:
        raise ValueError("Chunksize must be 1+, not {0:n}".format(size))
    return size


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

    def _span(self):
        return None  # one task, no chunk

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


class _Chunk:
    """Items of a map, starmap or imap that travel together: one task
    message carries them (pickled once), the worker calls fn on each and
    one result message brings their results back (python/src/pool_worker.c).
    When they do not all go in one message of max_task bytes, or their
    results in one of max_result bytes, the items without a result go
    again, in messages of their own (Pool._send, Pool._chunk_reply): no
    item runs twice, except when a worker that dies is retried (the whole
    message runs again). Done once every item has its result (_values), or
    at its first failure (_value), when `sink(self)` is called."""

    __slots__ = ("_pool", "_id", "_fn", "_items", "_star", "_base", "_at",
                 "_part", "_values", "_done", "_ok", "_value", "_sink")

    def __init__(self, pool, fn, items, star, base, sink=None):
        self._pool, self._fn, self._items, self._star = pool, fn, items, star
        self._base = base         # the position of items[0] in the iterable
        self._at = 0              # items[:_at] have their results
        self._part = len(items)   # items per message
        self._values = []
        self._id = None
        self._done = self._ok = False
        self._value = None
        self._sink = sink

    @property
    def _index(self):
        """The position of the first item without a result."""
        return self._base + self._at

    def _span(self):
        return (self._index, self._base + len(self._items))

    def _finish(self, ok, value):
        self._done, self._ok, self._value = True, ok, value
        self._items = ()
        if self._sink is not None:
            self._sink(self)


class MapResult:
    """What map_async and starmap_async return (multiprocessing's
    MapResult): get(timeout=None) -> the list of results (raises the first
    failure), ready(), successful(), wait(timeout=None). callback(list) or
    error_callback(first failure) runs when the last chunk is collected."""

    def __init__(self, pool, callback, error_callback):
        self._pool, self._chunks = pool, ()
        # Chunks finished, counted by next(): one call, so threads that
        # collect two chunks at once count both.
        self._count, self._finished = itertools.count(1), False
        self._callback, self._error_callback = callback, error_callback
        self._list = None

    def _start(self, chunks):
        self._chunks = chunks
        if not chunks:
            self._settled()

    def _chunk_done(self, chunk):
        if next(self._count) == len(self._chunks):
            self._settled()

    def _failed(self):
        return next((c for c in self._chunks if not c._ok), None)

    def _values(self):
        if self._list is None:
            out = []
            for c in self._chunks:
                out += c._values
                c._values = None
            self._list = out
        return self._list

    def _settled(self):
        self._finished = True
        cb, ecb = self._callback, self._error_callback
        self._callback = self._error_callback = None
        failed = self._failed()
        if failed is None and cb is not None:
            cb(self._values())
        elif failed is not None and ecb is not None:
            ecb(failed._value)

    def _wait(self, timeout):
        limit = _coord.timeout_ms(timeout)
        deadline = None if limit < 0 else time.monotonic() + limit / 1000.0
        for c in self._chunks:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            self._pool._wait_for(c, left)

    def get(self, timeout=None):
        self._wait(timeout)
        failed = self._failed()
        if failed is not None:
            raise failed._value
        return self._values()

    def ready(self):
        self._pool._drain()
        return self._finished

    def successful(self):
        if not self.ready():
            raise ValueError("the map is not ready")
        return self._failed() is None

    def wait(self, timeout=None):
        try:
            self._wait(timeout)
        except TimeoutError:
            pass
        self._pool._drain()


class Pool:
    """Pool(processes=None, initializer=None, initargs=(),
    maxtasksperchild=None, context=None, *, retries=0, max_task=65536,
    max_result=65536, queue_capacity=1024)

    Forks `processes` workers (default: the CPUs this process may run on,
    its affinity, as os.process_cpu_count() gives in Python 3.13, at most
    its cgroup's CPU quota rounded up) once.
    Functions and arguments are pickled as for multiprocessing (so
    functions must be importable). A worker that dies fails only its own
    task (or chunk) with coord.WorkerDied, or reruns it `retries` times; a
    replacement worker is started; nothing hangs and no zombie is left.
    initializer(*initargs) runs in each worker before its first task,
    replacements included. maxtasksperchild is refused (NotImplementedError)
    and context must be None or a fork context. The pool is used from the
    process that created it; its blocking calls let other threads run.
    """

    def __init__(self, processes=None, initializer=None, initargs=(),
                 maxtasksperchild=None, context=None, *, retries=0, max_task=65536,
                 max_result=65536, queue_capacity=1024):
        if processes is None:
            processes = usable_cpus()
        if processes < 1:
            raise ValueError("Number of processes must be at least 1")
        if maxtasksperchild is not None:
            raise NotImplementedError(
                "coord.Pool has no maxtasksperchild: its workers are replaced "
                "only when they die (the C pool counts any other exit as a "
                "death), never retired between tasks; to bound what a worker "
                "accumulates, terminate the pool and start another every so "
                "many tasks")
        if context is not None:
            method = getattr(context, "get_start_method", lambda: None)()
            if method != "fork":
                raise ValueError(
                    "coord.Pool forks its workers: context=%r (start method %r) "
                    "cannot be honoured; pass None or "
                    "multiprocessing.get_context('fork')" % (context, method))
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        self._core = _coord._Pool(processes, retries, max_task, max_result,
                                  queue_capacity, initializer, tuple(initargs))
        self._processes = processes
        self._max_task = max_task
        self._initializer = initializer
        self._init_error = None  # (message, the initializer's exception)
        self._pid = os.getpid()
        self._pending = {}    # task id -> Future or _Chunk
        self._orphans = {}    # task id -> a result that came before its id was known
        self._closed = False
        self._terminated = False

    # -- task plumbing -------------------------------------------------------
    def _check_running(self):
        if self._closed:
            raise ValueError("Pool not running")
        if self._init_error is not None:
            message, cause = self._init_error
            raise InitializerError(message) from cause

    def _register(self, tid, job):
        self._pending[tid] = job
        # Another thread may have collected its result before the id came
        # back here (the pool lets the GIL go while it waits).
        if self._orphans:
            res = self._orphans.pop(tid, None)
            if res is not None:
                self._settle(res)

    def _submit(self, fn, args, kwargs, callback=None, error_callback=None):
        self._check_running()
        task = _dumps((fn, tuple(args), dict(kwargs)), _PROTOCOL)
        tid = self._core.submit(task)
        fut = Future(self, tid, tid, callback, error_callback)
        self._register(tid, fut)
        return fut

    def _send(self, chunk):
        """Submit chunk's items without a result: all in one task message,
        or as many as fit max_task (fewer, by the bytes per item, until
        they fit; one item that does not fit raises coord.EMSGSIZE)."""
        items, at = chunk._items, chunk._at
        part = min(chunk._part, len(items) - at)
        while True:
            piece = items if part == len(items) else items[at:at + part]
            task = _dumps((chunk._fn, piece, chunk._star), _PROTOCOL)
            if len(task) <= self._max_task or part == 1:
                break
            part = max(1, min(part // 2, part * self._max_task // len(task)))
            chunk._part = part
        tid = self._core.submit(task)
        chunk._id = tid
        self._register(tid, chunk)

    def _chunk_reply(self, chunk, payload):
        """A worker's reply to a chunk's message: its results, then maybe
        the failure of the next item; the items after go again."""
        first, had = chunk._index, len(chunk._values)
        try:
            status, count, frames = _HEAD.unpack_from(payload)
            view, off = memoryview(payload), _HEAD.size
            for _ in range(frames):
                (n,) = _FRAME.unpack_from(payload, off)
                chunk._values += _loads(view[off + 4:off + 4 + n])
                off += 4 + n
            # Each reply but a failure's carries a result at least: the
            # items left always get fewer.
            if len(chunk._values) - had != count or \
                    (count == 0 and status != _CHUNK_FAILED):
                raise ValueError("%d results for %d items" % (
                    len(chunk._values) - had, count))
        except Exception as e:
            err = TaskError("task %s: its chunk's results could not be unpickled "
                            "here: %s: %s" % (first, type(e).__name__, e))
            err.__cause__ = e
            chunk._finish(False, err)
            return
        chunk._at += count
        if status == _CHUNK_FAILED:
            chunk._finish(False, self._failure(chunk, 0, payload[off], payload[off + 1:],
                                               "", 0, 0))
        elif chunk._at < len(chunk._items):
            try:
                self._send(chunk)  # the rest, after a worker stopped for room
            except Exception as e:
                chunk._finish(False, e)
        else:
            chunk._finish(True, None)

    def _initializer_failed(self, payload):
        try:
            cause = _loads(payload)
        except Exception as e:
            cause = e
        name = getattr(self._initializer, "__qualname__", None) or repr(self._initializer)
        message = "Pool(initializer=%s) raised in a worker: %s: %s" % (
            name, type(cause).__name__, cause)
        self._init_error = (message, cause)
        err = InitializerError(message)
        err.__cause__ = cause
        return err

    def _failure(self, job, status, kind, payload, cause, attempts, wstatus):
        """The exception a task (or a chunk, at its first item without a
        result) fails with."""
        index = job._index
        if status == _DIED:
            return WorkerDied(index, cause, attempts, wstatus, job._span())
        if kind == _TEXT:
            return TaskError("task %s: %s" % (index, payload.decode("utf-8", "replace")))
        if kind == _INIT:
            return self._initializer_failed(payload)
        if kind == _EXCEPTION:
            # It came from a worker: it may not unpickle here (an exception
            # class whose __init__ takes other arguments, a class only the
            # worker imported). That fails this task, not the pool.
            try:
                return _loads(payload)
            except Exception as e:
                err = TaskError("task %s: its exception could not be unpickled here: "
                                "%s: %s" % (index, type(e).__name__, e))
                err.__cause__ = e
                return err
        return _coord.errors.get(status, _coord.Error)(
            "task %s failed: %s" % (index, _coord.strerror(status)))

    def _settle(self, res):
        tid, status, kind, payload, cause, worker, attempts, wstatus = res
        job = self._pending.pop(tid, None)
        if job is None:
            self._orphans[tid] = res  # see _register
            return None
        if status == 0 and kind == _CHUNK:
            self._chunk_reply(job, payload)
        elif status == 0 and kind == _VALUE:
            try:
                value = _loads(payload)
            except Exception as e:
                err = TaskError("task %s: its result could not be unpickled here: "
                                "%s: %s" % (job._index, type(e).__name__, e))
                err.__cause__ = e
                job._finish(False, err)
            else:
                job._finish(True, value)
        else:
            job._finish(False, self._failure(job, status, kind, payload, cause,
                                             attempts, wstatus))
        return job

    def _collect(self, timeout_ms):
        """Take one result (waiting up to timeout_ms; the GIL is let go
        while it waits); the task or chunk it settled, or None when none
        came in time."""
        try:
            res = self._core.result(timeout_ms)
        except _coord.ETIMEDOUT:
            return None
        if res is None:
            # The pool has nothing pending: whatever is waited for here is
            # lost (never expected); fail it rather than wait for ever.
            self._lost(list(self._pending.values()))
            return None
        return self._settle(res)

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

    def _wait_for(self, job, timeout):
        # As Queue.get's timeout: None, inf or more than 24 days wait for
        # ever; negative or NaN raise ValueError.
        limit = _coord.timeout_ms(timeout)
        deadline = None if limit < 0 else time.monotonic() + limit / 1000.0
        while not job._done:
            if job._id not in self._pending:
                self._lost((job,))  # nothing can settle it any more
                break
            if deadline is None:
                ms = -1
            else:
                ms = int(max(0.0, deadline - time.monotonic()) * 1000)
            if self._collect(ms) is None and not job._done:
                if deadline is not None and time.monotonic() >= deadline:
                    raise ResultTimeout("task %s: no result in %s s" % (job._index, timeout))

    def _lost(self, jobs):
        """Fail the tasks that nothing can settle any more (never expected:
        a settled task is always finished), so no wait spins."""
        for job in jobs:
            if not job._done:
                if self._pending.get(job._id) is job:
                    del self._pending[job._id]
                job._finish(False, TaskError("task %s: its result was lost" % (job._index,)))

    # -- the multiprocessing.Pool API ----------------------------------------
    def submit(self, fn, *args, **kwargs):
        """Run fn(*args, **kwargs) in a worker; returns a Future."""
        return self._submit(fn, args, kwargs)

    def apply_async(self, fn, args=(), kwds=None, callback=None, error_callback=None):
        """Run fn(*args, **kwds) in a worker; returns a Future (an AsyncResult:
        get, ready, successful, wait). callback(result) or
        error_callback(exception) runs in this process when the result is
        collected: by the Future, or by any later call on the pool that
        waits or submits (join after close collects every one); there is
        no result thread."""
        self._drain()
        return self._submit(fn, args, kwds or {}, callback, error_callback)

    def apply(self, fn, args=(), kwds=None):
        return self.apply_async(fn, args, kwds).result()

    def _map_async(self, fn, iterable, chunksize, star, callback, error_callback):
        """map's chunks, sent now: chunksize None picks it as
        multiprocessing does (about 4 chunks per worker)."""
        self._check_running()
        if not hasattr(iterable, "__len__"):
            iterable = list(iterable)
        n = len(iterable)
        if chunksize is None:
            chunksize, extra = divmod(n, self._processes * 4)
            if extra:
                chunksize += 1
        else:
            chunksize = _chunksize(chunksize)
        # Lists, tuples and ranges are cut as they are (a range's chunk
        # pickles as a range); anything else (a dict, a set) is listed.
        items = iterable if type(iterable) in (list, tuple, range) else list(iterable)
        result = MapResult(self, callback, error_callback)
        chunks = [_Chunk(self, fn, items[i:i + chunksize], star, i, result._chunk_done)
                  for i in range(0, n, chunksize or 1)]
        result._start(chunks)
        for c in chunks:
            self._send(c)
        return result

    def map(self, fn, iterable, chunksize=None):
        """[fn(x) for x in iterable], computed by the workers, in order, in
        chunks of `chunksize` items (None: about 4 chunks per worker, as
        multiprocessing chooses). The first failure (the exception of the
        first item that raised, or WorkerDied, whose .index is the first
        item of its chunk without a result) is raised after every chunk
        has finished."""
        self._drain()
        return self._map_async(fn, iterable, chunksize, False, None, None).get()

    def starmap(self, fn, iterable, chunksize=None):
        """map with fn(*args) for each args of the iterable."""
        self._drain()
        return self._map_async(fn, iterable, chunksize, True, None, None).get()

    def map_async(self, fn, iterable, chunksize=None, callback=None,
                  error_callback=None):
        """map's chunks, sent now; returns a MapResult (get, ready,
        successful, wait) whose get() returns map's list."""
        self._drain()
        return self._map_async(fn, iterable, chunksize, False, callback, error_callback)

    def starmap_async(self, fn, iterable, chunksize=None, callback=None,
                      error_callback=None):
        self._drain()
        return self._map_async(fn, iterable, chunksize, True, callback, error_callback)

    # Chunks imap and imap_unordered keep in flight: they take the iterable
    # as results come back (an endless generator works, as with
    # multiprocessing), yet enough at once that the workers never idle.
    _WINDOW = 256

    def _chunks(self, fn, items, chunksize, sink=None):
        """Chunks of `chunksize` items taken from the iterator `items`, each
        sent as it is made."""
        if chunksize == 1:
            for base, x in enumerate(items):
                chunk = _Chunk(self, fn, [x], False, base, sink)
                self._send(chunk)
                yield chunk
            return
        base = 0
        while True:
            part = list(itertools.islice(items, chunksize))
            if not part:
                return
            chunk = _Chunk(self, fn, part, False, base, sink)
            base += len(part)
            self._send(chunk)
            yield chunk

    def imap(self, fn, iterable, chunksize=1):
        """Yield fn(x) in the iterable's order, taking the iterable as results
        come back, `chunksize` items to a task message; a failed item
        raises when its turn comes."""
        self._check_running()
        return self._imap(fn, iter(iterable), _chunksize(chunksize))

    def _imap(self, fn, items, chunksize):
        chunks = self._chunks(fn, items, chunksize)
        window = collections.deque()
        limit = max(self._WINDOW, 8 * self._processes)
        more = True
        while True:
            while more and len(window) < limit:
                chunk = next(chunks, None)
                if chunk is None:
                    more = False
                else:
                    window.append(chunk)
            if not window:
                return
            chunk = window.popleft()
            self._wait_for(chunk, None)
            yield from chunk._values
            if not chunk._ok:
                raise chunk._value

    def imap_unordered(self, fn, iterable, chunksize=1):
        """Yield fn(x) as workers finish them (chunk by chunk, in the order
        the chunks finish); a failed item raises when its turn comes."""
        self._check_running()
        return self._imap_unordered(fn, iter(iterable), _chunksize(chunksize))

    def _imap_unordered(self, fn, items, chunksize):
        done = collections.deque()
        chunks = self._chunks(fn, items, chunksize, done.append)
        limit = max(self._WINDOW, 8 * self._processes)
        inflight, more = 0, True
        while True:
            while more and inflight < limit:
                if next(chunks, None) is None:
                    more = False
                else:
                    inflight += 1
            if not inflight:
                return
            while not done:
                self._collect(-1)
            chunk = done.popleft()
            inflight -= 1
            yield from chunk._values
            if not chunk._ok:
                raise chunk._value

    def close(self):
        """No more tasks; the workers leave once the queued ones are done."""
        self._closed = True

    def join(self, timeout=None):
        """Wait for every task and every worker (after close()); timeout as
        Future.result's (coord.ETIMEDOUT when it passes first). Every result
        is collected here (callbacks run)."""
        if not self._closed:
            raise ValueError("Pool is still running (call close() first)")
        if self._terminated:
            return  # terminate() reaped every worker (multiprocessing's idiom)
        limit = _coord.timeout_ms(timeout)
        deadline = None if limit < 0 else time.monotonic() + limit / 1000.0
        ms = limit
        # Every result first: a chunk's items may have to go again.
        while self._pending and self._pid == os.getpid():
            if deadline is not None:
                ms = int(max(0.0, deadline - time.monotonic()) * 1000)
            if self._collect(ms) is None and self._pending and \
                    deadline is not None and time.monotonic() >= deadline:
                raise _coord_error(_coord.ETIMEDOUT, "Pool.join: %d tasks still "
                                   "running after %s s" % (len(self._pending), timeout))
        if deadline is not None:
            ms = int(max(0.0, deadline - time.monotonic()) * 1000)
        self._core.shutdown(ms if ms != 0 else 1)
        self._drain()

    def terminate(self):
        """SIGKILL and reap every worker now; pending tasks are dropped.
        join() afterwards returns at once."""
        self._closed = True
        self._terminated = True
        self._core.destroy()
        pending = list(self._pending.values())
        self._pending.clear()
        self._orphans.clear()
        for job in pending:
            job._finish(False, _coord.ECLOSED("Pool terminated"))

    def stats(self):
        """Counters: workers, live, submitted, succeeded, failed, deaths,
        restarts, retried, pending (of task messages: a chunk is one)."""
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
