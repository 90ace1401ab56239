/* SPDX-License-Identifier: MIT */
/* cmd-report.c: `coord report`: runs the experiments, writes Markdown + HTML with plots and verdicts. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "advise-model.h"
#include "advise-report.h"
#include "cli.h"
#include "commands.h"
#include "earlyexit.h"
#include "json.h"
#include "report-run.h"
#include "report.h"

#define CMD "report"

/* ---- the experiments -------------------------------------------------- */

enum exp_state { EXP_SKIPPED, EXP_MISSING, EXP_FAILED, EXP_OK };

struct exp {
    const char *name;  /* the coord subcommand */
    const char *title; /* section title */
    const char *what;  /* one sentence */
    const char *extra; /* one more argument, or NULL */
    const char *extra_full; /* one more, in the default (not quick) run */
    enum exp_state state;
    char why[256];
    bool partial; /* failed, its partial stdout kept as data/NAME.out.txt */
    double secs;
    char cmdline[256];
    struct json *j;
};

static struct exp exps[] = {
    {"primes", "Example 27.1: cooperative prime search",
     "Four workers search for a prime; the first to find one claims the "
     "flag and the others stop at their next check.",
     NULL},
    {"waste", "Slide 3: iterations wasted without early exit",
     "The lecture's arithmetic (4 workers x 100,000 items, hit at 1,000) "
     "against a measured run, with and without early exit.",
     NULL},
    {"interval", "Example 27.2: the check interval",
     "The same work checked every 1 ... 10,000 iterations and with the "
     "automatic interval, for a cheap and a heavy iteration: overhead and "
     "stop latency.",
     NULL, "--vs-python"},
    {"spectrum", "Slide 8: the shared-state cost spectrum",
     "Per-access cost of each mechanism, from the flag read to the manager "
     "round trip, in C and in Python's multiprocessing side by side.",
     "--vs-python"},
    {"queue", "Slide 2: poison-pill shutdown",
     "Producers and consumers on the bounded queue; one pill per worker "
     "ends them; every task is delivered exactly once.",
     NULL},
    {"fraud", "Slide 10: fraud screening with early termination",
     "Four detectors screen each transaction in parallel rounds; the first "
     "flag claims the transaction and the others abandon it at their next "
     "check.",
     NULL},
};
#define N_EXPS (sizeof exps / sizeof exps[0])

/* The commands this binary has (the experiments that exist yet). */
static const char *const have_cmds[] = {
#define COORD_COMMAND(name, summary) #name,
#include "commands.def"
#undef COORD_COMMAND
};

static bool have_command(const char *name)
{
    for (size_t i = 0; i < sizeof have_cmds / sizeof have_cmds[0]; i++)
        if (!strcmp(have_cmds[i], name))
            return true;
    return false;
}

/* How an experiment's state reads in the report, its table and its JSON. */
static const char *exp_state_name(enum exp_state s)
{
    static const char *const names[] = {[EXP_SKIPPED] = "not run",
                                        [EXP_MISSING] = "not available",
                                        [EXP_FAILED] = "failed",
                                        [EXP_OK] = "ok"};
    return names[s];
}

static struct exp *exp_by_name(const char *name)
{
    for (size_t i = 0; i < N_EXPS; i++)
        if (!strcmp(exps[i].name, name))
            return &exps[i];
    return NULL;
}

/* ---- small helpers ------------------------------------------------------ */

static double now_s(void)
{
    return (double)coord_clock_ns() / 1e9;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/* The last non-empty line of a file (an experiment's error message). */
static void last_line(const char *path, char *out, size_t cap)
{
    size_t len = 0;
    char *s = read_file(path, &len);
    out[0] = '\0';
    if (!s)
        return;
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
        s[--len] = '\0';
    char *nl = strrchr(s, '\n');
    char *cr = strrchr(nl ? nl : s, '\r'); /* progress lines use \r */
    const char *line = cr ? cr + 1 : nl ? nl + 1 : s;
    snprintf(out, cap, "%s", line);
    free(s);
}

/* "12.3", "1,234", "0.0123": a number for a table, 3-4 significant digits. */
static const char *fmt_num(char *buf, size_t cap, double v)
{
    if (!isfinite(v))
        snprintf(buf, cap, "—");
    else if (v == floor(v) && fabs(v) < 1e15) {
        /* Integers with thousands separators (below 10^15 a double
         * holds them exactly, so the uint64_t conversion is exact). */
        size_t k = 0;
        if (v < 0 && cap > 1)
            buf[k++] = '-';
        ee_commas((uint64_t)fabs(v), buf + k, cap - k);
    } else if (fabs(v) >= 100)
        snprintf(buf, cap, "%.0f", v);
    else if (fabs(v) >= 10)
        snprintf(buf, cap, "%.1f", v);
    else if (fabs(v) >= 1)
        snprintf(buf, cap, "%.2f", v);
    else
        snprintf(buf, cap, "%.3g", v);
    return buf;
}

/* A duration in ns as "85 ns", "12.3 µs", "4.56 ms", "1.23 s" (the
 * advisor's formatter), or "—" when there is no figure. */
static const char *fmt_ns(char *buf, size_t cap, double ns)
{
    if (!isfinite(ns)) {
        snprintf(buf, cap, "—");
        return buf;
    }
    return adv_fmt_ns(buf, cap, ns);
}

/* First member named `key` anywhere under `j` (depth first). */
static const struct json *jfind(const struct json *j, const char *key)
{
    if (!j)
        return NULL;
    if (j->type == JSON_OBJECT) {
        const struct json *v = json_get(j, key);
        if (v)
            return v;
    }
    if (j->type == JSON_OBJECT || j->type == JSON_ARRAY)
        for (size_t i = 0; i < j->n; i++) {
            const struct json *v = jfind(j->items[i], key);
            if (v)
                return v;
        }
    return NULL;
}

static double jnum(const struct json *j, const char *key)
{
    return json_num(jfind(j, key), NAN);
}

/* A JSON scalar as text. */
static const char *scalar_text(const struct json *v, char *buf, size_t cap)
{
    switch (v->type) {
    case JSON_NULL:
        return "null";
    case JSON_BOOL:
        return v->b ? "yes" : "no";
    case JSON_NUMBER:
        return fmt_num(buf, cap, v->num);
    case JSON_STRING:
        return v->str;
    default:
        return NULL;
    }
}

static bool is_scalar(const struct json *v)
{
    return v->type != JSON_ARRAY && v->type != JSON_OBJECT;
}

/* ---- generic rendering of an experiment's JSON ------------------------- */

#define MAX_COLS 20
#define MAX_ROWS 120

static void render_rows(struct rdoc *d, const struct json *arr)
{
    const char *cols[MAX_COLS + 1];
    size_t nc = 0;
    for (size_t r = 0; r < arr->n; r++) {
        const struct json *o = arr->items[r];
        if (o->type != JSON_OBJECT)
            continue;
        for (size_t k = 0; k < o->n && nc < MAX_COLS; k++) {
            if (!is_scalar(o->items[k]))
                continue;
            bool have = false;
            for (size_t c = 0; c < nc; c++)
                have |= !strcmp(cols[c], o->keys[k]);
            if (!have)
                cols[nc++] = o->keys[k];
        }
    }
    if (nc == 0)
        return;
    cols[nc] = NULL;
    struct rdoc_table *t = rdoc_table(d, cols);
    char buf[MAX_COLS][64];
    for (size_t r = 0; r < arr->n && r < MAX_ROWS; r++) {
        const struct json *o = arr->items[r];
        const char *cells[MAX_COLS + 1];
        for (size_t c = 0; c < nc; c++) {
            const struct json *v = json_get(o, cols[c]);
            const char *s = v && is_scalar(v)
                                ? scalar_text(v, buf[c], sizeof buf[c])
                                : "";
            cells[c] = s;
        }
        cells[nc] = NULL;
        rdoc_row(d, t, cells);
    }
    if (arr->n > MAX_ROWS)
        rdoc_para(d, "(%zu more rows in the JSON file)", arr->n - MAX_ROWS);
}

static bool array_of_objects(const struct json *v)
{
    if (v->type != JSON_ARRAY || v->n == 0)
        return false;
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i]->type != JSON_OBJECT)
            return false;
    return true;
}

