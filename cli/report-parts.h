/* SPDX-License-Identifier: MIT */
/* report-parts.h: what the parts of `coord report` share: the experiments and their data, the claims, the figures, the machine and the sections. */
#ifndef COORD_CLI_REPORT_PARTS_H
#define COORD_CLI_REPORT_PARTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "report.h"

/*
 * `coord report` in parts, one concept per file:
 *   cmd-report.c       the command: options, the order of the page, files
 *   report-dirs.c      its directories, checked and opened once
 *   report-manifest.c  which files of the directory coord wrote (reuse)
 *   report-exp.c       the experiments: which exist, running them, loads
 *   report-data.c      reading their JSON, and numbers for people
 *   report-claims.c    the lecture's claims and the one verdict rule
 *   report-figures.c   which plots each experiment gets
 *   report-machine.c   the machine section and the load banner
 *   report-sections.c  one section per experiment: sentences and tables
 *                      (report-sections-state.c: spectrum and queue)
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
    const char *no_python;  /* the argument that leaves its Python side out
                             * (report --no-python), or NULL */
    enum exp_state state;
    char why[256];
    bool partial; /* failed, its partial stdout kept as data/NAME.out.txt */
    double secs;
    char cmdline[256];
    double load_before, load_after; /* 1-min load average; NAN: unknown */
    struct json *j; /* its --json output when state == EXP_OK */
};

/* A file of the report directory as its manifest records it
 * (report-manifest.c): its path relative to the directory and what it was
 * when coord had written it. */
#define REPORT_PATH_MAX 160
struct report_file {
    char path[REPORT_PATH_MAX];
    uint64_t dev, ino, size;
    int64_t mtime_ns;
};

/* The report being built: its options, document and the files written. */
struct report {
    const char *out;
    /* report-dirs.c: O_PATH descriptors of out, out/data and out/plots
     * (-1 until report_dirs_open), through which every file is reached. */
    int dir, data, plots;
    bool quick, python, json;
    const char *only;   /* --only as given, or NULL */
    uint64_t timeout_s; /* the limit of one experiment */
    struct rdoc doc;
    char files[96][REPORT_PATH_MAX]; /* written files, relative to out */
    size_t n_files;
    size_t plots_drawn, plots_failed;
    /* report-manifest.c: the files earlier reports wrote here (malloc'ed),
     * the manifest open for appending while this one runs, and the earlier
     * files it removed (the first 96 of them). */
    struct report_file *old;
    size_t n_old;
    FILE *notes;
    char removed[96][REPORT_PATH_MAX];
    size_t n_removed;
};

/* The experiments, in the report's order. */
#define REPORT_N_EXPS 6
extern struct exp report_exps[REPORT_N_EXPS];

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
 * number idx of n, within timeout_s; sets e->state, e->why, e->secs,
 * e->j and the load sampled before and after it. */
void report_run_one(struct report *r, struct exp *e, size_t idx, size_t n,
                    int timeout_s, bool quick);
/* Sets e->state, e->why and e->j from how the experiment's launch ended
 * (rc: the launcher's result, why its reason; st: the exit status) and its
 * data/NAME.json: EXP_OK for status 0, and for status 1 after a whole
 * JSON result of that command (a failure it measured; e->why says the
 * status); EXP_FAILED otherwise. */
void report_exp_classify(struct report *r, struct exp *e, int rc, int st,
                         const char *why);
/* Adds a written file (relative to r->out) to the report's list, and
 * to the directory's manifest (report_manifest_note). */
