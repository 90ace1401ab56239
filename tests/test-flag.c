/* SPDX-License-Identifier: MIT */
/* test-flag.c: the stop flag across real processes: claims, epochs, waits. */
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "harness.h"
#include "internal.h"

TEST(flag_basic)
{
    coord_flag *f;
    ASSERT_OK(coord_flag_create(&f));
    ASSERT_FALSE(coord_flag_is_set(f));
    ASSERT_EQ(coord_flag_epoch(f), 0);
    ASSERT_TRUE(coord_flag_claim(f));
    ASSERT_TRUE(coord_flag_is_set(f));
    ASSERT_FALSE(coord_flag_claim(f));
    ASSERT_FALSE(coord_flag_claim_locked(f));
    ASSERT_EQ(coord_flag_reset(f), 1);
    ASSERT_FALSE(coord_flag_is_set(f));
    ASSERT_TRUE(coord_flag_claim_locked(f));
    ASSERT_FALSE(coord_flag_claim(f));
    ASSERT_EQ(coord_flag_reset(f), 2);
    coord_flag_set(f);
    ASSERT_TRUE(coord_flag_is_set(f));
    ASSERT_FALSE(coord_flag_claim(f));
    coord_flag_set(f); /* idempotent */
    ASSERT_EQ(coord_flag_epoch(f), 2);
    coord_flag_destroy(f);
}

TEST(flag_epoch_claims_do_not_leak)
{
    coord_flag *f;
    ASSERT_OK(coord_flag_create(&f));
    uint32_t e0 = coord_flag_epoch(f);
    ASSERT_EQ(coord_flag_reset(f), (int)e0 + 1);
    /* A late worker of round e0 must not claim round e0 + 1. */
    ASSERT_EQ(coord_flag_claim_epoch(f, e0, COORD_CLAIM_CAS), 0);
    ASSERT_EQ(coord_flag_claim_epoch(f, e0, COORD_CLAIM_LOCK), 0);
    ASSERT_FALSE(coord_flag_is_set(f));
    ASSERT_EQ(coord_flag_claim_epoch(f, e0 + 1, COORD_CLAIM_LOCK), 1);
    ASSERT_EQ(coord_flag_claim_epoch(f, e0 + 1, COORD_CLAIM_CAS), 0);
    ASSERT_CODE(coord_flag_claim_epoch(f, e0 + 1, (coord_claim_mode)7),
                COORD_EINVAL);
    coord_flag_destroy(f);
}

TEST(flag_bad_input)
{
    coord_flag *f = NULL;
    char buf[256] __attribute__((aligned(64)));
    ASSERT_CODE(coord_flag_create(NULL), COORD_EINVAL);
    ASSERT_CODE(coord_flag_init(NULL, sizeof buf, &f), COORD_EINVAL);
    ASSERT_CODE(coord_flag_init(buf + 1, sizeof buf - 1, &f), COORD_EINVAL);
    ASSERT_CODE(coord_flag_init(buf, 8, &f), COORD_EINVAL);
    ASSERT_CODE(coord_flag_init(buf, sizeof buf, NULL), COORD_EINVAL);
    ASSERT_FALSE(coord_flag_claim(NULL));
    ASSERT_FALSE(coord_flag_claim_locked(NULL));
    ASSERT_CODE(coord_flag_claim_epoch(NULL, 0, COORD_CLAIM_CAS),
                COORD_EINVAL);
    ASSERT_CODE(coord_flag_reset(NULL), COORD_EINVAL);
    ASSERT_CODE(coord_flag_wait(NULL, 0), COORD_EINVAL);
    ASSERT_EQ(coord_flag_epoch(NULL), 0);
    coord_flag_set(NULL);
    coord_flag_destroy(NULL);
    ASSERT_CODE(coord_flag_create_named(&f, NULL), COORD_EINVAL);
    ASSERT_CODE(coord_flag_create_named(&f, ""), COORD_EINVAL);
    ASSERT_CODE(coord_flag_create_named(&f, "a/b"), COORD_EINVAL);
    ASSERT_CODE(coord_flag_create_named(&f, ".hidden"), COORD_EINVAL);
    char longname[300];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ASSERT_CODE(coord_flag_create_named(&f, longname), COORD_EINVAL);
    ASSERT_CODE(coord_flag_open(&f, "t0-no-such-flag-here"), COORD_ENOENT);
    ASSERT_CODE(coord_flag_open(NULL, "x"), COORD_EINVAL);
    /* A flag placed in caller memory works and destroy frees nothing. */
    ASSERT_OK(coord_flag_init(buf, sizeof buf, &f));
    ASSERT_TRUE(coord_flag_claim(f));
    coord_flag_destroy(f);
    ASSERT_TRUE(coord_flag_is_set(f));
    ASSERT_CODE(coord_flag_wait(f, -2), COORD_EINVAL);
}

