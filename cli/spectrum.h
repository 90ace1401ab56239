/* SPDX-License-Identifier: MIT */
/* spectrum.h: what the parts of `coord spectrum` share: the rows (mechanisms and slide 8's claims), their results, the output. */
#ifndef COORD_CLI_SPECTRUM_H
#define COORD_CLI_SPECTRUM_H

#include <stdbool.h>
#include <stddef.h>

/* coord.spectrum/2: per-operation costs in integer picoseconds
 * (per_op_p50_ps, ...), were fractional ns_per_op_* in /1. */
#define SPECTRUM_JSON_VERSION 2

/* The most runs per row --runs accepts: the fork-based rows and the MPI
 * rows (spectrum-mpi.c) both keep this many. */
#define SPECTRUM_MAX_RUNS 201

/* Slide 8's claims. lo/hi in ns; hi == 0: the lecture makes no claim. */
struct row_def {
    const char *mech;
    const char *what;
    double lo, hi;
    const char *claim;
    bool child; /* a read: measured from a forked child as well */
};

/* The rows measured, in this order (the R_* indexes below). */
#define SPECTRUM_NROWS ((size_t)16)
#define NROWS SPECTRUM_NROWS
extern const struct row_def rows_def[SPECTRUM_NROWS];

enum {
    R_FLAG, R_VGET, R_VSET, R_AREAD, R_AWRITE, R_REGION, R_CAS, R_LOCK,
    R_QUEUE, R_PIPE, R_SOCK, R_MGET, R_MGET_BLOCK, R_MSET, R_MINCR, R_MBATCH
};

struct result {
    double p50, p99, child_p50;
    bool have_child;
    double py_p50, py_p99;
    bool have_py;
    char py_detail[160];
    double pyc_p50, pyc_p99; /* Python using the coord package */
    bool have_pyc;
    char pyc_detail[160];
};

/* A figure checked against the targets. */
struct target {
    const char *name, *want;
    double measured, limit;
    bool at_least; /* measured must be >= limit (else <=) */
    bool known;
};

/* spectrum_verdict: "agrees" within a factor of 3 of d's claimed range,
 * else how far off ("12x faster"), or "no claim"; into buf[cap]. */
const char *spectrum_verdict(const struct row_def *d, double ns, char *buf,
                             size_t cap);

/* spectrum_run_python: runs bench/python/spectrum.py (launch.h) and fills
 * the python columns of res. Returns NULL, or the reason it was skipped or
 * failed ("skipped: ...", "failed: ..."; static or in why[cap]). */
const char *spectrum_run_python(struct result *res, bool quick, int runs,
                                char *why, size_t cap);

/* The output on stdout: one JSON document (docs/json.md,
 * coord.spectrum/2) or the table, from the results of `runs` runs. */
void spectrum_print_json(int runs, const struct result *res,
                         const char *py_skip, bool vs_python,
                         const struct target *t, size_t nt, double ratio_c,
                         const double *ratio_py);
void spectrum_print_table(int runs, const struct result *res,
                          const char *py_skip, bool vs_python,
                          const struct target *t, size_t nt, double ratio_c,
                          const double *ratio_py);

#endif
