/* SPDX-License-Identifier: MIT */
/* report-sections.c: one section of the report per experiment: what ran and what it shows, in sentences computed from the run, a compact table, the plots. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report-parts.h"

/* Numbers formatted for one sentence or row: each call takes the next of
 * 16 buffers, so one printf can hold many. */
struct fmt {
    char s[16][64];
    size_t i;
};

static char *fb(struct fmt *f)
{
    return f->s[f->i++ % 16];
}

#define NUM(f, v) report_fmt_num(fb(f), 64, (v))
#define NS(f, v) report_fmt_ns(fb(f), 64, (v))
#define NS2(f, p50, p99) report_fmt_ns_spread(fb(f), 64, (p50), (p99))
#define PCT(f, v) report_fmt_pct(fb(f), 64, (v))
#define RATE(f, v) report_fmt_rate(fb(f), 64, (v))

/* One table row of up to 8 cells. */
static void row_put(struct report *r, struct rdoc_table *t, const char *c0,
                    const char *c1, const char *c2, const char *c3,
                    const char *c4, const char *c5, const char *c6)
{
    const char *cells[] = {c0, c1, c2, c3, c4, c5, c6, NULL};
    rdoc_row(&r->doc, t, cells);
}

static double num(const struct json *o, const char *key)
{
    return json_num(json_get(o, key), NAN);
}

/* A spectrum row's cost per operation in ns, quantile `q` ("p50", "p99"):
 * per_op_<q>_ps (integer picoseconds, coord.spectrum/2), else the older
 * ns_per_op_<q>. */
static double op_ns(const struct json *row, const char *q)
{
    char key[32];
    snprintf(key, sizeof key, "per_op_%s_ps", q);
    double v = num(row, key) / 1e3;
    if (isfinite(v))
        return v;
    snprintf(key, sizeof key, "ns_per_op_%s", q);
    return num(row, key);
}

/* The implementation of a row ("coord" when it does not say). */
static const char *impl_of(const struct json *row)
{
    const char *im = json_str(json_get(row, "impl"));
    return im ? im : "coord";
}

