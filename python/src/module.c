/* SPDX-License-Identifier: MIT */
/* module.c: the _coord module: exception classes for COORD_E* codes, timeouts, sliced waits, PILL. */
#include "pycoord.h"

#include <pthread.h>

#include <math.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

PyObject *pc_error;
PyObject *pc_pill;
PyObject *pc_queue_empty, *pc_queue_full;
PyObject *pc_dumps, *pc_loads;
_Atomic int pc_pid_cache;

static void pid_forget(void)
{
    atomic_store_explicit(&pc_pid_cache, 0, memory_order_relaxed);
}

/* One class per code of COORD_ERRNO_MAP, indexed in table order. */
static const struct {
    int code;
    const char *name;
} pc_codes[] = {
#define PC_CODE(name, value, text) {(value), #name},
    COORD_ERRNO_MAP(PC_CODE)
#undef PC_CODE
};
#define PC_NCODES (sizeof pc_codes / sizeof pc_codes[0])
static PyObject *pc_classes[PC_NCODES];

/* The standard class a Python user expects beside coord.Error, or NULL. */
static PyObject *pc_std_base(int code)
{
    switch (code) {
    case COORD_ETIMEDOUT:
        return PyExc_TimeoutError;
    case COORD_EINVAL:
    case COORD_EMSGSIZE:
    case COORD_ECLOSED:
        return PyExc_ValueError;
    case COORD_EOVERFLOW:
        return PyExc_OverflowError;
    case COORD_ENOENT:
        return PyExc_FileNotFoundError;
    case COORD_EEXIST:
        return PyExc_FileExistsError;
    case COORD_EPERM:
    case COORD_EACCES:
        return PyExc_PermissionError;
    case COORD_ENOMEM:
        return PyExc_MemoryError;
    case COORD_EINTR:
        return PyExc_InterruptedError;
    case COORD_ECONNREFUSED:
        return PyExc_ConnectionRefusedError;
    case COORD_ECONNRESET:
        return PyExc_ConnectionResetError;
    case COORD_EPIPE:
        return PyExc_BrokenPipeError;
    case COORD_ENOTCONN:
        return PyExc_ConnectionError;
    default:
        return NULL;
    }
}

PyObject *pc_error_class(int code)
{
    for (size_t i = 0; i < PC_NCODES; i++)
        if (pc_codes[i].code == code)
            return pc_classes[i];
    return pc_error;
}

PyObject *pc_raise(int code, const char *what)
{
    return pc_raise_as(pc_error_class(code), code, what);
}

/* Raise cls(msg) with .code and .name; steals msg (may be NULL). */
static PyObject *raise_msg(PyObject *cls, int code, PyObject *msg)
{
    if (!msg)
        return NULL;
    PyObject *exc = PyObject_CallOneArg(cls, msg);
    Py_DECREF(msg);
    if (!exc)
        return NULL;
    PyObject *c = PyLong_FromLong(code);
    PyObject *n = PyUnicode_FromString(coord_err_name(code));
    if (c && n && PyObject_SetAttrString(exc, "code", c) == 0 &&
        PyObject_SetAttrString(exc, "name", n) == 0)
        PyErr_SetObject(cls, exc);
    Py_XDECREF(c);
    Py_XDECREF(n);
    Py_DECREF(exc);
    return NULL;
}

PyObject *pc_raise_as(PyObject *cls, int code, const char *what)
{
    return raise_msg(cls, code,
                     what ? PyUnicode_FromFormat("%s: %s (%s)", what,
                                                 coord_strerror(code),
                                                 coord_err_name(code))
                          : PyUnicode_FromFormat("%s (%s)", coord_strerror(code),
                                                 coord_err_name(code)));
}

PyObject *pc_raise_fmt(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    PyObject *msg = PyUnicode_FromFormatV(fmt, ap);
    va_end(ap);
    return raise_msg(pc_error_class(code), code, msg);
}

