/* SPDX-License-Identifier: MIT */
/* queue.c: coord.Queue, the crash-safe bounded queue of pickled objects or bytes, with pills and close. */
#include "pycoord.h"

#include <stdlib.h>

#define PC_QUEUE_CAPACITY 1024 /* maxsize 0: multiprocessing says "unbounded" */
#define PC_QUEUE_MAX_MSG 8192
#define PC_GET_STACK 4096      /* gets copy into the stack first */

typedef struct {
    PyObject_HEAD
    coord_queue *q;
    PyObject *name;
    int fd; /* an anonymous queue's descriptor (coord_queue_create_fd, or
               passed to this process), -1 when none */
} pc_queue;

static PyTypeObject pc_queue_type;
static PyObject *pc_protocol; /* pickle.HIGHEST_PROTOCOL */

/* The object over `q`; it owns `fd` (-1: none) from here, even on error. */
static PyObject *queue_wrap(PyTypeObject *type, coord_queue *q, PyObject *name,
                            int fd)
{
    pc_queue *self = (pc_queue *)type->tp_alloc(type, 0);
    if (!self) {
        coord_queue_destroy(q);
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    self->q = q;
    self->name = Py_NewRef(name ? name : Py_None);
    self->fd = fd;
    return (PyObject *)self;
}

static PyObject *queue_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"maxsize", "max_msg", "name", NULL};
    Py_ssize_t maxsize = 0, max_msg = PC_QUEUE_MAX_MSG;
    PyObject *name = Py_None;
    const char *cname;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|n$nO:Queue", kwlist, &maxsize,
                                     &max_msg, &name) ||
        pc_name_arg(name, &cname) < 0)
        return NULL;
    if (max_msg < 1) {
        PyErr_SetString(PyExc_ValueError, "max_msg must be >= 1");
        return NULL;
    }
    size_t cap = maxsize > 0 ? (size_t)maxsize : PC_QUEUE_CAPACITY;
    coord_queue *q;
    int fd = -1;
    int r = cname ? coord_queue_create_named(&q, cname, cap, (size_t)max_msg)
                  : coord_queue_create_fd(&q, cap, (size_t)max_msg, &fd);
    if (!cname && pc_no_fd(r))
        r = coord_queue_create(&q, cap, (size_t)max_msg);
    if (r < 0)
        return pc_raise_create(r, "Queue", cname);
    return queue_wrap(type, q, name, fd);
}

static PyObject *queue_open(PyObject *cls, PyObject *name)
{
    const char *cname;
    if (pc_name_arg(name, &cname) < 0)
        return NULL;
    if (!cname) {
        PyErr_SetString(PyExc_TypeError, "Queue.open() needs a name");
        return NULL;
    }
    coord_queue *q;
    int r = coord_queue_open(&q, cname);
    if (r < 0)
        return pc_raise(r, "Queue.open");
    return queue_wrap((PyTypeObject *)cls, q, name, -1);
}

/* Queue._from_fd(dupfd): the anonymous queue pc_reduce_by_fd sent. */
static PyObject *queue_from_fd(PyObject *cls, PyObject *dup)
{
    int fd = pc_fd_detach(dup);
    if (fd < 0)
        return NULL;
    coord_queue *q;
    int r = coord_queue_open_fd(&q, fd);
    if (r < 0) {
        close(fd);
        return pc_raise(r, "Queue passed by descriptor");
    }
    return queue_wrap((PyTypeObject *)cls, q, Py_None, fd);
}

