/* SPDX-License-Identifier: MIT */
/* pool.c: coord.Pool's core: coord_pool running pickled Python calls in forked workers. */
#include "pycoord.h"

#include <string.h>
#include <unistd.h>

/* First byte of a result: how the call ended. */
enum { PC_RES_VALUE = 0, PC_RES_EXCEPTION = 1, PC_RES_TEXT = 2 };

typedef struct {
    PyObject_HEAD
    coord_pool *p;
    pid_t creator;
    size_t max_task, max_result; /* the pool's limits, for messages */
    int shut; /* coord_pool_shutdown returned 0 */
} pc_pool;

static PyTypeObject pc_pool_type;

/* Per process: the worker's interpreter must be told it was forked. */
static pid_t pc_pool_ready_pid;

/* Write `kind` + the pickle of `o` (or a message when it cannot be
 * pickled or does not fit) into the result. The callback then returns 0
 * whatever happened: coord_pool keeps result bytes only for status 0, and
 * the first byte tells the parent how the call ended. */
static int result_store(PyObject *o, int kind, char *out, size_t cap, size_t *len)
{
    PyObject *data = PyObject_CallOneArg(pc_dumps, o);
    if (data && (size_t)PyBytes_GET_SIZE(data) + 1 <= cap) {
        out[0] = (char)kind;
        memcpy(out + 1, PyBytes_AS_STRING(data), (size_t)PyBytes_GET_SIZE(data));
        *len = 1 + (size_t)PyBytes_GET_SIZE(data);
        Py_DECREF(data);
        return 0;
    }
    Py_ssize_t size = data ? PyBytes_GET_SIZE(data) : -1;
    Py_XDECREF(data);
    PyErr_Clear();
    PyObject *r = PyObject_Repr(o);
    const char *txt = r ? PyUnicode_AsUTF8(r) : NULL;
    const char *what = kind == PC_RES_EXCEPTION ? "exception" : "result";
    int n = size < 0
                ? snprintf(out + 1, cap - 1, "the task's %s %.300s cannot be pickled",
                           what, txt ? txt : "?")
                : snprintf(out + 1, cap - 1, /* short, the repr last: cap may be 64 */
                           "%s pickles to %zd bytes, over the %zu that "
                           "Pool(max_result=%zu) holds: %.300s",
                           what, size, cap - 1, cap, txt ? txt : "?");
    PyErr_Clear();
    Py_XDECREF(r);
    out[0] = PC_RES_TEXT;
    *len = 1 + (n < 0 ? 0 : (size_t)n >= cap - 1 ? cap - 2 : (size_t)n);
    return 0;
}

/* coord.pool._with_traceback(exc, room): the task's exception `exc` with
 * the worker's traceback attached, or NULL (then send it as it is). Looked
 * up once per worker, on its first failing task. */
static PyObject *with_traceback(PyObject *exc, size_t room)
{
    static PyObject *fn;
    if (!fn) {
        PyObject *m = PyImport_ImportModule("coord.pool");
        fn = m ? PyObject_GetAttrString(m, "_with_traceback") : NULL;
        Py_XDECREF(m);
    }
    PyObject *w = fn ? PyObject_CallFunction(fn, "On", exc, (Py_ssize_t)room)
                     : NULL;
    if (!w)
        PyErr_Clear();
    return w;
}

/*
 * The worker callback: the task is pickle((fn, args, kwargs)). Runs in a
 * forked worker that holds the GIL (the parent holds it across every pool
 * call that may fork).
 */
static int pool_task(const void *task, size_t task_len, void *result,
                     size_t result_cap, size_t *result_len, void *arg)
{
    (void)arg;
    if (pc_pool_ready_pid != getpid()) {
        pc_pool_ready_pid = getpid();
        PyOS_AfterFork_Child();
    }
    PyObject *mv = PyMemoryView_FromMemory((char *)task, (Py_ssize_t)task_len, PyBUF_READ);
    PyObject *call = mv ? PyObject_CallOneArg(pc_loads, mv) : NULL;
    Py_XDECREF(mv);
    PyObject *fn, *args, *kwargs, *res = NULL;
    if (call && PyArg_ParseTuple(call, "OO!O!", &fn, &PyTuple_Type, &args,
                                 &PyDict_Type, &kwargs))
        res = PyObject_Call(fn, args, kwargs);
    Py_XDECREF(call);
    int rc = 0;
    if (res) {
        rc = result_store(res, PC_RES_VALUE, result, result_cap, result_len);
        Py_DECREF(res);
    } else {
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        PyErr_NormalizeException(&t, &v, &tb);
        if (v && tb)
            PyException_SetTraceback(v, tb);
        /* With the worker's traceback, as multiprocessing sends it. */
        PyObject *w = v ? with_traceback(v, result_cap - 1) : NULL;
        rc = result_store(w ? w : v ? v : Py_None, PC_RES_EXCEPTION, result,
                          result_cap, result_len);
        Py_XDECREF(w);
        Py_XDECREF(t);
        Py_XDECREF(v);
        Py_XDECREF(tb);
    }
    /* What the task printed must not wait for an exit that never flushes
     * (through sys's streams as they are now: a task may replace them). */
    static const char *const streams[] = {"stdout", "stderr"};
    for (int i = 0; i < 2; i++) {
        PyObject *f = PySys_GetObject(streams[i]); /* borrowed */
        PyObject *r = f && f != Py_None ? PyObject_CallMethod(f, "flush", NULL)
                                        : NULL;
        Py_XDECREF(r);
    }
    PyErr_Clear();
    return rc;
}

