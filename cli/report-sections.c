/* SPDX-License-Identifier: MIT */
/* report-sections.c: one section of the report per experiment (here those of early exit: the prime search, the waste, the check interval, fraud screening): sentences computed from the run, a compact table, the plots. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report-parts.h"
#include "report-sections.h"

void rsec_row(struct report *r, struct rdoc_table *t, const char *c0,
                    const char *c1, const char *c2, const char *c3,
                    const char *c4, const char *c5, const char *c6)
{
    const char *cells[] = {c0, c1, c2, c3, c4, c5, c6, NULL};
    rdoc_row(&r->doc, t, cells);
}

/* The implementation of a row ("coord" when it does not say). */
const char *rsec_impl(const struct json *row)
{
    const char *im = json_str(json_get(row, "impl"));
    return im ? im : "coord";
}

/* An implementation as a reader calls it. */
const char *rsec_impl_label(const struct json *row)
{
    const char *im = rsec_impl(row);
    if (!strcmp(im, "coord"))
        return "coord";
    if (!strcmp(im, "python"))
        return "Python";
    if (!strcmp(im, "python_coord"))
        return "coord from Python";
    return im;
}

/* `v` rounded to 3 significant digits (for "396,000×", "12,200 per
 * second"). */
double rsec_sig3(double v)
{
    char b[32];
    snprintf(b, sizeof b, "%.3g", v);
    return strtod(b, NULL);
}

/* The row of `rows` whose member `key` is the string `val` and whose
 * implementation is `impl`, or NULL. */
const struct json *rsec_where(const struct json *rows,
                                        const char *key, const char *val,
                                        const char *impl)
{
    for (size_t i = 0; rows && i < rows->n; i++) {
        const struct json *row = rows->items[i];
        const char *v = json_str(json_get(row, key));
        if (v && !strcmp(v, val) && !strcmp(rsec_impl(row), impl))
            return row;
    }
    return NULL;
}

/* Row i's string member `key` when no earlier row has the same value (one
 * table line per distinct value), else NULL. */
const char *rsec_first_of(const struct json *rows, size_t i,
                            const char *key)
{
    const char *v = json_str(json_get(rows->items[i], key));
    for (size_t k = 0; v && k < i; k++) {
        const char *o = json_str(json_get(rows->items[k], key));
        if (o && !strcmp(o, v))
            return NULL;
    }
    return v;
}

/* ---- Example 27.1: the prime search --------------------------------------- */

static const char *const primes_modes[][2] = {
    {"early_exit", "early exit"},
    {"early_exit_persistent", "early exit, workers kept between searches"},
    {"no_early_exit", "no early exit"},
    {NULL, NULL}};

static void section_primes(struct report *r, const struct json *j)
{
    struct fmt f = {0};
    const struct json *rows = report_rows_with(j, "mode");
    const struct json *on = rsec_where(rows, "mode", "early_exit", "coord");
    const struct json *off = rsec_where(rows, "mode", "no_early_exit", "coord");
    const char *claim = json_str(json_get(j, "claim"));
    rdoc_para(&r->doc,
              "%s workers searched %s numbers each, from %s on, for the "
              "prime %s, %s numbers into worker %s's block; the first to "
              "find it claims the shared flag (%s) and the others stop at "
              "their next check.",
              NUM(&f, num(j, "workers")), NUM(&f, num(j, "range")),
              NUM(&f, num(j, "start")), NUM(&f, num(j, "target")),
              NUM(&f, num(j, "hit_at")), NUM(&f, num(j, "hit_worker")),
              claim && !strcmp(claim, "cas")
                  ? "one compare-and-swap, which does the lecture's lock, "
                    "check again, set in one instruction"
                  : "the lecture's lock, check again, set");
    if (on && off) {
        double ton = num(on, "wall_p50_ns"), toff = num(off, "wall_p50_ns");
        rdoc_para(&r->doc,
                  "With early exit the search took %s (median of %s runs) "
                  "and the other workers did %s iterations after the find; "
                  "without it, %s and %s wasted iterations (slide 3's "
                  "arithmetic: 297,000). Early exit made this search %.1f× "
                  "faster.",
                  NS(&f, ton), NUM(&f, num(j, "runs")),
                  NUM(&f, num(on, "wasted")), NS(&f, toff),
                  NUM(&f, num(off, "wasted")),
                  toff / ton);
    }
    static const char *const hdr[] = {
        "implementation", "mode", "time (median)", "iterations",
        "wasted after the find", "stop latency (median)", "check every",
        NULL};
    struct rdoc_table *t = rdoc_table(&r->doc, hdr);
    for (size_t i = 0; rows && i < rows->n; i++) {
        const struct json *row = rows->items[i];
        char m[64];
        f.i = 0;
        rsec_row(r, t,
                strcmp(rsec_impl(row), "python") ? "coord (C)" : "Python",
                report_label(primes_modes, json_str(json_get(row, "mode")), m,
                         sizeof m),
                NS(&f, num(row, "wall_p50_ns")),
                NUM(&f, num(row, "iterations")), NUM(&f, num(row, "wasted")),
                NS(&f, num(row, "stop_latency_p50_ns")),
                NUM(&f, num(row, "check_every")));
    }
}

