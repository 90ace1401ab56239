/* SPDX-License-Identifier: MIT */
/* lock.c: coord.Lock, the re-entrant process-shared lock that Value and Array share with get_lock(). */
#include "pycoord.h"

#include "pythread.h"

#include <pthread.h>

typedef struct {
    PyObject_HEAD
    pc_lockstate *st;
    PyObject *owner; /* the Value or Array whose memory holds the lock */
} pc_lock;

static PyTypeObject pc_lock_type;

/* coord.LockNotOwned: a RuntimeError and an AssertionError (release of a
 * lock this thread does not hold). */
static PyObject *pc_not_owned;

unsigned long pc_fork_gen;

static void lock_after_fork(void)
{
    pc_fork_gen++;
}

int pc_lock_held(const pc_lockstate *st)
{
    return st->count > 0 && st->gen == pc_fork_gen &&
           st->owner == PyThread_get_thread_ident();
}

struct lock_op {
    pc_lockstate *st;
};

static int lock_op(void *arg, int slice_ms)
{
    struct lock_op *o = arg;
    return o->st->lock(o->st->obj, slice_ms);
}

int pc_lock_acquire(pc_lockstate *st, int timeout_ms)
{
    if (pc_lock_held(st)) {
        st->count++;
        return 1;
    }
    /* First a try without giving up the GIL: the uncontended case costs
     * one robust-mutex lock and nothing else. */
    int r = st->lock(st->obj, 0);
    if (r == COORD_EAGAIN && timeout_ms != 0) {
        struct lock_op o = {st};
        r = pc_wait(lock_op, &o, timeout_ms);
    }
    if (r == PC_SIGNALLED)
        return -1;
    if (r == 0 || r == COORD_RECOVERED) {
        st->owner = PyThread_get_thread_ident();
        st->count = 1;
        st->gen = pc_fork_gen;
        st->recovered = r == COORD_RECOVERED;
        return 1;
    }
    if (r == COORD_EAGAIN || r == COORD_ETIMEDOUT)
        return 0;
    pc_raise(r, "lock");
    return -1;
}

int pc_lock_release(pc_lockstate *st)
{
    if (!pc_lock_held(st)) {
        /* Both what threading's RLock raises and what multiprocessing's
         * does (AssertionError). */
        PyErr_SetString(pc_not_owned, "cannot release un-acquired lock");
        return -1;
    }
    if (--st->count > 0)
        return 0;
    st->owner = 0;
    int r = st->unlock(st->obj);
    if (r < 0) {
        pc_raise(r, "unlock");
        return -1;
    }
    return 0;
}

int pc_lock_drop(pc_lockstate *st)
{
    if (st->count <= 0 || st->gen != pc_fork_gen)
        return 1;
    if (st->owner != PyThread_get_thread_ident())
        return 0;
    /* Held by this thread: glibc links a held robust mutex into the
     * thread's robust list, in the mutex's own memory, so unmapping it
     * held would make this thread's next robust lock or unlock walk
     * unmapped memory (SIGSEGV). Release it first, as dropping a held
     * multiprocessing lock costs nothing. */
    st->count = 0;
    st->owner = 0;
    st->unlock(st->obj);
    return 1;
}

PyObject *pc_lock_new(pc_lockstate *st, PyObject *owner)
{
    if (st->wrapper)
        return Py_NewRef(st->wrapper);
    pc_lock *self = PyObject_GC_New(pc_lock, &pc_lock_type);
    if (!self)
        return NULL;
    self->st = st;
    self->owner = Py_NewRef(owner);
    st->wrapper = (PyObject *)self;
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

/* The collector sees the reference to the owner: a subclass of Value that
 * keeps its own lock (self.lock = self.get_lock()) makes a cycle through
 * this object, which was never freed (nor, for a named one, its name in
 * /dev/shm removed, even at exit). No tp_clear: the owner holds `st`, so
 * it stays while this lives; the cycle breaks at the owner's attributes. */
static int lock_traverse(pc_lock *self, visitproc visit, void *arg)
{
    Py_VISIT(self->owner);
    return 0;
}

static void lock_dealloc(pc_lock *self)
{
    PyObject_GC_UnTrack(self);
    /* The owner (which holds st) lives until the decref below. */
    if (self->st && self->st->wrapper == (PyObject *)self)
        self->st->wrapper = NULL;
    Py_XDECREF(self->owner);
    PyObject_GC_Del(self);
}

static PyObject *lock_acquire(pc_lock *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"block", "timeout", NULL};
    int block = 1, ms;
    PyObject *timeout = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|pO:acquire", kwlist, &block,
                                     &timeout))
        return NULL;
    if (timeout != Py_None && block) {
        double t = PyFloat_AsDouble(timeout);
        if (t == -1.0 && PyErr_Occurred())
            return NULL;
        /* multiprocessing's SemLock.acquire: a negative timeout is 0 (one
         * try, False when another holds it), not "wait for ever". */
        if (t < 0)
            block = 0;
    }
    if (pc_timeout_ms(block, timeout, &ms) < 0)
        return NULL;
    int r = pc_lock_acquire(self->st, ms);
    if (r < 0)
        return NULL;
    return PyBool_FromLong(r);
}

