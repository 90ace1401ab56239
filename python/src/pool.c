/* SPDX-License-Identifier: MIT */
/* pool.c: coord.Pool's core in the parent: coord_pool running pickled Python calls and chunks in forked workers (pool_worker.c), its waits letting the GIL go. */
#include "pycoord.h"

#include <string.h>
#include <unistd.h>

typedef struct {
    PyObject_HEAD
    coord_pool *p;
    pid_t creator;
    size_t max_task, max_result; /* the pool's limits, for messages */
    int shut; /* coord_pool_shutdown returned 0 */
    pc_pool_init init; /* inherited by every worker */
    PyObject *bell;    /* the coord._Bell whose page init.bell is, or NULL */
    char *rbuf;        /* max_result bytes: result() reads into it */
    /* One thread at a time in coord_pool: the turns (pool_enter). Read
     * and written with the GIL held only. */
    pc_turns turns;
    /* The holder's thread state while its wait has let the GIL go (see
     * fork_before), else NULL. */
    PyThreadState *released;
    /* Pool.py's task id -> job dict (bind), and the results taken from
     * the core whose jobs are not settled yet: (job, result) pairs, in
     * the order taken. A pair stays here until commit() settles its job,
     * and result() hands out the first one again until then: a signal
     * handler's exception raised anywhere between the take and the
     * commit (Python runs handlers between any two bytecodes) leaves the
     * result here for the next collector, never lost, never settled
     * twice. Taking, attaching and committing are C: no handler runs. */
    PyObject *jobs;
    PyObject *pending;
} pc_pool;

static PyTypeObject pc_pool_type;

/*
 * The GIL and fork. A forked child must inherit an interpreter whose GIL
 * is held by the forking thread (the child's one thread), and a pool call
 * may fork a replacement worker at any point of its wait. So a wait lets
 * the GIL go (pool_wait), and coord_pool calls these hooks around each
 * replacement's fork: take the GIL back, and fork as os.fork() does
 * (PyOS_BeforeFork: the at-fork handlers, the import lock; the child
 * calls PyOS_AfterFork_Child at its first task), then let it go again.
 */
static void fork_before(void *arg)
{
    pc_pool *self = arg;
    if (self->released)
        PyEval_RestoreThread(self->released);
    PyOS_BeforeFork();
}

static void fork_after(void *arg)
{
    pc_pool *self = arg;
    PyOS_AfterFork_Parent();
    if (self->released)
        self->released = PyEval_SaveThread();
}