PyObject *pc_raise_create(int code, const char *kind, const char *name)
{
    if (code == COORD_EEXIST && name) {
        /* Another user's file (or not a file): gc never removes it, so
         * the hint about crashed runs would send the caller astray. */
        char path[512];
        struct stat st;
        snprintf(path, sizeof path, "/dev/shm/coord.%s", name);
        if (lstat(path, &st) == 0 && (st.st_uid != geteuid() ||
                                      !S_ISREG(st.st_mode)))
            return pc_raise_fmt(code,
                                "%s(name='%s'): /dev/shm/coord.%s already exists (COORD_EEXIST) "
                                "and is %s (uid %u): not this user's object, and coord.gc() "
                                "never removes it; choose another name",
                                kind, name, name,
                                S_ISREG(st.st_mode) ? "another user's file"
                                                    : "not a regular file",
                                (unsigned)st.st_uid);
        return pc_raise_fmt(code,
                            "%s(name='%s'): /dev/shm/coord.%s already exists (COORD_EEXIST): "
                            "a live object has that name, or a crashed run left it "
                            "(coord.gc(remove=True) removes those whose creator is dead)",
                            kind, name, name);
    }
    return pc_raise(code, kind);
}

int pc_timeout_ms(int block, PyObject *timeout, int *ms)
{
    if (!block) {
        *ms = 0;
        return 0;
    }
    if (!timeout || timeout == Py_None) {
        *ms = -1;
        return 0;
    }
    double t = PyFloat_AsDouble(timeout);
    if (t == -1.0 && PyErr_Occurred())
        return -1;
    if (!(t >= 0)) {
        PyErr_SetString(PyExc_ValueError,
                        "'timeout' must be a non-negative number");
        return -1;
    }
    double m = ceil(t * 1000.0);
    *ms = m > (double)INT32_MAX ? -1 : (int)m;
    return 0;
}

int pc_wait(pc_wait_fn op, void *arg, int timeout_ms)
{
    uint64_t deadline = 0;
    if (timeout_ms > 0)
        deadline = coord_clock_ns() + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        int slice = 100;
        if (timeout_ms == 0)
            slice = 0;
        else if (timeout_ms > 0) {
            uint64_t now = coord_clock_ns();
            uint64_t left = now >= deadline ? 0 : (deadline - now + 999999u) / 1000000u;
            if (left < (uint64_t)slice)
                slice = (int)left;
        }
        int r;
        Py_BEGIN_ALLOW_THREADS
        r = op(arg, slice);
        Py_END_ALLOW_THREADS
        if (r != COORD_ETIMEDOUT || timeout_ms == 0)
            return r;
        if (timeout_ms > 0 && coord_clock_ns() >= deadline)
            return r;
        if (slice == 0) /* deadline reached within this millisecond */
            return COORD_ETIMEDOUT;
        if (PyErr_CheckSignals() < 0)
            return PC_SIGNALLED;
    }
}

int pc_name_arg(PyObject *name, const char **out)
{
    *out = NULL;
    if (!name || name == Py_None)
        return 0;
    if (!PyUnicode_Check(name)) {
        PyErr_SetString(PyExc_TypeError, "name must be a str or None");
        return -1;
    }
    Py_ssize_t n;
    *out = PyUnicode_AsUTF8AndSize(name, &n);
    if (!*out)
        return -1;
    if (strlen(*out) != (size_t)n) {
        /* The C side would see only the part before it. */
        *out = NULL;
        PyErr_SetString(PyExc_ValueError, "name must not contain a NUL character");
        return -1;
    }
    return 0;
}

/* The unsigned value of o, at most max; 0 with the exception set. */
static int unsigned_arg(PyObject *o, uint64_t max, uint64_t *v)
{
    PyObject *i = PyNumber_Index(o);
    if (!i)
        return 0;
    int over = 0;
    long long small = PyLong_AsLongLongAndOverflow(i, &over);
    bool bad = false;
    unsigned long long u = 0;
    if (small == -1 && PyErr_Occurred()) {
        Py_DECREF(i);
        return 0;
    }
    if (over < 0 || (over == 0 && small < 0)) {
        bad = true;
    } else if (over == 0) {
        u = (unsigned long long)small;
    } else {
        u = PyLong_AsUnsignedLongLong(i); /* OverflowError past 2**64 - 1 */
        if (u == (unsigned long long)-1 && PyErr_Occurred()) {
            if (!PyErr_ExceptionMatches(PyExc_OverflowError)) {
                Py_DECREF(i);
                return 0;
            }
            PyErr_Clear();
            bad = true;
        }
    }
    Py_DECREF(i);
    if (bad || u > max) {
        PyErr_Format(PyExc_OverflowError, "%R is out of range (0 .. %llu)", o,
                     (unsigned long long)max);
        return 0;
    }
    *v = u;
    return 1;
}

