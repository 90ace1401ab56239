/* SPDX-License-Identifier: MIT */
/* array.c: coord.Array, a typed fixed-size shared array (sequence, slices, writable buffer). */
#include "pycoord.h"

#include <string.h>

typedef struct {
    PyObject_HEAD
    coord_array *a;
    coord_type type;
    char tc;
    char fmt[2];          /* buffer-protocol format: the typecode */
    int locked;
    Py_ssize_t shape[1];  /* length, for the buffer protocol */
    Py_ssize_t strides[1];
    PyObject *name;
    int fd; /* an anonymous array's descriptor (coord_array_create_fd, or
               passed to this process), -1 when none */
    pc_lockstate lk;
} pc_array;

static PyTypeObject pc_array_type;

static int array_lock(void *a, int ms)
{
    return coord_array_lock(a, ms);
}

static int array_unlock(void *a)
{
    return coord_array_unlock(a);
}

/* The object over `a`; it owns `fd` (-1: none) from here, even on error. */
static PyObject *array_wrap(PyTypeObject *type, coord_array *a, char tc,
                            int locked, PyObject *name, int fd)
{
    pc_array *self = (pc_array *)type->tp_alloc(type, 0);
    if (!self) {
        coord_array_destroy(a);
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    self->fd = fd;
    self->a = a;
    self->type = coord_array_type(a);
    self->tc = tc;
    self->fmt[0] = tc;
    self->fmt[1] = 0;
    self->locked = locked;
    self->shape[0] = (Py_ssize_t)coord_array_length(a);
    self->strides[0] = (Py_ssize_t)coord_type_size(self->type);
    self->name = Py_NewRef(name ? name : Py_None);
    self->lk.obj = a;
    self->lk.lock = array_lock;
    self->lk.unlock = array_unlock;
    return (PyObject *)self;
}

/* The elements, for the accesses that use them directly (bytes of a 'c'
 * array, the buffer protocol): NULL with coord.EPROTO set when the
 * array's words in shared memory fail their check (another process wrote
 * over them), where coord_array_data returns NULL. */
static char *array_bytes(pc_array *self)
{
    char *d = coord_array_data(self->a);
    if (!d)
        pc_raise(COORD_EPROTO, "Array");
    return d;
}

/*
 * A locked array (lock=True) holds its lock across each write and each
 * slice read, as multiprocessing's synchronized array takes it for every
 * access: a slice assigned in one process is never seen half-written by a
 * slice read (or by a holder of get_lock()) in another. One element's read
 * stays one atomic load without the lock, as a Value's read. 1: taken
 * (pc_lock_release it), 0: not locked, -1: an exception (Ctrl-C).
 */
static int array_access(pc_array *self)
{
    if (!self->locked)
        return 0;
    return pc_lock_acquire(&self->lk, -1) < 0 ? -1 : 1;
}

/* Store the scalars `s[0..n)` at start, start + step, ...: under the lock
 * of a locked array, taken after every conversion (no Python code runs
 * while it is held). */
static int array_store_all(pc_array *self, Py_ssize_t start, Py_ssize_t step,
                           const coord_scalar *s, Py_ssize_t n)
{
    int took = array_access(self);
    if (took < 0)
        return -1;
    int r = 0;
    for (Py_ssize_t k = 0; r == 0 && k < n; k++)
        r = coord_array_set(self->a, (size_t)(start + k * step), s[k]);
    if (took && pc_lock_release(&self->lk) < 0)
        return -1;
    if (r < 0) {
        pc_raise(r, "Array");
        return -1;
    }
    return 0;
}

/* Convert every item of `fast` (n of them; its reference is taken) first,
 * then store them at start, start + step, ... in one go (under the lock of
 * a locked array): an item that does not fit changes nothing. */
static int array_store_fast(pc_array *self, PyObject *fast, Py_ssize_t start,
                            Py_ssize_t step, Py_ssize_t n)
{
    coord_scalar *s = PyMem_New(coord_scalar, n > 0 ? (size_t)n : 1);
    if (!s) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return -1;
    }
    int r = 0;
    for (Py_ssize_t k = 0; r == 0 && k < n; k++)
        r = pc_scalar_from_py(self->type, self->tc,
                              PySequence_Fast_GET_ITEM(fast, k), &s[k]);
    Py_DECREF(fast);
    if (r == 0)
        r = array_store_all(self, start, step, s, n);
    PyMem_Free(s);
    return r;
}


