/* SPDX-License-Identifier: MIT */
/* test-wait.c: the one wait policy (src/wait.h): the load gate and its spinset, backoff, calm decay, the futex sleep across processes. */
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"
#include "manager_spin.h"
#include "wait.h"

/* A spinner whose CPU sampling is switched off (as if no CPU were taken),
 * so that the backoff can be tested on a machine of any load. */
static struct coord__spinner unsampled(void)
{
    struct coord__spinner s = {0};
    s.nogate = true;
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

static bool cpus_taken(void)
{
    int cpus;
    return coord__cpus_runnable(&cpus) > cpus;
}

/* One busy process per online CPU, and us: more runnable tasks than CPUs,
 * so every CPU is taken (waits until the load shows it). */
struct busy {
    _Atomic int *stop;
    int n;
    pid_t pids[64];
};

static void busy_start(struct busy *b)
{
    b->stop = mmap(NULL, sizeof *b->stop, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(b->stop != MAP_FAILED);
    atomic_store(b->stop, 0);
    b->n = online_cpus();
    ASSERT_LE(b->n, 64);
    for (int i = 0; i < b->n; i++)
        b->pids[i] = test_fork(busy_child, b->stop);
    WAIT_FOR(cpus_taken(), 20000);
}

static void busy_stop(struct busy *b)
{
    atomic_store(b->stop, 1);
    for (int i = 0; i < b->n; i++)
        test_join_ok(b->pids[i], 30000);
    munmap(b->stop, sizeof *b->stop);
}

TEST(spin_cpus_taken_reads_the_load)
{
    int cpus = 0;
    int r = coord__cpus_runnable(&cpus);
    if (r < 0)
        SKIP("no /proc/loadavg");
    ASSERT_GE(r, 1); /* we are running */
    ASSERT_EQ(cpus, online_cpus());
    /* One busy process per online CPU, and us: more runnable tasks than
     * CPUs, so every CPU is taken, and no spin may start. */
    struct busy b;
    busy_start(&b);
    /* Every sample, 1.5 ms apart (so each one looks again), sees it. */
    struct coord__spinner s = {0};
    for (int i = 0; i < 10; i++) {
        ASSERT_FALSE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
        ASSERT_TRUE(s.taken);
        usleep(1500);
    }
    busy_stop(&b);
}

TEST(spin_slow_step_backs_off)
{
    struct coord__spinner s = unsampled();
    ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
    ASSERT_TRUE(coord__spin_step(&s)); /* a fast step */
    usleep(1000);                      /* we "lose the CPU" for 1 ms */
    ASSERT_FALSE(coord__spin_step(&s));
    ASSERT_EQ(s.level, COORD__SPIN_BACKOFF_FIRST);
    for (unsigned i = 0; i < COORD__SPIN_BACKOFF_FIRST; i++)
        ASSERT_FALSE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
    ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
    /* Each further slow step multiplies the backoff by 4, up to the cap. */
    unsigned want[] = {4 * COORD__SPIN_BACKOFF_FIRST,
                       COORD__SPIN_BACKOFF_MAX, COORD__SPIN_BACKOFF_MAX};
    for (int k = 0; k < 3; k++) {
        s.last -= COORD__SLOW_STEP_NS; /* as if 200 µs had passed */
        ASSERT_FALSE(coord__spin_step(&s));
        ASSERT_EQ(s.level, want[k]);
        ASSERT_EQ(s.skip, want[k]);
        s.skip = 0;
        ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
    }
}

TEST(spin_calm_halves_the_backoff)
{
    struct coord__spinner s = unsampled();
    s.level = COORD__SPIN_BACKOFF_MAX;
    s.slow_at = coord_clock_ns() - 3ull * COORD__SPIN_CALM_NS - 1000;
    ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
    ASSERT_EQ(s.level, COORD__SPIN_BACKOFF_MAX >> 3);
    /* A slow step from a level that calm has halved: times 4 again. */
    s.last -= COORD__SLOW_STEP_NS;
    ASSERT_FALSE(coord__spin_step(&s));
    ASSERT_EQ(s.level, 4 * (COORD__SPIN_BACKOFF_MAX >> 3));
    s.skip = 0;
    /* Calm long enough to halve it below the first level: a slow step
     * then starts again at the first level, not below it. */
    s.slow_at = coord_clock_ns() - 9ull * COORD__SPIN_CALM_NS - 1000;
    ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
    ASSERT_EQ(s.level, 1);
    s.last -= COORD__SLOW_STEP_NS;
    ASSERT_FALSE(coord__spin_step(&s));
    ASSERT_EQ(s.level, COORD__SPIN_BACKOFF_FIRST);
    ASSERT_EQ(s.skip, COORD__SPIN_BACKOFF_FIRST);
    s.skip = 0;
    s.slow_at = coord_clock_ns() - 40ull * COORD__SPIN_CALM_NS;
    ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
    ASSERT_EQ(s.level, 0);
}

TEST(spin_yields_once_after_its_solo_time)
{
    struct coord__spinner s = unsampled();
    ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
    ASSERT_TRUE(coord__spin_step(&s));
    ASSERT_FALSE(s.yielded); /* within the solo time */
    s.start -= COORD__SPIN_SOLO_NS;
    ASSERT_TRUE(coord__spin_step(&s));
    ASSERT_TRUE(s.yielded);
    ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS)); /* a new spin: solo again */
    ASSERT_FALSE(s.yielded);
}