int pc_u32(PyObject *o, void *out)
{
    uint64_t v;
    if (!unsigned_arg(o, UINT32_MAX, &v))
        return 0;
    *(uint32_t *)out = (uint32_t)v;
    return 1;
}

int pc_u64(PyObject *o, void *out)
{
    return unsigned_arg(o, UINT64_MAX, (uint64_t *)out);
}

PyObject *pc_anon_pickle_error(const char *kind)
{
    /* A lock (get_lock(), coord.RLock()) pickles as the Value that owns
     * it, so its message is the Value's: say where the lock came from. */
    bool value = !strcmp(kind, "Value");
    PyErr_Format(PyExc_TypeError,
                 "this coord.%s has no name: fork children inherit it and a "
                 "child that multiprocessing starts (Process arguments, Pool "
                 "initargs) is given it with any start method, but it cannot "
                 "be pickled otherwise (pickle.dumps, a queue, a pool task); "
                 "for that, create it with a name: coord.%s(..., name=\"...\")%s",
                 kind, kind,
                 value ? " (a lock from get_lock() or coord.RLock() pickles as "
                         "its Value: for a named lock, use coord.Value(\"B\", 0, "
                         "name=\"...\").get_lock())"
                       : "");
    return NULL;
}

/* Is multiprocessing pickling for a child it is starting (in this thread)?
 * 1, 0, or -1 with the exception set. */
static int spawning(void)
{
    PyObject *ctx = PyImport_ImportModule("multiprocessing.context");
    if (!ctx)
        return -1;
    PyObject *popen = PyObject_CallMethod(ctx, "get_spawning_popen", NULL);
    Py_DECREF(ctx);
    if (!popen)
        return -1;
    int yes = popen != Py_None;
    Py_DECREF(popen);
    return yes;
}

PyObject *pc_reduce_by_fd(PyObject *self, const char *kind, int fd,
                          PyObject *rest)
{
    if (!rest)
        return NULL;
    PyObject *dup = NULL, *fn = NULL, *args = NULL;
    int yes = spawning();
    if (yes == 0)
        pc_anon_pickle_error(kind);
    else if (yes > 0 && fd < 0)
        PyErr_Format(PyExc_TypeError,
                     "this coord.%s was made without a file descriptor (none "
                     "was free: RLIMIT_NOFILE, ulimit -n; or memfd_create is "
                     "refused here), so it has none to give a spawn or "
                     "forkserver child: only fork children can have it; "
                     "create it with a name: coord.%s(..., name=\"...\")",
                     kind, kind);
    else if (yes > 0) {
        /* multiprocessing sends the descriptor with the child's start
         * (spawn: inherited; forkserver: SCM_RIGHTS); ours stays open. */
        PyObject *red = PyImport_ImportModule("multiprocessing.reduction");
        dup = red ? PyObject_CallMethod(red, "DupFd", "i", fd) : NULL;
        Py_XDECREF(red);
        fn = dup ? PyObject_GetAttrString((PyObject *)Py_TYPE(self), "_from_fd")
                 : NULL;
        PyObject *head = fn ? PyTuple_Pack(1, dup) : NULL;
        args = head ? PySequence_Concat(head, rest) : NULL;
        Py_XDECREF(head);
    }
    Py_DECREF(rest);
    Py_XDECREF(dup);
    if (!args) {
        Py_XDECREF(fn);
        return NULL;
    }
    return Py_BuildValue("(NN)", fn, args);
}

int pc_fd_detach(PyObject *dup)
{
    PyObject *r = PyObject_CallMethod(dup, "detach", NULL);
    if (!r)
        return -1;
    long fd = PyLong_AsLong(r);
    Py_DECREF(r);
    if (fd == -1 && PyErr_Occurred())
        return -1;
    if (fd < 0 || fd > INT_MAX) {
        PyErr_Format(PyExc_ValueError, "not a file descriptor: %ld", fd);
        return -1;
    }
    return (int)fd;
}