/* ---- slide 3: the waste ---------------------------------------------------- */

static void section_waste(struct report *r, const struct json *j)
{
    struct fmt f = {0};
    const struct json *off = json_get(j, "without");
    const struct json *on = json_get(j, "with");
    bool lect = false;
    struct lecture_figure fig = report_waste_figure(j, &lect);
    char v[96];
    rdoc_para(&r->doc,
              "%s: %s workers × %s items, the hit at item %s. The "
              "arithmetic: the %s other workers each go on through their "
              "remaining %s items, %s wasted iterations. Measured without "
              "early exit, counting from the moment of the find: %s wasted "
              "(verdict: %s).%s",
              lect ? "Slide 3's setup" : "This run's setup (not the "
                                         "lecture's)",
              NUM(&f, num(j, "workers")), NUM(&f, num(j, "items")),
              NUM(&f, num(j, "hit_at")), NUM(&f, num(j, "workers") - 1),
              NUM(&f, num(j, "items") - num(j, "hit_at")), NUM(&f, fig.lo),
              NUM(&f, num(off, "wasted")),
              report_verdict_text(v, sizeof v, num(off, "wasted"), fig),
              report_verdict(num(off, "wasted"), fig, NULL) == VERDICT_LOWER
                  ? " Fewer than the arithmetic: the count starts at the "
                    "find, and when the winner reaches its hit late "
                    "(waiting for a core on a loaded machine) the others "
                    "have already done part of their work."
                  : "");
    rdoc_para(&r->doc,
              "With a check every %s items, the losers wasted %s iterations "
              "(at most %s: one interval each) and the run took %s instead "
              "of %s.",
              NUM(&f, num(on, "check_every")), NUM(&f, num(on, "wasted")),
              NUM(&f, num(on, "bound")), NS(&f, num(on, "wall_p50_ns")),
              NS(&f, num(off, "wall_p50_ns")));
    static const char *const hdr[] = {"", "without early exit",
                                      "with early exit", NULL};
    struct rdoc_table *t = rdoc_table(&r->doc, hdr);
    f.i = 0;
    rsec_row(r, t, "iterations done", NUM(&f, num(off, "iterations")),
            NUM(&f, num(on, "iterations")), NULL, NULL, NULL, NULL);
    rsec_row(r, t, "wasted iterations", NUM(&f, num(off, "wasted")),
            NUM(&f, num(on, "wasted")), NULL, NULL, NULL, NULL);
    rsec_row(r, t, "time (median)", NS(&f, num(off, "wall_p50_ns")),
            NS(&f, num(on, "wall_p50_ns")), NULL, NULL, NULL, NULL);
    rsec_row(r, t, "stop latency (median)",
            NS(&f, num(off, "stop_latency_p50_ns")),
            NS(&f, num(on, "stop_latency_p50_ns")), NULL, NULL, NULL, NULL);
}

/* ---- Example 27.2: the check interval ------------------------------------------ */

/* The row of `rows` for work `work` at interval label `k`, or NULL. */
static const struct json *interval_row(const struct json *rows,
                                       const char *work, const char *k)
{
    const char *wk = rows ? report_work_key(rows) : "work";
    for (size_t i = 0; rows && i < rows->n; i++) {
        const struct json *row = rows->items[i];
        char lb[32];
        const char *label = report_interval_label(row, lb, sizeof lb);
        const char *w = json_str(json_get(row, wk));
        if (label && w && !strcmp(label, k) && !strcmp(w, work))
            return row;
    }
    return NULL;
}