TEST(wait_spinset_counts_open_windows_only)
{
    struct coord__spinset *set = mmap(NULL, sizeof *set, PROT_READ |
                                      PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                                      -1, 0);
    ASSERT_TRUE(set != MAP_FAILED);
    uint64_t now = coord_clock_ns();
    ASSERT_EQ(coord__spinset_count(set, now), 0);
    /* A spin announces itself in its pid's slot and leaves it at the end. */
    struct coord__spinner s = unsampled();
    coord__spinner_join(&s, set);
    ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_MAX_NS));
    ASSERT_EQ(coord__spinset_count(set, coord_clock_ns()), 1);
    ASSERT_EQ(s.slot, (uint32_t)getpid() % COORD__SPINSET_SLOTS + 1);
    coord__spin_end(&s);
    ASSERT_EQ(coord__spinset_count(set, coord_clock_ns()), 0);
    /* A spinner killed in its spin stops counting when its window ends. */
    atomic_store(&set->slot[3].until, now + 1000);
    atomic_store(&set->slot[7].until, now - 1);
    ASSERT_EQ(coord__spinset_count(set, now), 1);
    ASSERT_EQ(coord__spinset_count(set, now + 1000), 0);
    munmap(set, sizeof *set);
}

TEST(wait_gate_discounts_the_objects_spinners)
{
    int cpus;
    if (coord__cpus_runnable(&cpus) < 0)
        SKIP("no /proc/loadavg");
    struct coord__spinset *set = mmap(NULL, sizeof *set, PROT_READ |
                                      PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                                      -1, 0);
    ASSERT_TRUE(set != MAP_FAILED);
    /* Busy processes that announce themselves as spinners on the object
     * (as waiting parties of one search do): they are not load for it. A
     * spinner of another object (no set) sees them as load. */
    struct busy b;
    busy_start(&b);
    /* Every slot open: the object's spinners are all the load there is
     * (on any machine with fewer than 64 other runnable tasks). */
    uint64_t far = coord_clock_ns() + 60000000000ull;
    for (unsigned i = 0; i < COORD__SPINSET_SLOTS; i++)
        atomic_store(&set->slot[i].until, far);
    struct coord__spinner mine = {0}, other = {0};
    coord__spinner_join(&mine, set);
    uint64_t t = coord_clock_ns() + 2ull * COORD__SPIN_SAMPLE_NS;
    bool taken_other = coord__spin_gate_taken(&other, t);
    bool taken_mine = coord__spin_gate_taken(&mine, t);
    busy_stop(&b);
    ASSERT_TRUE(taken_other);
    ASSERT_FALSE(taken_mine);
    munmap(set, sizeof *set);
}

struct shared_word {
    _Atomic uint32_t word, sleepers;
};

static int sleeper_child(void *arg)
{
    struct shared_word *w = arg;
    struct coord__spinner s = {0};
    uint32_t v = 0;
    /* No spin: straight to the futex; 30 s bounds a broken test. */
    int rc = coord__wait_change(&s, 0, &w->word, 0, &w->sleepers,
                                coord_clock_ns() + 30000000000ull, &v);
    return rc == 0 && v == 7 ? 0 : 1;
}

