# SPDX-License-Identifier: MIT
"""coord.Manager: a client of coord's manager server (dicts and lists of
ints, floats, str, bytes, or pickled objects), one round trip per call or
many in one batch."""

import errno
import os

from . import _coord

_OK = 0
_self_pid = _coord.self_pid


def _check(status, what, key=None):
    if status >= 0:
        return
    if status == -4006 and key is not None:   # COORD_ENOTFOUND
        raise KeyError(key)
    if status in (-34, -61):                  # COORD_ERANGE, COORD_ENODATA
        raise IndexError("list index out of range")
    raise _coord.errors.get(status, _coord.Error)(
        "%s: %s" % (what, _coord.strerror(status)))


class Manager:
    """Manager(socket=None)

    socket=None starts a manager server owned by this process (stopped by
    shutdown(), at exit, or when this process dies); a path connects to a
    running one (`coord manager --socket PATH`, or another process's
    Manager: see .address). Each process opens its own connection on first
    use, so a Manager (and its dicts and lists) can be passed to forked
    and spawned children; it pickles by socket path.
    """

    def __init__(self, socket=None):
        self._server = None
        if socket is None:
            self._server = _coord._MServer()
            socket = self._server.path
        self.address = os.fspath(socket)
        self._clients = {}
        self._anon = 0

    def _client(self):
        pid = _self_pid()  # each process its own connection (after a fork too)
        c = self._clients.get(pid)
        if c is None:
            self._clients = {pid: _coord._MClient(self.address)}
            c = self._clients[pid]
        return c

    def _name_and_content(self, kind, args, name):
        """dict()'s and list()'s arguments: (the name, a tuple of the
        content argument or nothing). A str first argument is a name; no
        name at all gets one no other object of this manager has (as a
        multiprocessing-style mgr.dict() / mgr.list() makes a new one)."""
        if len(args) > 1:
            raise TypeError("%s expected at most 1 argument, got %d"
                            % (kind, len(args)))
        if args and isinstance(args[0], str):
            if name is not None:
                raise TypeError("%s: the name given twice" % kind)
            name, args = args[0], ()
        if name is None:
            self._anon += 1
            name = "_%s.%d.%d.%s" % (kind, os.getpid(), self._anon,
                                     os.urandom(4).hex())
        return name, args

    def dict(self, *args, name=None, **kw):
        """The shared dict `name` (created on first write).

        mgr.dict("counts") names it (every process that asks for "counts"
        shares it). As multiprocessing's Manager().dict(), mgr.dict(),
        mgr.dict(mapping_or_pairs) and mgr.dict(**kw) make a new dict under
        a name of its own (the proxy's .name; the proxy pickles to
        children), filled in one round trip. A str first argument is a
        name, not content: a dict cannot be made from a str anyway.
        Unlike multiprocessing's, the dict stays on the server when its
        proxies are gone, its entries counted against the server's limits,
        until it is emptied (clear()): docs/python.md, "Differences".
        """
        name, args = self._name_and_content("dict", args, name)
        d = DictProxy(self, name)
        if args or kw:
            d.update(*args, **kw)
        return d

    def list(self, *args, name=None):
        """The shared list `name` (created on first append).

        mgr.list("jobs") names it. As multiprocessing's Manager().list(),
        mgr.list() and mgr.list(iterable) make a new list under a name of
        its own (.name), filled in one round trip. A str first argument is
        a name (multiprocessing's Manager().list("abc") would hold three
        characters: pass list("abc") for that). Unlike multiprocessing's,
        the list stays on the server when its proxies are gone, until it
        is emptied: docs/python.md, "Differences"."""
        name, args = self._name_and_content("list", args, name)
        lst = ListProxy(self, name)
        if args:
            lst.extend(args[0])
        return lst

    def batch(self):
        """`with mgr.batch() as b:` queue operations (b.dict(name)[k] = v,
        b.get, b.incr, ...); they run in one round trip when the block
        ends, in order and without other clients' operations in between.
        Each call returns a Pending whose .value is set then."""
        return Batch(self)

    def shutdown(self):
        """Stop the server this Manager started (no-op for a client; in a
        forked child of the starter it lets go of the child's copy only)."""
        self._clients = {}
        # Taken before the stop, which lets the GIL go while it waits for
        # the server: another thread's shutdown() meanwhile has nothing
        # left to stop.
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()
        return False

    def __reduce__(self):
        return (Manager, (self.address,))

    def __repr__(self):
        return "<coord.Manager %s%s>" % (self.address, " (server)" if self._server else "")