/* The table of one language's interval rows: K down, work across. */
static void interval_table(struct report *r, const struct json *rows)
{
    static const char *const hdr[] = {
        "check every K", "cheap loop: overhead",
        "cheap loop: stop latency p50 (p99)", "heavy loop: overhead",
        "heavy loop: stop latency p50 (p99)", NULL};
    struct rdoc_table *t = rdoc_table(&r->doc, hdr);
    const char *wk = report_work_key(rows);
    for (size_t i = 0; i < rows->n; i++) {
        const struct json *row = rows->items[i];
        char lb[32], k[48];
        const char *label = report_interval_label(row, lb, sizeof lb);
        const char *w = json_str(json_get(row, wk));
        if (!label || !w || strcmp(w, "cheap") != 0)
            continue; /* one line per K, from its cheap row */
        const struct json *h = interval_row(rows, "heavy", label);
        struct fmt f = {0};
        if (!strcmp(label, "auto"))
            snprintf(k, sizeof k, "auto (K = %s; heavy: %s)",
                     NUM(&f, num(row, "auto_k")), NUM(&f, num(h, "auto_k")));
        else
            snprintf(k, sizeof k, "%s", NUM(&f, atof(label)));
        rsec_row(r, t, k, PCT(&f, num(row, "overhead_pct")),
                NS2(&f, num(row, "stop_latency_p50_ns"),
                    num(row, "stop_latency_p99_ns")),
                PCT(&f, num(h, "overhead_pct")),
                NS2(&f, num(h, "stop_latency_p50_ns"),
                    num(h, "stop_latency_p99_ns")),
                NULL, NULL);
    }
}

static void section_interval(struct report *r, const struct json *j)
{
    struct fmt f = {0};
    const struct json *rows = report_rows_with(j, "overhead_pct");
    const struct json *py = json_path(j, "python.rows");
    if (py && !report_array_of_objects(py))
        py = NULL;
    rdoc_para(&r->doc,
              "%s workers ran the same loop and checked the shared flag "
              "every K iterations, with a cheap iteration (%s) and a heavy "
              "one (%s). The overhead is the extra time against the same "
              "loop without checks (median of %s runs); the stop latency is "
              "the time from the claim until the last worker stopped (over "
              "%s stops).",
              NUM(&f, num(j, "workers")),
              NS(&f, num(j, "cheap_iteration_ps") / 1e3),
              NS(&f, num(j, "heavy_iteration_ps") / 1e3),
              NUM(&f, num(j, "runs")), NUM(&f, num(j, "stops")));
    if (!rows) {
        rdoc_para(&r->doc, "The JSON has no interval rows.");
        return;
    }
    double o10[2], o1000[2];
    char v[192];
    report_interval_overheads(rows, o10, o1000);
    report_interval_verdict(v, sizeof v, o10, o1000);
    f.i = 0;
    rdoc_para(&r->doc,
              "In the cheap loop, checking every 10 iterations cost %s and "
              "every 1,000 cost %s; in the heavy loop, %s and %s. Slide 7 "
              "says frequent checks are measurably slower in tight loops "
              "only: %s.",
              PCT(&f, o10[0]), PCT(&f, o1000[0]), PCT(&f, o10[1]),
              PCT(&f, o1000[1]), v);
    const struct json *ac = interval_row(rows, "cheap", "auto");
    const struct json *ah = interval_row(rows, "heavy", "auto");
    if (ac && ah)
        rdoc_para(&r->doc,
                  "The automatic interval settled on K = %s for the cheap "
                  "loop (overhead %s, stop latency %s) and K = %s for the "
                  "heavy one (%s, %s): it checks about as often as the cost "
                  "of a check allows.",
                  NUM(&f, num(ac, "auto_k")), PCT(&f, num(ac, "overhead_pct")),
                  NS(&f, num(ac, "stop_latency_p50_ns")),
                  NUM(&f, num(ah, "auto_k")), PCT(&f, num(ah, "overhead_pct")),
                  NS(&f, num(ah, "stop_latency_p50_ns")));
    interval_table(r, rows);
    if (py) {
        double p10[2], p1000[2];
        report_interval_overheads(py, p10, p1000);
        f.i = 0;
        rdoc_para(&r->doc,
                  "The same loops in Python (multiprocessing.Value, its "
                  "cheap iteration %s): every 10 cost %s and every 1,000 "
                  "%s in the cheap loop; %s and %s in the heavy one.",
                  NS(&f, json_num(json_path(j, "python.cheap_iteration_ps"),
                                  NAN) / 1e3),
                  PCT(&f, p10[0]), PCT(&f, p1000[0]), PCT(&f, p10[1]),
                  PCT(&f, p1000[1]));
        interval_table(r, py);
    }
}

