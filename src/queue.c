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

/* Polls of the other side's index before yielding, and yields before
 * sleeping on the futex. A futex sleep plus wake costs microseconds and a
 * system call on both sides; a producer a few hundred nanoseconds behind
 * should not pay it. The yields keep the spin polite when there are more
 * processes than cores (1 -> 4 on 2 cores). */
#define SPIN_POLLS 200
#define SPIN_YIELDS 4
/* The longest a waiter sleeps before it looks again by itself. */
#define SLEEP_SLICE_NS 100000000ull

/*
 * The ring. head and tail are free-running 32-bit counters (the slot of
 * counter i is i & ring_mask; ring_size divides 2^32, so wraparound is
 * harmless); tail - head <= capacity <= 2^30.
 *
 * Publication is per slot: each slot's header carries `seq`, and a put
 * into position t writes the payload, then stores seq = t + 1 (release).
 * That store is the put's commit. A get at position h takes the slot when
 * seq == h + 1 (acquire), copies it out, then stores head = h + 1
 * (release): the get's commit. A slot written at position t - ring_size
 * (the lap before) holds seq t + 1 - ring_size, never t + 1, so an old lap
 * is never taken for a new message.
 *
 * So consumers never read tail, and producers read head only when their
 * cached copy says the queue is full: a 1 -> 1 transfer moves the slot's
 * cache line, and nothing else, from core to core.
 *
 * tail is the producers' own counter (under plock). A producer killed
 * between its commit (the seq store) and its tail store leaves tail one
 * behind; the next holder of plock is told so by the robust mutex
 * (EOWNERDEAD) and moves tail past the published slot (put_lock below).
 *
 * Layout: one cache line per writer group, so that a producer and a
 * consumer running at once share only the slots they hand over.
 *  line 0: constants (written once at init) and `closed` (written once).
 *  line 1: the producer lock, tail and the producers' cached head.
 *  line 2: the consumer lock.
 *  line 3: head (written by each get, read by puts that found it full).
 *  line 4: sleeping producers (consumers wake them).
 *  line 5: sleeping consumers (producers wake them).
 * The slots follow at `slots_off`, each SLOT_HDR + payload rounded to 8.
 */
/*
 * The sleepers of one side (puts waiting for space, or gets waiting for a
 * message). `count`, `gen` and `until` are changed only under the *other*
 * side's lock (see wait_side); `ev` is the futex word they sleep on.
 * A sleeper sleeps at most until the `until` it registered; so a count
 * whose `until` has passed belongs to sleepers that are awake (and will
 * look again before sleeping) or dead: a committer then drops it (new
 * `gen`, so the awake ones do not take themselves off twice). That is what
 * keeps a process killed in its sleep from slowing every later operation.
 */
struct sleepers {
    _Atomic uint32_t ev;
    _Atomic uint32_t count;
    uint32_t gen;
    uint64_t until; /* monotonic ns */
};

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
    _Atomic uint32_t tail; /* next put position (under plock) */
    uint32_t head_cache;   /* a recent head (under plock) */

    alignas(COORD__CACHE_LINE) coord__mutex clock;

    alignas(COORD__CACHE_LINE) _Atomic uint32_t head;

    alignas(COORD__CACHE_LINE) struct sleepers put_sl; /* under clock */
    alignas(COORD__CACHE_LINE) struct sleepers get_sl; /* under plock */
};

/* A slot's header. `info` is plain: written before the seq store (release)
 * and read after the matching acquire load. */
struct slot {
    _Atomic uint32_t seq; /* position + 1 of the message it holds */
    uint32_t info;        /* length, | PILL_BIT for a pill */
    unsigned char data[];
};
_Static_assert(sizeof(struct slot) == SLOT_HDR, "slot header");
#define PILL_BIT 0x80000000u
_Static_assert(COORD_QUEUE_MAX_MSG < PILL_BIT, "lengths leave the pill bit");

/* Copy a message. The common small sizes get constant-size copies, which
 * the compiler turns into a move or two instead of a call into libc. */