static void queue_dealloc(pc_queue *self)
{
    coord_queue_destroy(self->q);
    if (self->fd >= 0)
        close(self->fd);
    Py_XDECREF(self->name);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* put/get's (block, timeout) arguments, as multiprocessing takes them. */
static int block_timeout(PyObject *block, PyObject *timeout, int *ms)
{
    int b = block ? PyObject_IsTrue(block) : 1;
    if (b < 0)
        return -1;
    return pc_timeout_ms(b, timeout, ms);
}

struct put_op {
    coord_queue *q;
    const void *msg;
    size_t len;
    int pill;
};

static int put_op(void *arg, int slice_ms)
{
    struct put_op *o = arg;
    return o->pill ? coord_queue_put_pill(o->q, slice_ms)
                   : coord_queue_put(o->q, o->msg, o->len, slice_ms);
}

static PyObject *put_result(int r)
{
    if (r == 0)
        Py_RETURN_NONE;
    if (r == PC_SIGNALLED)
        return NULL;
    if (r == COORD_EAGAIN || r == COORD_ETIMEDOUT) {
        PyErr_SetNone(pc_queue_full);
        return NULL;
    }
    return pc_raise(r, r == COORD_ECLOSED ? "Queue is closed" : "Queue.put");
}

/* Copy into shared memory: first a try that keeps the GIL (the common,
 * not-full case costs no GIL round trip), then sliced waits without it. */
static PyObject *put_raw(pc_queue *self, const void *msg, size_t len, int pill,
                         int ms)
{
    struct put_op o = {self->q, msg, len, pill};
    int r = put_op(&o, 0);
    if (r == COORD_EAGAIN && ms != 0)
        r = pc_wait(put_op, &o, ms);
    if (r == COORD_EMSGSIZE)
        return pc_raise_fmt(r, "Queue.put: the message is %zu bytes, over the queue's "
                               "max_msg of %zu (COORD_EMSGSIZE): make the queue with "
                               "a larger Queue(max_msg=...)",
                            len, coord_queue_max_msg(self->q));
    return put_result(r);
}

static PyObject *queue_put_bytes(pc_queue *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"data", "block", "timeout", NULL};
    Py_buffer buf;
    PyObject *block = NULL, *timeout = Py_None;
    int ms;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "y*|OO:put_bytes", kwlist, &buf,
                                     &block, &timeout))
        return NULL;
    PyObject *res = NULL;
    if (block_timeout(block, timeout, &ms) == 0)
        res = put_raw(self, buf.buf, (size_t)buf.len, 0, ms);
    PyBuffer_Release(&buf);
    return res;
}

static PyObject *queue_put(pc_queue *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"obj", "block", "timeout", NULL};
    PyObject *obj, *block = NULL, *timeout = Py_None;
    int ms;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OO:put", kwlist, &obj, &block,
                                     &timeout) ||
        block_timeout(block, timeout, &ms) < 0)
        return NULL;
    PyObject *argv[2] = {obj, pc_protocol};
    PyObject *data = PyObject_Vectorcall(pc_dumps, argv, 2, NULL);
    if (!data)
        return NULL;
    PyObject *res = put_raw(self, PyBytes_AS_STRING(data),
                            (size_t)PyBytes_GET_SIZE(data), 0, ms);
    Py_DECREF(data);
    return res;
}

static PyObject *queue_put_nowait(pc_queue *self, PyObject *const *args,
                                  Py_ssize_t nargs, PyObject *kwnames)
{
    /* put_nowait(obj), obj by position or keyword, as multiprocessing's;
     * parsed by hand: this is a fast path. */
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs + nkw != 1 ||
        (nkw && !PyUnicode_Check(PyTuple_GET_ITEM(kwnames, 0))) ||
        (nkw && PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0),
                                                 "obj") != 0)) {
        PyErr_SetString(PyExc_TypeError,
                        "put_nowait() takes exactly one argument (obj)");
        return NULL;
    }
    PyObject *obj = args[0];
    PyObject *argv[2] = {obj, pc_protocol};
    PyObject *data = PyObject_Vectorcall(pc_dumps, argv, 2, NULL);
    if (!data)
        return NULL;
    PyObject *res = put_raw(self, PyBytes_AS_STRING(data),
                            (size_t)PyBytes_GET_SIZE(data), 0, 0);
    Py_DECREF(data);
    return res;
}

static PyObject *queue_put_pill(pc_queue *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"block", "timeout", NULL};
    PyObject *block = NULL, *timeout = Py_None;
    int ms;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO:put_pill", kwlist, &block,
                                     &timeout) ||
        block_timeout(block, timeout, &ms) < 0)
        return NULL;
    return put_raw(self, NULL, 0, 1, ms);
}

struct get_op {
    coord_queue *q;
    void *buf;
    size_t cap;
    size_t len;
};

static int get_op(void *arg, int slice_ms)
{
    struct get_op *o = arg;
    return coord_queue_get(o->q, o->buf, o->cap, &o->len, slice_ms);
}

