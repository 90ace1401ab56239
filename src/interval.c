/* SPDX-License-Identifier: MIT */
/* interval.c: the automatic check interval: cost average, budget and latency rule. */
#include <math.h>
#include <stdatomic.h>

#include "internal.h"

/* Moving-average weights: a slower iteration is believed faster (1/4) than
 * a faster one (1/8), because underestimating the cost breaks the latency
 * target while overestimating it only costs a little overhead. */
#define UP_WEIGHT 0.25
#define DOWN_WEIGHT 0.125
/* One sample may move the average by at most this factor (a preempted
 * block would otherwise look thousands of times slower). */
#define CLAMP 4.0
/* Blocks in a row more than CLAMP times slower than the average before
 * they are believed (fewer are taken for preemption and skipped). */
#define HIGH_STREAK 3
/* Blocks whose conflicts are not counted (the average is still raw). */
#define WARMUP_BLOCKS 2
/* An automatic K grows at most this factor per block. */
#define GROWTH 4

int coord_interval_choose(double cost_ns, double check_ns, double budget,
                          double target_ns, uint64_t *every)
{
    if (!every || !isfinite(cost_ns) || !isfinite(check_ns) ||
        !isfinite(budget) || !isfinite(target_ns) || cost_ns <= 0 ||
        check_ns <= 0 || budget <= 0 || budget >= 1 || target_ns <= 0)
        return COORD_EINVAL;
    const double kmax = (double)COORD_INTERVAL_MAX;
    double lo = ceil(2.0 * check_ns / (budget * cost_ns));
    double hi = floor(target_ns / cost_ns);
    if (lo < 1)
        lo = 1;
    if (lo <= hi) {
        *every = lo > kmax ? COORD_INTERVAL_MAX : (uint64_t)lo;
        return 0;
    }
    /* Both cannot hold: latency wins. */
    if (hi < 1)
        hi = 1;
    *every = hi > kmax ? COORD_INTERVAL_MAX : (uint64_t)hi;
    return 1;
}

/* One measurement of h: clock reads plus the tuner's arithmetic, timed
 * over many rounds on a throwaway interval. */
static double measure_check_ns(void)
{
    enum { N = 512, TRIALS = 5 };
    coord_interval iv;
    double best = 1e9;
    for (int t = 0; t < TRIALS; t++) {
        coord_interval_init(&iv, COORD_CHECK_AUTO, 0, 0);
        iv.check_ns = 1; /* avoid recursion into this function */
        uint64_t t0 = coord_clock_ns();
        for (int i = 0; i < N; i++) {
            uint64_t k = coord_interval_begin(&iv);
            coord_interval_end(&iv, k);
        }
        double per = (double)(coord_clock_ns() - t0) / N;
        if (per < best)
            best = per;
    }
    /* Plus the flag load, an L1 hit: about one nanosecond. */
    best += 1.0;
    return best < 1 ? 1 : best;
}

static _Atomic double cached_check_ns;

double coord_interval_check_ns(void)
{
    /* Relaxed: the value is a measurement; two threads measuring at once
     * both store a valid one. */
    double h = atomic_load_explicit(&cached_check_ns, memory_order_relaxed);
    if (h > 0)
        return h;
    h = measure_check_ns();
    atomic_store_explicit(&cached_check_ns, h, memory_order_relaxed);
    return h;
}

int coord_interval_init(coord_interval *iv, uint64_t check_every,
                        double budget, uint64_t target_ns)
{
    if (!iv || check_every == 0)
        return COORD_EINVAL;
    if (budget == 0)
        budget = COORD_INTERVAL_BUDGET;
    if (!isfinite(budget) || budget <= 0 || budget >= 1)
        return COORD_EINVAL;
    if (target_ns == 0)
        target_ns = COORD_INTERVAL_TARGET_NS;
    *iv = (coord_interval){0};
    iv->budget = budget;
    iv->target_ns = (double)target_ns;
    if (check_every == COORD_CHECK_AUTO) {
        iv->mode = 1;
        iv->every = COORD_INTERVAL_START;
        /* check_ns stays 0 until the first feed asks for it, so that
         * measure_check_ns can use an interval without recursing. */
    } else if (check_every == COORD_CHECK_NEVER) {
        iv->mode = 2;
        iv->every = UINT64_MAX;
    } else {
        iv->every = check_every;
    }
    return 0;
}

void coord_interval_feed(coord_interval *iv, uint64_t elapsed_ns,
                         uint64_t iterations)
{
    if (!iv)
        return;
    iv->blocks++;
    if (iv->mode != 1 || iterations == 0)
        return;
    if (iv->check_ns <= 0)
        iv->check_ns = coord_interval_check_ns();
    double work = (double)elapsed_ns - iv->check_ns;
    double sample = work / (double)iterations;
    /* A block too short to measure says "cheaper than the clock can see":
     * a floor of 0.01 ns keeps the average positive. */
    if (sample < 0.01)
        sample = 0.01;
    double c = iv->cost_ns;
    if (c <= 0) {
        c = sample;
    } else if (iv->blocks <= WARMUP_BLOCKS + 1) {
        /* The first samples have no average to be judged against; a
         * preempted one only looks slower, so the smallest is kept. */
        if (sample < c)
            c = sample;
    } else {
        if (sample > c * CLAMP) {
            /* Far slower than the average: most likely the block was
             * preempted (its time is wall time). Ignore up to HIGH_STREAK
             * such blocks in a row; more in a row is a real change, and
             * then the clamped sample counts. */
            if (++iv->high_streak < HIGH_STREAK)
                return;
            sample = c * CLAMP;
        } else {
            iv->high_streak = 0;
            if (sample < c / CLAMP)
                sample = c / CLAMP;
        }
        c += (sample - c) * (sample > c ? UP_WEIGHT : DOWN_WEIGHT);
    }
    iv->cost_ns = c;
    uint64_t k;
    int r = coord_interval_choose(c, iv->check_ns, iv->budget, iv->target_ns,
                                  &k);
    if (r < 0)
        return;
    /* The first blocks' average is one raw sample (a preempted first block
     * looks like a huge iteration cost): conflicts count after them. */
    if (r == 1 && iv->blocks > WARMUP_BLOCKS)
        iv->conflicts++;
    /* Grow gradually: the average of the first blocks is still rough.
     * (Compared as k > every * GROWTH: k / GROWTH > every, in integers,
     * let K = 1 become 7, 2 become 11.) every <= COORD_INTERVAL_MAX, so
     * the product cannot wrap. */
    if (k > iv->every * GROWTH)
        k = iv->every * GROWTH;
    if (k != iv->every) {
        iv->every = k;
        iv->retunes++;
    }
}
