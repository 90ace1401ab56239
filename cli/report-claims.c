/* SPDX-License-Identifier: MIT */
/* report-claims.c: the lecture's claims, measured: one row per measurement with this run's figure and its one verdict. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report-parts.h"

/* ---- the one verdict rule ------------------------------------------------ */

/* The lecture's times are orders of magnitude ("~100 ns"): within this
 * factor of its range a time holds. */
#define APPROX_FACTOR 3.0
/* Its counts are arithmetic (297,000): within this fraction they hold. */
#define EXACT_TOLERANCE 0.05

const char report_verdict_rule[] =
    "**How a verdict is decided.** The lecture's times and ratios are "
    "orders of magnitude (\"~100 ns\"), so a measurement **holds** when it "
    "lies within 3× of the lecture's figure or range (for ~10–100 ns: from "
    "3.3 ns to 300 ns); slide 3's count is arithmetic, so it holds within "
    "±5 %. Outside that it is **off by N×**: N times lower or higher than "
    "the nearest end of the lecture's range. **depends** marks a claim that "
    "is true under some conditions only (the row says which). Python's "
    "figures are judged, the lecture's language; coord's C figures are "
    "shown beside them for comparison. Each measurement is judged once, by "
    "this rule, wherever it appears in the report.";

enum verdict report_verdict(double v, struct lecture_figure f, double *factor)
{
    double lo = f.lo, hi = f.hi;
    if (factor)
        *factor = 1;
    if (!isfinite(v) || !(lo > 0) || !(hi >= lo))
        return VERDICT_NOT_MEASURED;
    double slack_lo = f.exact ? lo * (1 - EXACT_TOLERANCE) : lo / APPROX_FACTOR;
    double slack_hi = f.exact ? hi * (1 + EXACT_TOLERANCE) : hi * APPROX_FACTOR;
    if (v >= slack_lo && v <= slack_hi)
        return VERDICT_HOLDS;
    if (v < slack_lo) {
        if (factor)
            *factor = v > 0 ? lo / v : INFINITY;
        return VERDICT_LOWER;
    }
    if (factor)
        *factor = v / hi;
    return VERDICT_HIGHER;
}

const char *report_verdict_text(char *buf, size_t cap, double v,
                                struct lecture_figure f)
{
    double k = 1;
    switch (report_verdict(v, f, &k)) {
    case VERDICT_HOLDS:
        snprintf(buf, cap, "holds");
        break;
    case VERDICT_LOWER:
        snprintf(buf, cap, "off by %.3g× (lower here)", k);
        break;
    case VERDICT_HIGHER:
        snprintf(buf, cap, "off by %.3g× (higher here)", k);
        break;
    case VERDICT_NOT_MEASURED:
        snprintf(buf, cap, "not measured");
        break;
    }
    return buf;
}

/* What the lecture says about each Python mechanism of the spectrum: the
 * one figure every table of the report judges that measurement by. */
static const struct lecture_claim spectrum_claims[] = {
    {"flag_check", "6, 8",
     "A Value read (the flag check) costs ~10–100 ns (slide 6: a memory "
     "access and a barrier; slide 8: ~100 ns)",
     "~10–100 ns", {10, 100, false}},
    {"value_get", "8", "A Value access: ~100 ns", "~100 ns",
     {100, 100, false}},
    {"value_set", "8", "A Value access: ~100 ns", "~100 ns",
     {100, 100, false}},
    {"array_read", "8", "Array: ~100 ns per element", "~100 ns",
     {100, 100, false}},
    {"array_write", "8", "Array: ~100 ns per element", "~100 ns",
     {100, 100, false}},
    {"region_read", "8", "shared_memory: ~100 ns", "~100 ns",
     {100, 100, false}},
    {"manager_get", "8", "Manager.dict / .list: 1–5 ms per access",
     "1–5 ms", {1e6, 5e6, false}},
    {"manager_set", "8", "Manager.dict / .list: 1–5 ms per access",
     "1–5 ms", {1e6, 5e6, false}},
    {"manager_incr", "8", "Manager.dict / .list: 1–5 ms per access",
     "1–5 ms", {1e6, 5e6, false}},
    /* Not a mechanism: the ratio of a Manager get to a Value read. */
    {"manager_over_value", "8",
     "A Manager access is 1,000–50,000× slower than a Value access",
     "1,000–50,000×", {1000, 50000, false}},
};