static void render_object(struct rdoc *d, const struct json *o,
                          const char *path, int depth)
{
    /* Scalars (and short scalar arrays) first, as one key/value table. */
    static const char *const kv[] = {"measure", "value", NULL};
    struct rdoc_table *t = NULL;
    for (size_t k = 0; k < o->n; k++) {
        const struct json *v = o->items[k];
        char buf[64], list[256];
        const char *s = NULL;
        if (is_scalar(v)) {
            s = scalar_text(v, buf, sizeof buf);
        } else if (v->type == JSON_ARRAY && v->n > 0 && v->n <= 16 &&
                   is_scalar(v->items[0])) {
            size_t n = 0;
            list[0] = '\0';
            for (size_t i = 0; i < v->n && n + 40 < sizeof list; i++) {
                if (!is_scalar(v->items[i]))
                    continue;
                const char *x = scalar_text(v->items[i], buf, sizeof buf);
                n += (size_t)snprintf(list + n, sizeof list - n, "%s%s",
                                      i ? ", " : "", x);
            }
            s = list;
        }
        if (!s)
            continue;
        if (!t)
            t = rdoc_table(d, kv);
        const char *cells[] = {o->keys[k], s, NULL};
        rdoc_row(d, t, cells);
    }
    for (size_t k = 0; k < o->n; k++) {
        const struct json *v = o->items[k];
        char sub[256];
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "",
                 o->keys[k]);
        if (array_of_objects(v)) {
            rdoc_para(d, "**%s**", sub);
            render_rows(d, v);
        } else if (v->type == JSON_OBJECT && depth < 3 && v->n > 0) {
            rdoc_para(d, "**%s**", sub);
            render_object(d, v, sub, depth + 1);
        }
    }
}

/* ---- plots from the experiments ------------------------------------------ */

struct report {
    const char *out;
    bool quick, python, json;
    struct rdoc doc;
    char files[96][160]; /* written files, relative to out */
    size_t n_files;
    size_t plots_drawn, plots_failed;
};

