/* SPDX-License-Identifier: MIT */
/* clock.c: the monotonic clock and timeout-to-deadline conversion. */
#include <time.h>

#include "internal.h"

uint64_t coord_clock_ns(void)
{
    struct timespec ts;
    /* CLOCK_MONOTONIC is served by the vDSO: no system call. It cannot fail
     * with a valid clock id and pointer. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int coord__check_timeout(int timeout_ms)
{
    return timeout_ms < -1 ? COORD_EINVAL : 0;
}

uint64_t coord__deadline(int timeout_ms)
{
    if (timeout_ms < 0)
        return UINT64_MAX;
    return coord_clock_ns() + (uint64_t)timeout_ms * 1000000ull;
}
