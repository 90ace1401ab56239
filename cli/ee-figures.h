/* SPDX-License-Identifier: MIT */
/* ee-figures.h: the five figures the early-exit experiments report of coord_search runs, as medians over repeated runs. */
#ifndef COORD_CLI_EE_FIGURES_H
#define COORD_CLI_EE_FIGURES_H

#include <stddef.h>

#include <coord.h>

/* What the experiments report of a coord_search, as medians over
 * repeated runs (primes and waste measure the same five figures). */
struct ee_figures {
    double wall_ns, iterations, wasted, stop_ns, every;
};

/* The most runs an experiment repeats (its --runs limit). */
#define EE_MAX_RUNS 101

/* The figures of each run, collected for their medians. Start it zeroed. */
struct ee_runs {
    size_t n;
    double wall_ns[EE_MAX_RUNS], iterations[EE_MAX_RUNS],
        wasted[EE_MAX_RUNS], stop_ns[EE_MAX_RUNS], every[EE_MAX_RUNS];
};
/* Adds one run's figures (ignored beyond EE_MAX_RUNS runs). */
void ee_runs_add(struct ee_runs *r, const coord_search_stats *st);
/* The median of each figure over the runs added; sorts them in place. */
struct ee_figures ee_runs_median(struct ee_runs *r);

#endif
