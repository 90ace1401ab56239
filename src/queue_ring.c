/* SPDX-License-Identifier: MIT */
/* queue_ring.c: the queue's lock-free fast path: claim, fill and commit a slot; copy out and commit head. */
#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "queue_shm.h"
#include "wait.h"

/* Once room was counted for position p, its slot holds a word of p or
 * later, or the lap before's "filled" (p - ring + 1: a message taken, or a
 * skip passed): any other word, the lap before's "free" or "claimed" (p -
 * ring) included, is one no queue holds, unless the slot moved on since
 * `w` was read. Broken (COORD_EPROTO), or 0 to look again. (Taken for
 * "full", it had a put spin for ever: the room count said there was
 * room.) Out of line: inlined into
 * claim, its loop cost the 1 -> 1 stream 10 ns per message (22.7 -> 32.4,
 * 6 alternations), fewer instructions notwithstanding. */
static __attribute__((noinline, cold)) int
claim_odd_word(struct coord_queue *q, struct slot *sl, uint64_t w)
{
    if (atomic_load_explicit(&sl->word, memory_order_acquire) == w)
        return coord__queue_broken(q);
    return 0;
}

/*
 * Claim the next position for process `pid`: CAS the slot's word from
 * "free for t" to "claimed for t by pid", then help tail past it. Returns
 * 1 (the position in *pos), 2 (the same, and the slot still held the lap
 * before: no get was waiting at it), 0 when the queue is full, or
 * COORD_EPROTO.
 *
 * tail is a hint that any producer advances (by CAS, one position at a
 * time, only past a slot it saw claimed), so a producer killed between its
 * claim and its tail CAS leaves nothing behind. Room is counted against
 * head (cached in the handle, reloaded when it says full), so at most
 * `capacity` positions are ever claimed ahead of head.
 *
 * Positions (t, hc, h) are 64-bit and compared as such. The slot's word
 * holds the low half of a position within a lap of t: t is below head +
 * capacity (the room check) and at most a few positions (the puts between
 * their claim and their tail CAS) behind the last claim, and the slot's
 * word is of a position in head - ring .. head + capacity (queue_shm.h,
 * "The ring"); ring and capacity are at most 2^30, so seq - t, modulo
 * 2^32, is that distance exactly.
 */
