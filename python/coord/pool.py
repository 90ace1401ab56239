# SPDX-License-Identifier: MIT
"""coord.Pool: multiprocessing.Pool's map / imap / apply / submit over
coord_pool, where a worker that dies fails (or retries) only its own task
or chunk. Callbacks run in a result thread of the pool's, as
multiprocessing's do; a callback that raises is reported and the others
go on (see "Callbacks" in Pool)."""

import atexit
import collections
import copyreg
import itertools
import multiprocessing
import operator
import os
import pickle
import struct
import sys
import threading
import time
import traceback
import types
import weakref
from multiprocessing.pool import MaybeEncodingError, RemoteTraceback

from . import _coord
from ._cpus import usable_cpus

# The first byte of a result (python/src/pycoord.h), and a chunk reply's
# status and header (python/src/pool_worker.c).
_VALUE, _EXCEPTION, _TEXT, _CHUNK, _INIT, _ENCODING = 0, 1, 2, 3, 4, 5
_CHUNK_DONE, _CHUNK_ROOM, _CHUNK_FAILED = 0, 1, 2
_HEAD = struct.Struct("=BII")
_FRAME = struct.Struct("=I")
_DIED = -4002  # COORD_EPEERDIED
_dumps, _loads, _PROTOCOL = pickle.dumps, pickle.loads, pickle.HIGHEST_PROTOCOL
_MAX_TASKS_PER_CHILD = 2**31 - 1  # coord_pool_opts.retire_after's limit
# A task message (python/src/pool_worker.c): the length of the function's
# pickle, the pickle, then the pickle of (args, kwargs) for a call or of
# (items, star) for a chunk.
_FN_LEN = struct.Struct("=I")
_FN_KEEP = 256  # the most functions a pool keeps (_fn_part)
_TRIM_MIN = 1024  # jobs registered before a submit collects what is in (_trim)
# What Pool._settle commits: a Future's outcome; a chunk's results (more to
# send); its results and outcome; its outcome alone.
_OUTCOME = ("_ok", "_value", "_done")
_REPLY = ("_values", "_at")
_REPLY_FAILED = ("_values", "_at", "_done", "_ok", "_value", "_items")
_FAILED = ("_done", "_ok", "_value", "_items")
# What the core sets to a Future's task id as it submits it (Pool._submit).
_IDS = ("_id", "_index")


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


class ResultEncodingError(TaskError, MaybeEncodingError):
    """A task's result (or exception) does not pickle in the worker. Also a
    multiprocessing.pool.MaybeEncodingError, what multiprocessing raises
    then, with its .exc (why, a str) and .value (the result's repr, a str),
    each cut to 300 characters."""

    def __init__(self, message, exc, value):
        Exception.__init__(self, message)
        self.exc, self.value = exc, value

    def __str__(self):
        return self.args[0]

    def __reduce__(self):
        return (type(self), (self.args[0], self.exc, self.value))


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


class _BadResult(Exception):
    """A result's pickle raised this (args[0]) here: Pool._unpickle tells it
    apart from a signal handler's exception (which goes through)."""


# What a malformed reply raises where the pool reads it (Pool._chunk_reply,
# _failure): what is caught there, so that a signal handler's exception
# raised meanwhile is not taken for the reply's.
_MALFORMED = (_BadResult, struct.error, TypeError, ValueError, IndexError)


# Why a chunk's items left cannot go again (Pool._resend_all): the pool gone
# or full (coord.Error, "Pool not running"), an item that no longer pickles.
_UNSENT = (_coord.Error, ValueError, TypeError, AttributeError, pickle.PicklingError)


