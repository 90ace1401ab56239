/* SPDX-License-Identifier: MIT */
/* test-team.c: persistent search workers: many searches on one worker set, first hit wins, kills, timeouts, bad input. */
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "harness.h"

/* What the probe looks for, in shared memory: the test writes it before
 * each search (the search's start publishes it to the workers). */
struct board {
    uint64_t hit[3];       /* UINT64_MAX: unused */
    _Atomic int32_t pid;   /* a worker publishes its pid here at `kill_at` */
    uint64_t kill_at;
};

struct res {
    uint64_t index;
    uint64_t check; /* index * 5 + 1: proves the winner's probe filled it */
};

static bool probe_board(uint64_t i, void *result, void *arg)
{
    struct board *b = arg;
    if (i == b->kill_at)
        atomic_store(&b->pid, (int32_t)getpid());
    for (int k = 0; k < 3; k++)
        if (b->hit[k] == i) {
            struct res *r = result;
            r->index = i;
            r->check = i * 5 + 1;
            return true;
        }
    return false;
}

/* A search poll that never stops it: a team refuses any. */
static int test_poll_never(void *arg)
{
    (void)arg;
    return 0;
}

static struct board *board_new(void)
{
    struct board *b = mmap(NULL, sizeof *b, PROT_READ | PROT_WRITE,
                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(b != MAP_FAILED);
    b->hit[0] = b->hit[1] = b->hit[2] = UINT64_MAX;
    b->kill_at = UINT64_MAX;
    atomic_store(&b->pid, 0);
    return b;
}

static coord_team *team_new(uint32_t workers, coord_partition p,
                            struct board *b)
{
    coord_search_opts o = COORD_SEARCH_OPTS_INIT;
    o.workers = workers;
    o.partition = p;
    coord_team *t;
    ASSERT_OK(coord_team_create(&t, &o, probe_board, b, sizeof(struct res)));
    return t;
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;

/* Many searches on the same workers: every one finds its own hit (the
 * first of up to three, whichever claims), with the winner's result, and
 * no worker is ever forked again. */
static void many_searches(coord_partition p)
{
    struct board *b = board_new();
    coord_team *t = team_new(3, p, b);
    int pids[3];
    for (uint32_t w = 0; w < 3; w++)
        ASSERT_GT(pids[w] = coord_team_worker_pid(t, w), 0);
    for (int k = 0; k < 500; k++) {
        uint64_t len = 1 + test_rand(&rng) % 20000;
        int nhits = (int)(test_rand(&rng) % 4); /* 0: nothing to find */
        for (int h = 0; h < 3; h++)
            b->hit[h] = h < nhits ? 1000 + test_rand(&rng) % len : UINT64_MAX;
        struct res r = {0};
        coord_search_stats st;
        int rc = coord_team_search(t, 1000, 1000 + len, &r, &st, 30000);
        ASSERT_EQ(rc, nhits > 0 ? 1 : 0);
        ASSERT_EQ(st.workers, 3);
        if (nhits == 0) {
            ASSERT_EQ(st.winner, -1);
            ASSERT_EQ_U(st.iterations, len); /* every index, once */
            continue;
        }
        ASSERT_TRUE(st.index == b->hit[0] || st.index == b->hit[1] ||
                    st.index == b->hit[2]);
        ASSERT_EQ_U(r.index, st.index);
        ASSERT_EQ_U(r.check, st.index * 5 + 1);
        ASSERT_TRUE(st.winner >= 0 && st.winner < 3);
        ASSERT_GE(st.wall_ns, st.run_ns);
        ASSERT_GT(st.check_every, 0);
    }
    for (uint32_t w = 0; w < 3; w++)
        ASSERT_EQ(coord_team_worker_pid(t, w), pids[w]);
    ASSERT_OK(coord_team_destroy(t));
    pid_t kids[8];
    ASSERT_EQ(test_children(kids, 8), 0);
    munmap(b, sizeof *b);
}

TEST(team_many_searches_interleaved)
{
    many_searches(COORD_PARTITION_INTERLEAVED);
}

TEST(team_many_searches_blocks)
{
    many_searches(COORD_PARTITION_BLOCKS);
}

/* A range with fewer indexes than workers: the idle ones find nothing to
 * do, and the search still ends. */
TEST(team_range_smaller_than_workers)
{
    struct board *b = board_new();
    coord_team *t = team_new(4, COORD_PARTITION_BLOCKS, b);
    coord_search_stats st;
    struct res r;
    ASSERT_EQ(coord_team_search(t, 7, 9, &r, &st, 30000), 0);
    ASSERT_EQ_U(st.iterations, 2);
    b->hit[0] = 8;
    ASSERT_EQ(coord_team_search(t, 7, 9, &r, &st, 30000), 1);
    ASSERT_EQ_U(r.index, 8);
    ASSERT_OK(coord_team_destroy(t));
    munmap(b, sizeof *b);
}

/* SIGKILL one worker in the middle of a search that only the kill can end:
 * the search reports it (no hang), the team is broken, no zombie. */
TEST(team_worker_killed_mid_search)
{
    struct board *b = board_new();
    coord_team *t = team_new(2, COORD_PARTITION_BLOCKS, b);
    b->kill_at = 500; /* in worker 0's block */
    pid_t k = test_fork(test_kill_published, &b->pid);
    coord_search_stats st;
    ASSERT_CODE(coord_team_search(t, 0, UINT64_MAX, NULL, &st, 60000),
                COORD_EPEERDIED);
    ASSERT_EQ(st.failed_worker, 0);
    ASSERT_TRUE(WIFSIGNALED(st.failed_status));
    ASSERT_EQ(WTERMSIG(st.failed_status), SIGKILL);
    ASSERT_CODE(coord_team_search(t, 0, 100, NULL, &st, 1000), COORD_EBROKEN);
    ASSERT_OK(coord_team_destroy(t));
    test_join_ok(k, 30000);
    pid_t kids[8];
    ASSERT_EQ(test_children(kids, 8), 0);
    munmap(b, sizeof *b);
}

/* A worker killed while the team is idle: the next search reports it. */
TEST(team_worker_killed_between_searches)
{
    struct board *b = board_new();
    coord_team *t = team_new(3, COORD_PARTITION_INTERLEAVED, b);
    b->hit[0] = 42;
    struct res r;
    coord_search_stats st;
    ASSERT_EQ(coord_team_search(t, 0, 1000, &r, &st, 30000), 1);
    int pid = coord_team_worker_pid(t, 2);
    ASSERT_GT(pid, 0);
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    /* Dead before the search: it may be counted out of a search claimed
     * before it would have started, and the search looks once whether
     * such a worker died. */
    WAIT_FOR(test_child_ended(pid), 10000);
    ASSERT_CODE(coord_team_search(t, 0, 1000, &r, &st, 30000),
                COORD_EPEERDIED);
    ASSERT_EQ(st.failed_worker, 2);
    ASSERT_OK(coord_team_destroy(t));
    munmap(b, sizeof *b);
}

/* A fork of the creator inherits the handle, not the workers: a search
 * there is refused (it ran on the creator's workers, and counted into
 * its rounds), and destroy frees the fork's copy only (it told the
 * creator's workers to quit, spun 5 s waiting for processes that are not
 * its children, and the creator's next search failed). */
TEST(team_fork_of_the_creator_leaves_the_team_alone)
{
    struct board *b = board_new();
    coord_team *t = team_new(2, COORD_PARTITION_INTERLEAVED, b);
    b->hit[0] = 42;
    struct res r;
    coord_search_stats st;
    ASSERT_EQ(coord_team_search(t, 0, 1000, &r, &st, 30000), 1);
    pid_t c = fork();
    ASSERT_TRUE(c >= 0);
    if (c == 0) {
        struct res rr;
        int code = 0;
        if (coord_team_search(t, 0, 1000, &rr, NULL, 30000) != COORD_ECHILD)
            code |= 1;
        if (coord_team_destroy(t) != 0)
            code |= 2;
        _exit(code);
    }
    int ws = 0;
    ASSERT_EQ(waitpid(c, &ws, 0), c);
    ASSERT_TRUE(WIFEXITED(ws));
    ASSERT_EQ(WEXITSTATUS(ws), 0);
    b->hit[0] = 77;
    ASSERT_EQ(coord_team_search(t, 0, 1000, &r, &st, 30000), 1);
    ASSERT_EQ_U(r.index, 77);
    ASSERT_OK(coord_team_destroy(t));
    munmap(b, sizeof *b);
}

/* A probe that forks, and whose fork returns from it. */
struct forkboard {
    _Atomic int forked;
    _Atomic int32_t dup; /* the fork's pid */
};
static struct forkboard *fb;

/* Ended (a zombie of the worker that forked it, or gone)? */
static bool proc_gone(pid_t pid)
{
    char st = test_proc_state(pid);
    return st == 0 || st == 'Z' || st == 'X';
}

static bool probe_forks(uint64_t i, void *result, void *arg)
{
    (void)arg;
    if (i == 0 && atomic_exchange(&fb->forked, 1) == 0) {
        if (fork() == 0)
            atomic_store(&fb->dup, (int32_t)getpid());
        return false; /* both: the worker and its fork */
    }
    if (i == 1) {
        /* Hit only once the fork has left (10 s at most). */
        for (int k = 0; k < 100000; k++) {
            int32_t d = atomic_load(&fb->dup);
            if (d > 0 && proc_gone(d))
                break;
            usleep(100);
        }
        struct res *r = result;
        r->index = i;
        r->check = i * 5 + 1;
        return true;
    }
    return false;
}

/* The fork leaves at the end of its block, as a worker it counted itself
 * done in the search: the search returned 0 while the worker with the hit
 * was still in it, and so did every later search. */
TEST(team_probe_fork_that_returns_leaves)
{
    /* The probe's fork outlives the worker that made it: reap it here. */
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    fb = mmap(NULL, sizeof *fb, PROT_READ | PROT_WRITE,
              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(fb != MAP_FAILED);
    coord_search_opts o = COORD_SEARCH_OPTS_INIT;
    o.workers = 2;
    o.check_every = 1;
    o.partition = COORD_PARTITION_BLOCKS; /* [0, 1) and [1, 2) */
    coord_team *t;
    ASSERT_OK(coord_team_create(&t, &o, probe_forks, NULL, sizeof(struct res)));
    struct res r;
    coord_search_stats st;
    for (int k = 0; k < 3; k++) {
        ASSERT_EQ(coord_team_search(t, 0, 2, &r, &st, 30000), 1);
        ASSERT_EQ_U(r.index, 1);
        ASSERT_EQ(st.winner, 1);
    }
    pid_t dup = atomic_load(&fb->dup);
    ASSERT_TRUE(proc_gone(dup));
    ASSERT_OK(coord_team_destroy(t));
    /* Its parent, the worker, is gone: it is reparented to this process
     * (a subreaper, see above), which reaps it. */
    WAIT_FOR(waitpid(dup, NULL, WNOHANG) == dup || test_proc_state(dup) == 0,
             10000);
    munmap(fb, sizeof *fb);
}

/* At the deadline the workers leave at their next check; the team is
 * still whole and the next search works. */
TEST(team_timeout_then_next_search)
{
    struct board *b = board_new();
    coord_team *t = team_new(2, COORD_PARTITION_INTERLEAVED, b);
    coord_search_stats st;
    struct res r;
    ASSERT_CODE(coord_team_search(t, 0, UINT64_MAX, &r, &st, 50),
                COORD_ETIMEDOUT);
    ASSERT_EQ(st.winner, -1);
    b->hit[0] = 12345;
    ASSERT_EQ(coord_team_search(t, 0, 100000, &r, &st, 30000), 1);
    ASSERT_EQ_U(r.index, 12345);
    ASSERT_OK(coord_team_destroy(t));
    munmap(b, sizeof *b);
}

/* A probe that sleeps 5 s at index 10, and hits at index 0 once the
 * sleeper has started (at most 1.5 s later): a worker that has not
 * started when the search is claimed is counted out of it, and this one
 * must be inside. `arg` is a shared int: the sleeper sets it. */
static bool probe_hit_then_stall(uint64_t i, void *result, void *arg)
{
    _Atomic int *stalling = arg;
    if (i == 0) {
        uint64_t until = coord_clock_ns() + 1500000000ull;
        while (!atomic_load(stalling) && coord_clock_ns() < until)
            usleep(1000);
        struct res *r = result;
        r->index = 0;
        r->check = 1;
        return true;
    }
    if (i == 10) {
        atomic_store(stalling, 1);
        sleep(5);
    }
    return false;
}

/* Worker 0 claims as soon as worker 1 is inside a 5 s probe, so at the
 * deadline (2 s) and its 1 s grace worker 1 is killed. The claim came
 * before the deadline: the search found (1, the result), as coord_search
 * says of the same search; it returned COORD_ETIMEDOUT and dropped the
 * result. The team is broken after the kill. */
TEST(team_claim_before_the_deadline_counts_when_a_worker_is_killed)
{
    _Atomic int *stalling = mmap(NULL, sizeof *stalling,
                                 PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(stalling != MAP_FAILED);
    atomic_store(stalling, 0);
    coord_search_opts o = COORD_SEARCH_OPTS_INIT;
    o.workers = 2;
    o.partition = COORD_PARTITION_BLOCKS;
    o.check_every = 1;
    coord_team *t;
    ASSERT_OK(coord_team_create(&t, &o, probe_hit_then_stall,
                                (void *)stalling, sizeof(struct res)));
    struct res r = {UINT64_MAX, 0};
    coord_search_stats st;
    ASSERT_EQ(coord_team_search(t, 0, 20, &r, &st, 2000), 1);
    ASSERT_EQ(st.winner, 0);
    ASSERT_EQ_U(st.index, 0);
    ASSERT_EQ_U(r.index, 0);
    ASSERT_EQ_U(r.check, 1);
    ASSERT_EQ(atomic_load(stalling), 1);
    /* The same search through coord_search. */
    atomic_store(stalling, 0);
    o.begin = 0;
    o.end = 20;
    o.timeout_ms = 2000;
    r.index = UINT64_MAX;
    ASSERT_EQ(coord_search(&o, probe_hit_then_stall, (void *)stalling, &r,
                           sizeof r, &st),
              1);
    ASSERT_EQ_U(r.index, 0);
    ASSERT_EQ(atomic_load(stalling), 1);
    ASSERT_CODE(coord_team_search(t, 0, 20, &r, &st, 200), COORD_EBROKEN);
    ASSERT_OK(coord_team_destroy(t));
    munmap((void *)stalling, sizeof *stalling);
}

/* A worker that cannot start (stopped here; on a busy machine, one
 * waiting for a CPU) does not hold back a search the others claim: they
 * count it out, with no iterations, and the search returns at once where
 * it used to wait for it (here: to its deadline, then kill it and break
 * the team). Let go, it takes the next search as usual, and a search
 * that needs it waits for it. */
TEST(team_search_claimed_without_a_worker_that_has_not_started)
{
    struct board *b = board_new();
    coord_team *t = team_new(2, COORD_PARTITION_BLOCKS, b);
    struct res r;
    coord_search_stats st;
    b->hit[0] = 10;
    ASSERT_EQ(coord_team_search(t, 0, 2000000, &r, &st, 30000), 1);
    int pid = coord_team_worker_pid(t, 1);
    ASSERT_GT(pid, 0);
    ASSERT_EQ(kill(pid, SIGSTOP), 0);
    WAIT_FOR(test_proc_state(pid) == 'T', 10000);
    for (int k = 0; k < 3; k++) {
        b->hit[0] = 10 + (uint64_t)k;
        ASSERT_EQ(coord_team_search(t, 0, 2000000, &r, &st, 2000), 1);
        ASSERT_EQ(st.winner, 0);
        ASSERT_EQ_U(r.index, 10 + (uint64_t)k);
        ASSERT_EQ_U(st.iterations, 11 + (uint64_t)k); /* worker 0's only */
        ASSERT_EQ_U(st.wasted, 0);
    }
    ASSERT_EQ(test_proc_state(pid), 'T'); /* it never ran */
    ASSERT_EQ(kill(pid, SIGCONT), 0);
    /* Its own block: the search needs it. */
    b->hit[0] = 1999990;
    ASSERT_EQ(coord_team_search(t, 0, 2000000, &r, &st, 30000), 1);
    ASSERT_EQ(st.winner, 1);
    ASSERT_EQ_U(r.index, 1999990);
    ASSERT_OK(coord_team_destroy(t));
    munmap(b, sizeof *b);
}

TEST(team_bad_input)
{
    struct board *b = board_new();
    coord_team *t;
    coord_search_opts z;
    memset(&z, 0, sizeof z);
    /* Zeroed options: rejected, nothing forked. */
    ASSERT_CODE(coord_team_create(&t, &z, probe_board, b, 0), COORD_EINVAL);
    coord_search_opts o = COORD_SEARCH_OPTS_INIT;
    o.workers = 2;
    ASSERT_CODE(coord_team_create(NULL, &o, probe_board, b, 0), COORD_EINVAL);
    ASSERT_CODE(coord_team_create(&t, NULL, probe_board, b, 0), COORD_EINVAL);
    ASSERT_CODE(coord_team_create(&t, &o, NULL, b, 0), COORD_EINVAL);
    ASSERT_CODE(coord_team_create(&t, &o, probe_board, b,
                                  COORD_SEARCH_MAX_RESULT + 1),
                COORD_EINVAL);
    coord_search_worker pw[2];
    coord_search_opts x = o;
    x.per_worker = pw;
    ASSERT_CODE(coord_team_create(&t, &x, probe_board, b, 0), COORD_EINVAL);
    x = o;
    x.poll = test_poll_never;
    ASSERT_CODE(coord_team_create(&t, &x, probe_board, b, 0), COORD_EINVAL);
    x = o;
    x.check_every = COORD_CHECK_NEVER;
    x.early_exit = false;
    ASSERT_CODE(coord_team_create(&t, &x, probe_board, b, 0), COORD_EINVAL);
    pid_t kids[8];
    ASSERT_EQ(test_children(kids, 8), 0);
    ASSERT_OK(coord_team_create(&t, &o, probe_board, b, sizeof(struct res)));
    struct res r;
    ASSERT_CODE(coord_team_search(NULL, 0, 1, &r, NULL, -1), COORD_EINVAL);
    ASSERT_CODE(coord_team_search(t, 5, 5, &r, NULL, -1), COORD_EINVAL);
    ASSERT_CODE(coord_team_search(t, 0, 1, &r, NULL, 0), COORD_EINVAL);
    ASSERT_CODE(coord_team_search(t, 0, 1, &r, NULL, -7), COORD_EINVAL);
    ASSERT_CODE(coord_team_worker_pid(t, 2), COORD_EINVAL);
    ASSERT_CODE(coord_team_worker_pid(NULL, 0), COORD_EINVAL);
    ASSERT_EQ(coord_team_search(t, 0, 1, NULL, NULL, -1), 0); /* still whole */
    ASSERT_OK(coord_team_destroy(t));
    ASSERT_OK(coord_team_destroy(NULL));
    munmap(b, sizeof *b);
}

#define TEST_LIST(X)                                                           \
    X(team_many_searches_interleaved)                                          \
    X(team_many_searches_blocks)                                               \
    X(team_range_smaller_than_workers)                                         \
    X(team_worker_killed_mid_search)                                           \
    X(team_worker_killed_between_searches)                                     \
    X(team_fork_of_the_creator_leaves_the_team_alone)                          \
    X(team_probe_fork_that_returns_leaves)                                     \
    X(team_timeout_then_next_search)                                           \
    X(team_claim_before_the_deadline_counts_when_a_worker_is_killed)           \
    X(team_search_claimed_without_a_worker_that_has_not_started)             \
    X(team_bad_input)
#define HELPER_LIST(X)
TEST_MAIN()
