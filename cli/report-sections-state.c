/* SPDX-License-Identifier: MIT */
/* report-sections-state.c: the sections of the shared-state experiments (slide 8's cost spectrum, slide 2's queue and its pills): sentences from the run, labelled tables. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "advise-model.h"
#include "report-parts.h"
#include "report-sections.h"

/* ---- slide 8: the cost spectrum -------------------------------------------- */

/* A spectrum row's figure as "p50 (p99 x)", or "—". */
static const char *spectrum_cell(struct fmt *f, const struct json *row)
{
    if (!row)
        return "—";
    return NS2(f, adv_row_ns(row, "p50"), adv_row_ns(row, "p99"));
}

void report_section_spectrum(struct report *r, const struct json *j)
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
        double v = adv_row_ns(rows->items[i], "p50");
        const char *im = rsec_impl(rows->items[i]);
        if (!(v > 0) || (strcmp(im, "coord") && strcmp(im, "python")))
            continue; /* (coord from Python: its own section of docs) */
        if (!lo || v < adv_row_ns(lo, "p50"))
            lo = rows->items[i];
        if (!hi || v > adv_row_ns(hi, "p50"))
            hi = rows->items[i];
    }
    const struct json *pv =
        rsec_where(rows, "mechanism", "flag_check", "python");
    const struct json *pm =
        rsec_where(rows, "mechanism", "manager_get", "python");
    char l1[64], l2[64], vv[96], vm[96];
    if (lo && hi)
        rdoc_para(&r->doc,
                  "The cost of one access to shared state, mechanism by "
                  "mechanism (median of %s runs): from %s "
                  "for %s's %s to %s for %s's %s, %s× apart.",
                  NUM(&f, num(j, "runs")), NS(&f, adv_row_ns(lo, "p50")),
                  rsec_impl_label(lo),
                  report_mech_label(json_str(json_get(lo, "mechanism")), l1,
                                    sizeof l1),
                  NS(&f, adv_row_ns(hi, "p50")), rsec_impl_label(hi),
                  report_mech_label(json_str(json_get(hi, "mechanism")), l2,
                                    sizeof l2),
                  NUM(&f, rsec_sig3(adv_row_ns(hi, "p50") /
                               adv_row_ns(lo, "p50"))));
    if (pv && pm) {
        double v = adv_row_ns(pv, "p50"), m = adv_row_ns(pm, "p50");
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
                  NUM(&f, rsec_sig3(m / v)),
                  report_verdict_text(vr, sizeof vr, m / v, cr->fig));
        rdoc_para(&r->doc, "In the table, the lecture's figure and the "
                           "verdict are for Python's multiprocessing (the "
                           "lecture's language); p99 in brackets.");
    } else {
        /* The experiment says why (its JSON's "python"): not asked for,
         * no python3, or a run that failed (the report used to say "did
         * not run" for a failure too). */
        const char *why = json_str(json_get(j, "python"));
        if (why && !strncmp(why, "failed", 6))
            rdoc_para(&r->doc, "Python's side failed, so only coord's figures "
                               "are here: %.300s.", why);
        else if (why && !strncmp(why, "not requested", 13))
            /* The report leaves out --vs-python only for --no-python:
             * name the option its reader gave, not the spectrum's. */
            rdoc_para(&r->doc, "Python's side was left out (`--no-python`): "
                               "only coord's figures.");
        else
            rdoc_para(&r->doc, "Python's side did not run (%s): only coord's "
                               "figures.",
                      why && *why ? why : "`--no-python`, or no python3");
    }
    static const char *const hdr[] = {
        "access", "coord (C)", "Python multiprocessing", "coord from Python",
        "the lecture", "verdict", NULL};
    struct rdoc_table *t = rdoc_table(&r->doc, hdr);
    /* One line per mechanism, in the order of the rows. */
    for (size_t i = 0; i < rows->n; i++) {
        const char *mech = rsec_first_of(rows, i, "mechanism");
        if (!mech)
            continue;
        const struct json *c = rsec_where(rows, "mechanism", mech, "coord");
        const struct json *p = rsec_where(rows, "mechanism", mech, "python");
        const struct json *pc =
            rsec_where(rows, "mechanism", mech, "python_coord");
        const struct lecture_claim *lc = report_lecture_claim(mech);
        char lb[64], v[96];
        f.i = 0;
        rsec_row(r, t, report_mech_label(mech, lb, sizeof lb),
                spectrum_cell(&f, c), spectrum_cell(&f, p),
                spectrum_cell(&f, pc), lc ? lc->figure : "",
                lc && p ? report_verdict_text(v, sizeof v,
                                              adv_row_ns(p, "p50"),
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
        if (c && !strcmp(c, cs) && !strcmp(rsec_impl(row), impl) &&
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
        const char *name = rsec_first_of(probes, i, "probe");
        if (!name)
            continue;
        char lb[96], cell[2][256];
        for (int py = 0; py < 2; py++) {
            const struct json *q =
                rsec_where(probes, "probe", name, py ? "python" : "coord");
            const struct json *ok = json_get(q, "ok");
            const char *detail = json_str(json_get(q, "detail"));
            if (!detail) /* a skipped probe says why ("python run failed") */
                detail = json_str(json_get(q, "skipped"));
            snprintf(cell[py], sizeof cell[py], "%s%s%s",
                     !ok || ok->type != JSON_BOOL ? "not run"
                     : ok->b                      ? "passed"
                                                  : "**failed**",
                     detail ? ": " : "", detail ? detail : "");
        }
        rsec_row(r, t, report_label(queue_probes, name, lb, sizeof lb), cell[0],
                cell[1], NULL, NULL, NULL, NULL);
    }
}

void report_section_queue(struct report *r, const struct json *j)
{
    struct fmt f = {0};
    const struct json *rows = report_rows_with(j, "msgs_per_s");
    const struct json *probes = report_rows_with(j, "probe");
    struct queue_tally k;
    report_queue_tally(j, &k);
    /* Python's side may have been left out (--no-python) or have failed:
     * its rows then say null, and the sentences name only what ran. */
    rdoc_para(&r->doc,
              "Producers put messages into one bounded queue (capacity %s), "
              "then one pill per consumer; each consumer stops at its pill. "
              "In %zu of %zu runs every message arrived exactly once "
              "(coord's queue and a pipe%s).",
              NUM(&f, num(j, "queue_capacity")), k.once, k.runs,
              k.py_runs ? " and Python's multiprocessing.Queue"
                        : "; Python's multiprocessing.Queue did not run");
    const struct json *first = rows ? rows->items[0] : NULL;
    double c = queue_rate(rows, first, "coord");
    double py = queue_rate(rows, first, "python");
    char vs_py[96] = "";
    if (isfinite(py) && py > 0)
        snprintf(vs_py, sizeof vs_py, " and %s× Python's Queue",
                 NUM(&f, rsec_sig3(c / py)));
    if (first && isfinite(c))
        rdoc_para(&r->doc,
                  "From %s producer%s to %s consumer%s with %s-byte "
                  "messages, coord's queue moved %s messages per second, "
                  "%s× a pipe%s.",
                  NUM(&f, num(first, "producers")),
                  num(first, "producers") == 1 ? "" : "s",
                  NUM(&f, num(first, "consumers")),
                  num(first, "consumers") == 1 ? "" : "s",
                  NUM(&f, num(first, "msg_bytes")), NUM(&f, rsec_sig3(c)),
                  /* 3 significant digits, not whole numbers: a queue
                   * slower than the pipe reads 0.908×, not 1× (or 0×). */
                  NUM(&f, rsec_sig3(c / queue_rate(rows, first, "pipe"))),
                  vs_py);
    if (k.probes[0] > 0 && k.probes[1] > 0)
        rdoc_para(&r->doc,
                  "Slide 2's pattern assumes nobody dies. When a process is "
                  "killed mid-way (the fault probes below), coord passed %zu "
                  "of %zu and Python %zu of %zu.",
                  k.probes_ok[0], k.probes[0], k.probes_ok[1], k.probes[1]);
    else if (k.probes[0] > 0)
        rdoc_para(&r->doc,
                  "Slide 2's pattern assumes nobody dies. When a process is "
                  "killed mid-way (the fault probes below), coord passed %zu "
                  "of %zu; Python's probes did not run.",
                  k.probes_ok[0], k.probes[0]);
    if (rows) {
        static const char *const hdr[] = {
            "producers → consumers", "message", "coord", "pipe",
            "Python", "every message once", NULL};
        struct rdoc_table *t = rdoc_table(&r->doc, hdr);
        for (size_t i = 0; i < rows->n; i++) {
            const struct json *row = rows->items[i];
            if (strcmp(rsec_impl(row), "coord") != 0)
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
            rsec_row(r, t, pc, sz, RATE(&f, num(row, "msgs_per_s")),
                    RATE(&f, queue_rate(rows, row, "pipe")),
                    RATE(&f, queue_rate(rows, row, "python")),
                    !known ? "not run" : once ? "yes" : "**NO**", NULL);
        }
    }
    if (probes)
        queue_probe_table(r, probes);
}