static void add_file(struct report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_file(struct report *r, const char *fmt, ...)
{
    if (r->n_files == sizeof r->files / sizeof r->files[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->files[r->n_files++], sizeof r->files[0], fmt, ap);
    va_end(ap);
}

static void draw(struct report *r, const struct rplot *p, const char *caption)
{
    char why[256];
    bool png = false;
    if (rplot_draw(p, r->out, &png, why, sizeof why) != 0) {
        rdoc_para(&r->doc, "Plot *%s* not drawn: %s.", p->title, why);
        r->plots_failed++;
        return;
    }
    rdoc_plot(&r->doc, p, caption, png);
    add_file(r, "plots/%s.svg", p->name);
    if (png)
        add_file(r, "plots/%s.png", p->name);
    add_file(r, "plots/%s.dat", p->name);
    add_file(r, "plots/%s.gp", p->name);
    r->plots_drawn++;
}

/* Names a plot: its file stem and the three texts gnuplot prints. The
 * caller sets the axes' flags (log scales, bars) in its initializer. */
static void plot_titles(struct rplot *p, const char *name, const char *title,
                        const char *xlabel, const char *ylabel)
{
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->title, sizeof p->title, "%s", title);
    snprintf(p->xlabel, sizeof p->xlabel, "%s", xlabel);
    snprintf(p->ylabel, sizeof p->ylabel, "%s", ylabel);
}

/* The label of a row's check interval: "auto", "1", "1000"... */
static const char *interval_label(const struct json *row, char *buf,
                                  size_t cap)
{
    /* fraud's rows say "check_every": null with "check_mode": "auto". */
    static const char *const keys[] = {"check_every", "interval", "every", "k",
                                       "check_mode"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const struct json *v = json_get(row, keys[i]);
        if (!v)
            continue;
        if (v->type == JSON_STRING)
            return v->str;
        if (v->type == JSON_NUMBER) {
            snprintf(buf, cap, "%.0f", v->num);
            return buf;
        }
    }
    return NULL;
}

/* X position of an interval on a log axis; "auto" is drawn at the interval
 * it settled on when the row says so, else not at all. */
static double interval_x(const struct json *row, const char *label)
{
    if (strcmp(label, "auto") != 0)
        return atof(label);
    static const char *const keys[] = {"auto_k", "auto_every", "every_used",
                                       "check_every_used", "every_max"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        double v = json_num(json_get(row, keys[i]), NAN);
        if (isfinite(v) && v > 0)
            return v;
    }
    return NAN;
}

/* Series over the interval from the rows of `arr`: y from `ykey`, grouped
 * by `group` (e.g. the workload), at most RPLOT_MAX_SERIES groups. */
static void interval_series(struct rplot *p, const struct json *arr,
                            const char *group, const char *ykey,
                            const char *name_suffix, double scale)
{
    for (size_t i = 0; arr && i < arr->n; i++) {
        const struct json *row = arr->items[i];
        char lb[32];
        const char *label = interval_label(row, lb, sizeof lb);
        double y = json_num(json_get(row, ykey), NAN) * scale;
        if (!label || !isfinite(y))
            continue;
        double x = interval_x(row, label);
        if (!isfinite(x) || x <= 0)
            continue;
        const char *g = group ? json_str(json_get(row, group)) : NULL;
        char name[64];
        snprintf(name, sizeof name, "%s%s", g ? g : "", name_suffix);
        rplot_point(rplot_series_named(p, name), x, y, label);
    }
}

/* The first array of row objects under `j` that has member `key`. */
static const struct json *rows_with(const struct json *j, const char *key)
{
    if (!j)
        return NULL;
    if (array_of_objects(j) && json_get(j->items[0], key))
        return j;
    if (j->type == JSON_OBJECT || j->type == JSON_ARRAY)
        for (size_t i = 0; i < j->n; i++) {
            const struct json *v = rows_with(j->items[i], key);
            if (v)
                return v;
        }
    return NULL;
}

/* The rows of `j` that carry `key`, for a plot of `what`; NULL after the
 * report says there is nothing to plot. */
static const struct json *plot_rows(struct report *r, const struct json *j,
                                    const char *what, const char *key)
{
    const struct json *rows = rows_with(j, key);
    if (!rows)
        rdoc_para(&r->doc, "No %s rows (`%s`) in the JSON: no plot.", what,
                  key);
    return rows;
}

/* The workload column of interval rows ("work": cheap / heavy). */
static const char *work_key(const struct json *rows)
{
    return json_get(rows->items[0], "work") ? "work" : "workload";
}

static void plots_interval(struct report *r, const struct json *j)
{
    const struct json *rows = plot_rows(r, j, "interval", "overhead_pct");
    if (!rows)
        return;
    const struct json *py = json_path(j, "python.rows");
    if (py && !array_of_objects(py))
        py = NULL;
    struct rplot p = {.logx = true};
    plot_titles(&p, "interval-overhead", "Check overhead against the interval",
                "check every K iterations", "overhead (%)");
    interval_series(&p, rows, work_key(rows), "overhead_pct", " (C)", 1.0);
    if (py)
        interval_series(&p, py, work_key(py), "overhead_pct", " (Python)",
                        1.0);
    draw(r, &p, "Overhead of the flag checks against the check interval");
    struct rplot q = {.logx = true, .logy = true};
    plot_titles(&q, "interval-latency", "Stop latency against the interval",
                "check every K iterations", "stop latency, median (µs)");
    interval_series(&q, rows, work_key(rows), "stop_latency_p50_ns", " (C)",
                    1e-3);
    if (py)
        interval_series(&q, py, work_key(py), "stop_latency_p50_ns",
                        " (Python)", 1e-3);
    draw(r, &q, "Stop latency (claim to the last worker out) against the "
                "check interval");
}

/* The spectrum's rows, C and Python, flattened: the C command may print
 * Python's rows beside its own ("impl": "python") or under "python". */
struct spec_row {
    const char *mech;
    bool python;
    double ns;
};

static double row_ns(const struct json *row)
{
    double v = json_num(json_get(row, "ns_per_op_p50"), NAN);
    return isfinite(v) ? v : json_num(json_get(row, "ns_per_op"), NAN);
}

static size_t spectrum_rows(const struct json *j, struct spec_row *out,
                            size_t cap)
{
    size_t n = 0;
    const struct json *srcs[3] = {rows_with(j, "ns_per_op_p50"),
                                  rows_with(j, "ns_per_op"),
                                  json_path(j, "python.rows")};
    for (int k = 0; k < 3; k++) {
        const struct json *rows = srcs[k];
        if (!rows || !array_of_objects(rows) || (k == 1 && rows == srcs[0]))
            continue;
        for (size_t i = 0; i < rows->n && n < cap; i++) {
            const struct json *row = rows->items[i];
            const char *mech = json_str(json_get(row, "mechanism"));
            const char *impl = json_str(json_get(row, "impl"));
            double v = row_ns(row);
            if (!mech || !isfinite(v) || v <= 0)
                continue;
            bool py = k == 2 || (impl && !strcmp(impl, "python"));
            bool dup = false;
            for (size_t d = 0; d < n; d++)
                dup |= out[d].python == py && !strcmp(out[d].mech, mech);
            if (!dup)
                out[n++] = (struct spec_row){mech, py, v};
        }
    }
    return n;
}

static void plots_spectrum(struct report *r, const struct json *j)
{
    struct spec_row rows[128];
    size_t n = spectrum_rows(j, rows, 128);
    if (n == 0) {
        rdoc_para(&r->doc, "No spectrum rows (`mechanism`, `ns_per_op_p50`) "
                           "in the JSON: no plot.");
        return;
    }
    struct rplot p = {.bars = true, .logy = true};
    plot_titles(&p, "spectrum",
                "Cost of one access, by mechanism (log scale)", "mechanism",
                "ns per operation (median)");
    /* Bars follow the C rows' order; Python-only mechanisms come after. */
    struct rplot_series *c = rplot_series(&p, "coord (C)");
    struct rplot_series *py = rplot_series(&p, "Python multiprocessing");
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            if (rows[i].python != (pass == 1))
                continue;
            bool in_c = false;
            for (size_t k = 0; k < c->n; k++)
                in_c |= !strcmp(c->label[k], rows[i].mech);
            if (pass == 1 && !in_c)
                rplot_point(c, (double)c->n, NAN, rows[i].mech);
            rplot_point(pass ? py : c, (double)i, rows[i].ns, rows[i].mech);
        }
    if (py->n == 0)
        p.n_series = 1;
    draw(r, &p, "Per-access cost of each mechanism, C and Python, log "
                "scale");
}

static void plots_queue(struct report *r, const struct json *j)
{
    const struct json *rows = plot_rows(r, j, "queue", "msgs_per_s");
    if (!rows)
        return;
    struct rplot p = {.bars = true, .logy = true};
    plot_titles(&p, "queue-throughput",
                "Queue throughput with poison-pill shutdown (log scale)",
                "case (producers -> consumers, message size)",
                "messages per second");
    for (size_t i = 0; i < rows->n; i++) {
        const struct json *row = rows->items[i];
        const char *impl = json_str(json_get(row, "impl"));
        const char *cs = json_str(json_get(row, "case"));
        double v = json_num(json_get(row, "msgs_per_s"), NAN);
        if (!isfinite(v) || v <= 0)
            continue;
        char label[32];
        snprintf(label, sizeof label, "%s %.0fB", cs ? cs : "?",
                 json_num(json_get(row, "msg_bytes"), 0));
        rplot_point(rplot_series_named(&p, impl ? impl : "coord"), (double)i,
                    v, label);
    }
    draw(r, &p, "Messages per second through coord's queue, a pipe and "
                "Python's multiprocessing.Queue, each ended by one pill per "
                "consumer");
}

