/* SPDX-License-Identifier: MIT */
/* test-oom.c: allocations that fail (the library's realloc, wrapped at link time) give COORD_ENOMEM; a fork that fails (wrapped too) is tried again. */
#include "harness.h"

/* tests/CMakeLists.txt links this test with -Wl,--wrap=realloc: every
 * realloc of the library (linked statically) comes here. fail_in > 0:
 * the fail_in-th call from now fails. */
void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);
static int fail_in;

void *__wrap_realloc(void *p, size_t n)
{
    if (fail_in > 0 && --fail_in == 0)
        return NULL;
    return __real_realloc(p, n);
}

/* Linked with -Wl,--wrap=fork as well: fork_fail_in > 0: the
 * fork_fail_in-th fork from now fails with EAGAIN (a process limit or a
 * cgroup's pids.max reached for a moment), the ones after it succeed;
 * fork_fail_all: every fork fails (the limit stays) until it is cleared. */
pid_t __real_fork(void);
pid_t __wrap_fork(void);
static int fork_fail_in;
static volatile bool fork_fail_all;

pid_t __wrap_fork(void)
{
    if (fork_fail_all || (fork_fail_in > 0 && --fork_fail_in == 0)) {
        errno = EAGAIN;
        return -1;
    }
    return __real_fork();
}

#define T 10000

TEST(oom_manager_first_request_is_enomem)
{
    /* The client's request buffer is made at its first call: a realloc
     * that fails there is COORD_ENOMEM, not a frame "too long". */
    coord_manager *m;
    ASSERT_OK(coord_manager_start(&m, NULL, NULL));
    coord_mclient *c;
    ASSERT_OK(coord_mclient_connect(&c, coord_manager_path(m), T));
    coord_mval v = coord_mval_i64(5);
    fail_in = 1;
    int r = coord_mclient_set(c, "d", "k", &v, T);
    fail_in = 0;
    ASSERT_CODE(r, COORD_ENOMEM);
    /* Nothing was sent: the connection goes on. */
    ASSERT_OK(coord_mclient_set(c, "d", "k", &v, T));
    ASSERT_OK(coord_mclient_get(c, "d", "k", &v, T));
    ASSERT_EQ(v.i, 5);
    coord_mclient_close(c);
    ASSERT_OK(coord_manager_stop(m, T));
}

static int echo_task(const void *task, size_t len, void *result, size_t cap,
                     size_t *out, void *arg)
{
    (void)arg;
    if (len > cap)
        return COORD_EINVAL;
    memcpy(result, task, len);
    *out = len;
    return 0;
}

/* A pool of `workers` echo workers, each retiring after one task (so
 * every task forks a replacement: the forks the wrap makes fail). */
static coord_pool *retiring_pool(unsigned workers)
{
    coord_pool_opts o;
    coord_pool_opts_init(&o);
    o.workers = workers;
    o.retire_after = 1;
    coord_pool *p = NULL;
    ASSERT_OK(coord_pool_start(&p, &o, echo_task, NULL));
    return p;
}

/* Two workers that retire after each task; the fork of one replacement
 * fails once. The slot used to stay empty for good (the pool went on with
 * one worker, and the next such failure left none: every task failed with
 * "no live worker"); now it is forked again and the pool has its two
 * workers back while it runs tasks. */
TEST(oom_pool_replacement_fork_failing_once_is_tried_again)
{
    coord_pool *p = retiring_pool(2);
    fork_fail_in = 1;
    coord_pool_stats st = {0};
    uint64_t dl = coord_clock_ns() + 20000000000ull;
    uint32_t i = 0;
    bool back = false;
    for (; !back && coord_clock_ns() < dl; i++) {
        uint64_t id;
        ASSERT_OK(coord_pool_submit(p, &i, sizeof i, &id, T));
        coord_task_result r;
        uint32_t v = 0;
        ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, T));
        ASSERT_OK(r.status);
        ASSERT_EQ(v, i);
        ASSERT_OK(coord_pool_get_stats(p, &st));
        back = fork_fail_in == 0 && st.live == 2;
        if (fork_fail_in == 0)
            usleep(1000); /* let the retry's interval pass */
    }
    fork_fail_in = 0;
    ASSERT_TRUE(back);
    ASSERT_OK(coord_pool_shutdown(p, T));
    coord_pool_destroy(p);
}

/* One worker that retires after each task, four tasks queued; the fork
 * of its first replacement fails once. The outstanding tasks used to
 * fail at once ("no live worker") and every later submit with
 * COORD_EPEERDIED, for good: the pool had no worker and never forked
 * one again. Now the fork is tried again: every task runs, once. */
