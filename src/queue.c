/* SPDX-License-Identifier: MIT */
/* queue.c: the bounded MPMC byte-message ring: two robust locks, commit-last indices, futex waits. */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdalign.h>
#include <string.h>

#include "internal.h"
#include "queue_internal.h"

#define QUEUE_MAGIC 0x51554555u /* "QUEU" */
#define SLOT_HDR 8u
#define KIND_DATA 0u
#define KIND_PILL 1u

/* Polls of the other side's index before yielding, and yields before
 * sleeping on the futex. A futex sleep plus wake costs microseconds and a
 * system call on both sides; a producer a few hundred nanoseconds behind
 * should not pay it. The yields keep the spin polite when there are more
 * processes than cores (1 -> 4 on 2 cores). */
#define SPIN_POLLS 200
#define SPIN_YIELDS 4

/*
 * Layout: one cache line per writer group, so that a producer and a
 * consumer running at once do not write the same line except for the slot
 * they hand over.
 *  line 0: constants (written once at init) and `closed` (written once).
 *  line 1: the producer lock and the producers' cached head.
 *  line 2: the consumer lock and the consumers' cached tail.
 *  line 3: tail (written by each put, read by gets that ran dry).
 *  line 4: head (written by each get, read by puts that found it full).
 *  line 5: wake-up of producers (consumers bump put_ev when a put waits).
 *  line 6: wake-up of consumers (producers bump get_ev when a get waits).
 * Keeping tail apart from the producer lock matters: a consumer polling
 * tail would otherwise pull the lock's line away from the producer on
 * every message (measured: 10 -> 16 M msgs/s for 1 -> 1 on 2 cores).
 * The slots follow at `slots_off`, ring_size (a power of two >= capacity)
 * of them, each SLOT_HDR + payload bytes rounded up to 8.
 *
 * head and tail are free-running 32-bit counters; tail - head (unsigned)
 * is the count, which stays <= capacity <= 2^30, so wraparound at 2^32 is
 * harmless, and the slot of counter i is i & (ring_size - 1) because
 * ring_size divides 2^32.
 */
struct coord_queue {
    alignas(COORD__CACHE_LINE) uint32_t magic;
    uint32_t owned;     /* 1: lives in its own segment (create/open) */
    uint32_t capacity;  /* messages */
    uint32_t max_msg;   /* bytes */
    uint32_t ring_mask; /* ring_size - 1 */
    uint32_t slot_size; /* bytes per slot, header included */
    uint64_t slots_off; /* offset of slot 0 from the start of the queue */
    uint64_t total;     /* bytes of the whole object */
    _Atomic uint32_t closed;

    alignas(COORD__CACHE_LINE) coord__mutex plock;
    uint32_t head_cache; /* a recent head (under plock) */

    alignas(COORD__CACHE_LINE) coord__mutex clock;
    uint32_t tail_cache; /* a recent tail (under clock) */

    alignas(COORD__CACHE_LINE) _Atomic uint32_t tail;
    alignas(COORD__CACHE_LINE) _Atomic uint32_t head;

    alignas(COORD__CACHE_LINE) _Atomic uint32_t put_ev;
    _Atomic uint32_t put_waiters;

    alignas(COORD__CACHE_LINE) _Atomic uint32_t get_ev;
    _Atomic uint32_t get_waiters;
};

/* A slot's header. len and kind are plain: they are written before the
 * commit store (release) and read after the matching acquire load. */
struct slot {
    uint32_t len;
    uint32_t kind;
    unsigned char data[];
};
_Static_assert(sizeof(struct slot) == SLOT_HDR, "slot header");

static inline struct slot *slot_at(struct coord_queue *q, uint32_t i)
{
    return (struct slot *)((char *)q + q->slots_off +
                           (size_t)(i & q->ring_mask) * q->slot_size);
}

static uint32_t ring_size_for(size_t capacity)
{
    uint32_t r = 1;
    while (r < capacity)
        r <<= 1;
    return r;
}

