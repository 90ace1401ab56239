# SPDX-License-Identifier: MIT
"""coord: crash-safe, faster drop-ins for multiprocessing's Value, Array,
Queue, Pool and early-exit search, over libcoord (a C extension; see
docs/python.md).

    import coord
    stop = coord.Flag()            # shared with every child forked after it
    v = coord.Value('i', 0)        # multiprocessing.Value, lock-free reads
    q = coord.Queue()              # no feeder thread: nothing lost at exit
    r = coord.search(probe, 0, 10**6)   # first hit wins, the rest stop

Objects made with name="..." can be opened by unrelated processes
(coord.Queue.open(name)) and pickle by name, so spawn and forkserver
children can use them; anonymous ones reach the children multiprocessing
starts (Process arguments, Pool initargs) with any start method, by
descriptor, as multiprocessing's own Value does. Errors are coord.Error subclasses named after the
COORD_E* code (coord.ETIMEDOUT, ...), which also derive from the standard
exception Python users expect (TimeoutError, ValueError, ...). A peer that
died is coord.EPEERDIED; its subclasses say which: coord.ManagerLost (the
manager's server, also a ConnectionError) and coord.WorkerDied (a pool
worker running the task; no ConnectionError).
"""

from . import _coord
from ._coord import Error, Flag, ManagerLost, PILL, Queue, errors, gc, strerror

# The lock type (_coord.Lock) is not exported: its locks live beside a
# Value's or Array's data (get_lock()), and RLock() makes a standalone one.
__all__ = ["Error", "Flag", "ManagerLost", "PILL", "Queue", "Value", "RawValue",
           "Array", "RawArray", "RLock", "errors", "gc", "strerror"]

# coord.ETIMEDOUT, coord.ECLOSED, ...: one class per COORD_E* code.
for _cls in errors.values():
    globals()[_cls.__name__] = _cls
    __all__.append(_cls.__name__)
del _cls

__version__ = _coord.version()

from .search import SearchResult, search  # noqa: E402
from .pool import (Future, InitializerError, MapResult, Pool, ResultEncodingError,  # noqa: E402
                   ResultTimeout, TaskError, WorkerDied)
from .manager import Manager  # noqa: E402

__all__ += ["SearchResult", "search", "Future", "InitializerError", "MapResult", "Pool",
            "ResultEncodingError", "ResultTimeout", "TaskError", "WorkerDied", "Manager"]


def _typecode(typecode_or_type):
    """A typecode ('i', 'd', ...) from a typecode or a ctypes type."""
    if isinstance(typecode_or_type, str):
        return typecode_or_type
    code = getattr(typecode_or_type, "_type_", None)
    if isinstance(code, str):
        return code
    raise TypeError("expected a typecode such as 'i' or a ctypes type, got %r"
                    % (typecode_or_type,))


def _locked(lock):
    """multiprocessing's lock= argument, read as it reads it: False does
    not lock, and anything equal to True (1 too) or None does."""
    if lock is False:
        return False
    if lock in (True, None):
        return True
    if not hasattr(lock, "acquire"):
        raise AttributeError("%r has no method 'acquire'" % (lock,))
    raise TypeError("coord keeps its lock in shared memory beside the data: "
                    "lock= takes True or False, not a lock object")


class _Synchronized:
    """The lock methods of a locked Value or Array, as multiprocessing's
    synchronized wrappers have them: get_lock(), `with obj:`,
    obj.acquire() and obj.release() take the object's own lock (robust,
    re-entrant, process-shared, beside the data)."""
    __slots__ = ()

    def get_lock(self):
        """The object's lock: re-entrant, process-shared, robust."""
        return self._lock()

    def __enter__(self):
        return self._lock().__enter__()

    def __exit__(self, *exc):
        return self._lock().__exit__(*exc)

    def acquire(self, block=True, timeout=None):
        """get_lock().acquire(block, timeout)."""
        return self._lock().acquire(block, timeout)

    def release(self):
        """get_lock().release()."""
        return self._lock().release()


