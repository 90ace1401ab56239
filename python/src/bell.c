/* SPDX-License-Identifier: MIT */
/* bell.c: coord.Pool's doorbell: a futex word in shared memory that the workers ring as they finish a task and the parent pokes, on which the pool's result thread sleeps. */
#include "pycoord.h"

#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "futex_sys.h" /* libcoord's src/os: the timed wait's kernel layout */

/*
 * Why a bell. coord_pool is used by one thread at a time, so a thread
 * that sleeps inside coord_pool_result holds the pool: a result thread
 * that slept there would make every apply_async of the program wait for
 * the next result. The result thread sleeps here instead, holding
 * nothing, and takes the pool only for a try-once collection when the
 * bell says there is something to collect.
 *
 * One page, MAP_SHARED | MAP_ANONYMOUS, made before the pool forks its
 * first worker: every worker, replacements too (forked from this
 * process), shares it. `ev` counts in its low 16 bits the tasks workers
 * finished while `watch` was set (the ring comes just before the worker
 * puts the result: the sleeper that wakes may have to look twice) and in
 * its high 16 bits the parent's pokes (a callback to run, a job with a
 * callback, close, terminate). A carry from the low half reads as a poke:
 * a look for nothing, never a missed ring.
 *
 * No lost wake-up: a ringer adds to `ev` and then reads `asleep`, the
 * sleeper sets `asleep` and then compares `ev` (FUTEX_WAIT compares it
 * again in the kernel), all seq_cst: either the ringer sees the sleeper
 * and wakes it, or the sleeper sees the new `ev` and does not sleep.
 * There is one sleeper, the pool's result thread.
 */
struct pc_bell {
    _Atomic uint32_t ev;
    _Atomic uint32_t watch;  /* workers ring only while it is 1 */
    _Atomic uint32_t asleep; /* the result thread sleeps on ev */
};

typedef struct {
    PyObject_HEAD
    struct pc_bell *b;
} pc_bell_obj;

static PyTypeObject pc_bell_type;

/* Wake the sleeper, if any, after a change of ev. No FUTEX_PRIVATE_FLAG:
 * the word is shared with the workers. */
static void wake(struct pc_bell *b)
{
    if (atomic_load_explicit(&b->asleep, memory_order_seq_cst))
        syscall(SYS_futex, (uint32_t *)&b->ev, FUTEX_WAKE, 1, NULL, NULL, 0);
}

void pc_bell_ring(struct pc_bell *b)
{
    /* Relaxed: a stale 0 only delays a result to the sleeper's next look
     * (its tick); a worker that is not watched touches no shared line. */
    if (!b || !atomic_load_explicit(&b->watch, memory_order_relaxed))
        return;
    atomic_fetch_add_explicit(&b->ev, 1, memory_order_seq_cst);
    wake(b);
}

struct pc_bell *pc_bell_of(PyObject *o)
{
    if (!PyObject_TypeCheck(o, &pc_bell_type)) {
        PyErr_SetString(PyExc_TypeError, "a coord._Bell is needed");
        return NULL;
    }
    return ((pc_bell_obj *)o)->b;
}

static PyObject *bell_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    if (!PyArg_ParseTuple(args, ":_Bell") || (kw && PyDict_Size(kw))) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "_Bell() takes no arguments");
        return NULL;
    }
    pc_bell_obj *self = (pc_bell_obj *)type->tp_alloc(type, 0);
    if (!self)
        return NULL;
    void *m = mmap(NULL, sizeof(struct pc_bell), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        Py_DECREF(self);
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    self->b = m; /* zeroed: nothing rung, nobody watched */
    return (PyObject *)self;
}

static void bell_dealloc(pc_bell_obj *self)
{
    if (self->b)
        munmap(self->b, sizeof(struct pc_bell));
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *bell_read(pc_bell_obj *self, PyObject *noargs)
{
    (void)noargs;
    return PyLong_FromUnsignedLong(atomic_load_explicit(&self->b->ev, memory_order_seq_cst));
}

static PyObject *bell_poke(pc_bell_obj *self, PyObject *noargs)
{
    (void)noargs;
    atomic_fetch_add_explicit(&self->b->ev, 1u << 16, memory_order_seq_cst);
    wake(self->b);
    Py_RETURN_NONE;
}

/* wait(seen, timeout_ms, watch) -> ev: sleep without the GIL while ev is
 * `seen`, at most timeout_ms (> 0); `watch` says whether the workers'
 * rings should wake it. Returns at once, without sleeping, when it turns
 * watching on: a worker that found watch 0 may have finished a task whose
 * result the caller must look for first. */
static PyObject *bell_wait(pc_bell_obj *self, PyObject *args)
{
    unsigned long seen;
    int ms, watch;
    if (!PyArg_ParseTuple(args, "kip:wait", &seen, &ms, &watch))
        return NULL;
    if (ms <= 0) {
        PyErr_SetString(PyExc_ValueError, "_Bell.wait: timeout_ms must be > 0");
        return NULL;
    }
    struct pc_bell *b = self->b;
    /* Written only when it changes: every worker reads it for each task.
     * The one sleeper is its one writer. */
    uint32_t was = atomic_load_explicit(&b->watch, memory_order_relaxed);
    if (was != (uint32_t)watch)
        atomic_store_explicit(&b->watch, (uint32_t)watch, memory_order_seq_cst);
    uint32_t ev = atomic_load_explicit(&b->ev, memory_order_seq_cst);
    if (watch && !was)
        return PyLong_FromUnsignedLong(ev);
    Py_BEGIN_ALLOW_THREADS
    atomic_store_explicit(&b->asleep, 1, memory_order_seq_cst);
    ev = atomic_load_explicit(&b->ev, memory_order_seq_cst);
    if (ev == (uint32_t)seen) {
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        /* 0, or EAGAIN (ev moved), EINTR, ETIMEDOUT: the caller looks.
         * Through libcoord's one timed futex wait: on a 32-bit target
         * with 64-bit time_t a struct timespec handed to SYS_futex itself
         * read as 0 s, and the result thread spun. */
        coord__futex_wait_sys((uint32_t *)&b->ev, FUTEX_WAIT, (uint32_t)seen, &ts, 0);
        ev = atomic_load_explicit(&b->ev, memory_order_seq_cst);
    }
    atomic_store_explicit(&b->asleep, 0, memory_order_relaxed);
    Py_END_ALLOW_THREADS
    return PyLong_FromUnsignedLong(ev);
}

static PyMethodDef bell_methods[] = {
    {"read", PC_METH(bell_read), METH_NOARGS, "read() -> ev"},
    {"poke", PC_METH(bell_poke), METH_NOARGS, "poke(): wake the sleeper"},
    {"wait", PC_METH(bell_wait), METH_VARARGS, "wait(seen, timeout_ms, watch) -> ev"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject pc_bell_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "coord._Bell",
    .tp_basicsize = sizeof(pc_bell_obj),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = bell_new,
    .tp_dealloc = (destructor)bell_dealloc,
    .tp_methods = bell_methods,
    .tp_doc = "coord.Pool's doorbell (see python/src/bell.c).",
};

int pc_bell_add(PyObject *m)
{
    if (PyType_Ready(&pc_bell_type) < 0)
        return -1;
    return PyModule_AddObjectRef(m, "_Bell", (PyObject *)&pc_bell_type);
}
