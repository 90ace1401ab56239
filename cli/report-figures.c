/* SPDX-License-Identifier: MIT */
/* report-figures.c: which plots each experiment of the report gets, drawn from its JSON. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report-parts.h"

/* Draws `p` (plots/NAME.svg by coord itself, .dat, .gp, and the PNG when
 * gnuplot is installed) and puts it in the document as a figure. */
static void draw(struct report *r, const struct rplot *p, const char *caption)
{
    char why[256], plots[4200];
    bool png = false;
    snprintf(plots, sizeof plots, "%s/plots", r->out);
    if (rplot_draw(p, r->plots, plots, &png, why, sizeof why) != 0) {
        rdoc_para(&r->doc, "Plot \"%s\" not drawn: %s.", p->title, why);
        r->plots_failed++;
        return;
    }
    rdoc_plot(&r->doc, p, caption, png);
    report_add_file(r, "plots/%s.svg", p->name);
    if (png)
        report_add_file(r, "plots/%s.png", p->name);
    report_add_file(r, "plots/%s.dat", p->name);
    report_add_file(r, "plots/%s.gp", p->name);
    /* gnuplot's messages, kept when it failed (`why` names the file). */
    char log[80];
    struct stat sb;
    snprintf(log, sizeof log, "%s.log", p->name);
    if (!png && fstatat(r->plots, log, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(sb.st_mode))
        report_add_file(r, "plots/%s.log", p->name);
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

/* Series over the interval from the rows of `arr`: y from `ykey` with an
 * error bar up to `hikey` (NULL: none), grouped by `group` (e.g. the
 * workload), at most RPLOT_MAX_SERIES groups. */
static void interval_series(struct rplot *p, const struct json *arr,
                            const char *group, const char *ykey,
                            const char *hikey, const char *name_suffix)
{
    for (size_t i = 0; arr && i < arr->n; i++) {
        const struct json *row = arr->items[i];
        char lb[32];
        const char *label = report_interval_label(row, lb, sizeof lb);
        double y = json_num(json_get(row, ykey), NAN);
        double hi = hikey ? json_num(json_get(row, hikey), NAN) : NAN;
        if (!label || !isfinite(y))
            continue;
        double x = report_interval_x(row, label);
        if (!isfinite(x) || x <= 0)
            continue;
        const char *g = group ? json_str(json_get(row, group)) : NULL;
        char name[64];
        snprintf(name, sizeof name, "%s%s", g ? g : "", name_suffix);
        rplot_point_range(rplot_series_named(p, name), x, y, y, hi, label);
    }
}

/* The rows of `j` that carry `key`, for a plot of `what`; NULL after the
 * report says there is nothing to plot. */
static const struct json *plot_rows(struct report *r, const struct json *j,
                                    const char *what, const char *key)
{
    const struct json *rows = report_rows_with(j, key);
    if (!rows)
        rdoc_para(&r->doc, "No %s rows (`%s`) in the JSON: no plot.", what,
                  key);
    return rows;
}

/* " The load average was 8.45 before this experiment and 10.1 after, on
 * 2 cores." (empty when unknown), for the captions. */
static const char *load_note(const struct exp *e, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (isfinite(e->load_before) && isfinite(e->load_after))
        snprintf(buf, cap, " The load average was %.2f before this "
                 "experiment and %.2f after, on %ld cores.", e->load_before,
                 e->load_after, sysconf(_SC_NPROCESSORS_ONLN));
    return buf;
}

static void plots_interval(struct report *r, const struct exp *e)
{
    const struct json *j = e->j;
    const struct json *rows = plot_rows(r, j, "interval", "overhead_pct");
    if (!rows)
        return;
    const struct json *py = json_path(j, "python.rows");
    if (py && !report_array_of_objects(py))
        py = NULL;
    struct rplot p = {.logx = true, .yunit = RPLOT_PCT};
    plot_titles(&p, "interval-overhead", "Check overhead against the interval",
                "check every K iterations", "overhead (%)");
    interval_series(&p, rows, report_work_key(rows), "overhead_pct", NULL,
                    " (C)");
    if (py)
        interval_series(&p, py, report_work_key(py), "overhead_pct", NULL,
                        " (Python)");
    char cap[1536], ld[160], a[32], b[32];
    draw(r, &p, "Overhead of the flag checks against the check interval K: "
                "the extra time against the same loop without checks. A "
                "check costs about as much as a cheap iteration, so it "
                "matters where iterations are cheap and checks frequent "
                "(small K). Values a few percent either side of zero (below "
                "zero: the checked loop ran faster than its baseline) are "
                "noise.");
    struct rplot q = {.logx = true, .logy = true, .yunit = RPLOT_NS};
    plot_titles(&q, "interval-latency", "Stop latency against the interval",
                "check every K iterations", "stop latency, p50 to p99");
    interval_series(&q, rows, report_work_key(rows), "stop_latency_p50_ns",
                    "stop_latency_p99_ns", " (C)");
    if (py)
        interval_series(&q, py, report_work_key(py), "stop_latency_p50_ns",
                        "stop_latency_p99_ns", " (Python)");
    double workers = json_num(json_get(j, "workers"), NAN);
    snprintf(cap, sizeof cap,
             "Stop latency, the median time from the claim until the last "
             "worker stopped, against the check interval K (log-log). A "
             "running worker sees the flag within K iterations: for K = "
             "1,000 that is up to %s in the cheap loop and %s in the heavy "
             "one, so only the heavy loop's latency should grow with K, "
             "and only while K is shorter than what is left of a worker's "
             "share of the search: a worker stops at the end of its share "
             "at the latest, so where K passes it (the quick run's shares "
             "are short) the heavy curve is flat. The rest is scheduling: "
             "with %.0f workers and the report on %ld "
             "cores, a worker that is not running when the flag is set sees "
             "it only when the scheduler runs it again, up to a time slice "
             "(milliseconds) later. That is why the curves are not monotonic "
             "in K and move from run to run; each point is a median, its "
             "bar reaches the p99.%s",
             report_fmt_ns(a, sizeof a,
                           json_num(json_get(j, "cheap_iteration_ps"), NAN)),
             report_fmt_ns(b, sizeof b,
                           json_num(json_get(j, "heavy_iteration_ps"), NAN)),
             workers, sysconf(_SC_NPROCESSORS_ONLN),
             load_note(e, ld, sizeof ld));
    draw(r, &q, cap);
}

static void plots_spectrum(struct report *r, const struct exp *e)
{
    const struct json *j = e->j;
    struct spec_row rows[128];
    size_t n = report_spectrum_rows(j, rows, 128);
    if (n == 0) {
        rdoc_para(&r->doc, "No spectrum rows (`mechanism`, `per_op_p50_ps`) "
                           "in the JSON: no plot.");
        return;
    }
    struct rplot p = {.bars = true, .logy = true, .yunit = RPLOT_NS};
    plot_titles(&p, "spectrum",
                "Cost of one access, by mechanism (log scale)", "mechanism",
                "one access: p50 to p99");
    /* Bars follow the C rows' order; Python-only mechanisms come after. */
    struct rplot_series *c = rplot_series(&p, "coord (C)");
    struct rplot_series *py = rplot_series(&p, "Python multiprocessing");
    char lb0[64];
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            if (rows[i].python != (pass == 1))
                continue;
            bool in_c = false;
            for (size_t k = 0; k < c->n; k++)
                in_c |= !strcmp(c->label[k], report_mech_label(
                                                 rows[i].mech, lb0, sizeof lb0));
            char lb[64];
            const char *label = report_mech_label(rows[i].mech, lb, sizeof lb);
            if (pass == 1 && !in_c)
                rplot_point(c, (double)c->n, NAN, label);
            rplot_point_range(pass ? py : c, (double)i, rows[i].ns,
                              rows[i].ns, rows[i].p99, label);
        }
    if (py->n == 0)
        p.n_series = 1;
    /* What crossing to another process cost in this run, cheapest and
     * dearest: a fixed "costs microseconds" was contradicted by coord's own
     * queue and manager rows (a few hundred ns when both sides spin). */
    const struct spec_row *xlo = NULL, *xhi = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *m = rows[i].mech;
        bool cross = strstr(m, "roundtrip") != NULL ||
                     (!strncmp(m, "manager_", 8) && !strstr(m, "batch"));
        if (!cross || !(rows[i].ns > 0))
            continue;
        if (!xlo || rows[i].ns < xlo->ns)
            xlo = &rows[i];
        if (!xhi || rows[i].ns > xhi->ns)
            xhi = &rows[i];
    }
    char cross[384] = "", c1[32], c2[32], m1[64], m2[64];
    if (xlo && xhi && xlo != xhi)
        snprintf(cross, sizeof cross,
                 " Anything that crosses to another process (a queue, a "
                 "pipe, a socket, the Manager) waits for the other side to "
                 "answer: here from %s (%s's %s) to %s (%s's %s).",
                 report_fmt_ns(c1, sizeof c1, xlo->ns),
                 xlo->python ? "Python" : "coord",
                 report_mech_label(xlo->mech, m1, sizeof m1),
                 report_fmt_ns(c2, sizeof c2, xhi->ns),
                 xhi->python ? "Python" : "coord",
                 report_mech_label(xhi->mech, m2, sizeof m2));
    char cap[1024], ld[160];
    snprintf(cap, sizeof cap,
             "The cost of one access on a log scale (each step of the axis "
             "is a factor of 10): the bar is the median, its whisker reaches "
             "the p99. coord's C figure stands beside "
             "Python's multiprocessing. Reads in a tight loop can cost under "
             "a nanosecond because the processor overlaps them.%s%s",
             cross, load_note(e, ld, sizeof ld));
    draw(r, &p, cap);
}