const struct lecture_claim *report_lecture_claim(const char *mechanism)
{
    for (size_t i = 0; i < sizeof spectrum_claims / sizeof spectrum_claims[0];
         i++)
        if (!strcmp(spectrum_claims[i].mech, mechanism))
            return &spectrum_claims[i];
    return NULL;
}

/* ---- the figures each claim needs ------------------------------------------ */

void report_queue_tally(const struct json *q, struct queue_tally *t)
{
    memset(t, 0, sizeof *t);
    const struct json *rows = report_rows_with(q, "exactly_once");
    const struct json *probes = report_rows_with(q, "probe");
    for (size_t i = 0; rows && i < rows->n; i++) {
        /* A skipped row (no python3) says null: it was not run, so it
         * counts neither way. */
        const struct json *eo = json_get(rows->items[i], "exactly_once");
        if (!eo || eo->type != JSON_BOOL)
            continue;
        t->runs++;
        t->once += eo->b;
        const char *impl = json_str(json_get(rows->items[i], "impl"));
        t->py_runs += impl && !strcmp(impl, "python");
    }
    for (size_t i = 0; probes && i < probes->n; i++) {
        const char *impl = json_str(json_get(probes->items[i], "impl"));
        const struct json *pok = json_get(probes->items[i], "ok");
        int py = impl && !strcmp(impl, "python");
        if (!pok || pok->type != JSON_BOOL)
            continue; /* skipped (no python3): neither passed nor failed */
        t->probes[py]++;
        t->probes_ok[py] += pok->b;
    }
}

struct lecture_figure report_waste_figure(const struct json *w,
                                          bool *lecture_setup)
{
    bool lect = report_jnum(w, "workers") == 4 &&
                report_jnum(w, "items") == 100000 &&
                report_jnum(w, "hit_at") == 1000;
    double want = lect ? 297000 : report_jnum(w, "lecture_wasted");
    if (lecture_setup)
        *lecture_setup = lect;
    return (struct lecture_figure){want, want, true};
}

bool report_interval_overheads(const struct json *rows, double o10[2],
                               double o1000[2])
{
    o10[0] = o10[1] = o1000[0] = o1000[1] = NAN;
    for (size_t i = 0; rows && i < rows->n; i++) {
        const struct json *row = rows->items[i];
        char lb[32];
        const char *label = report_interval_label(row, lb, sizeof lb);
        const char *wl = json_str(json_get(row, report_work_key(rows)));
        double o = json_num(json_get(row, "overhead_pct"), NAN);
        if (!label || !wl)
            continue;
        int heavy = strstr(wl, "cheap") == NULL;
        if (!strcmp(label, "10"))
            o10[heavy] = o;
        if (!strcmp(label, "1000"))
            o1000[heavy] = o;
    }
    return isfinite(o10[0]) && isfinite(o10[1]) && isfinite(o1000[0]) &&
           isfinite(o1000[1]);
}

/* The difference (percentage points) counted as measurable. */
#define MEASURABLE_PCT 2.0

const char *report_interval_verdict(char *buf, size_t cap,
                                    const double o10[2],
                                    const double o1000[2])
{
    double dc = o10[0] - o1000[0], dh = fabs(o10[1] - o1000[1]);
    if (!isfinite(dc) || !isfinite(dh))
        snprintf(buf, cap, "not measured (no rows at 10 and 1000)");
    else if (dc > MEASURABLE_PCT && dh < MEASURABLE_PCT)
        snprintf(buf, cap, "holds");
    else if (dc <= MEASURABLE_PCT)
        snprintf(buf, cap, "depends: here even the tight loop pays under "
                           "%.0f points more at every 10", MEASURABLE_PCT);
    else
        snprintf(buf, cap, "depends: the heavy loop differs by %.1f points "
                           "too (noise on a loaded machine, or real)", dh);
    return buf;
}