INLINE int claim(struct coord_queue *q, uint32_t pid, uint64_t *pos)
{
    struct qshm *s = q->s;
    uint64_t t = atomic_load_explicit(&s->tail, memory_order_relaxed);
    uint64_t hc = atomic_load_explicit(&q->head_cache, memory_order_acquire);
    for (;;) {
        /* hc is a head this handle saw, and head only grows: hc <= head,
         * so t - hc < capacity proves room (and a t behind hc reloads). */
        if (t - hc >= q->capacity) {
            uint64_t h = HEAD_POS(atomic_load_explicit(&s->head,
                                                       memory_order_acquire));
            hc = h;
            atomic_store_explicit(&q->head_cache, h, memory_order_release);
            int64_t used = (int64_t)(t - h);
            if (used < 0) {
                /* tail lags behind head (a producer killed between its
                 * claim and its CAS of tail, whose slot a get then passed
                 * as a skip; or a word rewritten): move it up to head,
                 * which any producer may do (every position before head
                 * was claimed and taken), and start from there. Started
                 * from head with tail left behind, a claim that found
                 * head's slot taken went back to tail from its failed CAS
                 * below, then to head again, for ever: a put spinning
                 * whatever its timeout until a get moved head. */
                uint64_t e = t;
                atomic_compare_exchange_strong_explicit(
                    &s->tail, &e, h, memory_order_relaxed,
                    memory_order_relaxed);
                t = h;
                continue;
            }
            if ((uint64_t)used > q->capacity)
                return coord__queue_broken(q);
            if ((uint64_t)used == q->capacity)
                return 0;
        }
        struct slot *sl = slot_at(q, t);
        uint64_t w = atomic_load_explicit(&sl->word, memory_order_acquire);
        if (w != FREE_WORD(t)) {
            uint32_t seq = WORD_SEQ(w);
            if ((int32_t)(seq - (uint32_t)t) >= 0) {
                /* Taken for t already (or later): move tail on. */
                uint64_t e = t;
                if (atomic_compare_exchange_strong_explicit(
                        &s->tail, &e, t + 1, memory_order_relaxed,
                        memory_order_relaxed))
                    e = t + 1;
                t = e;
                continue;
            }
            if (seq != (uint32_t)(t - q->ring + 1))
                /* Anything else here is a word no queue holds, the lap
                 * before's "claimed" or "free" (t - ring) included: the
                 * room check proved head > t - ring (below), so that
                 * position was filled or skipped and a get passed it.
                 * (Taken for "full", as until session 19, such a word
                 * had a put spin at full CPU until its deadline, for
                 * ever with timeout -1, in a queue that counts no
                 * message.) */
                return claim_odd_word(q, sl, w);
            /* The lap before, taken by a get or passed over as a skip
             * (gets free no slot: see take_slots): the CAS below frees it
             * and claims it for t at once. Head is past it: the room
             * check above found hc > t - capacity >= t - ring, in 64 bits,
             * and head >= hc; so no load of head, the line every get
             * writes, is needed; the acquire that gave hc orders the get's
             * copy-out before our writes to the slot. (With 32-bit
             * positions a copy of head from k * 2^32 - j positions ago
             * looked j ahead of head, and this took an unread message's
             * slot.) */
        }
        /* Free for t (or the lap before, freed by this same CAS): claim. */
        bool freed = w != FREE_WORD(t);
        if (atomic_compare_exchange_weak_explicit(
                &sl->word, &w, WORD(t, pid), memory_order_seq_cst,
                memory_order_relaxed)) {
            uint64_t e = t;
            atomic_compare_exchange_strong_explicit(
                &s->tail, &e, t + 1, memory_order_relaxed,
                memory_order_relaxed);
            *pos = t;
            return freed ? 2 : 1;
        }
    }
}

/* How many positions ahead of its own a put prefetches the slot a later
 * put will claim (see put_msgs). With the one CAS of claim, 1 -> 1 on 2
 * cores went from 41 to 23 ns per message in the host's fast line-transfer
 * state and from 94 to 32 in the slow one (docs/results.md, "The put that
 * waits for its line"); 8 ahead did worse in the slow state. */
#define PUT_AHEAD 4
/* ... every line of that slot, up to this many bytes of it (a 64-byte
 * message's slot is two lines). */
#define PUT_AHEAD_BYTES 256u

/* The messages a put hands to put_msgs: n of them, message i at msgs[i]
 * with lens[i] bytes (a pill: one message of info PILL_BIT). */
struct put_src {
    const void *const *msgs;
    const size_t *lens;
    size_t n;
    bool pill;
};

