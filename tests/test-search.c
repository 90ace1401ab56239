/* SPDX-License-Identifier: MIT */
/* test-search.c: coord_search across real forked workers: one result, bounds on waste, crashes. */
#include <limits.h>
#include <pthread.h>
#include <stdalign.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "harness.h"
#include "loop.h"

/* A probe whose hits are a small set of indexes. */
struct hits {
    uint64_t idx[4];
    int n;
    uint32_t spin; /* extra work per probe, in loop turns */
};

struct res {
    uint64_t index;
    uint64_t check; /* index * 3 + 7: proves the winner's probe filled it */
};

static bool probe_hits(uint64_t i, void *result, void *arg)
{
    const struct hits *h = arg;
    volatile uint32_t x = 0;
    for (uint32_t k = 0; k < h->spin; k++)
        x += k;
    (void)x; /* read: clang warns of a variable only ever set */
    for (int k = 0; k < h->n; k++) {
        if (h->idx[k] == i) {
            struct res *r = result;
            r->index = i;
            r->check = i * 3 + 7;
            return true;
        }
    }
    return false;
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    return test_rand(&rng_state);
}

/* The lecture's setting: `workers` workers each own one contiguous block
 * of [0, end) (COORD_PARTITION_BLOCKS), with their own counts in pw (NULL:
 * none); the other options are the defaults (check_every auto, early
 * exit). A test sets what it varies on top. */
static coord_search_opts blocks_of(uint32_t workers, uint64_t end,
                                   coord_search_worker *pw)
{
    coord_search_opts o = COORD_SEARCH_OPTS_INIT;
    o.workers = workers;
    o.begin = 0;
    o.end = end;
    o.partition = COORD_PARTITION_BLOCKS;
    o.per_worker = pw;
    return o;
}

static int count_outcome(const coord_search_worker *pw, uint32_t n,
                         coord_search_outcome o)
{
    int c = 0;
    for (uint32_t i = 0; i < n; i++)
        c += pw[i].outcome == o;
    return c;
}

TEST(search_thousand_random_hits_one_result)
{
    static const uint64_t intervals[] = {1, 7, 64, 1000, COORD_CHECK_AUTO};
    coord_search_worker pw[4];
    rng_state ^= (uint64_t)getpid();
    for (int s = 0; s < 1000; s++) {
        coord_search_opts o = COORD_SEARCH_OPTS_INIT;
        o.workers = 1 + (uint32_t)(rnd() % 4);
        o.begin = rnd() % 1000;
        o.end = o.begin + 1 + rnd() % 5000;
        o.check_every = intervals[rnd() % 5];
        o.claim = rnd() % 2 ? COORD_CLAIM_LOCK : COORD_CLAIM_CAS;
        o.partition = rnd() % 2 ? COORD_PARTITION_BLOCKS
                                : COORD_PARTITION_INTERLEAVED;
        o.chunk = rnd() % 3 ? 0 : 1 + rnd() % 50;
        o.per_worker = pw;
        struct hits h = {.n = 1 + (int)(rnd() % 4)};
        uint64_t len = o.end - o.begin;
        for (int k = 0; k < h.n; k++)
            h.idx[k] = o.begin + rnd() % len;
        struct res r = {0};
        coord_search_stats st;
        int rc = coord_search(&o, probe_hits, &h, &r, sizeof r, &st);
        if (rc != 1)
            test__fail(__FILE__, __LINE__, "search %d: rc %d (%s)", s, rc,
                       coord_err_name(rc));
        bool listed = false;
        for (int k = 0; k < h.n; k++)
            listed |= h.idx[k] == st.index;
        ASSERT_TRUE(listed);
        ASSERT_EQ_U(r.index, st.index);
        ASSERT_EQ_U(r.check, st.index * 3 + 7);
        ASSERT_GE(st.winner, 0);
        ASSERT_LT(st.winner, (int64_t)st.workers);
        ASSERT_EQ(count_outcome(pw, st.workers, COORD_OUTCOME_WON), 1);
        ASSERT_EQ(pw[st.winner].outcome, COORD_OUTCOME_WON);
        ASSERT_EQ(count_outcome(pw, st.workers, COORD_OUTCOME_CRASHED), 0);
        ASSERT_LE(st.iterations, len);
        ASSERT_EQ(st.failed_worker, -1);
    }
}

TEST(search_not_found)
{
    coord_search_opts o = COORD_SEARCH_OPTS_INIT;
    o.workers = 3;
    o.begin = 100;
    o.end = 100100;
    struct hits h = {.n = 1, .idx = {5}}; /* outside the range */
    struct res r = {42, 42};
    coord_search_stats st;
    ASSERT_EQ(coord_search(&o, probe_hits, &h, &r, sizeof r, &st), 0);
    ASSERT_EQ(st.winner, -1);
    ASSERT_EQ_U(st.iterations, 100000);
    ASSERT_EQ_U(st.wasted, 0);
    ASSERT_EQ_U(st.stop_latency_ns, 0);
    ASSERT_EQ_U(r.index, 42); /* untouched when nothing was found */
    ASSERT_GT(st.check_every, 0);
    ASSERT_GT(st.wall_ns, 0);
}

