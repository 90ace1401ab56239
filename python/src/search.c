/* SPDX-License-Identifier: MIT */
/* search.c: coord.search's core: coord_search with a Python probe, its value pickled back from the winner. */
#include "pycoord.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the winning probe leaves in coord_search's result buffer. */
enum { PC_HIT_VALUE = 0, PC_HIT_EXCEPTION = 1, PC_HIT_UNPICKLABLE = 2 };
struct pc_hit {
    uint32_t kind;
    uint32_t len;
    char data[]; /* pickle of the value or exception, or a UTF-8 message */
};

struct probe_ctx {
    PyObject *probe;
    pid_t parent;
    int child_ready; /* PyOS_AfterFork_Child done (in this worker) */
    size_t cap;      /* bytes for data[]: at least PC_TEXT_ROOM */
    size_t limit;    /* max_result: the most a pickled value may take */
};

/* Room for the message that replaces a value too big or unpicklable (it
 * was cut to max_result bytes: "the probe's valu" with max_result 16). */
#define PC_TEXT_ROOM 512

static void hit_text(struct pc_hit *h, size_t cap, const char *text)
{
    size_t n = strlen(text);
    if (n > cap)
        n = cap;
    memcpy(h->data, text, n);
    h->kind = PC_HIT_UNPICKLABLE;
    h->len = (uint32_t)n;
}

/* Pickle `o` into the hit; an object that cannot be pickled, or is too
 * big, is reported by its repr instead (the parent raises with it). */
static void hit_store(struct pc_hit *h, size_t cap, size_t limit, PyObject *o,
                      uint32_t kind)
{
    PyObject *data = PyObject_CallOneArg(pc_dumps, o);
    if (data && (size_t)PyBytes_GET_SIZE(data) <= limit) {
        memcpy(h->data, PyBytes_AS_STRING(data), (size_t)PyBytes_GET_SIZE(data));
        h->kind = kind;
        h->len = (uint32_t)PyBytes_GET_SIZE(data);
        Py_DECREF(data);
        return;
    }
    int too_big = data != NULL;
    Py_XDECREF(data);
    PyErr_Clear();
    PyObject *r = PyObject_Repr(o);
    const char *txt = r ? PyUnicode_AsUTF8(r) : NULL;
    char msg[512];
    snprintf(msg, sizeof msg, "the probe's %s %.400s %s",
             kind == PC_HIT_EXCEPTION ? "exception" : "value", txt ? txt : "?",
             too_big ? "pickles to more than max_result bytes" : "cannot be pickled");
    PyErr_Clear();
    Py_XDECREF(r);
    hit_text(h, cap, msg);
}

/*
 * Runs in a forked worker, which holds the GIL (the parent held it across
 * fork, so this thread is the one the child's interpreter knows). The
 * first call tells the interpreter it is in a new process.
 */
static bool probe_fn(uint64_t i, void *result, void *arg)
{
    struct probe_ctx *c = arg;
    if (!c->child_ready) {
        c->child_ready = 1;
        if (getpid() != c->parent)
            PyOS_AfterFork_Child();
    }
    PyObject *idx = PyLong_FromUnsignedLongLong(i);
    PyObject *r = idx ? PyObject_CallOneArg(c->probe, idx) : NULL;
    Py_XDECREF(idx);
    if (r == Py_None) {
        Py_DECREF(r);
        return false;
    }
    struct pc_hit *h = result;
    if (!r) {
        /* An exception is a result too: it stops the search and is
         * raised in the parent. */
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        PyErr_NormalizeException(&t, &v, &tb);
        hit_store(h, c->cap, c->limit, v ? v : Py_None, PC_HIT_EXCEPTION);
        Py_XDECREF(t);
        Py_XDECREF(v);
        Py_XDECREF(tb);
        return true;
    }
    hit_store(h, c->cap, c->limit, r, PC_HIT_VALUE);
    Py_DECREF(r);
    return true;
}

/*
 * coord_search's poll (opts.poll) in the parent. The parent forks the
 * workers holding the GIL (each child's interpreter must find it held by
 * its one thread), but once they are forked it needs the GIL only to look
 * for signals: the first call lets it go, and each call takes it back,
 * runs the signal handlers (Ctrl-C's KeyboardInterrupt, ...) and lets it
 * go again, so other threads run while the search does. An exception
 * from a handler stops the search (COORD_EINTR) and is raised.
 */
struct gil_poll {
    PyThreadState *saved; /* the parent's thread state while released */
    int forking;          /* PyOS_BeforeFork ran, PyOS_AfterFork_Parent not */
};

