/* SPDX-License-Identifier: MIT */
/* interval.h: the check interval of a cooperative loop, fixed or tuned automatically. */
#ifndef COORD_INTERVAL_H
#define COORD_INTERVAL_H

#include "clock.h"
#include "common.h"

COORD_BEGIN_DECLS

/*
 * A cooperative loop runs in blocks: K iterations, then one check of the
 * stop flag (never `i % K == 0`: the modulus costs more than the check).
 * K is the check interval. It is either fixed, or COORD_CHECK_AUTO:
 *
 *   The loop reads the monotonic clock once per block and keeps a moving
 *   average c of the cost of one iteration (ns). h is the cost of one check
 *   plus that clock read plus the update (measured once per process, see
 *   coord_interval_check_ns). With the overhead budget b (default 0.01) and
 *   the stop-latency target L (default 100 µs):
 *
 *     overhead of a block   = h / (K c)   must stay <= b   ->  K >= K_lo
 *     stop latency (worst)  = K c         must stay <= L   ->  K <= K_hi
 *
 *     K_lo = ceil(2 h / (b c))    (factor 2: aim at half the budget, so
 *                                  noise in c does not push us over it)
 *     K_hi = floor(L / c)
 *     K    = K_lo            when K_lo <= K_hi (the smallest K within budget:
 *                                               best latency at that cost)
 *     K    = max(1, K_hi)    otherwise: latency wins, the overhead goes
 *                                       over budget, and `conflict` says so
 *
 *   c is an exponential moving average of each block's (time - h) /
 *   iterations, weight 1/4 when the sample is slower than c and 1/8 when
 *   faster (underestimating c breaks the latency target; overestimating it
 *   only costs overhead). A sample more than 4c is taken for a preempted
 *   block (block times are wall time) and skipped, unless 3 come in a row;
 *   samples are clamped to [c/4, 4c]. So one preemption cannot collapse K,
 *   while a real drift (a primality test gets slower as n grows) is
 *   followed block by block: K is recomputed after every block. The first
 *   three blocks only keep the smallest sample (nothing to judge them by
 *   yet, and preemption only ever makes a block look slower). K starts at 1 and grows
 *   at most 4x per block, so no block is longer than one iteration before
 *   c is known (starting at 16, the first block of a 1 ms probe took 16 ms
 *   against a 100 µs target); a cheap loop reaches its K a block or two
 *   later. See docs/early-exit.md.
 *
 * A coord_interval is private to one worker (one process, one thread): no
 * sharing, no atomics.
 *
 * Zero value: a zeroed coord_interval (never passed to coord_interval_init)
 * means the defaults: its first coord_interval_begin makes it what
 * coord_interval_init(iv, COORD_CHECK_AUTO, 0, 0) makes (automatic, budget
 * COORD_INTERVAL_BUDGET, target COORD_INTERVAL_TARGET_NS), so the loop
 * below progresses from its first block. (Before, it returned K = 0 for
 * ever.) K is never 0 for an interval in any state begin can see.
 */

/* check_every value: tune the interval automatically (see above). */
#define COORD_CHECK_AUTO UINT64_MAX
/* check_every value: never check (the "no coordination" baseline of the
 * overhead measurements); valid only where early exit is off. */
#define COORD_CHECK_NEVER (UINT64_MAX - 1)

/* Defaults of the automatic interval. */
#define COORD_INTERVAL_BUDGET 0.01
#define COORD_INTERVAL_TARGET_NS 100000u
/* Bounds of an automatic interval. */
#define COORD_INTERVAL_START 1u
#define COORD_INTERVAL_MAX (UINT64_C(1) << 32)

typedef struct coord_interval {
    uint64_t every;      /* K: iterations in the next block (read it) */
    uint64_t blocks;     /* blocks ended so far */
    uint64_t retunes;    /* times an automatic K changed */
    uint64_t conflicts;  /* blocks for which latency won over the budget
                            (counted from the third block on) */
    double cost_ns;      /* moving average of one iteration (auto; 0 before
                            the first block) */
    /* private */
    double check_ns;
    double budget;
    double target_ns;
    uint64_t t0;
    uint32_t high_streak;
    int mode; /* 0 fixed, 1 auto, 2 never */
} coord_interval;

