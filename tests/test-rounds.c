/* SPDX-License-Identifier: MIT */
/* test-rounds.c: persistent workers over many rounds: one claim per round, epochs, kills, timeouts. */
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "harness.h"
#include "rounds_gate.h"

/* A round's input: which indexes hit (up to 3; UINT64_MAX: none). */
struct round_in {
    uint64_t round;
    uint64_t hit[3];
    uint32_t spin; /* work per index, loop turns */
};

struct round_out {
    uint64_t round;
    uint64_t index;
    uint32_t worker;
};

/* Counts, per worker, the claims it attempted in shared memory, so the
 * test can prove no index is claimed twice. */
struct seen {
    _Atomic uint64_t hits_probed;
};

static bool round_fn(uint64_t i, const void *input, size_t len, void *result,
                     uint32_t worker, void *arg)
{
    (void)arg;
    if (len != sizeof(struct round_in))
        return false;
    const struct round_in *in = input;
    volatile uint32_t x = 0;
    for (uint32_t k = 0; k < in->spin; k++)
        x += k;
    (void)x; /* read: clang warns of a variable only ever set */
    for (int k = 0; k < 3; k++) {
        if (in->hit[k] == i) {
            struct round_out *o = result;
            o->round = in->round;
            o->index = i;
            o->worker = worker;
            return true;
        }
    }
    return false;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    return test_rand(&rng);
}

/* Rounds of round_fn over round_in/round_out with `workers` workers and
 * the default options otherwise. */
static coord_rounds *start_rounds(uint32_t workers)
{
    coord_rounds_opts o = COORD_ROUNDS_OPTS_INIT;
    o.workers = workers;
    o.max_input = sizeof(struct round_in);
    o.result_size = sizeof(struct round_out);
    coord_rounds *r;
    ASSERT_OK(coord_rounds_create(&r, &o, round_fn, NULL));
    return r;
}

/* SIGKILL worker w and wait (at most 10 s) until it is dead: waitable
 * (every thread gone, not only the main one: test_child_ended), or gone
 * when SIGCHLD is ignored. A round may count a worker that has not
 * started out of it (rounds.c: skip_unstarted) and looks once whether
 * such a worker died: one still dying then is seen only by a later round. */
static void kill_worker(coord_rounds *r, uint32_t w)
{
    int pid = coord_rounds_worker_pid(r, w);
    ASSERT_GT(pid, 0);
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    WAIT_FOR(test_child_ended(pid), 10000);
}

static void ten_thousand_rounds(coord_claim_mode mode, uint64_t every)
{
    coord_rounds_opts o = COORD_ROUNDS_OPTS_INIT;
    o.workers = 3;
    o.check_every = every;
    o.claim = mode;
    o.chunk = 8;
    o.max_input = sizeof(struct round_in);
    o.result_size = sizeof(struct round_out);
    coord_rounds *r;
    ASSERT_OK(coord_rounds_create(&r, &o, round_fn, NULL));
    uint32_t epoch = 0;
    uint64_t claims = 0;
    rng ^= (uint64_t)getpid();
    for (uint64_t k = 0; k < 10000; k++) {
        struct round_in in = {.round = k,
                              .hit = {UINT64_MAX, UINT64_MAX, UINT64_MAX}};
        uint64_t len = 1 + rnd() % 200;
        int nh = (int)(rnd() % 4); /* 0: a round with no hit */
        for (int h = 0; h < nh; h++)
            in.hit[h] = rnd() % len;
        struct round_out out = {UINT64_MAX, UINT64_MAX, 99};
        coord_round_stats st;
        int rc = coord_rounds_run(r, &in, sizeof in, 0, len, &out, &st, 20000);
        if (rc < 0)
            test__fail(__FILE__, __LINE__, "round %llu: %s",
                       (unsigned long long)k, coord_err_name(rc));
        /* Each round has its own epoch, one more than the last. */
        if (k > 0)
            ASSERT_EQ(st.epoch, epoch + 1);
        epoch = st.epoch;
        if (nh == 0) {
            ASSERT_EQ(rc, 0);
            ASSERT_EQ(st.winner, -1);
            ASSERT_EQ_U(st.iterations, len);
            continue;
        }
        ASSERT_EQ(rc, 1);
        claims++;
        /* The result is this round's, not a leftover of an earlier one,
         * and it names one of this round's hits and its owner. */
        ASSERT_EQ_U(out.round, k);
        ASSERT_EQ_U(out.index, st.index);
        ASSERT_EQ(out.worker, (uint32_t)st.winner);
        bool listed = false;
        for (int h = 0; h < nh; h++)
            listed |= in.hit[h] == st.index;
        ASSERT_TRUE(listed);
        ASSERT_EQ((st.index / 8) % 3, (uint64_t)st.winner);
        ASSERT_LE(st.response_ns, st.round_ns);
    }
    coord_rounds_totals t;
    ASSERT_OK(coord_rounds_totals_get(r, &t));
    ASSERT_EQ_U(t.rounds, 10000);
    ASSERT_EQ_U(t.claims, claims);
    ASSERT_TRUE(t.rounds_per_s > 0);
    ASSERT_OK(coord_rounds_destroy(r));
}

