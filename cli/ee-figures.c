/* SPDX-License-Identifier: MIT */
/* ee-figures.c: medians of the figures of repeated coord_search runs. */
#include "cli.h"
#include "ee-figures.h"

void ee_runs_add(struct ee_runs *r, const coord_search_stats *st)
{
    if (r->n == EE_MAX_RUNS)
        return;
    r->wall_ns[r->n] = (double)st->wall_ns;
    r->iterations[r->n] = (double)st->iterations;
    r->wasted[r->n] = (double)st->wasted;
    r->stop_ns[r->n] = (double)st->stop_latency_ns;
    r->every[r->n] = (double)st->check_every;
    r->n++;
}

struct ee_figures ee_runs_median(struct ee_runs *r)
{
    return (struct ee_figures){
        .wall_ns = cli_percentile(r->wall_ns, r->n, 50),
        .iterations = cli_percentile(r->iterations, r->n, 50),
        .wasted = cli_percentile(r->wasted, r->n, 50),
        .stop_ns = cli_percentile(r->stop_ns, r->n, 50),
        .every = cli_percentile(r->every, r->n, 50),
    };
}