TEST(search_first_and_last_index)
{
    for (int part = 0; part < 2; part++) {
        for (int which = 0; which < 2; which++) {
            coord_search_opts o = COORD_SEARCH_OPTS_INIT;
            o.workers = 4;
            o.begin = 1000;
            o.end = 51000;
            o.check_every = 16;
            o.partition = (coord_partition)part;
            struct hits h = {.n = 1, .idx = {which ? o.end - 1 : o.begin}};
            struct res r;
            coord_search_stats st;
            ASSERT_EQ(coord_search(&o, probe_hits, &h, &r, sizeof r, &st), 1);
            ASSERT_EQ_U(st.index, h.idx[0]);
            ASSERT_EQ_U(r.check, h.idx[0] * 3 + 7);
        }
    }
    /* The whole range is one index. */
    coord_search_opts o = COORD_SEARCH_OPTS_INIT;
    o.workers = 2;
    o.begin = UINT64_MAX - 1;
    o.end = UINT64_MAX;
    struct hits h = {.n = 1, .idx = {UINT64_MAX - 1}};
    struct res r;
    coord_search_stats st;
    ASSERT_EQ(coord_search(&o, probe_hits, &h, &r, sizeof r, &st), 1);
    ASSERT_EQ_U(st.index, UINT64_MAX - 1);
    ASSERT_EQ(st.workers, 1);
}

TEST(search_range_smaller_than_workers)
{
    coord_search_worker pw[8];
    for (int part = 0; part < 2; part++) {
        coord_search_opts o = COORD_SEARCH_OPTS_INIT;
        o.workers = 8;
        o.begin = 10;
        o.end = 13;
        o.partition = (coord_partition)part;
        o.chunk = 1;
        o.per_worker = pw;
        struct hits h = {.n = 1, .idx = {12}};
        struct res r;
        coord_search_stats st;
        ASSERT_EQ(coord_search(&o, probe_hits, &h, &r, sizeof r, &st), 1);
        ASSERT_EQ_U(st.index, 12);
        ASSERT_EQ(st.workers, 3); /* no idle worker is forked */
        ASSERT_EQ(st.winner, 2);
        ASSERT_EQ(pw[7].iterations, 0);
        h.idx[0] = 99;
        ASSERT_EQ(coord_search(&o, probe_hits, &h, &r, sizeof r, &st), 0);
        ASSERT_EQ_U(st.iterations, 3);
    }
    /* With the default chunk (256) the interleaved deal has one chunk to
     * give: one worker, as docs/early-exit.md says. */
    coord_search_opts o = COORD_SEARCH_OPTS_INIT;
    o.workers = 8;
    o.begin = 10;
    o.end = 13;
    struct hits h = {.n = 1, .idx = {12}};
    struct res r;
    coord_search_stats st;
    ASSERT_EQ(coord_search(&o, probe_hits, &h, &r, sizeof r, &st), 1);
    ASSERT_EQ(st.workers, 1);
    ASSERT_EQ(st.winner, 0);
}

TEST(search_no_early_exit_iterates_all)
{
    coord_search_worker pw[4];
    coord_search_opts o = blocks_of(4, 400000, pw);
    o.early_exit = false;
    o.check_every = 100;
    /* No hit: every index is probed. */
    struct hits h = {.n = 1, .idx = {UINT64_MAX}};
    struct res r;
    coord_search_stats st;
    ASSERT_EQ(coord_search(&o, probe_hits, &h, &r, sizeof r, &st), 0);
    ASSERT_EQ_U(st.iterations, 400000);
    /* Slide 3: a hit at position 1,000 of worker 0's block. Worker 0
     * returns after it (as in the lecture); the other three run to the
     * end of their 100,000 anyway. */
    h.idx[0] = 1000;
    ASSERT_EQ(coord_search(&o, probe_hits, &h, &r, sizeof r, &st), 1);
    ASSERT_EQ(st.winner, 0);
    ASSERT_EQ_U(pw[0].iterations, 1001);
    for (int w = 1; w < 4; w++) {
        ASSERT_EQ_U(pw[w].iterations, 100000);
        ASSERT_EQ(pw[w].outcome, COORD_OUTCOME_FINISHED);
    }
    ASSERT_EQ_U(st.iterations, 301001);
    /* Wasted: what the others did after the claim; at most all of it. */
    ASSERT_LE(st.wasted, 300000);
    /* Never checking: the same iterations, and no flag loads at all. */
    o.check_every = COORD_CHECK_NEVER;
    ASSERT_EQ(coord_search(&o, probe_hits, &h, &r, sizeof r, &st), 1);
    ASSERT_EQ_U(st.iterations, 301001);
    ASSERT_EQ_U(st.checks, 0);
    ASSERT_TRUE(st.wasted_estimated);
    ASSERT_LE(st.wasted, 300000);
}