/* ---- the table -------------------------------------------------------------- */

static void claim_row(struct report *r, struct rdoc_table *t, const char *slide,
                      const char *claim, const char *measured,
                      const char *verdict)
{
    const char *cells[] = {slide, claim, measured, verdict, NULL};
    rdoc_row(&r->doc, t, cells);
}

static void claim_queue(struct report *r, struct rdoc_table *t)
{
    char m[256] = "—", v[192];
    const struct json *q = report_exp_json("queue", v, sizeof v);
    if (q) {
        struct queue_tally k;
        report_queue_tally(q, &k);
        /* Name only the implementations that ran (no Python when its
         * side was left out or failed). */
        snprintf(m, sizeof m, "every message exactly once in %zu of %zu "
                 "runs (coord, pipe%s); fault probes passed: coord "
                 "%zu of %zu, Python %zu of %zu",
                 k.once, k.runs, k.py_runs ? ", Python" : "", k.probes_ok[0],
                 k.probes[0], k.probes_ok[1], k.probes[1]);
        if (k.runs == 0)
            snprintf(v, sizeof v, "not measured (no exactly_once rows)");
        else if (k.once < k.runs)
            snprintf(v, sizeof v, "does not hold: %zu runs lost or "
                     "duplicated messages", k.runs - k.once);
        else if (k.probes_ok[0] < k.probes[0])
            snprintf(v, sizeof v, "does not hold: coord's queue failed %zu "
                     "of %zu fault probes", k.probes[0] - k.probes_ok[0],
                     k.probes[0]);
        else if (k.probes_ok[1] < k.probes[1])
            snprintf(v, sizeof v, "depends: holds while nothing crashes; "
                     "when a process dies mid-way Python's Queue failed %zu "
                     "of %zu probes (coord %zu)", k.probes[1] - k.probes_ok[1],
                     k.probes[1], k.probes[0] - k.probes_ok[0]);
        else
            snprintf(v, sizeof v, "holds");
    }
    claim_row(r, t, "2",
              "One pill per worker shuts a queue down cleanly: no task lost, "
              "none run twice",
              m, v);
}

static void claim_waste(struct report *r, struct rdoc_table *t)
{
    char m[256] = "—", v[192], a[32], b[32], c[32], why[160];
    const struct json *w = report_exp_json("waste", v, sizeof v);
    if (w) {
        double off = json_num(json_path(w, "without.wasted"), NAN);
        double on = json_num(json_path(w, "with.wasted"), NAN);
        bool lect = false;
        struct lecture_figure f = report_waste_figure(w, &lect);
        size_t ml = (size_t)snprintf(
            m, sizeof m, "%s wasted without early exit (arithmetic: %s); %s "
            "with it", report_fmt_num(a, sizeof a, off),
            report_fmt_num(b, sizeof b, f.lo),
            report_fmt_num(c, sizeof c, on));
        report_verdict_text(v, sizeof v, off, f);
        /* The prime search runs the same setup: its count, for contrast. */
        const struct json *pr = report_exp_json("primes", why, sizeof why);
        const struct json *prow = report_rows_with(pr, "mode");
        for (size_t i = 0; prow && i < prow->n && ml < sizeof m; i++) {
            const char *mode = json_str(json_get(prow->items[i], "mode"));
            const char *impl = json_str(json_get(prow->items[i], "impl"));
            if (mode && !strcmp(mode, "no_early_exit") &&
                (!impl || !strcmp(impl, "coord")))
                snprintf(m + ml, sizeof m - ml,
                         "; the prime search (Example 27.1): %s",
                         report_fmt_num(a, sizeof a,
                                        json_num(json_get(prow->items[i],
                                                          "wasted"),
                                                 NAN)));
        }
        if (!lect && isfinite(off))
            snprintf(v + strlen(v), sizeof v - strlen(v),
                     " (for the run's own sizes, not the lecture's)");
    }
    claim_row(r, t, "3",
              "4 workers × 100,000 items, hit at 1,000: 297,000 wasted "
              "iterations without early exit",
              m, v);
}

