/* SPDX-License-Identifier: MIT */
/* team-order.c: Example 27.1 on a persistent coord_team, search after search: each search's wall time and
 * iterations, and when each worker ran its first probe; then how many searches were slow (docs/results.md,
 * "Example 27.1 on persistent workers: why it is bimodal").
 * cc -O2 -Iinclude -o to scripts/team-order.c build-scaling/libcoord.a -lpthread -lm
 * ./to [searches, default 200] [pause between searches in us, default 0] [-v: a line per search] */
#include <coord.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef WORKERS
#define WORKERS 4 /* -DWORKERS=2: no more workers than this VM's CPUs */
#endif
#define START 1000000ull
#define RANGE 100000ull  /* numbers per worker, as coord primes */
#define TARGET 1001003ull /* the first prime at or after position 1000 of worker 0's block */
#define SLOW_ITERATIONS 5000

/* When each worker ran its first probe of the current search (shared by
 * the forked workers; 0: not yet). */
static _Atomic uint64_t *first;

static bool is_prime(uint64_t n)
{
    if (n < 2)
        return false;
    for (uint64_t d = 2; d * d <= n; d++)
        if (n % d == 0)
            return false;
    return true;
}

static bool probe(uint64_t i, void *result, void *arg)
{
    (void)arg;
    uint64_t w = (i - START) / RANGE, zero = 0;
    if (w < WORKERS && atomic_load_explicit(&first[w], memory_order_relaxed) == 0)
        atomic_compare_exchange_strong(&first[w], &zero, coord_clock_ns());
    /* Every number gets the lecture's test, as coord primes does. */
    if (is_prime(i) && i == TARGET) {
        memcpy(result, &i, sizeof i);
        return true;
    }
    return false;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int searches = argc > 1 ? atoi(argv[1]) : 200;
    int pause_us = argc > 2 ? atoi(argv[2]) : 0;
    bool verbose = argc > 3 && strcmp(argv[3], "-v") == 0;
    if (searches < 1 || searches > 100000 || pause_us < 0) {
        fprintf(stderr, "usage: %s [searches 1..100000] [pause_us] [-v]\n", argv[0]);
        return 2;
    }
    first = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    uint64_t *wall = calloc((size_t)searches, sizeof *wall);
    uint64_t *its = calloc((size_t)searches, sizeof *its);
    if (first == MAP_FAILED || !wall || !its)
        return 1;
    coord_search_opts o;
    coord_search_opts_init(&o, START, START + RANGE * WORKERS);
    o.workers = WORKERS;
    o.partition = COORD_PARTITION_BLOCKS;
    coord_team *t;
    int rc = coord_team_create(&t, &o, probe, NULL, sizeof(uint64_t));
    if (rc) {
        fprintf(stderr, "coord_team_create: %s\n", coord_strerror(rc));
        return 1;
    }
    int slow = 0;
    for (int s = 0; s < searches; s++) {
        for (int w = 0; w < WORKERS; w++)
            atomic_store(&first[w], 0);
        uint64_t t0 = coord_clock_ns(), hit = 0;
        coord_search_stats st;
        rc = coord_team_search(t, o.begin, o.end, &hit, &st, -1);
        if (rc != 1 || hit != TARGET) {
            fprintf(stderr, "search %d: %d (%s), hit %llu\n", s, rc, coord_strerror(rc),
                    (unsigned long long)hit);
            coord_team_destroy(t);
            return 1;
        }
        wall[s] = st.wall_ns;
        its[s] = st.iterations;
        slow += st.iterations > SLOW_ITERATIONS;
        if (verbose) {
            printf("%7llu iterations %8.1f us  first probe at:", (unsigned long long)st.iterations,
                   (double)st.wall_ns / 1e3);
            for (int w = 0; w < WORKERS; w++) {
                uint64_t f = atomic_load(&first[w]);
                printf("  w%d %7.1f us", w, f ? (double)(f - t0) / 1e3 : -1.0);
            }
            printf("\n");
        }
        if (pause_us)
            usleep((useconds_t)pause_us);
    }
    coord_team_destroy(t);
    qsort(wall, (size_t)searches, sizeof *wall, cmp_u64);
    qsort(its, (size_t)searches, sizeof *its, cmp_u64);
    printf("%d searches, %d workers on %ld CPUs: wall p10 %.1f p50 %.1f p90 %.1f us; iterations p50 %llu "
           "p90 %llu; slow (> %d iterations) %d of %d\n",
           searches, WORKERS, sysconf(_SC_NPROCESSORS_ONLN), (double)wall[searches / 10] / 1e3,
           (double)wall[searches / 2] / 1e3, (double)wall[searches * 9 / 10] / 1e3,
           (unsigned long long)its[searches / 2], (unsigned long long)its[searches * 9 / 10],
           SLOW_ITERATIONS, slow, searches);
    return 0;
}
