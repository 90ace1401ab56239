/* SPDX-License-Identifier: MIT */
/* manager.c: coord.Manager's core: the manager server handle and the client (one round trip per call, or a batch). */
#include "pycoord.h"

#include <string.h>

#define PC_MGR_TIMEOUT_MS 30000 /* a round trip that takes longer is an error */

/* Values that are not int, float, str or bytes (exactly those types: a
 * subclass such as an IntEnum must come back as itself) travel pickled, as
 * bytes that start with this marker. A bytes value that starts with the
 * marker itself travels pickled too, so that every bytes value a Python
 * client writes reads back as written. (Bytes that a C client writes are
 * read as pickled when they start with the marker: the manager's socket is
 * in a directory only its user may enter, the trust multiprocessing's
 * managers place in their authkey.) */
static const char pc_pickle_magic[] = "\0coord-pickle\0";
#define PC_MAGIC_LEN (sizeof pc_pickle_magic - 1)

/* coord.ManagerLost: COORD_EPEERDIED from the manager (the server died or
 * closed the connection). It is a coord.EPEERDIED, as before, and a
 * ConnectionError, as a lost multiprocessing manager is; a pool's
 * WorkerDied, the other EPEERDIED, is no connection error. */
static PyObject *pc_manager_lost;

/* pc_raise for the manager's calls: ManagerLost for COORD_EPEERDIED. */
static PyObject *mgr_raise(int r, const char *what)
{
    /* A signal handler raised while the call slept (mc_interrupt): that
     * exception (Ctrl-C's KeyboardInterrupt) is the call's. */
    if (r == COORD_EINTR && PyErr_Occurred())
        return NULL;
    if (r == COORD_EPEERDIED)
        return pc_raise_as(pc_manager_lost, r, what);
    return pc_raise(r, what);
}

/* ---- the server -------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    coord_manager *m;
} pc_mserver;

static PyObject *mserver_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"socket", NULL};
    const char *path = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|z:_MServer", kwlist, &path))
        return NULL;
    pc_mserver *self = (pc_mserver *)type->tp_alloc(type, 0);
    if (!self)
        return NULL;
    int r = coord_manager_start(&self->m, path, NULL);
    if (r < 0) {
        self->m = NULL;
        Py_DECREF(self);
        return mgr_raise(r, "Manager");
    }
    return (PyObject *)self;
}

static void mserver_dealloc(pc_mserver *self)
{
    if (self->m && coord_manager_pid(self->m) > 0)
        coord_manager_stop(self->m, 5000);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *mserver_stop(pc_mserver *self, PyObject *noargs)
{
    (void)noargs;
    int r = 0;
    coord_manager *m = self->m;
    if (m) {
        /* Forgotten before the GIL goes: a second stop() from another
         * thread while this one waits for the server finds nothing to
         * stop (it stopped the same handle too, and freed it twice). */
        self->m = NULL;
        Py_BEGIN_ALLOW_THREADS
        r = coord_manager_stop(m, 5000);
        Py_END_ALLOW_THREADS
    }
    /* COORD_ECHILD: a fork of the starter let go of its copy only; the
     * server keeps running for the process that started it. */
    if (r < 0 && r != COORD_EPEERDIED && r != COORD_ETIMEDOUT && r != COORD_ECHILD)
        return mgr_raise(r, "Manager.shutdown");
    Py_RETURN_NONE;
}

static PyObject *mserver_path(pc_mserver *self, void *closure)
{
    (void)closure;
    if (!self->m)
        Py_RETURN_NONE;
    return PyUnicode_DecodeFSDefault(coord_manager_path(self->m));
}

static PyObject *mserver_pid(pc_mserver *self, void *closure)
{
    (void)closure;
    return PyLong_FromLong(self->m ? coord_manager_pid(self->m) : 0);
}