static int search_poll(void *arg)
{
    struct gil_poll *g = arg;
    if (g->saved)
        PyEval_RestoreThread(g->saved);
    /* The first call: every worker is forked. */
    if (g->forking) {
        g->forking = 0;
        PyOS_AfterFork_Parent();
    }
    int stop = PyErr_CheckSignals() < 0;
    g->saved = PyEval_SaveThread();
    return stop;
}

static PyObject *per_worker_list(const coord_search_worker *w, uint32_t n)
{
    PyObject *list = PyList_New(n);
    for (uint32_t k = 0; list && k < n; k++) {
        PyObject *d = Py_BuildValue(
            "{sKsKsKsKsssisL}", "iterations", (unsigned long long)w[k].iterations,
            "checks", (unsigned long long)w[k].checks, "wasted",
            (unsigned long long)w[k].wasted, "check_every",
            (unsigned long long)w[k].every, "outcome",
            coord_search_outcome_name(w[k].outcome), "status", w[k].status,
            "left_after_claim_ns", (long long)w[k].left_after_claim_ns);
        if (!d) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, k, d);
    }
    return list;
}

/* The winner's value, or its exception raised here (NULL). */
static PyObject *hit_value(const struct pc_hit *h)
{
    if (h->kind == PC_HIT_UNPICKLABLE) {
        PyObject *msg = PyUnicode_DecodeUTF8(h->data, h->len, "replace");
        if (msg) {
            PyErr_Format(PyExc_TypeError, "coord.search: %U", msg);
            Py_DECREF(msg);
        }
        return NULL;
    }
    PyObject *mv = PyMemoryView_FromMemory((char *)h->data, h->len, PyBUF_READ);
    PyObject *v = mv ? PyObject_CallOneArg(pc_loads, mv) : NULL;
    Py_XDECREF(mv);
    if (!v && h->kind == PC_HIT_EXCEPTION &&
        PyErr_ExceptionMatches(PyExc_Exception)) {
        /* Only an Exception: a BaseException the unpickling raised here
         * (KeyboardInterrupt, SystemExit) propagates as it is. The
         * probe's exception pickled but does not unpickle here (an
         * __init__ that takes other arguments than its .args): say so, with
         * the unpickling error as the cause, rather than raise that error as
         * if the call had made it (coord.Pool fails such a task with
         * coord.TaskError, docs/python.md). */
        PyObject *t, *cause, *tb;
        PyErr_Fetch(&t, &cause, &tb);
        PyErr_NormalizeException(&t, &cause, &tb);
        if (cause && tb)
            PyException_SetTraceback(cause, tb);
        Py_XDECREF(t);
        Py_XDECREF(tb);
        PyErr_Format(PyExc_TypeError,
                     "coord.search: the probe raised an exception that cannot be "
                     "unpickled here (%R)", cause ? cause : Py_None);
        PyObject *et, *ev, *etb;
        PyErr_Fetch(&et, &ev, &etb);
        PyErr_NormalizeException(&et, &ev, &etb);
        if (ev && cause)
            PyException_SetCause(ev, cause); /* steals cause */
        else
            Py_XDECREF(cause);
        PyErr_Restore(et, ev, etb);
        return NULL;
    }
    if (v && h->kind == PC_HIT_EXCEPTION) {
        PyErr_SetObject((PyObject *)Py_TYPE(v), v);
        Py_DECREF(v);
        return NULL;
    }
    return v;
}