TEST(rounds_ten_thousand_random_winners_cas)
{
    ten_thousand_rounds(COORD_CLAIM_CAS, 4);
}

TEST(rounds_ten_thousand_random_winners_lock_auto)
{
    ten_thousand_rounds(COORD_CLAIM_LOCK, COORD_CHECK_AUTO);
}

TEST(rounds_others_abandon_at_next_check)
{
    coord_rounds_opts o = COORD_ROUNDS_OPTS_INIT;
    o.workers = 2;
    o.check_every = 50;
    o.partition = COORD_PARTITION_BLOCKS;
    o.max_input = sizeof(struct round_in);
    o.result_size = sizeof(struct round_out);
    coord_rounds *r;
    ASSERT_OK(coord_rounds_create(&r, &o, round_fn, NULL));
    for (int k = 0; k < 20; k++) {
        /* Worker 0 hits early; worker 1 has 1,000,000 indexes of work. */
        struct round_in in = {.round = (uint64_t)k, .spin = 10,
                              .hit = {1000, UINT64_MAX, UINT64_MAX}};
        coord_round_stats st;
        ASSERT_EQ(coord_rounds_run(r, &in, sizeof in, 0, 2000000, NULL, &st,
                                   30000),
                  1);
        ASSERT_EQ(st.winner, 0);
        /* Worker 1 left within one interval of the claim (or, if the
         * scheduler let it finish its share first, wasted nothing). */
        ASSERT_LE(st.wasted, 50);
    }
    /* Without early exit the other worker finishes its share. */
    ASSERT_OK(coord_rounds_destroy(r));
    o.early_exit = false;
    ASSERT_OK(coord_rounds_create(&r, &o, round_fn, NULL));
    struct round_in in = {.hit = {1000, UINT64_MAX, UINT64_MAX}};
    coord_round_stats st;
    ASSERT_EQ(coord_rounds_run(r, &in, sizeof in, 0, 200000, NULL, &st, 30000),
              1);
    ASSERT_EQ_U(st.iterations, 1001 + 100000);
    ASSERT_OK(coord_rounds_destroy(r));
}

TEST(rounds_empty_round)
{
    coord_rounds_opts o = COORD_ROUNDS_OPTS_INIT;
    o.workers = 2;
    coord_rounds *r;
    ASSERT_OK(coord_rounds_create(&r, &o, round_fn, NULL));
    coord_round_stats st;
    for (int k = 0; k < 1000; k++)
        ASSERT_EQ(coord_rounds_run(r, NULL, 0, 5, 5, NULL, &st, 10000), 0);
    ASSERT_EQ_U(st.iterations, 0);
    ASSERT_EQ(st.winner, -1);
    ASSERT_OK(coord_rounds_destroy(r));
}

/* The auto stats.check_every is the mean K of the workers that had
 * indexes this round, as coord_search's (which forks no idle worker): a
 * round of one index on 4 fresh workers ran worker 0 alone, whose K is
 * the only one that moved from COORD_INTERVAL_START (every_max); the
 * three idle ones' 1s pulled the mean down (4 -> 2). */
