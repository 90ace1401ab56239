/* SPDX-License-Identifier: MIT */
/* value.c: coord.Value, a typed shared scalar (lock-free read, locked or atomic write, add, CAS). */
#include "pycoord.h"

typedef struct {
    PyObject_HEAD
    coord_value *v;
    coord_type type;
    char tc;
    int locked; /* writes through .value take the lock (multiprocessing's lock=True) */
    PyObject *name;
    int fd; /* an anonymous value's descriptor (coord_value_create_fd, or
               passed to this process), -1 when none */
    pc_lockstate lk;
} pc_value;

static PyTypeObject pc_value_type;

static int value_lock(void *v, int ms)
{
    return coord_value_lock(v, ms);
}

static int value_unlock(void *v)
{
    return coord_value_unlock(v);
}

/* The object over `v`; it owns `fd` (-1: none) from here, even on error. */
static PyObject *value_wrap(PyTypeObject *type, coord_value *v, char tc,
                            int locked, PyObject *name, int fd)
{
    pc_value *self = (pc_value *)type->tp_alloc(type, 0);
    if (!self) {
        coord_value_destroy(v);
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    self->fd = fd;
    self->v = v;
    self->type = coord_value_type(v);
    self->tc = tc;
    self->locked = locked;
    self->name = Py_NewRef(name ? name : Py_None);
    self->lk.obj = v;
    self->lk.lock = value_lock;
    self->lk.unlock = value_unlock;
    return (PyObject *)self;
}

static PyObject *value_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"typecode", "value", "lock", "name", NULL};
    PyObject *code, *init = NULL, *name = Py_None;
    int locked = 1;
    const char *cname;
    coord_type t;
    char tc;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O$pO:Value", kwlist, &code,
                                     &init, &locked, &name) ||
        pc_scalar_typecode(code, &t, &tc) < 0 || pc_name_arg(name, &cname) < 0)
        return NULL;
    coord_scalar s = {0};
    if (init && pc_scalar_from_py(t, tc, init, &s) < 0)
        return NULL;
    coord_value *v;
    int fd = -1;
    int r = cname ? coord_value_create_named(&v, t, cname)
                  : coord_value_create_fd(&v, t, &fd);
    if (!cname && pc_no_fd(r))
        r = coord_value_create(&v, t);
    if (r < 0)
        return pc_raise_create(r, "Value", cname);
    if (init && (r = coord_value_store(v, s)) < 0) {
        coord_value_destroy(v);
        if (fd >= 0)
            close(fd);
        return pc_raise(r, "Value");
    }
    return value_wrap(type, v, tc, locked, name, fd);
}

static PyObject *value_open(PyObject *cls, PyObject *args, PyObject *kw)
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
        PyErr_SetString(PyExc_TypeError, "Value.open() needs a name");
        return NULL;
    }
    coord_value *v;
    int r = coord_value_open(&v, cname);
    if (r < 0)
        return pc_raise(r, "Value.open");
    char tc;
    if (pc_scalar_open_tc(name, code, coord_value_type(v), "value", &tc) < 0) {
        coord_value_destroy(v);
        return NULL;
    }
    return value_wrap((PyTypeObject *)cls, v, tc, locked, name, -1);
}

/* Value._from_fd(dupfd, typecode, locked): the anonymous value that
 * pc_reduce_by_fd sent. */
static PyObject *value_from_fd(PyObject *cls, PyObject *args)
{
    PyObject *dup, *code;
    int locked, fd;
    if (!PyArg_ParseTuple(args, "OUp:_from_fd", &dup, &code, &locked) ||
        (fd = pc_fd_detach(dup)) < 0)
        return NULL;
    coord_value *v;
    int r = coord_value_open_fd(&v, fd);
    if (r < 0) {
        close(fd);
        return pc_raise(r, "Value passed by descriptor");
    }
    char tc;
    if (pc_scalar_open_tc(Py_None, code, coord_value_type(v), "value", &tc) <
        0) {
        coord_value_destroy(v);
        close(fd);
        return NULL;
    }
    return value_wrap((PyTypeObject *)cls, v, tc, locked, Py_None, fd);
}

static void value_dealloc(pc_value *self)
{
    /* A lock another thread of this process holds keeps its mapping. */
    if (pc_lock_drop(&self->lk))
        coord_value_destroy(self->v);
    if (self->fd >= 0)
        close(self->fd);
    Py_XDECREF(self->name);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *value_get(pc_value *self, void *closure)
{
    (void)closure;
    coord_scalar s;
    /* COORD_EPROTO when another process wrote over the value's words:
     * s is then unset, not a value to return. */
    int r = coord_value_get(self->v, &s);
    if (r < 0)
        return pc_raise(r, "Value");
    return pc_scalar_to_py(self->type, self->tc, s);
}

static int value_set(pc_value *self, PyObject *o, void *closure)
{
    (void)closure;
    coord_scalar s;
    if (!o) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete value");
        return -1;
    }
    if (pc_scalar_from_py(self->type, self->tc, o, &s) < 0)
        return -1;
    int r;
    if (!self->locked || pc_lock_held(&self->lk)) {
        /* One atomic store: readers never see half a value. */
        if ((r = coord_value_store(self->v, s)) < 0) {
            pc_raise(r, "Value");
            return -1;
        }
        return 0;
    }
    if (pc_lock_acquire(&self->lk, -1) < 0)
        return -1;
    r = coord_value_store(self->v, s);
    if (pc_lock_release(&self->lk) < 0)
        return -1;
    if (r < 0) {
        pc_raise(r, "Value");
        return -1;
    }
    return 0;
}

