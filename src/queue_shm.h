/* SPDX-License-Identifier: MIT */
/* queue_shm.h: the queue's shared layout, its handle, and what the queue's files (queue*.c) share. */
#ifndef COORD_QUEUE_SHM_H
#define COORD_QUEUE_SHM_H

#include <pthread.h>
#include <stdalign.h>
#include <stddef.h>
#include <string.h>

#include "internal.h"
#include "queue_internal.h"

#define QUEUE_MAGIC 0x51554555u /* "QUEU" */
#define SLOT_HDR 16u
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
 * The ring. Positions are 64-bit and free-running: position p lives in
 * slot p & ring_mask. `head` is the next position a get takes (bits
 * 0..62; bit 63 is HEAD_FROZEN, see coord__queue_hold_get), `tail` a hint
 * for the next position a put claims; at most `capacity` positions are
 * claimed ahead of head. At a billion messages a second the positions
 * reach 2^63 after 292 years: no comparison of positions wraps. (Until
 * ABI 5 they were 32-bit, and a handle's cached head from k * 2^32 - j
 * positions ago read as one j positions ahead: see docs/queue.md,
 * "Wraparound".)
 *
 * A slot's header word holds a 32-bit sequence number (the low half of a
 * position) and an owner (see struct slot). A slot's word is always one
 * written for a position within a lap of head: every position below head
 * was filled or skipped (head passes nothing else), so each slot holds a
 * word of a position >= head - ring, and no put claims one past head +
 * capacity. ring and capacity are at most 2^30, so a sequence number is
 * compared with the low half of a position modulo 2^32 (serial-number
 * order) without ambiguity; each such comparison says why it is within
 * that bound. Positions themselves (head, tail, the handle's cached
 * head) are compared as 64-bit numbers.
 *
 * Put. A put reads tail t and checks room against head: its handle's copy
 * (head_cache), reloaded when t - copy >= capacity. The copy is a head
 * this handle saw, and head only grows, so the copy is at most head and
 * the check errs only towards "full", which the reload settles. It claims
 * t with one CAS of the slot's word from "free for t" (t, 0) to "claimed"
 * (t, pid), or from the lap before's "filled" (t - ring + 1, *): room
 * said t - ring < copy <= head, so a get took that message, and no load
 * of head (the line every get writes) is needed. It then CASes tail from
 * t to t + 1; any producer that finds a claimed slot at tail does the
 * same, so a producer killed between its claim and that CAS leaves
 * nothing behind (tail is only a hint, at most one position per put in
 * flight behind the last claim; one left behind head is moved up to it).
 * It writes the payload, then commits: one seq_cst store of (t + 1, 0).
 *
 * Get. A get reads head h and the word of slot h; when it says filled
 * (h + 1), it copies the payload out, then commits with one CAS of head
 * from h to h + 1 (a plain add: the frozen bit, bit 63, is clear in the
 * value it expects). A CAS that succeeds proves no other get took h
 * meanwhile, so the slot still held what was copied; a get killed before
 * its commit leaves the message first in line. Gets free no slot: the
 * put of the next lap does (above), so only puts write a slot's line.
 * A slot written for position t - ring (the lap before) holds seq
 * t - ring or t - ring + 1, never t + 1, so an old lap is never taken for
 * a new message.
 *
 * A put of k messages (put_many) claims its first slot, then the next k -
 * 1 free positions, stamps those filled at once (still marked with its
 * pid, and the position of its first slot in `batch`), and commits all k
 * with the one store of its first slot's word: gets take slots strictly
 * in order, so none of the k is taken before that store.
 *
 * Dead claimers. A put killed between its claim and its commit leaves
 * (t, pid) at a slot every get waits on; a get that sees the same claim
 * twice asks whether pid is gone and, under the producer lock (plock),
 * turns that slot and the dead put_many's other slots into skips
 * (t + 1, OWNER_SKIP), which gets pass over (queue_repair.c).
 *
 * So consumers never read tail, and producers read head only when their
 * cached copy says the queue is full: a 1 -> 1 transfer moves the slot's
 * cache line, and nothing else, from core to core.
 *
 * Layout: one cache line per writer group, so that a producer and a
 * consumer running at once share only the slots they hand over.
 *  line 0: constants (written once at init) and `state`.
 *  line 1: the producer lock (sleeping gets' registrations, repairs) and
 *          tail.
 *  line 2: the consumer lock (sleeping puts' registrations, the pool's
 *          hold) and head.
 *  line 3: sleeping producers (consumers wake them).
 *  line 4: sleeping consumers (producers wake them).
 * The slots follow at `slots_off`, each SLOT_HDR + payload rounded up to
 * whole cache lines (see layout).
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
 * glibc trusts their words; only the kind word is checked, before each
 * side lock (see docs/queue.md).
 */
/*
 * The sleepers of one side (puts waiting for space, or gets waiting for a
 * message). `count`, `woken`, `gen` and `until` are changed only under the
 * *other* side's lock (see wait_side); `ev` is the futex word they sleep
 * on. `count` is the registered sleepers, `woken` the wake-ups sent to
 * them that no sleeper has answered yet (by taking itself off): a commit
 * of k messages wakes at most k of the count - woken sleepers still
 * waiting, not all of them (see coord__queue_wake_slow).
 * A sleeper sleeps at most until the `until` it registered; so a count
 * whose `until` has passed belongs to sleepers that are awake (and will
 * look again before sleeping) or dead: a committer then drops it (new
 * `gen`, so the awake ones do not take themselves off twice). That is what
 * keeps a process killed in its sleep from slowing every later operation.
 */
struct sleepers {
    _Atomic uint32_t ev;
    _Atomic uint32_t count;
    uint32_t woken;
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
    _Atomic uint64_t tail; /* a hint: at most the next free position */

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
    /* A recent head, this handle's copy (threads sharing the handle
     * share it: stored with release after an acquire load of head, loaded
     * with acquire, so a get's copy-out that the value covers happens
     * before a put that reuses the slot, whichever thread loaded it).
     * A 64-bit position, so however old, it is at most head: a stale copy
     * only makes a put reload it (claim). 0 in a new handle; a forked
     * child keeps its parent's, which is as good. */
    _Atomic uint64_t head_cache;
    /* How many gets in a row found their message committed at the first
     * look, up to SLIP_STREAK (a hint for get_msgs, see there; threads
     * sharing the handle share it, relaxed). */
    _Atomic uint32_t streak;
    /* The position of a claim a get of ours saw, and its word (see
     * get_msgs); threads sharing the handle share them (relaxed: a pair
     * mixed from two gets only makes the next look check, or not check,
     * whether the claimer lives, and that check decides by itself). */
    _Atomic uint64_t stuck_at;
    _Atomic uint64_t stuck;
    int owned; /* 1: a segment of ours (create/open); 0: caller memory */
    /* The pid namespace the queue's claims are counted in: its creator's
     * (the segment header's; for coord_queue_init, the initialiser's),
     * ns_known false when it could not be read. A claim records a bare
     * pid, which names another process (or none) in another namespace. */
    bool ns_known;
    uint64_t ns_dev, ns_ino;
    /* What this process writes as a claim's owner (see claim_owner in
     * queue_ring.c): low 32 bits the pid it was computed for, high 32 bits
     * the owner word. Threads sharing the handle share it (relaxed: each
     * computes the same value); a forked child has another pid, and
     * computes its own. */
    _Atomic uint64_t owner_cache;
};

/* An owner word's mark for a claim made by a process outside the queue's
 * pid namespace (or whose namespace could not be told): its pid means
 * nothing to the others, so no repair judges it by that pid (pids are
 * below 2^22 on Linux: the mark never meets OWNER_SKIP's pattern nor a
 * pid). */
#define OWNER_FOREIGN 0x80000000u

/* The owner word for this process's claims, computed once per process
 * and handle (queue.c). */
uint32_t coord__queue_owner_slow(struct coord_queue *q, uint32_t pid);
static inline __attribute__((always_inline)) uint32_t
claim_owner(struct coord_queue *q)
{
    uint32_t pid = coord__self_pid();
    uint64_t c = atomic_load_explicit(&q->owner_cache, memory_order_relaxed);
    if (__builtin_expect((uint32_t)c == pid, 1))
        return (uint32_t)(c >> 32);
    return coord__queue_owner_slow(q, pid);
}

/* A slot's header. `word` holds the slot's sequence number (low 32 bits:
 * the low half of a position, see "The ring" above for why that is
 * enough) and its owner (high 32 bits): for position p, (p, 0) is free, (p, pid)
 * claimed by a put of process pid, (p + 1, 0 or pid) filled, (p + 1,
 * OWNER_SKIP) a skip (a put that never committed), (p + ring, 0) free for
 * the next lap. `info` is written before the word's store (release) and
 * read after the matching acquire load, so relaxed accesses suffice; it
 * is atomic all the same because a get reads it before it knows the
 * message is its own (take_slots): a get that loses the message to
 * another may read the slot while the put of the next lap rewrites it.
 * Its copy is thrown away when its head CAS fails, but a plain read there
 * is a data race, and the compiler could load the length twice, once for
 * the bound check and once for the copy (found by TSan, tests/
 * test-threads.c). A relaxed load is one plain move. */
struct slot {
    _Atomic uint64_t word;
    _Atomic uint32_t info; /* length, | PILL_BIT for a pill */
    /* In a slot a put_many stamped filled (not its first): the position
     * of that put_many's first slot, whose store commits them all.
     * Written before the word's store (release), as info; a repair reads
     * it to tell a dead put_many's uncommitted messages from committed
     * ones of another call of the same process (another thread's). The
     * low half of the position, as `word`'s seq: it is within capacity
     * of the slot's own. */
    _Atomic uint32_t batch;
    unsigned char data[];
};
#define WORD(seq, owner) ((uint64_t)(uint32_t)(owner) << 32 | (uint32_t)(seq))
#define WORD_SEQ(w) ((uint32_t)(w))
#define WORD_OWNER(w) ((uint32_t)((w) >> 32))
#define OWNER_SKIP 0xffffffffu
/* head's bit 63 (the position is bits 0..62): set while the pool holds
 * the consumer side (coord__queue_hold_get). A get's commit CASes head
 * from an unfrozen h to h + k, a plain add. */
#define HEAD_FROZEN ((uint64_t)1 << 63)
#define HEAD_POS(hw) ((hw) & ~HEAD_FROZEN)
/* The word of a slot free for position p: seq p, no owner. */
#define FREE_WORD(p) ((uint64_t)(uint32_t)(p))
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
 * whatever i is (the ring divides 2^32: the low half of i decides). */
static inline struct slot *slot_at(const struct coord_queue *q, uint64_t i)
{
    return (struct slot *)(q->slots +
                           (size_t)((uint32_t)i & q->ring_mask) * q->slot_size);
}

/* The error for a state other than open: closed, or broken. */
static inline int state_error(uint32_t st)
{
    return st == ST_CLOSED ? COORD_ECLOSED : COORD_EPROTO;
}

/* The length in an `info` word: the length, -1 for a pill, or -2 for a
 * value no put writes. */
static inline long info_len(const struct coord_queue *q, uint32_t info)
{
    if (__builtin_expect(info <= q->max_msg, 1))
        return info;
    return info == PILL_BIT ? -1 : -2;
}

/* The caller's deadline for timeout_ms, computed on first need into *d
 * (0: not yet). Waiting for a side lock is bounded by it when timeout_ms
 * > 0; with 0 by a short bound of its own (LOCK_TRY_NS, queue_wait.c);
 * with -1 a lock is waited for as long as its holder keeps it. */
static inline uint64_t deadline_of(int timeout_ms, uint64_t *d)
{
    if (!*d)
        *d = coord__deadline(timeout_ms);
    return *d;
}

static inline void side_unlock(coord__mutex *m)
{
    pthread_mutex_unlock(&m->m);
}

/* Mark the queue broken: every process's calls return COORD_EPROTO from
 * now on, and sleepers wake to see it. Returns COORD_EPROTO
 * (queue_repair.c). */
int coord__queue_broken(struct coord_queue *q);

/* The side locks (queue_wait.c): the consumer lock (thaws a head left
 * frozen by a dead holder) and the producer lock (a dead holder needs
 * nothing undone). Return 0 or a negative error; see side_lock_wait. */
int coord__queue_get_lock(struct coord_queue *q, int timeout_ms, uint64_t *d);
int coord__queue_put_lock(struct coord_queue *q, int timeout_ms, uint64_t *d);

/* What a blocking call does when it cannot go on: COORD_EAGAIN (timeout
 * 0), or wait on its side (queue_wait.c): a get passes the word of the
 * slot at head and the value it saw there (it waits for that to change),
 * a put NULL (it waits for room); both pass the `state` they saw (the
 * wait ends when it changes). Returns 0 to try again, or the code to
 * return. */
int coord__queue_wait_turn(struct coord_queue *q, _Atomic uint64_t *word,
                           uint64_t seen, uint32_t state, int timeout_ms,
                           uint64_t *deadline);

/* The slow half of wake_side: wake up to n sleepers of one side. */
void coord__queue_wake_slow(struct coord_queue *q, bool getters, size_t n);

/* After a commit (a seq_cst store or CAS) of n messages (getters) or n
 * freed positions (putters): wake up to n sleepers of that side if there
 * are any. The common case is one seq_cst load of the count; the rest
 * runs only when someone registered (how long it waits for a side lock:
 * queue_wait.c, coord__queue_wake_slow). */
INLINE void wake_side(struct coord_queue *q, bool getters, size_t n)
{
    struct sleepers *sl = getters ? &q->s->get_sl : &q->s->put_sl;
    if (__builtin_expect(
            atomic_load_explicit(&sl->count, memory_order_seq_cst) != 0, 0))
        coord__queue_wake_slow(q, getters, n);
}

/* Recovery (queue_repair.c): turn a dead claimer's slots into skips, and
 * wait for a frozen head to thaw, each waiting for its lock as the
 * caller's timeout_ms says (deadline in *d, see deadline_of). Return 0 or
 * a lock error (COORD_EAGAIN with timeout 0, COORD_ETIMEDOUT). */
int coord__queue_repair_claim(struct coord_queue *q, uint64_t h, uint64_t w,
                              int timeout_ms, uint64_t *d);
int coord__queue_wait_thaw(struct coord_queue *q, int timeout_ms, uint64_t *d);

#endif