TEST(rounds_auto_interval_averages_the_workers_that_ran)
{
    for (int trial = 0; trial < 3; trial++) {
        coord_rounds_opts o = COORD_ROUNDS_OPTS_INIT;
        o.workers = 4;
        o.partition = COORD_PARTITION_BLOCKS;
        o.max_input = sizeof(struct round_in);
        coord_rounds *r;
        ASSERT_OK(coord_rounds_create(&r, &o, round_fn, NULL));
        struct round_in in = {.hit = {UINT64_MAX, UINT64_MAX, UINT64_MAX}};
        coord_round_stats st;
        ASSERT_EQ(coord_rounds_run(r, &in, sizeof in, 0, 1, NULL, &st, 10000),
                  0);
        ASSERT_EQ_U(st.iterations, 1);
        coord_rounds_totals t;
        ASSERT_OK(coord_rounds_totals_get(r, &t));
        ASSERT_EQ_U(t.every_min, COORD_INTERVAL_START);
        ASSERT_EQ_U(st.check_every, t.every_max);
        ASSERT_OK(coord_rounds_destroy(r));
    }
}

/* A worker counted out of every round it was given (skip_unstarted: it
 * never got a CPU before the claim) still has a K: the one it started
 * with. Its slot's K was written only by a worker that ran a round, so
 * the totals gave every_min 0 (and an auto round with no indexes counted
 * its 0 in the mean). */
TEST(rounds_totals_k_of_a_worker_that_never_ran)
{
    for (int mode = 0; mode < 2; mode++) {
        coord_rounds_opts o = COORD_ROUNDS_OPTS_INIT;
        o.workers = 2;
        o.partition = COORD_PARTITION_BLOCKS;
        o.check_every = mode ? COORD_CHECK_AUTO : 4;
        o.max_input = sizeof(struct round_in);
        o.result_size = sizeof(struct round_out);
        coord_rounds *r;
        ASSERT_OK(coord_rounds_create(&r, &o, round_fn, NULL));
        int pid = coord_rounds_worker_pid(r, 1);
        ASSERT_GT(pid, 0);
        ASSERT_EQ(kill(pid, SIGSTOP), 0);
        WAIT_FOR(test_proc_state(pid) == 'T', 10000);
        for (int k = 0; k < 3; k++) {
            /* Worker 0 hits in its first block: worker 1 is counted out. */
            struct round_in in = {.hit = {3, UINT64_MAX, UINT64_MAX}};
            coord_round_stats st;
            ASSERT_EQ(coord_rounds_run(r, &in, sizeof in, 0, 2000000, NULL,
                                       &st, 10000),
                      1);
            ASSERT_EQ(st.winner, 0);
        }
        ASSERT_EQ(test_proc_state(pid), 'T'); /* it never ran a round */
        coord_rounds_totals t;
        ASSERT_OK(coord_rounds_totals_get(r, &t));
        ASSERT_EQ_U(t.every_min, (mode ? COORD_INTERVAL_START : 4));
        ASSERT_EQ(kill(pid, SIGCONT), 0);
        ASSERT_OK(coord_rounds_destroy(r));
    }
}

TEST(rounds_worker_killed_between_rounds)
{
    coord_rounds *r = start_rounds(3);
    struct round_in in = {.hit = {5, UINT64_MAX, UINT64_MAX}};
    coord_round_stats st;
    ASSERT_EQ(coord_rounds_run(r, &in, sizeof in, 0, 100, NULL, &st, 10000), 1);
    kill_worker(r, 1);
    ASSERT_CODE(coord_rounds_run(r, &in, sizeof in, 0, 100, NULL, &st, 10000),
                COORD_EPEERDIED);
    ASSERT_EQ(st.failed_worker, 1);
    ASSERT_TRUE(WIFSIGNALED(st.failed_status));
    ASSERT_EQ(WTERMSIG(st.failed_status), SIGKILL);
    ASSERT_CODE(coord_rounds_run(r, &in, sizeof in, 0, 100, NULL, &st, 10000),
                COORD_EBROKEN);
    ASSERT_OK(coord_rounds_destroy(r)); /* reaps all: no zombie */
}

/* A worker that died after the last round is reported by destroy (once:
 * the others quit cleanly, and every one is reaped). */
