/* SPDX-License-Identifier: MIT */
/* pycoord.h: what the files of the _coord extension share (types, errors, waits). */
#ifndef PYCOORD_H
#define PYCOORD_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <coord.h>
#include <stdatomic.h>
#include <unistd.h>

/* PyMethodDef wants a PyCFunction; the double cast keeps -Wcast-function-type quiet. */
#define PC_METH(fn) ((PyCFunction)(void (*)(void))(fn))

/* The extension's module state lives in these globals: one interpreter. */
extern PyObject *pc_error;      /* coord.Error */
extern PyObject *pc_pill;       /* coord.PILL */
extern PyObject *pc_queue_empty, *pc_queue_full; /* queue.Empty, queue.Full */
extern PyObject *pc_dumps, *pc_loads;            /* pickle.dumps, pickle.loads */

/* This process's id, cached: getpid() is a system call, and a pool asked
 * it on every submit and result call and in the worker for every task.
 * Forgotten in the child of every fork (a pthread_atfork handler, made
 * when the module loads; os.fork and libcoord's own forks run it), so a
 * child never answers with its parent's pid. Any thread may call it. */
extern _Atomic int pc_pid_cache;
static inline pid_t pc_self_pid(void)
{
    int p = atomic_load_explicit(&pc_pid_cache, memory_order_relaxed);
    if (__builtin_expect(p == 0, 0)) {
        p = (int)getpid();
        atomic_store_explicit(&pc_pid_cache, p, memory_order_relaxed);
    }
    return (pid_t)p;
}

/*
 * pc_turns: threads of this process take turns at an object that is for
 * one thread at a time (a coord_pool, a coord_mclient) while its calls let
 * the GIL go. Zero it to start (free). Read and written with the GIL held
 * only, so a thread alone pays one test and one store per call.
 *
 * pc_turns_enter takes the object for the calling thread: at once when it
 * is free; else the thread joins the line and waits, without the GIL, on a
 * lock of its own, in 100 ms slices that look for signals (a handler's
 * exception leaves the line: -1 with it set). A thread that holds it
 * already (a signal handler run while its call waits, a __del__ the GC ran
 * in the middle of a call, an at-fork handler), or that waits in the line
 * already (a signal handler run while it waits for its turn), would wait
 * for itself for ever: RuntimeError(reentered) instead. A handler's
 * exception that comes after the object was handed to the waiter passes
 * the object on. pc_turns_leave lets the object
 * go, or hands it to the first thread in line (busy stays set) and wakes
 * that one alone: a thread calling in a loop, which gets the GIL back
 * first, cannot take it again ahead of the others (with one shared lock it
 * did, and a waiter waited as long as that loop ran). pc_turns_held: does
 * the calling thread hold it? Enter returns 0, or -1 with the exception
 * set (also MemoryError for the waiter's lock).
 */
struct pc_turn_waiter;
typedef struct {
    int busy;
    unsigned long holder; /* the thread whose turn it is (busy) */
    struct pc_turn_waiter *head, *tail;
} pc_turns;
int pc_turns_enter(pc_turns *t, const char *reentered);
int pc_turns_held(const pc_turns *t);
void pc_turns_leave(pc_turns *t);

/*
 * pc_raise: set the Python exception for coord error `code` (negative) and
 * return NULL. The class is coord.<NAME> (e.g. coord.ETIMEDOUT), a subclass
 * of coord.Error and, where Python users expect one, of a standard class
 * (TimeoutError, ValueError, ...). The instance carries .code and .name.
 * `what` (may be NULL) prefixes the message.
 */
PyObject *pc_raise(int code, const char *what);

/* pc_raise_as: pc_raise with the class given (a subclass of code's class,
 * such as coord.ManagerLost for COORD_EPEERDIED). */
PyObject *pc_raise_as(PyObject *cls, int code, const char *what);

/* pc_raise_fmt: pc_raise with the whole message formatted as
 * PyUnicode_FromFormat formats it (for messages that say the sizes, the
 * limit and the option that raises it). Returns NULL. */
PyObject *pc_raise_fmt(int code, const char *fmt, ...);

/* pc_raise_create: pc_raise for a failed create of `kind` ("Value", ...);
 * COORD_EEXIST on a named one (`name` non-NULL) names the object and the
 * remedy for a crashed run's leftover (coord.gc(remove=True)). */
PyObject *pc_raise_create(int code, const char *kind, const char *name);

/* pc_error_class: the exception class for `code` (borrowed). */
PyObject *pc_error_class(int code);