static PyObject *pool_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"workers", "retries", "max_task", "max_result",
                             "queue_capacity", NULL};
    uint32_t workers, retries = 0;
    Py_ssize_t max_task = 65536, max_result = 65536, capacity = 1024;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|O&nnn:_Pool", kwlist, pc_u32,
                                     &workers, pc_u32, &retries, &max_task,
                                     &max_result, &capacity))
        return NULL;
    if (max_task < 1 || max_result < 64 || capacity < 1) {
        PyErr_SetString(PyExc_ValueError,
                        "max_task >= 1, max_result >= 64 and queue_capacity >= 1");
        return NULL;
    }
    coord_pool_opts o;
    coord_pool_opts_init(&o);
    o.workers = workers;
    o.retries = retries;
    o.max_task = (size_t)max_task;
    o.max_result = (size_t)max_result;
    o.queue_capacity = (size_t)capacity;
    pc_pool *self = (pc_pool *)type->tp_alloc(type, 0);
    if (!self)
        return NULL;
    self->creator = getpid();
    self->max_result = (size_t)max_result;
    self->max_task = (size_t)max_task;
    pc_pool_ready_pid = getpid();
    int r = coord_pool_start(&self->p, &o, pool_task, NULL);
    if (r < 0) {
        Py_DECREF(self);
        return pc_raise(r, "Pool");
    }
    return (PyObject *)self;
}