/*
 * Take one message and hand it to `finish` (loads or bytes). It lands in a
 * stack buffer when it fits; a longer one stays queued (COORD_ENOBUFS says
 * its length) and is taken again into a buffer of that size.
 */
static PyObject *get_raw(pc_queue *self, int ms, int unpickle)
{
    char stack[PC_GET_STACK];
    char *heap = NULL;
    struct get_op o = {self->q, stack, sizeof stack, 0};
    int r;
    for (;;) {
        r = get_op(&o, 0);
        if (r == COORD_EAGAIN && ms != 0)
            r = pc_wait(get_op, &o, ms);
        if (r != COORD_ENOBUFS)
            break;
        char *bigger = realloc(heap, o.len);
        if (!bigger) {
            free(heap);
            return PyErr_NoMemory();
        }
        heap = bigger;
        o.buf = heap;
        o.cap = o.len;
    }
    PyObject *res = NULL;
    if (r == 0) {
        if (unpickle) {
            PyObject *mv = PyMemoryView_FromMemory(o.buf, (Py_ssize_t)o.len, PyBUF_READ);
            if (mv) {
                res = PyObject_CallOneArg(pc_loads, mv);
                Py_DECREF(mv);
            }
        } else {
            res = PyBytes_FromStringAndSize(o.buf, (Py_ssize_t)o.len);
        }
    } else if (r == COORD_PILL) {
        res = Py_NewRef(pc_pill);
    } else if (r == COORD_EAGAIN || r == COORD_ETIMEDOUT) {
        PyErr_SetNone(pc_queue_empty);
    } else if (r != PC_SIGNALLED) {
        pc_raise(r, r == COORD_ECLOSED ? "Queue is closed" : "Queue.get");
    }
    free(heap);
    return res;
}

static PyObject *queue_get_common(pc_queue *self, PyObject *args, PyObject *kw,
                                  int unpickle)
{
    static char *kwlist[] = {"block", "timeout", NULL};
    PyObject *block = NULL, *timeout = Py_None;
    int ms;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO:get", kwlist, &block, &timeout) ||
        block_timeout(block, timeout, &ms) < 0)
        return NULL;
    return get_raw(self, ms, unpickle);
}

static PyObject *queue_get(pc_queue *self, PyObject *args, PyObject *kw)
{
    return queue_get_common(self, args, kw, 1);
}

static PyObject *queue_get_bytes(pc_queue *self, PyObject *args, PyObject *kw)
{
    return queue_get_common(self, args, kw, 0);
}

static PyObject *queue_get_nowait(pc_queue *self, PyObject *noargs)
{
    (void)noargs;
    return get_raw(self, 0, 1);
}

static PyObject *queue_qsize(pc_queue *self, PyObject *noargs)
{
    (void)noargs;
    return PyLong_FromLong(coord_queue_count(self->q));
}

static PyObject *queue_empty(pc_queue *self, PyObject *noargs)
{
    (void)noargs;
    return PyBool_FromLong(coord_queue_is_empty(self->q));
}

static PyObject *queue_full(pc_queue *self, PyObject *noargs)
{
    (void)noargs;
    return PyBool_FromLong(coord_queue_is_full(self->q));
}

static PyObject *queue_close(pc_queue *self, PyObject *noargs)
{
    (void)noargs;
    coord_queue_close(self->q);
    Py_RETURN_NONE;
}

static PyObject *queue_nothing(pc_queue *self, PyObject *noargs)
{
    (void)self;
    (void)noargs;
    Py_RETURN_NONE;
}

static PyObject *queue_reduce(pc_queue *self, PyObject *noargs)
{
    (void)noargs;
    if (self->name == Py_None)
        return pc_reduce_by_fd((PyObject *)self, "Queue", self->fd,
                               PyTuple_New(0));
    return pc_reduce_by_name((PyObject *)self, "Queue", self->name, "open",
                             Py_BuildValue("(O)", self->name));
}

static PyObject *queue_get_closed(pc_queue *self, void *closure)
{
    (void)closure;
    return PyBool_FromLong(coord_queue_is_closed(self->q));
}