static PyObject *pool_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"workers", "retries", "max_task", "max_result",
                             "queue_capacity", "initializer", "initargs", "bell",
                             "retire_after", NULL};
    uint32_t workers, retries = 0, retire_after = 0;
    Py_ssize_t max_task = 65536, max_result = 65536, capacity = 1024;
    PyObject *initializer = Py_None, *initargs = NULL, *bell = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|O&nnnOO!OO&:_Pool", kwlist, pc_u32,
                                     &workers, pc_u32, &retries, &max_task,
                                     &max_result, &capacity, &initializer,
                                     &PyTuple_Type, &initargs, &bell, pc_u32,
                                     &retire_after))
        return NULL;
    struct pc_bell *b = bell == Py_None ? NULL : pc_bell_of(bell);
    if (bell != Py_None && !b)
        return NULL;
    if (max_task < 1 || max_result < 64 || capacity < 1) {
        PyErr_SetString(PyExc_ValueError,
                        "max_task >= 1, max_result >= 64 and queue_capacity >= 1");
        return NULL;
    }
    /* coord_pool_opts' limit (pool.h), checked before the result buffer
     * of max_result bytes is allocated: a value too large is a bad
     * argument, not a MemoryError (nor an allocation of gigabytes). */
    if (workers > COORD_POOL_MAX_WORKERS)
        return pc_raise_fmt(COORD_EINVAL,
                            "Pool: at most %u processes, not %u (COORD_EINVAL)",
                            (unsigned)COORD_POOL_MAX_WORKERS, (unsigned)workers);
    if ((size_t)max_task > COORD_POOL_MAX_BYTES ||
        (size_t)max_result > COORD_POOL_MAX_BYTES)
        return pc_raise_fmt(COORD_EINVAL,
                            "Pool: max_task and max_result are at most %zu "
                            "bytes (16 MiB), not %zd and %zd (COORD_EINVAL)",
                            (size_t)COORD_POOL_MAX_BYTES, max_task, max_result);
    if ((size_t)capacity > COORD_QUEUE_MAX_CAPACITY)
        return pc_raise_fmt(COORD_EINVAL,
                            "Pool: queue_capacity is at most %u, not %zd "
                            "(COORD_EINVAL)",
                            (unsigned)COORD_QUEUE_MAX_CAPACITY, capacity);
    if (initializer != Py_None && !PyCallable_Check(initializer)) {
        PyErr_SetString(PyExc_TypeError, "initializer must be a callable");
        return NULL;
    }
    coord_pool_opts o;
    coord_pool_opts_init(&o);
    o.workers = workers;
    o.retries = retries;
    o.max_task = (size_t)max_task;
    o.max_result = (size_t)max_result;
    o.queue_capacity = (size_t)capacity;
    /* One task of the core is one pickled call or one chunk's message:
     * a task as multiprocessing's maxtasksperchild counts them. */
    o.retire_after = retire_after;
    pc_pool *self = (pc_pool *)type->tp_alloc(type, 0);
    if (!self)
        return NULL;
    self->creator = pc_self_pid();
    self->max_result = (size_t)max_result;
    self->max_task = (size_t)max_task;
    if (initializer != Py_None) {
        self->init.fn = Py_NewRef(initializer);
        self->init.args = initargs ? Py_NewRef(initargs) : PyTuple_New(0);
    }
    /* The workers ring its page (inherited by fork); the object keeps it
     * mapped here while the pool may fork replacements. */
    self->init.bell = b;
    self->bell = b ? Py_NewRef(bell) : NULL;
    self->rbuf = PyMem_Malloc((size_t)max_result);
    self->pending = PyList_New(0);
    if (!self->rbuf || !self->pending || (self->init.fn && !self->init.args)) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    /* The first workers fork here, with the GIL held, as os.fork() forks. */
    PyOS_BeforeFork();
    int r = coord_pool_start(&self->p, &o, pc_pool_task, &self->init);
    PyOS_AfterFork_Parent();
    if (r == 0)
        r = coord_pool_set_fork_hooks(self->p, fork_before, fork_after, self);
    if (r < 0) {
        Py_DECREF(self);
        return pc_raise(r, "Pool");
    }
    return (PyObject *)self;
}

/* The initializer and its arguments are the user's objects: a bound
 * method of an object that holds the pool (self.pool = coord.Pool(
 * initializer=self.init)), or initargs that reach the pool, make a cycle
 * through this object, which the garbage collector must see to free it
 * (and with it the workers), as it frees any other cycle. */
static int pool_traverse(pc_pool *self, visitproc visit, void *arg)
{
    Py_VISIT(self->init.fn);
    Py_VISIT(self->init.args);
    Py_VISIT(self->jobs);
    Py_VISIT(self->pending);
    return 0;
}

static int pool_clear(pc_pool *self)
{
    /* Only in an unreachable cycle: no call of the pool comes any more.
     * The workers go first: a replacement forked later would run no
     * initializer. */
    if (self->p && self->creator == pc_self_pid())
        coord_pool_destroy(self->p);
    self->p = NULL;
    Py_CLEAR(self->init.fn);
    Py_CLEAR(self->init.args);
    Py_CLEAR(self->jobs);
    Py_CLEAR(self->pending);
    return 0;
}

