/* SPDX-License-Identifier: MIT */
/* bench-main.c: coord_bench: runs the benchmark components (never part of ctest). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#ifdef COORD_GIT_HEADER
#include "coord_git.h" /* written at each build: cmake/git-commit.cmake */
#endif
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
    fprintf(f, "usage: coord_bench COMPONENT|all [--seconds S] [--runs N]\n"
               "       coord_bench pool|search [--workers 1,2,4,...]\n"
               "       coord_bench queue [--producers 1,4,...] "
               "[--consumers 1,4,...] [--size 8,64,...]\n"
               "       coord_bench queue --sleepers 1,4,16,...\n"
               "       coord_bench manager [--clients 1,2,4,... [--stalls]] "
               "[--idle 64,256,...]\n"
               "       (one row per count, or per producers x consumers)\n"
               "--seconds: the time budget of a component (default 5, at "
               "most 3600); --runs: runs per case (1-64; default per "
               "component)\n"
               "components:");
    for (size_t i = 0; i < NCOMP; i++)
        fprintf(f, " %s", components[i].name);
    fprintf(f, "\n");
}

/* Bad input: one line on stderr, exit status 2 (the CLI contract). */
#define BAD(...)                                                               \
    do {                                                                       \
        fprintf(stderr, "coord_bench: " __VA_ARGS__);                          \
        fprintf(stderr, " (coord_bench --help)\n");                            \
        return 2;                                                              \
    } while (0)

/* The options that only some components take, and which (at most two). */
static const struct {
    const char *opt;
    const char *takers[2]; /* the second may be NULL */
} only_for[] = {{"--workers", {"pool", "search"}},
                {"--producers", {"queue", NULL}},
                {"--consumers", {"queue", NULL}},
                {"--size", {"queue", NULL}},
                {"--clients", {"manager", NULL}},
                {"--idle", {"manager", NULL}},
                {"--stalls", {"manager", NULL}},
                {"--sleepers", {"queue", NULL}}};
#define NONLY (sizeof only_for / sizeof only_for[0])

static bool takes(size_t k, const char *what)
{
    for (int i = 0; i < 2; i++)
        if (only_for[k].takers[i] && !strcmp(only_for[k].takers[i], what))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    struct bench_opts o = {.seconds = 5, .runs = 0, .json = false};
    const char *what = NULL;
    bool given[NONLY] = {false};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (a[0] != '-') {
            if (what)
                BAD("one component at a time: '%s' after '%s'", a, what);
            what = a;
            continue;
        }
        for (size_t k = 0; k < NONLY; k++)
            if (!strcmp(a, only_for[k].opt))
                given[k] = true;
        if (!strcmp(a, "--stalls")) { /* a switch: no value */
            o.stalls = true;
            continue;
        }
        bool known = !strcmp(a, "--seconds") || !strcmp(a, "--runs");
        for (size_t k = 0; k < NONLY && !known; k++)
            known = !strcmp(a, only_for[k].opt);
        if (!known)
            BAD("unknown option '%s'", a);
        if (i + 1 >= argc)
            BAD("%s needs a value", a);
        const char *v = argv[++i];
        char *end;
        if (!strcmp(a, "--seconds")) {
            o.seconds = strtod(v, &end);
            if (end == v || *end || !(o.seconds > 0) || o.seconds > 3600)
                BAD("bad --seconds '%s': a number of seconds above 0, at "
                    "most 3600", v);
        } else if (!strcmp(a, "--runs")) {
            long r = strtol(v, &end, 10);
            if (end == v || *end || r < 1 || r > 64)
                BAD("bad --runs '%s': a whole number from 1 to 64", v);
            o.runs = (int)r;
        } else if (!strcmp(a, "--workers")) {
            o.nworkers = bench_parse_counts(v, o.workers, 1024);
            if (o.nworkers < 0)
                BAD("bad --workers list '%s': up to %d counts from 1 to 1024, "
                    "comma-separated", v, BENCH_MAX_COUNTS);
        } else if (!strcmp(a, "--producers") || !strcmp(a, "--consumers")) {
            bool prod = a[2] == 'p';
            int n = bench_parse_counts(v, prod ? o.producers : o.consumers,
                                       BENCH_MAX_SIDE);
            if (n < 0)
                BAD("bad %s list '%s': up to %d counts from 1 to %d, "
                    "comma-separated", a, v, BENCH_MAX_COUNTS, BENCH_MAX_SIDE);
            *(prod ? &o.nproducers : &o.nconsumers) = n;
        } else if (!strcmp(a, "--clients")) {
            o.nclients = bench_parse_counts(v, o.clients, 256);
            if (o.nclients < 0)
                BAD("bad --clients list '%s': up to %d counts from 1 to 256, "
                    "comma-separated", v, BENCH_MAX_COUNTS);
        } else if (!strcmp(a, "--idle")) {
            o.nidle = bench_parse_counts(v, o.idle, BENCH_MAX_IDLE);
            if (o.nidle < 0)
                BAD("bad --idle list '%s': up to %d counts from 1 to %d, "
                    "comma-separated", v, BENCH_MAX_COUNTS, BENCH_MAX_IDLE);
        } else if (!strcmp(a, "--sleepers")) {
            o.nsleepers = bench_parse_counts(v, o.sleepers, BENCH_MAX_SIDE);
            if (o.nsleepers < 0)
                BAD("bad --sleepers list '%s': up to %d counts from 1 to %d, "
                    "comma-separated", v, BENCH_MAX_COUNTS, BENCH_MAX_SIDE);
        } else { /* --size */
            o.nsizes = bench_parse_counts(v, o.sizes, 65536);
            if (o.nsizes < 0)
                BAD("bad --size list '%s': up to %d sizes in bytes from 1 to "
                    "65536, comma-separated", v, BENCH_MAX_COUNTS);
        }
    }
    if (!what)
        BAD("no component given");
    if (o.nsleepers && (o.nproducers || o.nconsumers || o.nsizes))
        BAD("--sleepers rows are on their own: not with --producers, "
            "--consumers or --size");
    bool all = !strcmp(what, "all");
    int found = all;
    for (size_t i = 0; i < NCOMP && !found; i++)
        found = !strcmp(what, components[i].name);
    if (!found)
        BAD("unknown component '%s'", what);
    for (size_t k = 0; k < NONLY; k++)
        if (given[k] && (all || !takes(k, what)))
            BAD("%s is for %s%s%s only, not %s", only_for[k].opt,
                only_for[k].takers[0], only_for[k].takers[1] ? " or " : "",
                only_for[k].takers[1] ? only_for[k].takers[1] : "", what);
    if (o.stalls && !o.nclients)
        BAD("--stalls adds rows to --clients: give --clients too");
    int rc = 0;
    for (size_t i = 0; i < NCOMP; i++) {
        if (!all && strcmp(what, components[i].name))
            continue;
        struct bench_opts co = o;
        if (all)
            co.seconds = o.seconds / NCOMP;
        if (components[i].run(&co) != 0)
            rc = 1;
    }
    return rc;
}