/*
 * coord_interval_choose: the rule above as a pure function: the interval
 * for an iteration cost `cost_ns` and a check cost `check_ns` under
 * `budget` (0 < budget < 1) and `target_ns` (> 0).
 * Concurrency: pure. Returns 0 and *every when both limits hold, 1 and
 * *every (= max(1, floor(target / cost))) when they cannot both hold and
 * latency won, COORD_EINVAL for a non-positive or non-finite argument or a
 * NULL `every`.
 */
COORD_EXTERN int coord_interval_choose(double cost_ns, double check_ns,
                                       double budget, double target_ns,
                                       uint64_t *every);

/*
 * coord_interval_check_ns: the cost h of one automatic check (a clock read,
 * the flag load and the update of the average), measured on first use and
 * cached for the process. Concurrency: any thread; the first call takes
 * about 50 µs. Returns h in ns (>= 1).
 */
COORD_EXTERN double coord_interval_check_ns(void);

/*
 * coord_interval_init: prepare an interval: `check_every` > 0 fixed,
 * COORD_CHECK_AUTO tuned with `budget` (0 < b < 1; 0 picks the default)
 * and `target_ns` (0 picks the default), or COORD_CHECK_NEVER (blocks of
 * UINT64_MAX iterations: the loop never stops to check).
 * Concurrency: `iv` is private to the caller. Ownership: nothing allocated.
 * Returns 0, COORD_EINVAL (NULL, check_every 0, budget outside (0, 1),
 * a non-finite budget).
 */
COORD_EXTERN int coord_interval_init(coord_interval *iv, uint64_t check_every,
                                     double budget, uint64_t target_ns);

/*
 * coord_interval_feed: account for one finished block that took `elapsed_ns`
 * for `iterations` iterations, and re-tune `every` (auto mode only; fixed
 * and never intervals only count the block). Exposed so that callers with
 * their own clock, and tests, can drive the tuner. Concurrency: private.
 * Returns nothing; NULL is ignored.
 */
COORD_EXTERN void coord_interval_feed(coord_interval *iv, uint64_t elapsed_ns,
                                      uint64_t iterations);

/*
 * coord_interval_begin / coord_interval_end: bracket one block of the loop:
 *
 *   for (;;) {
 *       uint64_t k = coord_interval_begin(&iv);   // K for this block
 *       ... run up to k iterations, n of them done ...
 *       coord_interval_end(&iv, n);
 *       if (coord_flag_is_set(stop)) break;
 *   }
 *
 * In auto mode one clock read per block: end's reading starts the next
 * block, so the check between two blocks is timed too (h is subtracted).
 * After a pause between blocks (waiting for the next round), call
 * coord_interval_restart so the pause is not taken for iteration time.
 * Fixed mode reads no clock. Concurrency: private. Returns (begin) K,
 * >= 1; a zeroed interval is initialised with the defaults first (see
 * above).
 */
static inline uint64_t coord_interval_begin(coord_interval *iv)
{
    /* every is 0 only in an interval no init has touched: fixed intervals
     * need check_every > 0 and automatic ones never choose K < 1. */
    if (iv->every == 0)
        coord_interval_init(iv, COORD_CHECK_AUTO, 0, 0);
    if (iv->mode == 1 && iv->t0 == 0)
        iv->t0 = coord_clock_ns();
    return iv->every;
}

static inline void coord_interval_end(coord_interval *iv, uint64_t iterations)
{
    if (iv->mode == 1) {
        uint64_t now = coord_clock_ns();
        coord_interval_feed(iv, now - iv->t0, iterations);
        iv->t0 = now;
    } else {
        iv->blocks++;
    }
}

/* coord_interval_restart: forget the start of the current block (the next
 * begin reads the clock again). Keeps the learned cost. Private; NULL ok. */
static inline void coord_interval_restart(coord_interval *iv)
{
    if (iv)
        iv->t0 = 0;
}

COORD_END_DECLS

#endif
