/* SPDX-License-Identifier: MIT */
/* bench-pool.c: coord_pool's cost per task against the number of workers: map, and submit/result streaming. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/*
 * No-op tasks (8 bytes in, the same 8 bytes back), so what is measured is
 * the pool's own cost per task. For each worker count (--workers, default
 * 1,2,4,8), one pool is started and warmed outside the clock, then runs
 * interleave three cases:
 *   map       coord_pool_map of N tasks (automatic chunks);
 *   stream    N/4 x coord_pool_submit, results taken with coord_pool_result
 *             (timeout 0) between submits and waited for at the end (each
 *             task its own message, the default for submit);
 *   stream64  the same on a pool with opts.chunk = 64.
 * Each line is ns per task (median over runs). A closing line per case
 * gives the spread of the stream medians over the worker counts: the
 * largest and smallest median over the one-worker median, in percent.
 */
#define MAX_RUNS 64

static int noop(const void *task, size_t len, void *result, size_t cap,
                size_t *rlen, void *arg)
{
    (void)arg;
    if (len > cap)
        return COORD_ENOBUFS;
    memcpy(result, task, len);
    *rlen = len;
    return 0;
}

static coord_pool *start(unsigned workers, unsigned chunk)
{
    coord_pool_opts o;
    coord_pool_opts_init(&o);
    o.workers = workers;
    o.max_task = 8;
    o.max_result = 8;
    o.chunk = chunk;
    coord_pool *p;
    if (coord_pool_start(&p, &o, noop, NULL) != 0)
        return NULL;
    return p;
}

/* ns per task of one map of n tasks, or -1 on failure. */
static double run_map(coord_pool *p, const uint64_t *t, uint64_t *res,
                      size_t n)
{
    uint64_t t0 = coord_clock_ns();
    int r = coord_pool_map(p, t, n, 8, res, 8, NULL, 60000);
    uint64_t t1 = coord_clock_ns();
    if (r != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (res[i] != t[i])
            return -1;
    return (double)(t1 - t0) / (double)n;
}

/* ns per task of n submits and their n results, or -1 on failure. */
static double run_stream(coord_pool *p, const uint64_t *t, size_t n)
{
    coord_task_result tr;
    uint64_t v, sum = 0, want = 0;
    size_t got = 0;
    uint64_t t0 = coord_clock_ns();
    for (size_t i = 0; i < n; i++) {
        if (coord_pool_submit(p, &t[i], 8, NULL, 60000) != 0)
            return -1;
        want += t[i];
        while (coord_pool_result(p, &tr, &v, sizeof v, 0) == 0) {
            got++;
            sum += v;
        }
    }
    while (got < n && coord_pool_result(p, &tr, &v, sizeof v, 60000) == 0) {
        got++;
        sum += v;
    }
    uint64_t t1 = coord_clock_ns();
    if (got != n || sum != want)
        return -1;
    return (double)(t1 - t0) / (double)n;
}

enum { C_MAP, C_STREAM, C_STREAM64, NCASES };
static const char *const case_name[NCASES] = {"map", "stream", "stream64"};

int bench_pool(const struct bench_opts *o)
{
    static const unsigned dflt[] = {1, 2, 4, 8};
    const unsigned *ws = o->nworkers ? o->workers : dflt;
    int nw = o->nworkers ? o->nworkers : 4;
    int runs = o->runs ? o->runs : 5;
    if (runs > MAX_RUNS)
        runs = MAX_RUNS;
    /* Tasks per run: about the time budget spread over every run of every
     * case and count, at an assumed 0.2 µs per map task and 2 µs per
     * streamed one, within [10k, 1M] (a quarter of that for streaming). */
    double per = o->seconds * 1e6 / (runs * nw * 4.2);
    size_t n = per < 10000 ? 10000 : per > 1e6 ? 1000000 : (size_t)per;
    size_t ns = n / 4;
    uint64_t *t = malloc(n * sizeof *t), *res = malloc(n * sizeof *res);
    double med[NCASES][64];
    int rc = 0;
    if (!t || !res) {
        free(t);
        free(res);
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        t[i] = i * 2654435761u;
    for (int w = 0; w < nw && w < 64; w++) {
        coord_pool *p = start(ws[w], 0), *p64 = start(ws[w], 64);
        double v[NCASES][MAX_RUNS];
        bool ok = p && p64 && run_map(p, t, res, n) > 0 &&
                  run_stream(p64, t, n / 4) > 0;
        for (int k = 0; ok && k < runs; k++) {
            v[C_MAP][k] = run_map(p, t, res, n);
            v[C_STREAM][k] = run_stream(p, t, ns);
            v[C_STREAM64][k] = run_stream(p64, t, ns);
            for (int c = 0; c < NCASES; c++)
                ok = ok && v[c][k] > 0;
        }
        coord_pool_stats st = {0};
        if (p)
            coord_pool_get_stats(p, &st);
        if (p)
            coord_pool_shutdown(p, 10000);
        if (p64)
            coord_pool_shutdown(p64, 10000);
        coord_pool_destroy(p);
        coord_pool_destroy(p64);
        if (!ok) {
            fprintf(stderr, "bench pool: workers=%u failed\n", ws[w]);
            rc = 1;
            continue;
        }
        for (int c = 0; c < NCASES; c++) {
            char name[64];
            snprintf(name, sizeof name, "%s_w%u", case_name[c], ws[w]);
            bench_report("pool", name, v[c], runs);
            med[c][w] = bench_median(v[c], runs);
        }
        double chunk = st.chunk, cost = st.task_ns;
        char name[64];
        snprintf(name, sizeof name, "map_chunk_w%u", ws[w]);
        bench_report_value("pool", name, "tasks", &chunk, 1);
        snprintf(name, sizeof name, "task_cost_w%u", ws[w]);
        bench_report_value("pool", name, "ns", &cost, 1);
    }
    /* The stream's spread over the worker counts, against one count's. */
    for (int c = C_STREAM; rc == 0 && c < NCASES && nw > 1; c++) {
        double lo = med[c][0], hi = med[c][0];
        for (int w = 1; w < nw && w < 64; w++) {
            if (med[c][w] < lo)
                lo = med[c][w];
            if (med[c][w] > hi)
                hi = med[c][w];
        }
        double spread[2] = {100.0 * (lo / med[c][0] - 1),
                            100.0 * (hi / med[c][0] - 1)};
        char name[64];
        snprintf(name, sizeof name, "%s_spread_vs_w%u_min", case_name[c],
                 ws[0]);
        bench_report_value("pool", name, "pct", &spread[0], 1);
        snprintf(name, sizeof name, "%s_spread_vs_w%u_max", case_name[c],
                 ws[0]);
        bench_report_value("pool", name, "pct", &spread[1], 1);
    }
    free(t);
    free(res);
    return rc;
}