static inline void copy_msg(void *dst, const void *src, size_t n)
{
    switch (n) {
    case 8:
        memcpy(dst, src, 8);
        break;
    case 16:
        memcpy(dst, src, 16);
        break;
    case 64:
        memcpy(dst, src, 64);
        break;
    default:
        memcpy(dst, src, n);
    }
}

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
    /* seq 0 never equals position + 1 for a position a get waits on (see
     * above), so zeroed headers read as "nothing here yet". Caller memory
     * may hold anything: clear every header. */
    for (uint32_t i = 0; i < ring; i++) {
        atomic_store_explicit(&slot_at(q, i)->seq, 0, memory_order_relaxed);
        slot_at(q, i)->info = 0;
    }
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

/* Lock one side. Returns 0, 1 when the previous holder died holding it
 * (EOWNERDEAD; the mutex is consistent again and we hold it), or a
 * negative error. This is coord__mutex_lock without its timeout handling,
 * called directly on the hot path. */
static inline int side_lock(coord__mutex *m)
{
    int r = pthread_mutex_lock(&m->m);
    if (__builtin_expect(r == 0, 1))
        return 0;
    if (r == EOWNERDEAD) {
        pthread_mutex_consistent(&m->m);
        return 1;
    }
    return -r;
}

static inline void side_unlock(coord__mutex *m)
{
    pthread_mutex_unlock(&m->m);
}

/* Take the producer lock. After a dead holder, repair tail: the holder may
 * have committed (stored the slot's seq) and died before advancing tail;
 * then the slot at tail is published and tail moves past it. Only one put
 * runs at a time, so at most one slot needs this. Every path that takes
 * plock comes here, so no recovery is ever skipped. */
static int put_lock(struct coord_queue *q)
{
    int r = side_lock(&q->plock);
    if (__builtin_expect(r == 1, 0)) {
        uint32_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
        if (atomic_load_explicit(&slot_at(q, t)->seq, memory_order_relaxed) ==
            t + 1)
            atomic_store_explicit(&q->tail, t + 1, memory_order_relaxed);
        r = 0;
    }
    return r;
}

/* Take the consumer lock. A dead holder needs no repair: head is the only
 * thing a get commits, in one store. */
static int get_lock(struct coord_queue *q)
{
    int r = side_lock(&q->clock);
    return r == 1 ? 0 : r;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
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
    return atomic_load_explicit(&slot_at(q, h)->seq, memory_order_acquire) ==
           h + 1;
}

/*
 * Wait until `ready(q)` may hold, or the queue is closed, or the deadline.
 * Returns 0 (re-check), COORD_ETIMEDOUT, or a lock error.
 *
 * The sleep protocol (no lost wake-up, and no fence on the fast path): the
 * sleeper raises its side's waiter count and reads its side's wake-up word
 * `ev` while holding the *other* side's lock, then re-checks its condition,
 * and sleeps only while `ev` still holds what it read. The other side
 * reads the waiter count inside its critical section, after its commit,
 * and when it was non-zero bumps `ev` and wakes after unlocking. The lock
 * orders the two critical sections: if the committer's came first, its
 * commit happens-before the sleeper's re-check (unlock, then lock), which
 * sees it; if the sleeper's came first, the committer sees the raised
 * count and changes `ev` after the sleeper read it, so the futex wait
 * returns at once or is woken.
 */