/* An implementation as a reader calls it. */
static const char *impl_label(const struct json *row)
{
    const char *im = impl_of(row);
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
static double sig3(double v)
{
    char b[32];
    snprintf(b, sizeof b, "%.3g", v);
    return strtod(b, NULL);
}

/* The row of `rows` whose member `key` is the string `val` and whose
 * implementation is `impl`, or NULL. */
static const struct json *row_where(const struct json *rows, const char *key,
                                    const char *val, const char *impl)
{
    for (size_t i = 0; rows && i < rows->n; i++) {
        const struct json *row = rows->items[i];
        const char *v = json_str(json_get(row, key));
        if (v && !strcmp(v, val) && !strcmp(impl_of(row), impl))
            return row;
    }
    return NULL;
}

/* Row i's string member `key` when no earlier row has the same value (one
 * table line per distinct value), else NULL. */
static const char *first_of(const struct json *rows, size_t i,
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
    const struct json *on = row_where(rows, "mode", "early_exit", "coord");
    const struct json *off = row_where(rows, "mode", "no_early_exit", "coord");
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
        row_put(r, t,
                strcmp(impl_of(row), "python") ? "coord (C)" : "Python",
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
    row_put(r, t, "iterations done", NUM(&f, num(off, "iterations")),
            NUM(&f, num(on, "iterations")), NULL, NULL, NULL, NULL);
    row_put(r, t, "wasted iterations", NUM(&f, num(off, "wasted")),
            NUM(&f, num(on, "wasted")), NULL, NULL, NULL, NULL);
    row_put(r, t, "time (median)", NS(&f, num(off, "wall_p50_ns")),
            NS(&f, num(on, "wall_p50_ns")), NULL, NULL, NULL, NULL);
    row_put(r, t, "stop latency (median)",
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
        row_put(r, t, k, PCT(&f, num(row, "overhead_pct")),
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

/* ---- slide 8: the cost spectrum -------------------------------------------- */

/* A spectrum row's figure as "p50 (p99 x)", or "—". */
static const char *spectrum_cell(struct fmt *f, const struct json *row)
{
    if (!row)
        return "—";
    return NS2(f, op_ns(row, "p50"), op_ns(row, "p99"));
}

static void section_spectrum(struct report *r, const struct json *j)
{
    struct fmt f = {0};
    const struct json *rows = report_rows_with(j, "mechanism");
    if (!rows) {
        rdoc_para(&r->doc, "The JSON has no spectrum rows.");
        return;
    }
    /* The cheapest and dearest access measured, of any implementation. */
    const struct json *lo = NULL, *hi = NULL;
    for (size_t i = 0; i < rows->n; i++) {
        double v = op_ns(rows->items[i], "p50");
        const char *im = impl_of(rows->items[i]);
        if (!(v > 0) || (strcmp(im, "coord") && strcmp(im, "python")))
            continue; /* (coord from Python: its own section of docs) */
        if (!lo || v < op_ns(lo, "p50"))
            lo = rows->items[i];
        if (!hi || v > op_ns(hi, "p50"))
            hi = rows->items[i];
    }
    const struct json *pv = row_where(rows, "mechanism", "flag_check", "python");
    const struct json *pm = row_where(rows, "mechanism", "manager_get", "python");
    char l1[64], l2[64], vv[96], vm[96];
    if (lo && hi)
        rdoc_para(&r->doc,
                  "The cost of one access to shared state, mechanism by "
                  "mechanism (median of %s runs): from %s "
                  "for %s's %s to %s for %s's %s, %s× apart.",
                  NUM(&f, num(j, "runs")), NS(&f, op_ns(lo, "p50")),
                  impl_label(lo),
                  report_mech_label(json_str(json_get(lo, "mechanism")), l1,
                                    sizeof l1),
                  NS(&f, op_ns(hi, "p50")), impl_label(hi),
                  report_mech_label(json_str(json_get(hi, "mechanism")), l2,
                                    sizeof l2),
                  NUM(&f, sig3(op_ns(hi, "p50") /
                               op_ns(lo, "p50"))));
    if (pv && pm) {
        double v = op_ns(pv, "p50"), m = op_ns(pm, "p50");
        const struct lecture_claim *cv = report_lecture_claim("flag_check");
        const struct lecture_claim *cm = report_lecture_claim("manager_get");
        const struct lecture_claim *cr =
            report_lecture_claim("manager_over_value");
        char vr[96];
        rdoc_para(&r->doc,
                  "In Python, a Value read (the flag check) costs %s here, "
                  "where the lecture says ~10–100 ns: %s. A Manager dict "
                  "get costs %s, where it says 1–5 ms: %s. That makes the "
                  "Manager %s× slower than the Value, where it says "
                  "1,000–50,000×: %s.",
                  NS(&f, v), report_verdict_text(vv, sizeof vv, v, cv->fig),
                  NS(&f, m), report_verdict_text(vm, sizeof vm, m, cm->fig),
                  NUM(&f, sig3(m / v)),
                  report_verdict_text(vr, sizeof vr, m / v, cr->fig));
        rdoc_para(&r->doc, "In the table, the lecture's figure and the "
                           "verdict are for Python's multiprocessing (the "
                           "lecture's language); p99 in brackets.");
    } else {
        rdoc_para(&r->doc, "Python's side did not run (`--no-python`, or no "
                           "python3): only coord's figures.");
    }
    static const char *const hdr[] = {
        "access", "coord (C)", "Python multiprocessing", "coord from Python",
        "the lecture", "verdict", NULL};
    struct rdoc_table *t = rdoc_table(&r->doc, hdr);
    /* One line per mechanism, in the order of the rows. */
    for (size_t i = 0; i < rows->n; i++) {
        const char *mech = first_of(rows, i, "mechanism");
        if (!mech)
            continue;
        const struct json *c = row_where(rows, "mechanism", mech, "coord");
        const struct json *p = row_where(rows, "mechanism", mech, "python");
        const struct json *pc =
            row_where(rows, "mechanism", mech, "python_coord");
        const struct lecture_claim *lc = report_lecture_claim(mech);
        char lb[64], v[96];
        f.i = 0;
        row_put(r, t, report_mech_label(mech, lb, sizeof lb),
                spectrum_cell(&f, c), spectrum_cell(&f, p),
                spectrum_cell(&f, pc), lc ? lc->figure : "",
                lc && p ? report_verdict_text(v, sizeof v,
                                              op_ns(p, "p50"),
                                              lc->fig)
                        : "",
                NULL);
    }
}

/* ---- slide 2: the queue and its pills ----------------------------------------- */

static const char *const queue_probes[][2] = {
    {"pool_map_sigkilled_worker", "a pool worker is killed during map"},
    {"producer_exit_after_put", "a producer exits right after put"},
    {"consumer_killed_in_get", "a consumer is killed inside get"},
    {NULL, NULL}};

/* The rate of implementation `impl` for the case of row `like`. */
static double queue_rate(const struct json *rows, const struct json *like,
                         const char *impl)
{
    const char *cs = json_str(json_get(like, "case"));
    for (size_t i = 0; cs && i < rows->n; i++) {
        const struct json *row = rows->items[i];
        const char *c = json_str(json_get(row, "case"));
        if (c && !strcmp(c, cs) && !strcmp(impl_of(row), impl) &&
            num(row, "msg_bytes") == num(like, "msg_bytes"))
            return num(row, "msgs_per_s");
    }
    return NAN;
}

static void queue_probe_table(struct report *r, const struct json *probes)
{
    static const char *const hdr[] = {"what goes wrong", "coord",
                                      "Python multiprocessing", NULL};
    struct rdoc_table *t = rdoc_table(&r->doc, hdr);
    for (size_t i = 0; i < probes->n; i++) {
        const char *name = first_of(probes, i, "probe");
        if (!name)
            continue;
        char lb[96], cell[2][256];
        for (int py = 0; py < 2; py++) {
            const struct json *q =
                row_where(probes, "probe", name, py ? "python" : "coord");
            const struct json *ok = json_get(q, "ok");
            const char *detail = json_str(json_get(q, "detail"));
            snprintf(cell[py], sizeof cell[py], "%s%s%s",
                     !ok || ok->type != JSON_BOOL ? "not run"
                     : ok->b                      ? "passed"
                                                  : "**failed**",
                     detail ? ": " : "", detail ? detail : "");
        }
        row_put(r, t, report_label(queue_probes, name, lb, sizeof lb), cell[0],
                cell[1], NULL, NULL, NULL, NULL);
    }
}

static void section_queue(struct report *r, const struct json *j)
{
    struct fmt f = {0};
    const struct json *rows = report_rows_with(j, "msgs_per_s");
    const struct json *probes = report_rows_with(j, "probe");
    struct queue_tally k;
    report_queue_tally(j, &k);
    rdoc_para(&r->doc,
              "Producers put messages into one bounded queue (capacity %s), "
              "then one pill per consumer; each consumer stops at its pill. "
              "In %zu of %zu runs every message arrived exactly once "
              "(coord's queue, a pipe and Python's multiprocessing.Queue).",
              NUM(&f, num(j, "queue_capacity")), k.once, k.runs);
    const struct json *first = rows ? rows->items[0] : NULL;
    double c = queue_rate(rows, first, "coord");
    if (first && isfinite(c))
        rdoc_para(&r->doc,
                  "From %s producer%s to %s consumer%s with %s-byte "
                  "messages, coord's queue moved %s messages per second, "
                  "%s× a pipe and %s× Python's Queue.",
                  NUM(&f, num(first, "producers")),
                  num(first, "producers") == 1 ? "" : "s",
                  NUM(&f, num(first, "consumers")),
                  num(first, "consumers") == 1 ? "" : "s",
                  NUM(&f, num(first, "msg_bytes")), NUM(&f, sig3(c)),
                  NUM(&f, round(c / queue_rate(rows, first, "pipe"))),
                  NUM(&f, round(c / queue_rate(rows, first, "python"))));
    if (k.probes[0] + k.probes[1] > 0)
        rdoc_para(&r->doc,
                  "Slide 2's pattern assumes nobody dies. When a process is "
                  "killed mid-way (the fault probes below), coord passed %zu "
                  "of %zu and Python %zu of %zu.",
                  k.probes_ok[0], k.probes[0], k.probes_ok[1], k.probes[1]);
    if (rows) {
        static const char *const hdr[] = {
            "producers → consumers", "message", "coord", "pipe",
            "Python", "every message once", NULL};
        struct rdoc_table *t = rdoc_table(&r->doc, hdr);
        for (size_t i = 0; i < rows->n; i++) {
            const struct json *row = rows->items[i];
            if (strcmp(impl_of(row), "coord") != 0)
                continue; /* one line per case, from its coord row */
            bool once = true, known = false;
            for (size_t o = 0; o < rows->n; o++) {
                const struct json *x = rows->items[o];
                const struct json *eo = json_get(x, "exactly_once");
                const char *cx = json_str(json_get(x, "case"));
                const char *cr = json_str(json_get(row, "case"));
                if (!cx || !cr || strcmp(cx, cr) != 0 ||
                    num(x, "msg_bytes") != num(row, "msg_bytes") || !eo ||
                    eo->type != JSON_BOOL)
                    continue;
                known = true;
                once &= eo->b;
            }
            char pc[48], sz[32];
            f.i = 0;
            snprintf(pc, sizeof pc, "%s → %s", NUM(&f, num(row, "producers")),
                     NUM(&f, num(row, "consumers")));
            snprintf(sz, sizeof sz, "%s B", NUM(&f, num(row, "msg_bytes")));
            row_put(r, t, pc, sz, RATE(&f, num(row, "msgs_per_s")),
                    RATE(&f, queue_rate(rows, row, "pipe")),
                    RATE(&f, queue_rate(rows, row, "python")),
                    !known ? "not run" : once ? "yes" : "**NO**", NULL);
        }
    }
    if (probes)
        queue_probe_table(r, probes);
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
        nl += (size_t)snprintf(names + nl, sizeof names - nl, "%s%s",
                               i ? ", " : "",
                               report_label(NULL, json_str(det->items[i]), w, sizeof w));
    }
    rdoc_para(&r->doc,
              "%s detectors (%s) screened %s transactions, %s of them "
              "fraudulent (%s %%), with %s workers. Each transaction is "
              "screened by all detectors at once; the first to flag it "
              "claims it and the others abandon it at their next check of "
              "the flag, K history look-ups later.",
              NUM(&f, det ? (double)det->n : NAN), names,
              NUM(&f, num(j, "transactions")), NUM(&f, num(j, "injected")),
              NUM(&f, num(j, "fraud_rate") * 100), NUM(&f, num(j, "workers")));
    const struct json *ref = json_get(j, "reference");
    const struct json *kinds = json_get(j, "by_kind");
    char caught[512] = "";
    size_t cl = 0;
    for (size_t i = 0; kinds && i < kinds->n && cl < sizeof caught; i++) {
        const struct json *kd = kinds->items[i];
        char w[64];
        f.i = 0;
        cl += (size_t)snprintf(caught + cl, sizeof caught - cl,
                               "%s%s %s of %s", i ? ", " : "",
                               report_label(NULL, json_str(json_get(kd, "kind")),
                                            w, sizeof w),
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
                  "without early exit, %s. Slide 10 expects faster abandoning with "
                  "frequent checks (here: %s) at some throughput cost "
                  "(here K = 1 ran at %s of K = 1,000's rate).",
                  NS(&f, s1 * 1e3), NUM(&f, sig3(t1)), NS(&f, s1000 * 1e3),
                  NUM(&f, sig3(t1000)), NUM(&f, sig3(num(off, "tx_per_s"))),
                  s1 < s1000 ? "yes" : "no, not in this run",
                  PCT(&f, t1 / t1000 * 100));
    }
    static const char *const hdr[] = {
        "check every K look-ups", "transactions per second",
        "response p50 (p99)", "losers stop after a claim: mean (p99)",
        "wasted look-ups per claim", NULL};
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
        row_put(r, t, k, RATE(&f, num(row, "tx_per_s")),
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
                   {"interval", section_interval}, {"spectrum", section_spectrum},
                   {"queue", section_queue},       {"fraud", section_fraud}};
    bool written = false;
    for (size_t i = 0; i < sizeof writers / sizeof writers[0]; i++)
        if (!strcmp(writers[i].name, e->name)) {
            writers[i].fn(r, e->j);
            written = true;
        }
    if (!written)
        rdoc_para(&r->doc, "%s", e->what);
    report_figures(r, e);
    rdoc_para(&r->doc, "Raw data: `data/%s.json`, from `%s` (%.1f s).",
              e->name, e->cmdline, e->secs);
}