static void pool_dealloc(pc_pool *self)
{
    PyObject_GC_UnTrack(self);
    /* Only the process that started the pool may reap its workers; a
     * forked copy of this object just forgets it. */
    if (self->p && self->creator == pc_self_pid())
        coord_pool_destroy(self->p);
    Py_XDECREF(self->init.fn);
    Py_XDECREF(self->init.args);
    Py_XDECREF(self->bell);
    Py_XDECREF(self->jobs);
    Py_XDECREF(self->pending);
    PyMem_Free(self->rbuf);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/*
 * Take the pool for this thread: coord_pool is used by one thread at a
 * time, and a wait lets the GIL go, so another thread could otherwise
 * call in meanwhile. The threads that find it taken wait in turn
 * (pc_turns); pool_leave hands the pool to the first of them. (A shared
 * lock let the thread that waits for a result in slices take it back
 * between two of them ahead of a waiter: a submit, or terminate(), from
 * another thread waited for that result, for ever for a task that never
 * ends.) A call
 * from the thread that holds it (an at-fork handler run from inside a
 * pool call) is refused. 0, or -1 with the exception set.
 */
static int pool_enter(pc_pool *self)
{
    return pc_turns_enter(&self->turns,
                          "coord.Pool called from inside one of its own calls "
                          "(an os.register_at_fork handler?)");
}

/* Give the pool back, if this thread holds it: to the first thread
 * waiting for it, if any. */
static void pool_leave(pc_pool *self)
{
    if (pc_turns_held(&self->turns))
        pc_turns_leave(&self->turns);
}

/* Can this call use the pool? Then it holds it (pool_leave afterwards).
 * 0, or -1 with the exception set. */
static int pool_check(pc_pool *self)
{
    if (self->p && self->creator != pc_self_pid()) {
        PyErr_SetString(PyExc_RuntimeError,
                        "a coord.Pool can only be used by the process that created it");
        return -1;
    }
    if (self->p && pool_enter(self) < 0)
        return -1;
    if (!self->p) { /* terminated, maybe while we waited for it */
        pool_leave(self);
        PyErr_SetString(PyExc_ValueError, "Pool not running");
        return -1;
    }
    return 0;
}

/*
 * A blocking pool call: op(self, arg, ms) tried once with the GIL held
 * (the common case: room in the queue, a result there), then in slices of
 * at most 100 ms with the GIL released, so that the caller's other
 * threads run (a fork in a slice takes the GIL back: fork_before). Between
 * slices the pool is let go (another thread's call may come in) and
 * signals are looked for (Ctrl-C). The caller holds the pool (pool_check)
 * and lets it go afterwards (pool_leave: it may have been let go here).
 * Returns the call's result, COORD_ETIMEDOUT at the deadline,
 * PC_SIGNALLED (exception set), or PC_GONE (terminated meanwhile).
 */
typedef int (*pool_op)(pc_pool *self, void *arg, int ms);
#define PC_GONE (PC_SIGNALLED - 1)
#define PC_PENDING (PC_SIGNALLED - 2)
static int result_op(pc_pool *self, void *arg, int ms);

static int pool_wait(pc_pool *self, pool_op op, void *arg, int timeout_ms)
{
    int r = op(self, arg, 0);
    if ((r != COORD_ETIMEDOUT && r != COORD_EAGAIN) || timeout_ms == 0)
        return r;
    uint64_t deadline = timeout_ms > 0
                            ? coord_clock_ns() + (uint64_t)timeout_ms * 1000000u
                            : 0;
    for (;;) {
        int slice = 100;
        if (timeout_ms > 0) {
            uint64_t now = coord_clock_ns();
            uint64_t left = now >= deadline ? 0 : (deadline - now + 999999u) / 1000000u;
            if (left < (uint64_t)slice)
                slice = (int)left;
        }
        if (slice > 0) {
            self->released = PyEval_SaveThread();
            r = op(self, arg, slice);
            PyEval_RestoreThread(self->released);
            self->released = NULL;
            if (r != COORD_ETIMEDOUT && r != COORD_EAGAIN)
                return r;
        }
        /* A result another thread attached while this one waited for a
         * result (register: it came before its id was registered). */
        if (op == result_op && PyList_GET_SIZE(self->pending) > 0)
            return PC_PENDING;
        if (timeout_ms > 0 && coord_clock_ns() >= deadline)
            return COORD_ETIMEDOUT;
        pool_leave(self);
        if (PyErr_CheckSignals() < 0 || pool_enter(self) < 0)
            return PC_SIGNALLED;
        if (!self->p)
            return PC_GONE;
    }
}

/* What pool_wait's PC_SIGNALLED and PC_GONE raise; NULL. */
static PyObject *wait_error(int r)
{
    if (r == PC_GONE)
        PyErr_SetString(PyExc_ValueError, "Pool not running (terminated meanwhile)");
    return NULL;
}

/*
 * Register job under tid in the bound jobs dict. A result that came before
 * (the role's holder parked it there: take) is attached: (job, result)
 * goes to pending, and job stays registered until commit(). Returns a
 * new reference to that pair, or to None; NULL with an exception set.
 */
static PyObject *attach(pc_pool *self, PyObject *tid, PyObject *job)
{
    PyObject *got = PyDict_SetDefault(self->jobs, tid, job);
    if (!got)
        return NULL;
    if (got == job)
        Py_RETURN_NONE;
    PyObject *pair = PyTuple_Pack(2, job, got);
    if (!pair || PyDict_SetItem(self->jobs, tid, job) < 0 ||
        PyList_Append(self->pending, pair) < 0) {
        Py_XDECREF(pair);
        return NULL;
    }
    return pair;
}

/* Pop the first item of the deque head when it is job. 0 or -1. */
static int drop_head(PyObject *head, PyObject *job)
{
    if (PyObject_Length(head) <= 0)
        return 0;
    PyObject *first = PySequence_GetItem(head, 0);
    if (!first)
        return -1;
    int same = first == job;
    Py_DECREF(first);
    if (!same)
        return 0;
    PyObject *r = PyObject_CallMethod(head, "popleft", NULL);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

struct submit_arg {
    const void *task;
    size_t len;
    uint64_t id;
};

static int submit_op(pc_pool *self, void *arg, int ms)
{
    struct submit_arg *a = arg;
    return coord_pool_submit(self->p, a->task, a->len, &a->id, ms);
}

static PyObject *pool_submit(pc_pool *self, PyObject *args)
{
    Py_buffer buf;
    int timeout_ms = -1;
    PyObject *job = Py_None, *head = Py_None, *ids = NULL;
    if (!PyArg_ParseTuple(args, "y*|iOOO!:submit", &buf, &timeout_ms, &job, &head,
                          &PyTuple_Type, &ids))
        return NULL;
    if (job != Py_None && !self->jobs) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_RuntimeError, "_Pool.submit(job=...) before bind()");
        return NULL;
    }
    if (pool_check(self) < 0) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    struct submit_arg a = {buf.buf, (size_t)buf.len, 0};
    int r = pool_wait(self, submit_op, &a, timeout_ms);
    pool_leave(self);
    PyBuffer_Release(&buf);
    if (r == PC_SIGNALLED || r == PC_GONE)
        return wait_error(r);
    if (r == COORD_EMSGSIZE)
        return pc_raise_fmt(r, "the pickled task is %zu bytes, over the pool's max_task "
                               "of %zu (COORD_EMSGSIZE): make the pool with a larger "
                               "Pool(max_task=...) (at most 16 MiB), or pass the data "
                               "another way (a named coord.Array, a file)",
                            a.len, self->max_task);
    if (r == COORD_EPEERDIED) /* no_replace is never set here */
        return pc_raise_fmt(r, "Pool.submit: no live worker: the pool could not fork one "
                               "for 1 s (a process limit or a cgroup's pids.max "
                               "reached?); its next call tries again (COORD_EPEERDIED)");
    if (r < 0)
        return pc_raise(r, "Pool.submit");
    PyObject *tid = PyLong_FromUnsignedLongLong(a.id);
    if (!tid || job == Py_None)
        return tid;
    /* Registered here, with the submit: no handler runs in between (a
     * handler's exception raised after the task went and before its job
     * was registered lost the job: its callback never ran, and join()
     * waited for it for ever). ids: the job's attributes that hold the
     * id (a Future's _id and _index), set first. */
    Py_ssize_t nids = ids ? PyTuple_GET_SIZE(ids) : 0;
    for (Py_ssize_t i = 0; i < nids; i++)
        if (PyObject_SetAttr(job, PyTuple_GET_ITEM(ids, i), tid) < 0) {
            Py_DECREF(tid);
            return NULL;
        }
    PyObject *pair = attach(self, tid, job);
    if (!pair || (head != Py_None && drop_head(head, job) < 0)) {
        Py_XDECREF(pair);
        Py_DECREF(tid);
        return NULL;
    }
    Py_DECREF(pair);
    return tid;
}

