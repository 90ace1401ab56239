/* SPDX-License-Identifier: MIT */
/* test-segfuzz.c: the segment fuzzer's checks as fixed-seed tests (no clang needed). */
#include <stdatomic.h>
#include <sys/wait.h>

#include "fuzz/fd-exercise.h"
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
                       "round %d: undocumented result at line %d of "
                       "seg-exercise.h or seg-use.h",
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
                       "line of an undocumented result in seg-exercise.h or "
                       "seg-use.h)",
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

/* ---- descriptors: tests/fuzz/fuzz-fd.c's checks ------------------------ */

#define FD_ROUNDS 2000

/* Run fdx_run on `n` bytes in a child bounded in time (a spin fails the
 * case, it does not hang it); the child exits with the failed check's
 * line (mod 256, 255 for a multiple of 256), or 0. */
struct fd_job {
    const uint8_t *d;
    size_t n;
};

static int fd_job_run(void *arg)
{
    const struct fd_job *j = arg;
    int e = fdx_run(j->d, j->n);
    return e ? (e % 256 ? e % 256 : 255) : 0;
}

/* The inputs fuzz-fd found. A queue whose tail word lies far behind its
 * head, with head's slot taken: put_many with timeout 0 spun for ever
 * (tail left behind by a producer killed before it moved it does the
 * same: test-queue.c, queue_producer_killed_before_moving_tail). */
static const uint8_t fd_found_stale_tail[] = {
    0x64, 0xbb, 0xa1, 0x44, 0x09, 0x2c, 0x9d, 0x2e, 0x01, 0x9d,
    0x09, 0x64, 0x44, 0xa1, 0xbb, 0x01, 0x2c, 0x2e, 0x01};

TEST(segfuzz_fd_found_inputs)
{
    struct fd_job j = {fd_found_stale_tail, sizeof fd_found_stale_tail};
    test_join_ok(test_fork(fd_job_run, &j), 30000);
}

/* One input in fuzz-fd's format (fd-exercise.h), drawn from *rng: mostly
 * files sealed as coord seals them, of their base's size or near it,
 * patched where the header and the objects' first words are (a queue's
 * mutexes among them: half the inputs keep what the patches wrote
 * there). */
static size_t fd_draw(uint64_t *rng, uint8_t *d, size_t cap)
{
    uint64_t x = test_rand(rng), y = test_rand(rng);
    d[0] = (uint8_t)x;
    if ((x >> 8) % 4 != 0)
        d[0] &= (uint8_t)~(0x38u | 0x80u); /* coord's seals, writable */
    d[1] = (uint8_t)(x >> 16);
    uint32_t w = (uint32_t)(y >> 8);
    switch (y % 8) {
    case 0: case 1: case 2: case 3: w = 0; break;
    case 4: case 5: w = (1u << 30) | (w & 0xffffu); break;
    case 6: w = (2u << 30) | (w & 0x3fu); break;
    default: w = (3u << 30) | (w & 0x3u);
    }
    if ((y >> 40) % 2)
        w |= FDX_OWNERS; /* a queue's mutex words as the patches leave them */
    memcpy(d + 2, &w, 4);
    size_t n = 6;
    int k = (int)(test_rand(rng) % 5);
    for (int i = 0; i < k && n + 11 <= cap; i++) {
        uint64_t r = test_rand(rng);
        unsigned len = 1 + (unsigned)(r % 8);
        /* Offsets under 1 KiB (the header and the object's first lines)
         * unless a control bit moves them. */
        d[n++] = (uint8_t)((r >> 8) & 0xe0u) | (uint8_t)(len - 1);
        d[n++] = (uint8_t)(r >> 16);
        d[n++] = (uint8_t)((r >> 24) & 3u);
        uint64_t v = test_rand(rng);
        memcpy(d + n, &v, len);
        n += len;
    }
    return n;
}

static int fd_rounds(void *arg)
{
    (void)arg;
    uint64_t rng = SEED ^ 0xfdu;
    uint8_t d[64];
    int fds0 = test_fd_count(), maps0 = test_map_count();
    for (int round = 0; round < FD_ROUNDS; round++) {
        size_t n = fd_draw(&rng, d, sizeof d);
        int e = fdx_run(d, n);
        if (e) {
            fprintf(stderr, "round %d: check at line %d failed; input:",
                    round, e);
            for (size_t i = 0; i < n; i++)
                fprintf(stderr, " %02x", d[i]);
            fprintf(stderr, "\n");
            return 1;
        }
    }
    /* Nothing left open or mapped; every kind opened and was used. */
    if (test_fd_count() != fds0 || test_map_count() != maps0)
        return 2;
    for (int k = 0; k < FDX_KINDS; k++)
        if (fdx_opened[k] < FD_ROUNDS / 100)
            return 3 + k;
    return 0;
}

/* Files of any bytes, size and seals opened by descriptor as every kind,
 * and used: only the codes the headers document, no crash, no spin. */
TEST(segfuzz_fd_fixed_seed)
{
    test_join_ok(test_fork(fd_rounds, NULL), 90000);
}

#define TEST_LIST(X)                                                           \
    X(segfuzz_mutations_fixed_seed)                                            \
    X(segfuzz_concurrent_reader_fixed_seed)                                    \
    X(segfuzz_fd_found_inputs)                                                 \
    X(segfuzz_fd_fixed_seed)
#define HELPER_LIST(X)
TEST_MAIN()