static PyMethodDef mserver_methods[] = {
    {"stop", PC_METH(mserver_stop), METH_NOARGS, "stop the server"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef mserver_getset[] = {
    {"path", (getter)mserver_path, NULL, "the socket path", NULL},
    {"pid", (getter)mserver_pid, NULL, "the server's pid (0 once stopped)", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject pc_mserver_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "coord._MServer",
    .tp_basicsize = sizeof(pc_mserver),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = mserver_new,
    .tp_dealloc = (destructor)mserver_dealloc,
    .tp_methods = mserver_methods,
    .tp_getset = mserver_getset,
    .tp_doc = "A manager server process started by this one (coord_manager_start).",
};

/* ---- values ------------------------------------------------------------ */

/* A Python object as a coord_mval; *keep holds what backs its bytes. */
static int mval_from_py(PyObject *o, coord_mval *v, PyObject **keep)
{
    *keep = NULL;
    if (PyLong_CheckExact(o)) {
        int over = 0;
        long long i = PyLong_AsLongLongAndOverflow(o, &over);
        if (i == -1 && PyErr_Occurred())
            return -1;
        if (!over) {
            *v = coord_mval_i64(i);
            return 0;
        }
    } else if (PyFloat_CheckExact(o)) {
        *v = coord_mval_f64(PyFloat_AS_DOUBLE(o));
        return 0;
    } else if (PyUnicode_CheckExact(o)) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(o, &n);
        if (!s)
            return -1;
        if ((size_t)n == strlen(s)) {
            *v = coord_mval_str(s);
            *keep = Py_NewRef(o);
            return 0;
        }
    } else if (PyBytes_CheckExact(o) &&
               !(PyBytes_GET_SIZE(o) >= (Py_ssize_t)PC_MAGIC_LEN &&
                 memcmp(PyBytes_AS_STRING(o), pc_pickle_magic, PC_MAGIC_LEN) == 0)) {
        *v = coord_mval_bytes(PyBytes_AS_STRING(o), (size_t)PyBytes_GET_SIZE(o));
        *keep = Py_NewRef(o);
        return 0;
    }
    /* Anything else (and ints beyond 64 bits, str with NUL): pickled. */
    PyObject *data = PyObject_CallOneArg(pc_dumps, o);
    if (!data)
        return -1;
    PyObject *marked = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)PC_MAGIC_LEN +
                                                           PyBytes_GET_SIZE(data));
    if (!marked) {
        Py_DECREF(data);
        return -1;
    }
    memcpy(PyBytes_AS_STRING(marked), pc_pickle_magic, PC_MAGIC_LEN);
    memcpy(PyBytes_AS_STRING(marked) + PC_MAGIC_LEN, PyBytes_AS_STRING(data),
           (size_t)PyBytes_GET_SIZE(data));
    Py_DECREF(data);
    *v = coord_mval_bytes(PyBytes_AS_STRING(marked), (size_t)PyBytes_GET_SIZE(marked));
    *keep = marked;
    return 0;
}

/* v as a Python object, its bytes copied (they belong to the client only
 * until its next call). A pickled value comes back as the pickle's bytes,
 * with *pickled set: mval_load unpickles it once the client is let go
 * (unpickling runs any code, which may call the manager). */
static PyObject *mval_copy(const coord_mval *v, int *pickled)
{
    *pickled = 0;
    switch (v->type) {
    case COORD_MNONE:
        Py_RETURN_NONE;
    case COORD_MI64:
        return PyLong_FromLongLong(v->i);
    case COORD_MF64:
        return PyFloat_FromDouble(v->f);
    case COORD_MSTR:
        return PyUnicode_DecodeUTF8(v->data, (Py_ssize_t)v->len, "replace");
    case COORD_MBYTES:
        if (v->len >= PC_MAGIC_LEN && memcmp(v->data, pc_pickle_magic, PC_MAGIC_LEN) == 0) {
            *pickled = 1;
            return PyBytes_FromStringAndSize((const char *)v->data + PC_MAGIC_LEN,
                                             (Py_ssize_t)(v->len - PC_MAGIC_LEN));
        }
        return PyBytes_FromStringAndSize(v->data, (Py_ssize_t)v->len);
    }
    PyErr_SetString(PyExc_ValueError, "coord.Manager: unknown value type from the server");
    return NULL;
}

