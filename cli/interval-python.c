/* SPDX-License-Identifier: MIT */
/* interval-python.c: the Python side of `coord interval`: bench/python/interval.py run through the launcher, its JSON read. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "interval.h"
#include "json.h"
#include "launch.h"
#include "progress.h"

int interval_run_python(const struct interval_cfg *c, struct py_row *rows,
                        int *nrows, int *runs_made, double *cost, char *why,
                        size_t why_cap)
{
    char list[256] = "", workers[16], runs[16], stops[16];
    for (int i = 0; i < c->nintervals; i++) {
        if (c->intervals[i] == COORD_CHECK_AUTO)
            continue; /* Python has no automatic interval */
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%llu", l ? "," : "",
                 (unsigned long long)c->intervals[i]);
    }
    snprintf(workers, sizeof workers, "%u", c->workers);
    snprintf(runs, sizeof runs, "%d",
             c->runs < INTERVAL_PY_MAX_RUNS ? c->runs : INTERVAL_PY_MAX_RUNS);
    snprintf(stops, sizeof stops, "%d",
             c->stops < INTERVAL_PY_MAX_STOPS ? c->stops
                                              : INTERVAL_PY_MAX_STOPS);
    const char *work = c->works[CHEAP] && c->works[HEAVY] ? "both"
                       : c->works[CHEAP]                  ? "cheap"
                                                          : "heavy";
    const char *args[] = {"--workers", workers, "--intervals", list,
                          "--runs",    runs,    "--stops",     stops,
                          "--work",    work,    NULL};
    progress_show("interval", "Python (bench/python/interval.py)");
    struct json *j;
    int rc = launch_python_json("interval.py", args, LAUNCH_PYTHON_TIMEOUT_MS,
                                NULL, &j, why, why_cap);
    progress_done();
    if (rc != 0)
        return rc;
    cost[CHEAP] = json_num(json_get(j, "cheap_iteration_ns"), cost[CHEAP]);
    cost[HEAVY] = json_num(json_get(j, "heavy_iteration_ns"), cost[HEAVY]);
    *runs_made = (int)json_num(json_get(j, "runs"), 0);
    *nrows = 0;
    const struct json *row, *jrows = json_get(j, "rows");
    for (size_t i = 0; (row = json_at(jrows, i)) && *nrows < 2 * MAX_INTERVALS;
         i++) {
        const struct json *iv = json_get(row, "interval");
        if (!iv || iv->type != JSON_NUMBER)
            continue;
        struct py_row *r = &rows[(*nrows)++];
        const char *work = json_str(json_get(row, "work"));
        r->work = work && !strcmp(work, "heavy") ? HEAVY : CHEAP;
        r->interval = (uint64_t)iv->num;
        r->overhead_pct = json_num(json_get(row, "overhead_pct"), 0);
        /* null (no run stopped every other worker): not measured, "-" in
         * the table and null in the JSON, not a latency of 0 ns. */
        r->stops = (int)json_num(json_get(row, "stops"), 0);
        r->stop_p50 = r->stops > 0
                          ? json_num(json_get(row, "stop_latency_p50_ns"), NAN)
                          : NAN;
        r->stop_p99 = r->stops > 0
                          ? json_num(json_get(row, "stop_latency_p99_ns"), NAN)
                          : NAN;
    }
    json_free(j);
    if (*nrows == 0) {
        snprintf(why, why_cap, "interval.py printed no rows");
        return -1;
    }
    return 0;
}
