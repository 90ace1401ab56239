/* SPDX-License-Identifier: MIT */
/* test-spin.c: the polite spinner (src/spin.h): no spin while every CPU is taken, backoff after a slow step, calm decay. */
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "harness.h"
#include "spin.h"

/* A spinner whose CPU sampling is switched off (as if no CPU were taken),
 * so that the backoff can be tested on a machine of any load. */
static struct coord__spinner unsampled(void)
{
    struct coord__spinner s = {0};
    s.sample_at = UINT64_MAX;
    return s;
}

static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    ASSERT_TRUE(n > 0);
    return (int)n;
}

/* Busy until *stop (or 30 s: never outlives a broken test). */
static int busy_child(void *arg)
{
    _Atomic int *stop = arg;
    uint64_t end = coord_clock_ns() + 30000000000ull;
    while (!atomic_load_explicit(stop, memory_order_relaxed) &&
           coord_clock_ns() < end) {
    }
    return 0;
}

TEST(spin_cpus_taken_reads_the_load)
{
    int r = coord__cpus_taken();
    if (r < 0)
        SKIP("no /proc/loadavg");
    ASSERT_TRUE(r == 0 || r == 1);
    /* One busy process per online CPU, and us: more runnable tasks than
     * CPUs, so every CPU is taken, and no spin may start. */
    _Atomic int *stop = mmap(NULL, sizeof *stop, PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(stop != MAP_FAILED);
    atomic_store(stop, 0);
    int n = online_cpus();
    pid_t pids[64];
    ASSERT_LE(n, 64);
    for (int i = 0; i < n; i++)
        pids[i] = test_fork(busy_child, stop);
    WAIT_FOR(coord__cpus_taken() == 1, 20000);
    /* Every sample, 1.5 ms apart (so each one looks again), sees it. */
    struct coord__spinner s = {0};
    for (int i = 0; i < 10; i++) {
        ASSERT_FALSE(coord__spin_allowed(&s));
        ASSERT_TRUE(s.taken);
        usleep(1500);
    }
    atomic_store(stop, 1);
    for (int i = 0; i < n; i++)
        test_join_ok(pids[i], 30000);
    munmap(stop, sizeof *stop);
}

TEST(spin_slow_step_backs_off)
{
    struct coord__spinner s = unsampled();
    ASSERT_TRUE(coord__spin_allowed(&s));
    ASSERT_TRUE(coord__spin_step(&s)); /* a fast step */
    usleep(1000);                      /* we "lose the CPU" for 1 ms */
    ASSERT_FALSE(coord__spin_step(&s));
    ASSERT_EQ(s.level, COORD__SPIN_BACKOFF_FIRST);
    for (unsigned i = 0; i < COORD__SPIN_BACKOFF_FIRST; i++)
        ASSERT_FALSE(coord__spin_allowed(&s));
    ASSERT_TRUE(coord__spin_allowed(&s));
    /* Each further slow step multiplies the backoff by 4, up to the cap. */
    unsigned want[] = {4 * COORD__SPIN_BACKOFF_FIRST,
                       COORD__SPIN_BACKOFF_MAX, COORD__SPIN_BACKOFF_MAX};
    for (int k = 0; k < 3; k++) {
        s.last -= COORD__SLOW_STEP_NS; /* as if 200 µs had passed */
        ASSERT_FALSE(coord__spin_step(&s));
        ASSERT_EQ(s.level, want[k]);
        ASSERT_EQ(s.skip, want[k]);
        s.skip = 0;
        ASSERT_TRUE(coord__spin_allowed(&s));
    }
}

TEST(spin_calm_halves_the_backoff)
{
    struct coord__spinner s = unsampled();
    s.level = COORD__SPIN_BACKOFF_MAX;
    s.slow_at = coord_clock_ns() - 3ull * COORD__SPIN_CALM_NS - 1000;
    ASSERT_TRUE(coord__spin_allowed(&s));
    ASSERT_EQ(s.level, COORD__SPIN_BACKOFF_MAX >> 3);
    /* A slow step from a level that calm has halved: times 4 again. */
    s.last -= COORD__SLOW_STEP_NS;
    ASSERT_FALSE(coord__spin_step(&s));
    ASSERT_EQ(s.level, 4 * (COORD__SPIN_BACKOFF_MAX >> 3));
    s.skip = 0;
    /* Calm long enough to halve it below the first level: a slow step
     * then starts again at the first level, not below it. */
    s.slow_at = coord_clock_ns() - 9ull * COORD__SPIN_CALM_NS - 1000;
    ASSERT_TRUE(coord__spin_allowed(&s));
    ASSERT_EQ(s.level, 1);
    s.last -= COORD__SLOW_STEP_NS;
    ASSERT_FALSE(coord__spin_step(&s));
    ASSERT_EQ(s.level, COORD__SPIN_BACKOFF_FIRST);
    ASSERT_EQ(s.skip, COORD__SPIN_BACKOFF_FIRST);
    s.skip = 0;
    s.slow_at = coord_clock_ns() - 40ull * COORD__SPIN_CALM_NS;
    ASSERT_TRUE(coord__spin_allowed(&s));
    ASSERT_EQ(s.level, 0);
}

TEST(spin_yields_once_after_its_solo_time)
{
    struct coord__spinner s = unsampled();
    ASSERT_TRUE(coord__spin_allowed(&s));
    ASSERT_TRUE(coord__spin_step(&s));
    ASSERT_FALSE(s.yielded); /* within the solo time */
    s.start -= COORD__SPIN_SOLO_NS;
    ASSERT_TRUE(coord__spin_step(&s));
    ASSERT_TRUE(s.yielded);
    ASSERT_TRUE(coord__spin_allowed(&s)); /* a new spin: solo again */
    ASSERT_FALSE(s.yielded);
}

#define TEST_LIST(X)                                                           \
    X(spin_cpus_taken_reads_the_load)                                          \
    X(spin_slow_step_backs_off)                                                \
    X(spin_calm_halves_the_backoff)                                            \
    X(spin_yields_once_after_its_solo_time)
#define HELPER_LIST(X)
TEST_MAIN()