/* The lecture's bound: after the claim, each other worker finishes at most
 * the block it is in, so wasted <= (workers - 1) * interval. */
/* A probe of 1 ms: the automatic interval's first blocks must not run
 * past the latency target before it knows the cost (K started at 16: the
 * losers ran up to 16 ms, 11 probes, after the claim). */
static bool probe_slow_hit5(uint64_t i, void *result, void *arg)
{
    (void)arg;
    usleep(1000);
    if (i != 5)
        return false;
    memcpy(result, &i, sizeof i);
    return true;
}

TEST(search_auto_first_blocks_of_a_slow_probe_are_short)
{
    coord_search_worker pw[2];
    coord_search_opts o = blocks_of(2, 200, pw);
    o.check_every = COORD_CHECK_AUTO;
    uint64_t r = 0;
    coord_search_stats st;
    ASSERT_EQ(coord_search(&o, probe_slow_hit5, NULL, &r, sizeof r, &st), 1);
    ASSERT_EQ_U(r, 5);
    /* One probe in flight at the claim, and one more at most if the
     * claim lands between its flag check and its next block. */
    ASSERT_LE(pw[1].wasted, 2);
}

TEST(search_wasted_bounded_by_interval)
{
    static const uint64_t ks[] = {1, 10, 100, 1000};
    coord_search_worker pw[3];
    for (int i = 0; i < 4; i++) {
        coord_search_opts o = blocks_of(3, 3000000, pw);
        o.check_every = ks[i];
        struct hits h = {.n = 1, .idx = {20000}, .spin = 20};
        struct res r;
        coord_search_stats st;
        ASSERT_EQ(coord_search(&o, probe_hits, &h, &r, sizeof r, &st), 1);
        ASSERT_EQ(st.winner, 0);
        ASSERT_LE(st.wasted, 2 * ks[i]);
        for (int w = 1; w < 3; w++) {
            ASSERT_LE(pw[w].wasted, ks[i]);
            /* Each stopped at a check, or (if a loaded machine let it run
             * its whole share before the claim) finished. */
            ASSERT_TRUE(pw[w].outcome == COORD_OUTCOME_STOPPED ||
                        pw[w].outcome == COORD_OUTCOME_FINISHED);
        }
        ASSERT_EQ_U(st.check_every, ks[i]);
    }
    /* Auto: the bound is the workers' own final K, with slack for one
     * re-tune between the last block and the report. */
    coord_search_opts o = blocks_of(3, 3000000, pw);
    struct hits h = {.n = 1, .idx = {200000}, .spin = 20};
    struct res r;
    coord_search_stats st;
    ASSERT_EQ(coord_search(&o, probe_hits, &h, &r, sizeof r, &st), 1);
    for (int w = 1; w < 3; w++) {
        ASSERT_LE(pw[w].wasted, 4 * pw[w].every + 1);
        ASSERT_GT(pw[w].every, 0);
    }
    ASSERT_TRUE(st.iteration_ns > 0);
}

/* ---- crashes ------------------------------------------------------------ */

static bool probe_suicide(uint64_t i, void *result, void *arg)
{
    (void)result;
    uint64_t victim = *(const uint64_t *)arg;
    if (i == victim)
        raise(SIGKILL);
    return false;
}

TEST(search_worker_killed_reports_it)
{
    coord_search_worker pw[3];
    /* Far too long to finish: the others are killed. */
    coord_search_opts o = blocks_of(3, 300000000, pw);
    uint64_t victim = 100000000 + 5000; /* in worker 1's block */
    coord_search_stats st;
    uint64_t t0 = coord_clock_ns();
    ASSERT_CODE(coord_search(&o, probe_suicide, &victim, NULL, 0, &st),
                COORD_EPEERDIED);
    ASSERT_EQ(st.failed_worker, 1);
    ASSERT_TRUE(WIFSIGNALED(st.failed_status));
    ASSERT_EQ(WTERMSIG(st.failed_status), SIGKILL);
    ASSERT_EQ(pw[1].outcome, COORD_OUTCOME_CRASHED);
    ASSERT_LT(coord_clock_ns() - t0, 60ull * 1000000000ull);
    /* No zombie: the harness fails the case for any unreaped child. */
}

static bool probe_exit0(uint64_t i, void *result, void *arg)
{
    (void)result;
    (void)arg;
    if (i == 50)
        exit(0); /* a clean exit, but its share is left unsearched */
    return i == 250; /* in another worker's share: must not be "not found" */
}