static void plots_fraud(struct report *r, const struct json *j)
{
    const struct json *rows = plot_rows(r, j, "fraud", "latency_p50_us");
    if (!rows)
        return;
    struct rplot p = {.logx = true, .logy = true};
    plot_titles(&p, "fraud-latency",
                "Fraud screening: response latency and loser waste",
                "check every K history look-ups", "µs");
    /* Only the early-exit rows go on the interval axis. */
    struct rplot_series *p50 = rplot_series(&p, "response p50");
    struct rplot_series *p99 = rplot_series(&p, "response p99");
    struct rplot_series *w = rplot_series(&p, "loser time after a claim (mean)");
    for (size_t i = 0; i < rows->n; i++) {
        const struct json *row = rows->items[i];
        if (!json_true(json_get(row, "early_exit")))
            continue;
        char lb[32];
        const char *label = interval_label(row, lb, sizeof lb);
        if (!label)
            continue;
        double x = interval_x(row, label);
        if (!isfinite(x) || x <= 0)
            continue;
        rplot_point(p50, x, json_num(json_get(row, "latency_p50_us"), NAN),
                    label);
        rplot_point(p99, x, json_num(json_get(row, "latency_p99_us"), NAN),
                    label);
        double wv = json_num(json_get(row, "stop_latency_mean_us"), NAN);
        if (isfinite(wv) && wv > 0)
            rplot_point(w, x, wv, label);
    }
    draw(r, &p, "Fraud screening: response latency and the time losers "
                "spend after a claim, against the check interval");

    /* The other half of slide 10: what frequent checks cost. */
    struct rplot q = {.logx = true, .yzero = true};
    plot_titles(&q, "fraud-throughput", "Fraud screening: throughput",
                "check every K history look-ups", "transactions per second");
    struct rplot_series *tp = rplot_series(&q, "early exit");
    double off = NAN, xmin = INFINITY, xmax = 0;
    for (size_t i = 0; i < rows->n; i++) {
        const struct json *row = rows->items[i];
        double v = json_num(json_get(row, "tx_per_s"), NAN);
        if (!json_true(json_get(row, "early_exit"))) {
            off = v;
            continue;
        }
        char lb[32];
        const char *label = interval_label(row, lb, sizeof lb);
        double x = label ? interval_x(row, label) : NAN;
        if (!isfinite(x) || x <= 0 || !isfinite(v))
            continue;
        rplot_point(tp, x, v, label);
        xmin = x < xmin ? x : xmin;
        xmax = x > xmax ? x : xmax;
    }
    if (isfinite(off) && tp->n > 0) {
        struct rplot_series *b = rplot_series(&q, "no early exit");
        rplot_point(b, xmin, off, "off");
        rplot_point(b, xmax, off, "off");
    }
    draw(r, &q, "Fraud screening: transactions per second against the check "
                "interval (the line: without early exit)");
}

/* ---- the lecture's claims -------------------------------------------------- */

/* "holds", or "off by N× (lower|higher)" against [lo, hi]. */
static void verdict_range(char *out, size_t cap, double v, double lo, double hi)
{
    if (!isfinite(v))
        snprintf(out, cap, "not measured");
    else if (v >= lo && v <= hi)
        snprintf(out, cap, "holds");
    else if (v < lo)
        snprintf(out, cap, "off by %.3g× (lower here)", lo / v);
    else
        snprintf(out, cap, "off by %.3g× (higher here)", v / hi);
}

static const struct json *exp_json(const char *name, char *why, size_t cap)
{
    struct exp *e = exp_by_name(name);
    if (e && e->state == EXP_OK)
        return e->j;
    snprintf(why, cap, "not measured (coord %s %s)", name,
             exp_state_name(e ? e->state : EXP_MISSING));
    return NULL;
}

static void claim_row(struct report *r, struct rdoc_table *t, const char *slide,
                      const char *claim, const char *measured,
                      const char *verdict)
{
    const char *cells[] = {slide, claim, measured, verdict, NULL};
    rdoc_row(&r->doc, t, cells);
}

/* A spectrum mechanism's ns: the row named exactly `name` (else the first
 * whose name contains it), of Python or of C. */
static double spectrum_value(const struct json *j, const char *name,
                             bool python)
{
    struct spec_row rows[128];
    size_t n = spectrum_rows(j, rows, 128);
    for (size_t i = 0; i < n; i++)
        if (rows[i].python == python && !strcmp(rows[i].mech, name))
            return rows[i].ns;
    for (size_t i = 0; i < n; i++)
        if (rows[i].python == python && strstr(rows[i].mech, name))
            return rows[i].ns;
    return NAN;
}