TEST(oom_pool_last_worker_replacement_fork_failing_once_loses_nothing)
{
    coord_pool *p = retiring_pool(1);
    fork_fail_in = 1;
    for (uint32_t i = 0; i < 4; i++)
        ASSERT_OK(coord_pool_submit(p, &i, sizeof i, NULL, T));
    uint8_t seen[5] = {0};
    for (int k = 0; k < 4; k++) {
        coord_task_result r;
        uint32_t v = 99;
        ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, T));
        ASSERT_OK(r.status);
        ASSERT_EQ(v, (uint32_t)r.id);
        ASSERT_TRUE(r.id < 4 && !seen[r.id]);
        seen[r.id] = 1;
    }
    ASSERT_EQ(fork_fail_in, 0); /* the failing fork came */
    /* The pool goes on: a later submit and its result. */
    uint32_t t = 4;
    uint64_t id;
    ASSERT_OK(coord_pool_submit(p, &t, sizeof t, &id, T));
    coord_task_result r;
    uint32_t v = 99;
    ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, T));
    ASSERT_OK(r.status);
    ASSERT_EQ(r.id, id);
    ASSERT_EQ(v, 4u);
    ASSERT_EQ(coord_pool_result(p, &r, &v, sizeof v, 0), COORD_ENODATA);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.succeeded, 5u);
    ASSERT_EQ(st.failed, 0u);
    ASSERT_OK(coord_pool_shutdown(p, T));
    coord_pool_destroy(p);
}

/* The same in a map: one worker retiring after each task, one fork of
 * a replacement failing: every task succeeds (the map used to stop with
 * COORD_EPEERDIED, its tasks failed "no live worker"). */
TEST(oom_pool_map_last_worker_replacement_fork_failing_once)
{
    coord_pool *p = retiring_pool(1);
    uint32_t in[8], out[8];
    coord_task_result info[8];
    for (uint32_t i = 0; i < 8; i++)
        in[i] = 100 + i;
    fork_fail_in = 2;
    ASSERT_EQ(coord_pool_map(p, in, 8, sizeof in[0], out, sizeof out[0], info,
                             T),
              0);
    ASSERT_EQ(fork_fail_in, 0);
    for (int i = 0; i < 8; i++) {
        ASSERT_OK(info[i].status);
        ASSERT_EQ(out[i], in[i]);
    }
    ASSERT_OK(coord_pool_shutdown(p, T));
    coord_pool_destroy(p);
}

/* Forks keep failing after the last worker retired: the outstanding task
 * fails ("no live worker") after a bounded wait, a submit then says
 * COORD_EAGAIN (timeout 0) or, having waited about a second,
 * COORD_EPEERDIED, and nothing is queued. Once forks work again the next
 * submit forks a worker: the pool is back. */
TEST(oom_pool_without_worker_recovers_once_forks_work)
{
    coord_pool *p = retiring_pool(1);
    fork_fail_all = true;
    uint32_t t0 = 7, t1 = 8;
    ASSERT_OK(coord_pool_submit(p, &t0, sizeof t0, NULL, T));
    ASSERT_OK(coord_pool_submit(p, &t1, sizeof t1, NULL, T));
    /* Task 0 runs (its worker then retires); task 1 never can. */
    bool got0 = false, got1 = false;
    for (int k = 0; k < 2; k++) {
        coord_task_result r;
        uint32_t v = 0;
        ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, T));
        if (r.id == 0) {
            ASSERT_OK(r.status);
            ASSERT_EQ(v, 7u);
            got0 = true;
        } else {
            ASSERT_EQ(r.id, 1u);
            ASSERT_EQ(r.status, COORD_EPEERDIED);
            ASSERT_STR_EQ(r.cause, "no live worker");
            got1 = true;
        }
    }
    ASSERT_TRUE(got0 && got1);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.live, 0u);
    uint32_t t2 = 9;
    ASSERT_EQ(coord_pool_submit(p, &t2, sizeof t2, NULL, 0), COORD_EAGAIN);
    ASSERT_EQ(coord_pool_submit(p, &t2, sizeof t2, NULL, T), COORD_EPEERDIED);
    ASSERT_EQ(coord_pool_map(p, &t2, 1, sizeof t2, NULL, 0, NULL, 0),
              COORD_EAGAIN);
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.submitted, 2u);
    ASSERT_EQ(st.pending, 0u);
    /* The limit is gone: the next submit forks a worker. */
    fork_fail_all = false;
    uint64_t id;
    ASSERT_OK(coord_pool_submit(p, &t2, sizeof t2, &id, T));
    ASSERT_EQ(id, 2u);
    coord_task_result r;
    uint32_t v = 0;
    ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, T));
    ASSERT_OK(r.status);
    ASSERT_EQ(r.id, 2u);
    ASSERT_EQ(v, 9u);
    ASSERT_OK(coord_pool_shutdown(p, T));
    coord_pool_destroy(p);
}

#define TEST_LIST(X)                                                           \
    X(oom_manager_first_request_is_enomem)                                     \
    X(oom_pool_replacement_fork_failing_once_is_tried_again)                   \
    X(oom_pool_last_worker_replacement_fork_failing_once_loses_nothing)        \
    X(oom_pool_map_last_worker_replacement_fork_failing_once)                  \
    X(oom_pool_without_worker_recovers_once_forks_work)
#define HELPER_LIST(X)
TEST_MAIN()
