/* SPDX-License-Identifier: MIT */
/* test-segfuzz.c: the segment fuzzer's checks as fixed-seed tests (no clang needed). */
#include <stdatomic.h>
#include <sys/wait.h>

#include "fuzz/seg-exercise.h"
#include "harness.h"

/* Mutations of one run; the seed fixes which. */
#define ROUNDS 3000
#define SEED 0x5e6f0220u

/* In one process: restore, 1..4 mutations, read everything (fresh opens
 * and old handles, non-blocking locks and zero-copy data included). */
TEST(segfuzz_mutations_fixed_seed)
{
    char prefix[64];
    struct segx x;
    test_shm_name(prefix, sizeof prefix, "sf-");
    ASSERT_OK(segx_create(&x, prefix));
    uint64_t rng = SEED;
    for (int round = 0; round < ROUNDS; round++) {
        segx_restore(&x);
        int k = 1 + (int)(test_rand(&rng) % 4);
        for (int i = 0; i < k; i++) {
            uint64_t a = test_rand(&rng);
            segx_mutate(&x, a, test_rand(&rng));
        }
        int e = segx_read(&x, 1);
        if (!e)
            e = segx_read_handles(&x, 1);
        if (e) {
            segx_destroy(&x);
            test__fail(__FILE__, __LINE__,
                       "round %d: undocumented result at seg-exercise.h:%d",
                       round, e);
        }
    }
    segx_destroy(&x);
}

struct reader_ctx {
    struct segx *x;
    _Atomic uint64_t *reads; /* shared: the reader's loop count */
    _Atomic int *stop;       /* shared: set by the mutator */
};

/* The racing reader: fresh opens and old handles, no locks (a lock held
 * while its bytes are overwritten would corrupt glibc's robust list, which
 * points into the mutex). Returns 0 or the failing line. */
static int race_reader(void *arg)
{
    struct reader_ctx *c = arg;
    while (!atomic_load(c->stop)) {
        int e = segx_read(c->x, 0);
        if (!e)
            e = segx_read_handles(c->x, 0);
        if (e)
            return e > 255 ? 255 : e;
        atomic_fetch_add(c->reads, 1);
    }
    return 0;
}

/* Another process opens and reads while this one mutates: no crash, no
 * hang, no undocumented code in the reader. */
TEST(segfuzz_concurrent_reader_fixed_seed)
{
    char prefix[64];
    struct segx x;
    test_shm_name(prefix, sizeof prefix, "sr-");
    ASSERT_OK(segx_create(&x, prefix));
    void *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(shared != MAP_FAILED);
    struct reader_ctx c = {&x, shared, (_Atomic int *)((char *)shared + 64)};
    pid_t p = test_fork(race_reader, &c);
    /* The mutations start once the reader reads, and go on (past ROUNDS
     * if need be) until it has read through many of them: on a loaded
     * machine it may be scheduled rarely. Bounded by the case deadline. */
    WAIT_FOR(atomic_load(c.reads) > 0, 30000);
    uint64_t rng = SEED ^ 0xabcdefu, first = atomic_load(c.reads);
    for (int round = 0;
         round < ROUNDS || atomic_load(c.reads) < first + 200; round++) {
        if (round % 8 == 0)
            segx_restore(&x);
        uint64_t a = test_rand(&rng);
        segx_mutate(&x, a, test_rand(&rng));
        int st;
        if (round % 64 == 0 && waitpid(p, &st, WNOHANG) == p) {
            segx_destroy(&x);
            test__fail(__FILE__, __LINE__,
                       "reader ended early: status 0x%x (exit code = the "
                       "seg-exercise.h line of an undocumented result)",
                       (unsigned)st);
        }
    }
    atomic_store(c.stop, 1);
    int st = test_wait(p, 30000);
    segx_destroy(&x);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    munmap(shared, 4096);
}

#define TEST_LIST(X)                                                           \
    X(segfuzz_mutations_fixed_seed)                                            \
    X(segfuzz_concurrent_reader_fixed_seed)
#define HELPER_LIST(X)
TEST_MAIN()