/* mval_copy's object as the value: o unpickled when `pickled` (steals o). */
static PyObject *mval_load(PyObject *o, int pickled)
{
    if (!o || !pickled)
        return o;
    PyObject *v = PyObject_CallOneArg(pc_loads, o);
    Py_DECREF(o);
    return v;
}

/* ---- the client -------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    coord_mclient *c;
    /* A coord_mclient is for one thread at a time, and a Manager shares
     * one per process among its threads: a call holds its turn from its
     * request until it has copied what the reply points to (pc_turns: in
     * the order the threads asked; a thread alone pays one test and one
     * store). */
    pc_turns turns;
} pc_mclient;

/* Take the client for this call (the GIL held), in turn. 0, or -1 with
 * the exception set (RuntimeError for a call from inside one of this
 * thread's own calls: the connection carries one call at a time). */
static int mc_enter(pc_mclient *self)
{
    return pc_turns_enter(&self->turns,
                          "coord.Manager called from inside one of its own "
                          "calls in this thread (a signal handler, or a "
                          "__del__ run by the garbage collector): the "
                          "connection is in use");
}

/* Let the client go (the GIL held), or hand it to the first waiter. */
static void mc_leave(pc_mclient *self)
{
    pc_turns_leave(&self->turns);
}

/* The client's interrupt function (coord_mclient_set_interrupt): run
 * while a call sleeps for its reply, after a signal and every 100 ms, in
 * the calling thread, which let the GIL go for the call: take it, run the
 * signal handlers (in the main thread; elsewhere this finds nothing), let
 * it go. An exception a handler raised ends the call (COORD_EINTR) and
 * stays set for mgr_raise, as a blocking call of multiprocessing's proxy
 * raises Ctrl-C's KeyboardInterrupt. */
static int mc_interrupt(void *arg)
{
    (void)arg;
    PyGILState_STATE g = PyGILState_Ensure();
    int stop = PyErr_CheckSignals() < 0;
    PyGILState_Release(g);
    return stop;
}

static PyObject *mclient_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"socket", NULL};
    const char *path;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s:_MClient", kwlist, &path))
        return NULL;
    pc_mclient *self = (pc_mclient *)type->tp_alloc(type, 0);
    if (!self)
        return NULL;
    int r;
    Py_BEGIN_ALLOW_THREADS
    r = coord_mclient_connect(&self->c, path, PC_MGR_TIMEOUT_MS);
    Py_END_ALLOW_THREADS
    if (r < 0) {
        self->c = NULL;
        Py_DECREF(self);
        return mgr_raise(r, "Manager: connect");
    }
    (void)coord_mclient_set_interrupt(self->c, mc_interrupt, NULL);
    return (PyObject *)self;
}

