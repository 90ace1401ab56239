/* SPDX-License-Identifier: MIT */
/* pool_worker.c: what a coord.Pool worker runs: the pool's initializer once, then pickled calls and chunks of map items, each answered with one result message. */
#include "pycoord.h"

#include <string.h>
#include <unistd.h>

/* A chunk reply: the kind byte (PC_RES_CHUNK), the status (enum below),
 * the number of items whose results follow (u32), the number of frames
 * (u32); then the frames, each a u32 length and the pickle of a list of
 * results, in item order; then, for CHUNK_FAILED, the outcome of the
 * item after the last result as result_store writes it (an exception,
 * or a text saying why its result could not be sent). */
enum { CHUNK_DONE = 0, CHUNK_ROOM = 1, CHUNK_FAILED = 2 };
#define CHUNK_HEAD 10
/* What a frame costs beside its results (at most): its length, and the
 * pickle's header, list and stop opcodes. */
#define FRAME_COST 32u

/* Per worker process: PyOS_AfterFork_Child and the initializer ran. */
static pid_t pc_ready_pid;
/* The initializer's exception in this worker (what every task answers
 * with), or NULL. */
static PyObject *pc_init_failure;
/* The functions this worker loaded (load_fn, below): dict bytes -> tuple. */
static PyObject *fn_kept;

/* A result (or exception) `o` that does not pickle, why in the error set
 * by pickling it (cleared here): PC_RES_ENCODING + the pickle of (why,
 * repr(o)), each cut to `keep` characters, into out[cap], as multiprocessing
 * sends a MaybeEncodingError (coord/pool.py raises ResultEncodingError).
 * Returns its length, or 0 when even that does not fit (then the caller
 * writes a text). */
static size_t encoding_store(PyObject *o, char *out, size_t cap)
{
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    PyErr_NormalizeException(&et, &ev, &tb);
    PyObject *why = ev ? PyObject_Str(ev) : NULL;
    if (why && et) {
        PyObject *name = PyObject_GetAttrString(et, "__name__");
        PyObject *both = name ? PyUnicode_FromFormat("%U: %U", name, why) : NULL;
        Py_XDECREF(name);
        if (both)
            Py_SETREF(why, both);
    }
    Py_XDECREF(et);
    Py_XDECREF(ev);
    Py_XDECREF(tb);
    PyErr_Clear();
    PyObject *what = PyObject_Repr(o);
    PyErr_Clear();
    size_t n = 0;
    for (Py_ssize_t keep = 300; keep >= 10 && !n; keep /= 4) {
        PyObject *w = why ? PyUnicode_Substring(why, 0, keep) : PyUnicode_FromString("?");
        PyObject *r = what ? PyUnicode_Substring(what, 0, keep) : PyUnicode_FromString("?");
        PyObject *t = w && r ? PyTuple_Pack(2, w, r) : NULL;
        PyObject *data = t ? PyObject_CallOneArg(pc_dumps, t) : NULL;
        if (data && (size_t)PyBytes_GET_SIZE(data) + 1 <= cap) {
            out[0] = PC_RES_ENCODING;
            memcpy(out + 1, PyBytes_AS_STRING(data), (size_t)PyBytes_GET_SIZE(data));
            n = 1 + (size_t)PyBytes_GET_SIZE(data);
        }
        Py_XDECREF(w);
        Py_XDECREF(r);
        Py_XDECREF(t);
        Py_XDECREF(data);
        PyErr_Clear();
    }
    Py_XDECREF(why);
    Py_XDECREF(what);
    return n;
}

/* Write `kind` + the pickle of `o` (or a message when it cannot be
 * pickled or does not fit) into the result. The callback then returns 0
 * whatever happened: coord_pool keeps result bytes only for status 0, and
 * the first byte tells the parent how the call ended. */
