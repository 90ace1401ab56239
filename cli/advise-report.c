/* SPDX-License-Identifier: MIT */
/* advise-report.c: the report's slide-9 section: common access patterns with this machine's recommendation, from the run's own spectrum. */
#include "advise-report.h"

#include <stdio.h>
#include <string.h>

#include "advise-model.h"

/* "15.6 µs per task (0.16 % of 10 ms)" or "0.3 ns per iteration". */
static void cost_cell(char *buf, size_t cap, const struct adv_input *in,
                      const struct adv_entry *e)
{
    char a[32], b[32], c[64];
    adv_fmt_ns(a, sizeof a, e->ns);
    if (e->share >= 0)
        snprintf(buf, cap, "%s per task (%s)", a,
                 adv_fmt_share(c, sizeof c, e->share,
                               adv_fmt_ns(b, sizeof b, in->task_ns)));
    else
        snprintf(buf, cap, "%s per %s", a,
                 in->per_iteration ? "iteration" : "task");
}

/* The cheapest of Python's own mechanisms for the pattern ("python_value:
 * 221 ns per iteration"), or why there is none: Python's side not
 * measured, or none of them can serve it (no atomic increment, say). */
static void python_cell(char *buf, size_t cap, const struct adv_input *in,
                        const struct adv_result *res)
{
    for (size_t r = 0; r < res->nrank; r++)
        if (!strcmp(res->rank[r].impl, "python")) {
            char c[96];
            cost_cell(c, sizeof c, in, &res->rank[r]);
            snprintf(buf, cap, "%s: %s", res->rank[r].mechanism, c);
            return;
        }
    for (size_t x = 0; x < res->nexcl; x++)
        if (!strcmp(res->excl[x].impl, "python") &&
            strstr(res->excl[x].why, "not measured")) {
            snprintf(buf, cap, "not measured (no Python run)");
            return;
        }
    snprintf(buf, cap, "none of Python's can (coord advise says why)");
}

void advise_report_section(struct rdoc *d, const struct json *spectrum,
                           const char *why)
{
    struct adv_costs k;
    const char *missing = NULL;
    if (!spectrum) {
        rdoc_para(d, "Not computed: the spectrum was %s.",
                  why ? why : "not measured");
        return;
    }
    if (!adv_costs_from_json(spectrum, &k, &missing)) {
        rdoc_para(d, "Not computed: the spectrum has no valid `%s` row.",
                  missing);
        return;
    }
    rdoc_para(d, "Slide 9 matches the mechanism to the access pattern. Each "
                 "row is `coord advise` (docs/advise.md) priced with this "
                 "run's spectrum: of the mechanisms that can serve the "
                 "pattern with 4 processes, the cheapest here, its cost, the "
                 "runner-up and the lecture's rule for the winner; and, for "
                 "a program that stays with `multiprocessing`, the cheapest "
                 "of Python's own (Value, Array, shared_memory, Queue, Pipe, "
                 "Manager) and its cost. A share under 1 %% of the task is "
                 "acceptable; the manager wins only where nothing cheaper can "
                 "hold the data.");
    static const char *const hdr[] = {"access pattern", "use here", "cost",
                                      "next best",
                                      "with multiprocessing",
                                      "slide 9's rule", NULL};
    struct rdoc_table *t = rdoc_table(d, hdr);
    static struct adv_result res;
    const char *against = NULL; /* a pattern whose winner breaks its rule */
    for (size_t i = 0; i < adv_npatterns; i++) {
        const struct adv_input *in = &adv_patterns[i].in;
        adv_rank(in, &k, &res);
        char cost[96] = "—", next[128] = "—";
        const char *use = "nothing coord offers", *rule = "—";
        if (res.nrank > 0) {
            use = res.rank[0].mechanism;
            rule = res.rank[0].rule;
            cost_cell(cost, sizeof cost, in, &res.rank[0]);
            /* The cheapest that can hold the data, used every iteration
             * where its rule says "infrequently". */
            if (in->per_iteration && strstr(rule, "infrequently") && !against)
                against = adv_patterns[i].label;
        }
        if (res.nrank > 1) {
            char c2[96];
            cost_cell(c2, sizeof c2, in, &res.rank[1]);
            snprintf(next, sizeof next, "%s: %s", res.rank[1].mechanism, c2);
        }
        char py[160];
        python_cell(py, sizeof py, in, &res);
        const char *cells[] = {adv_patterns[i].label, use, cost, next, py,
                               rule, NULL};
        rdoc_row(d, t, cells);
    }
    if (against)
        rdoc_para(d, "The row \"%s\" goes against its own rule: nothing "
                     "cheaper can hold a dict, and one round trip per "
                     "iteration is what slide 9 warns of. The cure is in the "
                     "program, not the mechanism: keep the updates in a local "
                     "dict and send them once per task (a batch: "
                     "`coord_mclient_batch`, or `update()`).", against);
}
