/* SPDX-License-Identifier: MIT */
/* queue.c: the bounded MPMC byte-message ring: two robust locks, commit-last indices, futex waits. */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <limits.h>
#include <stddef.h>
#include <sched.h>
#include <stdalign.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "queue_internal.h"
#include "wait.h"

#define QUEUE_MAGIC 0x51554555u /* "QUEU" */
#define SLOT_HDR 16u

/* The spin before a wait sleeps: polls of the other side's progress, then
 * yields. Not wait.h's coord__spin_until, measured side by side (see
 * docs/queue.md, "Waiting"): its load gate and its backoff after a lost
 * CPU make a queue side sleep at once whenever the machine has more
 * runnable processes than CPUs, and then every message of a 1 -> 1 stream
 * pays a futex wake and a scheduling delay (10-20x slower under load on 2
 * cores). A stream needs the handover that a yield gives instead. */
#define SPIN_POLLS 200
#define SPIN_YIELDS 4
/* Polls of a side lock held by another process before blocking on it in
 * the kernel (see side_lock_wait). This is not a wait for the other side
 * (that is wait_side), only for a critical section of a few dozen
 * nanoseconds, as glibc's adaptive mutexes poll (robust ones do not). */
#define LOCK_POLLS 128
/* The longest a waiter sleeps before it looks again by itself. */
#define SLEEP_SLICE_NS 100000000ull

/* The hot path is written as small functions that must fold into put and
 * get (a single put is put_msgs with n = 1, constant). */
#define INLINE static inline __attribute__((always_inline))

/* The `state` word: open, closed, or broken (a check below found shared
 * memory that no correct queue can hold). Any other value is broken too. */
