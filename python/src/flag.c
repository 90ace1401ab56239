/* SPDX-License-Identifier: MIT */
/* flag.c: coord.Flag, the shared stop flag (is_set, set, claim, reset, wait, epochs). */
#include "pycoord.h"

typedef struct {
    PyObject_HEAD
    coord_flag *f;
    PyObject *name; /* str, or None for an anonymous flag */
    int fd;         /* an anonymous flag's descriptor (coord_flag_create_fd,
                       or passed to this process), -1 when none */
} pc_flag;

static PyTypeObject pc_flag_type;

/* The object over `f`; it owns `fd` (-1: none) from here, even on error. */
static PyObject *flag_wrap(PyTypeObject *type, coord_flag *f, PyObject *name,
                           int fd)
{
    pc_flag *self = (pc_flag *)type->tp_alloc(type, 0);
    if (!self) {
        coord_flag_destroy(f);
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    self->f = f;
    self->name = Py_NewRef(name ? name : Py_None);
    self->fd = fd;
    return (PyObject *)self;
}

static PyObject *flag_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"name", NULL};
    PyObject *name = Py_None;
    const char *cname;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$O:Flag", kwlist, &name) ||
        pc_name_arg(name, &cname) < 0)
        return NULL;
    coord_flag *f;
    int fd = -1;
    int r = cname ? coord_flag_create_named(&f, cname)
                  : coord_flag_create_fd(&f, &fd);
    if (!cname && pc_no_fd(r))
        r = coord_flag_create(&f);
    if (r < 0)
        return pc_raise_create(r, "Flag", cname);
    return flag_wrap(type, f, name, fd);
}

static PyObject *flag_open(PyObject *cls, PyObject *name)
{
    const char *cname;
    if (pc_name_arg(name, &cname) < 0)
        return NULL;
    if (!cname) {
        PyErr_SetString(PyExc_TypeError, "Flag.open() needs a name");
        return NULL;
    }
    coord_flag *f;
    int r = coord_flag_open(&f, cname);
    if (r < 0)
        return pc_raise(r, "Flag.open");
    return flag_wrap((PyTypeObject *)cls, f, name, -1);
}

/* Flag._from_fd(dupfd): the anonymous flag pc_reduce_by_fd sent. */
static PyObject *flag_from_fd(PyObject *cls, PyObject *dup)
{
    int fd = pc_fd_detach(dup);
    if (fd < 0)
        return NULL;
    coord_flag *f;
    int r = coord_flag_open_fd(&f, fd);
    if (r < 0) {
        close(fd);
        return pc_raise(r, "Flag passed by descriptor");
    }
    return flag_wrap((PyTypeObject *)cls, f, Py_None, fd);
}

static void flag_dealloc(pc_flag *self)
{
    coord_flag_destroy(self->f);
    if (self->fd >= 0)
        close(self->fd);
    Py_XDECREF(self->name);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *flag_is_set(pc_flag *self, PyObject *noargs)
{
    (void)noargs;
    return PyBool_FromLong(coord_flag_is_set(self->f));
}

/* `if flag:` is is_set() without the method call (the fastest check). */
static int flag_bool(pc_flag *self)
{
    return coord_flag_is_set(self->f);
}

static PyNumberMethods flag_as_number = {
    .nb_bool = (inquiry)flag_bool,
};

static PyObject *flag_set(pc_flag *self, PyObject *noargs)
{
    (void)noargs;
    coord_flag_set(self->f);
    Py_RETURN_NONE;
}

static PyObject *flag_claim(pc_flag *self, PyObject *noargs)
{
    (void)noargs;
    return PyBool_FromLong(coord_flag_claim(self->f));
}

static PyObject *flag_claim_locked(pc_flag *self, PyObject *noargs)
{
    (void)noargs;
    bool won;
    Py_BEGIN_ALLOW_THREADS
    won = coord_flag_claim_locked(self->f);
    Py_END_ALLOW_THREADS
    return PyBool_FromLong(won);
}

static PyObject *flag_claim_epoch(pc_flag *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"epoch", "locked", NULL};
    uint32_t epoch;
    int locked = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|p:claim_epoch", kwlist, pc_u32,
                                     &epoch, &locked))
        return NULL;
    int r;
    Py_BEGIN_ALLOW_THREADS
    r = coord_flag_claim_epoch(self->f, epoch,
                               locked ? COORD_CLAIM_LOCK : COORD_CLAIM_CAS);
    Py_END_ALLOW_THREADS
    if (r < 0)
        return pc_raise(r, "Flag.claim_epoch");
    return PyBool_FromLong(r);
}

