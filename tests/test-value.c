/* SPDX-License-Identifier: MIT */
/* test-value.c: shared typed scalars: arithmetic, locking, a killed holder. */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "harness.h"

static coord_scalar I(int64_t x)
{
    coord_scalar s;
    memset(&s, 0, sizeof s);
    s.i = x;
    return s;
}

TEST(value_types_wrap)
{
    coord_value *v;
    coord_scalar s, old;
    ASSERT_OK(coord_value_create(&v, COORD_I8));
    ASSERT_EQ(coord_value_type(v), COORD_I8);
    ASSERT_OK(coord_value_set(v, I(127)));
    ASSERT_OK(coord_value_add(v, I(1), &old));
    ASSERT_EQ(old.i, 127);
    ASSERT_OK(coord_value_get(v, &s));
    ASSERT_EQ(s.i, -128);
    coord_value_destroy(v);

    ASSERT_OK(coord_value_create(&v, COORD_U16));
    ASSERT_OK(coord_value_set(v, I(-1)));
    ASSERT_OK(coord_value_get(v, &s));
    ASSERT_EQ_U(s.u, 65535);
    coord_value_destroy(v);

    ASSERT_OK(coord_value_create(&v, COORD_F64));
    memset(&s, 0, sizeof s);
    s.f = 1.5;
    ASSERT_OK(coord_value_set(v, s));
    s.f = 0.25;
    ASSERT_OK(coord_value_add(v, s, NULL));
    ASSERT_OK(coord_value_get(v, &s));
    ASSERT_EQ_F(s.f, 1.75);
    int64_t i64;
    ASSERT_OK(coord_value_get_i64(v, &i64));
    ASSERT_EQ(i64, 1);
    coord_value_destroy(v);

    ASSERT_OK(coord_value_create(&v, COORD_BOOL));
    ASSERT_OK(coord_value_set_i64(v, 5));
    ASSERT_OK(coord_value_get(v, &s));
    ASSERT_TRUE(s.b);
    coord_value_destroy(v);

    ASSERT_OK(coord_value_create(&v, COORD_I64));
    ASSERT_EQ(coord_value_cas(v, I(0), I(7), &s), 1);
    ASSERT_EQ(coord_value_cas(v, I(0), I(9), &s), 0);
    ASSERT_EQ(s.i, 7);
    ASSERT_OK(coord_value_add_i64(v, 3, &i64));
    ASSERT_EQ(i64, 7);
    ASSERT_OK(coord_value_get_i64(v, &i64));
    ASSERT_EQ(i64, 10);
    coord_value_destroy(v);

    /* A double read as int64: toward zero, saturating, NaN as 0 (a cast
     * of NaN or of 1e300 was undefined behaviour: UBSan, found by the
     * segment fuzzer). */
    ASSERT_OK(coord_value_create(&v, COORD_F64));
    static const struct {
        double d;
        int64_t want;
    } conv[] = {{-2.9, -2}, {2.9, 2}, {1e300, INT64_MAX}, {-1e300, INT64_MIN},
                {9223372036854775808.0, INT64_MAX}, {0.0 / 0.0, 0}};
    for (size_t k = 0; k < sizeof conv / sizeof conv[0]; k++) {
        coord_scalar f = {.f = conv[k].d};
        ASSERT_OK(coord_value_set(v, f));
        ASSERT_OK(coord_value_get_i64(v, &i64));
        ASSERT_EQ(i64, conv[k].want);
        ASSERT_OK(coord_value_add_i64(v, 0, &i64)); /* its old value too */
        ASSERT_EQ(i64, conv[k].want);
    }
    coord_value_destroy(v);
}

static int adder(void *arg)
{
    coord_value *v = arg;
    for (int i = 0; i < 20000; i++) {
        if (i % 2) {
            if (coord_value_add_i64(v, 1, NULL))
                return 3;
        } else {
            /* A compound update under the lock: read, then store. */
            if (coord_value_lock(v, 10000) != 0)
                return 4;
            int64_t x;
            coord_value_get_i64(v, &x);
            coord_scalar s = I(x + 1);
            coord_value_store(v, s);
            coord_value_unlock(v);
        }
    }
    return 0;
}

TEST(value_concurrent_adds_sum_exactly)
{
    coord_value *v;
    ASSERT_OK(coord_value_create(&v, COORD_I64));
    pid_t p[4];
    for (int i = 0; i < 4; i++)
        p[i] = test_fork(adder, v);
    for (int i = 0; i < 4; i++)
        test_join_ok(p[i], 60000);
    int64_t x;
    ASSERT_OK(coord_value_get_i64(v, &x));
    ASSERT_EQ(x, 4 * 20000);
    coord_value_destroy(v);
}

static int hold_lock_forever(void *arg)
{
    coord_value *v = arg;
    if (coord_value_lock(v, 1000) != 0)
        return 3;
    coord_value_store(v, I(41)); /* half of a compound update */
    for (;;)
        pause();
}

