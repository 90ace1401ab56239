/* SPDX-License-Identifier: MIT */
/* interval.h: what the parts of `coord interval` (Example 27.2) share: its settings, its measured cells, the Python side and the plot. */
#ifndef COORD_CLI_INTERVAL_H
#define COORD_CLI_INTERVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <coord.h>

/* The most check intervals one run compares (--intervals). */
#define MAX_INTERVALS 16

/* The two iterations of Example 27.2 (ee-work.h): a sieve look-up and a
 * trial division. */
enum { CHEAP = 0, HEAVY = 1 };

/* One measured setting: a workload at one check interval. */

struct cell {
    int work;
    uint64_t interval; /* COORD_CHECK_AUTO for auto */
    double overhead_pct, stop_p50, stop_p99, every;
    bool latency_won;
    int stops; /* stop samples measured: none leaves stop_p50/p99 NaN */
};

/* The settings of one run (from the options). */
struct interval_cfg {
    uint32_t workers;
    int runs, stops;
    bool works[2];
    uint64_t intervals[MAX_INTERVALS];
    int nintervals;
    bool json, vs_python;
    const char *plot;
    double run_ns; /* work per worker in one overhead run */
};

/* "cheap", "heavy": indexed by CHEAP, HEAVY. */
extern const char *const interval_work_name[2];

/* One row of interval.py: Python at one fixed interval. */
struct py_row {
    int work;
    uint64_t interval;
    double overhead_pct, stop_p50, stop_p99;
    int stops; /* stop samples behind stop_p50/p99 */
};

/* Python's runs and stops per cell are c->runs and c->stops up to these:
 * each of its runs and stops starts the workers afresh (a process each),
 * and its effects are large enough for a few. The output says how many it
 * made (--help, docs/early-exit.md). */
#define INTERVAL_PY_MAX_RUNS 3
#define INTERVAL_PY_MAX_STOPS 7

/* interval_run_python: runs bench/python/interval.py with c's settings
 * (launch.h; at most INTERVAL_PY_MAX_RUNS runs and INTERVAL_PY_MAX_STOPS
 * stops); its rows into rows[] (at most 2 * MAX_INTERVALS), *nrows, the
 * runs it made into *runs, and its per-iteration costs in ns into
 * cost[CHEAP], cost[HEAVY]. Returns 0; 1 when python3 or the script is
 * missing (why says which); negative when it failed (why says why). */
int interval_run_python(const struct interval_cfg *c, struct py_row *rows,
                        int *nrows, int *runs, double *cost, char *why,
                        size_t why_cap);

/* interval_label: a cell's interval for people: "100", "auto (K~37)*"
 * (* when the latency target won), into buf[cap]. */
void interval_label(const struct cell *x, char *buf, size_t cap);

/* interval_plot: draws overhead and stop latency against the interval
 * into c->plot with gnuplot (gnuplot.h). Returns 0, or 1 after a one-line
 * message. */
int interval_plot(const struct interval_cfg *c, const struct cell *cells,
                  int ncells);

#endif