static PyObject *flag_reset(pc_flag *self, PyObject *noargs)
{
    (void)noargs;
    int r = coord_flag_reset(self->f);
    if (r < 0)
        return pc_raise(r, "Flag.reset");
    return PyLong_FromLong(r);
}

static int flag_wait_op(void *arg, int slice_ms)
{
    return coord_flag_wait(arg, slice_ms);
}

static PyObject *flag_wait(pc_flag *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"timeout", NULL};
    PyObject *timeout = Py_None;
    int ms;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:wait", kwlist, &timeout) ||
        pc_timeout_ms(1, timeout, &ms) < 0)
        return NULL;
    int r = pc_wait(flag_wait_op, self->f, ms);
    if (r == PC_SIGNALLED)
        return NULL;
    if (r == 0)
        Py_RETURN_TRUE;
    if (r == COORD_ETIMEDOUT || r == COORD_EAGAIN)
        Py_RETURN_FALSE;
    return pc_raise(r, "Flag.wait");
}

static PyObject *flag_epoch(pc_flag *self, void *closure)
{
    (void)closure;
    return PyLong_FromUnsignedLong(coord_flag_epoch(self->f));
}

static PyObject *flag_name(pc_flag *self, void *closure)
{
    (void)closure;
    return Py_NewRef(self->name);
}

static PyObject *flag_reduce(pc_flag *self, PyObject *noargs)
{
    (void)noargs;
    if (self->name == Py_None)
        return pc_reduce_by_fd((PyObject *)self, "Flag", self->fd,
                               PyTuple_New(0));
    return pc_reduce_by_name((PyObject *)self, "Flag", self->name, "open",
                             Py_BuildValue("(O)", self->name));
}

static PyObject *flag_repr(pc_flag *self)
{
    return PyUnicode_FromFormat("<coord.Flag name=%R set=%s epoch=%u>",
                                self->name,
                                coord_flag_is_set(self->f) ? "True" : "False",
                                coord_flag_epoch(self->f));
}

static PyMethodDef flag_methods[] = {
    {"is_set", PC_METH(flag_is_set), METH_NOARGS,
     "is_set() -> bool: one atomic load (wait-free, no lock)."},
    {"set", PC_METH(flag_set), METH_NOARGS,
     "set(): set the flag and wake its waiters."},
    {"claim", PC_METH(flag_claim), METH_NOARGS,
     "claim() -> bool: True for exactly one caller per epoch (one CAS)."},
    {"claim_locked", PC_METH(flag_claim_locked), METH_NOARGS,
     "claim_locked() -> bool: the lecture's lock, check, set."},
    {"claim_epoch", PC_METH(flag_claim_epoch), METH_VARARGS | METH_KEYWORDS,
     "claim_epoch(epoch, locked=False) -> bool: claim only while the epoch is `epoch`."},
    {"reset", PC_METH(flag_reset), METH_NOARGS,
     "reset() -> int: clear the flag, start a new epoch and return it."},
    {"wait", PC_METH(flag_wait), METH_VARARGS | METH_KEYWORDS,
     "wait(timeout=None) -> bool: sleep (GIL released) until set; False on timeout."},
    {"open", PC_METH(flag_open), METH_O | METH_CLASS,
     "Flag.open(name): the named flag another process created."},
    {"_from_fd", PC_METH(flag_from_fd), METH_O | METH_CLASS, NULL},
    {"__reduce__", PC_METH(flag_reduce), METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef flag_getset[] = {
    {"epoch", (getter)flag_epoch, NULL, "the current epoch (round)", NULL},
    {"name", (getter)flag_name, NULL, "the name, or None", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject pc_flag_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "coord.Flag",
    .tp_basicsize = sizeof(pc_flag),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_new = flag_new,
    .tp_dealloc = (destructor)flag_dealloc,
    .tp_repr = (reprfunc)flag_repr,
    .tp_as_number = &flag_as_number,
    .tp_methods = flag_methods,
    .tp_getset = flag_getset,
    .tp_doc = "Flag(*, name=None): a shared stop flag with a first-wins claim.",
};

int pc_flag_add(PyObject *m)
{
    if (PyType_Ready(&pc_flag_type) < 0)
        return -1;
    return PyModule_AddObjectRef(m, "Flag", (PyObject *)&pc_flag_type);
}
