/* SPDX-License-Identifier: MIT */
/* team.c: coord_team: persistent search workers, a rounds engine whose round body is the search probe. */
#include <string.h>

#include "internal.h"

struct coord_team {
    coord_rounds *r;
    coord_probe_fn probe; /* read in the workers (their copy of this) */
    void *arg;
    uint32_t workers;
};

/* The round body: the probe, on the team's copy in this worker. */
static bool team_round(uint64_t i, const void *input, size_t len,
                       void *result, uint32_t worker, void *arg)
{
    (void)input;
    (void)len;
    (void)worker;
    const struct coord_team *t = arg;
    return t->probe(i, result, t->arg);
}

int coord_team_create(coord_team **out, const coord_search_opts *o,
                      coord_probe_fn probe, void *arg, size_t result_size)
{
    if (!out || !o || !probe || o->per_worker || o->poll ||
        result_size > COORD_SEARCH_MAX_RESULT)
        return COORD_EINVAL;
    /* The rest is checked by coord_rounds_create (workers, interval,
     * NEVER, budget, claim, partition). */
    coord_rounds_opts ro = COORD_ROUNDS_OPTS_INIT;
    ro.workers = o->workers;
    ro.check_every = o->check_every;
    ro.early_exit = o->early_exit;
    ro.claim = o->claim;
    ro.partition = o->partition;
    ro.chunk = o->chunk;
    ro.result_size = result_size;
    ro.overhead_budget = o->overhead_budget;
    ro.latency_target_ns = o->latency_target_ns;
    struct coord_team *t = calloc(1, sizeof *t);
    if (!t)
        return COORD_ENOMEM;
    t->probe = probe;
    t->arg = arg;
    t->workers = o->workers;
    int rc = coord_rounds_create(&t->r, &ro, team_round, t);
    if (rc) {
        free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int coord_team_search(coord_team *t, uint64_t begin, uint64_t end,
                      void *result, coord_search_stats *stats, int timeout_ms)
{
    coord_search_stats local;
    coord_search_stats *st = stats ? stats : &local;
    if (!t || begin >= end || timeout_ms == 0 ||
        coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    coord_round_stats rs = {.winner = -1, .failed_worker = -1};
    int rc = coord_rounds_run(t->r, NULL, 0, begin, end, result, &rs,
                              timeout_ms);
    *st = (coord_search_stats){
        .wall_ns = rs.round_ns,
        .run_ns = rs.run_ns,
        .join_ns = rs.round_ns > rs.run_ns ? rs.round_ns - rs.run_ns : 0,
        .winner = rs.winner,
        .index = rs.winner >= 0 ? rs.index : 0,
        .iterations = rs.iterations,
        .wasted = rs.wasted,
        .stop_latency_ns = rs.stop_latency_ns,
        .check_every = rs.check_every,
        .checks = rs.checks,
        .latency_won = rs.latency_won,
        .iteration_ns = rs.iteration_ns,
        .workers = t->workers,
        .failed_worker = rs.failed_worker,
        .failed_status = rs.failed_status,
    };
    return rc;
}

int coord_team_worker_pid(const coord_team *t, uint32_t w)
{
    if (!t)
        return COORD_EINVAL;
    return coord_rounds_worker_pid(t->r, w);
}

int coord_team_destroy(coord_team *t)
{
    if (!t)
        return 0;
    int rc = coord_rounds_destroy(t->r);
    free(t);
    return rc;
}