static void pool_dealloc(pc_pool *self)
{
    /* Only the process that started the pool may reap its workers; a
     * forked copy of this object just forgets it. */
    if (self->p && self->creator == getpid())
        coord_pool_destroy(self->p);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int pool_check(pc_pool *self)
{
    if (!self->p) {
        PyErr_SetString(PyExc_ValueError, "Pool not running");
        return -1;
    }
    if (self->creator != getpid()) {
        PyErr_SetString(PyExc_RuntimeError,
                        "a coord.Pool can only be used by the process that created it");
        return -1;
    }
    return 0;
}

/*
 * Blocking pool calls keep the GIL (a replacement worker forked inside
 * them must inherit a consistent interpreter), so they wait in slices of
 * 100 ms and look for signals between them. Returns the call's result,
 * COORD_ETIMEDOUT at the deadline, or PC_SIGNALLED.
 */
typedef int (*pool_op)(pc_pool *self, void *arg, int ms);

static int pool_wait(pc_pool *self, pool_op op, void *arg, int timeout_ms)
{
    uint64_t deadline = timeout_ms > 0
                            ? coord_clock_ns() + (uint64_t)timeout_ms * 1000000u
                            : 0;
    for (;;) {
        int slice = timeout_ms == 0 ? 0 : 100;
        if (timeout_ms > 0) {
            uint64_t now = coord_clock_ns();
            uint64_t left = now >= deadline ? 0 : (deadline - now + 999999u) / 1000000u;
            if (left < (uint64_t)slice)
                slice = (int)left;
        }
        int r = op(self, arg, slice);
        if ((r != COORD_ETIMEDOUT && r != COORD_EAGAIN) || timeout_ms == 0 ||
            slice == 0)
            return r;
        if (timeout_ms > 0 && coord_clock_ns() >= deadline)
            return COORD_ETIMEDOUT;
        if (PyErr_CheckSignals() < 0)
            return PC_SIGNALLED;
    }
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
    if (pool_check(self) < 0 || !PyArg_ParseTuple(args, "y*|i:submit", &buf, &timeout_ms))
        return NULL;
    struct submit_arg a = {buf.buf, (size_t)buf.len, 0};
    int r = pool_wait(self, submit_op, &a, timeout_ms);
    PyBuffer_Release(&buf);
    if (r == PC_SIGNALLED)
        return NULL;
    if (r == COORD_EMSGSIZE)
        return pc_raise_fmt(r, "the pickled task is %zu bytes, over the pool's max_task "
                               "of %zu (COORD_EMSGSIZE): make the pool with a larger "
                               "Pool(max_task=...)",
                            a.len, self->max_task);
    if (r < 0)
        return pc_raise(r, "Pool.submit");
    return PyLong_FromUnsignedLongLong(a.id);
}

struct result_arg {
    coord_task_result res;
    char *buf;
    size_t cap;
};

static int result_op(pc_pool *self, void *arg, int ms)
{
    struct result_arg *a = arg;
    return coord_pool_result(self->p, &a->res, a->buf, a->cap, ms);
}

/* result(timeout_ms) -> (id, status, kind, payload, cause, worker,
 * attempts, wait_status), or None when nothing is pending. */
static PyObject *pool_result(pc_pool *self, PyObject *args)
{
    int timeout_ms = -1;
    if (pool_check(self) < 0 || !PyArg_ParseTuple(args, "|i:result", &timeout_ms))
        return NULL;
    struct result_arg a;
    memset(&a, 0, sizeof a);
    a.cap = self->max_result;
    a.buf = PyMem_Malloc(a.cap);
    if (!a.buf)
        return PyErr_NoMemory();
    int r = pool_wait(self, result_op, &a, timeout_ms);
    PyObject *out = NULL;
    if (r == COORD_ENODATA) {
        out = Py_NewRef(Py_None);
    } else if (r == 0) {
        int kind = a.res.len > 0 ? (unsigned char)a.buf[0] : -1;
        Py_ssize_t n = a.res.len > 0 ? (Py_ssize_t)a.res.len - 1 : 0;
        out = Py_BuildValue("(Kiiy#siIi)", (unsigned long long)a.res.id, a.res.status,
                            kind, a.res.len > 0 ? a.buf + 1 : a.buf, n, a.res.cause,
                            a.res.worker, a.res.attempts, a.res.wait_status);
    } else if (r == COORD_ETIMEDOUT || r == COORD_EAGAIN) {
        PyErr_SetString(pc_error_class(COORD_ETIMEDOUT), "Pool: no result in time");
    } else if (r != PC_SIGNALLED) {
        pc_raise(r, "Pool.result");
    }
    PyMem_Free(a.buf);
    return out;
}

static int shutdown_op(pc_pool *self, void *arg, int ms)
{
    (void)arg;
    return coord_pool_shutdown(self->p, ms);
}

static PyObject *pool_shutdown(pc_pool *self, PyObject *args)
{
    int timeout_ms = -1;
    if (pool_check(self) < 0 || !PyArg_ParseTuple(args, "|i:shutdown", &timeout_ms))
        return NULL;
    int r = pool_wait(self, shutdown_op, NULL, timeout_ms);
    if (r == PC_SIGNALLED)
        return NULL;
    if (r < 0)
        return pc_raise(r, "Pool.join");
    self->shut = 1;
    Py_RETURN_NONE;
}

static PyObject *pool_destroy(pc_pool *self, PyObject *noargs)
{
    (void)noargs;
    if (self->p && self->creator == getpid())
        coord_pool_destroy(self->p);
    self->p = NULL;
    Py_RETURN_NONE;
}

static PyObject *pool_stats(pc_pool *self, PyObject *noargs)
{
    (void)noargs;
    coord_pool_stats st;
    if (pool_check(self) < 0)
        return NULL;
    int r = coord_pool_get_stats(self->p, &st);
    if (r < 0)
        return pc_raise(r, "Pool.stats");
    return Py_BuildValue("{sIsIsKsKsKsKsKsKsK}", "workers", st.workers, "live", st.live,
                         "submitted", (unsigned long long)st.submitted, "succeeded",
                         (unsigned long long)st.succeeded, "failed",
                         (unsigned long long)st.failed, "deaths",
                         (unsigned long long)st.deaths, "restarts",
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
    return list;
}

static PyMethodDef pool_methods[] = {
    {"submit", PC_METH(pool_submit), METH_VARARGS, "submit(task_bytes, timeout_ms=-1) -> id"},
    {"result", PC_METH(pool_result), METH_VARARGS, "result(timeout_ms=-1) -> tuple or None"},
    {"shutdown", PC_METH(pool_shutdown), METH_VARARGS, "shutdown(timeout_ms=-1)"},
    {"destroy", PC_METH(pool_destroy), METH_NOARGS, "destroy(): SIGKILL and reap the workers"},
    {"stats", PC_METH(pool_stats), METH_NOARGS, "stats() -> dict"},
    {"pids", PC_METH(pool_pids), METH_NOARGS, "pids() -> the live workers' pids"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject pc_pool_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "coord._Pool",
    .tp_basicsize = sizeof(pc_pool),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = pool_new,
    .tp_dealloc = (destructor)pool_dealloc,
    .tp_methods = pool_methods,
    .tp_doc = "The C core of coord.Pool (use coord.Pool).",
};

int pc_pool_add(PyObject *m)
{
    if (PyType_Ready(&pc_pool_type) < 0)
        return -1;
    return PyModule_AddObjectRef(m, "_Pool", (PyObject *)&pc_pool_type);
}