PyObject *pc_reduce_by_name(PyObject *self, const char *kind, PyObject *name,
                            const char *method, PyObject *args)
{
    if (!args)
        return NULL;
    if (name == Py_None) {
        Py_DECREF(args);
        return pc_anon_pickle_error(kind);
    }
    PyObject *fn = PyObject_GetAttrString((PyObject *)Py_TYPE(self), method);
    if (!fn) {
        Py_DECREF(args);
        return NULL;
    }
    return Py_BuildValue("(NN)", fn, args);
}

PyObject *pc_reopen(PyObject *cls, PyObject *args,
                    PyObject *(*open)(PyObject *, PyObject *, PyObject *))
{
    PyObject *name, *kw, *rest, *res;
    int tc, locked;
    if (!PyArg_ParseTuple(args, "OCp", &name, &tc, &locked))
        return NULL;
    rest = Py_BuildValue("(OC)", name, tc);
    kw = Py_BuildValue("{sO}", "lock", locked ? Py_True : Py_False);
    res = rest && kw ? open(cls, rest, kw) : NULL;
    Py_XDECREF(rest);
    Py_XDECREF(kw);
    return res;
}

/* coord.PILL: the one object a get returns for a poison pill. */
static PyObject *pill_repr(PyObject *self)
{
    (void)self;
    return PyUnicode_FromString("coord.PILL");
}

static PyObject *pill_reduce(PyObject *self, PyObject *noargs)
{
    (void)self;
    (void)noargs;
    return PyUnicode_FromString("PILL");
}