static int wait_side(struct coord_queue *q, bool getter, uint64_t deadline)
{
    bool (*ready)(struct coord_queue *) = getter ? has_msg : has_space;
    struct sleepers *sl = getter ? &q->get_sl : &q->put_sl;
    coord__mutex *other = getter ? &q->plock : &q->clock;
    for (int i = 0; i < SPIN_POLLS; i++) {
        if (ready(q) || atomic_load_explicit(&q->closed, memory_order_relaxed))
            return 0;
        cpu_relax();
    }
    for (int i = 0; i < SPIN_YIELDS; i++) {
        sched_yield();
        if (ready(q) || atomic_load_explicit(&q->closed, memory_order_relaxed))
            return 0;
    }
    uint64_t now = coord_clock_ns();
    if (deadline != UINT64_MAX && now >= deadline)
        return COORD_ETIMEDOUT;
    /* Sleep in slices: the protocol loses no wake-up, but the slice bounds
     * how long a registration can outlive a sleeper killed in its sleep,
     * and how long a process killed inside close() (between its store and
     * its wake) can leave the others asleep. */
    uint64_t until = now + SLEEP_SLICE_NS < deadline ? now + SLEEP_SLICE_NS
                                                     : deadline;
    int r = getter ? put_lock(q) : get_lock(q);
    if (r < 0)
        return r;
    atomic_fetch_add_explicit(&sl->count, 1, memory_order_relaxed);
    uint32_t gen = sl->gen;
    if (sl->until < until)
        sl->until = until;
    /* seq_cst with close(): reading close's bump of ev means we also see
     * its store to `closed` below. */
    uint32_t e = atomic_load_explicit(&sl->ev, memory_order_seq_cst);
    side_unlock(other);
    if (!ready(q) && !atomic_load_explicit(&q->closed, memory_order_seq_cst)) {
        r = coord__futex_wait(&sl->ev, e, until);
        if (r == COORD_ETIMEDOUT && until != deadline)
            r = 0; /* the end of a slice, not of the caller's wait */
    }
    /* Take ourselves off, unless a committer already dropped the count
     * as expired (then gen has moved on). A process killed before this
     * point leaves its count to expire at `until`. */
    int lr = getter ? put_lock(q) : get_lock(q);
    if (lr < 0)
        return lr;
    if (sl->gen == gen)
        atomic_fetch_sub_explicit(&sl->count, 1, memory_order_relaxed);
    side_unlock(other);
    return r;
}

/* Inside the committer's critical section, after its commit: are there
 * sleepers on the other side to wake? (Read under the lock: see
 * wait_side.) Drops a registration whose every slice has ended. */
static inline bool must_wake(struct sleepers *sl)
{
    if (__builtin_expect(
            atomic_load_explicit(&sl->count, memory_order_relaxed) == 0, 1))
        return false;
    if (coord_clock_ns() < sl->until)
        return true;
    atomic_store_explicit(&sl->count, 0, memory_order_relaxed);
    sl->gen++;
    return false;
}

/* After unlocking: wake this side's sleepers if the critical section saw
 * any (`had_waiters`, read under the lock). */
static inline void wake_side(struct sleepers *sl, bool had_waiters)
{
    if (__builtin_expect(had_waiters, 0)) {
        atomic_fetch_add_explicit(&sl->ev, 1, memory_order_seq_cst);
        /* Wake all: a woken process may be killed before it takes the
         * message, and must not leave another sleeper stranded. */
        coord__futex_wake(&sl->ev, INT_MAX);
    }
}

