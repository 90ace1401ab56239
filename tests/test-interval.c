/* SPDX-License-Identifier: MIT */
/* test-interval.c: the check-interval rule, its tuner under drift and noise, fixed and never modes. */
#include <math.h>

#include "harness.h"

TEST(interval_choose_formula)
{
    uint64_t k;
    /* Cheap iteration, 2 ns, check 20 ns: the budget decides.
     * K_lo = ceil(2 * 20 / (0.01 * 2)) = 2000, K_hi = 100000 / 2. */
    ASSERT_EQ(coord_interval_choose(2, 20, 0.01, 100000, &k), 0);
    ASSERT_EQ_U(k, 2000);
    /* Heavy iteration, 10 µs: every iteration is cheap enough to check;
     * latency allows 10. The smallest K in budget is 1. */
    ASSERT_EQ(coord_interval_choose(10000, 20, 0.01, 100000, &k), 0);
    ASSERT_EQ_U(k, 1);
    /* Conflict: 1 ns iterations, 1 µs target: K_lo = 4000 > K_hi = 1000;
     * latency wins. */
    ASSERT_EQ(coord_interval_choose(1, 20, 0.01, 1000, &k), 1);
    ASSERT_EQ_U(k, 1000);
    /* An iteration longer than the target: K = 1, flagged. */
    ASSERT_EQ(coord_interval_choose(200000, 20, 0.01, 100000, &k), 1);
    ASSERT_EQ_U(k, 1);
    /* A looser budget allows a smaller K. */
    ASSERT_EQ(coord_interval_choose(2, 20, 0.10, 100000, &k), 0);
    ASSERT_EQ_U(k, 200);
    /* Absurdly cheap iterations: clamped. */
    ASSERT_EQ(coord_interval_choose(1e-9, 20, 0.01, 1e18, &k), 0);
    ASSERT_EQ_U(k, COORD_INTERVAL_MAX);
    ASSERT_CODE(coord_interval_choose(0, 20, 0.01, 1000, &k), COORD_EINVAL);
    ASSERT_CODE(coord_interval_choose(1, 0, 0.01, 1000, &k), COORD_EINVAL);
    ASSERT_CODE(coord_interval_choose(1, 20, 0, 1000, &k), COORD_EINVAL);
    ASSERT_CODE(coord_interval_choose(1, 20, 1, 1000, &k), COORD_EINVAL);
    ASSERT_CODE(coord_interval_choose(1, 20, 0.01, 0, &k), COORD_EINVAL);
    ASSERT_CODE(coord_interval_choose(NAN, 20, 0.01, 10, &k), COORD_EINVAL);
    ASSERT_CODE(coord_interval_choose(1, 20, 0.01, INFINITY, &k),
                COORD_EINVAL);
    ASSERT_CODE(coord_interval_choose(1, 20, 0.01, 1000, NULL), COORD_EINVAL);
}

/* Drive the tuner with synthetic blocks of a known cost. */
static void feed_cost(coord_interval *iv, double cost, int blocks)
{
    for (int b = 0; b < blocks; b++) {
        uint64_t k = iv->every;
        uint64_t dt = (uint64_t)llround((double)k * cost + iv->check_ns);
        coord_interval_feed(iv, dt, k);
    }
}

static void expect_near(uint64_t got, uint64_t want)
{
    /* Within 10 %: the average converges geometrically. */
    double r = (double)got / (double)want;
    if (r < 0.9 || r > 1.1)
        test__fail(__FILE__, __LINE__, "K %llu, want about %llu",
                   (unsigned long long)got, (unsigned long long)want);
}

TEST(interval_auto_converges)
{
    coord_interval iv;
    ASSERT_OK(coord_interval_init(&iv, COORD_CHECK_AUTO, 0, 0));
    ASSERT_EQ_U(iv.every, COORD_INTERVAL_START);
    feed_cost(&iv, 5, 1);
    double h = iv.check_ns;
    ASSERT_TRUE(h > 0);
    feed_cost(&iv, 5, 40);
    uint64_t want;
    ASSERT_EQ(coord_interval_choose(5, h, 0.01, 100000, &want), 0);
    expect_near(iv.every, want);
    ASSERT_TRUE(fabs(iv.cost_ns - 5) < 0.5);
    ASSERT_EQ_U(iv.conflicts, 0);
    ASSERT_GT(iv.retunes, 0);
    /* The block length it aims at is about 2h / budget whatever c is. */
    ASSERT_TRUE(fabs((double)iv.every * 5 - 2 * h / 0.01) < 0.1 * 2 * h / 0.01);
}