TEST(rounds_destroy_reports_a_worker_dead_since_the_last_round)
{
    coord_rounds *r = start_rounds(3);
    struct round_in in = {.hit = {5, UINT64_MAX, UINT64_MAX}};
    coord_round_stats st;
    ASSERT_EQ(coord_rounds_run(r, &in, sizeof in, 0, 100, NULL, &st, 10000), 1);
    kill_worker(r, 2); /* dead: still our unreaped child, a zombie */
    ASSERT_CODE(coord_rounds_destroy(r), COORD_EPEERDIED);
    pid_t kids[8];
    ASSERT_EQ_U(test_children(kids, 8), 0);
}

/* A worker that does not quit (stopped: it cannot run) is killed when the
 * destroy's grace (5 s) is over, reported, and reaped: destroy returns. */
TEST(rounds_destroy_kills_a_worker_that_does_not_quit)
{
    coord_rounds *r = start_rounds(2);
    struct round_in in = {.hit = {5, UINT64_MAX, UINT64_MAX}};
    coord_round_stats st;
    ASSERT_EQ(coord_rounds_run(r, &in, sizeof in, 0, 100, NULL, &st, 10000), 1);
    int pid = coord_rounds_worker_pid(r, 1);
    ASSERT_GT(pid, 0);
    ASSERT_EQ(kill(pid, SIGSTOP), 0);
    uint64_t t0 = coord_clock_ns();
    ASSERT_CODE(coord_rounds_destroy(r), COORD_EPEERDIED);
    /* It waited the grace, not (much) less: a quick worker is not killed
     * by a loaded machine's delay (this bounds the wait from below only). */
    ASSERT_GE(coord_clock_ns() - t0, 4900000000ull);
    pid_t kids[8];
    ASSERT_EQ_U(test_children(kids, 8), 0);
}

struct victim_box {
    _Atomic int32_t pid;
};

static bool round_publish_pid(uint64_t i, const void *input, size_t len,
                              void *result, uint32_t worker, void *arg)
{
    (void)input;
    (void)len;
    (void)result;
    struct victim_box *b = arg;
    if (worker == 0 && i == 500)
        atomic_store(&b->pid, (int32_t)getpid());
    return false;
}

