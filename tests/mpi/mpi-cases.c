/* SPDX-License-Identifier: MIT */
/* mpi-cases.c: the MPI program that tests/test-mpi.c runs under mpirun: coord_mpi_search's cases. */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coord.h>
#include <coord/mpi.h>

/*
 * Usage: mpi-cases CASE... ; every rank runs every case; a failed check
 * on any rank makes every rank exit 1 (rank 0 prints which). Cases:
 *   one_winner N   N rounds where every rank hits at once: one winner each
 *   unique_hit     a known unique hit, found with the same result everywhere
 *   no_hit         nothing found, reported as such on every rank
 *   small_range    a range smaller than the number of ranks
 *   no_early_exit  every rank runs its whole share
 *   wasted_bound   wasted <= K (N - 1) with a fixed K
 *   invalid        bad or disagreeing options: COORD_EINVAL on every rank
 *   dead_rank      rank 2 SIGKILLs itself mid-search (mpirun must end it)
 *   misuse         (alone) a call before MPI_Init, on MPI_COMM_NULL, on an
 *                  intercommunicator and after MPI_Finalize: COORD_EINVAL
 *   threads        (alone; MPI_THREAD_MULTIPLE) two threads, each searching
 *                  on communicators of its own, which are left to
 *                  MPI_Finalize: it must not hang (mpirun --timeout)
 *   spawn          (alone, one rank; MPI_THREAD_MULTIPLE) spawns a child
 *                  (another world, where it is rank 0 too) and runs
 *                  threads with it on their merged communicator
 *   claim_time N   N searches, K = 1, lock claim, the hit at the start of
 *                  the last rank's block: no STOPPED rank left before the
 *                  claim, and the stop latency is > 0 when one stopped
 */

static int rank, nranks;
static int failures;

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "rank %d: %s:%d: check failed: %s\n", rank,        \
                    __FILE__, __LINE__, #c);                                   \
            failures++;                                                        \
        }                                                                      \
    } while (0)
#define CHECK_EQ(a, b)                                                         \
    do {                                                                       \
        int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                          \
        if (a_ != b_) {                                                        \
            fprintf(stderr, "rank %d: %s:%d: %s == %s: %" PRId64               \
                    " vs %" PRId64 "\n", rank, __FILE__, __LINE__, #a, #b,     \
                    a_, b_);                                                   \
            failures++;                                                        \
        }                                                                      \
    } while (0)