TEST(interval_retunes_on_drift)
{
    coord_interval iv;
    ASSERT_OK(coord_interval_init(&iv, COORD_CHECK_AUTO, 0.01, 100000));
    feed_cost(&iv, 2, 50);
    uint64_t cheap = iv.every;
    /* Iterations get 250x slower (primality tests of bigger n): K must
     * follow down within a few dozen blocks. */
    feed_cost(&iv, 500, 60);
    uint64_t want;
    coord_interval_choose(500, iv.check_ns, 0.01, 100000, &want);
    expect_near(iv.every, want);
    ASSERT_LT(iv.every, cheap);
    /* And back up when they get cheap again. */
    feed_cost(&iv, 2, 80);
    expect_near(iv.every, cheap);
}

TEST(interval_outlier_is_damped)
{
    coord_interval iv;
    ASSERT_OK(coord_interval_init(&iv, COORD_CHECK_AUTO, 0, 0));
    feed_cost(&iv, 3, 50);
    uint64_t before = iv.every;
    /* Two blocks preempted for 10 ms each: taken for preemption, ignored. */
    coord_interval_feed(&iv, 10000000, iv.every);
    coord_interval_feed(&iv, 10000000, iv.every);
    ASSERT_EQ_U(iv.every, before);
    feed_cost(&iv, 3, 1);
    /* Three in a row count, clamped: the average moves by at most
     * (1 + 3 * 1/4) = 1.75x, so K shrinks by at most that. */
    for (int i = 0; i < 3; i++)
        coord_interval_feed(&iv, 10000000, iv.every);
    ASSERT_LT(iv.every, before);
    ASSERT_GE(iv.every * 2, before);
    feed_cost(&iv, 3, 40);
    expect_near(iv.every, before);
}

TEST(interval_preempted_first_block)
{
    coord_interval iv;
    ASSERT_OK(coord_interval_init(&iv, COORD_CHECK_AUTO, 0, 0));
    /* The very first block was preempted for 2 ms: 16 iterations seem to
     * cost 125 us each. The next ones (5 us) replace it at once. */
    coord_interval_feed(&iv, 2000000, iv.every);
    ASSERT_TRUE(iv.cost_ns > 100000);
    feed_cost(&iv, 5000, 2);
    ASSERT_TRUE(fabs(iv.cost_ns - 5000) < 50);
    feed_cost(&iv, 5000, 20);
    ASSERT_EQ_U(iv.conflicts, 0);
    uint64_t want;
    ASSERT_EQ(coord_interval_choose(5000, iv.check_ns, 0.01, 100000, &want),
              0);
    ASSERT_EQ_U(iv.every, want);
}

/* K grows at most GROWTH = 4x a block (interval.h): a cost whose K_lo is
 * 4K + 3 gives 4K, not 4K + 3 (K = 1 became 7: k / 4 > K in integers). */
TEST(interval_growth_at_most_4x)
{
    for (uint64_t start = 1; start <= 64; start *= 2) {
        coord_interval iv;
        ASSERT_OK(coord_interval_init(&iv, COORD_CHECK_AUTO, 0.01, 100000));
        iv.check_ns = 10; /* known h: K_lo = ceil(2000 / c) */
        iv.every = start;
        double want = 4.0 * (double)start + 3;
        double c = 2000.0 / (want - 0.5);
        coord_interval_feed(&iv, (uint64_t)llround(c * (double)start + 10),
                            start);
        uint64_t k;
        ASSERT_EQ(coord_interval_choose(iv.cost_ns, 10, 0.01, 100000, &k), 0);
        ASSERT_GT(k, start * 4); /* the rule alone would grow more */
        ASSERT_EQ_U(iv.every, start * 4);
    }
}

TEST(interval_latency_wins_and_says_so)
{
    coord_interval iv;
    /* A 1 µs latency target with 2 ns iterations and a 0.1 % budget:
     * the budget needs K >= 2h/(0.001*2) = 1000h, the target allows 500. */
    ASSERT_OK(coord_interval_init(&iv, COORD_CHECK_AUTO, 0.001, 1000));
    feed_cost(&iv, 2, 60);
    ASSERT_GT(iv.conflicts, 0);
    expect_near(iv.every, 500);
    /* Iterations longer than the target: K = 1. */
    ASSERT_OK(coord_interval_init(&iv, COORD_CHECK_AUTO, 0, 1000));
    feed_cost(&iv, 5000, 30);
    ASSERT_EQ_U(iv.every, 1);
    ASSERT_GT(iv.conflicts, 0);
}

