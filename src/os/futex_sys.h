/* SPDX-License-Identifier: MIT */
/* futex_sys.h: the one raw futex wait with a timeout (src/os/futex.c and the Python extension's bell), in the kernel's time layout. */
#ifndef COORD_FUTEX_SYS_H
#define COORD_FUTEX_SYS_H

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/*
 * coord__futex_wait_sys: syscall(SYS_futex, word, op, val, ts, NULL,
 * bitset) for a wait op (FUTEX_WAIT, FUTEX_WAIT_BITSET), `ts` NULL for no
 * timeout. Returns what syscall() returns (0, or -1 and errno).
 *
 * Why not syscall(SYS_futex, ..., ts) itself: the kernel reads the timeout
 * in its own layout, which need not be libc's struct timespec. On a 64-bit
 * target they agree, and this is that call, unchanged. A 32-bit target's
 * SYS_futex reads two 32-bit fields, but a libc built with 64-bit time
 * (_TIME_BITS=64, Debian's default on its 32-bit ports since the t64
 * transition) has a 64-bit time_t: the kernel read the low half of tv_sec
 * as seconds and the high half (0) as nanoseconds, and every timed wait
 * of less than a second ended at once. So where the kernel has
 * SYS_futex_time64 (32-bit targets, Linux 5.1 on) the wait goes there with
 * two 64-bit fields, whatever libc's time_t; a kernel without it (ENOSYS,
 * remembered) gets SYS_futex with two 32-bit fields, tv_sec cut to
 * INT32_MAX: on an absolute CLOCK_MONOTONIC deadline that is 68 years of
 * uptime, on a relative timeout 68 years, so no wait of this project gets
 * there.
 */
static inline long coord__futex_wait_sys(uint32_t *word, int op, uint32_t val,
                                         const struct timespec *ts,
                                         uint32_t bitset)
{
#ifdef SYS_futex_time64
    if (ts) {
        static _Atomic int no_time64; /* the kernel said ENOSYS */
        if (!atomic_load_explicit(&no_time64, memory_order_relaxed)) {
            struct {
                int64_t sec, nsec;
            } k64 = {(int64_t)ts->tv_sec, (int64_t)ts->tv_nsec};
            long r = syscall(SYS_futex_time64, word, op, val, &k64, NULL,
                             bitset);
            if (r == 0 || errno != ENOSYS)
                return r;
            atomic_store_explicit(&no_time64, 1, memory_order_relaxed);
        }
        /* In a variable: where time_t has 32 bits, a comparison of
         * tv_sec itself is always false (-Wtype-limits). */
        int64_t sec = (int64_t)ts->tv_sec;
        struct {
            int32_t sec, nsec;
        } k32 = {sec > INT32_MAX ? INT32_MAX : (int32_t)sec,
                 (int32_t)ts->tv_nsec};
        return syscall(SYS_futex, word, op, val, &k32, NULL, bitset);
    }
#endif
    return syscall(SYS_futex, word, op, val, ts, NULL, bitset);
}

#endif
