/* SPDX-License-Identifier: MIT */
/* mutex.c: robust process-shared mutex whose dead holders are recovered. */
#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static int mutex_setup(coord__mutex *m);

/*
 * The mutex lives in shared memory, where any process that maps it can
 * rewrite it. glibc keeps the mutex type (robust, error checking, process
 * shared, priority protocol) in a kind word and trusts it: a kind rewritten
 * to "priority protect" with a garbage ceiling makes pthread_mutex_trylock
 * fail an assertion and abort the caller. So every lock and unlock first
 * compares the kind word with the one our own attributes give (learned
 * once per process from a private mutex) and refuses a mutex that does not
 * match with COORD_EPROTO. This narrows, but cannot close, the window of a
 * writer that changes the word at the same moment.
 */
#ifdef __GLIBC__
static _Atomic int our_kind = -1;

bool coord__mutex_kind_ok(const coord__mutex *m)
{
    int k = atomic_load_explicit(&our_kind, memory_order_relaxed);
    if (k < 0) {
        coord__mutex probe;
        if (mutex_setup(&probe) != 0)
            return true; /* cannot learn it: leave the check to glibc */
        k = probe.m.__data.__kind;
        pthread_mutex_destroy(&probe.m);
        /* Relaxed: every thread computes the same value. */
        atomic_store_explicit(&our_kind, k, memory_order_relaxed);
    }
    return __atomic_load_n(&m->m.__data.__kind, __ATOMIC_RELAXED) == k;
}
#else
bool coord__mutex_kind_ok(const coord__mutex *m)
{
    (void)m;
    return true;
}
#endif

int coord__mutex_init(coord__mutex *m)
{
    return mutex_setup(m);
}

static int mutex_setup(coord__mutex *m)
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

/*
 * The holder a robust mutex's owner word names is a thread id, and a
 * thread id means something in one pid namespace only: two containers
 * sharing /dev/shm each have a pid 1 (and so a thread 1). When the other
 * namespace's holder has our number, glibc takes the lock for ours: a lock
 * answers EDEADLK ("you hold it"), and an unlock goes through, unlinking
 * the mutex from our robust list through list words that belong to the
 * holder's address space (a crash; the kernel then marks the lock's owner
 * dead, and the next locker gets COORD_RECOVERED while the real holder is
 * still inside). So both ask this thread's robust list, where glibc links
 * every robust mutex the thread holds, whether it really holds `m`.
 */
#ifdef __GLIBC__
/* This thread's robust list (registered by glibc at the thread's start; a
 * forked child's thread has its parent thread's, at the same address);
 * NULL until asked, &no_list when none is registered. Initial-exec: one
 * %fs-relative load, no __tls_get_addr call, in libcoord.so too. The
 * unlock's check costs 8 instructions of an uncontended coord_value_lock +
 * unlock (callgrind: 225 -> 233), 260 in all with the whole walk out of
 * line. */
static struct robust_list_head no_list;
static _Thread_local struct robust_list_head *robust_head
    __attribute__((tls_model("initial-exec")));

/* Does this thread hold m, as its robust list says? True when it cannot
 * tell (no list registered): glibc's answer stands then, as before. The
 * list's words live in the held mutexes, in shared memory: the walk is
 * bounded, and glibc itself writes through them at the next lock or
 * unlock. A mutex just locked is first on the list (glibc adds at the
 * head), so an unlock looks at one entry. */
static __attribute__((noinline, cold)) bool
held_here_slow(const coord__mutex *m)
{
    struct robust_list_head *h = robust_head;
    if (!h) {
        size_t len = 0;
        if (syscall(SYS_get_robust_list, 0, &h, &len) != 0 || !h)
            h = &no_list;
        robust_head = h;
    }
    if (h == &no_list)
        return true;
    const char *lock = (const char *)&m->m;
    struct robust_list *e = h->list.next;
    for (int i = 0; i < 1024 && e && e != &h->list; i++) {
        if ((const char *)e + h->futex_offset == lock)
            return true;
        e = (struct robust_list *)((uintptr_t)e->next & ~(uintptr_t)1);
    }
    return false;
}

/* The first entry inline (an unlock's mutex, locked last, is there);
 * the rest, and the first ask, out of line. */