static void result_store(PyObject *o, int kind, char *out, size_t cap, size_t *len)
{
    PyObject *data = PyObject_CallOneArg(pc_dumps, o);
    if (data && (size_t)PyBytes_GET_SIZE(data) + 1 <= cap) {
        out[0] = (char)kind;
        memcpy(out + 1, PyBytes_AS_STRING(data), (size_t)PyBytes_GET_SIZE(data));
        *len = 1 + (size_t)PyBytes_GET_SIZE(data);
        Py_DECREF(data);
        return;
    }
    Py_ssize_t size = data ? PyBytes_GET_SIZE(data) : -1;
    Py_XDECREF(data);
    if (size < 0 && (*len = encoding_store(o, out, cap)) > 0)
        return;
    PyErr_Clear();
    PyObject *r = PyObject_Repr(o);
    const char *txt = r ? PyUnicode_AsUTF8(r) : NULL;
    const char *what = kind == PC_RES_EXCEPTION ? "exception" : "result";
    int n = size < 0
                ? snprintf(out + 1, cap - 1, "the task's %s %.300s cannot be pickled",
                           what, txt ? txt : "?")
                : snprintf(out + 1, cap - 1, /* short, the repr last: cap may be 64 */
                           "%s pickles to %zd bytes, over the %zu that "
                           "Pool(max_result=%zu) holds: %.300s",
                           what, size, cap - 1, cap, txt ? txt : "?");
    PyErr_Clear();
    Py_XDECREF(r);
    out[0] = PC_RES_TEXT;
    *len = 1 + (n < 0 ? 0 : (size_t)n >= cap - 1 ? cap - 2 : (size_t)n);
}

/* coord.pool._with_traceback(exc, room): the task's exception `exc` with
 * the worker's traceback attached, or NULL (then send it as it is). Looked
 * up once per worker, on its first failing task. */
static PyObject *with_traceback(PyObject *exc, size_t room)
{
    static PyObject *fn;
    if (!fn) {
        PyObject *m = PyImport_ImportModule("coord.pool");
        fn = m ? PyObject_GetAttrString(m, "_with_traceback") : NULL;
        Py_XDECREF(m);
    }
    PyObject *w = fn ? PyObject_CallFunction(fn, "On", exc, (Py_ssize_t)room)
                     : NULL;
    if (!w)
        PyErr_Clear();
    return w;
}

/* The exception being raised, normalised and carrying its traceback (a
 * new reference; None if there was none). */
static PyObject *take_exception(void)
{
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    PyErr_NormalizeException(&t, &v, &tb);
    if (v && tb)
        PyException_SetTraceback(v, tb);
    Py_XDECREF(t);
    Py_XDECREF(tb);
    return v ? v : Py_NewRef(Py_None);
}

/* A task's exception `v` into the result, with the worker's traceback as
 * multiprocessing sends it when that fits. */
static void exception_store(PyObject *v, char *out, size_t cap, size_t *len)
{
    PyObject *w = v != Py_None ? with_traceback(v, cap - 1) : NULL;
    result_store(w ? w : v, PC_RES_EXCEPTION, out, cap, len);
    Py_XDECREF(w);
}

/*
 * First task in a new worker: tell the interpreter it was forked, then run
 * the initializer. Its exception (with the traceback, when that pickles
 * within `cap`; else bare; else a RuntimeError naming it) is what every
 * task of this worker answers with: the parent raises it as
 * coord.InitializerError, and the worker is not made to exit, which would
 * fork a replacement that fails the same way, for ever.
 */
static void worker_start(const pc_pool_init *init, size_t cap)
{
    pc_ready_pid = pc_self_pid();
    PyOS_AfterFork_Child();
    Py_CLEAR(fn_kept);
    Py_CLEAR(pc_init_failure);
    if (!init->fn)
        return;
    PyObject *r = PyObject_Call(init->fn, init->args, NULL);
    if (r) {
        Py_DECREF(r);
        return;
    }
    PyObject *v = take_exception();
    PyObject *w = v != Py_None ? with_traceback(v, cap - 1) : NULL;
    PyObject *keep = w ? w : Py_NewRef(v);
    PyObject *data = PyObject_CallOneArg(pc_dumps, keep);
    if (!data || (size_t)PyBytes_GET_SIZE(data) + 1 > cap) {
        PyErr_Clear();
        Py_DECREF(keep);
        keep = PyObject_CallFunction(PyExc_RuntimeError, "s",
                                     "the initializer's exception could not be "
                                     "pickled within max_result");
        if (!keep)
            PyErr_Clear();
    }
    Py_XDECREF(data);
    Py_DECREF(v);
    pc_init_failure = keep ? keep : Py_NewRef(Py_None);
}