static PyObject *value_add(pc_value *self, PyObject *arg)
{
    coord_scalar d, old;
    if (pc_scalar_from_py(self->type, self->tc, arg, &d) < 0 ||
        pc_lock_acquire(&self->lk, -1) < 0)
        return NULL;
    int r = coord_value_get(self->v, &old);
    if (r == 0)
        r = coord_value_store(self->v, pc_scalar_add(self->type, old, d));
    if (pc_lock_release(&self->lk) < 0)
        return NULL;
    if (r < 0)
        return pc_raise(r, "Value.add");
    return pc_scalar_to_py(self->type, self->tc, old);
}

static PyObject *value_cas(pc_value *self, PyObject *args)
{
    PyObject *eo, *no;
    coord_scalar e, n, cur;
    if (!PyArg_ParseTuple(args, "OO:compare_exchange", &eo, &no) ||
        pc_scalar_from_py(self->type, self->tc, eo, &e) < 0 ||
        pc_scalar_from_py(self->type, self->tc, no, &n) < 0 ||
        pc_lock_acquire(&self->lk, -1) < 0)
        return NULL;
    int swapped = 0, r = coord_value_get(self->v, &cur);
    if (r == 0 && (swapped = pc_scalar_equal(self->type, cur, e)))
        r = coord_value_store(self->v, n);
    if (pc_lock_release(&self->lk) < 0)
        return NULL;
    if (r < 0)
        return pc_raise(r, "Value.compare_exchange");
    return PyBool_FromLong(swapped);
}

static PyObject *value_lockobj(pc_value *self, PyObject *noargs)
{
    (void)noargs;
    return pc_lock_new(&self->lk, (PyObject *)self);
}

static PyObject *value_reduce(pc_value *self, PyObject *noargs)
{
    (void)noargs;
    if (self->name == Py_None)
        return pc_reduce_by_fd((PyObject *)self, "Value", self->fd,
                               Py_BuildValue("(Ci)", (int)self->tc,
                                             self->locked));
    return pc_reduce_by_name((PyObject *)self, "Value", self->name, "_reopen",
                             Py_BuildValue("(OCi)", self->name, (int)self->tc,
                                           self->locked));
}

static PyObject *value_reopen(PyObject *cls, PyObject *args)
{
    return pc_reopen(cls, args, value_open);
}

static PyObject *value_typecode(pc_value *self, void *closure)
{
    (void)closure;
    return PyUnicode_FromOrdinal((unsigned char)self->tc);
}

static PyObject *value_name(pc_value *self, void *closure)
{
    (void)closure;
    return Py_NewRef(self->name);
}

static PyObject *value_repr(pc_value *self)
{
    coord_scalar s;
    if (coord_value_get(self->v, &s) < 0) /* broken: say so, as repr must */
        return PyUnicode_FromFormat("<coord.Value '%c' broken (COORD_EPROTO) name=%R>",
                                    self->tc, self->name);
    PyObject *v = pc_scalar_to_py(self->type, self->tc, s);
    if (!v)
        return NULL;
    PyObject *r = PyUnicode_FromFormat("<coord.Value '%c' %R name=%R>", self->tc,
                                       v, self->name);
    Py_DECREF(v);
    return r;
}

static PyMethodDef value_methods[] = {
    {"add", PC_METH(value_add), METH_O,
     "add(n) -> old value: value += n under the lock (wrapping in the type)."},
    {"compare_exchange", PC_METH(value_cas), METH_VARARGS,
     "compare_exchange(expected, new) -> bool: store new only if value == expected."},
    {"_lock", PC_METH(value_lockobj), METH_NOARGS, NULL},
    {"open", PC_METH(value_open), METH_VARARGS | METH_KEYWORDS | METH_CLASS,
     "Value.open(name, typecode=None, *, lock=True): the named value another process created."},
    {"_reopen", PC_METH(value_reopen), METH_VARARGS | METH_CLASS, NULL},
    {"_from_fd", PC_METH(value_from_fd), METH_VARARGS | METH_CLASS, NULL},
    {"__reduce__", PC_METH(value_reduce), METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef value_getset[] = {
    {"value", (getter)value_get, (setter)value_set,
     "the value (read: one atomic load; write: locked, or atomic with lock=False)", NULL},
    {"typecode", (getter)value_typecode, NULL, "the typecode", NULL},
    {"name", (getter)value_name, NULL, "the name, or None", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject pc_value_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "coord._Value",
    .tp_basicsize = sizeof(pc_value),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_new = value_new,
    .tp_dealloc = (destructor)value_dealloc,
    .tp_repr = (reprfunc)value_repr,
    .tp_methods = value_methods,
    .tp_getset = value_getset,
    .tp_doc = "The C core of coord.Value.",
};

int pc_value_add(PyObject *m)
{
    if (PyType_Ready(&pc_value_type) < 0)
        return -1;
    return PyModule_AddObjectRef(m, "_Value", (PyObject *)&pc_value_type);
}