static void claims(struct report *r)
{
    static const char *const hdr[] = {"slide", "lecture's claim",
                                      "measured here", "verdict", NULL};
    struct rdoc_table *t = rdoc_table(&r->doc, hdr);
    char m[256], v[192], a[32], b[32], c[32], e4[32], e5[192];

    /* Slide 2: poison pills. */
    const struct json *q = exp_json("queue", v, sizeof v);
    if (q) {
        const struct json *rows = rows_with(q, "exactly_once");
        const struct json *probes = rows_with(q, "probe");
        size_t runs = 0, once = 0, ok[2] = {0, 0}, all[2] = {0, 0};
        for (size_t i = 0; rows && i < rows->n; i++) {
            /* A skipped row (no python3) says null: it was not run, so it
             * counts neither way. */
            const struct json *eo = json_get(rows->items[i], "exactly_once");
            if (!eo || eo->type != JSON_BOOL)
                continue;
            runs++;
            once += eo->b;
        }
        for (size_t i = 0; probes && i < probes->n; i++) {
            const char *impl = json_str(json_get(probes->items[i], "impl"));
            const struct json *pok = json_get(probes->items[i], "ok");
            int py = impl && !strcmp(impl, "python");
            if (!pok || pok->type != JSON_BOOL)
                continue; /* skipped (no python3): neither passed nor failed */
            all[py]++;
            ok[py] += pok->b;
        }
        snprintf(m, sizeof m, "every message exactly once in %zu of %zu "
                 "rows run (coord, pipe, Python); fault probes passed: coord "
                 "%zu of %zu, Python %zu of %zu",
                 once, runs, ok[0], all[0], ok[1], all[1]);
        if (runs == 0)
            snprintf(v, sizeof v, "not measured (no exactly_once rows)");
        else if (once < runs)
            snprintf(v, sizeof v, "does not hold: %zu rows lost or "
                     "duplicated messages", runs - once);
        else if (ok[1] < all[1])
            snprintf(v, sizeof v, "depends: holds while nothing crashes; "
                     "when a process dies mid-way Python's Queue failed %zu "
                     "of %zu probes (coord %zu)", all[1] - ok[1], all[1],
                     all[0] - ok[0]);
        else
            snprintf(v, sizeof v, "holds");
    } else {
        snprintf(m, sizeof m, "—");
    }
    claim_row(r, t, "2",
              "One pill per worker shuts a queue down cleanly: no task lost, "
              "none run twice",
              m, v);

    /* Slide 3: 297,000 wasted iterations. */
    const struct json *w = exp_json("waste", v, sizeof v);
    if (w) {
        double off = json_num(json_path(w, "without.wasted"), NAN);
        double on = json_num(json_path(w, "with.wasted"), NAN);
        double bound = json_num(json_path(w, "with.bound"), NAN);
        bool lecture_setup = jnum(w, "workers") == 4 &&
                             jnum(w, "items") == 100000 &&
                             jnum(w, "hit_at") == 1000;
        double want = lecture_setup ? 297000 : jnum(w, "lecture_wasted");
        snprintf(m, sizeof m, "%s wasted without early exit (arithmetic: "
                 "%s); %s with it (bound %s)",
                 fmt_num(a, sizeof a, off), fmt_num(b, sizeof b, want),
                 fmt_num(c, sizeof c, on), fmt_num(e4, sizeof e4, bound));
        verdict_range(v, sizeof v, off, want * 0.95, want * 1.05);
        /* The prime search runs the same setup: its count, for contrast. */
        const struct json *pr = exp_json("primes", e5, sizeof e5);
        const struct json *prow = rows_with(pr, "mode");
        for (size_t i = 0; prow && i < prow->n; i++) {
            const char *mode = json_str(json_get(prow->items[i], "mode"));
            const char *impl = json_str(json_get(prow->items[i], "impl"));
            if (mode && !strcmp(mode, "no_early_exit") &&
                (!impl || !strcmp(impl, "coord")))
                snprintf(m + strlen(m), sizeof m - strlen(m),
                         "; the prime search (Example 27.1): %s",
                         fmt_num(a, sizeof a,
                                 json_num(json_get(prow->items[i], "wasted"),
                                          NAN)));
        }
        if (!lecture_setup && isfinite(off))
            snprintf(v + strlen(v), sizeof v - strlen(v),
                     " (for the run's own sizes, not the lecture's)");
    } else {
        snprintf(m, sizeof m, "—");
    }
    claim_row(r, t, "3",
              "4 workers x 100,000 items, hit at 1,000: 297,000 wasted "
              "iterations without early exit",
              m, v);

    /* Slide 6: one check costs 10-100 ns. */
    const struct json *s = exp_json("spectrum", v, sizeof v);
    if (s) {
        double cf = spectrum_value(s, "flag_check", false);
        double pf = spectrum_value(s, "flag_check", true);
        snprintf(m, sizeof m, "coord flag read %s; Python Value.value %s",
                 fmt_ns(a, sizeof a, cf), fmt_ns(b, sizeof b, pf));
        char vc[64], vp[64];
        verdict_range(vc, sizeof vc, cf, 10, 100);
        verdict_range(vp, sizeof vp, pf, 10, 100);
        /* The verdict's colour follows Python, the lecture's language. */
        snprintf(v, sizeof v, "%s (Python); C: %s", vp, vc);
    } else {
        snprintf(m, sizeof m, "—");
    }
    claim_row(r, t, "6", "A flag check costs a memory access + barrier, "
                         "~10-100 ns", m, v);

    /* Slide 7: frequent checks are measurably slower in tight loops only.
     * One row per language: the lecture speaks of Python. */
    const struct json *iv = exp_json("interval", v, sizeof v);
    const struct json *pyrows = iv ? json_path(iv, "python.rows") : NULL;
    for (int lang = 0; lang < 2; lang++) {
        const struct json *rows = !iv ? NULL
                                  : lang == 0 ? rows_with(iv, "overhead_pct")
                                              : pyrows;
        if (lang == 1 && iv && (!rows || !array_of_objects(rows)))
            break; /* no Python side */
        if (iv && rows) {
            double o10[2] = {NAN, NAN}, o1000[2] = {NAN, NAN};
            for (size_t i = 0; rows && i < rows->n; i++) {
                const struct json *row = rows->items[i];
                char lb[32];
                const char *label = interval_label(row, lb, sizeof lb);
                const char *wl = json_str(json_get(row, work_key(rows)));
                double o = json_num(json_get(row, "overhead_pct"), NAN);
                if (!label || !wl)
                    continue;
                int heavy = strstr(wl, "cheap") == NULL;
                if (!strcmp(label, "10"))
                    o10[heavy] = o;
                if (!strcmp(label, "1000"))
                    o1000[heavy] = o;
            }
            snprintf(m, sizeof m,
                     "%s: tight loop %s %% (every 10) vs %s %% (every 1000); "
                     "heavy loop %s %% vs %s %%",
                     lang ? "Python" : "C", fmt_num(a, sizeof a, o10[0]),
                     fmt_num(b, sizeof b, o1000[0]),
                     fmt_num(c, sizeof c, o10[1]),
                     fmt_num(e4, sizeof e4, o1000[1]));
            double dc = o10[0] - o1000[0], dh = fabs(o10[1] - o1000[1]);
            if (!isfinite(dc) || !isfinite(dh))
                snprintf(v, sizeof v, "not measured (no rows at 10 and "
                                      "1000)");
            else if (dc > 2 && dh < 2)
                snprintf(v, sizeof v, "holds");
            else if (dc <= 2)
                snprintf(v, sizeof v, "depends: here even the tight loop "
                                      "pays under 2 %% more at every 10");
            else
                snprintf(v, sizeof v, "depends: the heavy loop differs by "
                                      "%.1f %% too", dh);
        } else {
            snprintf(m, sizeof m, "—");
        }
        claim_row(r, t, "7",
                  "Checking every 10 is measurably slower than every 1,000 "
                  "in tight loops, negligible in heavy ones",
                  m, v);
        if (!iv)
            break;
    }

    /* Slide 8: the spectrum. */
    static const struct {
        const char *claim, *pat;
        double lo, hi;
    } rows8[] = {
        {"Manager.dict / .list: 1-5 ms per access", "manager_get", 1e6, 5e6},
        {"multiprocessing.Value: ~100 ns per access (its default, "
         "synchronized read)", "flag_check", 30, 300},
        {"multiprocessing.Array: ~100 ns per element", "array_read", 30,
         300},
        {"shared_memory: ~100 ns per access", "region_read", 30, 300},
    };
    for (size_t i = 0; i < sizeof rows8 / sizeof rows8[0]; i++) {
        if (s) {
            double pv = spectrum_value(s, rows8[i].pat, true);
            double cv = spectrum_value(s, rows8[i].pat, false);
            snprintf(m, sizeof m, "Python: %s (`%s`); coord: %s",
                     fmt_ns(a, sizeof a, pv), rows8[i].pat,
                     fmt_ns(b, sizeof b, cv));
            verdict_range(v, sizeof v, pv, rows8[i].lo, rows8[i].hi);
        } else {
            snprintf(m, sizeof m, "—");
            exp_json("spectrum", v, sizeof v);
        }
        claim_row(r, t, "8", rows8[i].claim, m, v);
    }
    if (s) {
        double man = spectrum_value(s, "manager_get", true);
        double val = spectrum_value(s, "flag_check", true);
        double ratio = man / val;
        double cratio = spectrum_value(s, "manager_get", false) /
                        spectrum_value(s, "value_get", false);
        snprintf(m, sizeof m, "Python: %s× slower (manager_get against "
                 "flag_check); coord: %s× (against value_get)",
                 fmt_num(a, sizeof a, round(ratio)),
                 fmt_num(b, sizeof b, round(cratio)));
        verdict_range(v, sizeof v, ratio, 1000, 50000);
    } else {
        snprintf(m, sizeof m, "—");
        exp_json("spectrum", v, sizeof v);
    }
    claim_row(r, t, "8", "Manager is 1,000-50,000× slower per access than "
                         "Value", m, v);

    /* Slide 10: fraud screening. */
    const struct json *f = exp_json("fraud", v, sizeof v);
    if (f) {
        const struct json *rows = rows_with(f, "latency_p50_us");
        double s1 = NAN, s1000 = NAN, t1 = NAN, t1000 = NAN, toff = NAN;
        bool same = true;
        for (size_t i = 0; rows && i < rows->n; i++) {
            const struct json *row = rows->items[i];
            char lb[32];
            const char *label = interval_label(row, lb, sizeof lb);
            double sl = json_num(json_get(row, "stop_latency_mean_us"), NAN);
            double tp = json_num(json_get(row, "tx_per_s"), NAN);
            same &= json_true(json_get(row, "verdicts_match_reference"));
            if (!json_true(json_get(row, "early_exit"))) {
                toff = tp;
                continue;
            }
            if (label && !strcmp(label, "1"))
                s1 = sl, t1 = tp;
            if (label && !strcmp(label, "1000"))
                s1000 = sl, t1000 = tp;
        }
        snprintf(m, sizeof m,
                 "losers stop %s µs after a claim at K=1, %s µs at K=1000; "
                 "%s vs %s tx/s (%s without early exit); verdicts identical: "
                 "%s",
                 fmt_num(a, sizeof a, s1), fmt_num(b, sizeof b, s1000),
                 fmt_num(c, sizeof c, round(t1)),
                 fmt_num(e4, sizeof e4, round(t1000)),
                 fmt_num(e5, sizeof e5, round(toff)), same ? "yes" : "NO");
        if (!isfinite(s1) || !isfinite(s1000))
            snprintf(v, sizeof v, "not measured (no K=1 and K=1000 rows)");
        else if (s1 < s1000 && same)
            snprintf(v, sizeof v, "holds for the response; the throughput "
                                  "cost of frequent checks is %s",
                     t1 < t1000 * 0.85 ? "visible (over 15 %)"
                                       : "below the noise here");
        else
            snprintf(v, sizeof v, "depends: see the fraud section");
    } else {
        snprintf(m, sizeof m, "—");
    }
    claim_row(r, t, "10",
              "Check frequency sets how fast the others abandon a flagged "
              "transaction; too frequent costs throughput",
              m, v);
}

