/* SPDX-License-Identifier: MIT */
/* imap.c: what Pool.imap returns: an iterator that raises a failed item's exception at its turn and goes on after it. */
#include "pycoord.h"

/*
 * multiprocessing's IMapIterator raises a failed item's exception when
 * its turn comes, and the next call goes on with the items after it. A
 * generator that raises is finished, so coord/pool.py's imap generators
 * yield a _Failed(exc) in the failed item's place instead, and
 * _ImapIter(generator) raises it. In C because this runs once per imap
 * item: a Python __next__ that looked at each value cost about 1,200
 * instructions an item (bench/python/pool_layer_ir.py), this about 40.
 */

typedef struct {
    PyObject_HEAD
    PyObject *exc; /* the exception instance */
} pc_failed;

static PyObject *failed_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    PyObject *exc;
    if (kw && PyDict_GET_SIZE(kw)) {
        PyErr_SetString(PyExc_TypeError, "_Failed takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O:_Failed", &exc))
        return NULL;
    if (!PyExceptionInstance_Check(exc)) {
        PyErr_Format(PyExc_TypeError, "_Failed needs an exception, not %.100s",
                     Py_TYPE(exc)->tp_name);
        return NULL;
    }
    pc_failed *self = (pc_failed *)type->tp_alloc(type, 0);
    if (!self)
        return NULL;
    self->exc = Py_NewRef(exc);
    return (PyObject *)self;
}

static int failed_traverse(pc_failed *self, visitproc visit, void *arg)
{
    Py_VISIT(self->exc);
    return 0;
}

static int failed_clear(pc_failed *self)
{
    Py_CLEAR(self->exc);
    return 0;
}

static void failed_dealloc(pc_failed *self)
{
    PyObject_GC_UnTrack(self);
    failed_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject pc_failed_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "coord._Failed",
    .tp_basicsize = sizeof(pc_failed),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = failed_new,
    .tp_traverse = (traverseproc)failed_traverse,
    .tp_clear = (inquiry)failed_clear,
    .tp_dealloc = (destructor)failed_dealloc,
    .tp_doc = "_Failed(exc): a failed imap item, in its place (python/src/imap.c).",
};

typedef struct {
    PyObject_HEAD
    PyObject *it;  /* the generator (any iterator) */
    PyObject *box; /* a one-item list the generator reads next()'s timeout
                      from while it waits (None: no limit), or NULL */
} pc_imap_iter;

static PyObject *imap_iter_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    PyObject *it;
    if (kw && PyDict_GET_SIZE(kw)) {
        PyErr_SetString(PyExc_TypeError, "_ImapIter takes no keyword arguments");
        return NULL;
    }
    PyObject *box = NULL;
    if (!PyArg_ParseTuple(args, "O|O!:_ImapIter", &it, &PyList_Type, &box))
        return NULL;
    if (!PyIter_Check(it)) {
        PyErr_Format(PyExc_TypeError, "_ImapIter needs an iterator, not %.100s",
                     Py_TYPE(it)->tp_name);
        return NULL;
    }
    if (box && PyList_GET_SIZE(box) != 1) {
        PyErr_SetString(PyExc_TypeError, "_ImapIter's box is a one-item list");
        return NULL;
    }
    pc_imap_iter *self = (pc_imap_iter *)type->tp_alloc(type, 0);
    if (!self)
        return NULL;
    self->it = Py_NewRef(it);
    self->box = box ? Py_NewRef(box) : NULL;
    return (PyObject *)self;
}

static PyObject *imap_iter_next(pc_imap_iter *self)
{
    PyObject *v = Py_TYPE(self->it)->tp_iternext(self->it);
    if (!v || !Py_IS_TYPE(v, &pc_failed_type))
        return v; /* a value, or the end (StopIteration, or none set) */
    /* As `raise exc` does: the instance with its own traceback. */
    PyObject *exc = ((pc_failed *)v)->exc;
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(v);
    return NULL;
}

/* next(timeout=None): multiprocessing's IMapIterator.next. The generator
 * reads the timeout from the box while it waits for the next result and,
 * when it passes, yields a _Failed(ResultTimeout) in its place without
 * moving on: a later call waits for the same result. */
static PyObject *imap_iter_next_meth(pc_imap_iter *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"timeout", NULL};
    PyObject *timeout = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:next", kwlist, &timeout))
        return NULL;
    if (!self->it) {
        PyErr_SetNone(PyExc_StopIteration);
        return NULL;
    }
    PyObject *box = timeout != Py_None ? self->box : NULL;
    if (box && PyList_GET_SIZE(box) == 1)
        PyList_SetItem(box, 0, Py_NewRef(timeout));
    PyObject *v = imap_iter_next(self);
    if (box && PyList_GET_SIZE(box) == 1)
        PyList_SetItem(box, 0, Py_NewRef(Py_None)); /* keeps a raised error */
    if (!v && !PyErr_Occurred())
        PyErr_SetNone(PyExc_StopIteration);
    return v;
}

static PyMethodDef imap_iter_methods[] = {
    {"next", PC_METH(imap_iter_next_meth), METH_VARARGS | METH_KEYWORDS,
     "next(timeout=None): the next result, as next(it); multiprocessing."
     "TimeoutError (coord.ResultTimeout) when `timeout` seconds pass first."},
    {NULL, NULL, 0, NULL},
};

static int imap_iter_traverse(pc_imap_iter *self, visitproc visit, void *arg)
{
    Py_VISIT(self->it);
    Py_VISIT(self->box);
    return 0;
}

static int imap_iter_clear(pc_imap_iter *self)
{
    Py_CLEAR(self->it);
    Py_CLEAR(self->box);
    return 0;
}

static void imap_iter_dealloc(pc_imap_iter *self)
{
    PyObject_GC_UnTrack(self);
    imap_iter_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject pc_imap_iter_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "coord._ImapIter",
    .tp_basicsize = sizeof(pc_imap_iter),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = imap_iter_new,
    .tp_traverse = (traverseproc)imap_iter_traverse,
    .tp_clear = (inquiry)imap_iter_clear,
    .tp_dealloc = (destructor)imap_iter_dealloc,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)imap_iter_next,
    .tp_methods = imap_iter_methods,
    .tp_doc = "_ImapIter(generator): Pool.imap's iterator (python/src/imap.c).",
};

int pc_imap_add(PyObject *m)
{
    if (PyType_Ready(&pc_failed_type) < 0 || PyType_Ready(&pc_imap_iter_type) < 0)
        return -1;
    if (PyModule_AddObjectRef(m, "_Failed", (PyObject *)&pc_failed_type) < 0)
        return -1;
    return PyModule_AddObjectRef(m, "_ImapIter", (PyObject *)&pc_imap_iter_type);
}