static void mclient_dealloc(pc_mclient *self)
{
    coord_mclient_close(self->c);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Every call: one round trip with the GIL released, holding the client
 * (MCALL_HELD: still held afterwards, for copying the reply; the caller
 * lets it go with mc_leave). An exception from the wait for the client:
 * return NULL. */
#define MCALL_HELD(r, expr)                                                    \
    do {                                                                       \
        if (mc_enter(self) < 0)                                                \
            return NULL;                                                       \
        Py_BEGIN_ALLOW_THREADS(r) = (expr);                                    \
        Py_END_ALLOW_THREADS                                                   \
    } while (0)
#define MCALL(r, expr)                                                         \
    do {                                                                       \
        MCALL_HELD(r, expr);                                                   \
        mc_leave(self);                                                        \
    } while (0)

static PyObject *mc_get(pc_mclient *self, PyObject *args)
{
    const char *d, *k;
    coord_mval v;
    int r;
    if (!PyArg_ParseTuple(args, "ss:get", &d, &k))
        return NULL;
    MCALL_HELD(r, coord_mclient_get(self->c, d, k, &v, PC_MGR_TIMEOUT_MS));
    int pickled = 0;
    PyObject *o = r < 0 ? NULL : mval_copy(&v, &pickled);
    mc_leave(self);
    if (r == COORD_ENOTFOUND) {
        PyErr_SetObject(PyExc_KeyError, PyTuple_GET_ITEM(args, 1));
        return NULL;
    }
    if (r < 0)
        return mgr_raise(r, "Manager get");
    return mval_load(o, pickled);
}

static PyObject *mc_set(pc_mclient *self, PyObject *args)
{
    const char *d, *k;
    PyObject *o, *keep;
    coord_mval v;
    int r;
    if (!PyArg_ParseTuple(args, "ssO:set", &d, &k, &o) || mval_from_py(o, &v, &keep) < 0)
        return NULL;
    if (mc_enter(self) < 0) {
        Py_XDECREF(keep);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    r = coord_mclient_set(self->c, d, k, &v, PC_MGR_TIMEOUT_MS);
    Py_END_ALLOW_THREADS
    mc_leave(self);
    Py_XDECREF(keep);
    if (r < 0)
        return mgr_raise(r, "Manager set");
    Py_RETURN_NONE;
}

static PyObject *mc_delete(pc_mclient *self, PyObject *args)
{
    const char *d, *k;
    int r;
    if (!PyArg_ParseTuple(args, "ss:delete", &d, &k))
        return NULL;
    MCALL(r, coord_mclient_delete(self->c, d, k, PC_MGR_TIMEOUT_MS));
    if (r == COORD_ENOTFOUND) {
        PyErr_SetObject(PyExc_KeyError, PyTuple_GET_ITEM(args, 1));
        return NULL;
    }
    if (r < 0)
        return mgr_raise(r, "Manager delete");
    Py_RETURN_NONE;
}

static PyObject *mc_incr(pc_mclient *self, PyObject *args)
{
    const char *d, *k;
    long long delta = 1;
    int64_t out;
    int r;
    if (!PyArg_ParseTuple(args, "ss|L:incr", &d, &k, &delta))
        return NULL;
    MCALL(r, coord_mclient_incr(self->c, d, k, delta, &out, PC_MGR_TIMEOUT_MS));
    if (r < 0)
        return mgr_raise(r, "Manager incr");
    return PyLong_FromLongLong(out);
}

static PyObject *mc_cas(pc_mclient *self, PyObject *args)
{
    const char *d, *k;
    PyObject *eo, *no, *ke = NULL, *kn = NULL;
    coord_mval e = coord_mval_none(), n, actual;
    int r;
    if (!PyArg_ParseTuple(args, "ssOO:cas", &d, &k, &eo, &no))
        return NULL;
    if ((eo != Py_None && mval_from_py(eo, &e, &ke) < 0) || mval_from_py(no, &n, &kn) < 0) {
        Py_XDECREF(ke);
        return NULL;
    }
    if (mc_enter(self) < 0) {
        Py_XDECREF(ke);
        Py_XDECREF(kn);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    r = coord_mclient_cas(self->c, d, k, &e, &n, &actual, PC_MGR_TIMEOUT_MS);
    Py_END_ALLOW_THREADS
    mc_leave(self);
    Py_XDECREF(ke);
    Py_XDECREF(kn);
    if (r < 0)
        return mgr_raise(r, "Manager cas");
    return PyBool_FromLong(r);
}

static PyObject *mc_count(pc_mclient *self, PyObject *args, int list)
{
    const char *d;
    int r;
    if (!PyArg_ParseTuple(args, "s:len", &d))
        return NULL;
    if (list)
        MCALL(r, coord_mclient_list_len(self->c, d, PC_MGR_TIMEOUT_MS));
    else
        MCALL(r, coord_mclient_dict_len(self->c, d, PC_MGR_TIMEOUT_MS));
    if (r < 0)
        return mgr_raise(r, "Manager len");
    return PyLong_FromLong(r);
}

static PyObject *mc_dict_len(pc_mclient *self, PyObject *args)
{
    return mc_count(self, args, 0);
}

static PyObject *mc_list_len(pc_mclient *self, PyObject *args)
{
    return mc_count(self, args, 1);
}

static PyObject *mc_keys(pc_mclient *self, PyObject *args)
{
    const char *d;
    const coord_mval *keys;
    int r;
    if (!PyArg_ParseTuple(args, "s:keys", &d))
        return NULL;
    MCALL_HELD(r, coord_mclient_dict_keys(self->c, d, &keys, PC_MGR_TIMEOUT_MS));
    if (r < 0) {
        mc_leave(self);
        return mgr_raise(r, "Manager keys");
    }
    PyObject *list = PyList_New(r);
    char *pickled = list ? PyMem_Calloc(r ? (size_t)r : 1, 1) : NULL;
    if (list && !pickled) {
        Py_CLEAR(list);
        PyErr_NoMemory();
    }
    for (int k = 0; list && k < r; k++) {
        int p;
        PyObject *o = mval_copy(&keys[k], &p);
        if (!o) {
            Py_CLEAR(list);
            break;
        }
        pickled[k] = (char)p;
        PyList_SET_ITEM(list, k, o);
    }
    mc_leave(self);
    for (int k = 0; list && k < r; k++) {
        if (!pickled[k])
            continue;
        PyObject *o = mval_load(Py_NewRef(PyList_GET_ITEM(list, k)), 1);
        if (!o) {
            Py_CLEAR(list);
            break;
        }
        PyList_SetItem(list, k, o);
    }
    PyMem_Free(pickled);
    return list;
}

static PyObject *mc_append(pc_mclient *self, PyObject *args)
{
    const char *l;
    PyObject *o, *keep;
    coord_mval v;
    int r;
    if (!PyArg_ParseTuple(args, "sO:append", &l, &o) || mval_from_py(o, &v, &keep) < 0)
        return NULL;
    if (mc_enter(self) < 0) {
        Py_XDECREF(keep);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    r = coord_mclient_list_append(self->c, l, &v, PC_MGR_TIMEOUT_MS);
    Py_END_ALLOW_THREADS
    mc_leave(self);
    Py_XDECREF(keep);
    if (r < 0)
        return mgr_raise(r, "Manager append");
    return PyLong_FromLong(r);
}

static PyObject *mc_list_item(pc_mclient *self, PyObject *args, int pop)
{
    const char *l;
    long long index;
    coord_mval v;
    int r;
    if (!PyArg_ParseTuple(args, "sL", &l, &index))
        return NULL;
    if (pop)
        MCALL_HELD(r, coord_mclient_list_pop(self->c, l, index, &v, PC_MGR_TIMEOUT_MS));
    else
        MCALL_HELD(r, coord_mclient_list_get(self->c, l, index, &v, PC_MGR_TIMEOUT_MS));
    int pickled = 0;
    PyObject *o = r < 0 ? NULL : mval_copy(&v, &pickled);
    mc_leave(self);
    if (r == COORD_ERANGE || r == COORD_ENODATA) {
        PyErr_SetString(PyExc_IndexError, pop ? "pop from empty list or bad index"
                                               : "list index out of range");
        return NULL;
    }
    if (r < 0)
        return mgr_raise(r, "Manager list");
    return mval_load(o, pickled);
}

static PyObject *mc_list_get(pc_mclient *self, PyObject *args)
{
    return mc_list_item(self, args, 0);
}

static PyObject *mc_list_pop(pc_mclient *self, PyObject *args)
{
    return mc_list_item(self, args, 1);
}

/*
 * batch(ops) -> [(status, result), ...]: ops are tuples (op, name, key,
 * value, expected, arg) with op a COORD_MOP_* number; all in one round
 * trip. The caller turns statuses into exceptions.
 */
static PyObject *mc_batch(pc_mclient *self, PyObject *ops)
{
    /* A tuple of its own: pickling a value runs any code, which could
     * change a list of ops while `name` and `key` point into its items. */
    PyObject *fast = PySequence_Tuple(ops);
    if (!fast)
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(fast);
    coord_mreq *reqs = PyMem_Calloc(n ? (size_t)n : 1, sizeof *reqs);
    PyObject **keep = PyMem_Calloc(n ? (size_t)n * 2 : 1, sizeof *keep);
    char *pickled = PyMem_Calloc(n ? (size_t)n : 1, 1);
    PyObject *out = NULL;
    if (!reqs || !keep || !pickled) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int op;
        const char *name, *key;
        PyObject *val, *exp;
        long long arg;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(fast, i), "iszOOL", &op, &name,
                              &key, &val, &exp, &arg))
            goto done;
        reqs[i].op = (coord_mop)op;
        reqs[i].name = name;
        reqs[i].key = key;
        reqs[i].arg = arg;
        reqs[i].value = coord_mval_none();
        reqs[i].expected = coord_mval_none();
        /* A set's, an append's or a cas's new value is a value even when
         * it is None (stored pickled, as d[k] = None stores it); for the
         * other operations None is the absence of one. */
        int takes_value = op == COORD_MOP_SET || op == COORD_MOP_LIST_APPEND ||
                          op == COORD_MOP_CAS;
        if ((takes_value || val != Py_None) &&
            mval_from_py(val, &reqs[i].value, &keep[2 * i]) < 0)
            goto done;
        if (exp != Py_None && mval_from_py(exp, &reqs[i].expected, &keep[2 * i + 1]) < 0)
            goto done;
    }
    int r;
    if (mc_enter(self) < 0)
        goto done;
    Py_BEGIN_ALLOW_THREADS
    r = coord_mclient_batch(self->c, reqs, (size_t)n, PC_MGR_TIMEOUT_MS);
    Py_END_ALLOW_THREADS
    if (r < 0) {
        mc_leave(self);
        mgr_raise(r, "Manager batch");
        goto done;
    }
    /* Copied while the client is held (the results point into its
     * buffer); the pickled ones are loaded after it is let go. */
    out = PyList_New(n);
    for (Py_ssize_t i = 0; out && i < n; i++) {
        PyObject *res;
        int p = 0;
        if (reqs[i].op == COORD_MOP_INCR && reqs[i].status == 0)
            res = PyLong_FromLongLong(reqs[i].result.i);
        else if (reqs[i].status >= 0 &&
                 (reqs[i].op == COORD_MOP_GET || reqs[i].op == COORD_MOP_LIST_GET ||
                  reqs[i].op == COORD_MOP_LIST_POP || reqs[i].op == COORD_MOP_CAS))
            res = mval_copy(&reqs[i].result, &p);
        else
            res = Py_NewRef(Py_None);
        PyObject *t = res ? Py_BuildValue("(iN)", reqs[i].status, res) : NULL;
        if (!t) {
            Py_CLEAR(out);
            break;
        }
        pickled[i] = (char)p;
        PyList_SET_ITEM(out, i, t);
    }
    mc_leave(self);
    for (Py_ssize_t i = 0; out && i < n; i++) {
        if (!pickled[i])
            continue;
        PyObject *t = PyList_GET_ITEM(out, i);
        PyObject *res = mval_load(Py_NewRef(PyTuple_GET_ITEM(t, 1)), 1);
        PyObject *nt = res ? Py_BuildValue("(ON)", PyTuple_GET_ITEM(t, 0), res) : NULL;
        if (!nt) {
            Py_CLEAR(out);
            break;
        }
        PyList_SetItem(out, i, nt);
    }
done:
    for (Py_ssize_t i = 0; keep && i < 2 * n; i++)
        Py_XDECREF(keep[i]);
    PyMem_Free(keep);
    PyMem_Free(pickled);
    PyMem_Free(reqs);
    Py_DECREF(fast);
    return out;
}

static PyMethodDef mclient_methods[] = {
    {"get", PC_METH(mc_get), METH_VARARGS, "get(dict, key)"},
    {"set", PC_METH(mc_set), METH_VARARGS, "set(dict, key, value)"},
    {"delete", PC_METH(mc_delete), METH_VARARGS, "delete(dict, key)"},
    {"incr", PC_METH(mc_incr), METH_VARARGS, "incr(dict, key, delta=1) -> new"},
    {"cas", PC_METH(mc_cas), METH_VARARGS, "cas(dict, key, expected, new) -> bool"},
    {"dict_len", PC_METH(mc_dict_len), METH_VARARGS, "dict_len(dict)"},
    {"keys", PC_METH(mc_keys), METH_VARARGS, "keys(dict) -> sorted list"},
    {"append", PC_METH(mc_append), METH_VARARGS, "append(list, value) -> new length"},
    {"list_get", PC_METH(mc_list_get), METH_VARARGS, "list_get(list, index)"},
    {"list_pop", PC_METH(mc_list_pop), METH_VARARGS, "list_pop(list, index)"},
    {"list_len", PC_METH(mc_list_len), METH_VARARGS, "list_len(list)"},
    {"batch", PC_METH(mc_batch), METH_O, "batch(ops) -> [(status, result)]"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject pc_mclient_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "coord._MClient",
    .tp_basicsize = sizeof(pc_mclient),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = mclient_new,
    .tp_dealloc = (destructor)mclient_dealloc,
    .tp_methods = mclient_methods,
    .tp_doc = "A connection to a coord manager (one per process).",
};

int pc_manager_add(PyObject *m)
{
    if (PyType_Ready(&pc_mserver_type) < 0 || PyType_Ready(&pc_mclient_type) < 0)
        return -1;
    PyObject *bases = PyTuple_Pack(2, pc_error_class(COORD_EPEERDIED),
                                   PyExc_ConnectionError);
    if (!bases)
        return -1;
    pc_manager_lost = PyErr_NewExceptionWithDoc(
        "coord.ManagerLost",
        "The manager was lost: its server died or closed the connection "
        "(COORD_EPEERDIED). Both a coord.EPEERDIED and a ConnectionError; "
        "the next call on that connection raises coord.ENOTCONN.",
        bases, NULL);
    Py_DECREF(bases);
    if (!pc_manager_lost ||
        PyModule_AddObjectRef(m, "ManagerLost", pc_manager_lost) < 0)
        return -1;
    if (PyModule_AddObjectRef(m, "_MServer", (PyObject *)&pc_mserver_type) < 0 ||
        PyModule_AddObjectRef(m, "_MClient", (PyObject *)&pc_mclient_type) < 0)
        return -1;
    static const struct {
        const char *name;
        int op;
    } ops[] = {{"MOP_GET", COORD_MOP_GET},           {"MOP_SET", COORD_MOP_SET},
               {"MOP_DELETE", COORD_MOP_DELETE},     {"MOP_INCR", COORD_MOP_INCR},
               {"MOP_CAS", COORD_MOP_CAS},           {"MOP_DICT_LEN", COORD_MOP_DICT_LEN},
               {"MOP_LIST_APPEND", COORD_MOP_LIST_APPEND},
               {"MOP_LIST_GET", COORD_MOP_LIST_GET}, {"MOP_LIST_LEN", COORD_MOP_LIST_LEN},
               {"MOP_LIST_POP", COORD_MOP_LIST_POP}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (PyModule_AddIntConstant(m, ops[i].name, ops[i].op) < 0)
            return -1;
    return 0;
}