/* ---- exactly-once claims under a real race ---------------------------- */

#define RACERS 4
#define ROUNDS 10000
#define ROUNDS_AT_LEAST 500
#define RACE_MS 10000 /* rounds past ROUNDS_AT_LEAST stop after this */
#define RACE_STOP UINT32_MAX /* *go: no more rounds */

struct race {
    coord_flag *flag;
    coord_claim_mode mode;
    _Atomic uint32_t *go;      /* barrier: racers of round r wait for go > r */
    _Atomic uint32_t *arrived; /* per round: racers that finished claiming */
    _Atomic uint32_t *wins;    /* per round: number of winners */
    int id;
};

static int racer(void *arg)
{
    struct race *r = arg;
    for (uint32_t round = 0; round < ROUNDS; round++) {
        /* Spin until the parent opens the round (bounded: the harness
         * deadline kills a stuck child). */
        uint32_t go;
        while ((go = atomic_load(r->go)) <= round)
            sched_yield(); /* 4 racers on 2 cores: let the others run */
        if (go == RACE_STOP)
            return 0;
        uint32_t e = coord_flag_epoch(r->flag);
        int c = coord_flag_claim_epoch(r->flag, e, r->mode);
        if (c < 0)
            return 3;
        if (c == 1)
            atomic_fetch_add(&r->wins[round], 1);
        atomic_fetch_add(&r->arrived[round], 1);
    }
    return 0;
}

static void claim_race(coord_claim_mode mode)
{
    size_t bytes = sizeof(_Atomic uint32_t) * (2 * ROUNDS + 1);
    _Atomic uint32_t *shm = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(shm != MAP_FAILED);
    struct race r = {.mode = mode, .go = shm, .arrived = shm + 1,
                     .wins = shm + 1 + ROUNDS};
    ASSERT_OK(coord_flag_create(&r.flag));
    pid_t pids[RACERS];
    for (int i = 0; i < RACERS; i++) {
        r.id = i;
        pids[i] = test_fork(racer, &r);
    }
    /* Each round takes every racer a turn on a CPU: beside busy loops a
     * round costs scheduler slices, and 10,000 of them took 45-65 s of the
     * 120 s limit (0.1 s when idle). The rounds stop after RACE_MS once
     * ROUNDS_AT_LEAST are done. */
    uint64_t race_end = coord_clock_ns() + RACE_MS * 1000000ull;
    for (uint32_t round = 0; round < ROUNDS; round++) {
        if (round >= ROUNDS_AT_LEAST && coord_clock_ns() > race_end) {
            atomic_store(r.go, RACE_STOP);
            break;
        }
        atomic_store(r.go, round + 1);
        uint64_t dl = coord_clock_ns() + 30ull * 1000000000ull;
        while (atomic_load(&r.arrived[round]) != RACERS) {
            if (coord_clock_ns() > dl)
                test__fail(__FILE__, __LINE__, "round %u: racers stuck", round);
            sched_yield();
        }
        /* Every racer has tried: exactly one may have won. */
        if (atomic_load(&r.wins[round]) != 1)
            test__fail(__FILE__, __LINE__, "round %u: %u winners", round,
                       atomic_load(&r.wins[round]));
        ASSERT_TRUE(coord_flag_is_set(r.flag));
        coord_flag_reset(r.flag);
    }
    for (int i = 0; i < RACERS; i++)
        test_join_ok(pids[i], 30000);
    coord_flag_destroy(r.flag);
    munmap(shm, bytes);
}