void report_add_file(struct report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Seconds of the monotonic clock. */
double report_now_s(void);
/* The whole regular file `name` in directory `dir` (a descriptor; not
 * following a link at the name), NUL-terminated (caller frees), its
 * length in *len; NULL when it cannot be read. */
char *report_read_file(int dir, const char *name, size_t *len);
/* The last non-empty line of that file (an experiment's error message);
 * "" when there is none. */
void report_last_line(int dir, const char *name, char *out, size_t cap);

/* ---- the directories (report-dirs.c) ---------------------------------- */

/*
 * Files of a report are written, renamed and removed in r->out, data/ and
 * plots/; each of these is opened once, here, and every file is reached
 * from its descriptor (openat, renameat, unlinkat; never by a path from
 * the working directory), so a directory above them renamed or swapped
 * by someone who may write it, once they were checked, cannot take a
 * file elsewhere.
 *
 * report_dirs_open: opens r->out into r->dir, made with its missing
 * parents (cli_dir_open: no link of another user on the way), and data/
 * and plots/ in it (made when missing) into r->data and r->plots. Each is
 * checked on its descriptor: r->out must be ours or root's and writable
 * by nobody else unless it is ours and sticky (as /tmp); data/ and plots/
 * must be real directories of ours that only we may write. Returns 0, or
 * -errno with a one-line reason in why[cap] (every descriptor -1 then):
 * -EPERM for a directory refused (a link, another user's, writable by
 * others), else what cli_dir_open or mkdirat failed with.
 *
 * report_dirs_close: closes them (-1 after; closing twice is harmless).
 *
 * report_dir_of: the descriptor that holds report path `rel`
 * ("index.html", "data/NAME", "plots/NAME"), the name in it in *name
 * (inside `rel`), and that directory as messages name it in shown[cap]
 * ("DIR/data"; shown may be NULL).
 */
int report_dirs_open(struct report *r, char *why, size_t cap);
void report_dirs_close(struct report *r);
int report_dir_of(const struct report *r, const char *rel, const char **name,
                  char *shown, size_t cap);

/* ---- the directory's manifest (report-manifest.c) -------------------- */

/*
 * What keeps a reused --out directory from mixing reports: DIR/.coord-
 * report-files lists every file a report wrote there, each with its
 * identity (device, inode, size, modification time). Call begin once the
 * directory is locked, before anything is written; finish after index.html
 * and report.md are.
 *
 * report_manifest_begin: reads the earlier reports' files (r->old; none
 * when DIR has no manifest: a directory coord never reported into, or
 * into before manifests, is written into and nothing in it is removed),
 * writes the manifest back and keeps it open for appending (r->notes), so
 * that each file this report lists is recorded as it is written. Returns
 * 0, or -errno with `why` naming the manifest.
 *
 * report_manifest_note: records r->out/rel in the manifest when it is a
 * regular file (report_add_file calls it).
 *
 * report_manifest_finish: removes each file of the earlier reports that
 * this one does not list, when it is still the file coord wrote (a file
 * changed or replaced since is kept, and stderr says so; a path outside
 * index.html, report.md, data/ and plots/ is never taken from a manifest),
 * recording them in r->removed; then writes the manifest of this report's
 * files alone and frees r->old. Returns 0, or -errno with `why` naming the
 * manifest.
 *
 * One thread; they block on the file system only.
 */
int report_manifest_begin(struct report *r, char *why, size_t cap);
void report_manifest_note(struct report *r, const char *rel);
int report_manifest_finish(struct report *r, char *why, size_t cap);

/* ---- reading the data, numbers for people (report-data.c) ------------ */

/* "12.3", "1,234", "0.0123", or "—" when not finite. */
const char *report_fmt_num(char *buf, size_t cap, double v);
/* A duration in ns as "85 ns", "12.3 µs", "4.56 ms", "1.23 s", or "—". */
const char *report_fmt_ns(char *buf, size_t cap, double ns);
/* A median with its 99th percentile: "1.22 µs (p99 2.16 µs)"; the median
 * alone when p99 is not finite. */
const char *report_fmt_ns_spread(char *buf, size_t cap, double p50,
                                 double p99);
/* A percentage: "108 %", "10 %", "-3.4 %", "0.1 %", or "—". */
const char *report_fmt_pct(char *buf, size_t cap, double pct);
/* A rate as "7.62 M/s", "384 k/s", "73.2 /s" (3 significant digits), or
 * "—". */
const char *report_fmt_rate(char *buf, size_t cap, double per_s);
/* First member named `key` anywhere under `j` (depth first), or NULL. */
const struct json *report_jfind(const struct json *j, const char *key);
/* json_num of report_jfind: NAN when absent. */
double report_jnum(const struct json *j, const char *key);
/* Is `v` a non-empty array of objects? */
bool report_array_of_objects(const struct json *v);
/* The first array of row objects under `j` whose first row has `key`. */
const struct json *report_rows_with(const struct json *j, const char *key);
/* A duration of a row in µs: "<name>_ns" / 1000 (integer ns, as fraud's
 * coord.fraud/2 writes it), else the older "<name>_us"; NaN when neither
 * is a number. */
double report_us(const struct json *row, const char *name);
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
/* The label of `name` in `names` (pairs: JSON name, label; ended by a
 * NULL name; may be NULL), else the name with its underscores as spaces,
 * in buf ("card_testing" -> "card testing"). */
const char *report_label(const char *const (*names)[2], const char *name,
                         char *buf, size_t cap);
/* A spectrum mechanism as a reader calls it ("flag_check" -> "flag check
 * (read)"); an unknown one with its underscores as spaces, in buf. */
const char *report_mech_label(const char *mech, char *buf, size_t cap);
size_t report_spectrum_rows(const struct json *j, struct spec_row *out,
                            size_t cap);
/* A mechanism's ns: the row named exactly `name` (else the first whose
 * name contains it), of Python or of C; NAN when there is none. */
double report_spectrum_value(const struct json *j, const char *name,
                             bool python);

/* ---- the claims and their verdicts (report-claims.c) ----------------- */

/* A figure the lecture gives for one measurement: the range [lo, hi]
 * (lo == hi for "~X"); `exact` for arithmetic (slide 3's count), else an
 * order of magnitude. */
struct lecture_figure {
    double lo, hi;
    bool exact;
};

enum verdict {
    VERDICT_NOT_MEASURED,
    VERDICT_HOLDS,
    VERDICT_LOWER,
    VERDICT_HIGHER
};

/* The one rule every verdict of the report comes from, as printed on the
 * page: within 3x of an order-of-magnitude figure, within 5 % of an exact
 * one. */
extern const char report_verdict_rule[];
/* Judges `v` against `f`: VERDICT_HOLDS, or LOWER / HIGHER with *factor
 * (when not NULL) = how many times below lo or above hi; NOT_MEASURED
 * when v is not finite or f is not a range. */
enum verdict report_verdict(double v, struct lecture_figure f,
                            double *factor);
/* The same as text: "holds", "off by 12.2× (higher here)", "off by 46×
 * (lower here)", "not measured". Returns buf. */
const char *report_verdict_text(char *buf, size_t cap, double v,
                                struct lecture_figure f);

/* What the lecture says about one spectrum mechanism (its Python side). */
struct lecture_claim {
    const char *mech;   /* the spectrum's mechanism name */
    const char *slides; /* "6, 8" */
    const char *text;   /* the claim in words, with its figure */
    const char *figure; /* the figure alone, short: "~10–100 ns" */
    struct lecture_figure fig;
};
/* The lecture's claim about `mechanism` (or "manager_over_value", slide
 * 8's ratio of a Manager get to a Value read), or NULL when it makes
 * none. */
const struct lecture_claim *report_lecture_claim(const char *mechanism);

/* Slide 2's tally of a `coord queue --json` result: runs in which every
 * message arrived exactly once, and the fault probes passed ([0] coord,
 * [1] Python); skipped rows and probes count neither way. */
struct queue_tally {
    size_t runs, once;
    size_t py_runs; /* of runs, Python's (0: its side did not run) */
    size_t probes[2], probes_ok[2];
};
void report_queue_tally(const struct json *q, struct queue_tally *t);
/* Slide 3's figure for a `coord waste --json` result: 297,000 for the
 * lecture's sizes, else the run's own arithmetic (*lecture_setup says
 * which; may be NULL). */
struct lecture_figure report_waste_figure(const struct json *w,
                                          bool *lecture_setup);
/* Slide 7's figures from interval rows: overhead (%) at K = 10 and K =
 * 1,000, [0] cheap and [1] heavy work (NAN when absent); true when all
 * four were found. */
bool report_interval_overheads(const struct json *rows, double o10[2],
                               double o1000[2]);
/* Slide 7's verdict from those figures. Returns buf. */
const char *report_interval_verdict(char *buf, size_t cap,
                                    const double o10[2],
                                    const double o1000[2]);

/* The lecture's claims table, with one verdict per measurement and the
 * rule above it. */
void report_claims(struct report *r);

/* ---- the figures (report-figures.c) ---------------------------------- */

/* The plots of experiment `e` (nothing for one without plots). */
void report_figures(struct report *r, const struct exp *e);

/* ---- this machine (report-machine.c) --------------------------------- */

/* The machine table. */
void report_machine(struct report *r);
/* The 1-minute load average (/proc/loadavg), NAN when unreadable. */
double report_loadavg(void);
/* When the load sampled before or after any of the `n` experiments was
 * above `cores`, appends to `d` a paragraph (the banner) that says so,
 * names those experiments with their samples and what it means for the
 * numbers; returns how many it named (0: no banner). Experiments not run
 * have NAN samples and never count. */
size_t report_load_banner(struct rdoc *d, const struct exp *exps, size_t n,
                          long cores);

/* ---- the sections (report-sections.c) -------------------------------- */

/* Experiment `e`'s section: heading, what happened, tables, plots. */
void report_section(struct report *r, struct exp *e);

#endif