/* Why a spectrum that ran has no Python figure: its JSON's "python"
 * says (left out by --no-python, no python3, or a run that failed). */
static void python_missing(char *v, size_t cap, const struct json *s)
{
    const char *why = json_str(json_get(s, "python"));
    if (!why || !*why || !strcmp(why, "ran"))
        snprintf(v, cap, "not measured (no Python figure)");
    else if (!strncmp(why, "not requested", 13))
        snprintf(v, cap, "not measured (Python's side left out: "
                         "--no-python)");
    else
        snprintf(v, cap, "not measured (Python's side %.120s)", why);
}

/* One row for a Python mechanism of the spectrum, judged by its one
 * lecture figure; coord's figure beside it. */
static void claim_mechanism(struct report *r, struct rdoc_table *t,
                            const struct json *s, const char *why,
                            const char *mech, const char *label)
{
    const struct lecture_claim *lc = report_lecture_claim(mech);
    char m[256] = "—", v[192], a[32], b[32];
    if (s) {
        double pv = report_spectrum_value(s, mech, true);
        double cv = report_spectrum_value(s, mech, false);
        snprintf(m, sizeof m, "Python %s: %s; coord: %s", label,
                 report_fmt_ns(a, sizeof a, pv),
                 report_fmt_ns(b, sizeof b, cv));
        if (isfinite(pv))
            report_verdict_text(v, sizeof v, pv, lc->fig);
        else
            python_missing(v, sizeof v, s);
    } else {
        snprintf(v, sizeof v, "%s", why);
    }
    claim_row(r, t, lc->slides, lc->text, m, v);
}

static void claim_ratio(struct report *r, struct rdoc_table *t,
                        const struct json *s, const char *why)
{
    const struct lecture_claim *lc = report_lecture_claim("manager_over_value");
    char m[256] = "—", v[192], a[32], b[32];
    if (s) {
        double ratio = report_spectrum_value(s, "manager_get", true) /
                       report_spectrum_value(s, "flag_check", true);
        double cratio = report_spectrum_value(s, "manager_get", false) /
                        report_spectrum_value(s, "value_get", false);
        if (isfinite(ratio)) {
            snprintf(m, sizeof m, "Python: %s× (Manager dict get over "
                     "Value read); coord: %s× (manager get over value get)",
                     report_fmt_num(a, sizeof a, round(ratio)),
                     report_fmt_num(b, sizeof b, round(cratio)));
            report_verdict_text(v, sizeof v, ratio, lc->fig);
        } else {
            /* No "—×": Python's side gave no figures. */
            snprintf(m, sizeof m, "Python: —; coord: %s× (manager get over "
                     "value get)", report_fmt_num(b, sizeof b, round(cratio)));
            python_missing(v, sizeof v, s);
        }
    } else {
        snprintf(v, sizeof v, "%s", why);
    }
    claim_row(r, t, lc->slides, lc->text, m, v);
}

/* Slide 7: frequent checks are measurably slower in tight loops only. One
 * row per language: the lecture speaks of Python. */