TEST(flag_claim_exactly_once_cas) { claim_race(COORD_CLAIM_CAS); }
TEST(flag_claim_exactly_once_lock) { claim_race(COORD_CLAIM_LOCK); }

/* ---- visibility and waiting ------------------------------------------- */

static int spin_until_set(void *arg)
{
    coord_flag *f = arg;
    uint64_t dl = coord_clock_ns() + 20ull * 1000000000ull;
    while (!coord_flag_is_set(f))
        if (coord_clock_ns() > dl)
            return 4;
    return 0;
}

TEST(flag_visible_to_spinning_child)
{
    coord_flag *f;
    ASSERT_OK(coord_flag_create(&f));
    pid_t p = test_fork(spin_until_set, f);
    usleep(2000); /* not synchronisation: lets the child start spinning */
    coord_flag_set(f);
    test_join_ok(p, 30000);
    coord_flag_destroy(f);
}

static int sleep_until_set(void *arg)
{
    coord_flag *f = arg;
    int r = coord_flag_wait(f, 20000);
    return r == 0 && coord_flag_is_set(f) ? 0 : 5;
}

TEST(flag_wait_wakes_on_set)
{
    coord_flag *f;
    ASSERT_OK(coord_flag_create(&f));
    pid_t p[3];
    for (int i = 0; i < 3; i++)
        p[i] = test_fork(sleep_until_set, f);
    usleep(5000);
    ASSERT_TRUE(coord_flag_claim(f));
    for (int i = 0; i < 3; i++)
        test_join_ok(p[i], 30000);
    coord_flag_destroy(f);
}

static int sleep_until_reset(void *arg)
{
    coord_flag *f = arg;
    /* The parent resets until this child exits: a reset made before this
     * wait began is followed by another one, so >= 1, not == 1. */
    return coord_flag_wait(f, 20000) == 0 && coord_flag_epoch(f) >= 1 ? 0 : 6;
}

static int wait_forever_until_set(void *arg)
{
    return coord_flag_wait(arg, -1) == 0 && coord_flag_is_set(arg) ? 0 : 7;
}

/* A hostile peer: rewrite the sleepers' count (offset 4, docs/segments.md)
 * to 0 and die. */
static int zero_waiters(void *arg)
{
    atomic_store((_Atomic uint32_t *)arg + 1, 0);
    return 0;
}

TEST(flag_wait_survives_a_zeroed_waiter_count)
{
    /* The setter wakes the futex only when it reads waiters != 0. A peer
     * that zeroed the word under a sleeping waiter made that waiter (with
     * no timeout) sleep for ever after the set: it must look again within
     * a slice. */
    coord_flag *f;
    ASSERT_OK(coord_flag_create(&f));
    pid_t p = test_fork(wait_forever_until_set, f);
    _Atomic uint32_t *waiters = (_Atomic uint32_t *)f + 1;
    uint64_t end = coord_clock_ns() + 20000ull * 1000000ull;
    while (atomic_load(waiters) == 0 || test_proc_state(p) != 'S') {
        ASSERT_TRUE(coord_clock_ns() < end);
        usleep(1000);
    }
    test_join_ok(test_fork(zero_waiters, f), 10000);
    ASSERT_EQ(atomic_load(waiters), 0);
    coord_flag_set(f);
    test_join_ok(p, 3000);
    coord_flag_destroy(f);
}

TEST(flag_wait_wakes_on_reset)
{
    coord_flag *f;
    ASSERT_OK(coord_flag_create(&f));
    pid_t p = test_fork(sleep_until_reset, f);
    /* No sleep to synchronise: reset, and again every 20 ms while the child
     * is still there (it may not have started waiting on a loaded machine).
     * The child must wake on one of them; 30 s bounds the whole test. */
    int st = -1;
    uint64_t end = coord_clock_ns() + 30000ull * 1000000ull;
    for (;;) {
        coord_flag_reset(f);
        pid_t w = waitpid(p, &st, WNOHANG);
        ASSERT_TRUE(w == 0 || w == p);
        if (w == p)
            break;
        if (coord_clock_ns() > end) {
            kill(p, SIGKILL);
            waitpid(p, &st, 0);
            ASSERT_TRUE(!"the child never woke on a reset");
        }
        usleep(20000);
    }
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    coord_flag_destroy(f);
}