static int array_store(pc_array *self, Py_ssize_t i, PyObject *o)
{
    coord_scalar s;
    if (pc_scalar_from_py(self->type, self->tc, o, &s) < 0)
        return -1;
    /* One atomic store per element (release): readers never see half of it. */
    return array_store_all(self, i, 1, &s, 1);
}

static PyObject *array_load(pc_array *self, Py_ssize_t i)
{
    coord_scalar s;
    int r = coord_array_get(self->a, (size_t)i, &s);
    if (r < 0)
        return pc_raise(r, "Array");
    return pc_scalar_to_py(self->type, self->tc, s);
}

/* Fill from an initializer: a sequence (or bytes for 'c'). */
static int array_fill(pc_array *self, PyObject *seq)
{
    if (self->tc == 'c' && PyBytes_Check(seq)) {
        char *d = array_bytes(self);
        if (!d)
            return -1;
        memcpy(d, PyBytes_AS_STRING(seq), (size_t)PyBytes_GET_SIZE(seq));
        return 0;
    }
    PyObject *fast = PySequence_Fast(seq, "Array initializer must be a sequence");
    if (!fast)
        return -1;
    if (PyList_CheckExact(fast)) {
        /* A tuple of its own: an item's __index__ may change the caller's
         * list while the items are converted. */
        PyObject *t = PyList_AsTuple(fast);
        Py_DECREF(fast);
        if (!(fast = t))
            return -1;
    }
    /* The caller made the array this long; one lock for all the stores. */
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    if (n > self->shape[0]) {
        Py_DECREF(fast);
        PyErr_SetString(PyExc_ValueError, "Array initializer is longer than the array");
        return -1;
    }
    return array_store_fast(self, fast, 0, 1, n);
}

static PyObject *array_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"typecode", "size_or_initializer", "lock", "name", NULL};
    PyObject *code, *init, *name = Py_None, *seq = NULL;
    int locked = 1;
    const char *cname;
    coord_type t;
    char tc;
    Py_ssize_t n;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|$pO:Array", kwlist, &code,
                                     &init, &locked, &name) ||
        pc_scalar_typecode(code, &t, &tc) < 0 || pc_name_arg(name, &cname) < 0)
        return NULL;
    if (PyLong_Check(init)) {
        n = PyLong_AsSsize_t(init);
        if (n < 0) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "Array size must be >= 0");
            return NULL;
        }
    } else {
        if (tc == 'c' && PyBytes_Check(init))
            seq = Py_NewRef(init);
        else if (tc == 'c' && PyObject_CheckBuffer(init)) {
            /* bytearray, memoryview: their bytes, as ctypes takes them */
            if (!(seq = PyBytes_FromObject(init)))
                return NULL;
        } else if (!(seq = PySequence_Fast(init, "Array: size or sequence expected")))
            return NULL;
        n = PyBytes_Check(seq) ? PyBytes_GET_SIZE(seq) : PySequence_Fast_GET_SIZE(seq);
    }
    if (n == 0 && cname) {
        /* The length an opener sees is the segment's, and coord keeps no
         * empty segment: Array.open and unpickling would find one element. */
        Py_XDECREF(seq);
        PyErr_SetString(PyExc_ValueError,
                        "a named Array needs at least one element");
        return NULL;
    }
    if ((size_t)n > COORD_ARRAY_MAX_BYTES / coord_type_size(t)) {
        /* As ctypes says for an array whose bytes overflow (it was
         * coord.EINVAL, a ValueError, where multiprocessing raises this). */
        Py_XDECREF(seq);
        PyErr_Format(PyExc_OverflowError,
                     "array too large (%zd elements of %zu bytes: coord's "
                     "limit is COORD_ARRAY_MAX_BYTES, 1 TiB)",
                     n, coord_type_size(t));
        return NULL;
    }
    coord_array *a;
    /* coord refuses empty arrays; keep one hidden element and report 0
     * (only this process, its forks and the children it is passed to by
     * descriptor, which are told the length, see the object). */
    size_t cn = n > 0 ? (size_t)n : 1;
    int fd = -1;
    int r = cname ? coord_array_create_named(&a, t, cn, cname)
                  : coord_array_create_fd(&a, t, cn, &fd);
    if (!cname && pc_no_fd(r))
        r = coord_array_create(&a, t, cn);
    if (r < 0) {
        Py_XDECREF(seq);
        return pc_raise_create(r, "Array", cname);
    }
    pc_array *self = (pc_array *)array_wrap(type, a, tc, locked, name, fd);
    if (self)
        self->shape[0] = n;
    if (self && seq && array_fill(self, seq) < 0)
        Py_CLEAR(self);
    Py_XDECREF(seq);
    return (PyObject *)self;
}