static PyObject *queue_get_maxsize(pc_queue *self, void *closure)
{
    (void)closure;
    return PyLong_FromSize_t(coord_queue_capacity(self->q));
}

static PyObject *queue_get_max_msg(pc_queue *self, void *closure)
{
    (void)closure;
    return PyLong_FromSize_t(coord_queue_max_msg(self->q));
}

static PyObject *queue_get_name(pc_queue *self, void *closure)
{
    (void)closure;
    return Py_NewRef(self->name);
}

static PyObject *queue_repr(pc_queue *self)
{
    return PyUnicode_FromFormat("<coord.Queue maxsize=%zu max_msg=%zu name=%R%s>",
                                coord_queue_capacity(self->q),
                                coord_queue_max_msg(self->q), self->name,
                                coord_queue_is_closed(self->q) ? " closed" : "");
}

#define KW (METH_VARARGS | METH_KEYWORDS)
static PyMethodDef queue_methods[] = {
    {"put", PC_METH(queue_put), KW,
     "put(obj, block=True, timeout=None): pickle obj and copy it into shared memory; "
     "queue.Full when full past the timeout."},
    {"put_nowait", PC_METH(queue_put_nowait), METH_FASTCALL | METH_KEYWORDS,
     "put_nowait(obj): put(obj, False)."},
    {"put_bytes", PC_METH(queue_put_bytes), KW,
     "put_bytes(data, block=True, timeout=None): put bytes without pickling."},
    {"put_pill", PC_METH(queue_put_pill), KW,
     "put_pill(block=True, timeout=None): put a poison pill (get returns coord.PILL)."},
    {"get", PC_METH(queue_get), KW,
     "get(block=True, timeout=None) -> obj or coord.PILL; queue.Empty past the timeout."},
    {"get_nowait", PC_METH(queue_get_nowait), METH_NOARGS, "get_nowait(): get(False)."},
    {"get_bytes", PC_METH(queue_get_bytes), KW,
     "get_bytes(block=True, timeout=None) -> bytes or coord.PILL."},
    {"qsize", PC_METH(queue_qsize), METH_NOARGS, "messages queued now (pills included)."},
    {"empty", PC_METH(queue_empty), METH_NOARGS, NULL},
    {"full", PC_METH(queue_full), METH_NOARGS, NULL},
    {"close", PC_METH(queue_close), METH_NOARGS,
     "close(): close the queue for every process (puts fail; gets drain, then fail)."},
    {"join_thread", PC_METH(queue_nothing), METH_NOARGS,
     "join_thread(): does nothing (coord has no feeder thread)."},
    {"cancel_join_thread", PC_METH(queue_nothing), METH_NOARGS,
     "cancel_join_thread(): does nothing (coord has no feeder thread)."},
    {"open", PC_METH(queue_open), METH_O | METH_CLASS,
     "Queue.open(name): the named queue another process created."},
    {"_from_fd", PC_METH(queue_from_fd), METH_O | METH_CLASS, NULL},
    {"__reduce__", PC_METH(queue_reduce), METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef queue_getset[] = {
    {"closed", (getter)queue_get_closed, NULL, "has close() been called (by anyone)?", NULL},
    {"maxsize", (getter)queue_get_maxsize, NULL, "capacity in messages", NULL},
    {"max_msg", (getter)queue_get_max_msg, NULL, "largest message in bytes (pickled)", NULL},
    {"name", (getter)queue_get_name, NULL, "the name, or None", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject pc_queue_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "coord.Queue",
    .tp_basicsize = sizeof(pc_queue),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_new = queue_new,
    .tp_dealloc = (destructor)queue_dealloc,
    .tp_repr = (reprfunc)queue_repr,
    .tp_methods = queue_methods,
    .tp_getset = queue_getset,
    .tp_doc = "Queue(maxsize=0, *, max_msg=8192, name=None): a bounded shared queue "
              "of pickled objects with no feeder thread (maxsize 0: 1024).",
};

int pc_queue_add(PyObject *m)
{
    pc_protocol = PyLong_FromLong(5);
    if (!pc_protocol || PyType_Ready(&pc_queue_type) < 0)
        return -1;
    return PyModule_AddObjectRef(m, "Queue", (PyObject *)&pc_queue_type);
}