/* Where a chunk reply is being written. */
struct chunk_out {
    char *out;
    size_t cap;
    size_t off;      /* bytes written, the header included */
    size_t end;      /* frames stop here: the rest is kept for a failure */
    uint32_t done;   /* items whose results are in frames */
    uint32_t frames;
};

/* Append `vals` (a list) as one frame. 1: written; 0: it does not fit,
 * or does not pickle. */
static int frame_put(struct chunk_out *c, PyObject *vals)
{
    PyObject *data = PyObject_CallOneArg(pc_dumps, vals);
    if (!data) {
        PyErr_Clear();
        return 0;
    }
    size_t n = (size_t)PyBytes_GET_SIZE(data);
    int ok = 4 + n <= c->end - c->off;
    if (ok) {
        uint32_t len = (uint32_t)n;
        memcpy(c->out + c->off, &len, 4);
        memcpy(c->out + c->off + 4, PyBytes_AS_STRING(data), n);
        c->off += 4 + n;
        c->frames++;
        c->done += (uint32_t)PyList_GET_SIZE(vals);
    }
    Py_DECREF(data);
    return ok;
}

/* `vals` did not go as one frame: put as many of its first results as go
 * (frames of halving length). Returns how many went. The failure path
 * only: a few pickles more do not matter there. */
static Py_ssize_t frame_put_prefix(struct chunk_out *c, PyObject *vals)
{
    Py_ssize_t n = PyList_GET_SIZE(vals), at = 0, step = n / 2;
    while (at < n && step > 0) {
        PyObject *part = PyList_GetSlice(vals, at, at + step);
        if (part && frame_put(c, part))
            at += step;
        else
            step /= 2;
        Py_XDECREF(part);
        PyErr_Clear();
        if (step > n - at)
            step = n - at;
    }
    return at;
}

/* Why the result `v`, whose item ran, cannot go back with its chunk: the
 * text after the frames (the item fails with it, as a result too big
 * fails a single task). */
static void unsent_store(struct chunk_out *c, PyObject *v)
{
    size_t room = c->cap - c->off, max_result = c->cap;
    char *t = c->out + c->off;
    PyObject *data = PyObject_CallOneArg(pc_dumps, v);
    Py_ssize_t size = data ? PyBytes_GET_SIZE(data) : -1;
    Py_XDECREF(data);
    size_t enc = size < 0 ? encoding_store(v, t, room) : 0;
    if (enc) {
        c->off += enc;
        return;
    }
    PyErr_Clear();
    PyObject *r = PyObject_Repr(v);
    const char *txt = r ? PyUnicode_AsUTF8(r) : NULL;
    if (!txt)
        txt = "?";
    int n;
    if (size < 0)
        n = snprintf(t + 1, room - 1, "the task's result %.300s cannot be pickled", txt);
    else if (c->done == 0 || (size_t)size + CHUNK_HEAD + 8 > c->cap)
        n = snprintf(t + 1, room - 1,
                     "result pickles to %zd bytes, over the %zu that "
                     "Pool(max_result=%zu) holds for a chunk's results: %.300s",
                     size, c->cap - CHUNK_HEAD - 8, max_result, txt);
    else
        n = snprintf(t + 1, room - 1,
                     "result pickles to %zd bytes, more than the %zu of "
                     "Pool(max_result=%zu) that its chunk's message had left "
                     "after the %u results before it: a smaller chunksize, or "
                     "a larger max_result, helps: %.300s",
                     size, c->end - c->off, max_result, c->done, txt);
    PyErr_Clear();
    Py_XDECREF(r);
    t[0] = PC_RES_TEXT;
    c->off += 1 + (n < 0 ? 0 : (size_t)n >= room - 1 ? room - 2 : (size_t)n);
}

/* fn(*x), as itertools.starmap calls it. */
static PyObject *call_star(PyObject *fn, PyObject *x)
{
    if (PyTuple_CheckExact(x))
        return PyObject_Call(fn, x, NULL);
    PyObject *args = PySequence_Tuple(x);
    PyObject *r = args ? PyObject_Call(fn, args, NULL) : NULL;
    Py_XDECREF(args);
    return r;
}