static PyObject *array_open(PyObject *cls, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"name", "typecode", "lock", NULL};
    PyObject *name, *code = Py_None;
    int locked = 1;
    const char *cname;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O$p:open", kwlist, &name,
                                     &code, &locked) ||
        pc_name_arg(name, &cname) < 0)
        return NULL;
    if (!cname) {
        PyErr_SetString(PyExc_TypeError, "Array.open() needs a name");
        return NULL;
    }
    coord_array *a;
    int r = coord_array_open(&a, cname);
    if (r < 0)
        return pc_raise(r, "Array.open");
    char tc;
    if (pc_scalar_open_tc(name, code, coord_array_type(a), "array", &tc) < 0) {
        coord_array_destroy(a);
        return NULL;
    }
    return array_wrap((PyTypeObject *)cls, a, tc, locked, name, -1);
}

/* Array._from_fd(dupfd, typecode, locked, length): the anonymous array
 * that pc_reduce_by_fd sent. `length` is what its creator shows (an empty
 * array keeps one hidden element). */
static PyObject *array_from_fd(PyObject *cls, PyObject *args)
{
    PyObject *dup, *code;
    int locked, fd;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "OUpn:_from_fd", &dup, &code, &locked, &n) ||
        (fd = pc_fd_detach(dup)) < 0)
        return NULL;
    coord_array *a;
    int r = coord_array_open_fd(&a, fd);
    if (r < 0) {
        close(fd);
        return pc_raise(r, "Array passed by descriptor");
    }
    char tc;
    if (pc_scalar_open_tc(Py_None, code, coord_array_type(a), "array", &tc) <
        0) {
        coord_array_destroy(a);
        close(fd);
        return NULL;
    }
    /* Read before the object owns `a`: a bad length clears the object,
     * which unmaps the array (the message read it afterwards: SIGSEGV). */
    size_t held = coord_array_length(a);
    pc_array *self = (pc_array *)array_wrap((PyTypeObject *)cls, a, tc,
                                            locked, Py_None, fd);
    if (self && (n < 0 || (size_t)n > held)) {
        Py_CLEAR(self);
        PyErr_Format(PyExc_ValueError,
                     "Array passed by descriptor: length %zd, but it holds %zu",
                     n, held);
    }
    if (self)
        self->shape[0] = n;
    return (PyObject *)self;
}

static PyObject *array_reopen(PyObject *cls, PyObject *args)
{
    return pc_reopen(cls, args, array_open);
}