#define ST_OPEN 0u
#define ST_CLOSED 1u
#define ST_BROKEN 2u

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
 * A put of k messages (put_many) writes the payloads of positions t .. t+k-1
 * and the sequence numbers of t+1 .. t+k-1 first, then the seq of t last:
 * gets take slots strictly in order, so none of the k is visible before that
 * one store, which commits all k at once. A put_many killed before it leaves
 * published-looking slots after an unpublished one; the next holder of the
 * producer lock withdraws them (put_lock).
 *
 * So consumers never read tail, and producers read head only when their
 * cached copy says the queue is full: a 1 -> 1 transfer moves the slot's
 * cache line, and nothing else, from core to core.
 *
 * tail is the producers' own counter (under plock). A producer killed
 * between its commit (the seq store) and its tail store leaves tail
 * behind; the next holder of plock is told so by the robust mutex
 * (EOWNERDEAD) and moves tail past the published slots (put_lock below).
 *
 * Layout: one cache line per writer group, so that a producer and a
 * consumer running at once share only the slots they hand over.
 *  line 0: constants (written once at init) and `state`.
 *  line 1: the producer lock, tail and the producers' cached head.
 *  line 2: the consumer lock and head: a get that takes the lock has
 *          head in the same cache line.
 *  line 3: sleeping producers (consumers wake them).
 *  line 4: sleeping consumers (producers wake them).
 * The slots follow at `slots_off`, each SLOT_HDR + payload rounded to 8.
 *
 * Trust. Every process that maps the queue can write all of it, and a
 * named queue's file can be written by anything its owner runs. So the
 * limits (capacity, max_msg, the ring's size and slot size) are read from
 * shared memory once, checked at open against the mapping's size, and kept
 * in the process's own handle (struct coord_queue); indices are reduced
 * with the handle's mask, and every length read from a slot is checked
 * against the handle's max_msg before it is used. A check that fails
 * marks the queue broken (`state`, so that every process stops) and the
 * call returns COORD_EPROTO. The robust mutexes are the one exception:
 * glibc trusts their words (see docs/queue.md).
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

/* The queue in shared memory. */
struct qshm {
    alignas(COORD__CACHE_LINE) uint32_t magic;
    uint32_t capacity;  /* messages */
    uint32_t max_msg;   /* bytes */
    uint32_t ring_mask; /* ring_size - 1 */
    uint32_t slot_size; /* bytes per slot, header included */
    uint32_t pad;
    uint64_t slots_off; /* offset of slot 0 from the start of the queue */
    uint64_t total;     /* bytes of the whole object */
    _Atomic uint32_t state; /* ST_OPEN, ST_CLOSED, ST_BROKEN */

    alignas(COORD__CACHE_LINE) coord__mutex plock; /* sleeping gets, repairs */
    _Atomic uint32_t tail; /* a hint: at most the next free position */

    alignas(COORD__CACHE_LINE) coord__mutex clock; /* sleeping puts, hold */
    _Atomic uint64_t head; /* next get position; | HEAD_FROZEN when held */

    alignas(COORD__CACHE_LINE) struct sleepers put_sl; /* under clock */
    alignas(COORD__CACHE_LINE) struct sleepers get_sl; /* under plock */
};

/* A process's handle: the shared queue and its limits, as checked when
 * this process created or opened it. */
struct coord_queue {
    struct qshm *s;
    unsigned char *slots; /* slot 0 */
    uint32_t capacity;
    uint32_t max_msg;
    uint32_t ring_mask;
    uint32_t slot_size;
    uint32_t ring;       /* ring_mask + 1 */
    uint32_t head_cache; /* a recent head, this process's copy */
    uint32_t stuck_at;   /* the position of a claim a get of ours saw ... */
    uint64_t stuck;      /* ... and its word (see get_msgs) */
    int owned; /* 1: a segment of ours (create/open); 0: caller memory */
};

/* A slot's header. `word` holds the slot's sequence number (low 32 bits)
 * and its owner (high 32 bits): for position p, (p, 0) is free, (p, pid)
 * claimed by a put of process pid, (p + 1, 0 or pid) filled, (p + 1,
 * OWNER_SKIP) a skip (a put that never committed), (p + ring, 0) free for
 * the next lap. `info` is plain: written before the word's store
 * (release) and read after the matching acquire load. */
struct slot {
    _Atomic uint64_t word;
    uint32_t info; /* length, | PILL_BIT for a pill */
    uint32_t pad;
    unsigned char data[];
};
#define WORD(seq, owner) ((uint64_t)(uint32_t)(owner) << 32 | (uint32_t)(seq))
#define WORD_SEQ(w) ((uint32_t)(w))
#define WORD_OWNER(w) ((uint32_t)((w) >> 32))
#define OWNER_SKIP 0xffffffffu
#define HEAD_FROZEN ((uint64_t)1 << 32)
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

/* The slot of position i: the handle's mask keeps it inside the ring
 * whatever i is. */
static inline struct slot *slot_at(const struct coord_queue *q, uint32_t i)
{
    return (struct slot *)(q->slots + (size_t)(i & q->ring_mask) * q->slot_size);
}

static uint32_t ring_size_for(size_t capacity)
{
    /* At least 2: with one slot, "filled for p" (p + 1) would read as
     * "free for the next lap" (p + ring). */
    uint32_t r = 2;
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
    uint64_t bytes = sizeof(struct qshm) + rs * ss;
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

/* A new handle on shared queue `s` with the given (checked) limits. */
static coord_queue *handle_new(struct qshm *s, uint32_t capacity,
                               uint32_t max_msg, uint32_t ring,
                               uint32_t slot_size, int owned)
{
    struct coord_queue *q = malloc(sizeof *q);
    if (!q)
        return NULL;
    q->s = s;
    q->slots = (unsigned char *)s + sizeof *s;
    q->capacity = capacity;
    q->max_msg = max_msg;
    q->ring_mask = ring - 1;
    q->slot_size = slot_size;
    q->ring = ring;
    q->head_cache = 0;
    q->stuck_at = 0;
    q->stuck = 0;
    q->owned = owned;
    return q;
}

/* Place a new queue in `mem` and make a handle for it. */
static int queue_setup(void *mem, size_t capacity, size_t max_msg, int owned,
                       coord_queue **out)
{
    uint32_t ring = 1, ss = SLOT_HDR;
    uint64_t total = layout(capacity, max_msg, &ring, &ss);
    struct qshm *s = mem;
    memset(s, 0, sizeof *s);
    int r = coord__mutex_init(&s->plock);
    if (!r)
        r = coord__mutex_init(&s->clock);
    if (r)
        return r;
    struct coord_queue *q = handle_new(s, (uint32_t)capacity,
                                       (uint32_t)max_msg, ring, ss, owned);
    if (!q)
        return COORD_ENOMEM;
    s->capacity = (uint32_t)capacity;
    s->max_msg = (uint32_t)max_msg;
    s->ring_mask = ring - 1;
    s->slot_size = ss;
    s->slots_off = sizeof *s;
    s->total = total;
    /* Slot i starts free for position i. Caller memory may hold
     * anything: write every header. */
    for (uint32_t i = 0; i < ring; i++) {
        atomic_store_explicit(&slot_at(q, i)->word, (uint64_t)i,
                              memory_order_relaxed);
        slot_at(q, i)->info = 0;
    }
    /* Release: a process that sees the magic sees the fields above. */
    atomic_thread_fence(memory_order_release);
    s->magic = QUEUE_MAGIC;
    *out = q;
    return 0;
}

int coord_queue_init(void *mem, size_t size, size_t capacity, size_t max_msg,
                     coord_queue **out)
{
    size_t need = coord_queue_size(capacity, max_msg);
    if (!mem || !out || need == 0 || size < need ||
        ((uintptr_t)mem % COORD__CACHE_LINE) != 0)
        return COORD_EINVAL;
    return queue_setup(mem, capacity, max_msg, 0, out);
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
    r = queue_setup(mem, capacity, max_msg, 1, out);
    if (r) {
        coord__seg_release(mem, true);
        return r;
    }
    coord__seg_publish(mem);
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
    struct qshm *s = mem;
    /* Read each limit once (another process may be writing them), then
     * re-derive the layout: a segment whose fields disagree with its size
     * is not a queue we can trust. */
    uint32_t cap = 0, max = 0, ring = 0, ss = 0;
    uint64_t total = 0;
    if (size >= sizeof *s) {
        cap = *(volatile uint32_t *)&s->capacity;
        max = *(volatile uint32_t *)&s->max_msg;
        total = layout(cap, max, &ring, &ss);
    }
    if (total == 0 || s->magic != QUEUE_MAGIC || total > size ||
        s->total != total || s->ring_mask != ring - 1 || s->slot_size != ss ||
        s->slots_off != sizeof *s) {
        coord__seg_release(mem, false);
        return COORD_EPROTO;
    }
    *out = handle_new(s, cap, max, ring, ss, 1);
    if (!*out) {
        coord__seg_release(mem, false);
        return COORD_ENOMEM;
    }
    return 0;
}

void coord_queue_destroy(coord_queue *q)
{
    if (!q)
        return;
    if (q->owned)
        coord__seg_release(q->s, true);
    free(q);
}

/* Mark the queue broken: every process's calls return COORD_EPROTO from
 * now on, and sleepers wake to see it. Returns COORD_EPROTO. */
static int broken(struct coord_queue *q)
{
    struct qshm *s = q->s;
    atomic_store_explicit(&s->state, ST_BROKEN, memory_order_seq_cst);
    atomic_fetch_add_explicit(&s->put_sl.ev, 1, memory_order_seq_cst);
    atomic_fetch_add_explicit(&s->get_sl.ev, 1, memory_order_seq_cst);
    coord__futex_wake(&s->put_sl.ev, INT_MAX);
    coord__futex_wake(&s->get_sl.ev, INT_MAX);
    return COORD_EPROTO;
}

/* The error for a state other than open: closed, or broken. */
static inline int state_error(uint32_t st)
{
    return st == ST_CLOSED ? COORD_ECLOSED : COORD_EPROTO;
}

/* Does the lock word look free? Reads glibc's lock word (0 when free) so
 * that a poll does not take the cache line away from the holder. */
static inline bool lock_looks_free(coord__mutex *m)
{
#ifdef __GLIBC__
    return __atomic_load_n(&m->m.__data.__lock, __ATOMIC_RELAXED) == 0;
#else
    (void)m;
    return true;
#endif
}

/* The caller's deadline for timeout_ms, computed on first need into *d
 * (0: not yet). Waiting for a side lock is bounded by it when timeout_ms
 * > 0; with 0 (try once: the queue is full or empty) and -1 a lock is
 * waited for as long as its holder keeps it. */
static inline uint64_t deadline_of(int timeout_ms, uint64_t *d)
{
    if (!*d)
        *d = coord__deadline(timeout_ms);
    return *d;
}

/*
 * Lock one side. Returns 0, 1 when the previous holder died holding it
 * (EOWNERDEAD; the mutex is consistent again and we hold it), or a
 * negative error (COORD_ETIMEDOUT at the deadline, COORD_EPROTO for a lock
 * word no correct queue holds).
 *
 * A side lock is held for a copy and a store, tens of nanoseconds, so a
 * caller that finds it taken polls it (reading only) up to LOCK_POLLS
 * times before blocking in the kernel. Without that, a consumer that loses
 * the race sleeps in futex_wait, and the holder's unlock must enter the
 * kernel to wake it: two system calls per message when four consumers
 * share the lock.
 */
static int side_lock_wait(struct coord_queue *q, coord__mutex *m,
                          int timeout_ms, uint64_t *d, int r)
{
    if (r == EBUSY) {
        for (int i = 0; i < LOCK_POLLS && r == EBUSY; i++) {
            coord__cpu_relax();
            if (lock_looks_free(m))
                r = pthread_mutex_trylock(&m->m);
        }
        if (r == EBUSY) {
            if (timeout_ms <= 0) {
                r = pthread_mutex_lock(&m->m);
            } else {
                uint64_t dl = deadline_of(timeout_ms, d);
                struct timespec ts = {(time_t)(dl / 1000000000ull),
                                      (long)(dl % 1000000000ull)};
                r = pthread_mutex_clocklock(&m->m, CLOCK_MONOTONIC, &ts);
            }
        }
    }
    if (__builtin_expect(r == 0, 1))
        return 0;
    if (r == EOWNERDEAD) {
        pthread_mutex_consistent(&m->m);
        return 1;
    }
    if (r == ETIMEDOUT)
        return COORD_ETIMEDOUT;
    return broken(q);
}

/* The fast path of side_lock_wait, inlined into every caller: one trylock. */
INLINE int side_lock(struct coord_queue *q, coord__mutex *m, int timeout_ms,
                     uint64_t *d)
{
    int r = pthread_mutex_trylock(&m->m);
    if (__builtin_expect(r == 0, 1))
        return 0;
    return side_lock_wait(q, m, timeout_ms, d, r);
}

static inline void side_unlock(coord__mutex *m)
{
    pthread_mutex_unlock(&m->m);
}

/* This process's id, for claim records. Cached, and forgotten in a child
 * of fork() (an atfork handler), so that a forked child never claims
 * slots under its parent's pid. */
static _Atomic uint32_t self_pid_cache;
static pthread_once_t self_pid_once = PTHREAD_ONCE_INIT;

static void self_pid_forget(void)
{
    atomic_store_explicit(&self_pid_cache, 0, memory_order_relaxed);
}

static void self_pid_register(void)
{
    pthread_atfork(NULL, NULL, self_pid_forget);
}

static uint32_t self_pid_slow(void)
{
    pthread_once(&self_pid_once, self_pid_register);
    uint32_t p = (uint32_t)getpid();
    atomic_store_explicit(&self_pid_cache, p, memory_order_relaxed);
    return p;
}

INLINE uint32_t self_pid(void)
{
    uint32_t p = atomic_load_explicit(&self_pid_cache, memory_order_relaxed);
    return __builtin_expect(p != 0, 1) ? p : self_pid_slow();
}

/* Take the consumer lock. Nobody freezes head without holding it (see
 * coord__queue_hold_get), so a frozen head seen here was left by a holder
 * that died: thaw it. */
static int get_lock(struct coord_queue *q, int timeout_ms, uint64_t *d)
{
    int r = side_lock(q, &q->s->clock, timeout_ms, d);
    if (r < 0)
        return r;
    if (atomic_load_explicit(&q->s->head, memory_order_relaxed) & HEAD_FROZEN)
        atomic_fetch_and_explicit(&q->s->head, ~HEAD_FROZEN,
                                  memory_order_seq_cst);
    return 0;
}

/* Take the producer lock (sleep registrations of gets, and repairs). A
 * dead holder needs nothing undone: everything under it is idempotent. */
static int put_lock(struct coord_queue *q, int timeout_ms, uint64_t *d)
{
    int r = side_lock(q, &q->s->plock, timeout_ms, d);
    return r == 1 ? 0 : r;
}

static bool has_space(struct coord_queue *q)
{
    uint32_t t = atomic_load_explicit(&q->s->tail, memory_order_seq_cst);
    uint32_t h = (uint32_t)atomic_load_explicit(&q->s->head,
                                                memory_order_seq_cst);
    return (int32_t)(t - h) < (int32_t)q->capacity;
}

/* Is the slot at head anything but free (a message, a skip, a claim: all
 * mean that a get has something to do or to look at)? */
static bool has_msg(struct coord_queue *q)
{
    uint64_t hw = atomic_load_explicit(&q->s->head, memory_order_seq_cst);
    uint32_t h = (uint32_t)hw;
    uint64_t w = atomic_load_explicit(&slot_at(q, h)->word,
                                      memory_order_seq_cst);
    return (hw & HEAD_FROZEN) || WORD_SEQ(w) == h + 1;
}

/* The spin half's conditions: the side can go on, or the state changed. */
static bool ready_get(const void *ctx)
{
    struct coord_queue *q = (struct coord_queue *)ctx;
    return has_msg(q) ||
           atomic_load_explicit(&q->s->state, memory_order_relaxed) != ST_OPEN;
}

static bool ready_put(const void *ctx)
{
    struct coord_queue *q = (struct coord_queue *)ctx;
    return has_space(q) ||
           atomic_load_explicit(&q->s->state, memory_order_relaxed) != ST_OPEN;
}

/*
 * Wait until `ready(q)` may hold, or the queue is closed, or the deadline.
 * Returns 0 (re-check), COORD_ETIMEDOUT, or a lock error. This is the
 * queue's one waiting function: every blocking put and get waits here.
 *
 * The spin: SPIN_POLLS polls, then SPIN_YIELDS yields (see above for why
 * not wait.h's). The sleep: a sleeper registers for one slice at a time
 * (so that one killed in its sleep is forgotten after the slice).
 *
 * The sleep protocol (no lost wake-up): the sleeper raises its side's
 * waiter count (a seq_cst read-modify-write) and reads `ev`, holding the
 * *other* side's lock (which serialises registrations against the
 * expiry in must_wake), then re-checks its condition with seq_cst loads,
 * and sleeps only while `ev` still holds what it read. A committer's
 * commit is a seq_cst store or CAS, followed by a seq_cst load of the
 * count: either the committer reads the raised count (and wakes), or the
 * sleeper's re-check comes later in the single total order and sees the
 * commit.
 */
static int wait_side(struct coord_queue *q, bool getter, uint64_t deadline)
{
    struct qshm *s = q->s;
    bool (*ready)(struct coord_queue *) = getter ? has_msg : has_space;
    struct sleepers *sl = getter ? &s->get_sl : &s->put_sl;
    coord__mutex *other = getter ? &s->plock : &s->clock;
    bool (*spin_ready)(const void *) = getter ? ready_get : ready_put;
    for (int i = 0; i < SPIN_POLLS; i++) {
        if (spin_ready(q))
            return 0;
        coord__cpu_relax();
    }
    for (int i = 0; i < SPIN_YIELDS; i++) {
        sched_yield();
        if (spin_ready(q))
            return 0;
    }
    uint64_t now = coord_clock_ns();
    if (deadline != UINT64_MAX && now >= deadline)
        return COORD_ETIMEDOUT;
    /* Sleep in slices: the slice bounds how long a registration can
     * outlive a sleeper killed in its sleep, how long a process killed
     * inside close() (between its store and its wake) can leave the others
     * asleep, and how long a get waits before it looks whether the
     * claimer of the slot it waits on is still alive. */
    uint64_t until = now + SLEEP_SLICE_NS < deadline ? now + SLEEP_SLICE_NS
                                                     : deadline;
    uint64_t d = deadline;
    int tmo = deadline == UINT64_MAX ? -1 : 1;
    int r = getter ? put_lock(q, tmo, &d) : get_lock(q, tmo, &d);
    if (r < 0)
        return r;
    atomic_fetch_add_explicit(&sl->count, 1, memory_order_seq_cst);
    uint32_t gen = sl->gen;
    if (sl->until < until)
        sl->until = until;
    /* seq_cst with close(): reading close's bump of ev means we also see
     * its store to `state` below. */
    uint32_t e = atomic_load_explicit(&sl->ev, memory_order_seq_cst);
    side_unlock(other);
    if (!ready(q) && !atomic_load_explicit(&s->state, memory_order_seq_cst)) {
        r = coord__futex_wait(&sl->ev, e, until);
        if (r == COORD_ETIMEDOUT && until != deadline)
            r = 0; /* the end of a slice, not of the caller's wait */
    }
    /* Take ourselves off, unless a committer already dropped the count
     * as expired (then gen has moved on). A process killed before this
     * point leaves its count to expire at `until`. The lock is taken
     * without a deadline: it is held only for short critical sections. */
    int lr = getter ? put_lock(q, -1, &d) : get_lock(q, -1, &d);
    if (lr < 0)
        return lr;
    if (sl->gen == gen)
        atomic_fetch_sub_explicit(&sl->count, 1, memory_order_relaxed);
    side_unlock(other);
    return r;
}

/* Under the lock that guards `sl` (see wait_side): are there sleepers to
 * wake? Drops a registration whose every slice has ended. */
static bool must_wake(struct sleepers *sl)
{
    if (atomic_load_explicit(&sl->count, memory_order_relaxed) == 0)
        return false;
    if (coord_clock_ns() < sl->until)
        return true;
    atomic_store_explicit(&sl->count, 0, memory_order_relaxed);
    sl->gen++;
    return false;
}

/* After a commit (a seq_cst store or CAS): wake the sleepers of one side
 * if there are any. The common case is one seq_cst load of the count; the
 * rest runs only when someone registered. */
static void wake_slow(struct coord_queue *q, bool getters)
{
    struct qshm *s = q->s;
    struct sleepers *sl = getters ? &s->get_sl : &s->put_sl;
    uint64_t d = 0;
    int r = getters ? put_lock(q, -1, &d) : get_lock(q, -1, &d);
    if (r < 0)
        return;
    bool w = must_wake(sl);
    side_unlock(getters ? &s->plock : &s->clock);
    if (w) {
        atomic_fetch_add_explicit(&sl->ev, 1, memory_order_seq_cst);
        /* Wake all: a woken process may be killed before it takes the
         * message, and must not leave another sleeper stranded. */
        coord__futex_wake(&sl->ev, INT_MAX);
    }
}

INLINE void wake_side(struct coord_queue *q, bool getters)
{
    struct sleepers *sl = getters ? &q->s->get_sl : &q->s->put_sl;
    if (__builtin_expect(
            atomic_load_explicit(&sl->count, memory_order_seq_cst) != 0, 0))
        wake_slow(q, getters);
}

/* What a blocking call does when it cannot go on: give up (timeout 0), or
 * wait on its side (the deadline is computed on the first wait only).
 * Returns 0 to try again, or the code to return. */
static int wait_turn(struct coord_queue *q, bool getter, int timeout_ms,
                     uint64_t *deadline)
{
    if (timeout_ms == 0)
        return COORD_EAGAIN;
    return wait_side(q, getter, deadline_of(timeout_ms, deadline));
}

/*
 * Claim the next position for process `pid`: CAS the slot's word from
 * "free for t" to "claimed for t by pid", then help tail past it. Returns
 * 1 (the position in *pos), 0 when the queue is full, or COORD_EPROTO.
 *
 * tail is a hint that any producer advances (by CAS, one position at a
 * time, only past a slot it saw claimed), so a producer killed between its
 * claim and its tail CAS leaves nothing behind. Room is counted against
 * head (cached in the handle, reloaded when it says full), so at most
 * `capacity` positions are ever claimed ahead of head.
 */
INLINE int claim(struct coord_queue *q, uint32_t pid, uint32_t *pos)
{
    struct qshm *s = q->s;
    uint32_t t = atomic_load_explicit(&s->tail, memory_order_relaxed);
    for (;;) {
        if (t - q->head_cache >= q->capacity) {
            uint32_t h = (uint32_t)atomic_load_explicit(&s->head,
                                                        memory_order_acquire);
            q->head_cache = h;
            int32_t used = (int32_t)(t - h);
            if (used < 0) {
                /* tail lags behind head: start from head. */
                t = h;
                continue;
            }
            if ((uint32_t)used > q->capacity)
                return broken(q);
            if ((uint32_t)used == q->capacity)
                return 0;
        }
        struct slot *sl = slot_at(q, t);
        uint64_t w = atomic_load_explicit(&sl->word, memory_order_acquire);
        if (w == (uint64_t)t) {
            if (atomic_compare_exchange_weak_explicit(
                    &sl->word, &w, WORD(t, pid), memory_order_seq_cst,
                    memory_order_relaxed)) {
                uint32_t e = t;
                atomic_compare_exchange_strong_explicit(
                    &s->tail, &e, t + 1, memory_order_relaxed,
                    memory_order_relaxed);
                *pos = t;
                return 1;
            }
            continue;
        }
        uint32_t seq = WORD_SEQ(w);
        if ((int32_t)(seq - t) >= 0) {
            /* Taken for t already (or later): move tail on. */
            uint32_t e = t;
            if (atomic_compare_exchange_strong_explicit(
                    &s->tail, &e, t + 1, memory_order_relaxed,
                    memory_order_relaxed))
                e = t + 1;
            t = e;
            continue;
        }
        if (seq == t - q->ring + 1) {
            /* The lap before: taken by a get that committed (head moved
             * past it) but has not freed the slot yet, or died before it
             * did. Free it for the get (the same CAS the get makes). */
            uint32_t h = (uint32_t)atomic_load_explicit(&s->head,
                                                        memory_order_acquire);
            if ((int32_t)(h - seq) >= 0) {
                atomic_compare_exchange_strong_explicit(
                    &sl->word, &w, (uint64_t)t, memory_order_release,
                    memory_order_relaxed);
                continue;
            }
        }
        return 0;
    }
}

/* The messages a put hands to put_msgs: n of them, message i at msgs[i]
 * with lens[i] bytes (a pill: one message of info PILL_BIT). */
struct put_src {
    const void *const *msgs;
    const size_t *lens;
    size_t n;
    bool pill;
};

/* Write message i of `m` into the slot of position p (claimed). */
INLINE void fill_slot(struct coord_queue *q, uint32_t p,
                      const struct put_src *m, size_t i)
{
    struct slot *s = slot_at(q, p);
    if (m->pill) {
        s->info = PILL_BIT;
    } else {
        s->info = (uint32_t)m->lens[i];
        if (m->lens[i])
            copy_msg(s->data, m->msgs[i], m->lens[i]);
    }
}

/*
 * Put up to m->n messages (at least one), waiting for room as timeout_ms
 * says. Returns 0 and how many were put in *done, or an error.
 *
 * The first message's slot is claimed (waiting for room), then `state` is
 * read (seq_cst: a get that saw the close and then this slot free knows
 * no put can commit later); the other messages take the next positions
 * that are free now (not necessarily adjacent: other producers may claim
 * in between) and are stamped "filled" at once, still marked with our pid.
 * The commit of the whole put is the one seq_cst store that marks the
 * first slot filled: gets go in order, so none of the others is taken
 * before it.
 */
INLINE int put_msgs(struct coord_queue *q, const struct put_src *m,
                    size_t *done, int timeout_ms)
{
    struct qshm *s = q->s;
    uint64_t deadline = 0;
    uint32_t pid = self_pid();
    uint32_t first = 0;
    for (;;) {
        uint32_t st = atomic_load_explicit(&s->state, memory_order_relaxed);
        if (st != ST_OPEN)
            return state_error(st);
        int r = claim(q, pid, &first);
        if (__builtin_expect(r > 0, 1))
            break;
        if (r < 0)
            return r;
        r = wait_turn(q, false, timeout_ms, &deadline);
        if (r < 0)
            return r;
    }
    struct slot *fs = slot_at(q, first);
    uint32_t st = atomic_load_explicit(&s->state, memory_order_seq_cst);
    if (__builtin_expect(st != ST_OPEN, 0)) {
        /* Closed (or broken) meanwhile: give the slot up as a skip. */
        atomic_store_explicit(&fs->word, WORD(first + 1, OWNER_SKIP),
                              memory_order_seq_cst);
        wake_side(q, true);
        return state_error(st);
    }
    size_t k = 1;
    for (; k < m->n; k++) {
        uint32_t p = 0;
        if (claim(q, pid, &p) <= 0)
            break;
        fill_slot(q, p, m, k);
        atomic_store_explicit(&slot_at(q, p)->word, WORD(p + 1, pid),
                              memory_order_release);
    }
    fill_slot(q, first, m, 0);
    /* The commit: release publishes the payloads to the get that
     * acquires this word; seq_cst orders it before the sleeper check. */
    atomic_store_explicit(&fs->word, (uint64_t)(first + 1),
                          memory_order_seq_cst);
    wake_side(q, true);
    *done = k;
    return 0;
}

int coord_queue_put(coord_queue *q, const void *msg, size_t len,
                    int timeout_ms)
{
    if (!q || (!msg && len) || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    if (len > q->max_msg)
        return COORD_EMSGSIZE;
    struct put_src m = {&msg, &len, 1, false};
    size_t done;
    return put_msgs(q, &m, &done, timeout_ms);
}

int coord_queue_put_many(coord_queue *q, const void *const *msgs,
                         const size_t *lens, size_t n, size_t *done,
                         int timeout_ms)
{
    if (!q || !msgs || !lens || n == 0 || !done ||
        coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    *done = 0;
    for (size_t i = 0; i < n; i++) {
        if (!msgs[i] && lens[i])
            return COORD_EINVAL;
        if (lens[i] > q->max_msg)
            return COORD_EMSGSIZE;
    }
    struct put_src m = {msgs, lens, n, false};
    return put_msgs(q, &m, done, timeout_ms);
}

int coord_queue_put_pill(coord_queue *q, int timeout_ms)
{
    if (!q || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    struct put_src m = {NULL, NULL, 1, true};
    size_t done;
    return put_msgs(q, &m, &done, timeout_ms);
}

/* The length in an `info` word: the length, -1 for a pill, or -2 for a
 * value no put writes. */
static inline long info_len(const struct coord_queue *q, uint32_t info)
{
    if (__builtin_expect(info <= q->max_msg, 1))
        return info;
    return info == PILL_BIT ? -1 : -2;
}

/* Did slot `sl`, read under word w at head hw, stay as it was (so that
 * what we read from it is what its put wrote)? */
static bool slot_stable(struct coord_queue *q, const struct slot *sl,
                        uint64_t w, uint64_t hw)
{
    atomic_thread_fence(memory_order_acquire);
    return atomic_load_explicit(&sl->word, memory_order_relaxed) == w &&
           atomic_load_explicit(&q->s->head, memory_order_relaxed) == hw;
}

/* Free the slots of positions h .. h+k-1 after a get's commit: "free for
 * the position one lap on". A CAS, because a producer may have freed one
 * already (see claim) and refilled it. */
static inline void free_slots(struct coord_queue *q, uint32_t h, uint32_t k)
{
    for (uint32_t i = 0; i < k; i++) {
        struct slot *sl = slot_at(q, h + i);
        uint64_t w = atomic_load_explicit(&sl->word, memory_order_relaxed);
        if (WORD_SEQ(w) == h + i + 1)
            atomic_compare_exchange_strong_explicit(
                &sl->word, &w, (uint64_t)(h + i + q->ring),
                memory_order_release, memory_order_relaxed);
    }
}

/* Where get_msgs copies to: up to `max` messages, message i into
 * buf + i * stride (at most `cap` bytes) with its length in lens[i]. */
struct get_dst {
    unsigned char *buf;
    size_t cap, stride, max;
    size_t *lens;
};

#define TAKE_RETRY 2 /* not a COORD_ code (COORD_PILL is 1) */

/* With the message at head (hw, its slot word w) published: copy out as
 * many as `d` takes (at least the first, or an answer about it), then
 * commit with one CAS of head. Returns 0 (the count in *got), COORD_PILL,
 * COORD_ENOBUFS, COORD_EPROTO, or TAKE_RETRY when head moved (another get
 * took the message first; nothing of ours happened). */
INLINE int take_slots(struct coord_queue *q, uint64_t hw, uint64_t w,
                      const struct get_dst *d, size_t *got)
{
    struct qshm *s = q->s;
    uint32_t h = (uint32_t)hw;
    struct slot *first = slot_at(q, h);
    long n = info_len(q, first->info);
    int res = 0;
    uint32_t k = 1;
    if (__builtin_expect(n < -1, 0))
        return slot_stable(q, first, w, hw) ? broken(q) : TAKE_RETRY;
    if (n == -1) {
        d->lens[0] = 0;
        res = COORD_PILL;
    } else if ((size_t)n > d->cap) {
        if (!slot_stable(q, first, w, hw))
            return TAKE_RETRY;
        /* Leave the message first in line; tell its length. */
        d->lens[0] = (size_t)n;
        return COORD_ENOBUFS;
    } else {
        if (n)
            copy_msg(d->buf, first->data, (size_t)n);
        d->lens[0] = (size_t)n;
        /* More data messages that are already published and fit; a pill,
         * a skip or a message too long for a record ends the batch. */
        for (; k < d->max && k < q->capacity; k++) {
            struct slot *sl = slot_at(q, h + k);
            uint64_t v = atomic_load_explicit(&sl->word, memory_order_acquire);
            if (WORD_SEQ(v) != h + k + 1 || WORD_OWNER(v) == OWNER_SKIP)
                break;
            long m = info_len(q, sl->info);
            if (m < 0 || (size_t)m > d->cap)
                break;
            if (m)
                copy_msg(d->buf + k * d->stride, sl->data, (size_t)m);
            d->lens[k] = (size_t)m;
        }
        *got = k;
    }
    /* The commit. A CAS that succeeds proves that nobody took these
     * positions meanwhile, so the slots held what we copied (a slot is
     * reused only after head passed it). */
    if (!atomic_compare_exchange_strong_explicit(
            &s->head, &hw, (uint64_t)(h + k), memory_order_seq_cst,
            memory_order_relaxed))
        return TAKE_RETRY;
    free_slots(q, h, k);
    return res;
}

/* The get at hw waits on a slot claimed (word w) by a process that may be
 * dead. Under the producer lock, if the claimer is gone: every slot it
 * still claims or has stamped ahead of this one (the rest of its
 * put_many, which never committed) becomes a skip, then this one. A skip
 * is passed over by gets: the put never returned 0, so nothing fully put
 * is lost. Returns 0 or a lock error. */
static int repair_claim(struct coord_queue *q, uint32_t h, uint64_t w)
{
    uint32_t pid = WORD_OWNER(w);
    if (pid == OWNER_SKIP || pid == 0 || pid > INT_MAX ||
        coord__proc_fate((pid_t)pid, 0) != COORD__PROC_GONE)
        return 0;
    uint64_t d = 0;
    int r = put_lock(q, -1, &d);
    if (r < 0)
        return r;
    struct slot *sl = slot_at(q, h);
    if (atomic_load_explicit(&sl->word, memory_order_acquire) == w) {
        for (uint32_t i = 1; i < q->capacity; i++) {
            struct slot *o = slot_at(q, h + i);
            uint64_t v = atomic_load_explicit(&o->word, memory_order_acquire);
            uint32_t seq = WORD_SEQ(v);
            if (WORD_OWNER(v) == pid && (seq == h + i || seq == h + i + 1))
                atomic_compare_exchange_strong_explicit(
                    &o->word, &v, WORD(h + i + 1, OWNER_SKIP),
                    memory_order_release, memory_order_relaxed);
        }
        atomic_compare_exchange_strong_explicit(
            &sl->word, &w, WORD(h + 1, OWNER_SKIP), memory_order_seq_cst,
            memory_order_relaxed);
    }
    side_unlock(&q->s->plock);
    return 0;
}

/* A get found head frozen (coord__queue_hold_get): wait for the holder by
 * taking the consumer lock (which also thaws a head left frozen by a dead
 * holder). Returns 0 or a lock error. */
static int wait_thaw(struct coord_queue *q, int timeout_ms, uint64_t *d)
{
    int r = get_lock(q, timeout_ms, d);
    if (r < 0)
        return r;
    side_unlock(&q->s->clock);
    return 0;
}

/* Get into `d`, waiting as timeout_ms says. Returns 0 (the count taken,
 * >= 1, in *got), COORD_PILL or an error. */
INLINE int get_msgs(struct coord_queue *q, const struct get_dst *d,
                    size_t *got, int timeout_ms)
{
    struct qshm *s = q->s;
    uint64_t deadline = 0;
    if (__builtin_expect(atomic_load_explicit(&s->state, memory_order_relaxed) >
                             ST_CLOSED,
                         0))
        return COORD_EPROTO;
    for (;;) {
        uint64_t hw = atomic_load_explicit(&s->head, memory_order_acquire);
        uint32_t h = (uint32_t)hw;
        struct slot *sl = slot_at(q, h);
        uint64_t w = atomic_load_explicit(&sl->word, memory_order_acquire);
        if (__builtin_expect(WORD_SEQ(w) == h + 1 && hw == h, 1)) {
            if (WORD_OWNER(w) == OWNER_SKIP) {
                if (atomic_compare_exchange_strong_explicit(
                        &s->head, &hw, (uint64_t)(h + 1),
                        memory_order_seq_cst, memory_order_relaxed)) {
                    free_slots(q, h, 1);
                    wake_side(q, false);
                }
                continue;
            }
            int res = take_slots(q, hw, w, d, got);
            if (res == TAKE_RETRY)
                continue;
            if (res >= 0 || res == COORD_PILL)
                wake_side(q, false);
            return res;
        }
        if (hw != h) {
            if ((hw >> 32) == 1) { /* HEAD_FROZEN, and a position */
                int r = wait_thaw(q, timeout_ms, &deadline);
                if (r < 0)
                    return r;
                continue;
            }
            return broken(q);
        }
        uint32_t seq = WORD_SEQ(w);
        if (seq == h - q->ring + 1) {
            /* The lap before, taken but not yet freed: free it. */
            atomic_compare_exchange_strong_explicit(
                &sl->word, &w, (uint64_t)h, memory_order_release,
                memory_order_relaxed);
            continue;
        }
        if (seq != h) {
            /* Head moved meanwhile, or a word no queue holds. */
            if (atomic_load_explicit(&s->head, memory_order_acquire) == hw &&
                atomic_load_explicit(&sl->word, memory_order_acquire) == w)
                return broken(q);
            continue;
        }
        if (WORD_OWNER(w) != 0) {
            /* Claimed by a put that has not committed. When a get of
             * this process saw the same claim before (in this call after
             * a wait, or in an earlier call: a poller with timeout 0),
             * look whether its process still lives. */
            if (q->stuck == w && q->stuck_at == h) {
                int r = repair_claim(q, h, w);
                if (r < 0)
                    return r;
            }
            q->stuck = w;
            q->stuck_at = h;
        } else {
            uint32_t st = atomic_load_explicit(&s->state, memory_order_seq_cst);
            if (st != ST_OPEN) {
                if (st != ST_CLOSED)
                    return COORD_EPROTO;
                /* Closed: read after `state` (seq_cst), a free slot at
                 * head means no put can commit any more (a put reads
                 * `state` after its claim). */
                if (atomic_load_explicit(&s->head, memory_order_seq_cst) ==
                        hw &&
                    atomic_load_explicit(&sl->word, memory_order_seq_cst) ==
                        (uint64_t)h)
                    return COORD_ECLOSED;
                continue;
            }
        }
        int r = wait_turn(q, true, timeout_ms, &deadline);
        if (r < 0)
            return r;
    }
}

int coord_queue_get(coord_queue *q, void *buf, size_t cap, size_t *len,
                    int timeout_ms)
{
    if (!q || !len || (!buf && cap) || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    struct get_dst d = {buf, cap, 0, 1, len};
    size_t got;
    return get_msgs(q, &d, &got, timeout_ms);
}

int coord_queue_get_many(coord_queue *q, void *buf, size_t stride, size_t max,
                         size_t *lens, size_t *got, int timeout_ms)
{
    if (!q || !lens || !got || max == 0 || (!buf && stride) ||
        (stride && max > SIZE_MAX / stride) || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    *got = 0;
    struct get_dst d = {buf, stride, stride,
                        max > UINT32_MAX ? UINT32_MAX : max, lens};
    return get_msgs(q, &d, got, timeout_ms);
}

int coord_queue_close(coord_queue *q)
{
    if (!q)
        return COORD_EINVAL;
    struct qshm *s = q->s;
    uint32_t open = ST_OPEN;
    /* A broken queue stays broken. */
    atomic_compare_exchange_strong_explicit(&s->state, &open, ST_CLOSED,
                                            memory_order_seq_cst,
                                            memory_order_seq_cst);
    /* Bump both wake-up words unconditionally so a sleeper that read them
     * before the store cannot sleep through the close. */
    atomic_fetch_add_explicit(&s->put_sl.ev, 1, memory_order_seq_cst);
    atomic_fetch_add_explicit(&s->get_sl.ev, 1, memory_order_seq_cst);
    coord__futex_wake(&s->put_sl.ev, INT_MAX);
    coord__futex_wake(&s->get_sl.ev, INT_MAX);
    return 0;
}

bool coord_queue_is_closed(const coord_queue *q)
{
    return !q || atomic_load_explicit(&q->s->state, memory_order_acquire) !=
                     ST_OPEN;
}

long coord_queue_count(const coord_queue *q)
{
    if (!q)
        return COORD_EINVAL;
    struct qshm *s = q->s;
    uint32_t h = (uint32_t)atomic_load_explicit(&s->head, memory_order_acquire);
    /* The filled slots from head on (skips and claims not counted; a claim
     * may sit before filled slots), at most capacity of them. */
    long n = 0;
    for (uint32_t i = h; i - h < q->capacity; i++) {
        uint64_t w = atomic_load_explicit(&slot_at(q, i)->word,
                                          memory_order_acquire);
        if (WORD_SEQ(w) == i + 1) {
            if (WORD_OWNER(w) != OWNER_SKIP)
                n++;
        } else if (WORD_SEQ(w) != i || WORD_OWNER(w) == 0) {
            break;
        }
    }
    return n;
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
    *puts = atomic_load_explicit(&q->s->put_sl.count, memory_order_relaxed);
    *gets = atomic_load_explicit(&q->s->get_sl.count, memory_order_relaxed);
}

void coord__queue_layout(const coord_queue *q, struct coord__queue_map *m)
{
    m->lock_off[0] = offsetof(struct qshm, plock);
    m->lock_off[1] = offsetof(struct qshm, clock);
    m->lock_len = sizeof(coord__mutex);
    m->state_off = offsetof(struct qshm, state);
    m->slot0 = (size_t)(q->slots - (unsigned char *)q->s);
    m->info_off = offsetof(struct slot, info);
    m->slot_size = q->slot_size;
}

int coord__queue_hold_get(coord_queue *q)
{
    uint64_t d = 0;
    int r = get_lock(q, -1, &d);
    if (r < 0)
        return r;
    /* Freeze head: every get's commit is a CAS that expects it unfrozen,
     * and a get that finds it frozen waits for this lock. */
    atomic_fetch_or_explicit(&q->s->head, HEAD_FROZEN, memory_order_seq_cst);
    return 0;
}

void coord__queue_release_get(coord_queue *q)
{
    atomic_fetch_and_explicit(&q->s->head, ~HEAD_FROZEN, memory_order_seq_cst);
    side_unlock(&q->s->clock);
}

int coord__queue_scan_held(coord_queue *q,
                           bool (*fn)(const void *msg, size_t len, bool pill,
                                      void *arg),
                           void *arg)
{
    /* head cannot move: the caller froze it. Walk the published slots
     * from head (acquire: their payload is visible), passing skips. */
    uint32_t h = (uint32_t)atomic_load_explicit(&q->s->head,
                                                memory_order_relaxed);
    for (uint32_t i = h; i - h < q->capacity; i++) {
        struct slot *s = slot_at(q, i);
        uint64_t w = atomic_load_explicit(&s->word, memory_order_acquire);
        if (WORD_SEQ(w) != i + 1)
            break;
        if (WORD_OWNER(w) == OWNER_SKIP)
            continue;
        long n = info_len(q, s->info);
        if (n < -1)
            return broken(q);
        if (fn(s->data, n < 0 ? 0 : (size_t)n, n < 0, arg))
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