/*
 * A chunk: fn(x) (or fn(*x)) for each item, in order, the results sent
 * back in one message. Results are pickled in blocks as they come (1
 * item, then at most 4 times the items done so far), and a block is run
 * only when, at the bytes per result so far (the larger of the average
 * and the last block's), it takes at most half of the room left. When
 * the next block would not fit, the reply stops there (CHUNK_ROOM) and
 * the parent sends the items left again, in a message of their own. A
 * result more than twice the estimate can still overrun the room: its
 * item has run, so it fails (a text that says so and that a smaller
 * chunksize helps) rather than run again. The first exception ends the
 * chunk (CHUNK_FAILED):
 * the results before it come back, then the exception.
 */
static void run_chunk(PyObject *fn, PyObject *items, int star, char *out,
                      size_t cap, size_t *len)
{
    size_t reserve = cap >= 1024 ? 256 : cap / 4;
    struct chunk_out c = {out, cap, CHUNK_HEAD, cap - reserve, 0, 0};
    int status = CHUNK_DONE;
    PyObject *exc = NULL, *unsent = NULL;
    PyObject *seq = PySequence_Fast(items, "a chunk's items must be a sequence");
    Py_ssize_t k = seq ? PySequence_Fast_GET_SIZE(seq) : 0, b = 1;
    if (!seq)
        exc = take_exception();
    PyObject **it = seq ? PySequence_Fast_ITEMS(seq) : NULL;
    while (!exc && (Py_ssize_t)c.done < k) {
        PyObject *vals = PyList_New(b);
        Py_ssize_t n = 0;
        for (; vals && n < b; n++) {
            PyObject *x = it[c.done + n];
            PyObject *r = star ? call_star(fn, x) : PyObject_CallOneArg(fn, x);
            if (!r)
                break;
            PyList_SET_ITEM(vals, n, r);
        }
        PyObject *got = !vals ? NULL : n < b ? PyList_GetSlice(vals, 0, n)
                                             : Py_NewRef(vals);
        if (!vals || n < b || !got)
            exc = take_exception();
        Py_XDECREF(vals);
        size_t before = c.off;
        if (got && n > 0 && !frame_put(&c, got)) {
            /* The chunk's first result, alone (no exception after it:
             * the items left, if any, go again): the room kept for a
             * failure's text is its too, as a single task's result has
             * all of max_result. */
            size_t end = c.end;
            c.end = c.cap;
            int alone = c.done == 0 && !exc && frame_put(&c, got);
            c.end = end;
            if (!alone) {
                /* An earlier item than the exception's (if any) fails. */
                Py_ssize_t put = frame_put_prefix(&c, got);
                unsent = Py_NewRef(PyList_GET_ITEM(got, put));
                Py_CLEAR(exc);
            }
        }
        Py_XDECREF(got);
        if (exc || unsent)
            break;
        /* Bytes per result: the larger of the average so far and the
         * last block's (results that grow, as a map's squares do). */
        Py_ssize_t left = k - (Py_ssize_t)c.done;
        double per = (double)(c.off - CHUNK_HEAD) / c.done;
        double last = (double)(c.off - before) / (double)n;
        if (last > per)
            per = last;
        size_t room = c.end > c.off ? c.end - c.off : 0;
        double fit = room > FRAME_COST ? (double)(room - FRAME_COST) / (2.0 * per) : 0;
        b = 4 * (Py_ssize_t)c.done;
        if (b > left)
            b = left;
        if ((double)b > fit)
            b = (Py_ssize_t)fit;
        if (b < 1 && left > 0) {
            status = CHUNK_ROOM;
            break;
        }
    }
    Py_XDECREF(seq);
    if (exc || unsent) {
        size_t tail = 0;
        status = CHUNK_FAILED;
        if (unsent)
            unsent_store(&c, unsent);
        else
            exception_store(exc, out + c.off, cap - c.off, &tail);
        c.off += tail;
        Py_XDECREF(exc);
        Py_XDECREF(unsent);
    }
    out[0] = PC_RES_CHUNK;
    out[1] = (char)status;
    memcpy(out + 2, &c.done, 4);
    memcpy(out + 6, &c.frames, 4);
    *len = c.off;
}

