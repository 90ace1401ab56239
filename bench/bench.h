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
#define BENCH_LIST(X) X(flag) X(search) X(queue) X(manager) X(wakeup) X(handover) X(pool)

#define BENCH_MAX_COUNTS 32

struct bench_opts {
    double seconds; /* time budget for the whole component */
    int runs;       /* repetitions per case (median of these is reported) */
    bool json;      /* machine-readable lines only */
    /* --workers 1,2,4: one row per count (nworkers 0: the component's
     * default list) */
    unsigned workers[BENCH_MAX_COUNTS];
    int nworkers;
    /* --producers / --consumers 1,4,8 (queue): one row per combination
     * (nproducers / nconsumers 0: not given) */
    unsigned producers[BENCH_MAX_COUNTS], consumers[BENCH_MAX_COUNTS];
    int nproducers, nconsumers;
    /* --size 8,64,4096 (queue): message bytes, one row per size and
     * producers x consumers (nsizes 0: 8 bytes) */
    unsigned sizes[BENCH_MAX_COUNTS];
    int nsizes;
    /* --clients 1,2,4 (manager): one row per count (0: not given) */
    unsigned clients[BENCH_MAX_COUNTS];
    int nclients;
    /* --idle 64,256,1024 (manager): one get's cost beside that many idle
     * connections, one row per count after an idle0 row (0: not given) */
    unsigned idle[BENCH_MAX_COUNTS];
    int nidle;
    /* --stalls (manager, with --clients): also the stall rows (bench-manager.c) */
    bool stalls;
    /* --sleepers 1,4,16 (queue): consumers blocked on an empty queue fed
     * one message at a time, one row per count (0: not given) */
    unsigned sleepers[BENCH_MAX_COUNTS];
    int nsleepers;
};

/* The most idle connections an --idle row may ask for. */
#define BENCH_MAX_IDLE 4096

/* The most producers or consumers a queue row may ask for. */
#define BENCH_MAX_SIDE 64

/*
 * bench_parse_counts: parse a comma-separated list of counts ("1,2,4,8"),
 * each 1 .. max, at most BENCH_MAX_COUNTS, into v. Returns how many, or
 * -1 for anything else (empty, a bad number, too many).
 */
int bench_parse_counts(const char *s, unsigned *v, unsigned max);

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