/* The same value on every rank? (MAX of v and of -v.) */
static bool same_everywhere(int64_t v)
{
    int64_t in[2] = {v, -v}, out[2];
    MPI_Allreduce(in, out, 2, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
    return out[0] == v && out[1] == -v;
}

static int64_t sum_all(int64_t v)
{
    int64_t s;
    MPI_Allreduce(&v, &s, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    return s;
}

/* Probe: every index hits, after a spin of 0..63 µs that changes with the
 * round and the rank (so that the race is won by different ranks); the
 * result names the rank and the index. In every fourth round rank 0 never
 * hits: it is the claim word's host, and with Open MPI's osc pt2pt it
 * would win nearly every race (the others' compare-and-swaps wait for
 * its progress), so those rounds race the remote claims alone. */
struct hit_all_result {
    uint64_t index;
    int32_t rank;
};
static bool probe_all(uint64_t i, void *result, void *arg)
{
    const int *round = arg;
    uint64_t spin = ((uint64_t)*round * 2654435761u +
                     (uint64_t)rank * 40503u) % 64u * 1000u;
    uint64_t until = coord_clock_ns() + spin;
    while (coord_clock_ns() < until)
        ;
    if (rank == 0 && *round % 4 == 1)
        return false;
    struct hit_all_result *r = result;
    r->index = i;
    r->rank = rank;
    return true;
}

/* Probe: index `target` only (UINT64_MAX: none), after some work so that
 * a block takes a while; the result is 3 i + 1. A rank `victim` kills
 * itself at its `kill_at`-th probe. */
struct target {
    uint64_t target;
    int victim;
    uint64_t kill_at, calls;
};
static bool probe_target(uint64_t i, void *result, void *arg)
{
    struct target *t = arg;
    volatile uint64_t x = i;
    for (int k = 0; k < 50; k++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    if (rank == t->victim && ++t->calls == t->kill_at)
        raise(SIGKILL);
    if (i != t->target)
        return false;
    uint64_t v = 3 * i + 1;
    memcpy(result, &v, sizeof v);
    return true;
}

/* Which rank's share holds index i (begin 0), as coord_search cuts it. */
static int owner(uint64_t i, uint64_t len, coord_partition p, uint64_t chunk)
{
    if (p == COORD_PARTITION_INTERLEAVED)
        return (int)((i / chunk) % (uint64_t)nranks);
    uint64_t base = len / (uint64_t)nranks, extra = len % (uint64_t)nranks;
    for (int r = 0; r < nranks; r++) {
        uint64_t lo = (uint64_t)r * base + ((uint64_t)r < extra ? (uint64_t)r
                                                                : extra);
        uint64_t hi = lo + base + ((uint64_t)r < extra);
        if (i >= lo && i < hi)
            return r;
    }
    return -1;
}

static void case_one_winner(int rounds)
{
    int won_by[64] = {0};
    for (int round = 0; round < rounds; round++) {
        coord_search_opts o = COORD_SEARCH_OPTS_INIT;
        coord_search_worker me;
        o.begin = 0;
        o.end = (uint64_t)nranks * 8;
        o.chunk = 1; /* rank r's first index is r: everybody hits at once */
        o.check_every = 1;
        o.claim = round % 2 ? COORD_CLAIM_LOCK : COORD_CLAIM_CAS;
        o.per_worker = &me;
        struct hit_all_result res = {0, -1};
        coord_search_stats st;
        int rc = coord_mpi_search(MPI_COMM_WORLD, &o, probe_all, &round, &res,
                                  sizeof res, &st);
        CHECK_EQ(rc, 1);
        CHECK(same_everywhere(st.winner));
        CHECK(same_everywhere((int64_t)res.index));
        CHECK_EQ(res.rank, st.winner);
        CHECK_EQ(res.index, st.index);
        int64_t winners = sum_all(me.outcome == COORD_OUTCOME_WON);
        CHECK_EQ(winners, 1);
        CHECK_EQ(me.outcome == COORD_OUTCOME_WON, st.winner == rank);
        if (st.winner >= 0 && st.winner < 64)
            won_by[st.winner]++;
        if (failures)
            return;
    }
    if (rank == 0) {
        printf("one_winner: %d rounds, exactly one winner each; won by rank:",
               rounds);
        for (int r = 0; r < nranks && r < 64; r++)
            printf(" %d", won_by[r]);
        printf("\n");
    }
}

static void case_unique_hit(void)
{
    const uint64_t len = 40000, target = 27183;
    for (int v = 0; v < 8; v++) {
        coord_search_opts o = COORD_SEARCH_OPTS_INIT;
        o.begin = 0;
        o.end = len;
        o.partition = v % 2 ? COORD_PARTITION_BLOCKS
                            : COORD_PARTITION_INTERLEAVED;
        o.chunk = v % 4 < 2 ? 0 : 100;
        o.check_every = v < 4 ? COORD_CHECK_AUTO : 16;
        struct target t = {.target = target, .victim = -1};
        uint64_t res = 0;
        coord_search_stats st;
        int rc = coord_mpi_search(MPI_COMM_WORLD, &o, probe_target, &t, &res,
                                  sizeof res, &st);
        CHECK_EQ(rc, 1);
        CHECK_EQ(st.index, target);
        CHECK_EQ(res, 3 * target + 1);
        CHECK_EQ(st.winner,
                 owner(target, len, o.partition,
                       o.chunk ? o.chunk : COORD_SEARCH_CHUNK));
        CHECK(same_everywhere(st.winner));
        CHECK(same_everywhere((int64_t)st.iterations));
        CHECK(same_everywhere((int64_t)st.wasted));
        CHECK(same_everywhere((int64_t)st.stop_latency_ns));
        CHECK_EQ(st.workers, nranks);
        CHECK(st.iterations <= len);
        CHECK(st.iterations > 0);
    }
    if (rank == 0 && !failures)
        printf("unique_hit: 8 variants found 27183 on every rank\n");
}

static void case_no_hit(void)
{
    const uint64_t len = 10000;
    for (int v = 0; v < 2; v++) {
        coord_search_opts o = COORD_SEARCH_OPTS_INIT;
        o.begin = 1000;
        o.end = 1000 + len;
        o.partition = v ? COORD_PARTITION_BLOCKS : COORD_PARTITION_INTERLEAVED;
        struct target t = {.target = UINT64_MAX, .victim = -1};
        uint64_t res = 0xdeadbeef;
        coord_search_stats st;
        int rc = coord_mpi_search(MPI_COMM_WORLD, &o, probe_target, &t, &res,
                                  sizeof res, &st);
        CHECK_EQ(rc, 0);
        CHECK_EQ(st.winner, -1);
        CHECK_EQ(res, 0xdeadbeef); /* untouched */
        CHECK_EQ(st.iterations, len);
        CHECK_EQ(st.wasted, 0);
        CHECK_EQ(st.stop_latency_ns, 0);
    }
    if (rank == 0 && !failures)
        printf("no_hit: not found on every rank, every index probed once\n");
}

static void case_small_range(void)
{
    /* Two indexes for four (or more) ranks: some ranks get none. */
    for (int v = 0; v < 4; v++) {
        coord_search_opts o = COORD_SEARCH_OPTS_INIT;
        coord_search_worker me;
        o.begin = 50;
        o.end = 52;
        o.partition = v % 2 ? COORD_PARTITION_BLOCKS
                            : COORD_PARTITION_INTERLEAVED;
        o.chunk = 1;
        o.per_worker = &me;
        bool hit = v < 2;
        struct target t = {.target = hit ? 51 : UINT64_MAX, .victim = -1};
        uint64_t res = 0;
        coord_search_stats st;
        int rc = coord_mpi_search(MPI_COMM_WORLD, &o, probe_target, &t, &res,
                                  sizeof res, &st);
        CHECK_EQ(rc, hit ? 1 : 0);
        if (hit) {
            CHECK_EQ(res, 3 * 51 + 1);
            CHECK_EQ(st.winner, 1); /* index 51 is rank 1's either way */
        } else {
            CHECK_EQ(st.iterations, 2);
        }
        CHECK_EQ(me.iterations, rank < 2 ? 1 : 0); /* indexes 50 and 51 */
        /* Auto K: the mean of the two ranks that had an index, as
         * coord_search's of its two workers (it averaged in the unused
         * start K of the ranks without one). */
        int64_t used = me.iterations > 0, ks = used ? (int64_t)me.every : 0;
        int64_t nk = sum_all(used), sk = sum_all(ks);
        CHECK_EQ(nk, 2);
        CHECK_EQ(st.check_every, (sk + nk / 2) / nk);
    }
    if (rank == 0 && !failures)
        printf("small_range: 2 indexes over %d ranks\n", nranks);
}

static void case_no_early_exit(void)
{
    /* 20,160 = 2^6 * 3^2 * 5 * 7: every rank count from 1 to 10 divides it,
     * so each rank's share is len / nranks, run by hand with -np 3 too (it
     * was 20,000, which 3 does not divide). */
    const uint64_t len = 20160;
    coord_search_opts o = COORD_SEARCH_OPTS_INIT;
    coord_search_worker me;
    o.begin = 0;
    o.end = len;
    o.partition = COORD_PARTITION_BLOCKS;
    o.early_exit = false;
    o.check_every = 32;
    o.per_worker = &me;
    struct target t = {.target = 10, .victim = -1}; /* early in rank 0's */
    uint64_t res = 0;
    coord_search_stats st;
    int rc = coord_mpi_search(MPI_COMM_WORLD, &o, probe_target, &t, &res,
                              sizeof res, &st);
    CHECK_EQ(rc, 1);
    CHECK_EQ(st.winner, 0);
    CHECK_EQ(res, 31);
    uint64_t share = len / (uint64_t)nranks; /* nranks divides len */
    /* The winner stops at its hit (as in coord_search); the others run
     * to the end of their share. */
    CHECK_EQ(me.iterations, rank == 0 ? 11 : share);
    CHECK_EQ(st.iterations, 11 + share * (uint64_t)(nranks - 1));
    if (rank != 0)
        CHECK_EQ(me.outcome, COORD_OUTCOME_FINISHED);
    if (rank == 0 && !failures)
        printf("no_early_exit: every other rank ran its %" PRIu64
               " indexes\n", share);
}

static void case_wasted_bound(void)
{
    const uint64_t k = 64, len = 400000;
    uint64_t worst = 0;
    for (int v = 0; v < 10; v++) {
        coord_search_opts o = COORD_SEARCH_OPTS_INIT;
        o.begin = 0;
        o.end = len;
        o.check_every = k;
        o.partition = COORD_PARTITION_INTERLEAVED;
        struct target t = {.target = 5000 + 997 * (uint64_t)v, .victim = -1};
        uint64_t res = 0;
        coord_search_stats st;
        int rc = coord_mpi_search(MPI_COMM_WORLD, &o, probe_target, &t, &res,
                                  sizeof res, &st);
        CHECK_EQ(rc, 1);
        CHECK_EQ(st.index, t.target);
        /* At most one block per rank (docs/mpi.md): the checks a rank
         * makes while the claim and the stop travel find its node's flag
         * clear, so that time is never counted. */
        CHECK(st.wasted <= k * (uint64_t)(nranks - 1));
        if (st.wasted > worst)
            worst = st.wasted;
    }
    if (rank == 0 && !failures)
        printf("wasted_bound: worst wasted %" PRIu64 " <= K (N-1) = %" PRIu64
               "\n", worst, k * (uint64_t)(nranks - 1));
}

static void case_invalid(void)
{
    struct target t = {.target = 7, .victim = -1};
    uint64_t res = 0;
    coord_search_opts o = COORD_SEARCH_OPTS_INIT;
    o.begin = 0;
    o.end = 100;
    /* Ranks that disagree on the range. */
    o.end = rank == 1 ? 101 : 100;
    CHECK_EQ(coord_mpi_search(MPI_COMM_WORLD, &o, probe_target, &t, &res,
                              sizeof res, NULL), COORD_EINVAL);
    o.end = 100;
    /* One rank with a bad option. */
    o.check_every = rank == 2 % nranks ? 0 : 8;
    CHECK_EQ(coord_mpi_search(MPI_COMM_WORLD, &o, probe_target, &t, &res,
                              sizeof res, NULL), COORD_EINVAL);
    o.check_every = 8;
    o.timeout_ms = 1000; /* MPI jobs are bounded by mpirun --timeout */
    CHECK_EQ(coord_mpi_search(MPI_COMM_WORLD, &o, probe_target, &t, &res,
                              sizeof res, NULL), COORD_EINVAL);
    o.timeout_ms = -1;
    CHECK_EQ(coord_mpi_search(MPI_COMM_WORLD, NULL, probe_target, &t, &res,
                              sizeof res, NULL), COORD_EINVAL);
    CHECK_EQ(coord_mpi_search(MPI_COMM_WORLD, &o, probe_target, &t, NULL,
                              sizeof res, NULL), COORD_EINVAL);
    /* After all that, a good search still works. */
    CHECK_EQ(coord_mpi_search(MPI_COMM_WORLD, &o, probe_target, &t, &res,
                              sizeof res, NULL), 1);
    CHECK_EQ(res, 22);
    if (rank == 0 && !failures)
        printf("invalid: COORD_EINVAL on every rank, then a good search\n");
}

/* Probe: index `arg` only, no work (so that a rank's checks come as fast
 * as they can, and its exit lands as close to the claim as it can). */
static bool probe_tiny(uint64_t i, void *result, void *arg)
{
    (void)result;
    return i == *(const uint64_t *)arg;
}

/* The winning claim's time is read before the claim: every rank that the
 * claim stopped left after it. (Read after the lock claim's unlock, it
 * came after some stopped ranks' exits: 13 of 100 two-rank runs, an audit
 * found, reported a STOPPED rank as gone before the claim and a stop
 * latency of 0.) */
static void case_claim_time(int rounds)
{
    const uint64_t share = 1u << 22; /* far more than a stop takes */
    int stopped_runs = 0;
    for (int round = 0; round < rounds && !failures; round++) {
        coord_search_opts o = COORD_SEARCH_OPTS_INIT;
        coord_search_worker me;
        o.begin = 0;
        o.end = share * (uint64_t)nranks;
        o.partition = COORD_PARTITION_BLOCKS;
        o.check_every = 1;
        o.claim = COORD_CLAIM_LOCK;
        o.per_worker = &me;
        uint64_t hit = share * (uint64_t)(nranks - 1) + 3;
        coord_search_stats st;
        int rc = coord_mpi_search(MPI_COMM_WORLD, &o, probe_tiny, &hit, NULL,
                                  0, &st);
        CHECK_EQ(rc, 1);
        CHECK_EQ(st.winner, nranks - 1);
        if (me.outcome == COORD_OUTCOME_STOPPED)
            CHECK(me.left_after_claim_ns >= 0);
        int64_t stopped = sum_all(me.outcome == COORD_OUTCOME_STOPPED);
        if (stopped > 0) {
            stopped_runs++;
            CHECK(st.stop_latency_ns > 0);
        }
        if (failures)
            fprintf(stderr, "rank %d: round %d: outcome %d, left after the "
                    "claim %" PRId64 " ns, stop latency %" PRIu64 " ns\n",
                    rank, round, (int)me.outcome, me.left_after_claim_ns,
                    st.stop_latency_ns);
    }
    if (rank == 0 && !failures)
        printf("claim_time: %d searches, ranks stopped in %d, none before "
               "the claim\n", rounds, stopped_runs);
}

/* A search on `c` that would find index 5 (for the misuse cases). */
static int search_on(MPI_Comm c)
{
    coord_search_opts o = COORD_SEARCH_OPTS_INIT;
    o.begin = 0;
    o.end = 1000;
    uint64_t hit = 5;
    return coord_mpi_search(c, &o, probe_tiny, &hit, NULL, 0, NULL);
}

/* Misuse between MPI_Init and MPI_Finalize: MPI_COMM_NULL and an
 * intercommunicator (the two halves of the world, with equal options)
 * are refused on every rank, and a good search still works. (main makes
 * the calls before MPI_Init and after MPI_Finalize.) */
static void case_misuse(void)
{
    CHECK_EQ(search_on(MPI_COMM_NULL), COORD_EINVAL);
    if (nranks >= 2) {
        MPI_Comm half, inter;
        MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &half);
        /* The leaders: world ranks 0 and 1, each the other's remote. */
        MPI_Intercomm_create(half, 0, MPI_COMM_WORLD, rank % 2 ? 0 : 1, 31,
                             &inter);
        CHECK_EQ(search_on(inter), COORD_EINVAL);
        MPI_Comm_free(&inter);
        MPI_Comm_free(&half);
    }
    CHECK_EQ(search_on(MPI_COMM_WORLD), 1);
    if (rank == 0 && !failures)
        printf("misuse: MPI_COMM_NULL and an intercommunicator refused\n");
}

/*
 * threads: T_THREADS threads, each with communicators of its own (copies
 * of `base`), make their first search on one of them at the same moment,
 * round after round (the main thread's MPI_Barrier on `base` starts every
 * round on every rank at once): so each rank builds the communicators'
 * cached state in an order of its own. The communicators are then left to
 * MPI_Finalize, which frees that state (MPI_Win_free, MPI_Comm_free:
 * collective). Each thread's errors are its own (CHECK counts in a
 * global). `made` (NULL, or T_THREADS x T_ROUNDS) receives the copies.
 * `stagger` (0, 1 or -1): thread i spins 0.2 ms times i (times T_THREADS
 * - 1 - i with -1) before each search, so that two processes given 1 and
 * -1 start them in opposite orders (not to order anything: to make the
 * orders in which the ranks build their state differ more often).
 */
#define T_THREADS 3
#define T_ROUNDS 8
struct searcher {
    pthread_t id;
    MPI_Comm comm[T_ROUNDS];
    int n;               /* ranks in each */
    uint64_t stagger_ns; /* spun before each first search */
    int errors;
};
static pthread_barrier_t round_go, round_done;

static void *searcher_main(void *arg)
{
    struct searcher *t = arg;
    for (int i = 0; i < T_ROUNDS; i++) {
        pthread_barrier_wait(&round_go);
        uint64_t until = coord_clock_ns() + t->stagger_ns;
        while (coord_clock_ns() < until)
            ;
        coord_search_opts o = COORD_SEARCH_OPTS_INIT;
        o.begin = 0;
        o.end = (uint64_t)t->n * 1000;
        o.check_every = 8;
        uint64_t hit = (uint64_t)(t->n - 1) * 1000 + 7;
        int rc = coord_mpi_search(t->comm[i], &o, probe_tiny, &hit, NULL, 0,
                                  NULL);
        if (rc != 1) {
            fprintf(stderr, "rank %d: a thread's search returned %d\n",
                    rank, rc);
            t->errors++;
        }
        pthread_barrier_wait(&round_done);
    }
    return NULL;
}

/* Different orders on different ranks made MPI_Finalize hang: 4 runs of 6
 * in an audit's (two threads), 16 of 16 here (three threads, 2 or 4
 * ranks). */
static void case_threads(MPI_Comm base, MPI_Comm *made, int stagger)
{
    struct searcher t[T_THREADS] = {0};
    for (int i = 0; i < T_THREADS; i++) {
        int step = stagger > 0 ? i : stagger < 0 ? T_THREADS - 1 - i : 0;
        t[i].stagger_ns = (uint64_t)step * 200000u;
        MPI_Comm_size(base, &t[i].n);
        for (int j = 0; j < T_ROUNDS; j++)
            MPI_Comm_dup(base, &t[i].comm[j]);
    }
    pthread_barrier_init(&round_go, NULL, T_THREADS + 1);
    pthread_barrier_init(&round_done, NULL, T_THREADS + 1);
    for (int i = 0; i < T_THREADS; i++)
        if (pthread_create(&t[i].id, NULL, searcher_main, &t[i]) != 0) {
            fprintf(stderr, "rank %d: cannot start a thread\n", rank);
            MPI_Abort(base, 1); /* the others wait at round_go */
        }
    for (int j = 0; j < T_ROUNDS; j++) {
        MPI_Barrier(base);
        pthread_barrier_wait(&round_go);
        pthread_barrier_wait(&round_done);
    }
    for (int i = 0; i < T_THREADS; i++) {
        pthread_join(t[i].id, NULL);
        CHECK_EQ(t[i].errors, 0);
        for (int j = 0; made && j < T_ROUNDS; j++)
            made[i * T_ROUNDS + j] = t[i].comm[j];
    }
    pthread_barrier_destroy(&round_go);
    pthread_barrier_destroy(&round_done);
}

/* The spawn case's communicators that join the two worlds: the copies
 * of the merged one, the merged one and the spawn's intercommunicator. */
static MPI_Comm joined[T_THREADS * T_ROUNDS + 2];

/*
 * The delete callback of the spawn case's attribute on MPI_COMM_SELF,
 * which it sets before its first search, so before coord_mpi_search sets
 * its own: MPI_Finalize deletes them in the reverse order (MPI-3.1 8.7.1),
 * so coord's first, which frees coord's state on the copies in its agreed
 * order (what the case tests), then this one, which frees the
 * communicators that join the worlds, in one order on both sides, while
 * MPI still works. Left to MPI_Finalize itself, they made Open MPI 4.1's
 * child exit non-zero in most runs, without coord too (a program that
 * spawns, merges and copies the merged communicator 12 times).
 */
static int joined_free(MPI_Comm c, int keyval, void *attr, void *extra)
{
    (void)c, (void)keyval, (void)attr, (void)extra;
    size_t n = sizeof joined / sizeof joined[0];
    for (size_t i = 0; i + 1 < n; i++)
        MPI_Comm_free(&joined[i]);
    MPI_Comm_disconnect(&joined[n - 1]);
    return MPI_SUCCESS;
}

/*
 * spawn: this process (one rank) spawns one child, a world of its own in
 * which it is rank 0 too, and the two run `threads` on their merged
 * communicator; the child's failures come back to the parent. The keys
 * that order the cached state at MPI_Finalize were the largest of (world
 * rank, the process's count): here the world ranks tie, the counts
 * raced, and two communicators could get one key, which the two
 * processes then freed in opposite orders (MPI_Finalize hung). `parent`:
 * MPI_COMM_NULL in the parent, the intercommunicator in the child.
 */
static void case_spawn(const char *self, MPI_Comm parent)
{
    int keyval;
    MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, joined_free, &keyval,
                           NULL);
    MPI_Comm_set_attr(MPI_COMM_SELF, keyval, NULL);
    MPI_Comm inter = parent, merged;
    if (parent == MPI_COMM_NULL) {
        char *child_argv[] = {"spawn", NULL};
        int spawn_err = MPI_SUCCESS;
        MPI_Comm_spawn(self, child_argv, 1, MPI_INFO_NULL, 0, MPI_COMM_SELF,
                       &inter, &spawn_err);
        CHECK_EQ(spawn_err, MPI_SUCCESS);
    }
    MPI_Intercomm_merge(inter, parent != MPI_COMM_NULL, &merged);
    int world_rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    CHECK_EQ(world_rank, 0); /* both: the tie the old key had */
    case_threads(merged, joined, parent == MPI_COMM_NULL ? 1 : -1);
    joined[T_THREADS * T_ROUNDS] = merged;
    joined[T_THREADS * T_ROUNDS + 1] = inter;
    int mine = failures, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_SUM, merged);
    if (parent == MPI_COMM_NULL)
        failures = all; /* the child's come back as the parent's */
}