/* pickle.loads of `len` bytes at `p`; NULL with the exception set. */
static PyObject *loads_part(const char *p, size_t len)
{
    PyObject *mv = PyMemoryView_FromMemory((char *)p, (Py_ssize_t)len, PyBUF_READ);
    PyObject *v = mv ? PyObject_CallOneArg(pc_loads, mv) : NULL;
    Py_XDECREF(mv);
    return v;
}

/*
 * The functions this worker loaded, by the bytes of their pickle: a plain
 * or built-in function pickles by name, and unpickling it (the import
 * machinery's lookup of module and name) took about 0.9 µs, more than the
 * rest of a small task. Each entry is (module's name, the qualified
 * name's parts, the function). On every task the name is looked up again
 * as pickle would (sys.modules[module], then each attribute): while that
 * finds the same object it is used, so a function rebound meanwhile (by a
 * task, by the initializer) is loaded afresh, as multiprocessing would.
 * At most FN_KEEP entries (emptied when full); cleared in a new worker.
 */
#define FN_KEEP 256

/* module.qualname as pickle's find_class resolves it, without importing
 * anything: a new reference, or NULL (no exception) when it fails. */
static PyObject *fn_resolve(PyObject *module, PyObject *parts)
{
    PyObject *m = PyDict_GetItemWithError(PyImport_GetModuleDict(), module);
    if (!m) {
        PyErr_Clear();
        return NULL;
    }
    PyObject *o = Py_NewRef(m);
    for (Py_ssize_t i = 0; o && i < PyTuple_GET_SIZE(parts); i++) {
        PyObject *next = PyObject_GetAttr(o, PyTuple_GET_ITEM(parts, i));
        Py_DECREF(o);
        o = next;
    }
    if (!o)
        PyErr_Clear();
    return o;
}

/* Keep fn (just loaded from `key`) when it is a function pickled by name. */
static void fn_keep(PyObject *key, PyObject *fn)
{
    /* A plain function, or a built-in one of a module: not a built-in
     * method bound to an object (a new one comes with every look-up). */
    PyObject *self = PyCFunction_Check(fn) ? PyCFunction_GET_SELF(fn) : NULL;
    if (!PyFunction_Check(fn) &&
        !(PyCFunction_Check(fn) && (!self || PyModule_Check(self))))
        return;
    PyObject *module = PyObject_GetAttrString(fn, "__module__");
    PyObject *qual = PyObject_GetAttrString(fn, "__qualname__");
    PyObject *dot = PyUnicode_FromString(".");
    PyObject *list = module && qual && dot && PyUnicode_Check(module) &&
                             PyUnicode_Check(qual)
                         ? PyUnicode_Split(qual, dot, -1)
                         : NULL;
    PyObject *parts = list ? PyList_AsTuple(list) : NULL;
    PyObject *entry = parts ? PyTuple_Pack(3, module, parts, fn) : NULL;
    if (entry && !fn_kept)
        fn_kept = PyDict_New();
    if (entry && fn_kept) {
        if (PyDict_GET_SIZE(fn_kept) >= FN_KEEP)
            PyDict_Clear(fn_kept);
        (void)PyDict_SetItem(fn_kept, key, entry);
    }
    Py_XDECREF(entry);
    Py_XDECREF(parts);
    Py_XDECREF(list);
    Py_XDECREF(dot);
    Py_XDECREF(qual);
    Py_XDECREF(module);
    PyErr_Clear(); /* keeping is an optimisation: a failure loses nothing */
}

/* The task's function from the `len` bytes of its pickle at `p`: the one
 * kept for those bytes while its name still finds it, else unpickled
 * (and kept). NULL with the exception set. */
static PyObject *load_fn(const char *p, size_t len)
{
    PyObject *key = PyBytes_FromStringAndSize(p, (Py_ssize_t)len);
    if (!key)
        return NULL;
    PyObject *entry = fn_kept ? PyDict_GetItemWithError(fn_kept, key) : NULL;
    if (entry) {
        PyObject *now = fn_resolve(PyTuple_GET_ITEM(entry, 0),
                                   PyTuple_GET_ITEM(entry, 1));
        if (now && now == PyTuple_GET_ITEM(entry, 2)) {
            Py_DECREF(key);
            return now;
        }
        Py_XDECREF(now);
    }
    PyErr_Clear();
    PyObject *fn = loads_part(p, len);
    if (fn)
        fn_keep(key, fn);
    Py_DECREF(key);
    return fn;
}