struct result_arg {
    coord_task_result res;
};

static int result_op(pc_pool *self, void *arg, int ms)
{
    struct result_arg *a = arg;
    return coord_pool_result(self->p, &a->res, self->rbuf, self->max_result, ms);
}

/* result(timeout_ms) -> (job, (id, status, kind, payload, cause, worker,
 * attempts, wait_status)): the first pending pair (it stays pending until
 * commit), else a result taken from the core and attached to its job in
 * the bound dict; True when its id is not registered yet (it is parked in
 * the dict under its id: register attaches it); None when nothing is
 * pending. */
static PyObject *pool_result(pc_pool *self, PyObject *args)
{
    int timeout_ms = -1;
    if (!PyArg_ParseTuple(args, "|i:result", &timeout_ms))
        return NULL;
    if (!self->jobs) {
        PyErr_SetString(PyExc_RuntimeError, "_Pool.result() before bind()");
        return NULL;
    }
    if (PyList_GET_SIZE(self->pending) > 0)
        return Py_NewRef(PyList_GET_ITEM(self->pending, 0));
    if (pool_check(self) < 0)
        return NULL;
    struct result_arg a;
    memset(&a, 0, sizeof a);
    int r = pool_wait(self, result_op, &a, timeout_ms);
    PyObject *out = NULL;
    if (r == PC_PENDING) {
        out = Py_NewRef(PyList_GET_ITEM(self->pending, 0));
    } else if (r == COORD_ENODATA) {
        out = Py_NewRef(Py_None);
    } else if (r == 0) {
        const char *buf = self->rbuf;
        int kind = a.res.len > 0 ? (unsigned char)buf[0] : -1;
        Py_ssize_t n = a.res.len > 0 ? (Py_ssize_t)a.res.len - 1 : 0;
        PyObject *res = Py_BuildValue("(Kiiy#siIi)", (unsigned long long)a.res.id,
                                      a.res.status, kind, a.res.len > 0 ? buf + 1 : buf, n,
                                      a.res.cause, a.res.worker, a.res.attempts,
                                      a.res.wait_status);
        if (res) {
            PyObject *tid = PyTuple_GET_ITEM(res, 0);
            PyObject *job = PyDict_GetItemWithError(self->jobs, tid);
            if (job) {
                out = PyTuple_Pack(2, job, res);
                if (out && PyList_Append(self->pending, out) < 0)
                    Py_CLEAR(out);
            } else if (!PyErr_Occurred() && PyDict_SetItem(self->jobs, tid, res) == 0) {
                out = Py_NewRef(Py_True);
            }
            Py_DECREF(res);
        }
        /* A signal that came while the wait had let the GIL go (Ctrl-C) has
         * its handler run here: the result is pending or parked by now,
         * and the next call finds it. */
        if (out && PyErr_CheckSignals() < 0)
            Py_CLEAR(out);
    } else if (r == COORD_ETIMEDOUT || r == COORD_EAGAIN) {
        PyErr_SetString(pc_error_class(COORD_ETIMEDOUT), "Pool: no result in time");
    } else if (r == PC_SIGNALLED || r == PC_GONE) {
        wait_error(r);
    } else {
        pc_raise(r, "Pool.result");
    }
    pool_leave(self);
    return out;
}