/* Fork a hold_lock_forever child on v and return once it holds the lock:
 * its half-done store (41) is visible, so the lock was taken first. */
static pid_t fork_holder(coord_value *v)
{
    pid_t p = test_fork(hold_lock_forever, v);
    int64_t x = 0;
    WAIT_FOR(coord_value_get_i64(v, &x) == 0 && x == 41, 10000);
    return p;
}

TEST(value_holder_killed_is_recovered)
{
    coord_value *v;
    ASSERT_OK(coord_value_create(&v, COORD_I64));
    pid_t p = fork_holder(v);
    int64_t x = 0;
    ASSERT_CODE(coord_value_lock(v, 0), COORD_EAGAIN);
    ASSERT_CODE(coord_value_lock(v, 20), COORD_ETIMEDOUT);
    kill(p, SIGKILL);
    int st = test_wait(p, 10000);
    ASSERT_TRUE(WIFSIGNALED(st));
    /* The next locker gets the lock, and is told its holder died. */
    ASSERT_CODE(coord_value_lock(v, 5000), COORD_RECOVERED);
    ASSERT_OK(coord_value_store(v, I(42)));
    ASSERT_OK(coord_value_unlock(v));
    /* Usable afterwards, without further reports. */
    ASSERT_OK(coord_value_lock(v, 5000));
    ASSERT_OK(coord_value_unlock(v));
    ASSERT_OK(coord_value_add_i64(v, 1, NULL));
    ASSERT_OK(coord_value_get_i64(v, &x));
    ASSERT_EQ(x, 43);
    coord_value_destroy(v);
}

struct nsv {
    coord_value *v;
    int ready[2], go[2];
};

/* Pid 1 of one pid namespace: hold the value's lock until told to let
 * go; its unlock must then succeed. */
static int nsv_holder(void *arg)
{
    struct nsv *a = arg;
    char c = 1;
    if (coord_value_lock(a->v, 1000) != 0)
        return 1;
    if (write(a->ready[1], &c, 1) != 1 || read(a->go[0], &c, 1) != 1)
        return 2;
    return coord_value_unlock(a->v) == 0 ? 0 : 3;
}

/* Pid 1 of another: the lock is held by a thread with its own number. */
static int nsv_other(void *arg)
{
    struct nsv *a = arg;
    int waited = coord_value_lock(a->v, 300);
    int tried = coord_value_lock(a->v, 0);
    int unlocked = coord_value_unlock(a->v); /* not ours to unlock */
    if (waited != COORD_ETIMEDOUT)
        return 10;
    if (tried != COORD_EAGAIN)
        return 11;
    if (unlocked != COORD_EPERM)
        return 13;
    return 0;
}

/* Two containers sharing memory each have a pid 1, and a robust mutex
 * names its holder by thread id: the other one's lock answered EDEADLK
 * ("you hold it"), and its unlock went through glibc, which unlinked the
 * mutex through the holder's list words (a crash; the kernel then marked
 * the owner dead, the holder's own unlock failed and the next locker was
 * told COORD_RECOVERED while the holder was still inside). */
TEST(value_lock_held_by_the_same_number_in_another_pidns)
{
    struct nsv a = {NULL, {-1, -1}, {-1, -1}};
    ASSERT_OK(coord_value_create(&a.v, COORD_I64));
    ASSERT_OK(pipe(a.ready));
    ASSERT_OK(pipe(a.go));
    pid_t h = test_fork_in_new_pidns(nsv_holder, &a);
    ASSERT_TRUE(h > 0);
    close(a.ready[1]);
    char c;
    struct pollfd pf = {a.ready[0], POLLIN, 0};
    if (poll(&pf, 1, 20000) != 1 || read(a.ready[0], &c, 1) != 1) {
        int st = test_wait(h, 20000);
        close(a.ready[0]), close(a.go[0]), close(a.go[1]);
        coord_value_destroy(a.v);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
            SKIP("unshare(CLONE_NEWPID) is not permitted here (needs root or "
                 "a user namespace)");
        ASSERT_TRUE(!"the holder in its namespace did not start");
    }
    int st = test_wait(test_fork_in_new_pidns(nsv_other, &a), 20000);
    c = 1;
    ASSERT_EQ(write(a.go[1], &c, 1), 1);
    int hst = test_wait(h, 20000);
    close(a.ready[0]), close(a.go[0]), close(a.go[1]);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_TRUE(WIFEXITED(hst));
    ASSERT_EQ(WEXITSTATUS(hst), 0); /* its own unlock went through */
    ASSERT_OK(coord_value_lock(a.v, 1000)); /* not COORD_RECOVERED */
    ASSERT_OK(coord_value_unlock(a.v));
    coord_value_destroy(a.v);
}

