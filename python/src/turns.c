/* SPDX-License-Identifier: MIT */
/* turns.c: threads of one process take turns at a C object that is for one thread at a time (a pool, a manager client), in the order they asked. */
#include "pycoord.h"

/* A thread waiting for its turn, on a lock of its own (its stack frame). */
struct pc_turn_waiter {
    PyThread_type_lock lock; /* taken; pc_turns_leave lets it go */
    int granted;             /* the object is this thread's now */
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

int pc_turns_enter(pc_turns *t)
{
    if (!t->busy) {
        t->busy = 1;
        return 0;
    }
    struct pc_turn_waiter w = {PyThread_allocate_lock(), 0, NULL};
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
            unqueue(t, &w);
            r = -1;
            break;
        }
    }
    PyThread_free_lock(w.lock);
    return r;
}

void pc_turns_leave(pc_turns *t)
{
    struct pc_turn_waiter *w = t->head;
    if (!w) {
        t->busy = 0;
        return;
    }
    t->head = w->next;
    if (!t->head)
        t->tail = NULL;
    w->granted = 1; /* busy stays set: the object is the waiter's */
    PyThread_release_lock(w->lock);
}