/* ---- slide 10: fraud screening ---------------------------------------------- */

static void fraud_lede(struct report *r, const struct json *j)
{
    struct fmt f = {0};
    const struct json *det = json_get(j, "detectors");
    char names[256] = "";
    size_t nl = 0;
    for (size_t i = 0; det && i < det->n && nl < sizeof names; i++) {
        char w[64];
        const char *d = json_str(det->items[i]);
        nl += (size_t)snprintf(names + nl, sizeof names - nl, "%s%s",
                               i ? ", " : "",
                               report_label(NULL, d, w, sizeof w));
    }
    rdoc_para(&r->doc,
              "%s detectors (%s) screened %s transactions, %s of them "
              "fraudulent (%s), with %s workers. Each transaction is "
              "screened by all detectors at once; the first to flag it "
              "claims it and the others abandon it at their next check of "
              "the flag, K history look-ups later.",
              NUM(&f, det ? (double)det->n : NAN), names,
              NUM(&f, num(j, "transactions")), NUM(&f, num(j, "injected")),
              /* The share of the screened transactions, as the sentence
               * says: the generator's --rate (fraud_rate) applies to the
               * warm-up too, and a CSV has none (null). */
              PCT(&f, num(j, "injected") / num(j, "transactions") * 100),
              NUM(&f, num(j, "workers")));
    const struct json *ref = json_get(j, "reference");
    const struct json *kinds = json_get(j, "by_kind");
    char caught[512] = "";
    size_t cl = 0;
    for (size_t i = 0; kinds && i < kinds->n && cl < sizeof caught; i++) {
        const struct json *kd = kinds->items[i];
        char w[64];
        const char *kind = json_str(json_get(kd, "kind"));
        f.i = 0;
        cl += (size_t)snprintf(caught + cl, sizeof caught - cl,
                               "%s%s %s of %s", i ? ", " : "",
                               report_label(NULL, kind, w, sizeof w),
                               NUM(&f, num(kd, "caught")),
                               NUM(&f, num(kd, "injected")));
    }
    f.i = 0;
    rdoc_para(&r->doc,
              "Every run's verdicts %s those of the one-thread reference "
              "screen (precision %s, recall %s; caught: %s).",
              json_true(json_get(j, "verdicts_identical")) ? "equal"
                                                            : "**differ "
                                                              "from**",
              NUM(&f, num(ref, "precision")), NUM(&f, num(ref, "recall")),
              caught);
}