/* ---- this machine ---------------------------------------------------------- */

static void proc_field(const char *path, const char *key, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    char line[512];
    out[0] = '\0';
    if (!f)
        return;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, kl) != 0)
            continue;
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        colon++;
        while (*colon == ' ' || *colon == '\t')
            colon++;
        colon[strcspn(colon, "\n")] = '\0';
        snprintf(out, cap, "%s", colon);
        break;
    }
    fclose(f);
}

static void machine(struct report *r)
{
    static const char *const kv[] = {"what", "value", NULL};
    struct rdoc_table *t = rdoc_table(&r->doc, kv);
    char buf[512], cpu[256], mem[64], load[128];
    proc_field("/proc/cpuinfo", "model name", cpu, sizeof cpu);
    if (!*cpu)
        proc_field("/proc/cpuinfo", "Hardware", cpu, sizeof cpu);
    const char *rows[][2] = {{"CPU", *cpu ? cpu : "unknown"}};
    rdoc_row(&r->doc, t, rows[0]);
    snprintf(buf, sizeof buf, "%ld online (%ld configured)",
             sysconf(_SC_NPROCESSORS_ONLN), sysconf(_SC_NPROCESSORS_CONF));
    const char *c1[] = {"cores", buf, NULL};
    rdoc_row(&r->doc, t, c1);
    proc_field("/proc/meminfo", "MemTotal", mem, sizeof mem);
    double kb = atof(mem);
    if (kb > 0)
        snprintf(mem, sizeof mem, "%.1f GiB", kb / (1024.0 * 1024.0));
    const char *c2[] = {"memory", *mem ? mem : "unknown", NULL};
    rdoc_row(&r->doc, t, c2);
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(buf, sizeof buf, "%s %s %s", u.sysname, u.release, u.machine);
        const char *c3[] = {"kernel", buf, NULL};
        rdoc_row(&r->doc, t, c3);
    }
#if defined(__clang__)
    snprintf(buf, sizeof buf, "clang %s", __clang_version__);
#elif defined(__GNUC__)
    snprintf(buf, sizeof buf, "gcc %s", __VERSION__);
#else
    snprintf(buf, sizeof buf, "unknown C compiler");
#endif
    const char *c4[] = {"compiler (of coord)", buf, NULL};
    rdoc_row(&r->doc, t, c4);
    snprintf(buf, sizeof buf, "coord %s", coord_version_string());
    const char *c5[] = {"coord", buf, NULL};
    rdoc_row(&r->doc, t, c5);
    FILE *lf = fopen("/proc/loadavg", "r");
    load[0] = '\0';
    if (lf) {
        double l1, l5, l15;
        if (fscanf(lf, "%lf %lf %lf", &l1, &l5, &l15) == 3)
            snprintf(load, sizeof load, "%.2f, %.2f, %.2f", l1, l5, l15);
        fclose(lf);
    }
    snprintf(buf, sizeof buf, "%s (1, 5, 15 min, at the start of the report)",
             *load ? load : "unknown");
    const char *c6[] = {"load average", buf, NULL};
    rdoc_row(&r->doc, t, c6);
    char py[128] = "";
    char tmp[] = "/tmp/coord-report-py-XXXXXX";
    int fd = mkstemp(tmp);
    if (fd >= 0) {
        close(fd);
        const char *argv[] = {"python3", "--version", NULL};
        int st = 0;
        char why[128];
        if (report_exec(argv, NULL, tmp, tmp, 10000, &st, why, sizeof why) ==
                0 &&
            st == 0)
            last_line(tmp, py, sizeof py);
        unlink(tmp);
    }
    const char *c7[] = {"python3", *py ? py : "not found (Python columns "
                                              "are skipped)", NULL};
    rdoc_row(&r->doc, t, c7);
}

/* ---- running ---------------------------------------------------------------- */

/* The report lists only what an experiment really wrote: its JSON when
 * it succeeded; after a failure (an error, a crash, the time limit) the
 * stdout it left is not a JSON document, so it is kept under another
 * name when there is something in it and removed when it is empty. */
static void keep_output(struct report *r, struct exp *e, const char *out)
{
    e->partial = false;
    if (e->state == EXP_OK) {
        add_file(r, "data/%s.json", e->name);
        return;
    }
    struct stat sb;
    char kept[4200];
    snprintf(kept, sizeof kept, "%s/data/%s.out.txt", r->out, e->name);
    unlink(kept);
    if (stat(out, &sb) == 0 && sb.st_size > 0 && rename(out, kept) == 0) {
        e->partial = true;
        add_file(r, "data/%s.out.txt", e->name);
    } else {
        unlink(out);
    }
}

