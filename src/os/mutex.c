/* SPDX-License-Identifier: MIT */
/* mutex.c: robust process-shared mutex whose dead holders are recovered. */
#include <errno.h>
#include <time.h>

#include "internal.h"

int coord__mutex_init(coord__mutex *m)
{
    pthread_mutexattr_t a;
    int r = pthread_mutexattr_init(&a);
    if (r)
        return -r;
    /* Process-shared so that it works in MAP_SHARED memory; robust so that
     * a holder killed by SIGKILL hands the lock on with EOWNERDEAD instead
     * of wedging every other process forever. */
    r = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    if (!r)
        r = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    /* Error checking: a relock by the holder reports EDEADLK, not a hang. */
    if (!r)
        r = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    if (!r)
        r = pthread_mutex_init(&m->m, &a);
    pthread_mutexattr_destroy(&a);
    return -r;
}

int coord__mutex_lock(coord__mutex *m, int timeout_ms)
{
    int r;
    if (coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    if (timeout_ms < 0) {
        r = pthread_mutex_lock(&m->m);
    } else if (timeout_ms == 0) {
        r = pthread_mutex_trylock(&m->m);
        if (r == EBUSY)
            return COORD_EAGAIN;
    } else {
        uint64_t d = coord__deadline(timeout_ms);
        struct timespec ts = {(time_t)(d / 1000000000ull),
                              (long)(d % 1000000000ull)};
        r = pthread_mutex_clocklock(&m->m, CLOCK_MONOTONIC, &ts);
    }
    if (r == 0)
        return 0;
    if (r == EOWNERDEAD) {
        /* We hold the lock now. Mark it consistent at once so that it stays
         * usable whatever the caller does next; the caller learns of the
         * death through COORD_RECOVERED and judges its own data. */
        pthread_mutex_consistent(&m->m);
        return COORD_RECOVERED;
    }
    if (r == ETIMEDOUT)
        return COORD_ETIMEDOUT;
    return -r;
}

int coord__mutex_unlock(coord__mutex *m)
{
    return -pthread_mutex_unlock(&m->m);
}