_MISSING = object()


class DictProxy:
    """A shared dict on the manager: d[k], d[k] = v, del d[k], k in d,
    get, set, incr, cas, pop, popitem, setdefault, update, clear, copy,
    keys, values, items, len. Keys are str."""

    __slots__ = ("_mgr", "name")

    def __init__(self, mgr, name):
        self._mgr, self.name = mgr, name

    def __getitem__(self, key):
        return self._mgr._client().get(self.name, key)

    def get(self, key, default=None):
        try:
            return self._mgr._client().get(self.name, key)
        except KeyError:
            return default

    def __setitem__(self, key, value):
        self._mgr._client().set(self.name, key, value)

    set = __setitem__

    def __delitem__(self, key):
        self._mgr._client().delete(self.name, key)

    def __contains__(self, key):
        try:
            self._mgr._client().get(self.name, key)
            return True
        except KeyError:
            return False

    def incr(self, key, delta=1):
        """Atomically add delta (a missing key counts as 0); the new value."""
        return self._mgr._client().incr(self.name, key, delta)

    def cas(self, key, expected, new):
        """Store new only if the value is `expected` (None: key absent)."""
        return self._mgr._client().cas(self.name, key, expected, new)

    def pop(self, key, default=_MISSING):
        """Remove key and return its value, in one round trip that no other
        client's operation splits (a batch); KeyError, or `default`, when
        it is absent."""
        with self._mgr.batch() as b:
            got = b.dict(self.name).get(key)
            b.dict(self.name).delete(key)
        try:
            return got.value
        except KeyError:
            if default is _MISSING:
                raise
            return default

    def setdefault(self, key, default=None):
        """d[key] if present, else store `default` and return what the
        dict then holds: a cas from absent and a get in one round trip (a
        batch) that no other client's operation splits, so a key another
        client deletes meanwhile cannot make it raise KeyError."""
        with self._mgr.batch() as b:
            bd = b.dict(self.name)
            stored = bd.cas(key, None, default)
            got = bd.get(key)
        stored.value  # a default the server refused raises its error
        return got.value

    def update(self, /, *args, **kw):
        """d[k] = v for each pair of the argument (a mapping: anything with
        keys(), as dict.update takes; or pairs) and of kw (any keyword,
        `other` and `self` too), in one round trip (a batch); more pairs
        than one batch may hold go in several (see ListProxy.extend)."""
        if len(args) > 1:
            raise TypeError("update expected at most 1 argument, got %d"
                            % len(args))
        pairs = []
        if args:
            other = args[0]
            if hasattr(other, "keys"):
                pairs = [(k, other[k]) for k in other.keys()]
            else:
                for i, pair in enumerate(other):
                    pair = tuple(pair)
                    if len(pair) != 2:
                        raise ValueError(
                            "dictionary update sequence element #%d has "
                            "length %d; 2 is required" % (i, len(pair)))
                    pairs.append(pair)
        with Batch(self._mgr, split=True) as b:
            bd = b.dict(self.name)
            done = [bd.set(k, v) for k, v in pairs]
            done += [bd.set(k, v) for k, v in kw.items()]
        # A pair the server refused (a value over its max_value, a dict
        # full by max_entries or max_bytes) raises its error, as d[k] = v
        # does; the other pairs of the batch are stored.
        for p in done:
            p.value

    def clear(self):
        """Delete every key seen by one keys() call, in one round trip (a
        key another client adds meanwhile stays)."""
        keys = self.keys()
        if keys:
            with Batch(self._mgr, split=True) as b:
                bd = b.dict(self.name)
                for k in keys:
                    bd.delete(k)

    def copy(self):
        """A plain dict of the items now (a snapshot, not shared)."""
        return dict(self.items())

    def popitem(self):
        """Remove and return some (key, value) pair (the last of keys());
        KeyError when the dict is empty. The get and the delete are one
        round trip; a key another client deleted meanwhile is skipped."""
        for k in reversed(self.keys()):
            v = self.pop(k, _MISSING)
            if v is not _MISSING:
                return (k, v)
        raise KeyError("popitem(): dictionary is empty")

    def keys(self):
        return self._mgr._client().keys(self.name)

    def values(self):
        return [v for _, v in self.items()]

    def items(self):
        """(key, value) pairs; a key deleted meanwhile by another client is
        left out."""
        out = []
        for k in self.keys():
            v = self.get(k, _MISSING)
            if v is not _MISSING:
                out.append((k, v))
        return out

    def __len__(self):
        return self._mgr._client().dict_len(self.name)

    def __iter__(self):
        return iter(self.keys())

    def __reduce__(self):
        return (DictProxy, (self._mgr, self.name))

    def __repr__(self):
        return "<coord dict %r on %s>" % (self.name, self._mgr.address)

    def __str__(self):
        """The contents, as multiprocessing's proxies print (their str()
        is the referent's repr: print(d) shows the dict); repr() stays
        the proxy's."""
        return repr(self.copy())