static void array_dealloc(pc_array *self)
{
    /* A lock another thread of this process holds keeps its mapping. */
    if (pc_lock_drop(&self->lk))
        coord_array_destroy(self->a);
    if (self->fd >= 0)
        close(self->fd);
    Py_XDECREF(self->name);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static Py_ssize_t array_len(pc_array *self)
{
    return self->shape[0];
}

static PyObject *array_item(pc_array *self, Py_ssize_t i)
{
    if (i < 0 || i >= self->shape[0]) {
        PyErr_SetString(PyExc_IndexError, "invalid index");
        return NULL;
    }
    return array_load(self, i);
}

static PyObject *array_subscript(pc_array *self, PyObject *key)
{
    if (PyIndex_Check(key)) {
        Py_ssize_t i = PyNumber_AsSsize_t(key, PyExc_IndexError);
        if (i == -1 && PyErr_Occurred())
            return NULL;
        if (i < 0)
            i += self->shape[0];
        return array_item(self, i);
    }
    if (!PySlice_Check(key)) {
        PyErr_SetString(PyExc_TypeError, "indices must be integers or slices");
        return NULL;
    }
    Py_ssize_t start, stop, step;
    if (PySlice_Unpack(key, &start, &stop, &step) < 0)
        return NULL;
    Py_ssize_t n = PySlice_AdjustIndices(self->shape[0], &start, &stop, step);
    int took;
    if (self->tc == 'c') { /* as ctypes: a slice of chars is bytes */
        const char *d = array_bytes(self);
        if (!d)
            return NULL;
        PyObject *b = PyBytes_FromStringAndSize(NULL, n);
        if (!b)
            return NULL;
        if ((took = array_access(self)) < 0) {
            Py_DECREF(b);
            return NULL;
        }
        for (Py_ssize_t k = 0; k < n; k++)
            PyBytes_AS_STRING(b)[k] = d[start + k * step];
        if (took && pc_lock_release(&self->lk) < 0)
            Py_CLEAR(b);
        return b;
    }
    /* The elements first (under the lock of a locked array, see
     * array_access), their objects after. */
    coord_scalar *s = PyMem_New(coord_scalar, n > 0 ? (size_t)n : 1);
    if (!s)
        return PyErr_NoMemory();
    if ((took = array_access(self)) < 0) {
        PyMem_Free(s);
        return NULL;
    }
    int r = 0;
    for (Py_ssize_t k = 0; r == 0 && k < n; k++)
        r = coord_array_get(self->a, (size_t)(start + k * step), &s[k]);
    if (took && pc_lock_release(&self->lk) < 0) {
        PyMem_Free(s);
        return NULL;
    }
    if (r < 0) {
        PyMem_Free(s);
        return pc_raise(r, "Array");
    }
    PyObject *list = PyList_New(n);
    for (Py_ssize_t k = 0; list && k < n; k++) {
        PyObject *o = pc_scalar_to_py(self->type, self->tc, s[k]);
        if (!o)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, k, o);
    }
    PyMem_Free(s);
    return list;
}

static int array_ass_subscript(pc_array *self, PyObject *key, PyObject *val)
{
    if (!val) {
        PyErr_SetString(PyExc_TypeError, "coord.Array does not support item deletion");
        return -1;
    }
    if (PyIndex_Check(key)) {
        Py_ssize_t i = PyNumber_AsSsize_t(key, PyExc_IndexError);
        if (i == -1 && PyErr_Occurred())
            return -1;
        if (i < 0)
            i += self->shape[0];
        if (i < 0 || i >= self->shape[0]) {
            PyErr_SetString(PyExc_IndexError, "invalid index");
            return -1;
        }
        return array_store(self, i, val);
    }
    if (!PySlice_Check(key)) {
        PyErr_SetString(PyExc_TypeError, "indices must be integers or slices");
        return -1;
    }
    Py_ssize_t start, stop, step;
    if (PySlice_Unpack(key, &start, &stop, &step) < 0)
        return -1;
    Py_ssize_t n = PySlice_AdjustIndices(self->shape[0], &start, &stop, step);
    if (self->tc == 'c' && PyBytes_Check(val)) {
        if (PyBytes_GET_SIZE(val) != n) {
            PyErr_SetString(PyExc_ValueError, "Can only assign sequence of same size");
            return -1;
        }
        char *d = array_bytes(self);
        int took;
        if (!d || (took = array_access(self)) < 0)
            return -1;
        for (Py_ssize_t k = 0; k < n; k++)
            d[start + k * step] = PyBytes_AS_STRING(val)[k];
        return took && pc_lock_release(&self->lk) < 0 ? -1 : 0;
    }
    PyObject *fast = PySequence_Fast(val, "can only assign a sequence to a slice");
    if (fast && PyList_CheckExact(fast)) {
        /* A tuple of its own: an item's __index__ may change the caller's
         * list meanwhile (its size is checked once, its items read after
         * each store). */
        PyObject *t = PyList_AsTuple(fast);
        Py_DECREF(fast);
        fast = t;
    }
    if (!fast)
        return -1;
    if (PySequence_Fast_GET_SIZE(fast) != n) {
        Py_DECREF(fast);
        PyErr_SetString(PyExc_ValueError, "Can only assign sequence of same size");
        return -1;
    }
    /* Every item converted first, then stored in one go (under the lock
     * of a locked array): an item that does not fit changes nothing. */
    return array_store_fast(self, fast, start, step, n);
}

