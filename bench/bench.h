/* SPDX-License-Identifier: MIT */
/* bench.h: shared pieces of coord_bench: the list, options and the report line. */
#ifndef COORD_BENCH_H
#define COORD_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <coord.h>

/* One line per benchmark component: X(name). Each is implemented in
 * bench/bench-<name>.c as int bench_<name>(const struct bench_opts *). */
#define BENCH_LIST(X) X(flag) X(search) X(queue) X(manager) X(wakeup)

/* A list of process counts given on the command line ("1,4,8"). */
#define BENCH_MAX_COUNTS 16
#define BENCH_MAX_COUNT 64
struct bench_counts {
    int n; /* 0: not given */
    unsigned v[BENCH_MAX_COUNTS];
};

struct bench_opts {
    double seconds; /* time budget for the whole component */
    int runs;       /* repetitions per case (median of these is reported) */
    bool json;      /* machine-readable lines only */
    /* --producers / --consumers (queue): one row per combination. */
    struct bench_counts producers, consumers;
    size_t size;    /* --size: message bytes (0: the component's default) */
};

/* Parse "1,4,8" (each 1 .. BENCH_MAX_COUNT, at most BENCH_MAX_COUNTS of
 * them) into *c. Returns 0, or -1 for anything else. */
int bench_parse_counts(const char *s, struct bench_counts *c);

#define BENCH__DECL(name) int bench_##name(const struct bench_opts *o);
BENCH_LIST(BENCH__DECL)
#undef BENCH__DECL

/*
 * bench_report: print one machine-readable line for a case:
 *   bench=<component> case=<name> ns_op_p50=.. ns_op_p99=.. ns_op_min=..
 *   ns_op_max=.. ops_s=.. runs=N commit=<git>
 * `ns_per_op` holds one measurement per run (sorted in place).
 */
void bench_report(const char *component, const char *name, double *ns_per_op,
                  int runs);
/* Same for a derived quantity (percent overhead, latency in ns, ...). */
void bench_report_value(const char *component, const char *name,
                        const char *unit, double *values, int n);

double bench_median(double *v, int n);
double bench_pct(double *v, int n, double pct);

/* Keeps the compiler from deleting a computation (one volatile store:
 * call it after a loop, not inside). */
extern volatile uint64_t bench_sink;
static inline void bench_keep(uint64_t x)
{
    bench_sink += x;
}

#endif
