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
 * cgroup's pids.max reached for a moment), the ones after it succeed. */
pid_t __real_fork(void);
pid_t __wrap_fork(void);
static int fork_fail_in;

pid_t __wrap_fork(void)
{
    if (fork_fail_in > 0 && --fork_fail_in == 0) {
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

/* Two workers that retire after each task; the fork of one replacement
 * fails once. The slot used to stay empty for good (the pool went on with
 * one worker, and the next such failure left none: every task failed with
 * "no live worker"); now it is forked again and the pool has its two
 * workers back while it runs tasks. */
TEST(oom_pool_replacement_fork_failing_once_is_tried_again)
{
    coord_pool_opts o;
    coord_pool_opts_init(&o);
    o.workers = 2;
    o.retire_after = 1;
    coord_pool *p;
    ASSERT_OK(coord_pool_start(&p, &o, echo_task, NULL));
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

#define TEST_LIST(X)                                                           \
    X(oom_manager_first_request_is_enomem)                                     \
    X(oom_pool_replacement_fork_failing_once_is_tried_again)
#define HELPER_LIST(X)
TEST_MAIN()