static int array_getbuffer(pc_array *self, Py_buffer *view, int flags)
{
    (void)flags;
    view->obj = NULL;
    if (!(view->buf = array_bytes(self)))
        return -1;
    view->obj = Py_NewRef((PyObject *)self);
    view->len = self->shape[0] * self->strides[0];
    view->readonly = 0;
    view->itemsize = self->strides[0];
    view->format = self->fmt;
    view->ndim = 1;
    view->shape = self->shape;
    view->strides = self->strides;
    view->suboffsets = NULL;
    view->internal = NULL;
    return 0;
}

static PyObject *array_lockobj(pc_array *self, PyObject *noargs)
{
    (void)noargs;
    return pc_lock_new(&self->lk, (PyObject *)self);
}

static PyObject *array_reduce(pc_array *self, PyObject *noargs)
{
    (void)noargs;
    if (self->name == Py_None)
        return pc_reduce_by_fd((PyObject *)self, "Array", self->fd,
                               Py_BuildValue("(Cin)", (int)self->tc,
                                             self->locked, self->shape[0]));
    return pc_reduce_by_name((PyObject *)self, "Array", self->name, "_reopen",
                             Py_BuildValue("(OCi)", self->name, (int)self->tc,
                                           self->locked));
}

static PyObject *array_typecode(pc_array *self, void *closure)
{
    (void)closure;
    return PyUnicode_FromOrdinal((unsigned char)self->tc);
}

static PyObject *array_name(pc_array *self, void *closure)
{
    (void)closure;
    return Py_NewRef(self->name);
}

static PyObject *array_repr(pc_array *self)
{
    return PyUnicode_FromFormat("<coord.Array '%c' length %zd name=%R>", self->tc,
                                self->shape[0], self->name);
}

static PyMethodDef array_methods[] = {
    {"_lock", PC_METH(array_lockobj), METH_NOARGS, NULL},
    {"open", PC_METH(array_open), METH_VARARGS | METH_KEYWORDS | METH_CLASS,
     "Array.open(name, typecode=None, *, lock=True): the named array another process created."},
    {"_reopen", PC_METH(array_reopen), METH_VARARGS | METH_CLASS, NULL},
    {"_from_fd", PC_METH(array_from_fd), METH_VARARGS | METH_CLASS, NULL},
    {"__reduce__", PC_METH(array_reduce), METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef array_getset[] = {
    {"typecode", (getter)array_typecode, NULL, "the typecode", NULL},
    {"name", (getter)array_name, NULL, "the name, or None", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PySequenceMethods array_as_sequence = {
    .sq_length = (lenfunc)array_len,
    .sq_item = (ssizeargfunc)array_item,
};

static PyMappingMethods array_as_mapping = {
    .mp_length = (lenfunc)array_len,
    .mp_subscript = (binaryfunc)array_subscript,
    .mp_ass_subscript = (objobjargproc)array_ass_subscript,
};

static PyBufferProcs array_as_buffer = {
    .bf_getbuffer = (getbufferproc)array_getbuffer,
};

static PyTypeObject pc_array_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "coord._Array",
    .tp_basicsize = sizeof(pc_array),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_new = array_new,
    .tp_dealloc = (destructor)array_dealloc,
    .tp_repr = (reprfunc)array_repr,
    .tp_as_sequence = &array_as_sequence,
    .tp_as_mapping = &array_as_mapping,
    .tp_as_buffer = &array_as_buffer,
    .tp_methods = array_methods,
    .tp_getset = array_getset,
    .tp_doc = "The C core of coord.Array.",
};

int pc_array_add(PyObject *m)
{
    if (PyType_Ready(&pc_array_type) < 0)
        return -1;
    return PyModule_AddObjectRef(m, "_Array", (PyObject *)&pc_array_type);
}