static void plots_queue(struct report *r, const struct exp *e)
{
    const struct json *j = e->j;
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
        double v = json_num(json_get(row, "msgs_per_s"), NAN);
        if (!isfinite(v) || v <= 0)
            continue;
        char label[32];
        snprintf(label, sizeof label, "%.0f->%.0f, %.0f B",
                 json_num(json_get(row, "producers"), 0),
                 json_num(json_get(row, "consumers"), 0),
                 json_num(json_get(row, "msg_bytes"), 0));
        const char *series = !impl                     ? "coord"
                             : !strcmp(impl, "python") ? "Python"
                                                       : impl;
        rplot_point(rplot_series_named(&p, series), (double)i, v, label);
    }
    char cap[1024], ld[160];
    snprintf(cap, sizeof cap,
             "Messages per second (log scale) through coord's queue, a pipe "
             "and Python's multiprocessing.Queue, for each case: producers "
             "-> consumers and the message size, each run ended by one pill "
             "per consumer. With more processes than cores, producers and "
             "consumers take turns on the cores, so the many-to-many cases "
             "measure the scheduler as much as the queue.%s",
             load_note(e, ld, sizeof ld));
    draw(r, &p, cap);
}

/* One history look-up in ns: reference.per_lookup_ps (coord.fraud/2),
 * else the older reference.ns_per_lookup. */