/* Write message i of `m` into the slot of position p (claimed). */
INLINE void fill_slot(struct slot *s, const struct put_src *m, size_t i)
{
    if (m->pill) {
        atomic_store_explicit(&s->info, PILL_BIT, memory_order_relaxed);
    } else {
        atomic_store_explicit(&s->info, (uint32_t)m->lens[i],
                              memory_order_relaxed);
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
    uint32_t pid = claim_owner(q);
    uint64_t first = 0;
    int r;
    for (;;) {
        uint32_t st = atomic_load_explicit(&s->state, memory_order_relaxed);
        if (st != ST_OPEN)
            return state_error(st);
        r = claim(q, pid, &first);
        if (__builtin_expect(r > 0, 1))
            break;
        if (r < 0)
            return r;
        r = coord__queue_wait_turn(q, NULL, 0, st, timeout_ms, &deadline);
        if (r < 0)
            return r;
    }
    struct slot *fs = slot_at(q, first);
    /* The slot a later put will claim: its line was last read by a
     * consumer a lap ago, so that claim's CAS would stall while the line is
     * taken back from the consumer's CPU. Ask for it now, PUT_AHEAD puts
     * early; but only in a stream (the slot we claimed still held the lap
     * before, r == 2): when a get was waiting at our slot (it freed it), a
     * reply is awaited, and the extra line transfer delayed the round trip
     * (185 -> 235 ns). */
    if (r == 2)
        coord__prefetch_write(slot_at(q, first + PUT_AHEAD),
                              q->slot_size < PUT_AHEAD_BYTES ? q->slot_size
                                                              : PUT_AHEAD_BYTES);
    uint32_t st = atomic_load_explicit(&s->state, memory_order_seq_cst);
    if (__builtin_expect(st != ST_OPEN, 0)) {
        /* Closed (or broken) meanwhile: give the slot up as a skip. */
        atomic_store_explicit(&fs->word, WORD(first + 1, OWNER_SKIP),
                              memory_order_seq_cst);
        wake_side(q, true, 1); /* a get must pass the skip */
        return state_error(st);
    }
    size_t k = 1;
    for (; k < m->n; k++) {
        uint64_t p = 0;
        if (claim(q, pid, &p) <= 0)
            break;
        struct slot *ps = slot_at(q, p);
        fill_slot(ps, m, k);
        atomic_store_explicit(&ps->batch, (uint32_t)first,
                              memory_order_relaxed);
        atomic_store_explicit(&ps->word, WORD(p + 1, pid),
                              memory_order_release);
    }
    fill_slot(fs, m, 0);
    /* The commit: release publishes the payloads to the get that
     * acquires this word; seq_cst orders it before the sleeper check. */
    atomic_store_explicit(&fs->word, FREE_WORD(first + 1),
                          memory_order_seq_cst);
    wake_side(q, true, k);
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
    /* Every error says *done = 0 (queue.h), the refusals of bad input
     * included, whenever there is a *done to say it in. */
    if (done)
        *done = 0;
    if (!q || !msgs || !lens || n == 0 || !done ||
        coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
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


/* Did slot `sl`, read under word w at head hw, stay as it was (so that
 * what we read from it is what its put wrote)? */
static bool slot_stable(struct coord_queue *q, const struct slot *sl,
                        uint64_t w, uint64_t hw)
{
    atomic_thread_fence(memory_order_acquire);
    return atomic_load_explicit(&sl->word, memory_order_relaxed) == w &&
           atomic_load_explicit(&q->s->head, memory_order_relaxed) == hw;
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
    uint64_t h = hw; /* not frozen: a position */
    struct slot *first = slot_at(q, h);
    long n = info_len(q, atomic_load_explicit(&first->info,
                                              memory_order_relaxed));
    int res = 0;
    uint32_t k = 1;
    if (__builtin_expect(n < -1, 0))
        return slot_stable(q, first, w, hw) ? coord__queue_broken(q)
                                            : TAKE_RETRY;
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
            /* k < capacity: a slot within a lap of head (queue_shm.h). */
            if (WORD_SEQ(v) != (uint32_t)(h + k + 1) ||
                WORD_OWNER(v) == OWNER_SKIP)
                break;
            long m = info_len(q, atomic_load_explicit(&sl->info,
                                                      memory_order_relaxed));
            if (m < 0 || (size_t)m > d->cap)
                break;
            if (m)
                copy_msg(d->buf + k * d->stride, sl->data, (size_t)m);
            d->lens[k] = (size_t)m;
        }
    }
    /* The commit. A CAS that succeeds proves that nobody took these
     * positions meanwhile, so the slots held what we copied (a slot is
     * reused only after head passed it). A plain load first: a get that
     * can already see that another took the message gives up without
     * taking head's cache line from the winner (the CAS would fail and
     * still need the line exclusively).
     *
     * The slots are not freed here: the put that reuses a slot a lap
     * later frees it (claim), so that only puts write a slot's line and a
     * message costs one line transfer, producer to consumer, instead of a
     * second one back. On this 2-CPU VM a line transfer costs 35-50 ns at
     * times and 200-240 ns at others (the host's placement of the vCPUs);
     * in the slow state this took 1 -> 1 from 130-190 to 85-105 ns per
     * message (docs/results.md, "The queue's line transfers"). */
    if (atomic_load_explicit(&s->head, memory_order_relaxed) != hw ||
        !atomic_compare_exchange_strong_explicit(
            &s->head, &hw, h + k, memory_order_seq_cst,
            memory_order_relaxed))
        return TAKE_RETRY;
    /* Only a commit that won says how many were taken: a batch copied
     * and then lost to another get left *got at its count, and the call
     * went on to fail (COORD_EAGAIN, COORD_ECLOSED, ...) with *got != 0,
     * against queue.h's "*got = 0" with every error. */
    if (res == 0)
        *got = k;
    return res;
}

/*
 * A get that finds the slot at head claimed by a put that has not
 * committed yet (the put is writing the message) does not watch the slot's
 * line while the put writes it: every read of that line between the put's
 * claim and its commit moves the line to the consumer and back once more
 * (on this 2-CPU VM each move costs 35-50 ns, or 200-240 ns in the host's
 * slow state). It looks again after 1, 2, 4 ... 32 pauses (GET_LOOKS
 * looks, about 1.6 us in all), and only then waits by the usual policy.
 *
 * A consumer that keeps up with a stream of puts finds such a claim on
 * almost every get, and re-reading at once is what kept it in step with
 * the producer, one line transfer per claim. So when this handle's recent
 * gets found their messages committed at the first look (SLIP_STREAK in a
 * row: the producers are ahead, a stream), the first pause is SLIP_PAUSES
 * long: the consumer slips a few messages behind and then takes several
 * committed ones without meeting the put (FastForward's "temporal
 * slipping"). A get that finds the queue empty ends the streak, so a
 * request/reply ping-pong never slips. 1 -> 1 on 2 cores: 60 -> 41 ns per
 * message in the host's fast state, 100 -> 86 in the slow one; the
 * round trip is unchanged (docs/results.md, "A get that meets a put").
 */
#define GET_LOOKS 6
#define SLIP_STREAK 2
#define SLIP_PAUSES 8

/* Get into `d`, waiting as timeout_ms says. Returns 0 (the count taken,
 * >= 1, in *got), COORD_PILL or an error. */
INLINE int get_msgs(struct coord_queue *q, const struct get_dst *d,
                    size_t *got, int timeout_ms)
{
    struct qshm *s = q->s;
    uint64_t deadline = 0;
    unsigned looks = 0; /* at a claim (see GET_LOOKS) */
    if (__builtin_expect(atomic_load_explicit(&s->state, memory_order_relaxed) >
                             ST_CLOSED,
                         0))
        return COORD_EPROTO;
    for (;;) {
        uint64_t hw = atomic_load_explicit(&s->head, memory_order_acquire);
        uint64_t h = hw; /* the position, when not frozen (bit 63) */
        struct slot *sl = slot_at(q, h);
        uint64_t w = atomic_load_explicit(&sl->word, memory_order_acquire);
        /* The slot at head holds a word of a position within a lap of h
         * (queue_shm.h, "The ring"): its seq compares modulo 2^32. */
        if (__builtin_expect(
                WORD_SEQ(w) == (uint32_t)(h + 1) && (int64_t)hw >= 0, 1)) {
            if (WORD_OWNER(w) == OWNER_SKIP) {
                if (atomic_compare_exchange_strong_explicit(
                        &s->head, &hw, h + 1,
                        memory_order_seq_cst, memory_order_relaxed))
                    wake_side(q, false, 1); /* its slot: freed by the next put */
                continue;
            }
            int res = take_slots(q, hw, w, d, got);
            if (res == TAKE_RETRY)
                continue;
            if (looks == 0) {
                uint32_t k = atomic_load_explicit(&q->streak,
                                                  memory_order_relaxed);
                if (k < SLIP_STREAK)
                    atomic_store_explicit(&q->streak, k + 1,
                                          memory_order_relaxed);
            }
            if (res == 0)
                wake_side(q, false, *got);
            else if (res == COORD_PILL)
                wake_side(q, false, 1);
            return res;
        }
        if (hw & HEAD_FROZEN) {
            int r = coord__queue_wait_thaw(q, timeout_ms, &deadline);
            if (r < 0)
                return r;
            continue;
        }
        uint32_t seq = WORD_SEQ(w);
        if (seq == (uint32_t)(h - q->ring + 1)) {
            /* The lap before, taken but not yet freed: free it (which
             * also tells the put that claims it that a get is waiting:
             * claim returns 1, and that put prefetches nothing). */
            atomic_compare_exchange_strong_explicit(
                &sl->word, &w, FREE_WORD(h), memory_order_release,
                memory_order_relaxed);
            continue;
        }
        if (seq != (uint32_t)h) {
            /* Head moved meanwhile, or a word no queue holds. */
            if (atomic_load_explicit(&s->head, memory_order_acquire) == hw &&
                atomic_load_explicit(&sl->word, memory_order_acquire) == w)
                return coord__queue_broken(q);
            continue;
        }
        if (WORD_OWNER(w) != 0 && looks < GET_LOOKS) {
            /* A put is writing the message: look again later. */
            unsigned pauses = 1u << looks;
            if (looks == 0 && atomic_load_explicit(&q->streak,
                                                   memory_order_relaxed) >=
                                  SLIP_STREAK)
                pauses = SLIP_PAUSES;
            for (unsigned i = 0; i < pauses; i++)
                coord__cpu_relax();
            looks++;
            continue;
        }
        uint32_t st = ST_OPEN;
        if (WORD_OWNER(w) != 0) {
            /* Claimed by a put that has not committed (it may still
             * commit in a closed queue: wait for it there too). When a get of
             * this process saw the same claim before (in this call after
             * a wait, or in an earlier call: a poller with timeout 0),
             * look whether its process still lives. */
            if (atomic_load_explicit(&q->stuck, memory_order_relaxed) == w &&
                atomic_load_explicit(&q->stuck_at, memory_order_relaxed) == h) {
                int r = coord__queue_repair_claim(q, h, w, timeout_ms,
                                                  &deadline);
                if (r < 0)
                    return r;
            }
            atomic_store_explicit(&q->stuck, w, memory_order_relaxed);
            atomic_store_explicit(&q->stuck_at, h, memory_order_relaxed);
            st = atomic_load_explicit(&s->state, memory_order_seq_cst);
            if (st > ST_CLOSED)
                return COORD_EPROTO;
        } else {
            /* Empty: no stream (see SLIP_STREAK), and whatever this get
             * takes after its wait was not found at the first look. */
            atomic_store_explicit(&q->streak, 0, memory_order_relaxed);
            looks = GET_LOOKS;
            st = atomic_load_explicit(&s->state, memory_order_seq_cst);
            if (st != ST_OPEN) {
                if (st != ST_CLOSED)
                    return COORD_EPROTO;
                /* Closed: read after `state` (seq_cst), a free slot at
                 * head means no put can commit any more (a put reads
                 * `state` after its claim). */
                if (atomic_load_explicit(&s->head, memory_order_seq_cst) ==
                        hw &&
                    atomic_load_explicit(&sl->word, memory_order_seq_cst) ==
                        FREE_WORD(h))
                    return COORD_ECLOSED;
                continue;
            }
        }
        int r = coord__queue_wait_turn(q, &sl->word, w, st, timeout_ms,
                                       &deadline);
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
    /* *got = 0 with every error (queue.h), bad input's included. */
    if (got)
        *got = 0;
    if (!q || !lens || !got || max == 0 || (!buf && stride) ||
        (stride && max > SIZE_MAX / stride) || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    struct get_dst d = {buf, stride, stride,
                        max > UINT32_MAX ? UINT32_MAX : max, lens};
    return get_msgs(q, &d, got, timeout_ms);
}