class Value(_Synchronized, _coord._Value):
    """Value(typecode_or_type, value=0, *, lock=True, name=None)

    A shared scalar: .value reads with one atomic load (no lock); writes
    take the value's robust lock (lock=True) or are one atomic store
    (lock=False, which returns a RawValue). get_lock() gives the lock for
    compound updates (`with v.get_lock(): v.value += 1`); add(n) and
    compare_exchange(expected, new) do the common ones in one call.
    """
    __slots__ = ()

    def __new__(cls, typecode_or_type, *args, lock=True, name=None):
        if not _locked(lock):
            cls = RawValue
        return _coord._Value.__new__(cls, _typecode(typecode_or_type), *args,
                                     lock=cls is not RawValue, name=name)



class RawValue(_coord._Value):
    """RawValue(typecode_or_type, value=0, *, name=None): a Value whose
    writes are plain atomic stores, without get_lock()."""
    __slots__ = ()

    def __new__(cls, typecode_or_type, *args, name=None):
        return _coord._Value.__new__(cls, _typecode(typecode_or_type), *args,
                                     lock=False, name=name)


def RLock():
    """A standalone robust, re-entrant, process-shared lock, as
    multiprocessing.RLock: the lock of a one-byte anonymous Value of its
    own (get_lock()). Children forked afterwards share it, and so do
    spawn and forkserver children given it at their start (it pickles as
    its Value does). There is no non-re-entrant coord Lock: a
    coord lock is released by the thread that holds it, never by another
    process, so it is no drop-in for multiprocessing.Lock used as a signal."""
    return Value("B", 0).get_lock()


def _bytes_like(data):
    """data's bytes; TypeError for what is not bytes-like (bytes(5) would be
    five zero bytes, and ctypes refuses an int)."""
    try:
        return memoryview(data).tobytes()
    except TypeError:
        raise TypeError("a bytes-like object is required, not %r"
                        % type(data).__name__) from None


class _CharArray:
    """.value and .raw of a 'c' array, as ctypes char arrays have them."""
    __slots__ = ()

    @property
    def raw(self):
        if self.typecode != "c":
            raise AttributeError("raw is only for typecode 'c'")
        return bytes(memoryview(self))

    @raw.setter
    def raw(self, data):
        if self.typecode != "c":
            raise AttributeError("raw is only for typecode 'c'")
        data = _bytes_like(data)
        if len(data) > len(self):
            raise ValueError("byte string too long")
        self[:len(data)] = data

    @property
    def value(self):
        if self.typecode != "c":
            raise AttributeError("value is only for typecode 'c'")
        return self.raw.split(b"\0", 1)[0]

    @value.setter
    def value(self, data):
        if self.typecode != "c":
            raise AttributeError("value is only for typecode 'c'")
        data = _bytes_like(data)
        if len(data) > len(self):
            raise ValueError("byte string too long")
        if len(data) < len(self):
            data += b"\0"
        self[:len(data)] = data


class Array(_Synchronized, _CharArray, _coord._Array):
    """Array(typecode_or_type, size_or_initializer, *, lock=True, name=None)

    A fixed-size shared array: indexing and slices (each element one
    atomic load or store), len(), iteration, and the buffer protocol
    (memoryview(a) is writable; numpy.frombuffer(a, ...) is zero-copy).
    get_lock() gives the array's lock for compound updates.
    """
    __slots__ = ()

    def __new__(cls, typecode_or_type, size_or_initializer, *, lock=True,
                name=None):
        if not _locked(lock):
            cls = RawArray
        return _coord._Array.__new__(cls, _typecode(typecode_or_type),
                                     size_or_initializer,
                                     lock=cls is not RawArray, name=name)



class RawArray(_CharArray, _coord._Array):
    """RawArray(typecode_or_type, size_or_initializer, *, name=None): an
    Array without get_lock()."""
    __slots__ = ()

    def __new__(cls, typecode_or_type, size_or_initializer, *, name=None):
        return _coord._Array.__new__(cls, _typecode(typecode_or_type),
                                     size_or_initializer, lock=False,
                                     name=name)
