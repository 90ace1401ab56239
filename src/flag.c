/* SPDX-License-Identifier: MIT */
/* flag.c: the stop flag: first-wins claim (CAS or lock), epochs, futex wait. */
#include <limits.h>
#include <stdalign.h>
#include <string.h>

#include "internal.h"

#define FLAG_MAGIC 0x464c4147u /* "FLAG" */
#define SET_BIT 1u
/* coord_flag_wait sleeps at most this long before it looks at the state
 * again (see there). */
#define WAIT_SLICE_NS 100000000ull

/*
 * Line 0 holds what the hot loop reads (state) and what is written rarely
 * (waiters: only by coord_flag_wait callers) or never after init (magic,
 * owned). Nothing written often shares the line, so a check stays an L1 hit
 * until somebody really sets or resets the flag. The mutex, which the lock
 * mode writes on every claim, has line 1 to itself.
 */
struct coord_flag {
    alignas(COORD__CACHE_LINE) _Atomic uint32_t state; /* epoch << 1 | set */
    _Atomic uint32_t waiters;
    uint32_t magic;
    uint32_t owned; /* 1: lives in its own segment (create/open) */
    alignas(COORD__CACHE_LINE) coord__mutex lock;
};

_Static_assert(offsetof(struct coord_flag, state) == 0,
               "coord_flag_is_set reads the first word");
_Static_assert(offsetof(struct coord_flag, lock) == COORD__CACHE_LINE,
               "the mutex must not share the state's cache line");

coord__mutex *coord__flag_mutex(struct coord_flag *f)
{
    return &f->lock;
}

size_t coord_flag_size(void)
{
    return sizeof(struct coord_flag);
}

static int flag_setup(struct coord_flag *f, uint32_t owned)
{
    memset(f, 0, sizeof *f);
    int r = coord__mutex_init(&f->lock);
    if (r)
        return r;
    f->magic = FLAG_MAGIC;
    f->owned = owned;
    atomic_store_explicit(&f->state, 0, memory_order_release);
    return 0;
}

int coord_flag_init(void *mem, size_t size, coord_flag **out)
{
    if (!mem || !out || size < sizeof(struct coord_flag) ||
        ((uintptr_t)mem % COORD__CACHE_LINE) != 0)
        return COORD_EINVAL;
    int r = flag_setup(mem, 0);
    if (r)
        return r;
    *out = mem;
    return 0;
}

int coord_flag_attach(void *mem, size_t size, coord_flag **out)
{
    if (!mem || !out || size < sizeof(struct coord_flag) ||
        ((uintptr_t)mem % COORD__CACHE_LINE) != 0)
        return COORD_EINVAL;
    const struct coord_flag *f = mem;
    /* magic and owned are written before the initialiser's release store
     * of state and never change; the caller ordered the init before this
     * call. A flag with its own segment (owned) is not in caller memory:
     * destroying an attached handle must never unmap it. */
    if (f->magic != FLAG_MAGIC || f->owned != 0)
        return COORD_EPROTO;
    *out = mem;
    return 0;
}

/* A new flag: named (`name`), in a memfd whose descriptor goes to *fd
 * (`fd` non-NULL), or in an anonymous mapping. */
static int flag_create(coord_flag **out, const char *name, int *fd)
{
    if (!out)
        return COORD_EINVAL;
    void *mem;
    size_t size = sizeof(struct coord_flag);
    int r = fd ? coord__seg_create_fd(COORD__KIND_FLAG, size, &mem)
               : coord__seg_create(name, COORD__KIND_FLAG, size, &mem);
    if (r)
        return r;
    r = flag_setup(mem, 1);
    if (r) {
        coord__seg_release(mem, true);
        return r;
    }
    int d = coord__seg_publish(mem);
    if (fd)
        *fd = d;
    *out = mem;
    return 0;
}

int coord_flag_create(coord_flag **out)
{
    return flag_create(out, NULL, NULL);
}

int coord_flag_create_named(coord_flag **out, const char *name)
{
    if (!name)
        return COORD_EINVAL;
    return flag_create(out, name, NULL);
}

int coord_flag_create_fd(coord_flag **out, int *fd)
{
    if (!fd)
        return COORD_EINVAL;
    return flag_create(out, NULL, fd);
}

/* Map the flag named `name`, or (name NULL) the one behind `fd`. */
static int flag_open(coord_flag **out, const char *name, int fd)
{
    void *mem;
    size_t size;
    if (!out)
        return COORD_EINVAL;
    int r = name ? coord__seg_open(name, COORD__KIND_FLAG, &mem, &size)
                 : coord__seg_open_fd(fd, COORD__KIND_FLAG, &mem, &size);
    if (r)
        return r;
    struct coord_flag *f = mem;
    if (size < sizeof *f || f->magic != FLAG_MAGIC) {
        coord__seg_release(mem, false);
        return COORD_EPROTO;
    }
    *out = f;
    return 0;
}

int coord_flag_open(coord_flag **out, const char *name)
{
    return name ? flag_open(out, name, -1) : COORD_EINVAL;
}

int coord_flag_open_fd(coord_flag **out, int fd)
{
    return flag_open(out, NULL, fd);
}

void coord_flag_destroy(coord_flag *f)
{
    /* This process's record of its mappings decides what to release (a
     * mapping, or nothing for caller memory): the shared `owned` word
     * could have been rewritten by any process that maps the flag. */
    if (f)
        coord__seg_release(f, true);
}

