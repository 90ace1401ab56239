/* SPDX-License-Identifier: MIT */
/* bench-manager.c: manager round trips (get, set, incr, batches) and throughput of 4 concurrent clients. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define MAX_RUNS 64
#define T 10000

static int nruns(const struct bench_opts *o, int dflt)
{
    int r = o->runs ? o->runs : dflt;
    return r > MAX_RUNS ? MAX_RUNS : r;
}

/* ns per operation of n single operations of kind `op`; -1 on a wrong
 * result (so a broken build cannot post a number). */
static double singles(coord_mclient *c, coord_mop op, uint64_t n)
{
    uint64_t t0 = coord_clock_ns();
    int64_t last = -1;
    for (uint64_t i = 0; i < n; i++) {
        coord_mval v = coord_mval_i64((int64_t)i);
        int64_t now;
        int r = op == COORD_MOP_GET   ? coord_mclient_get(c, "d", "k", &v, T)
                : op == COORD_MOP_SET ? coord_mclient_set(c, "d", "s", &v, T)
                                      : coord_mclient_incr(c, "d", "n", 1,
                                                           &now, T);
        if (r != 0 || (op == COORD_MOP_GET && v.i != 7) ||
            (op == COORD_MOP_INCR && last >= 0 && now != last + 1))
            return -1;
        if (op == COORD_MOP_INCR)
            last = now;
    }
    return (double)(coord_clock_ns() - t0) / (double)n;
}

/* ns per get of n batches of `size` gets. */
static double batches(coord_mclient *c, coord_mreq *q, size_t size, uint64_t n)
{
    uint64_t t0 = coord_clock_ns();
    for (uint64_t i = 0; i < n; i++) {
        if (coord_mclient_batch(c, q, size, T) != 0)
            return -1;
        for (size_t k = 0; k < size; k++)
            if (q[k].status != 0 || q[k].result.i != 7)
                return -1;
    }
    return (double)(coord_clock_ns() - t0) / (double)(n * size);
}

/* Four client processes incrementing one counter: ns per increment of the
 * whole (aggregate throughput), checked against the final count. */
static double concurrent(const char *path, uint64_t per)
{
    coord_mclient *c;
    if (coord_mclient_connect(&c, path, T))
        return -1;
    int64_t before = 0;
    coord_mval v;
    if (coord_mclient_get(c, "d", "cc", &v, T) == 0)
        before = v.i;
    pid_t pids[4];
    uint64_t t0 = coord_clock_ns();
    for (int p = 0; p < 4; p++) {
        fflush(NULL);
        pids[p] = fork();
        if (pids[p] == 0) {
            coord_mclient *w;
            if (coord_mclient_connect(&w, path, T))
                _exit(3);
            for (uint64_t i = 0; i < per; i++)
                if (coord_mclient_incr(w, "d", "cc", 1, NULL, T))
                    _exit(4);
            coord_mclient_close(w);
            _exit(0);
        }
    }
    bool ok = true;
    for (int p = 0; p < 4; p++) {
        int st;
        if (pids[p] < 0 || waitpid(pids[p], &st, 0) < 0 || !WIFEXITED(st) ||
            WEXITSTATUS(st) != 0)
            ok = false;
    }
    double ns = (double)(coord_clock_ns() - t0) / (double)(4 * per);
    ok = ok && coord_mclient_get(c, "d", "cc", &v, T) == 0 &&
         v.i == before + (int64_t)(4 * per);
    coord_mclient_close(c);
    return ok ? ns : -1;
}

int bench_manager(const struct bench_opts *o)
{
    int runs = nruns(o, 7);
    coord_manager *m;
    coord_mclient *c;
    int r = coord_manager_start(&m, NULL, NULL);
    if (r || (r = coord_mclient_connect(&c, coord_manager_path(m), T))) {
        fprintf(stderr, "bench manager: %s\n", coord_strerror(r));
        return 1;
    }
    static coord_mreq q[1000];
    coord_mval seven = coord_mval_i64(7);
    for (int k = 0; k < 1000; k++)
        q[k] = (coord_mreq){.op = COORD_MOP_GET, .name = "d", .key = "k"};
    coord_mclient_set(c, "d", "k", &seven, T);
    /* Size the runs from a probe: the budget is split over 7 cases. */
    double probe = singles(c, COORD_MOP_GET, 200);
    double per_run = o->seconds * 1e9 / 7 / runs;
    uint64_t n = probe > 0 ? (uint64_t)(per_run / probe) : 0;
    n = n < 50 ? 50 : n;
    static const struct {
        const char *name;
        coord_mop op;
        size_t batch;
    } cs[] = {{"get", COORD_MOP_GET, 0},       {"set", COORD_MOP_SET, 0},
              {"incr", COORD_MOP_INCR, 0},     {"batch10_get", COORD_MOP_GET, 10},
              {"batch100_get", COORD_MOP_GET, 100},
              {"batch1000_get", COORD_MOP_GET, 1000}};
    double ns[MAX_RUNS];
    int rc = 0;
    for (size_t k = 0; k < sizeof cs / sizeof cs[0] && rc == 0; k++) {
        for (int i = 0; i < runs && rc == 0; i++) {
            uint64_t nb = cs[k].batch ? (n / cs[k].batch * 4 + 5) : n;
            ns[i] = cs[k].batch ? batches(c, q, cs[k].batch, nb)
                                : singles(c, cs[k].op, n);
            if (ns[i] < 0) {
                fprintf(stderr, "bench manager: %s: wrong result\n",
                        cs[k].name);
                rc = 1;
            }
        }
        if (rc == 0)
            bench_report("manager", cs[k].name, ns, runs);
    }
    for (int i = 0; i < runs && rc == 0; i++) {
        ns[i] = concurrent(coord_manager_path(m), n / 4 + 10);
        if (ns[i] < 0) {
            fprintf(stderr, "bench manager: 4 clients: lost increments\n");
            rc = 1;
        }
    }
    if (rc == 0)
        bench_report("manager", "4clients_incr_aggregate", ns, runs);
    coord_mclient_close(c);
    coord_manager_stop(m, T);
    return rc;
}