static uint64_t layout(size_t capacity, size_t max_msg, uint32_t *ring,
                       uint32_t *slot_size)
{
    if (capacity == 0 || max_msg == 0 || capacity > COORD_QUEUE_MAX_CAPACITY ||
        max_msg > COORD_QUEUE_MAX_MSG)
        return 0;
    uint64_t ss = SLOT_HDR + (((uint64_t)max_msg + 7) & ~(uint64_t)7);
    uint64_t rs = ring_size_for(capacity);
    uint64_t bytes = sizeof(struct coord_queue) + rs * ss;
    /* Both factors are below 2^31, so the product fits in 64 bits; refuse
     * what cannot be mapped anyway. */
    if (bytes > ((uint64_t)SIZE_MAX >> 1) || ss > UINT32_MAX)
        return 0;
    bytes = (bytes + COORD__CACHE_LINE - 1) & ~(uint64_t)(COORD__CACHE_LINE - 1);
    if (ring)
        *ring = (uint32_t)rs;
    if (slot_size)
        *slot_size = (uint32_t)ss;
    return bytes;
}

size_t coord_queue_size(size_t capacity, size_t max_msg)
{
    return (size_t)layout(capacity, max_msg, NULL, NULL);
}

static int queue_setup(struct coord_queue *q, size_t capacity, size_t max_msg,
                       uint32_t owned)
{
    uint32_t ring = 1, ss = SLOT_HDR;
    uint64_t total = layout(capacity, max_msg, &ring, &ss);
    memset(q, 0, sizeof *q);
    int r = coord__mutex_init(&q->plock);
    if (!r)
        r = coord__mutex_init(&q->clock);
    if (r)
        return r;
    q->owned = owned;
    q->capacity = (uint32_t)capacity;
    q->max_msg = (uint32_t)max_msg;
    q->ring_mask = ring - 1;
    q->slot_size = ss;
    q->slots_off = sizeof *q;
    q->total = total;
    /* Release: a process that sees the magic sees the fields above. */
    atomic_thread_fence(memory_order_release);
    q->magic = QUEUE_MAGIC;
    return 0;
}

int coord_queue_init(void *mem, size_t size, size_t capacity, size_t max_msg,
                     coord_queue **out)
{
    size_t need = coord_queue_size(capacity, max_msg);
    if (!mem || !out || need == 0 || size < need ||
        ((uintptr_t)mem % COORD__CACHE_LINE) != 0)
        return COORD_EINVAL;
    int r = queue_setup(mem, capacity, max_msg, 0);
    if (r)
        return r;
    *out = mem;
    return 0;
}

static int queue_create(coord_queue **out, const char *name, size_t capacity,
                        size_t max_msg)
{
    size_t need = coord_queue_size(capacity, max_msg);
    if (!out || need == 0)
        return COORD_EINVAL;
    void *mem;
    int r = coord__seg_create(name, COORD__KIND_QUEUE, need, &mem);
    if (r)
        return r;
    r = queue_setup(mem, capacity, max_msg, 1);
    if (r) {
        coord__seg_release(mem, true);
        return r;
    }
    coord__seg_publish(mem);
    *out = mem;
    return 0;
}

int coord_queue_create(coord_queue **out, size_t capacity, size_t max_msg)
{
    return queue_create(out, NULL, capacity, max_msg);
}

int coord_queue_create_named(coord_queue **out, const char *name,
                             size_t capacity, size_t max_msg)
{
    if (!name)
        return COORD_EINVAL;
    return queue_create(out, name, capacity, max_msg);
}