TEST(flag_wait_timeout)
{
    coord_flag *f;
    ASSERT_OK(coord_flag_create(&f));
    ASSERT_CODE(coord_flag_wait(f, 0), COORD_EAGAIN);
    uint64_t t0 = coord_clock_ns();
    ASSERT_CODE(coord_flag_wait(f, 30), COORD_ETIMEDOUT);
    /* Lower bound only: the wait must not return early. */
    ASSERT_GE(coord_clock_ns() - t0, 30ull * 1000000ull);
    coord_flag_set(f);
    ASSERT_OK(coord_flag_wait(f, 0));
    ASSERT_OK(coord_flag_wait(f, -1));
    coord_flag_destroy(f);
}

/* A 32-bit target's timed futex waits go to futex_time64 (src/os/futex_sys.h);
 * a kernel older than 5.1 answers ENOSYS, and the wait must then go to the
 * old futex call with its 32-bit timeout and still last the whole
 * timeout. A seccomp filter plays the old kernel, in this test's own
 * process. 64-bit targets have no futex_time64: skipped there. */
TEST(flag_wait_timeout_on_a_kernel_without_futex_time64)
{
#if defined(SYS_futex_time64) && defined(TEST_AUDIT_ARCH)
    if (test_refuse_syscall(SYS_futex_time64, ENOSYS) != 0)
        SKIP("no seccomp filter here");
    ASSERT_EQ(syscall(SYS_futex_time64, NULL, FUTEX_WAKE, 1, NULL, NULL, 0), -1);
    ASSERT_EQ(errno, ENOSYS);
    coord_flag *fl;
    ASSERT_OK(coord_flag_create(&fl));
    /* Twice: the first wait meets ENOSYS, the second remembers it. */
    for (int i = 0; i < 2; i++) {
        uint64_t t0 = coord_clock_ns();
        ASSERT_CODE(coord_flag_wait(fl, 30), COORD_ETIMEDOUT);
        /* Lower bound only: the wait must not return early. */
        ASSERT_GE(coord_clock_ns() - t0, 30ull * 1000000ull);
    }
    coord_flag_set(fl);
    ASSERT_OK(coord_flag_wait(fl, 30));
    coord_flag_destroy(fl);
#else
    SKIP("no futex_time64 on this target (64-bit), or no seccomp here");
#endif
}

/* ---- kill test: claimers SIGKILLed at random moments ------------------ */

static int claim_reset_loop(void *arg)
{
    coord_flag *f = arg;
    /* Take the flag's mutex as often as possible: win a round with the
     * lock-mode claim, reset it, repeat. Killed at a random moment, a
     * child often dies inside the lock. */
    for (;;) {
        uint32_t e = coord_flag_epoch(f);
        int r = coord_flag_claim_epoch(f, e, COORD_CLAIM_LOCK);
        if (r < 0)
            return 3;
        if (r == 1)
            coord_flag_reset(f);
    }
}

static int claim_once(void *arg)
{
    coord_flag *f = arg;
    coord_flag_reset(f);
    return coord_flag_claim_locked(f) && coord_flag_is_set(f) ? 0 : 7;
}

static int hold_flag_mutex(void *arg)
{
    coord_flag *f = arg;
    if (coord__mutex_lock(coord__flag_mutex(f), 1000) != 0)
        return 3;
    coord_flag_set(f); /* tells the parent we hold it */
    for (;;)
        pause();
}

TEST(flag_lock_claim_after_holder_killed)
{
    coord_flag *f;
    ASSERT_OK(coord_flag_create(&f));
    pid_t p = test_fork(hold_flag_mutex, f);
    ASSERT_OK(coord_flag_wait(f, 10000));
    kill(p, SIGKILL);
    ASSERT_TRUE(WIFSIGNALED(test_wait(p, 10000)));
    /* The dead holder never released the mutex: the next lock-mode claim
     * must recover it (in a child, so a wedge fails instead of hanging). */
    test_join_ok(test_fork(claim_once, f), 10000);
    coord_flag_destroy(f);
}