static inline bool held_here(const coord__mutex *m)
{
    struct robust_list_head *h = robust_head;
    if (__builtin_expect(h != NULL, 1) &&
        (const char *)h->list.next + h->futex_offset == (const char *)&m->m)
        return true;
    return held_here_slow(m);
}
#else
static bool held_here(const coord__mutex *m)
{
    (void)m;
    return true;
}
#endif

int coord__mutex_poll_until(coord__mutex *m, uint64_t end)
{
    for (;;) {
        int r = pthread_mutex_trylock(&m->m);
        if (r != EBUSY && r != EDEADLK)
            return r;
        if (end && coord_clock_ns() >= end)
            return ETIMEDOUT;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

/* EDEADLK for a mutex this thread does not hold: a thread of another pid
 * namespace with our number holds it. Wait for it as for any holder
 * (timeout_ms -1: for ever, 0: COORD_EAGAIN at once). */
static int wait_same_numbered_holder(coord__mutex *m, int timeout_ms)
{
    if (timeout_ms == 0)
        return COORD_EAGAIN;
    int r = coord__mutex_poll_until(
        m, timeout_ms < 0 ? 0 : coord__deadline(timeout_ms));
    if (r == 0)
        return 0;
    if (r == EOWNERDEAD) {
        pthread_mutex_consistent(&m->m);
        return COORD_RECOVERED;
    }
    return r == ETIMEDOUT ? COORD_ETIMEDOUT : COORD_EPROTO;
}

/* EDEADLK from glibc: this thread's own lock (COORD_EDEADLK), or a
 * same-numbered holder in another pid namespace to wait for. Out of line
 * and cold: inlined, its walk and poll loop made coord__mutex_lock save two
 * more registers on every call (an uncontended lock 25 -> 31 instructions,
 * callgrind). */
static __attribute__((noinline, cold)) int
lock_edeadlk(coord__mutex *m, int timeout_ms)
{
    return held_here(m) ? COORD_EDEADLK
                        : wait_same_numbered_holder(m, timeout_ms);
}

int coord__mutex_lock(coord__mutex *m, int timeout_ms)
{
    int r;
    if (coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    if (!coord__mutex_kind_ok(m))
        return COORD_EPROTO;
    if (timeout_ms < 0) {
        r = pthread_mutex_lock(&m->m);
    } else if (timeout_ms == 0) {
        r = pthread_mutex_trylock(&m->m);
        if (r == EBUSY)
            return COORD_EAGAIN;
    } else {
        r = coord__mutex_lock_until(m, coord__deadline(timeout_ms));
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
    if (r == EDEADLK)
        return lock_edeadlk(m, timeout_ms);
    /* Anything else comes of words no lock of ours holds (its owner word
     * rewritten to glibc's "not recoverable" mark gives ENOTRECOVERABLE,
     * for ever): the mutex's memory was overwritten in shared memory, as
     * a rewritten kind word is. */
    return COORD_EPROTO;
}

int coord__mutex_lock_until(coord__mutex *m, uint64_t deadline)
{
#ifdef COORD_TSAN
    /* ThreadSanitizer's runtime (GCC 12's; LLVM's before 18) does not
     * intercept pthread_mutex_clocklock: it would not know that the lock
     * is held, and would report the data it guards as raced. A TSan build
     * takes it with pthread_mutex_timedlock, which every runtime
     * intercepts, at the same moment on CLOCK_REALTIME (the same deadline
     * unless the wall clock is set meanwhile). */
    uint64_t now = coord_clock_ns();
    uint64_t left = deadline > now ? deadline - now : 0;
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    uint64_t at = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec +
                  left;
    struct timespec ts = {(time_t)(at / 1000000000ull),
                          (long)(at % 1000000000ull)};
    return pthread_mutex_timedlock(&m->m, &ts);
#else
    struct timespec ts = {(time_t)(deadline / 1000000000ull),
                          (long)(deadline % 1000000000ull)};
    return pthread_mutex_clocklock(&m->m, CLOCK_MONOTONIC, &ts);
#endif
}

int coord__mutex_unlock(coord__mutex *m)
{
    if (!coord__mutex_kind_ok(m))
        return COORD_EPROTO;
    if (!held_here(m))
        return COORD_EPERM; /* maybe held by our number in another namespace */
    return -pthread_mutex_unlock(&m->m);
}
