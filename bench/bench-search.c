/* SPDX-License-Identifier: MIT */
/* bench-search.c: search wall time (one-shot and persistent, by worker count), stop latency, auto-interval overhead and rounds per second. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"

#define MAX_RUNS 256

/* About 2 ns of dependent integer work per index: the cheap iteration. */
static bool probe_cheap(uint64_t i, void *result, void *arg)
{
    const uint64_t *hit = arg;
    uint64_t x = i * 6364136223846793005ull + 1442695040888963407ull;
    x ^= x >> 29;
    if (i == *hit) {
        *(uint64_t *)result = x;
        return true;
    }
    return x == 0; /* never true in practice; keeps x live */
}

static int nruns(const struct bench_opts *o, int dflt)
{
    int r = o->runs ? o->runs : dflt;
    return r > MAX_RUNS ? MAX_RUNS : r;
}

/* Whole coord_search calls (fork, run, join) with a hit at 1,000. */
/* Short budgets (the 1 s CI smoke run) get fewer repetitions. */
static bool smoke(const struct bench_opts *o)
{
    return o->seconds < 2;
}

static int bench_wall(const struct bench_opts *o)
{
    int runs = nruns(o, smoke(o) ? 5 : 21);
    double ns[MAX_RUNS];
    uint64_t hit = 1000, res;
    coord_search_opts so = COORD_SEARCH_OPTS_INIT;
    so.workers = 4;
    so.begin = 0;
    so.end = 400000;
    so.partition = COORD_PARTITION_BLOCKS;
    for (int r = 0; r < runs; r++) {
        coord_search_stats st;
        if (coord_search(&so, probe_cheap, &hit, &res, sizeof res, &st) != 1 ||
            st.index != hit)
            return -1; /* a broken build must not post a number */
        ns[r] = (double)st.wall_ns;
    }
    bench_report("search", "wall_4w_hit1000", ns, runs);
    return 0;
}

/* Stop latency (claim -> last other worker left) with workers <= cores
 * and the cheap iteration, at a fixed interval and at auto. */
static int bench_stop(const struct bench_opts *o, uint64_t every,
                      const char *name)
{
    int runs = nruns(o, smoke(o) ? 7 : 41);
    double lat[MAX_RUNS];
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    coord_search_opts so = COORD_SEARCH_OPTS_INIT;
    so.workers = cpus >= 2 ? 2 : 1;
    so.begin = 0;
    so.end = 40000000;
    so.check_every = every;
    so.partition = COORD_PARTITION_BLOCKS;
    coord_search_worker pw[2];
    so.per_worker = pw;
    int got = 0;
    for (int r = 0; r < 3 * runs && got < runs; r++) {
        /* Hit after ~1-2 ms of worker 0's work, others mid-block. */
        uint64_t hit = 500000 + (uint64_t)r * 7919, res;
        coord_search_stats st;
        if (coord_search(&so, probe_cheap, &hit, &res, sizeof res, &st) != 1)
            return -1;
        /* Only stops of a worker that was still running at the claim. */
        if (so.workers == 2 && pw[1].left_after_claim_ns >= 0)
            lat[got++] = (double)st.stop_latency_ns;
    }
    if (got > 0)
        bench_report_value("search", name, "ns", lat, got);
    return 0;
}

/* One chunk of the cheap probe run as coord_search runs it: through a
 * function pointer, in blocks of iv's K, one flag load per block. The
 * baseline is the same code with COORD_CHECK_NEVER (one block), so both
 * sides share their machine code and alignment. */
static uint64_t chunk(coord_probe_fn fn, const coord_flag *f,
                      coord_interval *iv, uint64_t i, uint64_t n)
{
    uint64_t res, nohit = UINT64_MAX, end = i + n;
    coord_interval_restart(iv);
    while (i < end) {
        uint64_t k = coord_interval_begin(iv);
        uint64_t stop = end - i < k ? end : i + k, m = stop - i;
        for (; i < stop; i++)
            fn(i, &res, &nohit);
        coord_interval_end(iv, m);
        if (coord_flag_is_set(f))
            break;
    }
    return i;
}

/* Overhead of the auto interval against never checking on the ~1.3 ns
 * iteration: ~1 ms chunks with and without, alternating in one process;
 * each run reports the median ratio of its 101 pairs (21 in a smoke run). */
static int bench_auto_overhead(const struct bench_opts *o)
{
    int runs = nruns(o, smoke(o) ? 3 : 11);
    int npairs = smoke(o) ? 21 : 101;
    double pct[MAX_RUNS], pairs[101];
    coord_flag *f;
    if (coord_flag_create(&f))
        return -1;
    coord_probe_fn volatile fnp = probe_cheap; /* no inlining: as search */
    coord_probe_fn fn = fnp;
    uint64_t i = 0, n = 700000;
    for (int r = 0; r < runs; r++) {
        coord_interval a, never;
        coord_interval_init(&a, COORD_CHECK_AUTO, 0, 0);
        coord_interval_init(&never, COORD_CHECK_NEVER, 0, 0);
        for (int p = 0; p < npairs; p++) {
            double t[2];
            for (int h = 0; h < 2; h++) {
                int which = (h + p) % 2;
                uint64_t t0 = coord_clock_ns();
                i = chunk(fn, f, which ? &a : &never, i, n);
                t[which] = (double)(coord_clock_ns() - t0);
            }
            pairs[p] = (t[1] - t[0]) / t[0] * 100.0;
        }
        pct[r] = bench_median(pairs, npairs);
    }
    coord_flag_destroy(f);
    bench_report_value("search", "auto_overhead_cheap", "pct", pct, runs);
    return 0;
}