TEST(flag_lock_claim_survives_killed_claimers)
{
    coord_flag *f;
    ASSERT_OK(coord_flag_create(&f));
    srand((unsigned)getpid());
    pid_t p[2];
    for (int i = 0; i < 2; i++)
        p[i] = test_fork(claim_reset_loop, f);
    for (int kill_no = 0; kill_no < 300; kill_no++) {
        int i = kill_no % 2;
        usleep((useconds_t)(300 + rand() % 1500));
        kill(p[i], SIGKILL);
        int st = test_wait(p[i], 10000);
        ASSERT_TRUE(WIFSIGNALED(st));
        p[i] = test_fork(claim_reset_loop, f);
    }
    for (int i = 0; i < 2; i++) {
        kill(p[i], SIGKILL);
        test_wait(p[i], 10000);
    }
    /* Whoever died holding the mutex, a new claimer gets through (in a
     * child, so that a wedged lock fails the test instead of hanging). */
    test_join_ok(test_fork(claim_once, f), 10000);
    coord_flag_destroy(f);
}

/* A flag placed with coord_flag_init is used through a second mapping of
 * the same memory at another address (as MPI shared windows do). */
TEST(flag_attach_second_mapping)
{
    int fd = memfd_create("coord-flag-attach", 0);
    ASSERT_TRUE(fd >= 0);
    size_t len = 4096;
    ASSERT_OK(ftruncate(fd, (off_t)len));
    char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    ASSERT_TRUE(a != MAP_FAILED && b != MAP_FAILED && a != b);
    coord_flag *fa, *fb;
    /* Nothing placed there yet: not a flag. */
    ASSERT_CODE(coord_flag_attach(b, len, &fb), COORD_EPROTO);
    ASSERT_OK(coord_flag_init(a, coord_flag_size(), &fa));
    ASSERT_CODE(coord_flag_attach(b + 8, len - 8, &fb), COORD_EINVAL);
    ASSERT_CODE(coord_flag_attach(b, coord_flag_size() - 1, &fb),
                COORD_EINVAL);
    ASSERT_CODE(coord_flag_attach(NULL, len, &fb), COORD_EINVAL);
    ASSERT_CODE(coord_flag_attach(b, len, NULL), COORD_EINVAL);
    ASSERT_OK(coord_flag_attach(b, len, &fb));
    ASSERT_FALSE(coord_flag_is_set(fb));
    ASSERT_TRUE(coord_flag_claim(fa));
    ASSERT_TRUE(coord_flag_is_set(fb));
    ASSERT_FALSE(coord_flag_claim(fb));
    ASSERT_EQ(coord_flag_reset(fb), 1);
    ASSERT_FALSE(coord_flag_is_set(fa));
    /* Destroying an attached handle releases nothing. */
    coord_flag_destroy(fb);
    ASSERT_EQ(coord_flag_epoch(fa), 1);
    /* A flag with its own segment is never attached (destroy would unmap). */
    coord_flag *own;
    ASSERT_OK(coord_flag_create(&own));
    ASSERT_CODE(coord_flag_attach(own, coord_flag_size(), &fb), COORD_EPROTO);
    coord_flag_destroy(own);
    munmap(a, len);
    munmap(b, len);
}

#define TEST_LIST(X)                                                           \
    X(flag_basic)                                                              \
    X(flag_epoch_claims_do_not_leak)                                           \
    X(flag_bad_input)                                                          \
    X(flag_claim_exactly_once_cas)                                             \
    X(flag_claim_exactly_once_lock)                                            \
    X(flag_visible_to_spinning_child)                                          \
    X(flag_wait_wakes_on_set)                                                  \
    X(flag_wait_wakes_on_reset)                                                \
    X(flag_wait_survives_a_zeroed_waiter_count)                                \
    X(flag_wait_timeout)                                                       \
    X(flag_wait_timeout_on_a_kernel_without_futex_time64)                      \
    X(flag_lock_claim_after_holder_killed)                                     \
    X(flag_lock_claim_survives_killed_claimers)                                \
    X(flag_attach_second_mapping)
#define HELPER_LIST(X)
TEST_MAIN()