static PyMethodDef pill_methods[] = {
    {"__reduce__", pill_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyTypeObject pill_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "coord._Pill",
    .tp_basicsize = sizeof(PyObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_repr = pill_repr,
    .tp_methods = pill_methods,
    .tp_doc = "The poison pill: Queue.get() returns coord.PILL for put_pill().",
};

static PyObject *mod_strerror(PyObject *self, PyObject *arg)
{
    (void)self;
    int overflow = 0;
    long c = PyLong_AsLongAndOverflow(arg, &overflow);
    if (c == -1 && PyErr_Occurred())
        return NULL;
    if (overflow || c < INT_MIN || c > INT_MAX) {
        /* As os.strerror() does: a code is a C int. */
        PyErr_SetString(PyExc_OverflowError, "the code does not fit a C int");
        return NULL;
    }
    return PyUnicode_FromString(coord_strerror((int)c));
}

/* timeout_ms(seconds): pc_timeout_ms for the Python half of the package. */
static PyObject *mod_timeout_ms(PyObject *self, PyObject *timeout)
{
    (void)self;
    int ms;
    if (pc_timeout_ms(1, timeout, &ms) < 0)
        return NULL;
    return PyLong_FromLong(ms);
}

static PyObject *mod_version(PyObject *self, PyObject *noargs)
{
    (void)self;
    (void)noargs;
    return PyUnicode_FromString(coord_version_string());
}

/* default_workers(): what coord_search_opts_init chooses, the count
 * coord.Pool() and coord.search() start without one. */
static PyObject *mod_default_workers(PyObject *self, PyObject *noargs)
{
    (void)self;
    (void)noargs;
    coord_search_opts o;
    coord_search_opts_init(&o, 0, 1);
    return PyLong_FromUnsignedLong(o.workers);
}

/* self_pid(): os.getpid() without its system call (pc_self_pid). */
static PyObject *mod_self_pid(PyObject *self, PyObject *noargs)
{
    (void)self;
    (void)noargs;
    return PyLong_FromLong((long)pc_self_pid());
}

static PyMethodDef mod_methods[] = {
    {"strerror", mod_strerror, METH_O, "strerror(code): the text of a COORD_E* code."},
    {"timeout_ms", mod_timeout_ms, METH_O,
     "timeout_ms(seconds): None, inf or more than 2**31 ms -> -1 (no limit), "
     "else milliseconds rounded up; ValueError for a negative or NaN timeout."},
    {"version", mod_version, METH_NOARGS, "version(): libcoord's version string."},
    {"self_pid", mod_self_pid, METH_NOARGS,
     "self_pid(): this process's id, as os.getpid() but cached (forgotten in "
     "every fork's child): no system call."},
    {"default_workers", mod_default_workers, METH_NOARGS,
     "default_workers(): the CPUs this process may use, as libcoord counts "
     "them for its default worker counts (affinity, online CPUs, the "
     "cgroup's CPU quota rounded up; at least 1)."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef mod_def = {
    PyModuleDef_HEAD_INIT, "coord._coord",
    "C extension of the coord package over libcoord's public API.", -1,
    mod_methods, NULL, NULL, NULL, NULL};

static int add_errors(PyObject *m)
{
    pc_error = PyErr_NewExceptionWithDoc(
        "coord.Error",
        "A libcoord call failed; .code is the negative COORD_E* code and "
        ".name its name (\"COORD_ETIMEDOUT\").",
        NULL, NULL);
    if (!pc_error || PyModule_AddObjectRef(m, "Error", pc_error) < 0)
        return -1;
    PyObject *table = PyDict_New();
    if (!table || PyModule_AddObject(m, "errors", table) < 0) {
        Py_XDECREF(table);
        return -1;
    }
    for (size_t i = 0; i < PC_NCODES; i++) {
        char qual[64];
        snprintf(qual, sizeof qual, "coord.%s", pc_codes[i].name);
        PyObject *std = pc_std_base(pc_codes[i].code);
        PyObject *bases = std ? PyTuple_Pack(2, pc_error, std)
                              : PyTuple_Pack(1, pc_error);
        if (!bases)
            return -1;
        pc_classes[i] = PyErr_NewException(qual, bases, NULL);
        Py_DECREF(bases);
        if (!pc_classes[i] ||
            PyModule_AddObjectRef(m, pc_codes[i].name, pc_classes[i]) < 0)
            return -1;
        PyObject *key = PyLong_FromLong(pc_codes[i].code);
        int r = key ? PyDict_SetItem(table, key, pc_classes[i]) : -1;
        Py_XDECREF(key);
        if (r < 0)
            return -1;
    }
    return 0;
}

static int import_helpers(void)
{
    PyObject *q = PyImport_ImportModule("queue");
    if (!q)
        return -1;
    pc_queue_empty = PyObject_GetAttrString(q, "Empty");
    pc_queue_full = PyObject_GetAttrString(q, "Full");
    Py_DECREF(q);
    PyObject *p = PyImport_ImportModule("pickle");
    if (!p)
        return -1;
    pc_dumps = PyObject_GetAttrString(p, "dumps");
    pc_loads = PyObject_GetAttrString(p, "loads");
    Py_DECREF(p);
    return pc_queue_empty && pc_queue_full && pc_dumps && pc_loads ? 0 : -1;
}

PyMODINIT_FUNC PyInit__coord(void)
{
    PyObject *m = PyModule_Create(&mod_def);
    if (!m)
        return NULL;
    if (PyType_Ready(&pill_type) < 0)
        goto fail;
    pc_pill = PyObject_New(PyObject, &pill_type);
    if (!pc_pill || PyModule_AddObjectRef(m, "PILL", pc_pill) < 0)
        goto fail;
    if (pthread_atfork(NULL, NULL, pid_forget) != 0) {
        PyErr_SetString(PyExc_OSError, "pthread_atfork failed");
        goto fail;
    }
    if (add_errors(m) < 0 || import_helpers() < 0 || pc_lock_add(m) < 0 ||
        pc_flag_add(m) < 0 || pc_value_add(m) < 0 || pc_array_add(m) < 0 ||
        pc_queue_add(m) < 0 || pc_search_add(m) < 0 || pc_pool_add(m) < 0 ||
        pc_bell_add(m) < 0 || pc_manager_add(m) < 0 || pc_gc_add(m) < 0 ||
        pc_imap_add(m) < 0)
        goto fail;
    if (PyModule_AddIntConstant(m, "FOREVER", COORD_FOREVER) < 0)
        goto fail;
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
