/* SPDX-License-Identifier: MIT */
/* futex.c: process-shared futex wait with an absolute deadline, and wake. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "futex_sys.h"
#include "internal.h"

int coord__futex_wait(_Atomic uint32_t *word, uint32_t expected,
                      uint64_t deadline_ns)
{
    struct timespec ts, *tsp = NULL;
    if (deadline_ns != UINT64_MAX) {
        if (coord_clock_ns() >= deadline_ns)
            return COORD_ETIMEDOUT;
        ts.tv_sec = (time_t)(deadline_ns / 1000000000ull);
        ts.tv_nsec = (long)(deadline_ns % 1000000000ull);
        tsp = &ts;
    }
    /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline, so a
     * retry after EINTR does not stretch the timeout. No FUTEX_PRIVATE_FLAG:
     * the word lives in memory shared between processes. futex_sys.h
     * hands the deadline over in the kernel's layout (32-bit targets). */
    long r = coord__futex_wait_sys((uint32_t *)word, FUTEX_WAIT_BITSET,
                                   expected, tsp, FUTEX_BITSET_MATCH_ANY);
    if (r == 0)
        return 0;
    if (errno == ETIMEDOUT)
        return COORD_ETIMEDOUT;
    /* EAGAIN: the value already changed; EINTR: a signal. Either way the
     * caller re-reads the word and decides. */
    return 0;
}

int coord__futex_wake(_Atomic uint32_t *word, int n)
{
    long r = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, n, NULL, NULL, 0);
    return r > 0 ? (int)r : 0;
}
