/* SPDX-License-Identifier: MIT */
/* bench-main.c: coord_bench: runs the benchmark components (never part of ctest). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#ifndef COORD_GIT_COMMIT
#define COORD_GIT_COMMIT "unknown"
#endif

volatile uint64_t bench_sink;

struct component {
    const char *name;
    int (*run)(const struct bench_opts *o);
};

static const struct component components[] = {
#define BENCH__ENTRY(name) {#name, bench_##name},
    BENCH_LIST(BENCH__ENTRY)
#undef BENCH__ENTRY
};
#define NCOMP (sizeof components / sizeof components[0])

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_pct(double *v, int n, double pct)
{
    if (n <= 0)
        return 0;
    qsort(v, (size_t)n, sizeof *v, cmp);
    double pos = pct / 100.0 * (n - 1);
    int lo = (int)pos;
    if (lo + 1 >= n)
        return v[n - 1];
    return v[lo] + (v[lo + 1] - v[lo]) * (pos - lo);
}

double bench_median(double *v, int n)
{
    return bench_pct(v, n, 50);
}

void bench_report(const char *component, const char *name, double *ns, int n)
{
    double p50 = bench_pct(ns, n, 50), p99 = bench_pct(ns, n, 99);
    printf("bench=%s case=%s ns_op_p50=%.3f ns_op_p99=%.3f ns_op_min=%.3f "
           "ns_op_max=%.3f ops_s=%.0f runs=%d commit=%s\n",
           component, name, p50, p99, ns[0], ns[n - 1],
           p50 > 0 ? 1e9 / p50 : 0.0, n, COORD_GIT_COMMIT);
    fflush(stdout);
}

void bench_report_value(const char *component, const char *name,
                        const char *unit, double *v, int n)
{
    double p50 = bench_pct(v, n, 50), p99 = bench_pct(v, n, 99);
    printf("bench=%s case=%s %s_p50=%.3f %s_p99=%.3f %s_min=%.3f "
           "%s_max=%.3f runs=%d commit=%s\n",
           component, name, unit, p50, unit, p99, unit, v[0], unit, v[n - 1],
           n, COORD_GIT_COMMIT);
    fflush(stdout);
}

int bench_parse_counts(const char *s, unsigned *v, unsigned max)
{
    int n = 0;
    const char *at = s;
    for (;;) {
        char *end;
        if (*at < '0' || *at > '9' || n == BENCH_MAX_COUNTS)
            return -1;
        unsigned long x = strtoul(at, &end, 10);
        if (x < 1 || x > max)
            return -1;
        v[n++] = (unsigned)x;
        if (*end == '\0')
            return n;
        if (*end != ',')
            return -1;
        at = end + 1;
    }
}

static void usage(FILE *f)
{
    fprintf(f, "usage: coord_bench COMPONENT|all [--seconds S] [--runs N] "
               "[--workers 1,2,4,...]\n"
               "       coord_bench queue [--producers 1,4,...] "
               "[--consumers 1,4,...] [--size BYTES]\n"
               "       coord_bench manager [--clients 1,2,4,...] "
               "[--idle 64,256,...]\n"
               "       (one row per count, or per producers x consumers)\n"
               "components:");
    for (size_t i = 0; i < NCOMP; i++)
        fprintf(f, " %s", components[i].name);
    fprintf(f, "\n");
}

int main(int argc, char **argv)
{
    struct bench_opts o = {.seconds = 5, .runs = 0, .json = false};
    const char *what = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            o.seconds = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
            o.runs = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--workers") && i + 1 < argc) {
            o.nworkers = bench_parse_counts(argv[++i], o.workers, 1024);
            if (o.nworkers < 0) {
                fprintf(stderr, "coord_bench: bad --workers list '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if ((!strcmp(argv[i], "--producers") ||
                    !strcmp(argv[i], "--consumers")) &&
                   i + 1 < argc) {
            bool prod = argv[i][2] == 'p';
            int n = bench_parse_counts(argv[++i],
                                       prod ? o.producers : o.consumers,
                                       BENCH_MAX_SIDE);
            if (n < 0) {
                fprintf(stderr, "coord_bench: bad %s list '%s'\n",
                        prod ? "--producers" : "--consumers", argv[i]);
                return 2;
            }
            *(prod ? &o.nproducers : &o.nconsumers) = n;
        } else if (!strcmp(argv[i], "--clients") && i + 1 < argc) {
            o.nclients = bench_parse_counts(argv[++i], o.clients, 256);
            if (o.nclients < 0) {
                fprintf(stderr, "coord_bench: bad --clients list '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--idle") && i + 1 < argc) {
            o.nidle = bench_parse_counts(argv[++i], o.idle, BENCH_MAX_IDLE);
            if (o.nidle < 0) {
                fprintf(stderr, "coord_bench: bad --idle list '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            char *end;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end || argv[i][0] < '0' || argv[i][0] > '9' || v < 1 ||
                v > 65536) {
                fprintf(stderr, "coord_bench: bad --size '%s'\n", argv[i]);
                return 2;
            }
            o.size = v;
        } else if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] != '-' && !what) {
            what = argv[i];
        } else {
            fprintf(stderr, "coord_bench: bad argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!what || o.seconds <= 0 || o.runs < 0) {
        usage(stderr);
        return 2;
    }
    int found = 0, rc = 0;
    for (size_t i = 0; i < NCOMP; i++) {
        if (strcmp(what, "all") && strcmp(what, components[i].name))
            continue;
        found = 1;
        struct bench_opts co = o;
        if (!strcmp(what, "all"))
            co.seconds = o.seconds / NCOMP;
        if (components[i].run(&co) != 0)
            rc = 1;
    }
    if (!found) {
        fprintf(stderr, "coord_bench: unknown component '%s'\n", what);
        return 2;
    }
    return rc;
}