TEST(interval_fixed_and_never)
{
    coord_interval iv;
    ASSERT_OK(coord_interval_init(&iv, 100, 0, 0));
    feed_cost(&iv, 1000, 10);
    ASSERT_EQ_U(iv.every, 100);
    ASSERT_EQ_U(iv.retunes, 0);
    ASSERT_EQ_U(iv.blocks, 10);
    ASSERT_EQ_U(coord_interval_begin(&iv), 100);
    coord_interval_end(&iv, 100);
    ASSERT_EQ_U(iv.blocks, 11);
    ASSERT_OK(coord_interval_init(&iv, COORD_CHECK_NEVER, 0, 0));
    ASSERT_EQ_U(iv.every, UINT64_MAX);
    ASSERT_CODE(coord_interval_init(&iv, 0, 0, 0), COORD_EINVAL);
    ASSERT_CODE(coord_interval_init(NULL, 10, 0, 0), COORD_EINVAL);
    ASSERT_CODE(coord_interval_init(&iv, COORD_CHECK_AUTO, 1.0, 0),
                COORD_EINVAL);
    ASSERT_CODE(coord_interval_init(&iv, COORD_CHECK_AUTO, -0.5, 0),
                COORD_EINVAL);
    ASSERT_CODE(coord_interval_init(&iv, COORD_CHECK_AUTO, NAN, 0),
                COORD_EINVAL);
    coord_interval_feed(NULL, 1, 1);
    coord_interval_restart(NULL);
    ASSERT_TRUE(coord_interval_check_ns() > 0);
}

/* A real loop on the real clock: it runs, measures a positive cost and
 * moves K away from its start; no assertion on speed. */
TEST(interval_real_loop)
{
    coord_interval iv;
    ASSERT_OK(coord_interval_init(&iv, COORD_CHECK_AUTO, 0, 0));
    volatile uint64_t x = 1;
    uint64_t total = 0, t_end = coord_clock_ns() + 20000000ull;
    while (coord_clock_ns() < t_end) {
        uint64_t k = coord_interval_begin(&iv);
        for (uint64_t i = 0; i < k; i++)
            x = x * 6364136223846793005ull + 1;
        coord_interval_end(&iv, k);
        total += k;
    }
    ASSERT_GT(iv.blocks, 1);
    ASSERT_TRUE(iv.cost_ns > 0);
    ASSERT_GT(total, 0);
    ASSERT_GE(iv.every, 1);
}

TEST(interval_zero_value_means_defaults)
{
    /* The documented loop with a zeroed interval (no init): it must make
     * progress from the first block, as an automatic interval. */
    coord_interval iv, ref;
    memset(&iv, 0, sizeof iv);
    const uint64_t want = 100000;
    uint64_t done = 0, blocks = 0;
    while (done < want && blocks < want) {
        uint64_t k = coord_interval_begin(&iv);
        ASSERT_GT(k, 0);
        uint64_t n = k < want - done ? k : want - done;
        for (volatile uint64_t i = 0; i < n; i++)
            ;
        done += n;
        coord_interval_end(&iv, n);
        blocks++;
    }
    ASSERT_EQ_U(done, want);
    ASSERT_EQ_U(iv.blocks, blocks);
    ASSERT_OK(coord_interval_init(&ref, COORD_CHECK_AUTO, 0, 0));
    ASSERT_EQ(iv.mode, ref.mode);
    ASSERT_EQ_F(iv.budget, COORD_INTERVAL_BUDGET);
    ASSERT_EQ_F(iv.target_ns, (double)COORD_INTERVAL_TARGET_NS);
    /* An initialised interval is left as it is. */
    ASSERT_OK(coord_interval_init(&iv, 7, 0, 0));
    ASSERT_EQ_U(coord_interval_begin(&iv), 7);
}

#define TEST_LIST(X)                                                           \
    X(interval_choose_formula)                                                 \
    X(interval_auto_converges)                                                 \
    X(interval_retunes_on_drift)                                               \
    X(interval_outlier_is_damped)                                              \
    X(interval_preempted_first_block)                                          \
    X(interval_growth_at_most_4x)                                              \
    X(interval_latency_wins_and_says_so)                                       \
    X(interval_fixed_and_never)                                                \
    X(interval_real_loop)                                                      \
    X(interval_zero_value_means_defaults)
#define HELPER_LIST(X)
TEST_MAIN()