static double lookup_ns(const struct json *j)
{
    double ps = json_num(json_path(j, "reference.per_lookup_ps"), NAN);
    return isfinite(ps) ? ps / 1e3
                        : json_num(json_path(j, "reference.ns_per_lookup"),
                                   NAN);
}

static void plots_fraud(struct report *r, const struct exp *e)
{
    const struct json *j = e->j;
    const struct json *rows = plot_rows(r, j, "fraud", "tx_per_s");
    if (!rows)
        return;
    struct rplot p = {.logx = true, .logy = true, .yunit = RPLOT_US};
    plot_titles(&p, "fraud-latency",
                "Fraud screening: response latency and loser waste",
                "check every K history look-ups", "time");
    /* Only the early-exit rows go on the interval axis. */
    struct rplot_series *p50 = rplot_series(&p, "response, p50 to p99");
    struct rplot_series *w =
        rplot_series(&p, "losers after a claim, mean to p99");
    for (size_t i = 0; i < rows->n; i++) {
        const struct json *row = rows->items[i];
        if (!json_true(json_get(row, "early_exit")))
            continue;
        char lb[32];
        const char *label = report_interval_label(row, lb, sizeof lb);
        if (!label)
            continue;
        double x = report_interval_x(row, label);
        if (!isfinite(x) || x <= 0)
            continue;
        double y = report_us(row, "latency_p50");
        rplot_point_range(p50, x, y, y,
                          report_us(row, "latency_p99"),
                          label);
        double wv = report_us(row, "stop_latency_mean");
        if (isfinite(wv) && wv > 0)
            rplot_point_range(
                w, x, wv, wv,
                report_us(row, "stop_latency_p99"), label);
    }
    char cap[1024], ld[160], a[32];
    snprintf(cap, sizeof cap,
             "Response latency of a transaction (the point is the p50, its "
             "bar reaches the p99) and the time the losing detectors go on "
             "after a claim (mean, bar to the p99), against the check "
             "interval K (log-log). Losers stop only at a check, so "
             "their time grows with K once K look-ups (about %s each) take "
             "longer than waiting to be scheduled; below that the points "
             "are scheduling noise.%s",
             report_fmt_ns(a, sizeof a,
                           lookup_ns(j)),
             load_note(e, ld, sizeof ld));
    draw(r, &p, cap);

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
        const char *label = report_interval_label(row, lb, sizeof lb);
        double x = label ? report_interval_x(row, label) : NAN;
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
    /* What frequent checks cost here, from the rows: a fixed "should
     * cost little" sat beside a claims row that found K = 1 over 15 %
     * slower (as it was in 5 of 5 quick runs on a 2-core machine). */
    double t1 = NAN, t1000 = NAN;
    for (size_t i = 0; i < rows->n; i++) {
        const struct json *row = rows->items[i];
        char lb[32];
        const char *label = report_interval_label(row, lb, sizeof lb);
        if (!label || !json_true(json_get(row, "early_exit")))
            continue;
        if (!strcmp(label, "1"))
            t1 = json_num(json_get(row, "tx_per_s"), NAN);
        if (!strcmp(label, "1000"))
            t1000 = json_num(json_get(row, "tx_per_s"), NAN);
    }
    char here[160] = "";
    if (isfinite(t1) && isfinite(t1000) && t1000 > 0)
        snprintf(here, sizeof here, " Here K = 1 ran at %.0f %% of the rate "
                 "of K = 1,000.", 100 * t1 / t1000);
    snprintf(cap, sizeof cap,
             "Transactions per second against the check interval K; the "
             "flat line is the same screen without early exit. A check is "
             "one read of the flag beside a history look-up (about %s); "
             "what checking at every look-up costs is what this plot "
             "measures.%s On a loaded machine "
             "the rate swings from run to run (the line, with no checks at "
             "all, is a yardstick), so a difference that repeated runs do "
             "not show is noise.%s",
             a, here, load_note(e, ld, sizeof ld));
    draw(r, &q, cap);
}

void report_figures(struct report *r, const struct exp *e)
{
    if (!strcmp(e->name, "interval"))
        plots_interval(r, e);
    else if (!strcmp(e->name, "spectrum"))
        plots_spectrum(r, e);
    else if (!strcmp(e->name, "queue"))
        plots_queue(r, e);
    else if (!strcmp(e->name, "fraud"))
        plots_fraud(r, e);
}
