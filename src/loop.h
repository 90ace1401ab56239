/* SPDX-License-Identifier: MIT */
/* loop.h: the cooperative worker loop shared by search and rounds (blocks, checks, claim, the owner's wait). */
#ifndef COORD_LOOP_H
#define COORD_LOOP_H

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "wait.h"

/* The share of [begin, end) that worker w of n iterates. */
struct coord__share {
    uint64_t begin, len;  /* the whole range */
    uint64_t chunk;       /* interleaved: chunk length; blocks: 0 */
    uint64_t q;           /* interleaved: next chunk number */
    uint32_t n;
    uint64_t cur, hi;     /* current segment [cur, hi) */
};

/* Number of workers that get any index: never fork an idle one. */
static inline uint32_t coord__share_workers(uint32_t n, uint64_t len,
                                            coord_partition p, uint64_t chunk)
{
    /* Written without len + chunk - 1, which wraps for huge ranges. */
    uint64_t units = p == COORD_PARTITION_BLOCKS
                         ? len
                         : len / chunk + (len % chunk != 0);
    return units < n ? (uint32_t)units : n;
}

/* Next segment of an interleaved share; false when none is left. */
static inline bool coord__share_next(struct coord__share *s)
{
    if (s->chunk == 0)
        return false;
    uint64_t last = (s->len - 1) / s->chunk; /* last chunk number */
    if (s->q > last)
        return false;
    uint64_t lo = s->q * s->chunk; /* q <= last, so no overflow */
    uint64_t hi = s->len - lo > s->chunk ? lo + s->chunk : s->len;
    s->cur = s->begin + lo;
    s->hi = s->begin + hi;
    /* q + n could wrap only for chunk 1 and q within 1024 of 2^64: that
     * is after about 2^64 / n iterations of this worker, never reached. */
    s->q += s->n;
    return true;
}

/* First segment of worker w; false when it has nothing. */
static inline bool coord__share_init(struct coord__share *s, uint64_t begin,
                                     uint64_t end, uint32_t w, uint32_t n,
                                     coord_partition p, uint64_t chunk)
{
    *s = (struct coord__share){0}; /* an empty share: cur == hi == 0 */
    s->begin = begin;
    s->len = end - begin;
    s->n = n;
    if (s->len == 0)
        return false;
    if (p == COORD_PARTITION_BLOCKS) {
        uint64_t base = s->len / n, rem = s->len % n;
        uint64_t lo = w * base + (w < rem ? w : rem);
        uint64_t sz = base + (w < rem ? 1 : 0);
        s->chunk = 0;
        s->cur = begin + lo;
        s->hi = s->cur + sz;
        return sz > 0;
    }
    s->chunk = chunk;
    s->q = w;
    return coord__share_next(s);
}

/* What one worker's loop needs and what it reports. */
struct coord__loop {
    /* in */
    coord_flag *flag;
    uint32_t epoch;
    coord_claim_mode claim;
    bool early_exit;
    bool never;                /* COORD_CHECK_NEVER: no checks at all */
    coord_probe_fn probe;      /* search */
    coord_round_fn round_fn;   /* rounds (probe == NULL) */
    const void *input;
    size_t input_len;
    uint32_t worker;           /* its index (coord__win_publish) */
    void *arg;
    void *scratch;             /* private result buffer */
    coord_interval *iv;
    uint32_t self;             /* the worker's coord__self_pid(): a fork
                                  the probe made that returns from it
                                  leaves at its block's end (0: no look) */
    /* out */
    uint64_t iterations, checks, wasted, hit;
    uint64_t t_claim, t_left;
    coord_search_outcome outcome;
};

static inline bool coord__loop_probe(struct coord__loop *L, uint64_t i)
{
    if (L->probe)
        return L->probe(i, L->scratch, L->arg);
    return L->round_fn(i, L->input, L->input_len, L->scratch, L->worker,
                       L->arg);
}

/*
 * Run the share in blocks of K = iv->every iterations, one flag check after
 * each block. `since_clear` counts the iterations done after the last check
 * that found the flag clear: when somebody else's claim is found (at a
 * check, or at the very end), those are the wasted ones (the claim happened
 * after that check). Returns with L's outputs filled; claims on a hit.
 */