static void run_one(struct report *r, struct exp *e, size_t idx, size_t n,
                    int timeout_s, bool quick)
{
    char self[4096];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0) {
        e->state = EXP_FAILED;
        snprintf(e->why, sizeof e->why, "cannot find this program "
                                        "(/proc/self/exe)");
        return;
    }
    self[sl] = '\0';
    const char *argv[10];
    size_t k = 0;
    argv[k++] = self;
    argv[k++] = e->name;
    argv[k++] = "--json";
    if (quick)
        argv[k++] = "--quick";
    if (e->extra && (r->python || strcmp(e->extra, "--vs-python") != 0))
        argv[k++] = e->extra;
    if (e->extra_full && !r->quick &&
        (r->python || strcmp(e->extra_full, "--vs-python") != 0))
        argv[k++] = e->extra_full;
    argv[k] = NULL;
    size_t cl = (size_t)snprintf(e->cmdline, sizeof e->cmdline, "coord");
    for (size_t i = 1; i < k && cl < sizeof e->cmdline; i++)
        cl += (size_t)snprintf(e->cmdline + cl, sizeof e->cmdline - cl, " %s",
                               argv[i]);
    char out[4200], err[4200];
    snprintf(out, sizeof out, "%s/data/%s.json", r->out, e->name);
    snprintf(err, sizeof err, "%s/data/%s.log", r->out, e->name);
    fprintf(stderr, "report: [%zu/%zu] %s ...\n", idx, n, e->cmdline);
    double t0 = now_s();
    int st = 0;
    char why[256];
    int rc = report_exec(argv, NULL, out, err, timeout_s * 1000, &st, why,
                         sizeof why);
    e->secs = now_s() - t0;
    if (rc == 0 && st == 2 && quick) {
        /* A usage error: this experiment may not know --quick yet. */
        fprintf(stderr, "report: [%zu/%zu] %s rejected its options; again "
                        "without --quick\n", idx, n, e->name);
        run_one(r, e, idx, n, timeout_s, false);
        return;
    }
    if (rc != 0) {
        e->state = EXP_FAILED;
        snprintf(e->why, sizeof e->why, "%s", why);
    } else if (st != 0) {
        char line[200];
        last_line(err, line, sizeof line);
        e->state = EXP_FAILED;
        snprintf(e->why, sizeof e->why, "exit status %d%s%s", st,
                 *line ? ": " : "", line);
    } else {
        size_t len = 0;
        char *text = read_file(out, &len);
        char jerr[160];
        if (!text) {
            e->state = EXP_FAILED;
            snprintf(e->why, sizeof e->why, "cannot read data/%s.json", e->name);
        } else if (json_parse(text, len, &e->j, jerr, sizeof jerr) != 0) {
            e->state = EXP_FAILED;
            snprintf(e->why, sizeof e->why, "its --json output is not JSON: "
                                            "%s", jerr);
        } else {
            e->state = EXP_OK;
        }
        free(text);
    }
    keep_output(r, e, out);
    add_file(r, "data/%s.log", e->name);
    fprintf(stderr, "report: [%zu/%zu] %s: %s in %.1f s%s%s\n", idx, n,
            e->name, e->state == EXP_OK ? "done" : "FAILED", e->secs,
            e->state == EXP_OK ? "" : ": ", e->state == EXP_OK ? "" : e->why);
}

static void section(struct report *r, struct exp *e)
{
    rdoc_heading(&r->doc, RD_H2, e->name, "%s", e->title);
    rdoc_para(&r->doc, "%s", e->what);
    switch (e->state) {
    case EXP_SKIPPED:
        rdoc_para(&r->doc, "Not run (not in --only).");
        return;
    case EXP_MISSING:
        rdoc_para(&r->doc, "**Not available**: this build of coord has no "
                           "`%s` command.", e->name);
        return;
    case EXP_FAILED:
        if (e->partial)
            rdoc_para(&r->doc, "**Failed** after %.1f s: %s. No data: what it "
                               "printed before it stopped is in "
                               "`data/%s.out.txt`, its messages in "
                               "`data/%s.log`.",
                      e->secs, e->why, e->name, e->name);
        else
            rdoc_para(&r->doc, "**Failed** after %.1f s: %s. No data: it "
                               "printed nothing on stdout; its messages are "
                               "in `data/%s.log`.",
                      e->secs, e->why, e->name);
        return;
    case EXP_OK:
        break;
    }
    rdoc_para(&r->doc, "Command: `%s` (%.1f s). Raw output: `data/%s.json`.",
              e->cmdline, e->secs, e->name);
    if (!strcmp(e->name, "interval"))
        plots_interval(r, e->j);
    else if (!strcmp(e->name, "spectrum"))
        plots_spectrum(r, e->j);
    else if (!strcmp(e->name, "queue"))
        plots_queue(r, e->j);
    else if (!strcmp(e->name, "fraud"))
        plots_fraud(r, e->j);
    if (e->j->type == JSON_OBJECT)
        render_object(&r->doc, e->j, "", 0);
}

static int mkdir_p(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: coord report [--quick] [--out DIR] [--only LIST] "
            "[--no-python] [--timeout S] [--json]\n\n"
            "Runs the lecture's experiments on this machine (each as `coord "
            "EXPERIMENT --json`)\nand writes a report: DIR/index.html (one "
            "self-contained page), DIR/report.md\n(the same in Markdown), "
            "DIR/plots/ (gnuplot SVG + PNG, with their data and\nscripts) "
            "and DIR/data/ (each experiment's JSON and log).\n\n"
            "  --quick        short runs: the whole report in under a minute\n"
            "  --out DIR      where to write (default: report)\n"
            "  --only LIST    comma-separated experiments to run (default: "
            "all of\n                 primes,waste,interval,spectrum,queue,"
            "fraud)\n"
            "  --no-python    do not run the Python side of the spectrum\n"
            "  --timeout S    limit for one experiment (default 60 quick, "
            "900)\n"
            "  --json         print {\"out\", \"files\", \"experiments\"} on "
            "stdout\n\n"
            "An experiment whose command this build lacks is listed as not "
            "available; one\nthat fails is reported with its error. Progress "
            "goes to stderr. Exit status 0\nwhen the report was written (even "
            "with failed experiments), 1 when it could\nnot be, 2 on a usage "
            "error.\n");
}

