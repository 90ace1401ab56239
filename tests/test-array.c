/* SPDX-License-Identifier: MIT */
/* test-array.c: typed shared arrays: elements, zero-copy, slices, the lock. */
#include <signal.h>
#include <sys/wait.h>

#include "harness.h"

TEST(array_elements_and_types)
{
    coord_array *a;
    coord_scalar s;
    memset(&s, 0, sizeof s);
    ASSERT_OK(coord_array_create(&a, COORD_I16, 10));
    ASSERT_EQ(coord_array_length(a), 10);
    ASSERT_EQ(coord_array_type(a), COORD_I16);
    s.i = 40000; /* wraps to 40000 - 65536 */
    ASSERT_OK(coord_array_set(a, 3, s));
    ASSERT_OK(coord_array_get(a, 3, &s));
    ASSERT_EQ(s.i, 40000 - 65536);
    int16_t *d = coord_array_data(a);
    ASSERT_EQ(d[3], 40000 - 65536);
    d[4] = -7; /* zero-copy write is seen by get */
    ASSERT_OK(coord_array_get(a, 4, &s));
    ASSERT_EQ(s.i, -7);
    ASSERT_CODE(coord_array_get(a, 10, &s), COORD_ERANGE);
    ASSERT_CODE(coord_array_set(a, 99, s), COORD_ERANGE);
    coord_array_destroy(a);

    ASSERT_OK(coord_array_create(&a, COORD_F64, 3));
    double *f = coord_array_data(a);
    f[2] = 2.5;
    ASSERT_OK(coord_array_get(a, 2, &s));
    ASSERT_EQ_F(s.f, 2.5);
    coord_array_destroy(a);

    ASSERT_OK(coord_array_create(&a, COORD_BOOL, 2));
    memset(&s, 0, sizeof s);
    s.b = true;
    ASSERT_OK(coord_array_set(a, 1, s));
    ASSERT_EQ(((unsigned char *)coord_array_data(a))[1], 1);
    coord_array_destroy(a);
}

TEST(array_slices_cover_exactly)
{
    coord_array *a;
    ASSERT_OK(coord_array_create(&a, COORD_U8, 10));
    size_t expect = 0;
    for (unsigned w = 0; w < 3; w++) {
        size_t b, e;
        ASSERT_OK(coord_array_slice(a, w, 3, &b, &e));
        ASSERT_EQ(b, expect);
        ASSERT_TRUE(e - b == 3 || e - b == 4);
        expect = e;
    }
    ASSERT_EQ(expect, 10);
    size_t b, e;
    ASSERT_CODE(coord_array_slice(a, 3, 3, &b, &e), COORD_EINVAL);
    ASSERT_CODE(coord_array_slice(a, 0, 0, &b, &e), COORD_EINVAL);
    coord_array_destroy(a);
}

struct slice_job {
    coord_array *a;
    unsigned w, n;
};

static int slice_writer(void *arg)
{
    struct slice_job *j = arg;
    size_t b, e;
    if (coord_array_slice(j->a, j->w, j->n, &b, &e))
        return 3;
    uint64_t *d = coord_array_data(j->a);
    for (int round = 0; round < 100; round++)
        for (size_t i = b; i < e; i++)
            d[i] += i; /* no lock: the slice is ours alone */
    return 0;
}

TEST(array_lock_free_slices_across_processes)
{
    coord_array *a;
    const size_t n = 100003;
    ASSERT_OK(coord_array_create(&a, COORD_U64, n));
    pid_t p[4];
    struct slice_job j[4];
    for (unsigned w = 0; w < 4; w++) {
        j[w] = (struct slice_job){a, w, 4};
        p[w] = test_fork(slice_writer, &j[w]);
    }
    for (int w = 0; w < 4; w++)
        test_join_ok(p[w], 60000);
    uint64_t *d = coord_array_data(a);
    for (size_t i = 0; i < n; i++)
        if (d[i] != 100 * i)
            test__fail(__FILE__, __LINE__, "element %zu: %llu vs %llu", i,
                       (unsigned long long)d[i],
                       (unsigned long long)(100 * i));
    coord_array_destroy(a);
}

static int hold_array_lock(void *arg)
{
    coord_array *a = arg;
    if (coord_array_lock(a, 1000))
        return 3;
    ((int32_t *)coord_array_data(a))[0] = 1;
    for (;;)
        pause();
}

TEST(array_holder_killed_is_recovered)
{
    coord_array *a;
    ASSERT_OK(coord_array_create(&a, COORD_I32, 4));
    pid_t p = test_fork(hold_array_lock, a);
    volatile int32_t *d = coord_array_data(a);
    WAIT_FOR(d[0] == 1, 10000);
    ASSERT_CODE(coord_array_lock(a, 0), COORD_EAGAIN);
    kill(p, SIGKILL);
    test_wait(p, 10000);
    ASSERT_CODE(coord_array_lock(a, 5000), COORD_RECOVERED);
    ASSERT_OK(coord_array_unlock(a));
    ASSERT_OK(coord_array_lock(a, 5000));
    ASSERT_OK(coord_array_unlock(a));
    coord_array_destroy(a);
}