/*
 * pc_timeout_ms: convert Python's (block, timeout) pair to coord's
 * timeout_ms: block false -> 0, timeout None -> -1, else milliseconds
 * (rounded up). Returns 0, or -1 with ValueError set for a negative or
 * non-number timeout.
 */
int pc_timeout_ms(int block, PyObject *timeout, int *ms);

/*
 * pc_wait: run op(arg, slice_ms) with the GIL released, in slices of at
 * most 100 ms until it returns something other than COORD_ETIMEDOUT or
 * `timeout_ms` is spent (-1: never), checking for signals (Ctrl-C)
 * between slices. Returns op's last return, COORD_ETIMEDOUT at the
 * deadline, or PC_SIGNALLED with the Python exception set.
 */
#define PC_SIGNALLED (-100000)
typedef int (*pc_wait_fn)(void *arg, int slice_ms);
int pc_wait(pc_wait_fn op, void *arg, int timeout_ms);

/* pc_check_name: NULL/None or a str; returns the UTF-8 (or NULL) and 0, or -1. */
int pc_name_arg(PyObject *name, const char **out);

/*
 * pc_u32, pc_u64: "O&" converters for unsigned integer arguments. The
 * object must be an int (or have __index__) in 0 .. UINT32_MAX (pc_u32,
 * stored into a uint32_t) or 0 .. UINT64_MAX (pc_u64, into a uint64_t).
 * Out of range raises OverflowError, a non-integer TypeError: a value is
 * never wrapped (the "I", "k" and "K" formats wrap silently).
 */
int pc_u32(PyObject *o, void *out);
int pc_u64(PyObject *o, void *out);

/*
 * pc_reduce_by_name: __reduce__ of a coord object: (type(self).<method>,
 * args) where args (stolen) starts with the name; the TypeError of
 * pc_anon_pickle_error when `name` is None.
 */
PyObject *pc_reduce_by_name(PyObject *self, const char *kind, PyObject *name,
                            const char *method, PyObject *args);

/* pc_reopen: the _reopen(name, typecode, locked) classmethod of Value and
 * Array: calls `open`(cls, (name, typecode), {lock: locked}). */
PyObject *pc_reopen(PyObject *cls, PyObject *args,
                    PyObject *(*open)(PyObject *, PyObject *, PyObject *));

/* pc_anon_pickle_error: the TypeError for pickling an object made without
 * a name, outside the start of a multiprocessing child. */
PyObject *pc_anon_pickle_error(const char *kind);

/*
 * coord.Pool's worker (pool_worker.c). The first byte of a result says how
 * the task ended: its value, its exception, a text saying why neither
 * could be sent, a chunk reply (see pool_worker.c), or the exception of
 * the pool's initializer in that worker.
 */
enum { PC_RES_VALUE = 0, PC_RES_EXCEPTION = 1, PC_RES_TEXT = 2, PC_RES_CHUNK = 3,
       PC_RES_INIT = 4, PC_RES_ENCODING = 5 };

/* coord.Pool's doorbell (bell.c): a futex word in shared memory that the
 * workers ring and the pool's result thread sleeps on. */
struct pc_bell;
/* pc_bell_ring: a worker finished a task (its result is about to be put):
 * wake the result thread if it watches. Any process, any thread; b may be
 * NULL. Never blocks. */
void pc_bell_ring(struct pc_bell *b);
/* pc_bell_of: the bell of a coord._Bell object (borrowed), or NULL with
 * TypeError set. */
struct pc_bell *pc_bell_of(PyObject *o);

/* The pool's initializer and its arguments (a tuple; fn NULL: none), and
 * the bell the workers ring (NULL: none). */
typedef struct pc_pool_init {
    PyObject *fn, *args;
    struct pc_bell *bell;
} pc_pool_init;

/* pc_pool_task: the coord_task_fn of coord.Pool's workers; `arg` is the
 * pool's pc_pool_init, as the worker inherited it. */
int pc_pool_task(const void *task, size_t task_len, void *result,
                 size_t result_cap, size_t *result_len, void *arg);

/*
 * pc_reduce_by_fd: __reduce__ of an anonymous coord object of `kind`
 * ("Value"): while multiprocessing pickles for a child it is starting
 * (multiprocessing.context.get_spawning_popen() is not None: a Process's
 * arguments, a Pool's initargs, any start method), (type(self)._from_fd,
 * (multiprocessing.reduction.DupFd(fd),) + rest), which sends the
 * descriptor `fd` (the object's, from coord_x_create_fd) with the child's
 * start; otherwise the TypeError of pc_anon_pickle_error, or one that says
 * the object has no descriptor (fd -1). `rest` (a tuple) is stolen.
 */