static void section_fraud(struct report *r, const struct json *j)
{
    struct fmt f = {0};
    fraud_lede(r, j);
    const struct json *rows = report_rows_with(j, "tx_per_s");
    if (!rows) {
        rdoc_para(&r->doc, "The JSON has no fraud rows.");
        return;
    }
    const struct json *k1 = NULL, *k1000 = NULL, *off = NULL;
    for (size_t i = 0; i < rows->n; i++) {
        const struct json *row = rows->items[i];
        char lb[32];
        const char *label = report_interval_label(row, lb, sizeof lb);
        if (!json_true(json_get(row, "early_exit")))
            off = row;
        else if (label && !strcmp(label, "1"))
            k1 = row;
        else if (label && !strcmp(label, "1000"))
            k1000 = row;
    }
    if (k1 && k1000 && off) {
        double s1 = report_us(k1, "stop_latency_mean"),
               s1000 = report_us(k1000, "stop_latency_mean");
        double t1 = num(k1, "tx_per_s"), t1000 = num(k1000, "tx_per_s");
        rdoc_para(&r->doc,
                  "Checking at every look-up (K = 1), the losers stopped %s "
                  "after a claim (mean) and the screen handled %s "
                  "transactions per second; at K = 1,000, %s and %s; "
                  "without early exit, %s. Slide 10 expects faster "
                  "abandoning with "
                  "frequent checks (here: %s) at some throughput cost "
                  "(here K = 1 ran at %s of K = 1,000's rate).",
                  NS(&f, s1 * 1e3), NUM(&f, rsec_sig3(t1)), NS(&f, s1000 * 1e3),
                  NUM(&f, rsec_sig3(t1000)),
                  NUM(&f, rsec_sig3(num(off, "tx_per_s"))),
                  s1 < s1000 ? "yes" : "no, not in this run",
                  PCT(&f, t1 / t1000 * 100));
    }
    static const char *const hdr[] = {
        "check every K look-ups", "transactions per second",
        "response p50 (p99)", "losers stop after a claim: mean (p99)",
        "wasted slots per claim (look-ups at most)", NULL};
    struct rdoc_table *t = rdoc_table(&r->doc, hdr);
    for (size_t i = 0; i < rows->n; i++) {
        const struct json *row = rows->items[i];
        char lb[32], k[64];
        const char *label = report_interval_label(row, lb, sizeof lb);
        f.i = 0;
        if (!json_true(json_get(row, "early_exit")))
            snprintf(k, sizeof k, "no early exit");
        else if (label && !strcmp(label, "auto"))
            snprintf(k, sizeof k, "auto (K ≈ %s)",
                     NUM(&f, report_interval_x(row, label)));
        else
            snprintf(k, sizeof k, "%s", label ? NUM(&f, atof(label)) : "?");
        rsec_row(r, t, k, RATE(&f, num(row, "tx_per_s")),
                NS2(&f, report_us(row, "latency_p50") * 1e3,
                    report_us(row, "latency_p99") * 1e3),
                NS2(&f, report_us(row, "stop_latency_mean") * 1e3,
                    report_us(row, "stop_latency_p99") * 1e3),
                NUM(&f, num(row, "wasted_per_claim")), NULL, NULL);
    }
}

/* ---- the section -------------------------------------------------------------- */

static void section_failed(struct report *r, const struct exp *e)
{
    switch (e->state) {
    case EXP_SKIPPED:
        rdoc_para(&r->doc, "%s Not run (not in --only).", e->what);
        return;
    case EXP_MISSING:
        rdoc_para(&r->doc, "%s **Not available**: this build of coord has "
                           "no `%s` command.", e->what, e->name);
        return;
    case EXP_FAILED:
        if (e->partial)
            rdoc_para(&r->doc, "%s **Failed** after %.1f s: %s. No data: "
                               "what it printed before it stopped is in "
                               "`data/%s.out.txt`, its messages in "
                               "`data/%s.log`.",
                      e->what, e->secs, e->why, e->name, e->name);
        else
            rdoc_para(&r->doc, "%s **Failed** after %.1f s: %s. No data: it "
                               "printed nothing on stdout; its messages are "
                               "in `data/%s.log`.",
                      e->what, e->secs, e->why, e->name);
        return;
    case EXP_OK:
        return;
    }
}

void report_section(struct report *r, struct exp *e)
{
    rdoc_heading(&r->doc, RD_H2, e->name, "%s", e->title);
    if (e->state != EXP_OK) {
        section_failed(r, e);
        return;
    }
    static const struct {
        const char *name;
        void (*fn)(struct report *, const struct json *);
    } writers[] = {{"primes", section_primes},     {"waste", section_waste},
                   {"interval", section_interval},
                   {"spectrum", report_section_spectrum},
                   {"queue", report_section_queue},
                   {"fraud", section_fraud}};
    if (*e->why)
        rdoc_para(&r->doc, "`%s` ended with **%s**: a check it makes on "
                           "its own results failed; its results follow, and "
                           "its messages are in `data/%s.log`.",
                  e->cmdline, e->why, e->name);
    bool written = false;
    for (size_t i = 0; i < sizeof writers / sizeof writers[0]; i++)
        if (!strcmp(writers[i].name, e->name)) {
            writers[i].fn(r, e->j);
            written = true;
        }
    if (!written)
        rdoc_para(&r->doc, "%s", e->what);
    report_figures(r, e);
    rdoc_para(&r->doc,
              "Raw data: [`data/%s.json`](data/%s.json), from `%s` (%.1f s).",
              e->name, e->name, e->cmdline, e->secs);
}