static void case_dead_rank(void)
{
    coord_search_opts o = COORD_SEARCH_OPTS_INIT;
    o.begin = 0;
    o.end = UINT64_C(1) << 40; /* hours of work: only the kill ends it */
    struct target t = {.target = UINT64_MAX, .victim = 2 % nranks,
                       .kill_at = 20000};
    uint64_t res = 0;
    if (rank == 0) {
        printf("dead_rank: rank %d kills itself at its probe %" PRIu64 "\n",
               t.victim, t.kill_at);
        fflush(stdout);
    }
    coord_mpi_search(MPI_COMM_WORLD, &o, probe_target, &t, &res, sizeof res,
                     NULL);
    fprintf(stderr, "rank %d: the search returned despite a dead rank\n",
            rank);
    failures++;
}

int main(int argc, char **argv)
{
    /* misuse: the calls that MPI is not there for. */
    bool misuse = argc == 2 && !strcmp(argv[1], "misuse");
    bool threads = argc == 2 && !strcmp(argv[1], "threads");
    bool spawn = argc == 2 && !strcmp(argv[1], "spawn");
    if (misuse)
        CHECK_EQ(search_on(MPI_COMM_WORLD), COORD_EINVAL); /* no MPI_Init */
    int level = MPI_THREAD_SINGLE;
    if (threads || spawn)
        MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &level);
    else
        MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    int bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        if (!strcmp(argv[i], "one_winner") && i + 1 < argc)
            case_one_winner(atoi(argv[++i]));
        else if (!strcmp(argv[i], "unique_hit"))
            case_unique_hit();
        else if (!strcmp(argv[i], "no_hit"))
            case_no_hit();
        else if (!strcmp(argv[i], "small_range"))
            case_small_range();
        else if (!strcmp(argv[i], "no_early_exit"))
            case_no_early_exit();
        else if (!strcmp(argv[i], "wasted_bound"))
            case_wasted_bound();
        else if (!strcmp(argv[i], "invalid"))
            case_invalid();
        else if (!strcmp(argv[i], "claim_time") && i + 1 < argc)
            case_claim_time(atoi(argv[++i]));
        else if (!strcmp(argv[i], "dead_rank"))
            case_dead_rank();
        else if (misuse)
            case_misuse();
        else if (threads && level == MPI_THREAD_MULTIPLE) {
            case_threads(MPI_COMM_WORLD, NULL, 0);
            if (rank == 0 && !failures)
                printf("threads: %d threads made their first search on %d "
                       "communicators each at once\n", T_THREADS, T_ROUNDS);
            fflush(stdout); /* said even if MPI_Finalize hangs */
        } else if (spawn && level == MPI_THREAD_MULTIPLE) {
            MPI_Comm parent;
            MPI_Comm_get_parent(&parent);
            case_spawn(argv[0], parent);
            if (parent == MPI_COMM_NULL && !failures)
                printf("spawn: a parent and its spawned child (both world "
                       "rank 0), %d threads each, made their first search on "
                       "%d communicators each at once\n", T_THREADS,
                       T_ROUNDS);
            fflush(stdout); /* said even if MPI_Finalize hangs */
        } else if (threads || spawn) {
            if (rank == 0)
                fprintf(stderr, "mpi-cases: this MPI has no "
                                "MPI_THREAD_MULTIPLE (%d)\n", level);
            failures++;
        } else {
            if (rank == 0)
                fprintf(stderr, "mpi-cases: unknown case '%s'\n", argv[i]);
            failures++;
        }
        bad = sum_all(failures) > 0;
    }
    MPI_Finalize();
    if (misuse) {
        int before = failures;
        CHECK_EQ(search_on(MPI_COMM_WORLD), COORD_EINVAL); /* finalized */
        bad |= failures > before;
        if (rank == 0 && !bad)
            printf("misuse: refused before MPI_Init and after "
                   "MPI_Finalize too\n");
    }
    if (bad && rank == 0)
        fprintf(stderr, "mpi-cases: FAILED\n");
    return bad ? 1 : 0;
}
