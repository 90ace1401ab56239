/* SPDX-License-Identifier: MIT */
/* test-oom.c: allocations that fail (the library's realloc, wrapped at link time) give COORD_ENOMEM. */
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

#define TEST_LIST(X) X(oom_manager_first_request_is_enomem)
#define HELPER_LIST(X)
TEST_MAIN()