int coord_queue_open(coord_queue **out, const char *name)
{
    if (!out || !name)
        return COORD_EINVAL;
    void *mem;
    size_t size;
    int r = coord__seg_open(name, COORD__KIND_QUEUE, &mem, &size);
    if (r)
        return r;
    struct coord_queue *q = mem;
    /* Re-derive the layout from the stored parameters: a segment whose
     * fields disagree with its size is not a queue we can trust. */
    uint32_t ring = 0, ss = 0;
    uint64_t total = size >= sizeof *q
                         ? layout(q->capacity, q->max_msg, &ring, &ss)
                         : 0;
    if (total == 0 || q->magic != QUEUE_MAGIC || total > size ||
        q->total != total || q->ring_mask != ring - 1 || q->slot_size != ss ||
        q->slots_off != sizeof *q) {
        coord__seg_release(mem, false);
        return COORD_EPROTO;
    }
    *out = q;
    return 0;
}

void coord_queue_destroy(coord_queue *q)
{
    if (!q || !q->owned)
        return;
    coord__seg_release(q, true);
}

/* Lock one side. A dead holder's lock (EOWNERDEAD) is success here: the
 * ring is changed only by one commit store per operation (see queue.h), so
 * whatever instruction the holder died at, head, tail and every committed
 * slot are consistent, and nothing needs repair. This is coord__mutex_lock
 * without its timeout handling, called directly on the hot path. */
static inline int side_lock(coord__mutex *m)
{
    int r = pthread_mutex_lock(&m->m);
    if (__builtin_expect(r == 0, 1))
        return 0;
    if (r == EOWNERDEAD) {
        pthread_mutex_consistent(&m->m);
        return 0;
    }
    return -r;
}

static inline void side_unlock(coord__mutex *m)
{
    pthread_mutex_unlock(&m->m);
}

static inline bool deadline_passed(uint64_t deadline)
{
    return deadline != UINT64_MAX && coord_clock_ns() >= deadline;
}

/*
 * Wait until `ready(q)` may hold, or the queue is closed, or the deadline.
 * `ev`/`waiters` are this side's wake-up word and sleeper count, and
 * `other` is the other side's lock. Returns 0 (re-check), COORD_ETIMEDOUT.
 *
 * The sleep protocol (no lost wake-up, and no fence on the fast path): the
 * sleeper raises `waiters` and reads `ev` while holding the *other* side's
 * lock, then re-checks its condition, and sleeps only while `ev` still
 * holds what it read. The other side reads `waiters` inside its critical
 * section, after its commit store, and when it was non-zero bumps `ev` and
 * wakes after unlocking. The lock orders the two critical sections: if the
 * committer's came first, its commit happens-before the sleeper's re-check
 * (unlock/lock), which sees it; if the sleeper's came first, the committer
 * sees the raised count and changes `ev` after the sleeper read it, so the
 * futex wait returns at once or is woken.
 */