TEST(search_worker_exit0_mid_search_is_a_death)
{
    for (int part = 0; part < 2; part++) {
        coord_search_worker pw[3];
        coord_search_opts o = blocks_of(3, 300, pw);
        o.partition = part ? COORD_PARTITION_BLOCKS
                           : COORD_PARTITION_INTERLEAVED;
        o.chunk = 10;
        o.check_every = 4;
        o.early_exit = false; /* every other worker runs to its end */
        coord_search_stats st;
        uint32_t victim = part ? 0 : 2; /* 50 is in chunk 5: worker 2 */
        /* Without early exit the victim reaches index 50 whatever the
         * others find: its exit is always a death, never "found" or a
         * silent "not found" with a third of the range skipped. */
        ASSERT_CODE(coord_search(&o, probe_exit0, NULL, NULL, 0, &st),
                    COORD_EPEERDIED);
        ASSERT_EQ(st.failed_worker, (int32_t)victim);
        ASSERT_TRUE(WIFEXITED(st.failed_status));
        ASSERT_EQ(pw[victim].outcome, COORD_OUTCOME_CRASHED);
    }
    /* No hit anywhere: the exit must be reported, not "not found". */
    coord_search_opts o = blocks_of(3, 200, NULL);
    o.check_every = 4;
    coord_search_stats st;
    ASSERT_CODE(coord_search(&o, probe_exit0, NULL, NULL, 0, &st),
                COORD_EPEERDIED);
    ASSERT_EQ(st.failed_worker, 0);
}

static bool probe_late_suicide(uint64_t i, void *result, void *arg)
{
    (void)result;
    (void)arg;
    if (i == 5999) { /* the last index of worker 2's block, after a wait */
        usleep(200000);
        raise(SIGKILL);
    }
    volatile int x = 0;
    for (int k = 0; k < 50; k++)
        x += k;
    (void)x; /* read: clang warns of a variable only ever set */
    return false;
}

TEST(search_auto_every_is_the_mean_of_the_workers_that_reported)
{
    coord_search_worker pw[3];
    coord_search_opts o = blocks_of(3, 6000, pw);
    coord_search_stats st;
    ASSERT_CODE(coord_search(&o, probe_late_suicide, NULL, NULL, 0, &st),
                COORD_EPEERDIED);
    ASSERT_EQ(st.failed_worker, 2);
    ASSERT_EQ_U(pw[2].every, 0); /* unknown: it never reported */
    /* The mean of the final K of those that reported (0 and 1 finish in
     * well under the victim's 200 ms wait), not a number no worker had
     * (the crashed one's unknown K counted as 0). */
    uint64_t sum = 0, k = 0;
    for (int w = 0; w < 2; w++)
        if (pw[w].outcome == COORD_OUTCOME_FINISHED) {
            sum += pw[w].every;
            k++;
        }
    ASSERT_TRUE(k > 0);
    ASSERT_EQ_U(st.check_every, (sum + k / 2) / k);
}

/* The same from outside: another process SIGKILLs a worker mid-search. */
struct victim_box {
    _Atomic int32_t pid;
};

static bool probe_publish_pid(uint64_t i, void *result, void *arg)
{
    (void)result;
    struct victim_box *b = arg;
    if (i == 1000)
        atomic_store(&b->pid, (int32_t)getpid());
    return false;
}