class ListProxy:
    """A shared list on the manager: append, extend, l[i], pop, len."""

    __slots__ = ("_mgr", "name")

    def __init__(self, mgr, name):
        self._mgr, self.name = mgr, name

    def append(self, value):
        return self._mgr._client().append(self.name, value)

    def extend(self, values):
        """append() each of `values`, in one round trip (a batch): no other
        client's element lands between them. More values than one batch
        may hold (the server's max_batch, 4096 by default, or max_frame)
        go in several batches, each of them atomic."""
        values = list(values)
        if values:
            with Batch(self._mgr, split=True) as b:
                bl = b.list(self.name)
                done = [bl.append(v) for v in values]
            # A value the server refused raises its error, as append does
            # (the others of the batch are appended).
            for p in done:
                p.value

    def __getitem__(self, index):
        return self._mgr._client().list_get(self.name, index)

    def pop(self, index=-1):
        return self._mgr._client().list_pop(self.name, index)

    def __len__(self):
        return self._mgr._client().list_len(self.name)

    def __iter__(self):
        """l[0], l[1], ... until an index past the end, as multiprocessing's
        proxy iterates (the sequence protocol): a list that another client
        (or the loop) shortens meanwhile ends the loop early, not with
        IndexError."""
        i = 0
        while True:
            try:
                v = self[i]
            except IndexError:
                return
            yield v
            i += 1

    def __reduce__(self):
        return (ListProxy, (self._mgr, self.name))

    def __repr__(self):
        return "<coord list %r on %s>" % (self.name, self._mgr.address)

    def __str__(self):
        """The contents, as multiprocessing's proxies print (print(l)
        shows the list); repr() stays the proxy's."""
        return repr(list(self))


class Pending:
    """One operation of a batch; .value once the batch has run (raises the
    operation's error, e.g. KeyError, when it failed)."""

    __slots__ = ("_status", "_value", "_what", "_key", "_done")

    def __init__(self, what, key):
        self._what, self._key, self._done = what, key, False

    @property
    def value(self):
        if not self._done:
            raise RuntimeError("the batch has not run yet")
        _check(self._status, self._what, self._key)
        return self._value