static inline void coord__loop_run(struct coord__loop *L,
                                   struct coord__share *s)
{
    uint64_t since_clear = 0, it = 0, checks = 0;
    bool seen = false, more = s->cur < s->hi, hit = false;
    L->outcome = COORD_OUTCOME_FINISHED;
    /* A worker that starts after the claim (it waited for a CPU, or a
     * persistent worker woke late) leaves before its first block. */
    if (more && L->early_exit && !L->never) {
        checks++;
        if (coord_flag_is_set(L->flag)) {
            L->outcome = COORD_OUTCOME_STOPPED;
            more = false;
        }
    }
    while (more) {
        uint64_t k = coord_interval_begin(L->iv);
        uint64_t done = 0;
        while (done < k) {
            if (s->cur == s->hi && !(more = coord__share_next(s)))
                break;
            uint64_t run = s->hi - s->cur;
            if (run > k - done)
                run = k - done;
            uint64_t start = s->cur, stop = start + run;
            for (uint64_t i = start; i < stop; i++) {
                if (coord__loop_probe(L, i)) {
                    done += i - start + 1;
                    s->cur = i + 1;
                    L->hit = i;
                    hit = true;
                    goto block_end;
                }
            }
            s->cur = stop;
            done += run;
        }
    block_end:
        /* A fork of the worker that returned from the probe is not a
         * worker: left on, it ran the worker's share again, claimed and
         * counted itself done as the worker did (the owner of a rounds
         * engine saw a round end while a worker was still in it). One
         * load per block; it leaves before any claim or report. */
        if (L->self && !coord__self_pid_is(L->self))
            _exit(0);
        coord_interval_end(L->iv, done);
        it += done;
        since_clear += done;
        if (hit || !more)
            break;
        if (L->never || seen)
            continue;
        checks++;
        if (coord_flag_is_set(L->flag)) {
            if (L->early_exit) {
                L->outcome = COORD_OUTCOME_STOPPED;
                break;
            }
            seen = true; /* keep going; stop counting clear checks */
        } else {
            since_clear = 0;
        }
    }
    if (hit) {
        /* The claim's time is read before the claim: a worker the claim
         * stops sees the flag after the CAS, so its exit is stamped after
         * this. (Read after the claim, past its unlock and wake-ups, the
         * stamp came later than some stopped workers' exits: left before
         * the claim, stop latency 0; 20 of 35 runs with K = 1 and the lock
         * claim, an audit found.) */
        uint64_t t = coord_clock_ns();
        int c = coord_flag_claim_epoch(L->flag, L->epoch, L->claim);
        if (c == 1) {
            L->t_claim = t;
            L->outcome = COORD_OUTCOME_WON;
        } else {
            L->outcome = COORD_OUTCOME_LOST;
        }
    }
    L->t_left = L->outcome == COORD_OUTCOME_WON ? L->t_claim : coord_clock_ns();
    L->wasted = 0;
    /* The final look: a claim made during our last stretch wasted it. */
    if (L->outcome != COORD_OUTCOME_WON &&
        (L->outcome == COORD_OUTCOME_STOPPED || seen ||
         coord_flag_is_set(L->flag)))
        L->wasted = since_clear;
    L->iterations = it;
    L->checks = checks;
}

/*
 * Who won a search or a round, in the shared control block: written once,
 * by the worker whose claim succeeded, and then `published` (release); the
 * owner reads the rest only after it sees published == 1 (acquire).
 */
struct coord__win {
    alignas(COORD__CACHE_LINE) _Atomic uint32_t published;
    int32_t winner;
    uint64_t index;    /* the iteration that hit */
    uint64_t claim_ns; /* clock at the claim */
};

/* After coord__loop_run: if this worker won, copy its result (`size` bytes
 * of L->scratch) to `dst` and publish who won, where and when. */
static inline void coord__win_publish(struct coord__win *w,
                                      const struct coord__loop *L, void *dst,
                                      size_t size)
{
    if (L->outcome != COORD_OUTCOME_WON)
        return;
    if (size)
        memcpy(dst, L->scratch, size);
    w->winner = (int32_t)L->worker;
    w->index = L->hit;
    w->claim_ns = L->t_claim;
    atomic_store_explicit(&w->published, 1, memory_order_release);
}

/* How long after the winning claim worker `worker` left its loop (at
 * t_left): the stop latency it contributes. -1 when nobody won, when it is
 * the winner, or when it left before the claim. Call after seeing
 * published == 1 (won). */
static inline int64_t coord__win_left_after(const struct coord__win *w,
                                            bool won, uint32_t worker,
                                            uint64_t t_left)
{
    if (!won || (int32_t)worker == w->winner || t_left <= w->claim_ns)
        return -1;
    return (int64_t)(t_left - w->claim_ns);
}

struct coord__count_reach {
    _Atomic uint32_t *count;
    uint32_t n;
};

static inline bool coord__count_reached(const void *ctx)
{
    const struct coord__count_reach *c = ctx;
    return atomic_load_explicit(c->count, memory_order_acquire) >= c->n;
}

/*
 * The owner's wait until the workers' counter *count reaches n (each worker
 * bumps it with seq_cst, then coord__wake(count, owner_sleeping, 1)), by
 * the one wait policy (wait.h): a spin of spin_ns, then futex sleeps in
 * slices of slice_ns, and between slices a look for a worker that died
 * (it would never bump the counter). Returns 0, COORD_EPEERDIED (*which
 * died), COORD_ECHILD (*which was reaped by someone else, status unknown)
 * or COORD_ETIMEDOUT (deadline).
 */
static inline int coord__wait_count(struct coord__spinner *sp,
                                    _Atomic uint32_t *count, uint32_t n,
                                    _Atomic uint32_t *owner_sleeping,
                                    coord__child *ch, uint64_t spin_ns,
                                    uint64_t slice_ns, uint64_t deadline,
                                    size_t *which)
{
    struct coord__count_reach c = {count, n};
    if (coord__spin_until(sp, spin_ns, coord__count_reached, &c))
        return 0;
    for (;;) {
        uint64_t now = coord_clock_ns();
        if (coord__child_wait_any(ch, n, 0, which) == 0)
            return ch[*which].status == COORD__STATUS_UNKNOWN
                       ? COORD_ECHILD
                       : COORD_EPEERDIED;
        if (now >= deadline)
            return COORD_ETIMEDOUT;
        uint64_t until = now + slice_ns < deadline ? now + slice_ns : deadline;
        uint32_t v = atomic_load_explicit(count, memory_order_acquire);
        if (v >= n)
            return 0;
        coord__sleep_change(count, v, owner_sleeping, until, &v);
        if (coord__count_reached(&c))
            return 0;
    }
}

/* CPU time of the calling process (children have their own). */
static inline uint64_t coord__cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