TEST(value_holder_killed_then_set)
{
    /* set/add recover silently: their own updates are single stores. */
    coord_value *v;
    ASSERT_OK(coord_value_create(&v, COORD_I64));
    pid_t p = fork_holder(v);
    int64_t x = 0;
    kill(p, SIGKILL);
    test_wait(p, 10000);
    ASSERT_OK(coord_value_set_i64(v, 5));
    ASSERT_OK(coord_value_get_i64(v, &x));
    ASSERT_EQ(x, 5);
    coord_value_destroy(v);
}

TEST(value_bad_input)
{
    coord_value *v = NULL;
    coord_scalar s;
    char buf[256] __attribute__((aligned(64)));
    ASSERT_CODE(coord_value_create(NULL, COORD_I64), COORD_EINVAL);
    ASSERT_CODE(coord_value_create(&v, (coord_type)0), COORD_EINVAL);
    ASSERT_CODE(coord_value_create(&v, (coord_type)42), COORD_EINVAL);
    ASSERT_CODE(coord_value_init(buf + 8, 200, COORD_I64, &v), COORD_EINVAL);
    ASSERT_CODE(coord_value_init(buf, 16, COORD_I64, &v), COORD_EINVAL);
    ASSERT_CODE(coord_value_get(NULL, &s), COORD_EINVAL);
    ASSERT_CODE(coord_value_set(NULL, s), COORD_EINVAL);
    ASSERT_CODE(coord_value_add(NULL, s, NULL), COORD_EINVAL);
    ASSERT_CODE(coord_value_cas(NULL, s, s, NULL), COORD_EINVAL);
    ASSERT_CODE(coord_value_lock(NULL, 0), COORD_EINVAL);
    ASSERT_CODE(coord_value_unlock(NULL), COORD_EINVAL);
    ASSERT_CODE(coord_value_store(NULL, s), COORD_EINVAL);
    ASSERT_CODE(coord_value_get_i64(NULL, NULL), COORD_EINVAL);
    ASSERT_CODE(coord_value_create_named(&v, COORD_I64, NULL), COORD_EINVAL);
    ASSERT_CODE(coord_value_open(&v, "bad/name"), COORD_EINVAL);
    coord_value_destroy(NULL);
    ASSERT_EQ(coord_value_type(NULL), 0);
    ASSERT_OK(coord_value_init(buf, sizeof buf, COORD_U32, &v));
    ASSERT_CODE(coord_value_get(v, NULL), COORD_EINVAL);
    ASSERT_CODE(coord_value_lock(v, -5), COORD_EINVAL);
    /* Relocking by the holder is reported, not a self-deadlock. */
    ASSERT_OK(coord_value_lock(v, -1));
    ASSERT_CODE(coord_value_lock(v, -1), COORD_EDEADLK);
    ASSERT_CODE(coord_value_set(v, I(1)), COORD_EDEADLK);
    ASSERT_OK(coord_value_unlock(v));
    ASSERT_CODE(coord_value_unlock(v), COORD_EPERM);
    coord_value_destroy(v);
}

/* The lock's memory lives in shared memory: a rewritten mutex type word
 * (another process of the same user scribbling) gives COORD_EPROTO from
 * unlock as from lock, as value.h and array.h say, never a glibc abort. */
TEST(value_unlock_of_a_rewritten_lock)
{
    coord_value *v;
    coord_array *a;
    ASSERT_OK(coord_value_create(&v, COORD_I64));
    ASSERT_OK(coord_array_create(&a, COORD_I64, 4));
    ASSERT_OK(coord_value_lock(v, -1));
    ASSERT_OK(coord_array_lock(a, -1));
    /* Both locks sit on the object's second cache line. */
    pthread_mutex_t *vm = (pthread_mutex_t *)((char *)v + 64);
    pthread_mutex_t *am = (pthread_mutex_t *)((char *)a + 64);
    int vk = vm->__data.__kind, ak = am->__data.__kind;
    vm->__data.__kind = 0x55;
    am->__data.__kind = 0x55;
    ASSERT_CODE(coord_value_unlock(v), COORD_EPROTO);
    ASSERT_CODE(coord_array_unlock(a), COORD_EPROTO);
    vm->__data.__kind = vk;
    am->__data.__kind = ak;
    ASSERT_OK(coord_value_unlock(v));
    ASSERT_OK(coord_array_unlock(a));
    coord_value_destroy(v);
    coord_array_destroy(a);
}

#define TEST_LIST(X)                                                           \
    X(value_unlock_of_a_rewritten_lock)                                        \
    X(value_types_wrap)                                                        \
    X(value_concurrent_adds_sum_exactly)                                       \
    X(value_holder_killed_is_recovered)                                        \
    X(value_lock_held_by_the_same_number_in_another_pidns)                      \
    X(value_holder_killed_then_set)                                            \
    X(value_bad_input)
#define HELPER_LIST(X)
TEST_MAIN()