PyObject *pc_reduce_by_fd(PyObject *self, const char *kind, int fd,
                          PyObject *rest);

/* pc_fd_detach: the descriptor that pc_reduce_by_fd's DupFd carried into
 * this process (its detach()), which the caller owns from then on; -1
 * with the exception set. */
int pc_fd_detach(PyObject *dup);

/* pc_no_fd: did an anonymous create_fd fail for want of a descriptor (none
 * free: COORD_EMFILE; no memfd here: COORD_ENOSYS, which is every refusal
 * of memfd_create, whatever errno a kernel or seccomp filter gave, but
 * out of memory)? The binding then makes the object with the plain
 * create: it works, but only fork children can have it (pc_reduce_by_fd
 * says why). COORD_ENOMEM is raised. */
static inline int pc_no_fd(int r)
{
    return r == COORD_EMFILE || r == COORD_ENOSYS;
}

/* The types, and their registration (each adds itself to the module). */
int pc_flag_add(PyObject *m);
int pc_scalar_typecode(PyObject *code, coord_type *type, char *tc);
PyObject *pc_scalar_to_py(coord_type type, char tc, coord_scalar s);
int pc_scalar_from_py(coord_type type, char tc, PyObject *o, coord_scalar *s);
/*
 * pc_scalar_open_tc: the typecode (*tc) of a named object of `kind`
 * ("value", "array"; `name` None: one passed by descriptor) whose segment
 * holds `held`, opened with typecode
 * `code` (None: the creator's, 'q'/'Q' for 'l'/'L'). 0, or -1 with
 * TypeError when `code` asks for another type (u8 and char read each
 * other: bytes as 'c', ints as 'B'), or the error of a bad typecode.
 */
int pc_scalar_open_tc(PyObject *name, PyObject *code, coord_type held,
                      const char *kind, char *tc);
coord_scalar pc_scalar_add(coord_type type, coord_scalar a, coord_scalar b);
int pc_scalar_equal(coord_type type, coord_scalar a, coord_scalar b);
int pc_lock_add(PyObject *m);
int pc_value_add(PyObject *m);
int pc_array_add(PyObject *m);
int pc_queue_add(PyObject *m);
int pc_search_add(PyObject *m);
int pc_pool_add(PyObject *m);
int pc_bell_add(PyObject *m);
int pc_manager_add(PyObject *m);
int pc_gc_add(PyObject *m);
int pc_imap_add(PyObject *m);

/*
 * The re-entrant, process-shared lock behind Value.get_lock() and
 * Array.get_lock(): the object's robust lock in shared memory, plus which
 * thread of this process holds it and how often (an RLock, as
 * multiprocessing's). `lock`/`unlock` are coord_value_lock/unlock or the
 * array's.
 */
typedef struct pc_lockstate {
    void *obj;
    int (*lock)(void *obj, int timeout_ms);
    int (*unlock)(void *obj);
    unsigned long owner; /* thread ident of the holder in this process */
    long count;          /* 0: not held by this process */
    unsigned long gen;   /* pc_fork_gen when taken: a forked child (whose
                            thread may have the same ident) holds nothing */
    int recovered;       /* the last outermost acquire took the lock over
                            from a process that died holding it */
    PyObject *wrapper;   /* the coord.Lock over this state while one lives
                            (borrowed: the Lock clears it as it goes), so
                            get_lock() is get_lock(), as multiprocessing's */
} pc_lockstate;

/* Bumped in every child right after fork (pthread_atfork). */
extern unsigned long pc_fork_gen;

/* pc_lock_new: a coord.Lock object over `st`, keeping `owner` alive. */
PyObject *pc_lock_new(pc_lockstate *st, PyObject *owner);
/* pc_lock_held: does the calling thread hold it? */
int pc_lock_held(const pc_lockstate *st);
/* pc_lock_acquire / pc_lock_release: the RLock operations (GIL held on
 * entry). acquire returns 1 taken, 0 not (timeout), -1 error set. */
int pc_lock_acquire(pc_lockstate *st, int timeout_ms);
int pc_lock_release(pc_lockstate *st);
/* pc_lock_drop: before the memory holding the lock is unmapped (the
 * owner's dealloc). Releases it when the calling thread holds it and
 * returns 1 (unmap it); returns 0 when another thread of this process
 * holds it (its robust list links that memory: keep the mapping). */
int pc_lock_drop(pc_lockstate *st);

#endif