static int wait_side(struct coord_queue *q, bool (*ready)(struct coord_queue *),
                     _Atomic uint32_t *ev, _Atomic uint32_t *waiters,
                     coord__mutex *other, uint64_t deadline)
{
    for (int i = 0; i < SPIN_POLLS; i++) {
        if (ready(q) || atomic_load_explicit(&q->closed, memory_order_relaxed))
            return 0;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    for (int i = 0; i < SPIN_YIELDS; i++) {
        sched_yield();
        if (ready(q) || atomic_load_explicit(&q->closed, memory_order_relaxed))
            return 0;
    }
    if (deadline_passed(deadline))
        return COORD_ETIMEDOUT;
    int r = side_lock(other);
    if (r < 0)
        return r;
    atomic_fetch_add_explicit(waiters, 1, memory_order_relaxed);
    /* seq_cst with close(): reading close's bump of ev means we also see
     * its store to `closed` below. */
    uint32_t e = atomic_load_explicit(ev, memory_order_seq_cst);
    side_unlock(other);
    if (!ready(q) && !atomic_load_explicit(&q->closed, memory_order_seq_cst))
        r = coord__futex_wait(ev, e, deadline);
    /* A process killed while asleep never gets here; its count stays raised
     * and only costs later committers a futex wake (see queue.h). */
    atomic_fetch_sub_explicit(waiters, 1, memory_order_relaxed);
    return r;
}

/* After unlocking: wake this side's sleepers if the critical section saw
 * any (`had_waiters`, read under the lock). */
static inline void wake_side(_Atomic uint32_t *ev, bool had_waiters)
{
    if (__builtin_expect(had_waiters, 0)) {
        atomic_fetch_add_explicit(ev, 1, memory_order_seq_cst);
        /* Wake all: a woken process may be killed before it takes the
         * message, and must not leave another sleeper stranded. */
        coord__futex_wake(ev, INT_MAX);
    }
}

static bool has_space(struct coord_queue *q)
{
    uint32_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    uint32_t h = atomic_load_explicit(&q->head, memory_order_acquire);
    return t - h < q->capacity;
}

static bool has_msg(struct coord_queue *q)
{
    uint32_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
    uint32_t t = atomic_load_explicit(&q->tail, memory_order_acquire);
    return t != h;
}

static int put_kind(struct coord_queue *q, const void *msg, size_t len,
                    uint32_t kind, int timeout_ms)
{
    uint64_t deadline = 0; /* computed on the first wait only */
    bool have_deadline = false;
    for (;;) {
        int r = side_lock(&q->plock);
        if (r < 0)
            return r;
        if (atomic_load_explicit(&q->closed, memory_order_acquire)) {
            side_unlock(&q->plock);
            return COORD_ECLOSED;
        }
        /* tail only changes under plock: a relaxed load is exact. */
        uint32_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
        if (t - q->head_cache >= q->capacity)
            /* Acquire: the consumers' reads of the slot we are about to
             * overwrite happened before they advanced head. */
            q->head_cache = atomic_load_explicit(&q->head, memory_order_acquire);
        if (t - q->head_cache < q->capacity) {
            struct slot *s = slot_at(q, t);
            s->len = (uint32_t)len;
            s->kind = kind;
            if (len)
                memcpy(s->data, msg, len);
            /* The commit (see queue.h): release publishes the slot to the
             * get that acquires this tail; nothing after this store can
             * undo the put. */
            atomic_store_explicit(&q->tail, t + 1, memory_order_release);
            /* Read under the lock: see wait_side for why this suffices. */
            bool w = atomic_load_explicit(&q->get_waiters,
                                          memory_order_relaxed) != 0;
            side_unlock(&q->plock);
            wake_side(&q->get_ev, w);
            return 0;
        }
        side_unlock(&q->plock);
        if (timeout_ms == 0)
            return COORD_EAGAIN;
        if (!have_deadline) {
            deadline = coord__deadline(timeout_ms);
            have_deadline = true;
        }
        r = wait_side(q, has_space, &q->put_ev, &q->put_waiters, &q->clock,
                      deadline);
        if (r < 0)
            return r;
    }
}

int coord_queue_put(coord_queue *q, const void *msg, size_t len,
                    int timeout_ms)
{
    if (!q || (!msg && len) || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    if (len > q->max_msg)
        return COORD_EMSGSIZE;
    return put_kind(q, msg, len, KIND_DATA, timeout_ms);
}

int coord_queue_put_pill(coord_queue *q, int timeout_ms)
{
    if (!q || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    return put_kind(q, NULL, 0, KIND_PILL, timeout_ms);
}

int coord_queue_get(coord_queue *q, void *buf, size_t cap, size_t *len,
                    int timeout_ms)
{
    if (!q || !len || (!buf && cap) || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    uint64_t deadline = 0;
    bool have_deadline = false;
    for (;;) {
        int r = side_lock(&q->clock);
        if (r < 0)
            return r;
        uint32_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
        if (h == q->tail_cache)
            /* Acquire: pairs with the producer's release commit, so the
             * slot's bytes are visible before we read them. */
            q->tail_cache = atomic_load_explicit(&q->tail, memory_order_acquire);
        if (h != q->tail_cache) {
            struct slot *s = slot_at(q, h);
            uint32_t n = s->len;
            int res = 0;
            if (s->kind == KIND_PILL) {
                res = COORD_PILL;
                n = 0;
            } else if (n > cap) {
                /* Leave the message first in line; tell its length. */
                *len = n;
                side_unlock(&q->clock);
                return COORD_ENOBUFS;
            } else if (n) {
                memcpy(buf, s->data, n);
            }
            *len = n;
            /* The commit: release orders our reads of the slot before a
             * producer (acquiring head) may overwrite it. */
            atomic_store_explicit(&q->head, h + 1, memory_order_release);
            bool w = atomic_load_explicit(&q->put_waiters,
                                          memory_order_relaxed) != 0;
            side_unlock(&q->clock);
            wake_side(&q->put_ev, w);
            return res;
        }
        side_unlock(&q->clock);
        if (atomic_load_explicit(&q->closed, memory_order_acquire)) {
            /* Closed: re-check emptiness after seeing the flag, so that a
             * put committed before the close is still delivered. */
            if (!has_msg(q))
                return COORD_ECLOSED;
            continue;
        }
        if (timeout_ms == 0)
            return COORD_EAGAIN;
        if (!have_deadline) {
            deadline = coord__deadline(timeout_ms);
            have_deadline = true;
        }
        r = wait_side(q, has_msg, &q->get_ev, &q->get_waiters, &q->plock,
                      deadline);
        if (r < 0)
            return r;
    }
}

int coord_queue_close(coord_queue *q)
{
    if (!q)
        return COORD_EINVAL;
    atomic_store_explicit(&q->closed, 1, memory_order_seq_cst);
    /* Bump both wake-up words unconditionally so a sleeper that read them
     * before the store cannot sleep through the close. */
    atomic_fetch_add_explicit(&q->put_ev, 1, memory_order_seq_cst);
    atomic_fetch_add_explicit(&q->get_ev, 1, memory_order_seq_cst);
    coord__futex_wake(&q->put_ev, INT_MAX);
    coord__futex_wake(&q->get_ev, INT_MAX);
    return 0;
}

bool coord_queue_is_closed(const coord_queue *q)
{
    return !q || atomic_load_explicit(&q->closed, memory_order_acquire) != 0;
}

long coord_queue_count(const coord_queue *q)
{
    if (!q)
        return COORD_EINVAL;
    struct coord_queue *m = (struct coord_queue *)q;
    uint32_t h = atomic_load_explicit(&m->head, memory_order_acquire);
    uint32_t t = atomic_load_explicit(&m->tail, memory_order_acquire);
    uint32_t n = t - h;
    /* Two separate loads can straddle other operations; clamp to the
     * possible range. */
    return n > q->capacity ? (long)q->capacity : (long)n;
}

size_t coord_queue_capacity(const coord_queue *q)
{
    return q ? q->capacity : 0;
}

size_t coord_queue_max_msg(const coord_queue *q)
{
    return q ? q->max_msg : 0;
}

int coord__queue_hold_get(coord_queue *q)
{
    return side_lock(&q->clock);
}

void coord__queue_release_get(coord_queue *q)
{
    side_unlock(&q->clock);
}

int coord__queue_scan_held(coord_queue *q,
                           bool (*fn)(const void *msg, size_t len, bool pill,
                                      void *arg),
                           void *arg)
{
    /* head cannot move: the caller holds the consumer lock. tail may grow
     * meanwhile; the acquire load makes the slots up to it readable. */
    uint32_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
    uint32_t t = atomic_load_explicit(&q->tail, memory_order_acquire);
    for (uint32_t i = h; i != t; i++) {
        struct slot *s = slot_at(q, i);
        if (fn(s->data, s->len, s->kind == KIND_PILL, arg))
            return 1;
    }
    return 0;
}

int coord__queue_scan(coord_queue *q,
                      bool (*fn)(const void *msg, size_t len, bool pill,
                                 void *arg),
                      void *arg)
{
    if (!q || !fn)
        return COORD_EINVAL;
    int r = coord__queue_hold_get(q);
    if (r < 0)
        return r;
    r = coord__queue_scan_held(q, fn, arg);
    coord__queue_release_get(q);
    return r;
}