static bool round_empty(uint64_t i, const void *in, size_t len, void *res,
                        uint32_t w, void *arg)
{
    (void)i, (void)in, (void)len, (void)res, (void)w, (void)arg;
    return false;
}

/* Rounds per second with 2 workers and an empty round body; spin_ns 0 is
 * the default spin-then-sleep, 1 sleeps on the futex at once. */
static int bench_rounds(const struct bench_opts *o, double seconds,
                        uint32_t spin_ns, const char *name)
{
    int runs = nruns(o, smoke(o) ? 3 : 5);
    double ns[MAX_RUNS];
    coord_rounds_opts ro = COORD_ROUNDS_OPTS_INIT;
    ro.workers = 2;
    ro.spin_ns = spin_ns;
    coord_rounds *r;
    if (coord_rounds_create(&r, &ro, round_empty, NULL))
        return -1;
    uint64_t per_run = smoke(o) ? 2000 : 20000;
    for (int k = 0; k < runs; k++) {
        uint64_t t0 = coord_clock_ns();
        for (uint64_t i = 0; i < per_run; i++)
            if (coord_rounds_run(r, NULL, 0, 0, 2, NULL, NULL, 10000) != 0) {
                coord_rounds_destroy(r);
                return -1;
            }
        double dt = (double)(coord_clock_ns() - t0);
        ns[k] = dt / (double)per_run;
        if (k == 0 && seconds > 0) {
            double want = seconds * 1e9 / runs;
            per_run = (uint64_t)((double)per_run * want / dt);
            if (per_run < 1000)
                per_run = 1000;
        }
    }
    coord_rounds_destroy(r);
    bench_report("search", name, ns, runs);
    return 0;
}

/*
 * --workers 1,2,4,...: one row per count, Example 27.1's shape with the
 * cheap iteration (blocks of 100,000 per worker, the hit at 1,000 of
 * worker 0's), searched one-shot (coord_search: fork to join) and on
 * persistent workers (coord_team: per search, after the workers exist;
 * the team's start-up is its own row). Runs interleave the two.
 */
static int bench_scaling(const struct bench_opts *o)
{
    int runs = nruns(o, smoke(o) ? 5 : 21);
    for (int k = 0; k < o->nworkers; k++) {
        unsigned w = o->workers[k];
        double one[MAX_RUNS], team[MAX_RUNS], start[1];
        uint64_t hit = 1000, res;
        coord_search_opts so = COORD_SEARCH_OPTS_INIT;
        so.workers = w;
        so.begin = 0;
        so.end = (uint64_t)w * 100000;
        so.partition = COORD_PARTITION_BLOCKS;
        coord_team *t;
        uint64_t t0 = coord_clock_ns();
        if (coord_team_create(&t, &so, probe_cheap, &hit, sizeof res))
            return -1;
        start[0] = (double)(coord_clock_ns() - t0);
        for (int r = 0; r < runs; r++) {
            coord_search_stats st;
            if (coord_search(&so, probe_cheap, &hit, &res, sizeof res, &st) !=
                    1 ||
                st.index != hit)
                goto broken;
            one[r] = (double)st.wall_ns;
            if (coord_team_search(t, so.begin, so.end, &res, &st, 10000) !=
                    1 ||
                st.index != hit)
                goto broken;
            team[r] = (double)st.wall_ns;
        }
        if (coord_team_destroy(t))
            return -1;
        char name[64];
        snprintf(name, sizeof name, "oneshot_%uw_hit1000", w);
        bench_report("search", name, one, runs);
        snprintf(name, sizeof name, "persistent_%uw_hit1000", w);
        bench_report("search", name, team, runs);
        snprintf(name, sizeof name, "persistent_%uw_startup", w);
        bench_report("search", name, start, 1);
        continue;
    broken:
        coord_team_destroy(t);
        return -1;
    }
    return 0;
}

int bench_search(const struct bench_opts *o)
{
    if (o->nworkers > 0) {
        int rc = bench_scaling(o);
        if (rc)
            fprintf(stderr, "bench search: a search failed or returned a "
                            "wrong result\n");
        return rc ? 1 : 0;
    }
    int rc = 0;
    rc |= bench_wall(o);
    rc |= bench_stop(o, 16, "stop_latency_cheap_k16");
    rc |= bench_stop(o, COORD_CHECK_AUTO, "stop_latency_cheap_auto");
    rc |= bench_auto_overhead(o);
    rc |= bench_rounds(o, o->seconds / 8, 0, "rounds_empty_2w");
    rc |= bench_rounds(o, o->seconds / 8, 1, "rounds_empty_2w_futex_only");
    if (rc) /* a failure (a fork that failed, say) is not told apart */
        fprintf(stderr, "bench search: a search failed or returned a "
                        "wrong result\n");
    return rc ? 1 : 0;
}