static void claim_interval(struct report *r, struct rdoc_table *t)
{
    static const char claim[] = "Checking every 10 is measurably slower "
                                "than every 1,000 in tight loops, "
                                "negligible in heavy ones";
    char m[256] = "—", v[192], a[32], b[32], c[32], d[32];
    const struct json *iv = report_exp_json("interval", v, sizeof v);
    if (!iv) {
        claim_row(r, t, "7", claim, m, v);
        return;
    }
    const struct json *py = json_path(iv, "python.rows");
    for (int lang = 0; lang < 2; lang++) {
        const struct json *rows =
            lang == 0 ? report_rows_with(iv, "overhead_pct") : py;
        if (lang == 1 && (!rows || !report_array_of_objects(rows)))
            break; /* no Python side */
        double o10[2], o1000[2];
        report_interval_overheads(rows, o10, o1000);
        snprintf(m, sizeof m,
                 "%s: tight loop %s %% (every 10) vs %s %% (every 1,000); "
                 "heavy loop %s %% vs %s %%",
                 lang ? "Python" : "C", report_fmt_num(a, sizeof a, o10[0]),
                 report_fmt_num(b, sizeof b, o1000[0]),
                 report_fmt_num(c, sizeof c, o10[1]),
                 report_fmt_num(d, sizeof d, o1000[1]));
        report_interval_verdict(v, sizeof v, o10, o1000);
        claim_row(r, t, "7", claim, m, v);
    }
}

/* Slide 10: fraud screening. */
static void claim_fraud(struct report *r, struct rdoc_table *t)
{
    char m[320] = "—", v[192], a[32], b[32], c[32], d[32], e[32];
    const struct json *f = report_exp_json("fraud", v, sizeof v);
    if (f) {
        const struct json *rows = report_rows_with(f, "tx_per_s");
        double s1 = NAN, s1000 = NAN, t1 = NAN, t1000 = NAN, toff = NAN;
        bool same = true;
        for (size_t i = 0; rows && i < rows->n; i++) {
            const struct json *row = rows->items[i];
            char lb[32];
            const char *label = report_interval_label(row, lb, sizeof lb);
            double sl = report_us(row, "stop_latency_mean");
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
                 "losers stop %s after a claim at K = 1, %s at K = 1,000; "
                 "%s vs %s transactions/s (%s without early exit); "
                 "verdicts identical: %s",
                 report_fmt_ns(a, sizeof a, s1 * 1e3),
                 report_fmt_ns(b, sizeof b, s1000 * 1e3),
                 report_fmt_num(c, sizeof c, round(t1)),
                 report_fmt_num(d, sizeof d, round(t1000)),
                 report_fmt_num(e, sizeof e, round(toff)),
                 same ? "yes" : "NO");
        if (!isfinite(s1) || !isfinite(s1000))
            snprintf(v, sizeof v, "not measured (no K = 1 and K = 1,000 "
                                  "rows)");
        else if (s1 < s1000 && same)
            snprintf(v, sizeof v, "holds for the response; the throughput "
                                  "cost of frequent checks is %s",
                     t1 < t1000 * 0.85 ? "visible (over 15 %)"
                                       : "below the noise here");
        else if (!same)
            snprintf(v, sizeof v, "does not hold: a run's verdicts differ "
                                  "from the reference");
        else
            snprintf(v, sizeof v, "depends: losers did not stop sooner at "
                                  "K = 1 in this run (see the fraud "
                                  "section)");
    }
    claim_row(r, t, "10",
              "Check frequency sets how fast the others abandon a flagged "
              "transaction; too frequent costs throughput",
              m, v);
}

void report_claims(struct report *r)
{
    rdoc_para(&r->doc, "%s", report_verdict_rule);
    static const char *const hdr[] = {"slide", "the lecture says",
                                      "measured here", "verdict", NULL};
    struct rdoc_table *t = rdoc_table(&r->doc, hdr);
    char why[192];
    const struct json *s = report_exp_json("spectrum", why, sizeof why);
    claim_queue(r, t);
    claim_waste(r, t);
    claim_mechanism(r, t, s, why, "flag_check", "Value.value read");
    claim_interval(r, t);
    claim_mechanism(r, t, s, why, "manager_get", "Manager dict get");
    claim_mechanism(r, t, s, why, "array_read", "Array element read");
    claim_mechanism(r, t, s, why, "region_read", "shared_memory read");
    claim_ratio(r, t, s, why);
    claim_fraud(r, t);
}