/* register(tid, job): as submit(..., job) registers; the pair (job,
 * result) when the result had come first (pending until commit), else
 * None. */
static PyObject *pool_register(pc_pool *self, PyObject *args)
{
    PyObject *tid, *job;
    if (!PyArg_ParseTuple(args, "OO:register", &tid, &job))
        return NULL;
    if (!self->jobs) {
        PyErr_SetString(PyExc_RuntimeError, "_Pool.register() before bind()");
        return NULL;
    }
    return attach(self, tid, job);
}

/*
 * commit(pair, job, names, values, sink=None, head=None) -> bool: settle
 * job, all at once (no Python code runs, so no signal handler): pair
 * (None: no result) leaves pending, and job its id in the bound dict;
 * then names[i] = values[i] on job, sink(job) (a built-in: a deque's or
 * list's append) and head's first item dropped when it is job. False,
 * changing nothing but pending, when pair was not pending any more
 * (committed already, or terminate() dropped it) or its id is no longer
 * job's (terminate() took the job); with pair None and head given, False
 * unless job is head's first item (terminate() failed it meanwhile).
 */
static PyObject *pool_commit(pc_pool *self, PyObject *args)
{
    PyObject *pair, *job, *names, *values, *sink = Py_None, *head = Py_None;
    if (!PyArg_ParseTuple(args, "OOO!O!|OO:commit", &pair, &job, &PyTuple_Type, &names,
                          &PyTuple_Type, &values, &sink, &head))
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(names);
    if (n != PyTuple_GET_SIZE(values) ||
        (sink != Py_None && !PyCFunction_Check(sink)) || !self->jobs ||
        (pair != Py_None && (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2 ||
                             !PyTuple_Check(PyTuple_GET_ITEM(pair, 1)) ||
                             PyTuple_GET_SIZE(PyTuple_GET_ITEM(pair, 1)) < 1))) {
        PyErr_SetString(PyExc_TypeError, "_Pool.commit: bad arguments");
        return NULL;
    }
    if (pair == Py_None && head != Py_None) {
        /* A job failed off the deque head (a chunk whose items could not
         * go again): only while it is still head's first, else another
         * thread settled it meanwhile (terminate(): its send failed
         * because the pool went) and it is not settled twice. */
        PyObject *first = PyObject_Length(head) > 0 ? PySequence_GetItem(head, 0) : NULL;
        if (!first) {
            if (PyErr_Occurred())
                return NULL;
            Py_RETURN_FALSE;
        }
        int same = first == job;
        Py_DECREF(first);
        if (!same)
            Py_RETURN_FALSE;
    }
    if (pair != Py_None) {
        Py_ssize_t i, len = PyList_GET_SIZE(self->pending);
        for (i = 0; i < len && PyList_GET_ITEM(self->pending, i) != pair; i++)
            ;
        if (i == len)
            Py_RETURN_FALSE;
        Py_INCREF(pair); /* the list's reference goes */
        int bad = PyList_SetSlice(self->pending, i, i + 1, NULL);
        PyObject *tid = PyTuple_GET_ITEM(PyTuple_GET_ITEM(pair, 1), 0);
        PyObject *cur = bad ? NULL : PyDict_GetItemWithError(self->jobs, tid);
        if (!bad && cur == job)
            bad = PyDict_DelItem(self->jobs, tid);
        Py_DECREF(pair);
        if (bad)
            return NULL;
        if (cur != job) {
            if (PyErr_Occurred())
                return NULL;
            Py_RETURN_FALSE;
        }
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (PyObject_SetAttr(job, PyTuple_GET_ITEM(names, i), PyTuple_GET_ITEM(values, i)) < 0)
            return NULL;
    if (sink != Py_None) {
        PyObject *r = PyObject_CallOneArg(sink, job);
        if (!r)
            return NULL;
        Py_DECREF(r);
    }
    if (head != Py_None && drop_head(head, job) < 0)
        return NULL;
    Py_RETURN_TRUE;
}

/* bind(jobs): the dict of task id -> job that result() and commit() use. */
static PyObject *pool_bind(pc_pool *self, PyObject *jobs)
{
    if (!PyDict_Check(jobs)) {
        PyErr_SetString(PyExc_TypeError, "bind() needs a dict");
        return NULL;
    }
    Py_XSETREF(self->jobs, Py_NewRef(jobs));
    Py_RETURN_NONE;
}

/* How many results are taken but not committed. */
static PyObject *pool_pending(pc_pool *self, PyObject *noargs)
{
    (void)noargs;
    return PyLong_FromSsize_t(PyList_GET_SIZE(self->pending));
}

static int shutdown_op(pc_pool *self, void *arg, int ms)
{
    (void)arg;
    return coord_pool_shutdown(self->p, ms);
}

static PyObject *pool_shutdown(pc_pool *self, PyObject *args)
{
    int timeout_ms = -1;
    if (!PyArg_ParseTuple(args, "|i:shutdown", &timeout_ms) || pool_check(self) < 0)
        return NULL;
    int r = pool_wait(self, shutdown_op, NULL, timeout_ms);
    pool_leave(self);
    if (r == PC_SIGNALLED || r == PC_GONE)
        return wait_error(r);
    if (r < 0)
        return pc_raise(r, "Pool.join");
    self->shut = 1;
    Py_RETURN_NONE;
}

static PyObject *pool_destroy(pc_pool *self, PyObject *noargs)
{
    (void)noargs;
    if (!self->p)
        Py_RETURN_NONE;
    if (self->creator == pc_self_pid()) {
        if (pool_enter(self) < 0)
            return NULL;
        coord_pool_destroy(self->p);
    }
    self->p = NULL;
    if (self->pending && PyList_SetSlice(self->pending, 0, PY_SSIZE_T_MAX, NULL) < 0) {
        pool_leave(self);
        return NULL;
    }
    pool_leave(self);
    Py_RETURN_NONE;
}

static PyObject *pool_stats(pc_pool *self, PyObject *noargs)
{
    (void)noargs;
    coord_pool_stats st;
    if (pool_check(self) < 0)
        return NULL;
    int r = coord_pool_get_stats(self->p, &st);
    pool_leave(self);
    if (r < 0)
        return pc_raise(r, "Pool.stats");
    return Py_BuildValue("{sIsIsKsKsKsKsKsKsKsK}", "workers", st.workers, "live", st.live,
                         "submitted", (unsigned long long)st.submitted, "succeeded",
                         (unsigned long long)st.succeeded, "failed",
                         (unsigned long long)st.failed, "deaths",
                         (unsigned long long)st.deaths, "retired",
                         (unsigned long long)st.retired, "restarts",
                         (unsigned long long)st.restarts, "retried",
                         (unsigned long long)st.retried, "pending",
                         (unsigned long long)st.pending);
}

static PyObject *pool_pids(pc_pool *self, PyObject *noargs)
{
    (void)noargs;
    coord_pool_stats st;
    if (pool_check(self) < 0)
        return NULL;
    coord_pool_get_stats(self->p, &st);
    PyObject *list = PyList_New(0);
    for (unsigned k = 0; list && k < st.workers; k++) {
        coord_pool_worker_stats ws;
        if (coord_pool_get_worker_stats(self->p, k, &ws) == 0 && ws.alive) {
            PyObject *pid = PyLong_FromLong(ws.pid);
            if (!pid || PyList_Append(list, pid) < 0)
                Py_CLEAR(list);
            Py_XDECREF(pid);
        }
    }
    pool_leave(self);
    return list;
}

static PyMethodDef pool_methods[] = {
    {"submit", PC_METH(pool_submit), METH_VARARGS,
     "submit(task_bytes, timeout_ms=-1, job=None, head=None, ids=()) -> id"},
    {"result", PC_METH(pool_result), METH_VARARGS,
     "result(timeout_ms=-1) -> (job, result), True (parked) or None"},
    {"register", PC_METH(pool_register), METH_VARARGS, "register(tid, job) -> pair or None"},
    {"commit", PC_METH(pool_commit), METH_VARARGS,
     "commit(pair, job, names, values, sink=None, head=None) -> bool"},
    {"bind", PC_METH(pool_bind), METH_O, "bind(jobs)"},
    {"pending", PC_METH(pool_pending), METH_NOARGS, "pending() -> results taken, not committed"},
    {"shutdown", PC_METH(pool_shutdown), METH_VARARGS, "shutdown(timeout_ms=-1)"},
    {"destroy", PC_METH(pool_destroy), METH_NOARGS, "destroy(): SIGKILL and reap the workers"},
    {"stats", PC_METH(pool_stats), METH_NOARGS, "stats() -> dict"},
    {"pids", PC_METH(pool_pids), METH_NOARGS, "pids() -> the live workers' pids"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject pc_pool_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "coord._Pool",
    .tp_basicsize = sizeof(pc_pool),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = pool_new,
    .tp_dealloc = (destructor)pool_dealloc,
    .tp_traverse = (traverseproc)pool_traverse,
    .tp_clear = (inquiry)pool_clear,
    .tp_methods = pool_methods,
    .tp_doc = "The C core of coord.Pool (use coord.Pool).",
};

int pc_pool_add(PyObject *m)
{
    if (PyType_Ready(&pc_pool_type) < 0)
        return -1;
    return PyModule_AddObjectRef(m, "_Pool", (PyObject *)&pc_pool_type);
}