def _why(e):
    """The exception a result failed with: a pickle's, or the malformed
    reply's."""
    return e.args[0] if type(e) is _BadResult else e


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
    same: get(timeout=None), ready(), successful(), wait(timeout=None).
    With a callback, the Future is done once the callback has run (in the
    pool's result thread), as an AsyncResult is ready."""

    __slots__ = ("_pool", "_id", "_index", "_done", "_ok", "_value",
                 "_callback", "_error_callback", "_cb")

    def __init__(self, pool, task_id, index, callback=None, error_callback=None):
        self._pool, self._id, self._index = pool, task_id, index
        self._done = False  # the outcome is here (_ok, _value) ...
        # ... but its callback is still to run: owed from the start, so
        # that no thread sees the Future done ahead of its callback
        self._cb = callback is not None or error_callback is not None
        self._ok = False
        self._value = None
        self._callback, self._error_callback = callback, error_callback

    def _finish(self, ok, value):
        self._ok, self._value = ok, value
        if self._callback is None and self._error_callback is None:
            self._done = True
            return
        cb = self._callback if ok else self._error_callback
        self._callback = self._error_callback = None
        # Owed before done: no thread sees it done ahead of its callback.
        self._cb = True
        self._done = True
        self._pool._callback_due(self, cb, value)

    def _span(self):
        return None  # one task, no chunk

    def _deliver(self):
        """Its outcome was committed (Pool._settle): queue its callback.
        The result thread's (Pool._serve), where no signal handler runs."""
        cb = self._callback if self._ok else self._error_callback
        self._callback = self._error_callback = None
        self._pool._callback_due(self, cb, self._value)

    def done(self):
        """True once the result (or failure) is here and its callback (if
        any) has run; never blocks. Collects every result already here."""
        if not self._done:
            self._pool._drain()
        return self._done and not self._cb

    def result(self, timeout=None):
        """The task's return value; raises its exception, WorkerDied, or
        TimeoutError when `timeout` seconds pass first. Also
        multiprocessing's AsyncResult.get (a timeout raises ResultTimeout, a
        multiprocessing.TimeoutError and a TimeoutError)."""
        if not self._done or self._cb:
            if timeout is None and not self._cb and self._callback is None \
                    and self._error_callback is None:
                # No deadline, and no callback owed or to come: _wait_job's
                # work, two calls fewer (this runs once per apply).
                self._pool._await(self, None)
            else:
                self._pool._wait_job(self, timeout)
        if self._ok:
            return self._value
        raise self._value

    def exception(self, timeout=None):
        if not self._done or self._cb:
            self._pool._wait_job(self, timeout)
        return None if self._ok else self._value

    get = result  # one call, not two

    def ready(self):
        return self.done()

    def successful(self):
        """Whether the task returned; ValueError while it has not finished."""
        if not self.done():
            raise ValueError("task %s is not ready" % (self._index,))
        return self._ok

    def wait(self, timeout=None):
        """Wait until the result is here (and its callback has run) or
        `timeout` seconds pass; never raises the task's failure."""
        try:
            self._pool._wait_job(self, timeout)
        except TimeoutError:
            pass

    def __repr__(self):
        return "<coord.Future task %s %s>" % (
            self._index, "done" if self._done and not self._cb else "pending")


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

    __slots__ = ("_fn", "_items", "_star", "_base", "_at", "_part", "_values",
                 "_done", "_ok", "_value", "_sink", "_map")

    def __init__(self, fn, items, star, base, sink=None):
        self._fn, self._items, self._star = fn, items, star
        self._base = base         # the position of items[0] in the iterable
        self._at = 0              # items[:_at] have their results
        self._part = len(items)   # items per message
        self._values = []
        self._done = self._ok = False
        self._value = None
        self._sink = sink  # None, or a built-in (a deque's append): commit calls it
        self._map = None   # the MapResult with callbacks it counts towards

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

    def _deliver(self):
        """Done, and its map has callbacks: count it (the result thread's)."""
        self._map._chunk_done(self)


class MapResult:
    """What map_async and starmap_async return (multiprocessing's
    MapResult): get(timeout=None) -> the list of results (raises the first
    failure), ready(), successful(), wait(timeout=None). callback(list) or
    error_callback(first failure) runs in the pool's result thread once the
    last chunk is in; the MapResult is ready after it has run."""

    def __init__(self, pool, callback, error_callback):
        self._pool, self._chunks = pool, ()
        # Chunks finished, counted by next(): one call, so threads that
        # collect two chunks at once count both.
        self._count, self._finished = itertools.count(1), False
        # The callback is still to run: owed from the start (Future's _cb).
        self._owes = callback is not None or error_callback is not None
        self._cb = self._owes
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
        cb, ecb = self._callback, self._error_callback
        if cb is None and ecb is None:
            self._cb = False
            self._finished = True
            return
        self._callback = self._error_callback = None
        failed = self._failed()
        self._cb = True  # owed before finished, as Future._finish
        self._finished = True
        if failed is None:
            self._pool._callback_due(self, cb, self._values())
        else:
            self._pool._callback_due(self, ecb, failed._value)

    def _wait(self, timeout):
        pool, deadline = self._pool, _deadline(timeout)
        for c in self._chunks:
            if not pool._wait_for(c, deadline):
                raise ResultTimeout("task %s: no result in %s s" % (c._index, timeout))
        if not pool._wait_callback(self, deadline):
            raise ResultTimeout("map: its callback has not run in %s s" % (timeout,))

    def get(self, timeout=None):
        self._wait(timeout)
        failed = self._failed()
        if failed is not None:
            raise failed._value
        return self._values()

    def ready(self):
        if not self._finished:
            self._pool._drain()
            # Without callbacks its chunks are not counted as they finish.
            if not self._owes and all(c._done for c in self._chunks):
                self._finished = True
        return self._finished and not self._cb

    def successful(self):
        if not self.ready():
            raise ValueError("the map is not ready")
        return self._failed() is None

    def wait(self, timeout=None):
        try:
            self._wait(timeout)
        except TimeoutError:
            pass


def _by_name(fn):
    """Does fn pickle by name (module and qualified name, nothing of its
    state), to the same bytes every time? A plain function, or a built-in
    one of a module (len, math.sqrt), unless copyreg says otherwise; not a
    built-in method bound to an object (lst.count pickles the list)."""
    t = type(fn)
    if t is types.FunctionType:
        return t not in copyreg.dispatch_table
    return t is types.BuiltinFunctionType and \
        isinstance(fn.__self__, types.ModuleType) and \
        t not in copyreg.dispatch_table


# What imap and imap_unordered return: _ImapIter(generator) raises a failed
# item's exception at its turn (the generator yields _Failed(exc) in its
# place), and with chunksize 1 the next call goes on with the items after
# it, as multiprocessing's IMapIterator does (a chunked one ends there, as
# multiprocessing's does). In C: it runs once per item (python/src/imap.c).
_Failed, _Imap = _coord._Failed, _coord._ImapIter


class _Until:
    """A condition for Pool._await that is not a job's being done."""
    __slots__ = ("_fn",)

    def __init__(self, fn):
        self._fn = fn

    @property
    def _done(self):
        return self._fn()


def _deadline(timeout):
    """The monotonic time a wait of `timeout` seconds ends, None for no
    end. As Queue.get's timeout: None, inf or more than 24 days wait for
    ever; negative or NaN raise ValueError."""
    limit = _coord.timeout_ms(timeout)
    return None if limit < 0 else time.monotonic() + limit / 1000.0


def _report(exc):
    """Hand a callback's exception to threading.excepthook, as one that
    ends a thread is (by default printed to stderr with its traceback),
    and go on. In multiprocessing it ends the pool's result thread, after
    which no result is handled and every get() waits for ever."""
    try:
        threading.excepthook(threading.ExceptHookArgs(
            (type(exc), exc, exc.__traceback__, threading.current_thread())))
    except BaseException as hook_failed:  # a broken hook: as threading does
        try:
            sys.__excepthook__(type(hook_failed), hook_failed, hook_failed.__traceback__)
        except BaseException:
            pass


# How the result thread sleeps after a round (Pool._serve).
_STOP, _AGAIN, _WATCH, _BUSY, _IDLE = range(5)
_TICK_MS = 10      # while callbacks wait for results: a look every tick (deaths),
_TICK_MAX_MS = 100  # ... each one that found nothing twice the last, up to this
_LOOK_MS = 1       # after a ring that found no result yet
_LINGER_MS = 1000  # with nothing owed: how long it waits for more before it ends


# Every pool of this process: those still open at exit are terminated
# then, as multiprocessing terminates its own (_at_exit).
_pools = weakref.WeakSet()


@atexit.register
def _at_exit():
    # Not waiting for a callback still running: the result thread is a
    # daemon. Nothing else kills and reaps the workers of a pool that thread
    # keeps alive (it owes callbacks): they would die with the process
    # (docs/queue.md, "Worker lifetime") but be left unreaped.
    for pool in list(_pools):
        if not pool._terminated:
            pool._terminate(False)


def _result_thread(ref, bell):
    """A pool's result thread (see "Callbacks" in Pool). It holds the pool
    while it owes callbacks (a pool dropped unclosed still delivers them),
    and only a weak reference while it lingers."""
    seen = bell.read()
    expired = rang = False
    pool = None
    tick = _TICK_MS
    while True:
        if pool is None:
            pool = ref()
            if pool is None:
                return
        mode, got = pool._serve(expired)
        if mode == _STOP:
            return
        if mode == _AGAIN:
            continue
        if mode == _IDLE:
            pool, ms = None, _LINGER_MS
        elif mode == _WATCH and rang and got == 0:
            # A worker rings just before it puts its result: look again soon.
            ms = _LOOK_MS
        else:
            ms = tick
        ev = bell.wait(seen, ms, mode == _WATCH)
        # A tick that found nothing (no result collected, nothing rang or
        # poked since): the next is twice as long, up to _TICK_MAX_MS, so a
        # callback waiting on a long task costs 10 wake-ups a second, not
        # 100. Anything else starts again at _TICK_MS.
        if mode == _WATCH and ms == tick and got == 0 and ev == seen:
            tick = min(2 * tick, _TICK_MAX_MS)
        else:
            tick = _TICK_MS
        expired = mode == _IDLE and ev == seen
        rang = (ev ^ seen) & 0xFFFF != 0
        seen = ev


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
    replacements included. With maxtasksperchild=N a worker exits after N
    tasks (an apply or submit is one, a chunk of map items one) and a
    fresh one is forked from this process in its place, as multiprocessing
    does: what tasks leak in a worker (memory, module globals) lasts N
    tasks. No task fails for it, and stats() counts it as "retired", not
    in "deaths". context must be None or a fork context. The pool is used
    from the process that created it; its blocking calls let other threads
    run.
    Callbacks run in the pool's result thread, one at a time, in the order
    their results came, whatever the program does meanwhile.
    """

    # Collecting. One thread at a time takes results from the core and
    # settles their jobs: the holder of _role. A thread that waits for a
    # result takes the role if it is free and collects every result until
    # its own is in (the fast path: no other thread, no hop); a thread that
    # finds the role taken sleeps on _cv until the holder settles something
    # or lets go (the holder wakes it only when _sleepers says someone
    # sleeps). So threads sharing a pool are served by whichever of them
    # collects, without waiting for a turn at the core.
    #
    # Settling, and signals. Python runs a signal handler (Ctrl-C's
    # KeyboardInterrupt, an alarm's exception) between any two bytecodes,
    # so the handler's exception may come at any point between a
    # result's taking and its job's settling. The core (python/src/pool.c)
    # takes the result and attaches it to its job in _jobs in one C call,
    # where no handler runs, and keeps the (job, result) pair pending:
    # result() hands the first pending pair out again until commit()
    # drops it. _settle works out what the result makes of the job
    # without changing anything (unpickling; an exception a handler raises
    # meanwhile goes through to the caller, and the next collector, any
    # thread, starts again from the pair), then commits it in one C call:
    # the pair leaves pending, the job leaves _jobs, its fields are set
    # and it goes to its sink (an imap_unordered's deque, or _owed: the
    # result thread, where no handler runs, queues its callback or counts
    # it towards its map; or _resend, whose chunks the core registers
    # with the submit that sends their items left). So no job is lost or
    # settled twice, whichever bytecode the exception comes at
    # (tests/python/test_pool_settle_injection.py).
    #
    # Callbacks. multiprocessing runs them in a result-handler thread that
    # reads every result as it comes. Here the result thread runs only
    # while callbacks are owed (and lingers _LINGER_MS after), so map, imap,
    # apply and result() without callbacks never start it and never pay a
    # thread hop. It does not collect while sleeping: the core is used by
    # one thread at a time, so a thread asleep in the core would hold it,
    # and every apply_async of the program would wait for the next result.
    # It sleeps on the pool's bell (python/src/bell.c) instead, holding
    # nothing: workers ring it as they finish a task while it watches, and
    # the pool pokes it when a callback is queued. Woken, it takes the role
    # only if it is free and collects what is in without blocking (try-once
    # core calls), so a user thread waits for it at most that long. Every
    # _TICK_MS it looks anyway, and twice as long after each look that found
    # nothing, up to _TICK_MAX_MS: a dead worker rings nothing, and its
    # task's error_callback waits at most that tick (and replacements are
    # forked by this thread then, holding the GIL as every fork of the pool
    # does).
    # Whoever settles a job with a callback queues the call (_calls); only
    # the result thread runs callbacks, and a job is done (ready(), get()
    # returns) once its callback has run, as in multiprocessing. A callback
    # that raises goes to threading.excepthook and the next ones run (in
    # multiprocessing it kills the result thread and the pool hangs).
    # terminate() drops the calls not yet run and waits for a running one:
    # none runs after it returns. The thread is a daemon and holds no lock
    # while it sleeps, so a pool left open at exit neither keeps the
    # interpreter alive nor wedges it (_at_exit terminates it, as
    # multiprocessing does, so that its workers are reaped), and a fork of a
    # replacement by another thread never waits for it.

    def __init__(self, processes=None, initializer=None, initargs=(),
                 maxtasksperchild=None, context=None, *, retries=0, max_task=65536,
                 max_result=65536, queue_capacity=1024):
        if processes is None:
            processes = usable_cpus()
        if processes < 1:
            raise ValueError("Number of processes must be at least 1")
        if maxtasksperchild is not None:
            # multiprocessing's check and message (a bool is an int there too)
            if not isinstance(maxtasksperchild, int) or maxtasksperchild <= 0:
                raise ValueError("maxtasksperchild must be a positive int or None")
            if maxtasksperchild > _MAX_TASKS_PER_CHILD:
                raise ValueError(
                    "maxtasksperchild is at most %d in coord.Pool (the C pool "
                    "counts a worker's tasks in an int), not %d"
                    % (_MAX_TASKS_PER_CHILD, maxtasksperchild))
        if context is not None:
            method = getattr(context, "get_start_method", lambda: None)()
            if method != "fork":
                raise ValueError(
                    "coord.Pool forks its workers: context=%r (start method %r) "
                    "cannot be honoured; pass None or "
                    "multiprocessing.get_context('fork')" % (context, method))
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        if initargs is None and initializer is None:
            initargs = ()  # multiprocessing takes it so
        self._bell = _coord._Bell()  # before the first fork: workers share it
        self._core = _coord._Pool(processes, retries, max_task, max_result,
                                  queue_capacity, initializer, tuple(initargs),
                                  self._bell, maxtasksperchild or 0)
        self._processes = processes
        self._max_task = max_task
        self._initializer = initializer
        self._init_error = None  # (message, the initializer's exception)
        self._pid = os.getpid()
        # task id -> its Future or _Chunk, or the result that came before
        # the id was registered (_register)
        self._jobs = {}
        self._core.bind(self._jobs)
        # Jobs with callbacks whose outcome is committed, for the result
        # thread to queue their callbacks (_deliver); chunks with items
        # still to send after their worker stopped for room (_resend_all).
        # commit() appends to them: see "Collecting".
        self._owed = collections.deque()
        self._owe = self._owed.append
        self._resend = collections.deque()
        self._fns = {}  # function -> (its __module__, __qualname__, _fn_part)
        self._trim_at = _TRIM_MIN  # len(_jobs) at which a submit drains (_trim)
        self._role = threading.Lock()
        self._cv = threading.Condition(threading.Lock())
        self._sleepers = 0           # threads asleep on _cv
        self._calls = collections.deque()  # (job, callback, argument)
        self._interrupted = None     # see _unpickle (the role's holder's)
        self._cb_unsettled = 0       # jobs with callbacks whose result is not in
        self._cb_owed = 0            # ... plus callbacks queued or running
        self._thread = None          # the last result thread started
        self._serving = False        # ... and it has not decided to end
        self._stopped = False        # terminate(): no callback runs any more
        self._closed = False
        self._terminated = False
        _pools.add(self)

    # -- task plumbing -------------------------------------------------------
    def _check_running(self):
        if self._closed:
            raise ValueError("Pool not running")
        if self._init_error is not None:
            message, cause = self._init_error
            raise InitializerError(message) from cause

    def _register(self, tid, job):
        # For a job whose task was submitted without one (the submits of
        # Pool register theirs with the task: _submit, _send). The core
        # decides between this and a collector (in C, under the GIL):
        # another thread may have collected the result before the id came
        # here; then the result is attached to job (pending) and settled
        # here.
        pair = self._core.register(tid, job)
        if pair is not None:
            self._settle(pair)
            if self._sleepers:
                self._wake()
            # A signal handler's exception kept by _unpickle here is not
            # raised here: the caller would lose the job it registered.
            # The next wait raises it (_await).

    def _trim(self):
        """Collect the results already in, without blocking, once many jobs
        are registered. A Future (or map) nobody waits on stays in _jobs
        until some wait collects its result: a loop of apply_async whose
        Futures are dropped would otherwise keep every one of them, and
        its result in the core, for ever (multiprocessing's cache lets
        them go as they come in). Called before anything is submitted, so
        a signal handler's exception raised here loses no job. The mark
        doubles over the jobs still pending, so the cost stays one drain
        per as many submits as there are jobs."""
        if len(self._jobs) >= self._trim_at:
            self._drain()
            self._trim_at = max(_TRIM_MIN, 2 * len(self._jobs))

    def _submit(self, fn, args, kwargs, callback=None, error_callback=None):
        self._check_running()
        self._trim()
        try:
            task = self._fn_part(fn) + _dumps((tuple(args), dict(kwargs)), _PROTOCOL)
        except Exception as e:
            # As multiprocessing: a call that cannot be sent (it does not
            # pickle) fails its own result, get() raises it and
            # error_callback gets it; apply_async does not raise.
            return self._unsent_call(e, callback, error_callback)
        # The core registers the Future with the submit, setting its id
        # (_IDS): a signal handler's exception raised once the task has
        # gone finds it registered, so its result is collected and its
        # callback runs (and join() does not wait for it for ever).
        fut = Future(self, None, None, callback, error_callback)
        if callback is None and error_callback is None:
            try:
                self._core.submit(task, -1, fut, None, _IDS)
            except _coord.EMSGSIZE as e:
                return self._unsent_call(e, None, None)
        else:
            self._expect_callback()
            try:
                self._core.submit(task, -1, fut, None, _IDS)
            except BaseException as e:
                if fut._id is not None:  # a handler's, the task gone: still owed
                    raise
                self._callback_cancelled()
                if isinstance(e, _coord.EMSGSIZE):
                    return self._unsent_call(e, callback, error_callback)
                raise
        return fut

    def _unsent_call(self, exc, callback, error_callback):
        """The Future of a call that could not be sent, failed with exc
        (its error_callback runs in the result thread)."""
        fut = Future(self, None, "not sent", callback, error_callback)
        if callback is not None or error_callback is not None:
            self._expect_callback()
        fut._finish(False, exc)
        return fut

    def _fn_part(self, fn):
        """The first part of a task message for fn: its pickle's length and
        its pickle. A plain or built-in function pickles by name, to the
        same bytes each time, which cost about 0.7 µs to make, more than the
        rest of a small task: they are kept (up to _FN_KEEP functions, for
        as long as its name is the same). Anything else (a partial, a bound
        method, an object with __call__) pickles by value, its state as it
        is now: every time (_by_name)."""
        by_name = _by_name(fn)
        if by_name:
            kept = self._fns.get(fn)
            if kept is not None and kept[0] == fn.__module__ and \
                    kept[1] == fn.__qualname__:
                return kept[2]
        part = _dumps(fn, _PROTOCOL)
        part = _FN_LEN.pack(len(part)) + part
        if by_name:
            if len(self._fns) >= _FN_KEEP:
                self._fns.clear()
            self._fns[fn] = (fn.__module__, fn.__qualname__, part)
        return part

    def _fn_parts(self, fn):
        """The function's part of the messages of one map or imap: made
        once when it is kept (_fn_part's by-name functions), and None
        otherwise, when each message pickles it anew, its state then."""
        return self._fn_part(fn) if _by_name(fn) else None

    def _send(self, chunk, fn=None, head=None):
        """Submit chunk's items without a result: all in one task message,
        or as many as fit max_task (fewer, by the bytes per item, until
        they fit; one item that does not fit raises coord.EMSGSIZE). fn:
        the function's part of the message, when the caller has it
        (_fn_parts). The core registers the chunk with the submit (no
        signal handler runs between them), and drops it from the deque
        `head` (_resend) then."""
        if fn is None:
            fn = self._fn_part(chunk._fn)
        items, at = chunk._items, chunk._at
        if not at and chunk._part == len(items):  # the first send: all of them
            task = fn + _dumps((items, chunk._star), _PROTOCOL)
            if len(task) <= self._max_task:
                self._core.submit(task, -1, chunk, head)
                return
        part = min(chunk._part, len(items) - at)
        while True:
            piece = items if part == len(items) else items[at:at + part]
            task = fn + _dumps((piece, chunk._star), _PROTOCOL)
            if len(task) <= self._max_task or part == 1:
                break
            part = max(1, min(part // 2, part * self._max_task // len(task)))
            chunk._part = part
        self._core.submit(task, -1, chunk, head)

    def _unpickle(self, data):
        """pickle.loads(data) for the role's holder, told apart from an
        exception that a signal handler raised while it ran (an alarm's
        timeout, KeyboardInterrupt): that one is not the pickle's, and the
        result must not be lost to it. An exception that a second try does
        not raise again came from outside: the value is returned, and the
        exception kept in _interrupted, which the collector raises once
        the job is settled (as multiprocessing's wait raises it, with no result
        lost). What both tries raise is the pickle's: raised (the first).
        Two tries that raise exceptions of different types had one from
        outside (in either try) and the pickle's: a third try tells them
        apart (the pickle's comes again); the pickle's is raised and the
        other kept as above, so that a broken pickle cut short by Ctrl-C
        neither loses its job nor swallows the Ctrl-C. Handlers run in the
        main thread only: elsewhere a first try that fails alone was a
        pickle's whim, and its value stands. The pickle's exception comes
        as _BadResult(it): a caller catches that, and what a signal
        handler raises anywhere else goes through it (_settle)."""
        try:
            return _loads(data)
        except BaseException as e:
            first = e
        try:
            value = _loads(data)
        except BaseException as e:
            second = e
        else:
            self._keep_interrupted(first)
            return value
        if type(second) is not type(first):
            try:
                value = _loads(data)
            except BaseException as e:
                if type(e) is type(second):  # the pickle's: the second
                    first, second = second, first
            else:  # both came from outside: the first is raised
                self._keep_interrupted(first)
                return value
            self._keep_interrupted(second)
        raise _BadResult(first) from None

    def _keep_interrupted(self, e):
        """Keep e (a signal handler's, _unpickle) for _raise_interrupted:
        the main thread's first one only."""
        if self._interrupted is None and \
                threading.current_thread() is threading.main_thread():
            self._interrupted = e

    def _raise_interrupted(self):
        """Raise what _unpickle kept in this (the main) thread, if any."""
        if self._interrupted is not None and \
                threading.current_thread() is threading.main_thread():
            e, self._interrupted = self._interrupted, None
            raise e

    def _chunk_reply(self, chunk, payload):
        """What a worker's reply to a chunk's message makes of the chunk:
        (names, values, sink) for commit (see _settle); changes nothing.
        Its results, then maybe the failure of the next item; the items
        after go again (_resend_all)."""
        at = chunk._at
        try:
            status, count, frames = _HEAD.unpack_from(payload)
            # Slices of a small reply are copied: cheaper than a memoryview.
            view = payload if len(payload) <= 4096 else memoryview(payload)
            off = _HEAD.size
            new = []
            for _ in range(frames):
                (n,) = _FRAME.unpack_from(payload, off)
                new += self._unpickle(view[off + 4:off + 4 + n])
                off += 4 + n
            # Each reply but a failure's carries a result at least: the
            # items left always get fewer.
            if len(new) != count or (count == 0 and status != _CHUNK_FAILED):
                raise ValueError("%d results for %d items" % (len(new), count))
            if status == _CHUNK_FAILED:  # the next item's failure follows
                fkind, fpayload = payload[off], payload[off + 1:]
        except _MALFORMED as b:
            e = _why(b)
            err = TaskError("task %s: its chunk's results could not be unpickled "
                            "here: %s: %s" % (chunk._base + at, type(e).__name__, e))
            err.__cause__ = e
            return _FAILED, (True, False, err, ()), chunk._sink
        values = chunk._values + new if chunk._values else new
        at += count
        if status == _CHUNK_FAILED:
            err = self._failure(chunk, 0, fkind, fpayload, "", 0, 0, chunk._base + at)
            return _REPLY_FAILED, (values, at, True, False, err, ()), chunk._sink
        if at < len(chunk._items):
            return _REPLY, (values, at), self._resend.append
        return _REPLY_FAILED, (values, at, True, True, None, ()), chunk._sink

    def _resend_all(self):
        """Send the items left of the chunks in _resend (their workers
        stopped for room). Restartable: a chunk leaves the deque with the
        submit that registers it (_send), or with the commit that fails it."""
        resend = self._resend
        while resend:
            chunk = resend[0]
            try:
                self._send(chunk, None, resend)
            except _UNSENT as e:  # not a signal handler's: that one goes through
                self._core.commit(None, chunk, _FAILED, (True, False, e, ()),
                                  chunk._sink, resend)

    def _initializer_failed(self, payload):
        try:
            cause = self._unpickle(payload)
        except _BadResult as b:
            cause = _why(b)
        name = getattr(self._initializer, "__qualname__", None) or repr(self._initializer)
        message = "Pool(initializer=%s) raised in a worker: %s: %s" % (
            name, type(cause).__name__, cause)
        self._init_error = (message, cause)
        err = InitializerError(message)
        err.__cause__ = cause
        return err

    def _failure(self, job, status, kind, payload, cause, attempts, wstatus, index=None):
        """The exception a task (or a chunk, at its first item without a
        result, `index` when given) fails with."""
        if index is None:
            index = job._index
        if status == _DIED:
            return WorkerDied(index, cause, attempts, wstatus, job._span())
        if kind == _TEXT:
            return TaskError("task %s: %s" % (index, payload.decode("utf-8", "replace")))
        if kind == _ENCODING:
            try:
                why, value = self._unpickle(payload)
                if type(why) is not str or type(value) is not str:
                    raise TypeError("not two strs")
                return ResultEncodingError(
                    "task %s: its result %s could not be pickled in the worker: %s"
                    % (index, value, why), why, value)
            except _MALFORMED as b:
                e = _why(b)
                err = TaskError("task %s: a malformed failure: %s: %s" % (
                    index, type(e).__name__, e))
                err.__cause__ = e
                return err
        if kind == _INIT:
            return self._initializer_failed(payload)
        if kind == _EXCEPTION:
            # It came from a worker: it may not unpickle here (an exception
            # class whose __init__ takes other arguments, a class only the
            # worker imported). That fails this task, not the pool.
            try:
                return self._unpickle(payload)
            except _BadResult as b:
                e = _why(b)
                err = TaskError("task %s: its exception could not be unpickled here: "
                                "%s: %s" % (index, type(e).__name__, e))
                err.__cause__ = e
                return err
        return _coord.errors.get(status, _coord.Error)(
            "task %s failed: %s" % (index, _coord.strerror(status)))

    def _settle(self, pair):
        """Settle the job of pair (job, result), which the core keeps
        pending until commit (see "Collecting"): what the result makes of
        the job is worked out first, changing nothing (a signal handler's
        exception raised meanwhile leaves the pair to the next collector,
        which starts again), then committed in one C call. Returns whether
        this call committed it. A signal handler's exception kept by
        _unpickle is the caller's to raise (_raise_interrupted)."""
        job, res = pair
        status, kind = res[1], res[2]
        if status == 0 and kind == _CHUNK:  # a chunk's results: the most common
            names, values, sink = self._chunk_reply(job, res[3])
        else:
            if status == 0 and kind == _VALUE:
                try:
                    ok, value = True, self._unpickle(res[3])
                except _BadResult as b:
                    e = _why(b)
                    err = TaskError("task %s: its result could not be unpickled here: "
                                    "%s: %s" % (job._index, type(e).__name__, e))
                    err.__cause__ = e
                    ok, value = False, err
            else:
                ok, value = False, self._failure(job, status, kind, res[3], res[4], res[6],
                                                 res[7])
            if type(job) is Future:
                names, values, sink = _OUTCOME, (ok, value, True), \
                    self._owe if job._cb else None
            else:  # a chunk whose worker died, or an initializer's failure
                names, values, sink = _FAILED, (True, ok, value, ()), job._sink
        if not self._core.commit(pair, job, names, values, sink):
            return False
        if sink is not None:
            if sink is self._owe:
                if threading.current_thread() is not self._thread:
                    self._bell.poke()  # a wake-up: lost, the thread's tick finds it
            elif self._resend:
                self._resend_all()
        return True

    # -- collecting (see "Collecting" above) ---------------------------------
    def _drain(self):
        """Collect every result already in, without blocking: how many, or
        -1 when another thread holds the role (it collects them). A forked
        copy of the pool collects nothing (a settled Future still reads
        done)."""
        if not self._jobs and not self._resend or self._pid != _coord.self_pid():
            return 0
        if not self._role.acquire(False):
            return -1
        n = 0
        try:
            if self._resend:  # left by a signal handler's exception
                self._resend_all()
            result = self._core.result
            while self._jobs:
                try:
                    res = result(0)
                except _coord.ETIMEDOUT:
                    break
                if res is None:
                    break
                if res is not True:  # True: parked until its id is registered
                    self._settle(res)
                    if self._interrupted is not None:  # a signal handler's (_unpickle)
                        self._raise_interrupted()
                n += 1
                if self._sleepers:
                    self._wake()
        finally:
            self._role.release()
            if self._sleepers or self._cb_unsettled:
                self._after_role()
        return n

    def _wait_job(self, job, timeout):
        """Wait until job (a Future or _Chunk) is done and its callback has
        run; ResultTimeout when `timeout` seconds pass first."""
        deadline = _deadline(timeout)
        if (job._done or self._await(job, deadline)) and \
                (not job._cb or self._wait_callback(job, deadline)):
            return
        raise ResultTimeout("task %s: no result in %s s" % (job._index, timeout))

    def _wait_for(self, job, deadline):
        """Wait until job has its outcome (its callback may still be owed);
        False at the deadline."""
        return job._done or self._await(job, deadline)

    def _await(self, job, deadline):
        """Wait until job._done (a Future's, a chunk's, or an _Until's; read
        under the GIL) holds, collecting results as the role's holder, or
        asleep while another thread holds it. False at the deadline (None:
        none). An attribute, not a function: this runs once per imap item.
        First raises a signal handler's exception that _unpickle kept in
        _register (see there)."""
        if self._interrupted is not None:
            self._raise_interrupted()
        while not job._done:
            if not self._role.acquire(False):
                if not self._sleep(lambda: not job._done and self._role.locked(),
                                   deadline):
                    return job._done
                continue
            try:
                if self._resend:  # left by a signal handler's exception
                    self._resend_all()
                result = self._core.result
                while not job._done:
                    ms = -1 if deadline is None else \
                        int(max(0.0, deadline - time.monotonic()) * 1000)
                    try:
                        res = result(ms)  # lets the GIL go while it waits
                    except _coord.ETIMEDOUT:
                        if deadline is not None and time.monotonic() >= deadline:
                            return job._done
                        continue
                    except ValueError:
                        # terminate() in another thread (between two of
                        # the wait's slices): it fails the job with
                        # ECLOSED, which the nap below waits for.
                        if not self._terminated:
                            raise
                        break
                    if res is None:  # nothing pending in the core
                        self._lost()
                        break
                    if res is not True:  # True: parked until its id is registered
                        self._settle(res)
                        if self._interrupted is not None:  # a signal handler's
                            self._raise_interrupted()
                    if self._sleepers:
                        self._wake()
                else:
                    return True
            finally:
                self._role.release()
                if self._sleepers or self._cb_unsettled:
                    self._after_role()
            # The core had nothing pending and ready() is still false: the
            # last result is being settled by a thread that is registering
            # its id (_register), which wakes us.
            nap = time.monotonic() + 0.01
            if self._sleep(lambda: not job._done, nap if deadline is None
                           else min(nap, deadline)):
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return job._done
        return True

    def _after_role(self):
        """The role was let go: wake its sleepers, and the result thread,
        which does not watch the workers while another thread collects."""
        if self._sleepers:
            self._wake()
        if self._cb_unsettled and threading.current_thread() is not self._thread:
            self._bell.poke()

    def _sleep(self, blocked, deadline):
        """Sleep on _cv while blocked() holds (read under its lock, so that
        a wake-up after the change cannot be missed), until the deadline
        (None: none), in slices of at most 100 ms; False at the deadline.
        A forked copy of the pool raises: nobody there would wake it."""
        if self._pid != _coord.self_pid():
            raise RuntimeError("a coord.Pool can only be used by the process that "
                               "created it")
        cv = self._cv
        with cv:
            self._sleepers += 1
            try:
                while blocked():
                    t = 0.1
                    if deadline is not None:
                        t = min(t, deadline - time.monotonic())
                        if t <= 0:
                            return False
                    cv.wait(t)
            finally:
                self._sleepers -= 1
        return True

    def _wake(self):
        with self._cv:
            self._cv.notify_all()

    def _lost(self):
        """The core has nothing pending: fail every task or chunk still
        registered (never expected: each result settles its job), so that
        no wait spins. Results whose ids are not registered yet stay."""
        for tid, job in list(self._jobs.items()):
            if not isinstance(job, tuple) and self._jobs.pop(tid, None) is job:
                job._finish(False, TaskError("task %s: its result was lost" % (job._index,)))

    # -- callbacks (see "Callbacks" above) ------------------------------------
    def _expect_callback(self):
        """A job with callbacks is about to be submitted: count it, and have
        the result thread running (started, or woken from its linger)."""
        if self._pid != _coord.self_pid():
            raise RuntimeError("a coord.Pool can only be used by the process that "
                               "created it")
        with self._cv:
            self._cb_unsettled += 1
            self._cb_owed += 1
            thread, first = None, self._cb_unsettled == 1
            if not self._serving:
                bell = self._bell
                ref = weakref.ref(self, lambda _, bell=bell: bell.poke())
                thread = self._thread = threading.Thread(
                    target=_result_thread, args=(ref, bell),
                    name="coord.Pool-results", daemon=True)
                self._serving = True
        if thread is None:
            if first:
                self._bell.poke()  # it may linger, watching nothing
            return
        try:
            thread.start()
        except BaseException:
            with self._cv:
                if self._thread is thread:
                    self._serving = False
            self._callback_cancelled()
            raise

    def _callback_cancelled(self):
        """The job counted by _expect_callback was not submitted."""
        with self._cv:
            self._cb_unsettled -= 1
            self._cb_owed -= 1
            if self._sleepers:
                self._cv.notify_all()

    def _callback_due(self, job, fn, arg):
        """job's outcome is in: queue fn(arg) for the result thread. With fn
        None (only the other callback was given), or after terminate(),
        nothing is owed any more."""
        with self._cv:
            self._cb_unsettled -= 1
            if fn is not None and not self._stopped:
                self._calls.append((job, fn, arg))
            else:
                job._cb = False
                self._cb_owed -= 1
                if self._sleepers:
                    self._cv.notify_all()
                return
        if threading.current_thread() is not self._thread:
            self._bell.poke()

    def _serve(self, expired):
        """One round of the result thread: run the callbacks queued, collect
        what is in (unless another thread holds the role: it collects, and
        pokes as it lets go), run their callbacks. Returns how the thread
        sleeps next (_STOP: it ends) and how many results it collected (-1:
        the role was taken). `expired`: it lingered _LINGER_MS for nothing."""
        got = 0
        try:
            self._deliver_owed()
            self._run_callbacks()
            if self._cb_unsettled:
                got = self._drain()
                self._deliver_owed()
                self._run_callbacks()
        except BaseException as e:  # the core is gone (terminate), or a result
            if not self._terminated:  # unpickled into an exit
                _report(e)
        with self._cv:
            if self._thread is not threading.current_thread():
                return _STOP, got
            if self._calls and not self._stopped:
                return _AGAIN, got
            if self._cb_unsettled and not self._stopped:
                return (_WATCH if got >= 0 else _BUSY), got
            if self._stopped or not self._cb_owed and (self._closed or expired):
                self._serving = False
                return _STOP, got
            return _IDLE, got

    def _run_callbacks(self):
        while self._run_one():
            pass

    def _deliver_owed(self):
        """Queue the callbacks of the jobs whose outcomes were committed
        (_owed): the result thread's, where no signal handler runs, so that
        none cuts this short (and terminate()'s). True if any was."""
        owed = self._owed
        any_ = False
        while owed:
            try:
                job = owed.popleft()
            except IndexError:  # another thread took the last
                break
            job._deliver()
            any_ = True
        return any_

    def _run_one(self):
        """Run the first callback queued (the result thread); False when
        none is, or after terminate()."""
        cv = self._cv
        with cv:
            if not self._calls or self._stopped:
                return False
            job, fn, arg = self._calls.popleft()
        try:
            fn(arg)
        except BaseException as e:
            _report(e)
        with cv:
            job._cb = False
            self._cb_owed -= 1
            if self._sleepers:
                cv.notify_all()
        return True

    def _wait_callback(self, job, deadline):
        """Wait until job's callback (if owed) has run; False at the
        deadline."""
        if not job._cb:
            return True
        if threading.current_thread() is self._thread:
            # A callback waits for another job: run the callbacks queued
            # before that job's here. One that is not queued is running (the
            # caller's own): its outcome is all there is to wait for.
            while job._cb and (self._deliver_owed() or self._run_one()):
                pass
            return True
        return self._sleep(lambda: job._cb and not self._stopped, deadline)

    # -- the multiprocessing.Pool API ----------------------------------------
    def submit(self, fn, *args, **kwargs):
        """Run fn(*args, **kwargs) in a worker; returns a Future."""
        return self._submit(fn, args, kwargs)

    def apply_async(self, fn, args=(), kwds=None, callback=None, error_callback=None):
        """Run fn(*args, **kwds) in a worker; returns a Future (an AsyncResult:
        get, ready, successful, wait). callback(result) or
        error_callback(exception) runs in the pool's result thread as soon
        as the result is in, whatever the program does meanwhile; the
        Future is ready once it has run."""
        return self._submit(fn, args, kwds or {}, callback, error_callback)

    def apply(self, fn, args=(), kwds=None):
        return self.apply_async(fn, args, kwds).result()

    def _map_async(self, fn, iterable, chunksize, star, callback, error_callback):
        """map's chunks, sent now: chunksize None picks it as
        multiprocessing does (about 4 chunks per worker)."""
        self._check_running()
        self._trim()
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
        # Chunks of a map with callbacks are counted (_chunk_done) by the
        # result thread (_deliver_owed); a map without is ready when all
        # its chunks are done (MapResult.ready).
        sink = self._owe if result._owes else None
        chunks = [_Chunk(fn, items[i:i + chunksize], star, i, sink)
                  for i in range(0, n, chunksize or 1)]
        if sink is not None:
            for c in chunks:
                c._map = result
        owed = callback is not None or error_callback is not None
        if owed:
            self._expect_callback()
        try:
            result._start(chunks)
            try:
                part = self._fn_parts(fn)
            except Exception:
                part = None  # each chunk's _send says why (the fn does not pickle)
            for c in chunks:
                try:
                    self._send(c, part)
                except Exception as e:
                    # As multiprocessing: a chunk that cannot be sent (an
                    # item does not pickle, or is over max_task) fails the
                    # map at its turn (get() raises it, error_callback gets
                    # it); the pool gone (ECLOSED) raises here.
                    self._unsent(c, e)
        except BaseException:
            # The map is not returned: its callbacks are off (the chunks
            # sent are collected and dropped; those not sent never finish).
            if owed and not result._finished:
                result._callback = result._error_callback = None
                self._callback_cancelled()
            raise
        return result

    def map(self, fn, iterable, chunksize=None):
        """[fn(x) for x in iterable], computed by the workers, in order, in
        chunks of `chunksize` items (None: about 4 chunks per worker, as
        multiprocessing chooses). The first failure (the exception of the
        first item that raised, or WorkerDied, whose .index is the first
        item of its chunk without a result) is raised after every chunk
        has finished."""
        return self._map_async(fn, iterable, chunksize, False, None, None).get()

    def starmap(self, fn, iterable, chunksize=None):
        """map with fn(*args) for each args of the iterable."""
        return self._map_async(fn, iterable, chunksize, True, None, None).get()

    def map_async(self, fn, iterable, chunksize=None, callback=None,
                  error_callback=None):
        """map's chunks, sent now; returns a MapResult (get, ready,
        successful, wait) whose get() returns map's list. callback(list) or
        error_callback(first failure) runs in the pool's result thread."""
        return self._map_async(fn, iterable, chunksize, False, callback, error_callback)

    def starmap_async(self, fn, iterable, chunksize=None, callback=None,
                      error_callback=None):
        return self._map_async(fn, iterable, chunksize, True, callback, error_callback)

    # Chunks imap and imap_unordered keep in flight: they take the iterable
    # as results come back (an endless generator works, as with
    # multiprocessing), yet enough at once that the workers never idle.
    _WINDOW = 256

    def _chunks(self, fn, items, chunksize, sink=None):
        """Chunks of `chunksize` items taken from the iterator `items`, each
        sent as it is made. One that cannot be sent (an item that does not
        pickle, or over max_task) comes failed with why; when the iterable
        raises, a chunk failed with its exception comes last (multiprocessing
        fails the items so, at their turn, after the results before them)."""
        part = self._fn_parts(fn)
        base = 0
        try:
            if chunksize == 1:
                for x in items:
                    chunk = _Chunk(fn, [x], False, base, sink)
                    base += 1
                    try:
                        self._send(chunk, part)
                    except Exception as e:
                        self._unsent(chunk, e)
                    yield chunk
                return
            while True:
                piece = list(itertools.islice(items, chunksize))
                if not piece:
                    return
                chunk = _Chunk(fn, piece, False, base, sink)
                base += len(piece)
                try:
                    self._send(chunk, part)
                except Exception as e:
                    self._unsent(chunk, e)
                yield chunk
        except Exception as e:  # the iterable raised (or the pool is gone):
            # no sink, it comes last
            chunk = _Chunk(fn, [], False, base)
            chunk._finish(False, e)
            yield chunk

    def _unsent(self, chunk, e):
        """chunk could not be sent: it fails with why (an item that does not
        pickle, or over max_task), unless the pool takes no more work
        (joined, terminated, or a forked copy): then that ends the imap."""
        if self._terminated or isinstance(e, _coord.ECLOSED) or \
                self._pid != _coord.self_pid():
            raise e
        chunk._finish(False, e)

    def imap(self, fn, iterable, chunksize=1):
        """Yield fn(x) in the iterable's order, taking the iterable as results
        come back, `chunksize` items to a task message; a failed item
        raises when its turn comes."""
        self._check_running()
        box = [None]
        return _Imap(self._imap(fn, iter(iterable), _chunksize(chunksize), box), box)

    def _next_waited(self, job, box):
        """Wait for job (a chunk, or an _Until) within the timeout that the
        iterator's next(timeout) put in box (None: no limit). None when it
        is done, else the _Failed to yield in the result's place: the
        generator yields it and waits for the same result next time."""
        timeout = box[0]
        try:
            deadline = _deadline(timeout)
        except (TypeError, ValueError) as e:
            return _Failed(e)
        try:
            if self._await(job, deadline):
                return None
        except BaseException as e:
            # A signal handler's (Ctrl-C, an alarm's), raised in the wait:
            # through the generator it would end the imap.
            return _Failed(e)
        return _Failed(ResultTimeout("imap: no result in %s s" % (timeout,)))

    def _imap(self, fn, items, chunksize, box):
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
            chunk = window[0]
            if not chunk._done:
                if box[0] is None:  # next(it), or next(timeout=None)
                    try:
                        self._await(chunk, None)  # no deadline: True
                    except BaseException as e:
                        # A signal handler's (Ctrl-C, an alarm's): raised
                        # from this next(); the next one waits again (an
                        # exception through the generator would end it).
                        yield _Failed(e)
                        continue
                else:
                    late = self._next_waited(chunk, box)
                    if late is not None:
                        yield late
                        continue
            window.popleft()
            yield from chunk._values
            if not chunk._ok:
                if chunksize != 1:
                    raise chunk._value
                yield _Failed(chunk._value)

    def imap_unordered(self, fn, iterable, chunksize=1):
        """Yield fn(x) as workers finish them (chunk by chunk, in the order
        the chunks finish); a failed item raises when its turn comes."""
        self._check_running()
        box = [None]
        return _Imap(self._imap_unordered(fn, iter(iterable), _chunksize(chunksize), box),
                     box)

    def _imap_unordered(self, fn, items, chunksize, box):
        done = collections.deque()
        chunks = self._chunks(fn, items, chunksize, done.append)
        limit = max(self._WINDOW, 8 * self._processes)
        inflight, more, last = 0, True, None
        while True:
            while more and inflight < limit:
                chunk = next(chunks, None)
                if chunk is None:
                    more = False
                elif chunk._sink is None:  # the iterable raised (_chunks)
                    more, last = False, chunk
                else:
                    inflight += 1
            if not inflight:
                if last is not None:
                    raise last._value
                return
            if not done:
                late = self._next_waited(_Until(lambda: done), box)
                if late is not None:
                    yield late
                    continue
            chunk = done.popleft()
            inflight -= 1
            yield from chunk._values
            if not chunk._ok:
                if chunksize != 1:
                    raise chunk._value
                yield _Failed(chunk._value)

    def close(self):
        """No more tasks; the workers leave once the queued ones are done."""
        self._closed = True
        if self._serving:
            self._bell.poke()  # a lingering result thread ends now

    def join(self, timeout=None):
        """Wait for every task, every callback and every worker (after
        close()); timeout as Future.result's (coord.ETIMEDOUT when it passes
        first). The result thread has ended when it returns."""
        if not self._closed:
            raise ValueError("Pool is still running (call close() first)")
        if self._terminated:
            return  # terminate() reaped every worker (multiprocessing's idiom)
        thread = self._thread
        if thread is not None and thread is threading.current_thread():
            raise RuntimeError("Pool.join() called from one of the pool's callbacks: "
                               "it would wait for the thread that runs them")
        deadline = _deadline(timeout)
        ours = self._pid == _coord.self_pid()
        # Every result first: a chunk's items may have to go again.
        if ours and not self._await(_Until(self._no_jobs), deadline):
            raise _coord_error(_coord.ETIMEDOUT, "Pool.join: %d tasks still "
                               "running after %s s" % (len(self._jobs), timeout))
        ms = -1 if deadline is None else int(max(0.0, deadline - time.monotonic()) * 1000)
        self._core.shutdown(ms if ms != 0 else 1)
        self._drain()
        if not ours:
            return
        # Then their callbacks, in the result thread, which then ends.
        if thread is None:
            return
        self._bell.poke()
        if not self._sleep(lambda: self._cb_owed and not self._stopped, deadline):
            raise _coord_error(_coord.ETIMEDOUT, "Pool.join: %d callbacks still to "
                               "run after %s s" % (self._cb_owed, timeout))
        thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def _no_jobs(self):
        # Only results whose ids are being registered (a submit racing
        # close) may stay: their registration settles them.
        return not self._resend and \
            not any(not isinstance(j, tuple) for j in self._jobs.values())

    def terminate(self):
        """SIGKILL and reap every worker now; pending tasks are dropped (they
        fail with coord.ECLOSED, their callbacks not run), and so are the
        callbacks not yet run: none runs once this returns (one running
        now is waited for, unless a callback calls terminate()). join()
        afterwards returns at once."""
        self._terminate(True)

    def _terminate(self, wait):
        self._closed = True
        self._terminated = True
        if self._pid != _coord.self_pid():  # a forked copy: forget the pool
            self._core.destroy()
            self._jobs.clear()
            return
        with self._cv:
            self._stopped = True
            for job, _, _ in self._calls:
                job._cb = False
            self._cb_owed -= len(self._calls)
            self._calls.clear()
            thread = self._thread
        self._core.destroy()
        for tid in list(self._jobs):
            job = self._jobs.pop(tid, None)
            if job is not None and not isinstance(job, tuple):
                job._finish(False, _coord.ECLOSED("Pool terminated"))
        # One at a time off the head: a collector whose resend failed
        # (the pool gone) may take the first meanwhile (its commit drops
        # it from the head), and each is failed once, by one of them.
        while True:
            try:
                chunk = self._resend.popleft()
            except IndexError:
                break
            chunk._finish(False, _coord.ECLOSED("Pool terminated"))
        self._deliver_owed()  # none is queued (_stopped): each is let go
        self._bell.poke()
        self._wake()
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join()

    def stats(self):
        """Counters: workers, live, submitted, succeeded, failed, deaths,
        retired (workers that exited after maxtasksperchild tasks), restarts
        (replacements, after deaths and retirements), retried, pending (of
        task messages: a chunk is one)."""
        return self._core.stats()

    def worker_pids(self):
        """The pids of the live workers."""
        return self._core.pids()

    def __reduce__(self):
        # multiprocessing's own words (its Pool.__reduce__): a pool is its
        # workers and its queues in this process; pickling it (a Process
        # argument under spawn or forkserver) would say "cannot pickle
        # 'coord._Bell' object" otherwise.
        raise NotImplementedError(
            "pool objects cannot be passed between processes or pickled")

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