static int put_info(struct coord_queue *q, const void *msg, size_t len,
                    uint32_t info, int timeout_ms)
{
    uint64_t deadline = 0; /* computed on the first wait only */
    bool have_deadline = false;
    for (;;) {
        int r = put_lock(q);
        if (r < 0)
            return r;
        if (atomic_load_explicit(&q->closed, memory_order_acquire)) {
            side_unlock(&q->plock);
            return COORD_ECLOSED;
        }
        /* tail only changes under plock: a relaxed load is exact. */
        uint32_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
        if (t - q->head_cache >= q->capacity)
            /* Acquire: the gets that advanced head had finished reading
             * the slots we may now overwrite. */
            q->head_cache = atomic_load_explicit(&q->head, memory_order_acquire);
        if (t - q->head_cache < q->capacity) {
            struct slot *s = slot_at(q, t);
            s->info = info;
            if (len)
                copy_msg(s->data, msg, len);
            /* The commit (see queue.h): release publishes the payload to
             * the get that acquires this seq; nothing after this store can
             * undo the put. */
            atomic_store_explicit(&s->seq, t + 1, memory_order_release);
            /* Our own counter; a death right here is repaired by put_lock. */
            atomic_store_explicit(&q->tail, t + 1, memory_order_relaxed);
            /* Read under the lock: see wait_side for why this suffices. */
            bool w = must_wake(&q->get_sl);
            side_unlock(&q->plock);
            wake_side(&q->get_sl, w);
            return 0;
        }
        side_unlock(&q->plock);
        if (timeout_ms == 0)
            return COORD_EAGAIN;
        if (!have_deadline) {
            deadline = coord__deadline(timeout_ms);
            have_deadline = true;
        }
        r = wait_side(q, false, deadline);
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
    return put_info(q, msg, len, (uint32_t)len, timeout_ms);
}

int coord_queue_put_pill(coord_queue *q, int timeout_ms)
{
    if (!q || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    return put_info(q, NULL, 0, PILL_BIT, timeout_ms);
}

int coord_queue_get(coord_queue *q, void *buf, size_t cap, size_t *len,
                    int timeout_ms)
{
    if (!q || !len || (!buf && cap) || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    uint64_t deadline = 0;
    bool have_deadline = false;
    for (;;) {
        int r = get_lock(q);
        if (r < 0)
            return r;
        /* head only changes under clock: a relaxed load is exact. */
        uint32_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
        struct slot *s = slot_at(q, h);
        /* Acquire: pairs with the put's release of seq, so the payload is
         * visible before we read it. */
        if (atomic_load_explicit(&s->seq, memory_order_acquire) == h + 1) {
            uint32_t info = s->info;
            uint32_t n = info & ~PILL_BIT;
            int res = 0;
            if (info & PILL_BIT) {
                res = COORD_PILL;
                n = 0;
            } else if (n > cap) {
                /* Leave the message first in line; tell its length. */
                *len = n;
                side_unlock(&q->clock);
                return COORD_ENOBUFS;
            } else if (n) {
                copy_msg(buf, s->data, n);
            }
            *len = n;
            /* The commit: release orders our reads of the slot before a
             * producer (acquiring head) may overwrite it. */
            atomic_store_explicit(&q->head, h + 1, memory_order_release);
            bool w = must_wake(&q->put_sl);
            side_unlock(&q->clock);
            wake_side(&q->put_sl, w);
            return res;
        }
        side_unlock(&q->clock);
        if (atomic_load_explicit(&q->closed, memory_order_acquire)) {
            /* Closed. A put that checked `closed` before the close may
             * still be copying under plock, and will return 0: take and
             * drop plock so that it has committed (or died) before we
             * look. Any put that takes plock after us sees `closed`
             * (we read it before our lock), so none can commit later. */
            int pr = put_lock(q);
            if (pr < 0)
                return pr;
            side_unlock(&q->plock);
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
        r = wait_side(q, true, deadline);
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
    atomic_fetch_add_explicit(&q->put_sl.ev, 1, memory_order_seq_cst);
    atomic_fetch_add_explicit(&q->get_sl.ev, 1, memory_order_seq_cst);
    coord__futex_wake(&q->put_sl.ev, INT_MAX);
    coord__futex_wake(&q->get_sl.ev, INT_MAX);
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
    /* tail lags one behind when a producer died between its commit and its
     * tail store (until the next put repairs it): count that slot too. */
    if (atomic_load_explicit(&slot_at(m, t)->seq, memory_order_acquire) ==
        t + 1)
        t++;
    /* Separate loads can straddle other operations: clamp to the possible
     * range (the signed view turns a head that overtook a stale tail
     * into 0). */
    int32_t n = (int32_t)(t - h);
    if (n < 0)
        return 0;
    return n > (int32_t)q->capacity ? (long)q->capacity : (long)n;
}

size_t coord_queue_capacity(const coord_queue *q)
{
    return q ? q->capacity : 0;
}

size_t coord_queue_max_msg(const coord_queue *q)
{
    return q ? q->max_msg : 0;
}

void coord__queue_sleepers(const coord_queue *q, uint32_t *puts,
                           uint32_t *gets)
{
    *puts = atomic_load_explicit(&q->put_sl.count, memory_order_relaxed);
    *gets = atomic_load_explicit(&q->get_sl.count, memory_order_relaxed);
}

int coord__queue_hold_get(coord_queue *q)
{
    return get_lock(q);
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
    /* head cannot move: the caller holds the consumer lock. Walk the
     * published slots from head (acquire: their payload is visible). */
    uint32_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
    for (uint32_t i = h; i - h < q->capacity; i++) {
        struct slot *s = slot_at(q, i);
        if (atomic_load_explicit(&s->seq, memory_order_acquire) != i + 1)
            break;
        if (fn(s->data, s->info & ~PILL_BIT, (s->info & PILL_BIT) != 0, arg))
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