static PyObject *lock_release(pc_lock *self, PyObject *noargs)
{
    (void)noargs;
    if (pc_lock_release(self->st) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *lock_enter(pc_lock *self, PyObject *noargs)
{
    (void)noargs;
    int r = pc_lock_acquire(self->st, -1);
    if (r < 0)
        return NULL;
    return PyBool_FromLong(r);
}

static PyObject *lock_exit(pc_lock *self, PyObject *args)
{
    (void)args;
    if (pc_lock_release(self->st) < 0)
        return NULL;
    Py_RETURN_FALSE;
}

/* A lock pickles as its owner's: (operator.methodcaller("_lock"),
 * (owner,)), so it reaches whoever the owner reaches (by name, or by
 * descriptor for a child multiprocessing starts), and the owner's reduce
 * says why when it cannot. */
static PyObject *lock_reduce(pc_lock *self, PyObject *noargs)
{
    (void)noargs;
    PyObject *op = PyImport_ImportModule("operator");
    PyObject *fn = op ? PyObject_CallMethod(op, "methodcaller", "s", "_lock")
                      : NULL;
    Py_XDECREF(op);
    if (!fn)
        return NULL;
    return Py_BuildValue("(N(O))", fn, self->owner);
}

static PyObject *lock_repr(pc_lock *self)
{
    return PyUnicode_FromFormat("<coord.Lock of %R, held by this thread: %s>",
                                self->owner,
                                pc_lock_held(self->st) ? "yes" : "no");
}

static PyObject *lock_recovered(pc_lock *self, void *closure)
{
    (void)closure;
    return PyBool_FromLong(self->st->recovered);
}

static PyGetSetDef lock_getset[] = {
    {"recovered", (getter)lock_recovered, NULL,
     "True when the last acquire that took the lock (not a re-entrant one) "
     "took it over from a process that died holding it: what the lock "
     "guards may be half-changed, check it (the C library's COORD_RECOVERED)",
     NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMethodDef lock_methods[] = {
    {"acquire", PC_METH(lock_acquire), METH_VARARGS | METH_KEYWORDS,
     "acquire(block=True, timeout=None) -> bool (re-entrant; GIL released while waiting)"},
    {"release", PC_METH(lock_release), METH_NOARGS, "release()"},
    {"__enter__", PC_METH(lock_enter), METH_NOARGS, NULL},
    {"__exit__", PC_METH(lock_exit), METH_VARARGS, NULL},
    {"__reduce__", PC_METH(lock_reduce), METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyTypeObject pc_lock_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "coord.Lock",
    .tp_basicsize = sizeof(pc_lock),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_dealloc = (destructor)lock_dealloc,
    .tp_traverse = (traverseproc)lock_traverse,
    .tp_repr = (reprfunc)lock_repr,
    .tp_methods = lock_methods,
    .tp_getset = lock_getset,
    .tp_doc = "The robust process-shared lock of a coord Value or Array "
              "(re-entrant in a thread, like multiprocessing's RLock; a holder "
              "that dies does not wedge it).",
};

int pc_lock_add(PyObject *m)
{
    if (pthread_atfork(NULL, NULL, lock_after_fork) != 0) {
        PyErr_SetString(PyExc_OSError, "pthread_atfork failed");
        return -1;
    }
    if (PyType_Ready(&pc_lock_type) < 0)
        return -1;
    PyObject *bases = PyTuple_Pack(2, PyExc_RuntimeError, PyExc_AssertionError);
    pc_not_owned = bases ? PyErr_NewExceptionWithDoc(
                               "coord.LockNotOwned",
                               "release() of a lock this thread does not hold: "
                               "a RuntimeError (as threading's RLock raises) and "
                               "an AssertionError (as multiprocessing's)",
                               bases, NULL)
                         : NULL;
    Py_XDECREF(bases);
    if (!pc_not_owned || PyModule_AddObjectRef(m, "LockNotOwned", pc_not_owned) < 0)
        return -1;
    return PyModule_AddObjectRef(m, "Lock", (PyObject *)&pc_lock_type);
}
