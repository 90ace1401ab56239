/* SPDX-License-Identifier: MIT */
/* turns.c: threads of one process take turns at a C object that is for one thread at a time (a pool, a manager client), in the order they asked. */
#include "pycoord.h"

/* A thread waiting for its turn, on a lock of its own (its stack frame). */
struct pc_turn_waiter {
    PyThread_type_lock lock; /* taken; pc_turns_leave lets it go */
    int granted;             /* the object is this thread's now */
    unsigned long ident;     /* the waiting thread */
    struct pc_turn_waiter *next;
};

/* Takes w out of the line (it was not granted: still in it). */
static void unqueue(pc_turns *t, struct pc_turn_waiter *w)
{
    struct pc_turn_waiter **pp = &t->head, *prev = NULL;
    while (*pp != w) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    *pp = w->next;
    if (t->tail == w)
        t->tail = prev;
}

int pc_turns_enter(pc_turns *t, const char *reentered)
{
    unsigned long me = PyThread_get_thread_ident();
    if (t->busy && t->holder == me) {
        /* In the middle of one of its own calls (a signal handler run while
         * the call waits, a __del__ the GC ran, an at-fork handler):
         * waiting for our own turn would wait for ever. */
        PyErr_SetString(PyExc_RuntimeError, reentered);
        return -1;
    }
    /* In line already (a signal handler run while this thread waits for
     * its turn): a second place behind the first would wait for ever, the
     * first granted to a thread that waits for the second. */
    for (struct pc_turn_waiter *q = t->head; q; q = q->next)
        if (q->ident == me) {
            PyErr_SetString(PyExc_RuntimeError, reentered);
            return -1;
        }
    if (!t->busy) {
        t->busy = 1;
        t->holder = me;
        return 0;
    }
    struct pc_turn_waiter w = {PyThread_allocate_lock(), 0, me, NULL};
    if (!w.lock) {
        PyErr_NoMemory();
        return -1;
    }
    (void)PyThread_acquire_lock(w.lock, NOWAIT_LOCK);
    if (t->tail)
        t->tail->next = &w;
    else
        t->head = &w;
    t->tail = &w;
    int r = 0;
    for (;;) {
        Py_BEGIN_ALLOW_THREADS
        (void)PyThread_acquire_lock_timed(w.lock, 100000, 0);
        Py_END_ALLOW_THREADS
        if (w.granted)
            break;
        if (PyErr_CheckSignals() < 0) {
            /* The handler may have let the GIL go, and the holder handed
             * the object to this thread meanwhile (out of the line): pass
             * it on, or it stays taken by nobody. */
            if (w.granted)
                pc_turns_leave(t);
            else
                unqueue(t, &w);
            r = -1;
            break;
        }
    }
    PyThread_free_lock(w.lock);
    if (r == 0)
        t->holder = me;
    return r;
}

int pc_turns_held(const pc_turns *t)
{
    return t->busy && t->holder == PyThread_get_thread_ident();
}

void pc_turns_leave(pc_turns *t)
{
    struct pc_turn_waiter *w = t->head;
    t->holder = 0;
    if (!w) {
        t->busy = 0;
        return;
    }
    t->head = w->next;
    if (!t->head)
        t->tail = NULL;
    w->granted = 1; /* busy stays set: the object is the waiter's */
    t->holder = w->ident; /* from now: a handler run in its wait is refused */
    PyThread_release_lock(w->lock);
}