int cmd_report(int argc, char **argv)
{
    struct report r = {.out = "report", .python = true};
    const char *only = NULL;
    uint64_t timeout_s = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int o;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--quick")) {
            r.quick = true;
        } else if (!strcmp(argv[i], "--json")) {
            r.json = true;
        } else if (!strcmp(argv[i], "--no-python")) {
            r.python = false;
        } else if ((o = cli_opt(CMD, argc, argv, &i, "--out", &v)) != 0) {
            if (o < 0)
                return CLI_USAGE;
            if (!*v) {
                cli_error(CMD, "--out needs a directory");
                return CLI_USAGE;
            }
            r.out = v;
        } else if ((o = cli_opt(CMD, argc, argv, &i, "--only", &v)) != 0) {
            if (o < 0)
                return CLI_USAGE;
            only = v;
        } else if ((o = cli_opt(CMD, argc, argv, &i, "--timeout", &v)) != 0) {
            if (o < 0 || !cli_parse_u64(CMD, "--timeout", v, 1, 86400,
                                        &timeout_s))
                return CLI_USAGE;
        } else {
            cli_error(CMD, "unknown option '%s' (see coord report --help)",
                      argv[i]);
            return CLI_USAGE;
        }
    }
    if (!timeout_s)
        timeout_s = r.quick ? 60 : 900;
    bool wanted[N_EXPS];
    for (size_t i = 0; i < N_EXPS; i++)
        wanted[i] = only == NULL;
    if (only) {
        bool named = false;
        char list[512];
        snprintf(list, sizeof list, "%s", only);
        for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            struct exp *e = exp_by_name(tok);
            if (!e) {
                cli_error(CMD, "--only: no experiment '%s' (primes, waste, "
                               "interval, spectrum, queue, fraud)", tok);
                return CLI_USAGE;
            }
            wanted[e - exps] = true;
            named = true;
        }
        if (!named) {
            cli_error(CMD, "--only '%s' names no experiment (a comma-separated "
                           "list of primes, waste, interval, spectrum, queue, "
                           "fraud)", only);
            return CLI_USAGE;
        }
    }
    char dir[4200];
    int rc = mkdir_p(r.out);
    snprintf(dir, sizeof dir, "%s/data", r.out);
    if (rc == 0)
        rc = mkdir_p(dir);
    snprintf(dir, sizeof dir, "%s/plots", r.out);
    if (rc == 0)
        rc = mkdir_p(dir);
    if (rc != 0) {
        cli_error(CMD, "cannot create %s: %s", r.out, strerror(-rc));
        return CLI_RUNTIME;
    }
    report_adopt_orphans();
    double t0 = now_s();
    size_t n_run = 0, idx = 0;
    for (size_t i = 0; i < N_EXPS; i++)
        n_run += wanted[i] && have_command(exps[i].name);
    for (size_t i = 0; i < N_EXPS; i++) {
        struct exp *e = &exps[i];
        if (!wanted[i]) {
            e->state = EXP_SKIPPED;
        } else if (!have_command(e->name)) {
            e->state = EXP_MISSING;
            snprintf(e->why, sizeof e->why, "not available in this build");
            fprintf(stderr, "report: %s: not available in this build\n",
                    e->name);
        } else {
            run_one(&r, e, ++idx, n_run, (int)timeout_s, r.quick);
        }
    }
    double total = now_s() - t0;

    time_t now = time(NULL);
    struct tm tm;
    char date[64];
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &tm);
    struct rdoc *d = &r.doc;
    rdoc_heading(d, RD_H1, NULL, "coord report: lecture 27 on this machine");
    rdoc_para(d, "Generated %s by `coord report%s` in %.1f s. Every number "
                 "below was measured during that run on the machine described "
                 "next; the raw JSON of each experiment is in `data/`, and each "
                 "plot's data and gnuplot script are in `plots/`.",
              date, r.quick ? " --quick" : "", total);
    if (r.quick)
        rdoc_para(d, "This is the **quick** report: short runs, so the numbers "
                     "are noisier than those of the default `coord report`.");
    rdoc_heading(d, RD_H2, "claims", "The lecture's claims, measured");
    rdoc_para(d, "Verdicts: **holds** (inside the lecture's range), **off by "
                 "N×** (outside it, by that factor), **depends** (true under "
                 "some conditions only: see the row).");
    claims(&r);
    rdoc_heading(d, RD_H2, "slide9",
                 "Slide 9: which mechanism for which access pattern");
    char why9[160];
    advise_report_section(d, exp_json("spectrum", why9, sizeof why9), why9);
    rdoc_heading(d, RD_H2, "machine", "This machine");
    machine(&r);
    rdoc_heading(d, RD_H2, "experiments", "Experiments");
    static const char *const eh[] = {"experiment", "status", "seconds", NULL};
    struct rdoc_table *et = rdoc_table(d, eh);
    for (size_t i = 0; i < N_EXPS; i++) {
        char secs[32];
        snprintf(secs, sizeof secs, "%.1f", exps[i].secs);
        const char *cells[] = {exps[i].name, exp_state_name(exps[i].state),
                               exps[i].state >= EXP_FAILED ? secs : "", NULL};
        rdoc_row(d, et, cells);
    }
    for (size_t i = 0; i < N_EXPS; i++)
        section(&r, &exps[i]);
    add_file(&r, "index.html");
    add_file(&r, "report.md");
    rdoc_heading(d, RD_H2, "files", "Files of this report");
    static const char *const fh[] = {"file", NULL};
    struct rdoc_table *ft = rdoc_table(d, fh);
    for (size_t i = 0; i < r.n_files; i++) {
        const char *cells[] = {r.files[i], NULL};
        rdoc_row(d, ft, cells);
    }

    char path[4200];
    int werr = 0;
    snprintf(path, sizeof path, "%s/report.md", r.out);
    FILE *f = fopen(path, "w");
    if (!f || rdoc_write_md(d, f) != 0)
        werr = errno ? errno : EIO;
    if (f && fclose(f) != 0)
        werr = errno;
    snprintf(path, sizeof path, "%s/index.html", r.out);
    f = werr ? NULL : fopen(path, "w");
    if (!werr && (!f || rdoc_write_html(d, f, "coord report") != 0))
        werr = errno ? errno : EIO;
    if (f && fclose(f) != 0)
        werr = errno;
    rdoc_free(d);
    if (werr) {
        cli_error(CMD, "cannot write the report in %s: %s", r.out,
                  strerror(werr));
        for (size_t i = 0; i < N_EXPS; i++)
            json_free(exps[i].j);
        return CLI_RUNTIME;
    }
    if (r.json) {
        cli_json_begin(stdout, "report", 1);
        printf(",\"out\":");
        cli_json_str(stdout, r.out);
        printf(",\"quick\":%s,\"seconds\":%.3f,\"plots\":%zu,"
               "\"plots_failed\":%zu,\"files\":[",
               r.quick ? "true" : "false", total, r.plots_drawn,
               r.plots_failed);
        for (size_t i = 0; i < r.n_files; i++) {
            if (i)
                putchar(',');
            cli_json_str(stdout, r.files[i]);
        }
        printf("],\"experiments\":[");
        for (size_t i = 0; i < N_EXPS; i++) {
            printf("%s{\"name\":\"%s\",\"status\":\"%s\",\"seconds\":%.3f,"
                   "\"why\":",
                   i ? "," : "", exps[i].name, exp_state_name(exps[i].state),
                   exps[i].secs);
            cli_json_str(stdout, exps[i].state == EXP_OK ? "" : exps[i].why);
            putchar('}');
        }
        printf("]}\n");
    } else {
        printf("%-10s %-14s %8s\n", "EXPERIMENT", "STATUS", "SECONDS");
        for (size_t i = 0; i < N_EXPS; i++) {
            printf("%-10s %-14s %8.1f%s%s\n", exps[i].name,
                   exp_state_name(exps[i].state), exps[i].secs,
                   exps[i].state == EXP_FAILED ? "  " : "",
                   exps[i].state == EXP_FAILED ? exps[i].why : "");
        }
        printf("\nreport: %s/index.html and %s/report.md (%zu files, %zu "
               "plots, %.1f s)\n",
               r.out, r.out, r.n_files, r.plots_drawn, total);
    }
    for (size_t i = 0; i < N_EXPS; i++)
        json_free(exps[i].j);
    return CLI_OK;
}
