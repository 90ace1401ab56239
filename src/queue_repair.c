/* SPDX-License-Identifier: MIT */
/* queue_repair.c: the queue's recovery paths: a broken queue, a dead claimer's slots, the pool's frozen head. */
#include <errno.h>
#include <limits.h>

#include "queue_shm.h"

/* Mark the queue broken: every process's calls return COORD_EPROTO from
 * now on, and sleepers wake to see it. Returns COORD_EPROTO. */
int coord__queue_broken(struct coord_queue *q)
{
    struct qshm *s = q->s;
    atomic_store_explicit(&s->state, ST_BROKEN, memory_order_seq_cst);
    atomic_fetch_add_explicit(&s->put_sl.ev, 1, memory_order_seq_cst);
    atomic_fetch_add_explicit(&s->get_sl.ev, 1, memory_order_seq_cst);
    coord__futex_wake(&s->put_sl.ev, INT_MAX);
    coord__futex_wake(&s->get_sl.ev, INT_MAX);
    return COORD_EPROTO;
}

/* The get at hw waits on a slot claimed (word w) by a process that may be
 * dead. Under the producer lock (waited for as the get's timeout_ms says),
 * if the claimer is gone: every slot it still claims or has stamped ahead
 * of this one for the put_many whose first slot this is or is another of
 * its claims (the rest of those put_manys, which never committed; not a
 * put_many of another thread of it that committed) becomes a skip, then
 * this one. A skip is passed over by gets: the put never
 * returned 0, so nothing fully put is lost. Returns 0 or a lock error. */
int coord__queue_repair_claim(struct coord_queue *q, uint64_t h, uint64_t w,
                              int timeout_ms, uint64_t *d)
{
    uint32_t pid = WORD_OWNER(w);
    /* A bare pid proves a death only in the namespace that counted it:
     * the claimer's (a claim marked OWNER_FOREIGN, > INT_MAX, was made
     * outside the queue's namespace) and ours (outside it, a live
     * claimer's pid names another process here, or none: ESRCH) must both
     * be the queue's. Otherwise the claim is waited for, as a live one. */
    if (pid == OWNER_SKIP || pid == 0 || pid > INT_MAX ||
        (claim_owner(q) & OWNER_FOREIGN) ||
        coord__proc_fate((pid_t)pid, 0) != COORD__PROC_GONE)
        return 0;
    int r = coord__queue_put_lock(q, timeout_ms, d);
    if (r < 0)
        return r;
    struct slot *sl = slot_at(q, h);
    if (atomic_load_explicit(&sl->word, memory_order_acquire) == w) {
        for (uint32_t i = 1; i < q->capacity; i++) {
            struct slot *o = slot_at(q, h + i);
            uint64_t v = atomic_load_explicit(&o->word, memory_order_acquire);
            /* Slots h + 1 .. h + capacity - 1: words of positions within
             * a lap of head (queue_shm.h, "The ring"), so a seq and a
             * batch (the low halves of positions) compare modulo 2^32. */
            uint32_t seq = WORD_SEQ(v);
            uint32_t h32 = (uint32_t)h;
            /* Its claims, and the slots stamped by a put_many that did
             * not commit: its first slot (batch, between h and here) is
             * this one or another claim of the dead process, turned into
             * a skip above (another thread's put_many, stalled too). A
             * slot it stamped for a put_many that committed (another
             * thread of the dead process, whose call returned 0) is a
             * message fully put: left to the gets. */
            bool stamped_uncommitted = false;
            if (WORD_OWNER(v) == pid && seq == h32 + i + 1) {
                uint32_t b =
                    atomic_load_explicit(&o->batch, memory_order_relaxed);
                uint64_t bw = atomic_load_explicit(&slot_at(q, b)->word,
                                                   memory_order_acquire);
                stamped_uncommitted =
                    b - h32 < i && (b == h32 || WORD_OWNER(bw) != 0);
            }
            if (WORD_OWNER(v) == pid &&
                (seq == h32 + i || stamped_uncommitted))
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
int coord__queue_wait_thaw(struct coord_queue *q, int timeout_ms, uint64_t *d)
{
    int r = coord__queue_get_lock(q, timeout_ms, d);
    if (r < 0)
        return r;
    side_unlock(&q->s->clock);
    return 0;
}

int coord__queue_hold_get(coord_queue *q)
{
    return coord__queue_hold_get_for(q, -1);
}

int coord__queue_hold_get_for(coord_queue *q, int timeout_ms)
{
    uint64_t d = 0;
    int r = coord__queue_get_lock(q, timeout_ms, &d);
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
    uint64_t h = HEAD_POS(atomic_load_explicit(&q->s->head,
                                               memory_order_relaxed));
    /* Within a lap of head: seqs compare modulo 2^32 (queue_shm.h). */
    for (uint64_t i = h; i - h < q->capacity; i++) {
        struct slot *s = slot_at(q, i);
        uint64_t w = atomic_load_explicit(&s->word, memory_order_acquire);
        if (WORD_SEQ(w) != (uint32_t)(i + 1))
            break;
        if (WORD_OWNER(w) == OWNER_SKIP)
            continue;
        long n = info_len(q, atomic_load_explicit(&s->info,
                                                  memory_order_relaxed));
        if (n < -1)
            return coord__queue_broken(q);
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