TEST(rounds_worker_killed_mid_round)
{
    struct victim_box *b = mmap(NULL, sizeof *b, PROT_READ | PROT_WRITE,
                                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(b != MAP_FAILED);
    atomic_store(&b->pid, 0);
    coord_rounds_opts o = COORD_ROUNDS_OPTS_INIT;
    o.workers = 2;
    o.partition = COORD_PARTITION_BLOCKS;
    coord_rounds *r;
    ASSERT_OK(coord_rounds_create(&r, &o, round_publish_pid, b));
    pid_t k = test_fork(test_kill_published, &b->pid);
    coord_round_stats st;
    /* A round far too long to finish: only the kill ends it. */
    ASSERT_CODE(coord_rounds_run(r, NULL, 0, 0, UINT64_MAX, NULL, &st, 60000),
                COORD_EPEERDIED);
    ASSERT_EQ(st.failed_worker, 0);
    ASSERT_OK(coord_rounds_destroy(r));
    test_join_ok(k, 30000);
    munmap(b, sizeof *b);
}

TEST(rounds_timeout_then_next_round)
{
    coord_rounds *r = start_rounds(2);
    struct round_in in = {.hit = {UINT64_MAX, UINT64_MAX, UINT64_MAX}};
    coord_round_stats st;
    ASSERT_CODE(coord_rounds_run(r, &in, sizeof in, 0, UINT64_MAX, NULL, &st,
                                 30),
                COORD_ETIMEDOUT);
    /* Nobody claimed: no waste, whatever the deadline's flag stopped. */
    ASSERT_EQ(st.winner, -1);
    ASSERT_GT(st.iterations, 0);
    ASSERT_EQ_U(st.wasted, 0);
    coord_rounds_totals tot;
    ASSERT_OK(coord_rounds_totals_get(r, &tot));
    ASSERT_EQ_U(tot.wasted, 0);
    /* The workers left at their next check: the object still works, and
     * the aborted round's flag does not leak into this one. */
    in.hit[0] = 7;
    struct round_out out;
    ASSERT_EQ(coord_rounds_run(r, &in, sizeof in, 0, 100, &out, &st, 10000), 1);
    ASSERT_EQ_U(out.index, 7);
    ASSERT_OK(coord_rounds_destroy(r));
}

TEST(rounds_bad_input)
{
    coord_rounds_opts o = COORD_ROUNDS_OPTS_INIT;
    coord_rounds *r;
    ASSERT_CODE(coord_rounds_create(NULL, &o, round_fn, NULL), COORD_EINVAL);
    ASSERT_CODE(coord_rounds_create(&r, NULL, round_fn, NULL), COORD_EINVAL);
    ASSERT_CODE(coord_rounds_create(&r, &o, NULL, NULL), COORD_EINVAL);
    coord_rounds_opts b = o;
    b.workers = 0;
    ASSERT_CODE(coord_rounds_create(&r, &b, round_fn, NULL), COORD_EINVAL);
    b = o;
    b.check_every = 0;
    ASSERT_CODE(coord_rounds_create(&r, &b, round_fn, NULL), COORD_EINVAL);
    b.check_every = COORD_CHECK_NEVER;
    ASSERT_CODE(coord_rounds_create(&r, &b, round_fn, NULL), COORD_EINVAL);
    b = o;
    b.claim = (coord_claim_mode)5;
    ASSERT_CODE(coord_rounds_create(&r, &b, round_fn, NULL), COORD_EINVAL);
    b = o;
    b.overhead_budget = 3;
    ASSERT_CODE(coord_rounds_create(&r, &b, round_fn, NULL), COORD_EINVAL);
    o.max_input = 16;
    ASSERT_OK(coord_rounds_create(&r, &o, round_fn, NULL));
    char buf[32] = {0};
    ASSERT_CODE(coord_rounds_run(NULL, buf, 1, 0, 1, NULL, NULL, 0),
                COORD_EINVAL);
    ASSERT_CODE(coord_rounds_run(r, buf, 17, 0, 1, NULL, NULL, 100),
                COORD_EINVAL);
    ASSERT_CODE(coord_rounds_run(r, NULL, 4, 0, 1, NULL, NULL, 100),
                COORD_EINVAL);
    ASSERT_CODE(coord_rounds_run(r, buf, 4, 9, 1, NULL, NULL, 100),
                COORD_EINVAL);
    ASSERT_CODE(coord_rounds_run(r, buf, 4, 0, 1, NULL, NULL, -3),
                COORD_EINVAL);
    /* 0 cannot mean "try once" for a round: refused, not a timed-out round
     * (which it was, every time). */
    ASSERT_CODE(coord_rounds_run(r, buf, 4, 0, 1, NULL, NULL, 0), COORD_EINVAL);
    ASSERT_CODE(coord_rounds_worker_pid(r, 99), COORD_EINVAL);
    ASSERT_CODE(coord_rounds_totals_get(r, NULL), COORD_EINVAL);
    ASSERT_EQ(coord_rounds_run(r, buf, 4, 0, 1, NULL, NULL, 10000), 0);
    ASSERT_OK(coord_rounds_destroy(r));
    ASSERT_OK(coord_rounds_destroy(NULL));
    coord_rounds_opts d;
    coord_rounds_opts_init(&d);
    ASSERT_GE(d.workers, 1);
    /* Pinned to one CPU: one worker (the default counts the affinity). */
    cpu_set_t was, one;
    ASSERT_EQ(sched_getaffinity(0, sizeof was, &was), 0);
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    coord_rounds_opts_init(&d);
    ASSERT_EQ(sched_setaffinity(0, sizeof was, &was), 0);
    ASSERT_EQ(d.workers, 1);
    coord_rounds_opts_init(NULL);
}

/* SIGCHLD ignored: a dead worker is reaped by the kernel, not by us. The
 * round must still end (COORD_ECHILD, object broken) rather than wait for
 * a done count that can never come (here: until the timeout). */
TEST(rounds_sigchld_ignored_worker_dies)
{
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigemptyset(&ign.sa_mask);
    ASSERT_EQ(sigaction(SIGCHLD, &ign, &old), 0);
    coord_rounds *r = start_rounds(2);
    struct round_in in = {.hit = {5, UINT64_MAX, UINT64_MAX}};
    coord_round_stats st;
    ASSERT_EQ(coord_rounds_run(r, &in, sizeof in, 0, 100, NULL, &st, 30000),
              1);
    kill_worker(r, 1);
    ASSERT_CODE(coord_rounds_run(r, &in, sizeof in, 0, 100, NULL, &st, 5000),
                COORD_ECHILD);
    ASSERT_EQ(st.failed_worker, 1);
    ASSERT_EQ(st.failed_status, -1); /* unknown, as documented */
    ASSERT_CODE(coord_rounds_run(r, &in, sizeof in, 0, 100, NULL, &st, 30000),
                COORD_EBROKEN);
    coord_rounds_destroy(r);
    /* A clean destroy: the workers quit and the kernel reaps them. That
     * is no failure (and takes no grace period). */
    r = start_rounds(2);
    ASSERT_EQ(coord_rounds_run(r, &in, sizeof in, 0, 100, NULL, &st, 30000),
              1);
    ASSERT_OK(coord_rounds_destroy(r));
    ASSERT_EQ(sigaction(SIGCHLD, &old, NULL), 0);
}

/* The gate a worker passes to enter a round (rounds.c, rounds_gate.h). A worker
 * that read round s from the round counter and then waited for a CPU while
 * round s and the next were claimed without it (its siblings counted it
 * out of both) must not enter "round s": that would run the round in
 * progress under s's name, be counted out of it a second time while it
 * runs, and count its siblings inside it out for s (the owner returned
 * while workers were still in the round: a round reported "no hit" with
 * its hit unsearched). It used to compare with SKIPPED(s) only. */
TEST(rounds_gate_a_worker_counted_out_of_a_later_round_does_not_enter)
{
    _Atomic uint64_t gate = COORD__ROUND_SKIPPED(8);
    ASSERT_FALSE(coord__round_enter(&gate, 7)); /* stale: read before 8 */
    ASSERT_FALSE(coord__round_enter(&gate, 6));
    ASSERT_FALSE(coord__round_enter(&gate, 8)); /* counted out of it */
    ASSERT_EQ_U(atomic_load(&gate), COORD__ROUND_SKIPPED(8));
    ASSERT_TRUE(coord__round_enter(&gate, 9)); /* the next: its own */
    ASSERT_EQ_U(atomic_load(&gate), COORD__ROUND_ENTERED(9));
    ASSERT_TRUE(coord__round_enter(&gate, 10)); /* after its own round */
    ASSERT_EQ_U(atomic_load(&gate), COORD__ROUND_ENTERED(10));
    /* Across the wrap of the 32-bit round counter. */
    atomic_store(&gate, COORD__ROUND_SKIPPED(1));
    ASSERT_FALSE(coord__round_enter(&gate, UINT32_MAX));
    ASSERT_FALSE(coord__round_enter(&gate, 0));
    ASSERT_TRUE(coord__round_enter(&gate, 2));
    atomic_store(&gate, COORD__ROUND_SKIPPED(UINT32_MAX));
    ASSERT_TRUE(coord__round_enter(&gate, 0));
    ASSERT_EQ_U(atomic_load(&gate), COORD__ROUND_ENTERED(0));
}

#define TEST_LIST(X)                                                           \
    X(rounds_ten_thousand_random_winners_cas)                                  \
    X(rounds_ten_thousand_random_winners_lock_auto)                            \
    X(rounds_others_abandon_at_next_check)                                     \
    X(rounds_empty_round)                                                      \
    X(rounds_auto_interval_averages_the_workers_that_ran)                      \
    X(rounds_totals_k_of_a_worker_that_never_ran)                              \
    X(rounds_worker_killed_between_rounds)                                     \
    X(rounds_worker_killed_mid_round)                                          \
    X(rounds_destroy_reports_a_worker_dead_since_the_last_round)               \
    X(rounds_destroy_kills_a_worker_that_does_not_quit)                        \
    X(rounds_timeout_then_next_round)                                          \
    X(rounds_bad_input)                                                        \
    X(rounds_sigchld_ignored_worker_dies)                                     \
    X(rounds_gate_a_worker_counted_out_of_a_later_round_does_not_enter)
#define HELPER_LIST(X)
TEST_MAIN()