/*
 * The worker callback. A task is fn's pickle, with its length in front (4
 * bytes, native order), then the pickle of (args, kwargs), a call (apply,
 * submit), or of (items, star), a chunk (map, imap, starmap): the parent
 * keeps a plain function's pickle and sends it again (coord/pool.py,
 * Pool._fn_part), where pickling it anew cost more than a small task.
 * Runs in a forked worker that holds the GIL: the parent holds it across
 * every fork (python/src/pool.c).
 */
static void task_run(const void *task, size_t task_len, void *result,
                     size_t result_cap, size_t *result_len, void *arg)
{
    if (pc_ready_pid != pc_self_pid())
        worker_start(arg, result_cap);
    if (pc_init_failure) {
        result_store(pc_init_failure, PC_RES_INIT, result, result_cap, result_len);
        return;
    }
    PyObject *fn = NULL, *call = NULL;
    uint32_t fn_len = 0;
    if (task_len >= 4)
        memcpy(&fn_len, task, 4);
    /* Signals that came while this worker waited for the task (a Ctrl-C at
     * a terminal reaches the whole process group) have their handlers run
     * now. The KeyboardInterrupt of one interrupts no task, so it is
     * dropped: raised at the task's first line it failed this task, and
     * the pool's next call raised KeyboardInterrupt (multiprocessing's idle
     * worker dies of it and a new one takes its place). Another exception
     * of a handler fails the task. */
    int signalled = PyErr_CheckSignals() < 0;
    if (signalled && PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) {
        PyErr_Clear();
        signalled = 0;
    }
    if (signalled) {
        /* fails with the handler's exception, below */
    } else if (task_len < 4 || fn_len > task_len - 4) {
        PyErr_SetString(PyExc_TypeError, "coord.Pool: a malformed task");
    } else {
        fn = load_fn((const char *)task + 4, fn_len);
        call = fn ? loads_part((const char *)task + 4 + fn_len,
                               task_len - 4 - fn_len)
                  : NULL;
    }
    PyObject *res = NULL;
    int chunk = 0;
    if (call && PyTuple_Check(call) && PyTuple_GET_SIZE(call) == 2) {
        PyObject *a = PyTuple_GET_ITEM(call, 0), *b = PyTuple_GET_ITEM(call, 1);
        if (PyBool_Check(b)) {
            chunk = 1;
            run_chunk(fn, a, b == Py_True, result, result_cap, result_len);
        } else if (PyTuple_Check(a) && PyDict_Check(b)) {
            res = PyObject_Call(fn, a, b);
        } else {
            PyErr_SetString(PyExc_TypeError, "coord.Pool: a malformed task");
        }
    } else if (call) {
        PyErr_SetString(PyExc_TypeError, "coord.Pool: a malformed task");
    }
    Py_XDECREF(fn);
    Py_XDECREF(call);
    if (res) {
        result_store(res, PC_RES_VALUE, result, result_cap, result_len);
        Py_DECREF(res);
    } else if (!chunk) {
        PyObject *v = take_exception();
        exception_store(v, result, result_cap, result_len);
        Py_DECREF(v);
    }
    /* What the task printed must not wait for an exit that never flushes
     * (through sys's streams as they are now: a task may replace them). */
    static const char *const streams[] = {"stdout", "stderr"};
    for (int i = 0; i < 2; i++) {
        PyObject *f = PySys_GetObject(streams[i]); /* borrowed */
        PyObject *r = f && f != Py_None ? PyObject_CallMethod(f, "flush", NULL)
                                        : NULL;
        Py_XDECREF(r);
    }
    PyErr_Clear();
}

int pc_pool_task(const void *task, size_t task_len, void *result,
                 size_t result_cap, size_t *result_len, void *arg)
{
    task_run(task, task_len, result, result_cap, result_len, arg);
    /* The result goes into the result queue as this returns: a pool with
     * callbacks waiting has its result thread look (bell.c). */
    pc_bell_ring(((const pc_pool_init *)arg)->bell);
    return 0;
}