/* Where size_t is 32-bit, (size_t)1 << 40 was 0: COORD_ARRAY_MAX_BYTES
 * was 0 and every array "too large", and the segment, region and pool
 * limits alike (an -m32 build: every coord_*_create said COORD_ENOMEM). */
TEST(array_limit_fits_size_t)
{
    ASSERT_TRUE(COORD_ARRAY_MAX_BYTES > 0);
    ASSERT_TRUE(coord_array_size(COORD_U64, COORD_ARRAY_MAX_BYTES / 8) > 0);
    ASSERT_EQ(coord_array_size(COORD_U64, COORD_ARRAY_MAX_BYTES / 8 + 1), 0);
    coord_array *a = NULL;
    ASSERT_OK(coord_array_create(&a, COORD_U64, 4));
    coord_array_destroy(a);
}

TEST(array_bad_input)
{
    coord_array *a = NULL;
    coord_scalar s;
    char buf[512] __attribute__((aligned(64)));
    ASSERT_CODE(coord_array_create(NULL, COORD_I32, 4), COORD_EINVAL);
    ASSERT_CODE(coord_array_create(&a, COORD_I32, 0), COORD_EINVAL);
    ASSERT_CODE(coord_array_create(&a, (coord_type)77, 4), COORD_EINVAL);
    /* Oversized: beyond COORD_ARRAY_MAX_BYTES, and a length whose byte
     * count overflows size_t. */
    ASSERT_CODE(coord_array_create(&a, COORD_U64,
                                   COORD_ARRAY_MAX_BYTES / 8 + 1),
                COORD_EINVAL);
    ASSERT_CODE(coord_array_create(&a, COORD_U64, SIZE_MAX / 2),
                COORD_EINVAL);
    ASSERT_EQ(coord_array_size(COORD_U64, SIZE_MAX), 0);
    ASSERT_CODE(coord_array_init(buf, 64, COORD_U8, 4, &a), COORD_EINVAL);
    ASSERT_CODE(coord_array_init(buf + 1, 500, COORD_U8, 4, &a),
                COORD_EINVAL);
    ASSERT_CODE(coord_array_get(NULL, 0, &s), COORD_EINVAL);
    ASSERT_CODE(coord_array_set(NULL, 0, s), COORD_EINVAL);
    ASSERT_CODE(coord_array_lock(NULL, 0), COORD_EINVAL);
    ASSERT_CODE(coord_array_unlock(NULL), COORD_EINVAL);
    ASSERT_TRUE(coord_array_data(NULL) == NULL);
    ASSERT_EQ(coord_array_length(NULL), 0);
    ASSERT_CODE(coord_array_create_named(&a, COORD_U8, 4, NULL),
                COORD_EINVAL);
    coord_array_destroy(NULL);
    ASSERT_OK(coord_array_init(buf, sizeof buf, COORD_U8, 4, &a));
    ASSERT_CODE(coord_array_get(a, 0, NULL), COORD_EINVAL);
    coord_array_destroy(a);
}

TEST(array_bounds_follow_the_memory_not_the_shared_length)
{
    /* An array placed in caller memory is bounded by the size given to
     * init. Placed again in the same memory with a smaller size, the old
     * bound (and anything validated against it) no longer counts: a length
     * word rewritten to the old length is refused. */
    static _Alignas(64) unsigned char buf[4096];
    coord_array *a;
    coord_scalar s;
    ASSERT_OK(coord_array_init(buf, sizeof buf, COORD_U8, 1000, &a));
    ASSERT_OK(coord_array_get(a, 999, &s));
    size_t small = coord_array_size(COORD_U8, 100);
    ASSERT_OK(coord_array_init(buf, small, COORD_U8, 100, &a));
    uint64_t old_length = 1000;
    memcpy(buf + 8, &old_length, 8); /* the length word (docs/segments.md) */
    ASSERT_CODE(coord_array_get(a, 999, &s), COORD_EPROTO);
    ASSERT_EQ(coord_array_length(a), 0);
    coord_array_destroy(a);
}

#define TEST_LIST(X)                                                           \
    X(array_elements_and_types)                                                \
    X(array_slices_cover_exactly)                                              \
    X(array_lock_free_slices_across_processes)                                 \
    X(array_holder_killed_is_recovered)                                        \
    X(array_limit_fits_size_t)                                                 \
    X(array_bad_input)                                                         \
    X(array_bounds_follow_the_memory_not_the_shared_length)
#define HELPER_LIST(X)
TEST_MAIN()