TEST(wait_change_sleeps_until_woken_by_another_process)
{
    struct shared_word *w = mmap(NULL, sizeof *w, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(w != MAP_FAILED);
    atomic_store(&w->word, 0);
    atomic_store(&w->sleepers, 0);
    pid_t pid = test_fork(sleeper_child, w);
    WAIT_FOR(atomic_load(&w->sleepers) == 1, 20000); /* it sleeps */
    atomic_store_explicit(&w->word, 7, memory_order_seq_cst);
    coord__wake(&w->word, &w->sleepers, INT32_MAX);
    test_join_ok(pid, 30000);
    ASSERT_EQ(atomic_load(&w->sleepers), 0);
    munmap(w, sizeof *w);
}

TEST(wait_change_ends_at_its_deadline)
{
    _Atomic uint32_t word = 5, sleepers = 0;
    struct coord__spinner s = unsampled();
    uint32_t v = 0;
    uint64_t t0 = coord_clock_ns();
    ASSERT_CODE(coord__wait_change(&s, COORD__SPIN_DEFAULT_NS, &word, 5,
                                   &sleepers, t0 + 20000000ull, &v),
                COORD_ETIMEDOUT);
    ASSERT_EQ(v, 5);
    ASSERT_GE(coord_clock_ns(), t0 + 20000000ull);
    ASSERT_EQ(atomic_load(&sleepers), 0);
    /* A word that has already changed returns at once, with its value. */
    ASSERT_OK(coord__wait_change(&s, COORD__SPIN_DEFAULT_NS, &word, 4,
                                 &sleepers, t0, &v));
    ASSERT_EQ(v, 5);
}

/* The manager's server and its clients share one spinset, named after
 * the socket's inode; it exists while the server serves and is gone (no
 * file left in /dev/shm) once the manager has stopped. */
TEST(wait_manager_shares_its_spinset)
{
    coord_manager *m;
    ASSERT_OK(coord_manager_start(&m, NULL, NULL));
    const char *path = coord_manager_path(m);
    struct stat st;
    ASSERT_EQ(lstat(path, &st), 0);
    char shm[128];
    snprintf(shm, sizeof shm, "/dev/shm/coord.mspin-%llx-%llx",
             (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    struct coord__spinset *set = NULL;
    WAIT_FOR((set = coord__mspin_open(path)) != NULL, 20000);
    coord_mclient *c;
    ASSERT_OK(coord_mclient_connect(&c, path, 10000));
    coord_mval v;
    ASSERT_CODE(coord_mclient_get(c, "d", "k", &v, 10000), COORD_ENOTFOUND);
    /* A spin announced by one party is seen by the others. */
    struct coord__spinner s = unsampled();
    coord__spinner_join(&s, set);
    uint32_t before = coord__spinset_count(set, coord_clock_ns());
    ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_MAX_NS));
    ASSERT_GE(coord__spinset_count(set, coord_clock_ns()), 1);
    coord__spin_end(&s);
    ASSERT_LE(coord__spinset_count(set, coord_clock_ns()), before + 1);
    coord_mclient_close(c);
    coord__mspin_close(set, false);
    ASSERT_EQ(access(shm, F_OK), 0);
    ASSERT_OK(coord_manager_stop(m, 10000));
    ASSERT_NE(access(shm, F_OK), 0);
    /* No manager at a path: no spinset, nothing made. */
    ASSERT_TRUE(coord__mspin_open("/nonexistent/coord.sock") == NULL);
}

#define TEST_LIST(X)                                                           \
    X(spin_cpus_taken_reads_the_load)                                          \
    X(spin_slow_step_backs_off)                                                \
    X(spin_calm_halves_the_backoff)                                            \
    X(spin_yields_once_after_its_solo_time)                                    \
    X(wait_spinset_counts_open_windows_only)                                   \
    X(wait_gate_discounts_the_objects_spinners)                                \
    X(wait_change_sleeps_until_woken_by_another_process)                       \
    X(wait_change_ends_at_its_deadline)                                        \
    X(wait_manager_shares_its_spinset)
#define HELPER_LIST(X)
TEST_MAIN()