static PyObject *mod_search(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"probe", "start", "stop", "workers", "check_every",
                             "early_exit", "claim_lock", "blocks", "timeout_ms",
                             "max_result", NULL};
    PyObject *probe;
    uint64_t start, stop, every;
    uint32_t workers;
    int early, lock, blocks, timeout_ms;
    Py_ssize_t max_result;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO&O&O&O&pppin:_search", kwlist,
                                     &probe, pc_u64, &start, pc_u64, &stop, pc_u32,
                                     &workers, pc_u64, &every, &early, &lock, &blocks,
                                     &timeout_ms, &max_result))
        return NULL;
    if (!PyCallable_Check(probe)) {
        PyErr_SetString(PyExc_TypeError, "probe must be callable");
        return NULL;
    }
    if (max_result < 16 ||
        (size_t)max_result > COORD_SEARCH_MAX_RESULT - sizeof(struct pc_hit)) {
        PyErr_Format(PyExc_ValueError, "max_result must be 16 .. %zu",
                     (size_t)COORD_SEARCH_MAX_RESULT - sizeof(struct pc_hit));
        return NULL;
    }
    coord_search_opts o;
    coord_search_opts_init(&o, start, stop);
    o.workers = workers;
    o.check_every = every;
    o.early_exit = early;
    o.claim = lock ? COORD_CLAIM_LOCK : COORD_CLAIM_CAS;
    o.partition = blocks ? COORD_PARTITION_BLOCKS : COORD_PARTITION_INTERLEAVED;
    o.timeout_ms = timeout_ms;
    if (workers == 0 || workers > COORD_SEARCH_MAX_WORKERS || start >= stop) {
        PyErr_Format(PyExc_ValueError,
                     "coord.search needs 1 .. %u workers and start < stop",
                     COORD_SEARCH_MAX_WORKERS);
        return NULL;
    }
    coord_search_worker *per = PyMem_Calloc(workers, sizeof *per);
    size_t room = (size_t)max_result < PC_TEXT_ROOM ? PC_TEXT_ROOM : (size_t)max_result;
    size_t size = sizeof(struct pc_hit) + room;
    struct pc_hit *hit = PyMem_Calloc(1, size);
    if (!per || !hit) {
        PyMem_Free(per);
        PyMem_Free(hit);
        return PyErr_NoMemory();
    }
    o.per_worker = per;
    struct probe_ctx ctx = {probe, getpid(), 0, room, (size_t)max_result};
    coord_search_stats st;
    memset(&st, 0, sizeof st);
    /* Each forked worker inherits the GIL held and runs the Python probe
     * with it; the parent lets it go while it waits (search_poll). */
    /* They fork as os.fork() forks: os.register_at_fork's handlers (the
     * child's run in its first probe call), the import lock. */
    struct gil_poll gp = {NULL, 1};
    o.poll = search_poll;
    o.poll_arg = &gp;
    PyOS_BeforeFork();
    int r = coord_search(&o, probe_fn, &ctx, hit, size, &st);
    if (gp.saved)
        PyEval_RestoreThread(gp.saved);
    if (gp.forking) /* it failed before its first poll */
        PyOS_AfterFork_Parent();
    PyObject *res = NULL;
    /* A handler's exception (r is COORD_EINTR), or a signal that came
     * after the last poll. */
    if (PyErr_Occurred() || PyErr_CheckSignals() < 0)
        goto out;
    if (r == COORD_EPEERDIED) {
        char what[160];
        int s = st.failed_status;
        if (s >= 0 && WIFSIGNALED(s))
            snprintf(what, sizeof what, "coord.search: worker %d died (signal %d)",
                     st.failed_worker, WTERMSIG(s));
        else
            snprintf(what, sizeof what, "coord.search: worker %d died (exit %d)",
                     st.failed_worker, s >= 0 ? WEXITSTATUS(s) : -1);
        pc_raise(r, what);
        goto out;
    }
    if (r == COORD_ECHILD) {
        /* A worker ended and someone else reaped it (SIGCHLD set to
         * SIG_IGN, a waitpid(-1) elsewhere): say so, rather than the bare
         * "no child process" that named neither the worker nor why. */
        pc_raise(r, "coord.search: a worker ended before its share was done "
                    "and was reaped elsewhere (SIGCHLD set to SIG_IGN, or a "
                    "waitpid(-1) in this process), so how it ended is unknown");
        goto out;
    }
    if (r < 0) {
        pc_raise(r, "coord.search");
        goto out;
    }
    PyObject *value = Py_None;
    Py_INCREF(value);
    if (r == 1) {
        Py_DECREF(value);
        if (!(value = hit_value(hit)))
            goto out;
    }
    PyObject *workers_list = per_worker_list(per, st.workers);
    if (!workers_list) {
        Py_DECREF(value);
        goto out;
    }
    PyObject *index = r == 1 ? PyLong_FromUnsignedLongLong(st.index) : Py_NewRef(Py_None);
    res = Py_BuildValue(
        "{sOsNsOsisKsKsOsKsKsKsKsKsIsdsN}", "found", r == 1 ? Py_True : Py_False,
        "index", index, "value",
        value, "winner", st.winner, "iterations", (unsigned long long)st.iterations,
        "wasted", (unsigned long long)st.wasted, "wasted_estimated",
        st.wasted_estimated ? Py_True : Py_False, "stop_latency_ns",
        (unsigned long long)st.stop_latency_ns, "check_every",
        (unsigned long long)st.check_every, "checks", (unsigned long long)st.checks,
        "wall_ns", (unsigned long long)st.wall_ns, "run_ns",
        (unsigned long long)st.run_ns, "workers", st.workers, "iteration_ns",
        st.iteration_ns, "per_worker", workers_list);
    Py_DECREF(value);
out:
    PyMem_Free(per);
    PyMem_Free(hit);
    return res;
}

static PyMethodDef search_methods[] = {
    {"_search", PC_METH(mod_search), METH_VARARGS | METH_KEYWORDS,
     "the core of coord.search (use coord.search)."},
    {NULL, NULL, 0, NULL}};

int pc_search_add(PyObject *m)
{
    return PyModule_AddFunctions(m, search_methods);
}
