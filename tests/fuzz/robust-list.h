/* SPDX-License-Identifier: MIT */
/* robust-list.h: does this thread hold no robust mutex, as glibc's robust list says (fuzz and test)? */
#ifndef COORD_ROBUST_LIST_H
#define COORD_ROBUST_LIST_H

#include <linux/futex.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * glibc keeps each robust mutex a thread locked on that thread's robust
 * list (which the kernel walks when the thread dies, to hand the locks
 * on) until its unlock, linked through the mutex's list words. So a mutex
 * left there after a call was never unlocked, and glibc would write
 * through its list words (in shared memory, which anyone may change) at
 * the next lock or unlock of another. The list's list_op_pending is not
 * looked at: glibc 2.36 leaves it naming a mutex whose timed lock timed
 * out (the next lock replaces it; the kernel looks at it only at the
 * thread's exit, and changes the word only if it holds the thread's id).
 * Used by tests/fuzz/fuzz-queue.c, tests/fuzz/fd-exercise.h and
 * tests/test-queue-hostile.c.
 */
static inline bool robust_list_empty(void)
{
    struct robust_list_head *h = NULL;
    size_t len = 0;
    if (syscall(SYS_get_robust_list, 0, &h, &len) != 0 || !h)
        return true; /* none registered: no robust mutex was locked */
    return h->list.next == &h->list;
}

#endif
