/* SPDX-License-Identifier: MIT */
/* advise-model.h: slide 9's decision as a cost model: the mechanisms that can serve an access pattern, ranked by their measured cost on this machine. */
#ifndef COORD_CLI_ADVISE_MODEL_H
#define COORD_CLI_ADVISE_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"

/* The spectrum rows the model reads (docs/spectrum.md names them). */
enum adv_row {
    ADV_FLAG_CHECK,
    ADV_VALUE_GET,
    ADV_VALUE_SET,
    ADV_ARRAY_READ,
    ADV_ARRAY_WRITE,
    ADV_REGION_READ,
    ADV_CLAIM_CAS,
    ADV_QUEUE_RT,
    ADV_PIPE_RT,
    ADV_MANAGER_GET,
    ADV_MANAGER_SET,
    ADV_MANAGER_INCR,
    ADV_MANAGER_BATCH,
    ADV_NROWS
};

/* The spectrum row names, indexed by enum adv_row. */
extern const char *const adv_row_names[ADV_NROWS];

/* Per-operation costs in ns (median), coord's and Python's; 0 = not
 * measured. Every coord row must be measured for a valid calibration. */
struct adv_costs {
    double c[ADV_NROWS];
    double py[ADV_NROWS];
};

/*
 * adv_row_ns: a spectrum row's cost per operation in ns at quantile `q`
 * ("p50", "p99"): per_op_<q>_ps (integer picoseconds, coord.spectrum/2),
 * else the older fractional ns_per_op_<q>; NAN when it has neither. The
 * one reader of that figure for the advisor and the report. Pure.
 */
double adv_row_ns(const struct json *row, const char *q);

/*
 * adv_costs_from_json: reads the rows of a spectrum result (the object
 * `coord spectrum --json` prints, or the cache file): "rows": [{"mechanism",
 * "impl" ("coord" | "python"), "per_op_p50_ps" (integer picoseconds,
 * coord.spectrum/2) or "ns_per_op_p50" (the cache file, spectrum/1)}, ...].
 * Untrusted input:
 * a row with a missing, non-finite, negative or absurd (over 10 s)
 * figure is ignored, and one of 0 (at or below the spectrum's empty loop)
 * is priced as 1 ps. Returns true when every coord row the model needs is
 * present; false otherwise (with the first missing row's name in *missing).
 */
bool adv_costs_from_json(const struct json *j, struct adv_costs *out,
                         const char **missing);

enum adv_shape {
    ADV_SHAPE_FLAG,
    ADV_SHAPE_COUNTER,
    ADV_SHAPE_SCALAR,
    ADV_SHAPE_ARRAY,
    ADV_SHAPE_DICT,
    ADV_SHAPE_LIST,
    ADV_SHAPE_MESSAGES,
    ADV_NSHAPES
};

/* The shape named `s` ("flag", ...), or -1. */
int adv_shape_parse(const char *s);
const char *adv_shape_name(enum adv_shape s);
/* The shape with its article, as a sentence says it: "a dict", "an array",
 * "messages" ("?" when unknown). */
const char *adv_shape_phrase(enum adv_shape s);

/* The question. writers < 0: the shape's default (docs/advise.md). */
struct adv_input {
    enum adv_shape shape;
    bool per_iteration;   /* accesses counted per loop iteration */
    double accesses;      /* per iteration or per task, > 0 */
    double task_ns;       /* the task's own time; 0 = not given */
    unsigned processes;   /* >= 1 */
    int writers;          /* 0..processes, or < 0 for the default */
    unsigned long size;   /* array length; 0 = not given */
    bool unrelated;       /* processes not forked from one parent */
    unsigned machines;    /* >= 1 */
};

/* The writers the model uses: in->writers, or the shape's default. */
unsigned adv_writers(const struct adv_input *in);

#define ADV_MAX_MECH 24

/* One mechanism's answer. ns < 0: not measured on this machine. */
struct adv_entry {
    const char *mechanism;   /* e.g. "coord_flag" */
    const char *impl;        /* "coord" | "python" | "mpi" */
    double ns;               /* per task (or per iteration) */
    double share;            /* ns / task_ns; < 0 when task_ns is 0 */
    char why[400];
    const char *rule;        /* the lecture's rule of thumb (slide 9) */
};

struct adv_result {
    struct adv_entry rank[ADV_MAX_MECH];
    size_t nrank;
    struct adv_entry excl[ADV_MAX_MECH]; /* ns, share unused */
    size_t nexcl;
};

/* Costs within this factor of each other rank as equal (the spectrum's
 * medians move that much between runs on a loaded machine): the
 * catalogue's order (the specific mechanism before the general) decides. */
#define ADV_TIE 1.25

/*
 * adv_rank: every mechanism in the catalogue, either ranked (cheapest
 * first, ADV_TIE apart; unmeasured ones last) with its cost for `in` under `costs`, or
 * excluded with the reason. Pure: no I/O. A Python mechanism appears only
 * when `costs` has its rows.
 */
void adv_rank(const struct adv_input *in, const struct adv_costs *costs,
              struct adv_result *out);

/* "12.3 ns", "4.56 µs", "7.89 ms" into buf (3 significant digits, in the
 * unit the rounded value calls for); "not measured" when ns < 0 or NaN.
 * Returns buf. */
const char *adv_fmt_ns(char *buf, size_t cap, double ns);

/* A cost as a share of the task's time, into buf, `of` naming the task:
 * "0.25 % of the task", "37 % of 10 ms", "under 0.01 % of 1 ms", and from
 * 10 times the task on "15.3× the task" (never an exponent). Returns
 * buf. */
const char *adv_fmt_share(char *buf, size_t cap, double share,
                          const char *of);

/* Slide 9's common patterns, for the report. */
struct adv_pattern {
    const char *label; /* "a flag checked every iteration" */
    struct adv_input in;
};
extern const struct adv_pattern adv_patterns[];
extern const size_t adv_npatterns;

#endif