TEST(search_worker_killed_from_outside)
{
    struct victim_box *b = mmap(NULL, sizeof *b, PROT_READ | PROT_WRITE,
                                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(b != MAP_FAILED);
    atomic_store(&b->pid, 0);
    pid_t k = test_fork(test_kill_published, &b->pid);
    /* Runs until killed. */
    coord_search_opts o = blocks_of(2, UINT64_MAX / 2, NULL);
    coord_search_stats st;
    ASSERT_CODE(coord_search(&o, probe_publish_pid, b, NULL, 0, &st),
                COORD_EPEERDIED);
    ASSERT_EQ(st.failed_worker, 0);
    ASSERT_EQ(WTERMSIG(st.failed_status), SIGKILL);
    test_join_ok(k, 30000);
    munmap(b, sizeof *b);
}

static bool probe_never(uint64_t i, void *result, void *arg)
{
    (void)i;
    (void)result;
    (void)arg;
    return false;
}

TEST(search_timeout_stops_workers)
{
    coord_search_opts o = COORD_SEARCH_OPTS_INIT;
    o.workers = 2;
    o.begin = 0;
    o.end = UINT64_MAX;
    o.timeout_ms = 50;
    coord_search_stats st;
    ASSERT_CODE(coord_search(&o, probe_never, NULL, NULL, 0, &st),
                COORD_ETIMEDOUT);
    ASSERT_EQ(st.winner, -1);
    ASSERT_GT(st.iterations, 0); /* they stopped at a check, cleanly */
    /* The deadline set the flag, but nobody claimed: nothing was wasted
     * after a claim that never happened. */
    ASSERT_EQ_U(st.wasted, 0);
    ASSERT_EQ_U(st.stop_latency_ns, 0);
    /* Without early exit they do not look: killed after the grace. Said
     * so (KILLED, not CRASHED; no failed worker), and the run lasted until
     * then (it read 0), and a worker's K under NEVER reads NEVER (it read
     * the AUTO sentinel). */
    coord_search_worker pw[2];
    o.per_worker = pw;
    o.early_exit = false;
    o.check_every = COORD_CHECK_NEVER;
    ASSERT_CODE(coord_search(&o, probe_never, NULL, NULL, 0, &st),
                COORD_ETIMEDOUT);
    for (int w = 0; w < 2; w++) {
        ASSERT_EQ(pw[w].outcome, COORD_OUTCOME_KILLED);
        ASSERT_STR_EQ(coord_search_outcome_name(pw[w].outcome), "killed");
    }
    ASSERT_EQ(st.failed_worker, -1);
    ASSERT_GE(st.run_ns, 50000000);
    o.timeout_ms = -1;
    o.end = 100000;
    ASSERT_EQ(coord_search(&o, probe_never, NULL, NULL, 0, &st), 0);
    ASSERT_EQ_U(pw[0].every, COORD_CHECK_NEVER);
    ASSERT_EQ_U(st.check_every, COORD_CHECK_NEVER);
}

/* opts.poll, counting its calls; nonzero (stop) from call `stop_at` on. */
struct poll_count {
    int calls;
    int stop_at;
};

static int poll_counting(void *arg)
{
    struct poll_count *p = arg;
    return ++p->calls >= p->stop_at;
}

/* opts.poll is called while the parent waits (first once the workers are
 * forked) and its nonzero return stops the search at once, COORD_EINTR,
 * every worker killed and reaped: the hook behind Ctrl-C in coord.search.
 * A poll that says go on changes nothing. */
TEST(search_poll_is_called_and_stops_it)
{
    coord_search_worker pw[2];
    /* Without the poll heeded these would run into the timeout. */
    coord_search_opts o = blocks_of(2, UINT64_MAX / 2, pw);
    o.timeout_ms = 60000;
    o.poll = poll_counting;
    coord_search_stats st;
    pid_t kids[4];
    /* 1: stop before the start signal (the ready wait); 5: in the join. */
    static const int stops[] = {1, 5};
    for (size_t k = 0; k < sizeof stops / sizeof stops[0]; k++) {
        struct poll_count p = {0, stops[k]};
        o.poll_arg = &p;
        memset(pw, 0x5a, sizeof pw); /* every entry is written, each stop */
        ASSERT_CODE(coord_search(&o, probe_never, NULL, NULL, 0, &st),
                    COORD_EINTR);
        ASSERT_EQ(p.calls, stops[k]);
        ASSERT_EQ(st.winner, -1);
        ASSERT_EQ(test_children(kids, 4), 0);
        for (int w = 0; w < 2; w++) {
            ASSERT_EQ(pw[w].outcome, COORD_OUTCOME_KILLED);
            ASSERT_EQ(pw[w].left_after_claim_ns, -1);
            if (k == 0) /* stopped before any loop ran */
                ASSERT_EQ_U(pw[w].iterations, 0);
        }
    }

    struct poll_count go_on = {0, INT_MAX};
    o.poll_arg = &go_on;
    o.end = 200000;
    o.timeout_ms = -1;
    struct hits h = {.n = 1, .idx = {150000}, .spin = 200};
    struct res r = {0};
    ASSERT_EQ(coord_search(&o, probe_hits, &h, &r, sizeof r, &st), 1);
    ASSERT_EQ_U(r.index, 150000);
    ASSERT_GE(go_on.calls, 1);
}

TEST(search_bad_input)
{
    coord_search_opts o = COORD_SEARCH_OPTS_INIT;
    o.workers = 2;
    o.begin = 0;
    o.end = 10;
    struct res r;
    coord_search_stats st;
    ASSERT_CODE(coord_search(NULL, probe_never, NULL, NULL, 0, &st),
                COORD_EINVAL);
    ASSERT_CODE(coord_search(&o, NULL, NULL, NULL, 0, &st), COORD_EINVAL);
    coord_search_opts b = o;
    b.end = b.begin; /* empty range */
    ASSERT_CODE(coord_search(&b, probe_never, NULL, NULL, 0, &st),
                COORD_EINVAL);
    b = o;
    b.begin = 11; /* reversed */
    ASSERT_CODE(coord_search(&b, probe_never, NULL, NULL, 0, &st),
                COORD_EINVAL);
    b = o;
    b.workers = 0;
    ASSERT_CODE(coord_search(&b, probe_never, NULL, NULL, 0, &st),
                COORD_EINVAL);
    b.workers = COORD_SEARCH_MAX_WORKERS + 1;
    ASSERT_CODE(coord_search(&b, probe_never, NULL, NULL, 0, &st),
                COORD_EINVAL);
    b = o;
    b.check_every = 0;
    ASSERT_CODE(coord_search(&b, probe_never, NULL, NULL, 0, &st),
                COORD_EINVAL);
    b.check_every = COORD_CHECK_NEVER; /* only without early exit */
    ASSERT_CODE(coord_search(&b, probe_never, NULL, NULL, 0, &st),
                COORD_EINVAL);
    b = o;
    b.claim = (coord_claim_mode)9;
    ASSERT_CODE(coord_search(&b, probe_never, NULL, NULL, 0, &st),
                COORD_EINVAL);
    b = o;
    b.partition = (coord_partition)9;
    ASSERT_CODE(coord_search(&b, probe_never, NULL, NULL, 0, &st),
                COORD_EINVAL);
    b = o;
    b.overhead_budget = 1.5;
    ASSERT_CODE(coord_search(&b, probe_never, NULL, NULL, 0, &st),
                COORD_EINVAL);
    b.overhead_budget = -0.1;
    ASSERT_CODE(coord_search(&b, probe_never, NULL, NULL, 0, &st),
                COORD_EINVAL);
    b = o;
    b.timeout_ms = -5;
    ASSERT_CODE(coord_search(&b, probe_never, NULL, NULL, 0, &st),
                COORD_EINVAL);
    ASSERT_CODE(coord_search(&o, probe_never, NULL, NULL, 8, &st),
                COORD_EINVAL);
    ASSERT_CODE(coord_search(&o, probe_never, NULL, &r,
                             COORD_SEARCH_MAX_RESULT + 1, &st),
                COORD_EINVAL);
    /* Valid: NULL stats, no result buffer. */
    ASSERT_EQ(coord_search(&o, probe_never, NULL, NULL, 0, NULL), 0);
    coord_search_opts d;
    coord_search_opts_init(&d, 5, 6);
    /* One worker per CPU this process may run on (its affinity). */
    cpu_set_t was, one;
    ASSERT_EQ(sched_getaffinity(0, sizeof was, &was), 0);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    long usable = CPU_COUNT(&was) < online ? CPU_COUNT(&was) : online;
    ASSERT_EQ(d.workers, (uint32_t)(usable > (long)COORD_SEARCH_MAX_WORKERS
                                        ? (long)COORD_SEARCH_MAX_WORKERS
                                        : usable));
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    coord_search_opts pinned;
    coord_search_opts_init(&pinned, 5, 6);
    ASSERT_EQ(sched_setaffinity(0, sizeof was, &was), 0);
    ASSERT_EQ(pinned.workers, 1);
    ASSERT_EQ_U(d.check_every, COORD_CHECK_AUTO);
    ASSERT_TRUE(d.early_exit);
    coord_search_opts_init(NULL, 0, 0);
    ASSERT_STR_EQ(coord_search_outcome_name(COORD_OUTCOME_WON), "won");
    ASSERT_STR_EQ(coord_search_outcome_name((coord_search_outcome)77), "?");
}

TEST(search_stop_latency_measured)
{
    coord_search_worker pw[2];
    coord_search_opts o = blocks_of(2, 2000000, pw);
    o.check_every = 10;
    struct hits h = {.n = 1, .idx = {100000}, .spin = 5};
    struct res r;
    coord_search_stats st;
    ASSERT_EQ(coord_search(&o, probe_hits, &h, &r, sizeof r, &st), 1);
    ASSERT_EQ(st.winner, 0);
    /* Worker 1 left after the claim (it was mid-range), so the latency is
     * its leaving time minus the claim: positive and what pw says. */
    ASSERT_TRUE(pw[1].outcome == COORD_OUTCOME_STOPPED ||
                pw[1].outcome == COORD_OUTCOME_FINISHED);
    ASSERT_EQ(pw[0].left_after_claim_ns, -1);
    if (pw[1].left_after_claim_ns >= 0)
        ASSERT_EQ_U(st.stop_latency_ns, (uint64_t)pw[1].left_after_claim_ns);
    ASSERT_GE(st.run_ns, 0);
    ASSERT_GE(st.wall_ns, st.run_ns);
    ASSERT_GT(pw[1].checks, 0);
    ASSERT_GT(pw[1].cpu_ns, 0);
}

/* A worker the claim stopped left after the claim, always: its stop
 * latency is positive. The claim's time was read after the claim (past its
 * unlock and wake-ups), later than some stopped workers' exits: with K = 1
 * and the lock claim an audit saw 20 of 35 runs report such a worker as
 * having left before the claim, and a stop latency of 0. */
TEST(search_stopped_worker_left_after_the_claim)
{
    for (int run = 0; run < 30; run++) {
        coord_search_worker pw[2];
        coord_search_opts o = blocks_of(2, 2000000, pw);
        o.check_every = 1;
        o.claim = run % 2 ? COORD_CLAIM_LOCK : COORD_CLAIM_CAS;
        struct hits h = {.n = 1, .idx = {2000}, .spin = 5};
        struct res r;
        coord_search_stats st;
        ASSERT_EQ(coord_search(&o, probe_hits, &h, &r, sizeof r, &st), 1);
        ASSERT_EQ(st.winner, 0);
        if (pw[1].outcome != COORD_OUTCOME_STOPPED)
            continue; /* it had finished first: nothing to say */
        ASSERT_GT(pw[1].left_after_claim_ns, 0);
        ASSERT_GT(st.stop_latency_ns, 0);
    }
}

/* SIGCHLD ignored: the kernel reaps the workers itself, behind the call's
 * back, and their statuses are lost. A worker that filled its slot ended
 * cleanly whatever its status: the search still finds its hit (it used to
 * return COORD_ECHILD, so a daemon that ignores SIGCHLD could not search).
 * A worker killed before it filled its slot leaves the outcome unknown:
 * COORD_ECHILD, promptly (not at the timeout), and no worker left. */
TEST(search_sigchld_ignored_finds_or_says_echild)
{
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigemptyset(&ign.sa_mask);
    ASSERT_EQ(sigaction(SIGCHLD, &ign, &old), 0);
    coord_search_opts o = COORD_SEARCH_OPTS_INIT;
    o.workers = 2;
    o.begin = 0;
    o.end = 100000;
    o.timeout_ms = 30000;
    for (int run = 0; run < 20; run++) {
        struct hits h = {.n = 1, .idx = {5000 + (uint64_t)run * 4000}};
        struct res r = {0};
        coord_search_stats st;
        ASSERT_EQ(coord_search(&o, probe_hits, &h, &r, sizeof r, &st), 1);
        ASSERT_EQ(r.index, h.idx[0]);
        ASSERT_EQ(r.check, h.idx[0] * 3 + 7);
        ASSERT_EQ(st.index, h.idx[0]);
        ASSERT_TRUE(st.winner == 0 || st.winner == 1);
        ASSERT_EQ(st.failed_worker, -1);
        /* Without a hit too: both shares searched to the end. */
        struct hits none = {.n = 0};
        ASSERT_EQ(coord_search(&o, probe_hits, &none, &r, sizeof r, &st), 0);
        ASSERT_EQ(st.iterations, 100000);
    }
    uint64_t victim = 70000; /* in worker 1's share */
    struct res r = {0};
    coord_search_stats st;
    uint64_t t0 = coord_clock_ns();
    ASSERT_CODE(coord_search(&o, probe_suicide, &victim, &r, sizeof r, &st),
                COORD_ECHILD);
    ASSERT_LT(coord_clock_ns() - t0, 20000000000ull); /* not the timeout */
    ASSERT_EQ(waitpid(-1, NULL, WNOHANG), -1); /* no child of ours left */
    ASSERT_EQ(errno, ECHILD);
    ASSERT_EQ(sigaction(SIGCHLD, &old, NULL), 0);
}

/* issue 10: an options struct zeroed and then partly filled (workers,
 * range, interval) left timeout_ms at 0, and every search "timed out"
 * after a few ms. Its zero value is rejected at the first call instead;
 * a fully zeroed struct too (workers 0, check_every 0). */
TEST(search_zeroed_opts_are_rejected_not_a_trap)
{
    coord_search_opts z;
    memset(&z, 0, sizeof z);
    coord_search_stats st;
    struct hits h = {.n = 1, .idx = {900000}};
    struct res r = {0};
    ASSERT_CODE(coord_search(&z, probe_hits, &h, &r, sizeof r, &st),
                COORD_EINVAL);
    z.workers = 2;
    z.begin = 0;
    z.end = 1000000;
    z.check_every = 64;
    z.early_exit = true;
    ASSERT_CODE(coord_search(&z, probe_hits, &h, &r, sizeof r, &st),
                COORD_EINVAL);
    /* Also without early exit, where it used to kill the workers. */
    z.early_exit = false;
    ASSERT_CODE(coord_search(&z, probe_hits, &h, &r, sizeof r, &st),
                COORD_EINVAL);
    pid_t kids[8];
    ASSERT_EQ(test_children(kids, 8), 0); /* nothing was forked */
    /* With the documented "no limit" it runs to its answer. */
    z.timeout_ms = -1;
    ASSERT_EQ(coord_search(&z, probe_hits, &h, &r, sizeof r, &st), 1);
    ASSERT_EQ_U(st.index, 900000);
    ASSERT_EQ_U(r.check, 900000ull * 3 + 7);
}

/* A worker that cannot start (stopped by SIGSTOP before it is ready:
 * here by an atfork handler in the first child; the same as one starved
 * of CPU): the search's timeout bounds the call, forks and start
 * included. The wait for the start signal ignored it and waited 10 s
 * (READY_TIMEOUT_NS) for a search with a 100 ms timeout. */
static int stop_forks; /* forks seen by the parent */
static void stop_fork_parent(void)
{
    stop_forks++;
}
static void stop_fork_child(void)
{
    if (stop_forks == 0)
        raise(SIGSTOP); /* the first child only, for ever */
}

TEST(search_timeout_bounds_a_worker_stopped_before_the_start)
{
    ASSERT_EQ(pthread_atfork(NULL, stop_fork_parent, stop_fork_child), 0);
    coord_search_worker pw[2];
    coord_search_opts o = blocks_of(2, 1000000, pw);
    o.timeout_ms = 100;
    coord_search_stats st;
    struct hits h = {.n = 1, .idx = {900000}};
    struct res r = {0};
    uint64_t t0 = coord_clock_ns();
    ASSERT_CODE(coord_search(&o, probe_hits, &h, &r, sizeof r, &st),
                COORD_ETIMEDOUT);
    uint64_t took = coord_clock_ns() - t0;
    /* The timeout, plus the 1 s grace at most: not 10 s. */
    ASSERT_LT((int64_t)took, 2000000000);
    ASSERT_EQ(st.winner, -1);
    ASSERT_EQ(pw[0].outcome, COORD_OUTCOME_KILLED);
    ASSERT_EQ(pw[1].outcome, COORD_OUTCOME_KILLED);
    pid_t kids[8];
    ASSERT_EQ(test_children(kids, 8), 0); /* the stopped one was reaped */
}

/* The worker loop (src/loop.h) started after the claim: it leaves before
 * its first block, without a probe. It used to run K iterations first: a
 * whole block of waste, and a persistent worker woken late held its
 * search back by them. */
static bool probe_counts(uint64_t i, void *result, void *arg)
{
    (void)i;
    (void)result;
    (*(uint64_t *)arg)++;
    return false;
}

TEST(search_loop_started_after_the_claim_does_no_iteration)
{
    alignas(64) static unsigned char mem[4096];
    ASSERT_TRUE(coord_flag_size() <= sizeof mem);
    coord_flag *f;
    ASSERT_OK(coord_flag_init(mem, sizeof mem, &f));
    coord_interval iv;
    ASSERT_OK(coord_interval_init(&iv, 1000, 0, 0));
    uint64_t calls = 0;
    unsigned char scratch[sizeof(struct res)];
    for (int set = 0; set < 2; set++) {
        if (set)
            coord_flag_set(f);
        struct coord__share sh;
        ASSERT_TRUE(coord__share_init(&sh, 0, 5000, 1, 2,
                                      COORD_PARTITION_BLOCKS, 0));
        struct coord__loop L = {.flag = f,
                                .claim = COORD_CLAIM_CAS,
                                .early_exit = true,
                                .probe = probe_counts,
                                .worker = 1,
                                .arg = &calls,
                                .scratch = scratch,
                                .iv = &iv};
        calls = 0;
        coord__loop_run(&L, &sh);
        if (!set) { /* clear flag: the whole share, checked every K */
            ASSERT_EQ(L.outcome, COORD_OUTCOME_FINISHED);
            ASSERT_EQ_U(L.iterations, 2500);
            ASSERT_EQ_U(calls, 2500);
            continue;
        }
        ASSERT_EQ(L.outcome, COORD_OUTCOME_STOPPED);
        ASSERT_EQ_U(L.iterations, 0);
        ASSERT_EQ_U(calls, 0);
        ASSERT_EQ_U(L.wasted, 0);
        ASSERT_EQ_U(L.checks, 1);
    }
}

#define TEST_LIST(X)                                                           \
    X(search_zeroed_opts_are_rejected_not_a_trap)                              \
    X(search_loop_started_after_the_claim_does_no_iteration)                    \
    X(search_thousand_random_hits_one_result)                                  \
    X(search_not_found)                                                        \
    X(search_first_and_last_index)                                             \
    X(search_range_smaller_than_workers)                                       \
    X(search_no_early_exit_iterates_all)                                       \
    X(search_auto_first_blocks_of_a_slow_probe_are_short)                      \
    X(search_wasted_bounded_by_interval)                                       \
    X(search_worker_killed_reports_it)                                         \
    X(search_worker_exit0_mid_search_is_a_death)                               \
    X(search_auto_every_is_the_mean_of_the_workers_that_reported)              \
    X(search_worker_killed_from_outside)                                       \
    X(search_timeout_stops_workers)                                            \
    X(search_bad_input)                                                        \
    X(search_stop_latency_measured)                                            \
    X(search_stopped_worker_left_after_the_claim)                                            \
    X(search_sigchld_ignored_finds_or_says_echild)                             \
    X(search_poll_is_called_and_stops_it)                                      \
    X(search_timeout_bounds_a_worker_stopped_before_the_start)
#define HELPER_LIST(X)
TEST_MAIN()