class _BatchDict:
    __slots__ = ("_b", "_name")

    def __init__(self, b, name):
        self._b, self._name = b, name

    def __setitem__(self, key, value):
        self._b._add(_coord.MOP_SET, self._name, key, value, None, 0, key)

    def set(self, key, value):
        return self._b._add(_coord.MOP_SET, self._name, key, value, None, 0, key)

    def get(self, key):
        return self._b._add(_coord.MOP_GET, self._name, key, None, None, 0, key)

    __getitem__ = get

    def delete(self, key):
        return self._b._add(_coord.MOP_DELETE, self._name, key, None, None, 0, key)

    def incr(self, key, delta=1):
        return self._b._add(_coord.MOP_INCR, self._name, key, None, None, delta, key)

    def cas(self, key, expected, new):
        return self._b._add(_coord.MOP_CAS, self._name, key, new, expected, 0, key)

    def len(self):
        return self._b._add(_coord.MOP_DICT_LEN, self._name, None, None, None, 0, None)


class _BatchList:
    __slots__ = ("_b", "_name")

    def __init__(self, b, name):
        self._b, self._name = b, name

    def append(self, value):
        return self._b._add(_coord.MOP_LIST_APPEND, self._name, None, value, None, 0, None)

    def get(self, index):
        return self._b._add(_coord.MOP_LIST_GET, self._name, None, None, None, index, None)

    __getitem__ = get

    def pop(self, index=-1):
        return self._b._add(_coord.MOP_LIST_POP, self._name, None, None, None, index, None)

    def len(self):
        return self._b._add(_coord.MOP_LIST_LEN, self._name, None, None, None, 0, None)


class Batch:
    """See Manager.batch()."""

    # With split (extend, update, clear, and the content of mgr.dict(...)
    # and mgr.list(...)), the operations go in batches of at most this
    # many (the server's default max_batch), and a batch the client
    # refuses as too large for this server (COORD_E2BIG: more than its
    # max_batch; COORD_EMSGSIZE: a frame over its max_frame; nothing was
    # sent) is sent again in halves. A batch of the user's own
    # (Manager.batch()) is never split: it is one round trip or an error.
    _SPLIT_OPS = 4096

    def __init__(self, mgr, split=False):
        self._mgr = mgr
        self._ops = []
        self._pending = []
        self._split = split

    def _send(self, ops):
        client = self._mgr._client()
        if not self._split:
            return client.batch(ops)
        out = []
        step = self._SPLIT_OPS
        i = 0
        while i < len(ops):
            part = ops[i:i + step]
            try:
                out.extend(client.batch(part))
            except (_coord.errors[-errno.E2BIG], _coord.errors[-errno.EMSGSIZE]):
                if len(part) == 1:
                    raise
                step = (len(part) + 1) // 2
                continue
            i += len(part)
        return out

    def dict(self, name):
        return _BatchDict(self, name)

    def list(self, name):
        return _BatchList(self, name)

    def _add(self, op, name, key, value, expected, arg, errkey):
        p = Pending("Manager batch", errkey)
        self._ops.append((op, name, key, value, expected, arg))
        self._pending.append(p)
        return p

    def run(self):
        """Send the queued operations now (the with block does it)."""
        ops, pending = self._ops, self._pending
        self._ops, self._pending = [], []
        if not ops:
            return []
        counts = (_coord.MOP_DICT_LEN, _coord.MOP_LIST_LEN, _coord.MOP_LIST_APPEND)
        for p, op, (status, result) in zip(pending, ops, self._send(ops)):
            p._status, p._done = status, True
            if status < 0:
                p._value = None
            elif op[0] == _coord.MOP_CAS:
                p._value = status == 1
            elif op[0] in counts:
                p._value = status
            else:
                p._value = result
        return pending

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *rest):
        if exc_type is None:
            self.run()
        return False