static void wake_waiters(struct coord_flag *f)
{
    /* seq_cst pairs with the waiter's seq_cst increment and state load: either
     * the waiter sees the new state, or we see its count and wake it. */
    if (atomic_load_explicit(&f->waiters, memory_order_seq_cst) != 0)
        coord__futex_wake(&f->state, INT_MAX);
}

void coord_flag_set(coord_flag *f)
{
    if (!f)
        return;
    /* A plain OR: setting is idempotent and keeps the epoch bits. seq_cst
     * because of the waiter handshake in wake_waiters. */
    atomic_fetch_or_explicit(&f->state, SET_BIT, memory_order_seq_cst);
    wake_waiters(f);
}

static int claim_cas(struct coord_flag *f, uint32_t epoch)
{
    uint32_t want = epoch << 1;
    /* One CAS from "clear in this epoch" to "set in this epoch". acq_rel:
     * acquire orders the winner after the reset that opened the epoch;
     * release publishes whatever the winner wrote before claiming. A failed
     * CAS means the flag was set or the epoch moved on: we lost. */
    if (!atomic_compare_exchange_strong_explicit(
            &f->state, &want, want | SET_BIT, memory_order_seq_cst,
            memory_order_acquire))
        return 0;
    wake_waiters(f);
    return 1;
}

static int claim_lock(struct coord_flag *f, uint32_t epoch)
{
    uint32_t want = epoch << 1;
    /* The lecture's cheap check outside the lock. */
    if (atomic_load_explicit(&f->state, memory_order_acquire) != want)
        return 0;
    int r = coord__mutex_lock(&f->lock, COORD_FOREVER);
    if (r < 0)
        return r;
    /* COORD_RECOVERED is fine here: the state is one word changed by one
     * atomic store, so a holder that died left it either set or clear. */
    int won = 0;
    /* The double check inside the lock. */
    if (atomic_load_explicit(&f->state, memory_order_acquire) == want) {
        /* A CAS rather than a store: coord_flag_set and coord_flag_reset
         * do not take the lock, so the word can still change under us. */
        won = atomic_compare_exchange_strong_explicit(
            &f->state, &want, want | SET_BIT, memory_order_seq_cst,
            memory_order_acquire);
    }
    coord__mutex_unlock(&f->lock);
    if (won)
        wake_waiters(f);
    return won;
}

int coord_flag_claim_epoch(coord_flag *f, uint32_t epoch,
                           coord_claim_mode mode)
{
    if (!f || epoch > (UINT32_MAX >> 1))
        return COORD_EINVAL;
    switch (mode) {
    case COORD_CLAIM_CAS:
        return claim_cas(f, epoch);
    case COORD_CLAIM_LOCK:
        return claim_lock(f, epoch);
    }
    return COORD_EINVAL;
}

uint32_t coord_flag_epoch(const coord_flag *f)
{
    if (!f)
        return 0;
    return atomic_load_explicit(&f->state, memory_order_acquire) >> 1;
}

bool coord_flag_claim(coord_flag *f)
{
    if (!f)
        return false;
    uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);
    if (s & SET_BIT)
        return false;
    return claim_cas(f, s >> 1) == 1;
}

bool coord_flag_claim_locked(coord_flag *f)
{
    if (!f)
        return false;
    uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);
    if (s & SET_BIT)
        return false;
    return claim_lock(f, s >> 1) == 1;
}

int coord_flag_reset(coord_flag *f)
{
    if (!f)
        return COORD_EINVAL;
    uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
    uint32_t next;
    /* Advance the epoch and clear the set bit in one step, so no claim can
     * land between the two. The epoch wraps within 31 bits by the shift. */
    do {
        next = ((s >> 1) + 1) << 1;
    } while (!atomic_compare_exchange_weak_explicit(
        &f->state, &s, next, memory_order_seq_cst, memory_order_relaxed));
    wake_waiters(f);
    return (int)(next >> 1);
}

int coord_flag_wait(coord_flag *f, int timeout_ms)
{
    if (!f || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);
    if (s & SET_BIT)
        return 0;
    if (timeout_ms == 0)
        return COORD_EAGAIN;
    uint64_t deadline = coord__deadline(timeout_ms);
    uint32_t start = s;
    int r = 0;
    atomic_fetch_add_explicit(&f->waiters, 1, memory_order_seq_cst);
    for (;;) {
        s = atomic_load_explicit(&f->state, memory_order_seq_cst);
        if (s != start) /* set, or a reset moved the epoch on */
            break;
        /* In slices: `waiters` is shared memory that any process mapping
         * the flag can rewrite, and a setter that reads it as 0 wakes
         * nobody. The slice bounds such a lost wake-up (as the queue's
         * sleeps are bounded); an idle waiter pays one wake-up a slice. */
        uint64_t now = coord_clock_ns();
        uint64_t until = now + WAIT_SLICE_NS < deadline ? now + WAIT_SLICE_NS
                                                       : deadline;
        r = coord__futex_wait(&f->state, s, until);
        if (r == COORD_ETIMEDOUT) {
            s = atomic_load_explicit(&f->state, memory_order_acquire);
            if (s != start) {
                r = 0;
                break;
            }
            if (until == deadline)
                break;
            r = 0; /* the end of a slice, not of the caller's wait */
        }
    }
    atomic_fetch_sub_explicit(&f->waiters, 1, memory_order_relaxed);
    return r;
}
