/* SPDX-License-Identifier: MIT */
/* report-parts.h: what the parts of `coord report` share: the experiments and their data, the claims, the figures, the machine and the sections. */
#ifndef COORD_CLI_REPORT_PARTS_H
#define COORD_CLI_REPORT_PARTS_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"
#include "report.h"

/*
 * `coord report` in parts, one concept per file:
 *   cmd-report.c       the command: options, the order of the page, files
 *   report-exp.c       the experiments: which exist, running them, loads
 *   report-data.c      reading their JSON, and numbers for people
 *   report-claims.c    the lecture's claims and the one verdict rule
 *   report-figures.c   which plots each experiment gets
 *   report-machine.c   the machine section and the load banner
 *   report-sections.c  one section per experiment: sentences and tables
 * None of it is thread-safe: the report is built by one thread.
 */

/* ---- the experiments (report-exp.c) --------------------------------- */

enum exp_state { EXP_SKIPPED, EXP_MISSING, EXP_FAILED, EXP_OK };

struct exp {
    const char *name;  /* the coord subcommand */
    const char *title; /* section title */
    const char *what;  /* one sentence: what the experiment does */
    const char *extra; /* one more argument, or NULL */
    const char *extra_full; /* one more, in the default (not quick) run */
    enum exp_state state;
    char why[256];
    bool partial; /* failed, its partial stdout kept as data/NAME.out.txt */
    double secs;
    char cmdline[256];
    struct json *j; /* its --json output when state == EXP_OK */
};

/* The report being built: its options, document and the files written. */
struct report {
    const char *out;
    bool quick, python, json;
    struct rdoc doc;
    char files[96][160]; /* written files, relative to out */
    size_t n_files;
    size_t plots_drawn, plots_failed;
};

/* The experiments, in the report's order. */
extern struct exp report_exps[];
extern const size_t report_n_exps;

/* Does this build have the command `name`? */
bool report_have_command(const char *name);
/* "ok", "failed", "not run", "not available". */
const char *report_exp_state_name(enum exp_state s);
/* The experiment named `name`, or NULL. */
struct exp *report_exp_by_name(const char *name);
/* The JSON of experiment `name` when it ran; else NULL, and `why` says
 * "not measured (coord NAME failed)" or the like. */
const struct json *report_exp_json(const char *name, char *why, size_t cap);
/* Runs experiment `e` (`coord NAME --json ...`, its output in data/) as
 * number idx of n, within timeout_s; sets e->state, e->why, e->secs and
 * e->j. */
void report_run_one(struct report *r, struct exp *e, size_t idx, size_t n,
                    int timeout_s, bool quick);
/* Adds a written file (relative to r->out) to the report's list. */
void report_add_file(struct report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Seconds of the monotonic clock. */
double report_now_s(void);
/* The whole file at `path`, NUL-terminated (caller frees), its length in
 * *len; NULL when it cannot be read. */
char *report_read_file(const char *path, size_t *len);
/* The last non-empty line of a file (an experiment's error message); ""
 * when there is none. */
void report_last_line(const char *path, char *out, size_t cap);

/* ---- reading the data, numbers for people (report-data.c) ------------ */

/* "12.3", "1,234", "0.0123", or "—" when not finite. */
const char *report_fmt_num(char *buf, size_t cap, double v);
/* A duration in ns as "85 ns", "12.3 µs", "4.56 ms", "1.23 s", or "—". */
const char *report_fmt_ns(char *buf, size_t cap, double ns);
/* First member named `key` anywhere under `j` (depth first), or NULL. */
const struct json *report_jfind(const struct json *j, const char *key);
/* json_num of report_jfind: NAN when absent. */
double report_jnum(const struct json *j, const char *key);
/* Is `v` a non-empty array of objects? */
bool report_array_of_objects(const struct json *v);
/* The first array of row objects under `j` whose first row has `key`. */
const struct json *report_rows_with(const struct json *j, const char *key);
/* The label of a row's check interval ("auto", "1", "1000"), or NULL. */
const char *report_interval_label(const struct json *row, char *buf,
                                  size_t cap);
/* X position of an interval on a log axis: the number, or for "auto" the
 * interval it settled on when the row says so; NAN otherwise. */
double report_interval_x(const struct json *row, const char *label);
/* The workload member of interval rows ("work" or "workload"). */
const char *report_work_key(const struct json *rows);

/* The spectrum's rows, C and Python, flattened. */
struct spec_row {
    const char *mech;
    bool python;
    double ns, p99; /* p50 (or the only figure) and p99; NAN when absent */
};
size_t report_spectrum_rows(const struct json *j, struct spec_row *out,
                            size_t cap);
/* A mechanism's ns: the row named exactly `name` (else the first whose
 * name contains it), of Python or of C; NAN when there is none. */
double report_spectrum_value(const struct json *j, const char *name,
                             bool python);

/* ---- the claims and their verdicts (report-claims.c) ----------------- */

/* The lecture's claims table, with one verdict per measurement. */
void report_claims(struct report *r);

/* ---- the figures (report-figures.c) ---------------------------------- */

/* The plots of experiment `e` (nothing for one without plots). */
void report_figures(struct report *r, const struct exp *e);

/* ---- this machine (report-machine.c) --------------------------------- */

/* The machine table. */
void report_machine(struct report *r);

/* ---- the sections (report-sections.c) -------------------------------- */

/* Experiment `e`'s section: heading, what happened, tables, plots. */
void report_section(struct report *r, struct exp *e);

#endif
